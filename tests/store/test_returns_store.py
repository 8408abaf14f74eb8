"""Quarterly returns in the store: a support organisation sees and submits only its own returns; only a
commissioner approves or queries (with a note the provider sees); only approved returns count; every
change is audited; migration 6 adds the tables to an older store."""

from __future__ import annotations

import datetime as dt
import json
import math

import pandas as pd
import pytest
from sqlalchemy import text

from commissioning.errors import AccessDenied, InputError, StoreError
from commissioning.returns.layout import MEASURES
from commissioning.returns.review import changes, status_table
from commissioning.store import MIGRATIONS, open_store


def rows(*records) -> pd.DataFrame:
    out = []
    for service, code, capacity, referrals in records:
        out.append({"service": service, "code": code, "capacity": capacity, "referrals": referrals,
                    **{m: math.nan for m in MEASURES if m not in ("capacity", "referrals")}, "notes": ""})
    return pd.DataFrame(out)


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "r.sqlite")
    s.create_user("boss", "long-password-1")
    s.add_member("boss", "acme", "provider", "long-password-2", organisation="Acme Trust")
    s.add_member("boss", "hope", "provider", "long-password-3", organisation="Hope Refuges")
    s.add_member("boss", "pat", "panel", "long-password-4")
    yield s
    s.close()


def test_a_provider_sees_and_submits_only_its_own_returns(store):
    store.submit_return("acme", "acme trust", "2026Q3", rows(("idva", "E09000012", 2.0, 40)))
    store.submit_return("hope", "Hope Refuges", "2026Q3", rows(("refuge", "E09000007", 12.0, 30)))
    assert store.returns_list("acme")["provider"].tolist() == ["acme trust"]
    assert set(store.return_rows("hope")["service"]) == {"refuge"}
    assert len(store.returns_list("boss")) == 2
    with pytest.raises(AccessDenied, match="speaks for 'Acme Trust'"):
        store.submit_return("acme", "Hope Refuges", "2026Q3", rows(("refuge", "E09000007", 1.0, 1)))
    with pytest.raises(AccessDenied, match="cannot approve"):
        store.submit_return("acme", "Acme Trust", "2026Q3", rows(("idva", "E09000012", 2.0, 40)), approve=True)
    with pytest.raises(AccessDenied):
        store.approve_return("acme", "2026Q3", "Acme Trust")
    with pytest.raises(AccessDenied):
        store.returns_list("pat")           # a panel member has no business with returns


def test_only_approved_returns_count_and_a_query_reaches_the_provider(store):
    store.submit_return("acme", "Acme Trust", "2026Q3", rows(("idva", "E09000012", 2.0, 40)))
    assert store.approved_returns("2026Q3").empty
    with pytest.raises(InputError, match="note"):
        store.query_return("boss", "2026Q3", "Acme Trust", "  ")
    store.query_return("boss", "2026Q3", "Acme Trust", "Referrals look low: please check Hackney.")
    mine = store.returns_list("acme").iloc[0]
    assert mine["status"] == "queried" and mine["query_note"] == "Referrals look low: please check Hackney."
    store.submit_return("acme", "Acme Trust", "2026Q3", rows(("idva", "E09000012", 2.0, 55)))
    assert store.returns_list("acme").iloc[0]["status"] == "submitted"
    store.approve_return("boss", "2026Q3", "ACME TRUST")
    approved = store.approved_returns("2026Q3")
    assert approved[["provider", "service", "code", "capacity", "referrals"]].values.tolist() == [
        ["Acme Trust", "idva", "E09000012", 2.0, 55.0]]
    with pytest.raises(StoreError, match="no return"):
        store.approve_return("boss", "2026Q2", "Acme Trust")
    log = store.audit_log("boss")
    actions = log.loc[log["entity"] == "return Acme Trust 2026Q3", "action"].tolist()
    assert actions == ["return.submit", "return.query", "return.submit", "return.approve"]
    resubmit = log.loc[log["action"] == "return.submit"].iloc[1]
    assert json.loads(resubmit["old_value"])["rows"][0]["referrals"] == 40    # the old figures are kept


def test_status_shows_late_and_changes_flag_large_jumps(store):
    store.submit_return("acme", "Acme Trust", "2026Q2", rows(("idva", "E09000012", 2.0, 40)))
    store.submit_return("acme", "Acme Trust", "2026Q3", rows(("idva", "E09000012", 4.5, 44), ("isva", "E09000012", 1, 3)))
    table = status_table(store.returns_list("boss"), "2026Q3", organisations=["Acme Trust", "Hope Refuges"],
                         today=dt.date(2026, 11, 2))
    late_sent = dt.datetime.now(dt.UTC).date() > dt.date(2026, 10, 31)   # Acme's return was sent today
    assert table[["provider", "status", "late"]].values.tolist() == [
        ["Acme Trust", "submitted", late_sent], ["Hope Refuges", "not returned", True]]
    early = status_table(store.returns_list("boss"), "2026Q3", organisations=["Hope Refuges"],
                         today=dt.date(2026, 10, 31))
    assert not early.set_index("provider").loc["Hope Refuges", "late"]   # due 31 October: not late on the day
    diff = changes(store.return_rows("boss"), "Acme Trust", "2026Q3").set_index(["service", "measure"])
    assert diff.loc[("idva", "capacity"), "change"] == 2.5 and diff.loc[("idva", "capacity"), "large"]
    assert diff.loc[("idva", "capacity"), "change_pct"] == pytest.approx(125.0)
    assert not diff.loc[("idva", "referrals"), "large"]          # 40 -> 44 is not a jump
    assert diff.loc[("isva", "capacity"), "note"] == "new row"


def test_migration_6_adds_the_returns_tables(tmp_path):
    store = open_store(tmp_path / "m.sqlite")
    versions = [v for v, _, _ in MIGRATIONS]
    assert 6 in versions and store.schema_version() == max(versions)
    with store.engine.connect() as conn:
        tables = {r[0] for r in conn.execute(text("select name from sqlite_master where type = 'table'"))}
    assert {"returns", "return_rows"} <= tables


def test_a_migration_numbered_below_the_latest_still_runs_once(tmp_path, monkeypatch):
    """Branches number their steps apart (5 on one branch, 6 on another): a store that reached the
    latest without 5 (nor 8, which alters 5's table) must still get step 5 when it is merged later,
    once, and the steps after it that waited for it."""
    from commissioning.store import base

    path = tmp_path / "late.sqlite"
    monkeypatch.setattr(base, "MIGRATIONS", [m for m in MIGRATIONS if m[0] not in (5, 8)])
    open_store(path).close()                               # a store at the latest that never saw 5
    ran = []
    real_5 = next(step for version, _, step in MIGRATIONS if version == 5)

    def step_5(conn):
        ran.append(5)
        real_5(conn)

    monkeypatch.setattr(base, "MIGRATIONS", [(v, d, step_5 if v == 5 else s) for v, d, s in MIGRATIONS])
    open_store(path).close()
    store = open_store(path)                               # reopening runs nothing twice
    assert ran == [5] and store.schema_version() == max(m[0] for m in MIGRATIONS)
    with store.engine.connect() as conn:
        assert conn.execute(text("select count(*) from schema_version where version = 5")).scalar() == 1
        assert conn.execute(text("select count(*) from schema_version where version = 8")).scalar() == 1
    store.close()
