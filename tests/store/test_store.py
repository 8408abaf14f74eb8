"""The panel store: roles, conflicts, visibility, moderation, locking, audit, and no lost writes."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, insert, text

from commissioning.errors import AccessDenied, InputError, StoreError
from commissioning.procurement.bid_files import read_bids, read_moderation, read_scores
from commissioning.procurement.rules import load_rules
from commissioning.procurement.scoring import score_bids
from commissioning.store import MIGRATIONS, open_store
from commissioning.store.schema import schema_version

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "scoring"
RULES = FIX / "rules.yaml"


@pytest.fixture()
def panel(db_url):
    """The fixture round imported with its scores (scorers s1..s3), plus a chair; on SQLite and on
    PostgreSQL (``db_url``)."""
    store = open_store(db_url)
    boss = store.create_user("boss", "correct horse battery staple")
    rid = store.import_round_from_csv(boss, "Round 1", FIX / "bids.csv", FIX / "scores.csv", rules=RULES)
    store.add_member(boss, "chair", role="chair", password="gavel-quiet-lantern")
    yield store, boss, rid
    store.close()


def test_accounts_and_passwords(panel):
    store, boss, _ = panel
    assert store.verify_password("boss", "correct horse battery staple") == boss
    assert store.verify_password("boss", "wrong") is None
    assert store.verify_password("s1", "anything") is None  # imported scorer without a password
    with store.engine.connect() as conn:
        digest = conn.execute(text("select password_hash from users where username='boss'")).scalar()
    assert digest.startswith("$argon2") and "staple" not in digest
    with pytest.raises(AccessDenied):
        store.create_user("second", "pw")  # bootstrap only once
    with pytest.raises(AccessDenied):
        store.add_member("s1", "friend")  # only a commissioner adds members
    store.set_password("s1", "s1", "mossy-kettle-orbit")
    assert store.verify_password("s1", "mossy-kettle-orbit").role == "panel"
    with pytest.raises(InputError, match="unknown role"):
        store.add_member(boss, "x", role="king")


def test_numpy_ids_from_dataframes_work(panel):
    store, boss, rid = panel
    round_id = store.rounds()["id"].iloc[0]  # a numpy integer, as the app reads it
    assert store.rules(round_id).title == store.rules(int(rid)).title


def _decide_flags(store, boss, rid):
    """Record the decisions a lock needs: a price flag after the bidder's answer is recorded."""
    for flag in store.open_flags(boss, rid):
        if flag.kind == "price":
            cid = store.ask_clarification(boss, store.bid_key(rid, flag.bid_id), "Please explain the price")
            store.record_answer(boss, cid, "Volunteer-supported model, costed in appendix D")
        if any(f.bid_id == flag.bid_id for f in store.open_flags(boss, rid)):
            store.resolve_flags(boss, rid, flag.bid_id, "Explanation accepted / spread reviewed")


def test_migrations_are_versioned(panel, db_url):
    store, _, _ = panel
    assert store.schema_version() == MIGRATIONS[-1][0] == max(v for v, _, _ in MIGRATIONS)
    again = open_store(db_url)  # reopening applies nothing twice
    with again.engine.connect() as conn:
        assert conn.execute(text("select count(*) from schema_version")).scalar() == len(MIGRATIONS)
        if conn.dialect.name == "sqlite":
            assert conn.execute(text("pragma journal_mode")).scalar() == "wal"
    again.close()


