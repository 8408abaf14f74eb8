"""Issue 12, store half: conflicts bind the chair and match however a name is typed; the audit log
is a verified hash chain the database will not let anyone rewrite; sign-ins are throttled and
take the same work for unknown users; weak passwords and unsafe usernames are refused. Each test
runs on SQLite and on PostgreSQL (``db_url``)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, insert, text

from commissioning import auth
from commissioning.cli import main
from commissioning.errors import AccessDenied, InputError, StoreError
from commissioning.store import MIGRATIONS, LoginLocked, names_match, open_store, organisation_key, organisation_keys
from commissioning.store.logins import BASE_LOCK_S, FREE_ATTEMPTS
from commissioning.organisations import bid_organisations
from commissioning.store.schema import schema_version

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "scoring"
RULES = FIX / "rules.yaml"
BOSS_PW = "correct horse battery staple"
CHAIR_PW = "gavel-quiet-lantern"


@pytest.fixture()
def panel(db_url):
    """The fixture round (bids A1..B3, scorers s1..s3) with a chair; moderation not yet open."""
    store = open_store(db_url)
    boss = store.create_user("boss", BOSS_PW)
    rid = store.import_round_from_csv(boss, "Round 1", FIX / "bids.csv", FIX / "scores.csv", rules=RULES)
    store.add_member(boss, "chair", role="chair", password=CHAIR_PW)
    yield store, boss, rid
    store.close()


# --- 2. a conflicted chair --------------------------------------------------------------------

def test_conflicted_chair_cannot_moderate_or_see_the_bid(panel):
    store, boss, rid = panel
    a1, a2 = store.bid_key(rid, "A1"), store.bid_key(rid, "A2")
    store.declare_conflict("chair", "Alder Trust", note="I chair its board")
    store.open_moderation(boss, rid)
    with pytest.raises(AccessDenied, match="conflict with Alder Trust"):
        store.record_moderation("chair", a1, "Q1", 5, "lift it to win the lot", reason="Moderated at the panel meeting")
    store.record_moderation("chair", a2, "Q2", 4, "safeguarding evidence in section 4.2",
                            reason="Safeguarding audit evidence in section 4.2")   # others: fine
    assert store.conflicted_bids("chair", rid) == ["A1"]
    assert "A1" not in set(store.all_scores("chair", rid)["bid_id"])
    _, _, scores, moderation = store.engine_inputs("chair", rid)
    assert "A1" not in set(scores["bid_id"]) and "A1" not in set(moderation["bid_id"])
    # The ranking itself is the commissioner's (every bid counts) but carries no A1 scorer detail.
    mine, theirs = store.rank("chair", rid), store.rank(boss, rid)
    assert mine.ranking.equals(theirs.ranking)
    assert all(len(p) == 0 for p in mine.explain("A1").criteria["panel_scores"])
    assert any(len(p) == 3 for p in theirs.explain("A1").criteria["panel_scores"])
    assert "A1" in set(store.all_scores(boss, rid)["bid_id"]) and store.conflicted_bids(boss, rid) == []


# --- 3. names matched however typed -----------------------------------------------------------

@pytest.mark.parametrize("typed, bidder", [
    ("Alder\u200b Trust", "Alder Trust"),                 # zero-width space
    ("alder\u00a0TRUST", "Alder Trust"),                  # no-break space, case
    ("Ａｌｄｅｒ Trust", "Alder Trust"),                    # full-width letters (NFKC)
    ("Alder Trust (fictional)", "Alder Trust"),           # a trailing qualifier either side
    ("Alder Trust", "Alder Trust (fictional)"),
    ("Gorse Women\u2019s Centre", "Gorse Women's Centre"),  # curly apostrophe
    ("Birch \u2013 Collective", "Birch - Collective"),      # en dash
    ("\u0410lder Trust", "Alder Trust"),                  # Cyrillic А (TR39 confusable), either side
    ("Alder Trust", "\u0410lder \u0422rust"),
])
def test_organisation_names_match_however_typed(typed, bidder):
    assert names_match([typed], [bidder])
    assert not names_match([typed], ["Elm Advice"])


def test_organisation_keys():
    assert organisation_key(" Gorse  Women\u2019s\u200d Centre ") == "gorse women's centre"
    assert organisation_keys("Alder Trust (fictional) [London]") == {
        "alder trust (fictional) [london]", "alder trust (fictional)", "alder trust"}
    assert organisation_keys("(fictional)") == {"(fictional)"}      # never reduced to nothing
    assert not names_match(["Alder"], ["Alder Trust"])               # no prefix matching


def test_consortium_members_are_matched():
    bid = {"organisation": "Rowan Partnership", "consortium": '["Alder Trust (fictional)", "Elm Advice"]'}
    assert bid_organisations(bid) == ["Rowan Partnership", "Alder Trust (fictional)", "Elm Advice"]
    assert names_match(["alder trust"], bid_organisations(bid))
    assert bid_organisations({"organisation": "X", "consortium": "Alder Trust; Elm Advice "}) == [
        "X", "Alder Trust", "Elm Advice"]
    assert bid_organisations({"organisation": "X"}) == ["X"]


def test_conflict_typed_differently_still_binds(panel):
    store, boss, rid = panel
    a1, b2 = store.bid_key(rid, "A1"), store.bid_key(rid, "B2")
    store.declare_conflict(boss, "alder trust (fictional)", note="trustee", member="s1")
    store.declare_conflict(boss, "Gorse Women\u2019s\u200b Centre", note="volunteer", member="s2")
    assert "A1" not in set(store.bids_for_scorer("s1")["bid_id"])
    assert "A1" not in set(store.my_scores("s1")["bid_id"])          # withdrawn on declaration
    assert "B2" not in set(store.bids_for_scorer("s2")["bid_id"])
    with pytest.raises(AccessDenied, match="conflict"):
        store.assign(boss, "s1", a1)
    with pytest.raises(AccessDenied):
        store.save_score("s2", b2, "Q1", 3, "should be refused")


def test_declarations_matching_no_bid_are_listed(panel):
    store, boss, rid = panel
    store.declare_conflict("s1", "Alder Trust (fictional)", note="matches A1")
    store.declare_conflict("s1", "Alder Trusts", note="a typo")
    store.declare_conflict("s2", "Rowan Trust", note="not bidding")
    everyone = store.unmatched_conflicts(boss, rid)
    assert list(zip(everyone["username"], everyone["organisation"])) == [
        ("s1", "Alder Trusts"), ("s2", "Rowan Trust")]
    assert list(store.unmatched_conflicts("s1", rid)["organisation"]) == ["Alder Trusts"]   # own only


# --- 4. the audit log: a hash chain the database will not let anyone rewrite -------------------

def _raw(url: str):
    return create_engine(url if "://" in url else f"sqlite:///{url}")


def test_audit_chain_verifies_and_names_the_first_changed_row(panel, db_url, capsys):
    store, boss, rid = panel
    rows = len(store.audit_log(boss))
    assert main(["audit", "verify", "--db", db_url]) == 0
    assert capsys.readouterr().out.startswith(f"audit log intact: {rows} rows")
    engine = _raw(db_url)
    with engine.begin() as conn:           # someone with raw access switches the guard off
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_append_only_update")
        else:
            conn.exec_driver_sql("ALTER TABLE audit DISABLE TRIGGER USER")
        conn.exec_driver_sql("UPDATE audit SET new_value = '{\"score\": 5.0}' WHERE id = 7")
    engine.dispose()
    assert main(["audit", "verify", "--db", db_url]) == 1
    assert "audit chain broken at row 7" in capsys.readouterr().err
    check = store.verify_audit()
    assert (check.intact, check.broken_id, check.rows) == (False, 7, 6)


def test_audit_verify_refuses_a_missing_store(tmp_path, capsys):
    assert main(["audit", "verify", "--db", str(tmp_path / "none.sqlite")]) == 2
    assert "no store at" in capsys.readouterr().err and not (tmp_path / "none.sqlite").exists()


def test_audit_chain_detects_a_removed_row(panel, db_url):
    store, boss, _ = panel
    engine = _raw(db_url)
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_append_only_delete")
        else:
            conn.exec_driver_sql("ALTER TABLE audit DISABLE TRIGGER USER")
        conn.exec_driver_sql("DELETE FROM audit WHERE id = 5")
    engine.dispose()
    check = store.verify_audit()
    assert check.broken_id == 6 and "row 5 is missing" in check.chain.reason


def test_database_refuses_update_delete_and_replace_of_audit_rows(panel, db_url):
    store, boss, _ = panel
    engine = _raw(db_url)
    sqlite = engine.dialect.name == "sqlite"
    attempts = ["UPDATE audit SET action = 'x' WHERE id = 2", "DELETE FROM audit WHERE id = 2"]
    if sqlite:
        forged = "(2, 'x', 'x', 'x', '" + "0" * 64 + "', '" + "0" * 64 + "')"
        attempts += [f"REPLACE INTO audit (id, at, action, entity, prev_hash, row_hash) VALUES {forged}",
                     f"INSERT OR REPLACE INTO audit (id, at, action, entity, prev_hash, row_hash) VALUES {forged}",
                     "PRAGMA recursive_triggers = ON",
                     f"REPLACE INTO audit (id, at, action, entity, prev_hash, row_hash) VALUES {forged}",
                     "INSERT INTO audit (at, action, entity) VALUES ('x', 'x', 'x')"]   # no hash
    else:
        attempts += ["TRUNCATE audit",
                     "INSERT INTO audit (id, at, action, entity, prev_hash, row_hash) "
                     "VALUES (2, 'x', 'x', 'x', 'a', 'b') ON CONFLICT (id) DO UPDATE SET action = 'x'"]
    refused = 0
    with engine.connect() as conn:
        for sql in attempts:
            if sql.startswith("PRAGMA"):
                conn.exec_driver_sql(sql)
                conn.commit()
                continue
            with pytest.raises(Exception, match="append-only|needs its hash chain"):
                with conn.begin():
                    conn.exec_driver_sql(sql)
            refused += 1
    engine.dispose()
    assert refused == len([a for a in attempts if not a.startswith("PRAGMA")])
    assert store.verify_audit().intact


def test_migration_4_chains_an_existing_log(tmp_path):
    path = tmp_path / "v2.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:                       # the database as version 2 left it
        schema_version.create(conn)
        for version, description, step in MIGRATIONS:
            if version <= 2:
                step(conn)
                conn.execute(insert(schema_version).values(version=version, description=description,
                                                           applied_at="2026-01-01T00:00:00+00:00"))
        for i in range(3):
            conn.execute(text("insert into audit (at, action, entity) values (:at, 'user.add', :e)"),
                         {"at": f"2026-01-0{i + 1}", "e": f"user u{i}"})
    engine.dispose()
    store = open_store(path)
    try:
        check = store.verify_audit().chain       # (the log names users this database never had)
        assert check.intact and check.rows == 3
        store.create_user("boss", BOSS_PW)
        assert store.verify_audit().rows == 4
    finally:
        store.close()


# --- 9. sign-in throttling and timing ---------------------------------------------------------

def test_sign_in_is_throttled_per_username_and_audited(panel):
    store, boss, _ = panel
    for _ in range(FREE_ATTEMPTS["username"]):
        assert auth.authenticate(store, "chair", "not-the-password", client="ip:192.0.2.1") is None
    with pytest.raises(LoginLocked, match="Try again in 1 minute"):
        auth.authenticate(store, "chair", CHAIR_PW, client="ip:192.0.2.9")   # even right, even elsewhere
    log = store.audit_log(boss)
    assert list(log["action"].tail(FREE_ATTEMPTS["username"])) == ["login.failed"] * 4 + ["login.locked"]
    assert '"username_locked_s": 30' in log["new_value"].iloc[-1]
    # After the wait the right password works and clears the count.
    store.start_login("chair", "ip:192.0.2.9", now=time.time() + BASE_LOCK_S + 1)
    store.finish_login("chair", "ip:192.0.2.9", True)
    assert auth.authenticate(store, "chair", CHAIR_PW, client="ip:192.0.2.9") == store.get_user("chair")
    assert store.audit_log(boss)["action"].iloc[-1] == "login"


def test_unknown_usernames_lock_out_alike(panel):
    store, _, _ = panel
    for _ in range(FREE_ATTEMPTS["username"]):
        assert auth.authenticate(store, "nobody-here", "a-guess-at-it", client="c1") is None
    with pytest.raises(LoginLocked):
        auth.authenticate(store, "nobody-here", "a-guess-at-it", client="c2")


def test_one_client_guessing_many_usernames_is_throttled(panel):
    store, _, _ = panel
    now = time.time()
    for i in range(FREE_ATTEMPTS["client"]):
        store.start_login(f"user{i}", "ip:198.51.100.7", now=now)
        store.finish_login(f"user{i}", "ip:198.51.100.7", False)
    with pytest.raises(LoginLocked):
        store.start_login("chair", "ip:198.51.100.7", now=now + 1)
    store.start_login("chair", "ip:198.51.100.8", now=now + 1)            # another client is free
    # Many successful sign-ins from one office address do not lock it.
    for _ in range(FREE_ATTEMPTS["client"] + 5):
        store.start_login("chair", "ip:203.0.113.5", now=now)
        store.finish_login("chair", "ip:203.0.113.5", True)


def test_unknown_user_costs_the_same_hash_check(panel, monkeypatch):
    store, _, _ = panel
    checked = []

    class Counting(PasswordHasher):
        def verify(self, digest, password):
            checked.append(digest)
            return super().verify(digest, password)

    monkeypatch.setattr(store, "_hasher", Counting())
    assert store.verify_password("nobody-here", "a-guess-at-it") is None
    assert store.verify_password("s1", "a-guess-at-it") is None          # imported: no password
    assert store.verify_password("chair", "a-guess-at-it") is None
    assert len(checked) == 3 and all(d.startswith("$argon2id$") for d in checked)


# --- 13. weak passwords and unsafe usernames ---------------------------------------------------

WEAK = ["password12", "aaaaaaaaaa", "a", "aaaaaaaaaaaa", "password1234", "Password1234!", "123456789012",
        "qwertyuiop12", "iloveyou2024",
        # issue 22: keyboard walks, repeats with a digit, the service's own words
        "qwertyuiopas", "zaq12wsxcde3", "monkeymonkey1", "mopacmopac12", "correcthorse"]
UNSAFE = ["bad\x00name", "two words", "", "-dash-first", "x" * 65, "semi;colon", "<script>"]


def test_weak_passwords_and_unsafe_usernames_are_refused_by_the_store(panel):
    store, boss, _ = panel
    for password in WEAK:
        with pytest.raises(InputError, match="password"):
            store.set_password(boss, "chair", password)
        with pytest.raises(InputError, match="password"):
            store.add_member(boss, "newcomer", password=password)
        with pytest.raises(InputError, match="password"):
            auth.create_user(store, "newcomer", "panel", password)
    with pytest.raises(InputError, match="contains the username"):
        store.set_password("chair", "chair", "chair-gavel-quiet")
    for username in UNSAFE:
        with pytest.raises(InputError, match="username"):
            store.add_member(boss, username)
        with pytest.raises(InputError, match="username"):
            auth.create_user(store, username, "panel", "three random words")
    assert store.verify_password("chair", CHAIR_PW) is not None       # nothing changed
    assert "newcomer" not in set(store.account_list()["username"])


def test_first_account_needs_a_strong_password(db_url):
    store = open_store(db_url)
    try:
        with pytest.raises(InputError, match="common"):
            store.create_user("boss", "password1234")
        assert store.create_user("boss", BOSS_PW).role == "commissioner"
    finally:
        store.close()


def test_usernames_are_unique_whatever_their_case(panel):
    store, boss, _ = panel
    store.add_member(boss, "Pat", role="panel")
    with pytest.raises(StoreError, match="user 'pat' exists already .as 'Pat'."):
        store.add_member(boss, "pat", role="panel")


def test_the_dummy_hash_is_made_when_the_store_opens(db_url):
    from commissioning.store.users import UsersMixin

    UsersMixin._dummy = None
    store = open_store(db_url)
    try:
        assert UsersMixin._dummy is not None and UsersMixin._dummy.startswith("$argon2")
    finally:
        store.close()
