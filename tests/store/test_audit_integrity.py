"""Issue 22, item 2: ``audit verify`` sees a cut log, a forged or re-chained row (anchor, HMAC),
missing or disabled append-only triggers, and records changed behind the log's back. Each case
runs on SQLite and PostgreSQL (``db_url``)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, insert, select

from commissioning.cli import main
from commissioning.store import open_store
from commissioning.store.audit_chain import KEY_ENV, chain_existing_rows, make_append_only, row_hash
from commissioning.store.schema import audit
from test_store_security import BOSS_PW, FIX, RULES


@pytest.fixture()
def logged(db_url):
    """The fixture round (bids A1..B3 scored by s1..s3), moderation open, one moderated score."""
    store = open_store(db_url)
    boss = store.create_user("boss", BOSS_PW)
    rid = store.import_round_from_csv(boss, "Round 1", FIX / "bids.csv", FIX / "scores.csv", rules=RULES)
    store.add_member(boss, "chair", role="chair", password="gavel-quiet-lantern")
    store.open_moderation(boss, rid)
    store.record_moderation("chair", store.bid_key(rid, "A2"), "Q2", 4, "evidence in section 4.2",
                            reason="Moderated at the panel meeting")
    yield store, db_url
    store.close()


def _raw(url: str):
    return create_engine(url if "://" in url else f"sqlite:///{url}")


def _unguarded(conn):
    """Switch the append-only guard off, as the database's owner can."""
    if conn.dialect.name == "sqlite":
        for name in ("update", "delete", "replace"):
            conn.exec_driver_sql(f"DROP TRIGGER audit_append_only_{name}")
        conn.exec_driver_sql("DROP TRIGGER audit_needs_hash")
    else:
        conn.exec_driver_sql("ALTER TABLE audit DISABLE TRIGGER USER")


def _reguarded(conn):
    if conn.dialect.name == "sqlite":
        make_append_only(conn)
    else:
        conn.exec_driver_sql("ALTER TABLE audit ENABLE TRIGGER USER")


def _verify(capsys, url, *extra) -> tuple[int, str]:
    code = main(["audit", "verify", "--db", url, *extra])
    out = capsys.readouterr()
    return code, out.out + out.err


def _anchor(capsys, url, tmp_path) -> str:
    path = tmp_path / "anchor.json"
    assert main(["audit", "anchor", "--db", url, "--out", str(path)]) == 0
    capsys.readouterr()
    return str(path)


def test_an_untouched_log_verifies_with_and_without_its_anchor(logged, capsys, tmp_path):
    store, url = logged
    anchor = _anchor(capsys, url, tmp_path)
    rows = json.loads(open(anchor).read())["rows"]
    assert rows == len(store.audit_log("boss"))
    code, out = _verify(capsys, url, "--anchor", anchor)
    assert code == 0 and f"audit log intact: {rows} rows" in out


def test_every_row_deleted_is_not_intact(logged, capsys, tmp_path):
    store, url = logged
    anchor = _anchor(capsys, url, tmp_path)
    engine = _raw(url)
    with engine.begin() as conn:
        _unguarded(conn)
        conn.exec_driver_sql("DELETE FROM audit")
        _reguarded(conn)
    engine.dispose()
    code, out = _verify(capsys, url)            # without the anchor: the records have no audited write
    assert code == 1 and "score A1 Q1 by s1 (round 1) has no audited write" in out
    assert "user boss has no audited write" in out
    code, out = _verify(capsys, url, "--anchor", anchor)
    assert code == 1 and "rows were removed after the anchor" in out


def test_last_rows_deleted_and_the_guard_put_back_is_caught_by_the_anchor(logged, capsys, tmp_path):
    store, url = logged
    anchor = _anchor(capsys, url, tmp_path)
    engine = _raw(url)
    with engine.begin() as conn:
        last = conn.execute(select(audit.c.id).order_by(audit.c.id.desc())).scalar()
        _unguarded(conn)
        conn.exec_driver_sql(f"DELETE FROM audit WHERE id > {last - 2}")
        _reguarded(conn)
    engine.dispose()
    assert store.verify_audit().chain.intact       # the chain alone cannot see a cut at the end
    code, out = _verify(capsys, url, "--anchor", anchor)
    assert code == 1 and f"the log ends at row {last - 2}" in out