def test_conflict_of_interest(panel):
    store, boss, rid = panel
    a1 = store.bid_key(rid, "A1")
    assert "A1" in set(store.bids_for_scorer("s1")["bid_id"])
    store.declare_conflict("s1", "alder  TRUST", note="I was a trustee until 2026")
    # The assignment and s1's scores for Alder Trust (A1) are withdrawn, the audit keeps them.
    assert "A1" not in set(store.bids_for_scorer("s1")["bid_id"])
    assert "A1" not in set(store.my_scores("s1")["bid_id"])
    with pytest.raises(AccessDenied, match="conflict"):
        store.assign(boss, "s1", a1)
    with pytest.raises(AccessDenied):
        store.save_score("s1", a1, "Q1", 3, "looks fine")
    log = store.audit_log(boss, rid)
    withdrawn = log[log["action"] == "score.withdraw"]
    assert len(withdrawn) == 3 and withdrawn["old_value"].str.contains('"score": 4.0').any()
    with pytest.raises(AccessDenied):
        store.declare_conflict("s2", "Birch Collective", note="x", member="s3")  # not for someone else
    store.declare_conflict(boss, "Birch Collective", note="s3 works there", member="s3")
    assert "A2" not in set(store.bids_for_scorer("s3")["bid_id"])
    # The evaluation report lists the panel and every declaration; a panel member may not read them.
    declared = store.conflicts("chair")
    assert list(zip(declared["username"], declared["organisation"])) == [
        ("s1", "alder  TRUST"), ("s3", "Birch Collective")]
    assert "s3" in set(store.panel(boss, rid)["username"])
    with pytest.raises(AccessDenied):
        store.conflicts("s2")


def test_panel_set_up_lists_bids_and_assigns_all_or_none(panel):
    store, boss, rid = panel
    store.add_member(boss, "s4", role="panel")
    store.declare_conflict(boss, "cedar  services", note="her sister is the director", member="s4")
    # the fixture's 8 bids by reference, without prices (the quality panel does not see them)
    listed = store.round_bids("chair", rid)
    assert list(listed.columns) == ["key", "bid_id", "organisation", "lot"]
    assert listed["bid_id"].tolist() == ["A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3"]
    a1, a2, a3 = (store.bid_key(rid, ref) for ref in ("A1", "A2", "A3"))
    # A3 is Cedar Services: the whole batch is refused, so A1 is not assigned either
    with pytest.raises(AccessDenied, match="s4 declared a conflict with Cedar Services"):
        store.assign_bids(boss, "s4", [a1, a3])
    assert "s4" not in set(store.assignments(boss, rid)["username"])
    assert store.assign_bids(boss, "s4", [a1, a2]) == 2
    rows = store.assignments(boss, rid)
    assert rows.loc[rows["username"] == "s4", "bid_id"].tolist() == ["A1", "A2"]
    # the imported scorers s1..s3 each scored all 8 bids, so each is assigned all 8
    assert rows.groupby("username").size().to_dict() == {"s1": 8, "s2": 8, "s3": 8, "s4": 2}
    with pytest.raises(AccessDenied):
        store.assign_bids("chair", "s4", [a3])          # only a commissioner assigns
    with pytest.raises(AccessDenied):
        store.round_bids("s1", rid)                      # panel members see only their own bids
    mine = store.my_conflicts("s4")
    assert mine[["organisation", "note"]].values.tolist() == [["cedar  services", "her sister is the director"]]
    assert store.my_conflicts("s1").empty


def test_visibility_and_own_scores(panel):
    store, boss, rid = panel
    a2 = store.bid_key(rid, "A2")
    store.save_score("s1", a2, "Q2", 4, "re-read section 4.2")
    mine = store.my_scores("s1")
    assert set(mine["scorer"]) == {"s1"} and len(mine) == 24
    assert mine.set_index(["bid_id", "criterion"]).loc[("A2", "Q2"), "score"] == 4
    # s2's score on the same bid and criterion is untouched
    with pytest.raises(AccessDenied):
        store.all_scores("s1", rid)
    with pytest.raises(AccessDenied, match="private until moderation"):
        store.all_scores("chair", rid)
    with pytest.raises(AccessDenied):
        store.engine_inputs("chair", rid)
    store.open_moderation(boss, rid)
    everyone = store.all_scores("chair", rid).set_index(["bid_id", "scorer", "criterion"])
    assert everyone.loc[("A2", "s2", "Q2"), "score"] == 2 and everyone.loc[("A2", "s1", "Q2"), "score"] == 4
    # not assigned: the chair has no bids to score
    with pytest.raises(AccessDenied, match="not assigned"):
        store.save_score("chair", a2, "Q1", 3, "I think")
    with pytest.raises(InputError, match="needs a comment"):
        store.save_score("s1", a2, "Q1", 3, "  ")
    with pytest.raises(InputError, match="outside the scale"):
        store.save_score("s1", a2, "Q1", 6, "great")
    with pytest.raises(AccessDenied):
        store.bids_for_scorer(boss)  # a commissioner is not a scorer


def test_moderation_lock_and_audit(panel):
    store, boss, rid = panel
    a2 = store.bid_key(rid, "A2")
    with pytest.raises(StoreError, match="moderation is not open"):
        store.record_moderation("chair", a2, "Q2", 4, "agreed", reason="Moderated at the panel meeting")
    store.open_moderation(boss, rid)
    with pytest.raises(AccessDenied):
        store.record_moderation("s1", a2, "Q2", 4, "agreed", reason="Moderated at the panel meeting")
    with pytest.raises(InputError, match="needs a note"):
        store.record_moderation("chair", a2, "Q2", 4, "", reason="Moderated at the panel meeting")
    store.record_moderation("chair", a2, "Q2", 3, "first view", reason="Moderated at the panel meeting")
    store.record_moderation("chair", a2, "Q2", 4, "Panel missed the safeguarding audit evidence in section 4.2", reason="Moderated at the panel meeting")

    # The ranking from the store equals the ranking from the same CSV files.
    from_store = store.rank("chair", rid).ranking
    rules = load_rules(RULES)
    from_csv = score_bids(rules, read_bids(FIX / "bids.csv"), read_scores(FIX / "scores.csv"),
                          read_moderation(FIX / "moderation.csv")).ranking
    assert from_store.drop(columns="reasons").equals(from_csv.drop(columns="reasons"))
    assert from_store.set_index("bid_id").loc["A2", "total"] == pytest.approx(66.75)

    with pytest.raises(StoreError, match="cannot lock: unresolved flags on .*A5 .abnormally low price"):
        store.lock_round(boss, rid)
    _decide_flags(store, boss, rid)
    store.lock_round(boss, rid)
    with pytest.raises(StoreError, match="locked"):
        store.save_score("s1", a2, "Q1", 5, "late change")
    with pytest.raises(StoreError):
        store.record_moderation("chair", a2, "Q2", 5, "late", reason="Moderated at the panel meeting")

    log = store.audit_log("chair", rid)
    changes = log[(log["action"] == "moderation.record")]
    assert len(changes) == 2
    assert changes.iloc[1]["old_value"] == '{"note": "first view", "reason": "Moderated at the panel meeting", "score": 3.0}'
    assert changes.iloc[1]["username"] == "chair"
    assert {"round.moderation", "round.locked", "bid.add", "assign", "score.save"} <= set(log["action"])
    with pytest.raises(AccessDenied):
        store.audit_log("s1")
    with store.engine.connect() as conn, pytest.raises(Exception, match="append-only"):
        conn.execute(text("update audit set action = 'x'"))
    with store.engine.connect() as conn, pytest.raises(Exception, match="append-only"):
        conn.execute(text("delete from audit"))


def test_later_migrations_add_active_and_organisation_to_a_version_1_database(tmp_path):
    path = tmp_path / "v1.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:                       # the database as version 1 left it
        schema_version.create(conn)
        version, description, step = MIGRATIONS[0]
        assert version == 1
        step(conn)
        conn.execute(insert(schema_version).values(version=1, description=description,
                                                   applied_at="2026-01-01T00:00:00+00:00"))
        conn.execute(text("insert into users (username, display_name, role, password_hash, created_at) "
                          "values ('old', 'Old Hand', 'commissioner', :h, '2026-01-01')"),
                     {"h": PasswordHasher().hash("old-password")})
        columns = [r[1] for r in conn.execute(text("pragma table_info(users)"))]
    engine.dispose()
    assert "active" not in columns

    store = open_store(path)
    try:
        assert store.schema_version() == max(v for v, _, _ in MIGRATIONS)
        with store.engine.connect() as conn:
            assert ([r[0] for r in conn.execute(text("select version from schema_version order by version"))]
                    == [version for version, _, _ in MIGRATIONS])
            assert conn.execute(text("select active from users where username = 'old'")).scalar() == 1
        assert store.verify_password("old", "old-password").username == "old"   # still signs in
        assert store.accounts("old")[["username", "active"]].values.tolist() == [["old", True]]
        # Migration 3: provider accounts speak for a support organisation.
        with pytest.raises(InputError, match="organisation"):
            store.add_member("old", "refuge1", role="provider")
        made = store.add_member("old", "refuge1", role="provider", organisation="Safe Haven (fictional)")
        assert made.organisation == store.get_user("refuge1").organisation == "Safe Haven (fictional)"
        listed = store.account_list().set_index("username")["organisation"]
        assert listed.to_dict() == {"old": "", "refuge1": "Safe Haven (fictional)"}
    finally:
        store.close()