def test_a_rechained_edit_is_caught_by_the_anchor_and_the_hmac(logged, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "kept-outside-the-database")
    store, url = logged
    store.add_member("boss", "late", role="panel")        # rows written with the key carry an HMAC
    anchor = _anchor(capsys, url, tmp_path)
    engine = _raw(url)
    with engine.begin() as conn:
        _unguarded(conn)
        conn.exec_driver_sql("UPDATE audit SET username = 'someone' WHERE id = 3")
        chain_existing_rows(conn)                        # the whole chain recomputed: hashes agree again
        _reguarded(conn)
    engine.dispose()
    code, out = _verify(capsys, url, "--anchor", anchor)
    assert code == 1
    assert "no longer has the anchored hash" in out
    assert "HMAC does not match" in out
    monkeypatch.delenv(KEY_ENV)                          # without the key, the anchor still sees it
    code, out = _verify(capsys, url, "--anchor", anchor)
    assert code == 1 and "signed but COMMISSIONING_AUDIT_KEY is not set" in out


def test_a_forged_row_with_a_correct_hash_needs_the_key(logged, capsys, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "kept-outside-the-database")
    store, url = logged
    store.add_member("boss", "late", role="panel")
    engine = _raw(url)
    with engine.begin() as conn:                         # appended with the guard on: inserts are allowed
        last = conn.execute(select(audit).order_by(audit.c.id.desc())).mappings().first()
        row = {"id": last["id"] + 1, "at": last["at"], "user_id": None, "username": "boss", "round_id": None,
               "action": "user.password", "entity": "user late", "old_value": None, "new_value": None,
               "prev_hash": last["row_hash"]}
        conn.execute(insert(audit).values(**row, row_hash=row_hash(row)))
    engine.dispose()
    code, out = _verify(capsys, url)
    assert code == 1 and f"broken at row {row['id']}" in out and "no HMAC" in out


@pytest.mark.parametrize("how", ["drop", "disable"])
def test_missing_or_disabled_triggers_are_named(logged, capsys, how):
    store, url = logged
    engine = _raw(url)
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as conn:
        if sqlite and how == "drop":
            conn.exec_driver_sql("DROP TRIGGER audit_append_only_delete")
        elif sqlite:
            pytest.skip("SQLite triggers cannot be disabled, only dropped")
        elif how == "drop":
            conn.exec_driver_sql("DROP TRIGGER audit_append_only ON audit")
        else:
            conn.exec_driver_sql("ALTER TABLE audit DISABLE TRIGGER USER")
    engine.dispose()
    code, out = _verify(capsys, url)
    name = "audit_append_only_delete" if sqlite else "audit_append_only"
    assert code == 1 and f"the append-only trigger {name} is {'missing' if how == 'drop' else 'disabled'}" in out


@pytest.mark.parametrize("sql, problem", [
    ("UPDATE scores SET score = 5 WHERE id = 1", "differs from its last audited write (score)"),
    ("DELETE FROM moderation", "moderation A2 Q2 (round 1) is in the log but not in the store"),
    ("UPDATE rounds SET state = 'locked'", "round 1 differs from its last audited write (state)"),
    ("UPDATE bids SET price = 1 WHERE bid_ref = 'B1'", "bid B1 (round 1) differs from its last audited write (price)"),
    ("UPDATE users SET role = 'commissioner' WHERE username = 'chair'", "user chair differs"),
])
def test_records_changed_behind_the_logs_back(logged, capsys, sql, problem):
    store, url = logged
    assert _verify(capsys, url)[0] == 0
    engine = _raw(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(sql)
    engine.dispose()
    code, out = _verify(capsys, url)
    assert code == 1 and problem in out


def test_a_file_that_is_not_a_database_and_an_unreachable_server(tmp_path, capsys):
    junk = tmp_path / "notes.sqlite"
    junk.write_text("these are not the droids\n" * 100)
    assert main(["audit", "verify", "--db", str(junk)]) == 2
    assert "cannot open the store" in capsys.readouterr().err
    assert main(["audit", "verify", "--db", "postgresql+psycopg://nobody:secret@127.0.0.1:1/none"]) == 2
    err = capsys.readouterr().err
    assert "cannot open the store at postgresql+psycopg://nobody:***@127.0.0.1:1/none" in err and "secret" not in err


def test_an_anchor_that_is_not_one_is_refused(logged, capsys, tmp_path):
    _, url = logged
    bad = tmp_path / "anchor.json"
    bad.write_text('{"rows": "many"}')
    assert main(["audit", "verify", "--db", url, "--anchor", str(bad)]) == 2
    assert "not an audit anchor" in capsys.readouterr().err