def test_unassign_in_scoring_withdraws_scores_with_audit(panel):
    store, boss, rid = panel
    a1, a2 = store.bid_key(rid, "A1"), store.bid_key(rid, "A2")
    with pytest.raises(AccessDenied):
        store.unassign("chair", "s1", [a1])                 # commissioner only
    with pytest.raises(AccessDenied):
        store.unassign("s1", "s1", [a1])
    assert store.unassign(boss, "s1", [a1, a2]) == 2
    assert "A1" not in set(store.bids_for_scorer("s1")["bid_id"])
    # s1 scored Q1, Q2, SV1 on all 8 bids: 24 scores, less 2 bids x 3 criteria = 18
    mine = store.my_scores("s1")
    assert len(mine) == 18 and not {"A1", "A2"} & set(mine["bid_id"])
    log = store.audit_log(boss, rid)
    withdrawn = log[log["action"] == "score.withdraw"].set_index("entity")
    assert len(withdrawn) == 6
    # scores.csv: A1,s1,Q1,4,"Q1 evidence noted by s1" and A1,s1,Q2,3,"Q2 evidence noted by s1"
    assert withdrawn.loc["bid A1 Q1 by s1", "old_value"] == '{"comment": "Q1 evidence noted by s1", "score": 4.0}'
    assert withdrawn.loc["bid A1 Q2 by s1", "old_value"] == '{"comment": "Q2 evidence noted by s1", "score": 3.0}'
    assert withdrawn["new_value"].isna().all() and set(withdrawn["username"]) == {"boss"}
    unassigned = log[log["action"] == "unassign"]
    assert unassigned["old_value"].tolist() == ['{"bid": "A1", "scorer": "s1"}', '{"bid": "A2", "scorer": "s1"}']
    # all or none: A1 is no longer s1's, so the batch with A3 fails and A3 stays assigned
    a3 = store.bid_key(rid, "A3")
    with pytest.raises(StoreError, match="bid A1 is not assigned to s1"):
        store.unassign(boss, "s1", [a3, a1])
    assert "A3" in set(store.bids_for_scorer("s1")["bid_id"])
    assert len(store.my_scores("s1")) == 18


def test_unassign_in_moderation_needs_explicit_withdrawal_and_locked_refuses(panel):
    store, boss, rid = panel
    a1, b1 = store.bid_key(rid, "A1"), store.bid_key(rid, "B1")
    store.add_member(boss, "s4")
    store.assign_bids(boss, "s4", [a1, b1])
    store.save_score("s4", a1, "Q1", 2, "thin evidence")    # s4 scores A1 only
    store.open_moderation(boss, rid)
    with pytest.raises(StoreError, match="moderation is open and s2 has scored A1:"):
        store.unassign(boss, "s2", [a1])
    with pytest.raises(StoreError, match="s4 has scored A1:"):  # refused as a batch: B1 stays too
        store.unassign(boss, "s4", [b1, a1])
    assert store.assignments(boss, rid).query("username == 's4'")["bid_id"].tolist() == ["A1", "B1"]
    # 8 bids x 3 criteria = 24 scores, none lost by the refusals
    assert (store.all_scores(boss, rid)["scorer"] == "s2").sum() == 24
    assert store.unassign(boss, "s4", [b1]) == 1            # no scores on B1: nothing to confirm
    assert store.unassign(boss, "s2", [a1], withdraw_scores=True) == 1
    _, _, scores, _ = store.engine_inputs(boss, rid)
    assert (scores["scorer"] == "s2").sum() == 21 and not ((scores["scorer"] == "s2") & (scores["bid_id"] == "A1")).any()
    log = store.audit_log(boss, rid)
    assert (log["entity"] == "bid A1 SV1 by s2").sum() == 2    # score.save at import, then score.withdraw
    assert log[log["entity"] == "bid A1 SV1 by s2"]["action"].tolist() == ["score.save", "score.withdraw"]
    _decide_flags(store, boss, rid)
    store.lock_round(boss, rid)
    with pytest.raises(StoreError, match="locked"):
        store.unassign(boss, "s3", [a1], withdraw_scores=True)
    assert (store.all_scores(boss, rid)["scorer"] == "s3").sum() == 24


def test_deactivated_member_cannot_sign_in_but_scores_stay(panel):
    store, boss, rid = panel
    a1 = store.bid_key(rid, "A1")
    store.set_password(boss, "s1", "mossy-kettle-orbit")
    with pytest.raises(InputError, match="needs a note"):
        store.deactivate_user(boss, "s1", "  ")
    with pytest.raises(AccessDenied):
        store.deactivate_user("chair", "s1", "left")
    store.unassign(boss, "s1", [a1])                        # A1 free again for s1 ...
    store.deactivate_user(boss, "s1", "left the panel in June")
    assert store.verify_password("s1", "mossy-kettle-orbit") is None
    with pytest.raises(StoreError, match="deactivated: no new assignments"):
        store.assign(boss, "s1", a1)                        # ... but s1 gets no new assignments
    with pytest.raises(AccessDenied, match="deactivated"):
        store.save_score("s1", store.bid_key(rid, "A2"), "Q1", 3, "a session left open")
    with pytest.raises(StoreError, match="already deactivated"):
        store.deactivate_user(boss, "s1", "again")
    accounts = store.accounts(boss)
    assert dict(zip(accounts["username"], accounts["active"])) == {
        "boss": True, "s1": False, "s2": True, "s3": True, "chair": True}
    # the 7 bids still assigned keep s1's scores (7 x 3 criteria) and they count in the ranking
    store.open_moderation(boss, rid)
    _, _, scores, _ = store.engine_inputs(boss, rid)
    assert (scores["scorer"] == "s1").sum() == 21
    assert "s1" in set(store.panel(boss, rid)["username"])
    log = store.audit_log(boss)
    change = log[log["action"] == "user.deactivate"].iloc[0]
    assert change["entity"] == "user s1" and change["old_value"] == '{"active": true}'
    assert change["new_value"] == '{"active": false, "note": "left the panel in June"}'
    store.reactivate_user(boss, "s1")
    assert store.verify_password("s1", "mossy-kettle-orbit").username == "s1"
    assert store.audit_log(boss).iloc[-1]["action"] == "user.reactivate"


def test_last_active_commissioner_cannot_be_deactivated(panel):
    store, boss, _ = panel
    with pytest.raises(StoreError, match="boss is the last active commissioner"):
        store.deactivate_user(boss, "boss", "leaving")
    store.add_member(boss, "boss2", role="commissioner", password="second-long-passphrase")
    store.deactivate_user(boss, "boss", "handed over to boss2")   # two active: allowed
    with pytest.raises(AccessDenied, match="deactivated"):
        store.add_member(boss, "x")                                 # boss can no longer act
    with pytest.raises(StoreError, match="boss2 is the last active commissioner"):
        store.deactivate_user("boss2", "boss2", "leaving too")
    store.reactivate_user("boss2", "boss")
    assert store.verify_password("boss", "correct horse battery staple") == boss


# --- concurrency: separate writer processes against one database -------------------------

N_PROCESSES, PER_PROCESS = 16, 30
# Writers come from a fork server that has the store imported already (fast, and safe: the server
# has no threads and no database connection); each opens its own store.
WRITERS = "forkserver"
mp.get_context(WRITERS).set_forkserver_preload(["commissioning.store", "commissioning.procurement.scoring"])


def _concurrent_writer(path: str, username: str, keys: list[int], barrier) -> None:
    store = open_store(path)
    barrier.wait()
    written = 0
    for key in keys:
        for criterion in ("Q1", "Q2", "SV1"):
            if written == PER_PROCESS:
                return
            store.save_score(username, key, criterion, (written % 5) + 0.5, f"comment {written}")
            written += 1


def _slow_writer(path: str, username: str, keys: list[int], started) -> None:
    store = open_store(path)

    def rows():
        for key in keys:
            for criterion in ("Q1", "Q2", "SV1"):
                yield key, criterion, 3, "batch"
        started.set()  # every row of the batch is written, the transaction is still open
        time.sleep(600)

    store.save_scores(username, rows())


def _round_with_members(tmp_path, url, n_bids=17):
    lines = ["bid_id,organisation,lot,price,submitted_at,gate_safeguarding"]
    lines += [f"C{i:02d},Org {i},L,{100000 + i},2027-06-01T10:00:00,pass" for i in range(n_bids)]
    bids_csv = tmp_path / "many.csv"
    bids_csv.write_text("\n".join(lines) + "\n")
    store = open_store(url)
    boss = store.create_user("boss", "correct horse battery staple")
    rid = store.import_round_from_csv(boss, "Busy", bids_csv, rules=RULES)
    keys = [store.bid_key(rid, f"C{i:02d}") for i in range(n_bids)]
    names = [f"p{j}" for j in range(N_PROCESSES)]
    for name in names:
        store.add_member(boss, name)
        for key in keys:
            store.assign(boss, name, key)
    store.close()
    return url, keys, names


def _query(url: str, sql: str) -> list:
    engine = create_engine(url if "://" in url else f"sqlite:///{url}")
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).all()
    finally:
        engine.dispose()


SCORES_BY_USER = ("select u.username, count(*) from scores s join users u on u.id = s.user_id "
                  "group by u.username")
SAVES_BY_USER = "select username, count(*) from audit where action = 'score.save' group by username"


def test_concurrent_writers_lose_nothing(tmp_path, db_url):
    path, keys, names = _round_with_members(tmp_path, db_url)
    ctx = mp.get_context(WRITERS)
    barrier = ctx.Barrier(N_PROCESSES)
    procs = [ctx.Process(target=_concurrent_writer, args=(path, name, keys, barrier)) for name in names]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * N_PROCESSES

    per_user = dict(_query(path, SCORES_BY_USER))
    assert per_user == {name: PER_PROCESS for name in names}
    distinct = _query(path, "select count(*) from (select distinct bid_id, user_id, criterion from scores) d")
    assert distinct[0][0] == N_PROCESSES * PER_PROCESS
    assert dict(_query(path, SAVES_BY_USER)) == per_user
    # every score's value and comment is the one its writer saved
    for score, comment in _query(path, "select score, comment from scores"):
        assert score == (int(comment.split()[1]) % 5) + 0.5
    # the audit chain did not fork under concurrent appends
    store = open_store(path)
    check = store.verify_audit()
    store.close()
    assert check.intact and check.rows == _query(path, "select count(*) from audit")[0][0]


def test_killed_writer_leaves_a_consistent_database(tmp_path, db_url):
    path, keys, names = _round_with_members(tmp_path, db_url)
    ctx = mp.get_context(WRITERS)
    started = ctx.Event()
    victim = ctx.Process(target=_slow_writer, args=(path, names[0], keys, started))
    victim.start()
    assert started.wait(60), "writer did not start"
    # Another writer is queued behind the open transaction and must still get through afterwards.
    solo = ctx.Barrier(1)
    other = ctx.Process(target=_concurrent_writer, args=(path, names[1], keys, solo))
    other.start()
    time.sleep(0.5)
    os.kill(victim.pid, signal.SIGKILL)
    victim.join(30)
    other.join(120)
    assert victim.exitcode == -signal.SIGKILL and other.exitcode == 0

    if "://" not in path:
        with sqlite3.connect(path) as db:
            assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    by_user = dict(_query(path, SCORES_BY_USER))
    assert names[0] not in by_user  # none of the killed transaction's 51 rows
    assert by_user[names[1]] == PER_PROCESS
    assert dict(_query(path, SAVES_BY_USER)) == by_user
    store = open_store(path)
    assert store.verify_audit().intact
    store.close()
