"""Issue 21, demo only when asked: a new store holds no rounds, returns or survey figures; the
illustrative demonstration data loads only on request, is marked, and is removed exactly (audited);
once real returns are approved, no public output counts the demo's beside them. On SQLite and
PostgreSQL (``db_url``)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from commissioning.cli import main
from commissioning.errors import AccessDenied, StoreError
from commissioning.returns.layout import MEASURES
from commissioning.returns.publication import build_publication
from commissioning.store import open_store
from commissioning.web import appdata

BOSS_PW = "correct horse battery staple"


def rows(*records) -> pd.DataFrame:
    return pd.DataFrame([{"service": service, "code": code, "capacity": capacity, "referrals": referrals,
                          "referrals_refused": refused,
                          **{m: math.nan for m in MEASURES if m not in ("capacity", "referrals", "referrals_refused")},
                          "notes": ""} for service, code, capacity, referrals, refused in records])


@pytest.fixture()
def store(db_url):
    store = open_store(db_url)
    store.create_user("boss", BOSS_PW)
    store.add_member("boss", "pat", role="panel", password="gavel-quiet-lantern")
    yield store
    store.close()


def test_a_new_store_holds_no_rounds_or_returns_unless_the_demo_is_asked_for(store):
    appdata.first_run(store, env={})                       # the app's first run, no COMMISSIONING_DEMO
    assert store.rounds().empty and store.returns_list("boss").empty and store.approved_returns().empty
    assert not store.demo_loaded()
    appdata.first_run(store, env={appdata.DEMO_ENV: "1"})
    assert store.rounds()["name"].tolist() == [appdata.EXAMPLE_ROUND] and store.rounds()["demo"].tolist() == [1]
    assert store.demo_loaded() and len(store.returns_list("boss")) == 47
    appdata.first_run(store, env={appdata.DEMO_ENV: "1"})  # a second start loads nothing twice
    assert len(store.rounds()) == 1 and len(store.returns_list("boss")) == 47


def test_removing_the_demo_deletes_exactly_its_records_and_is_audited(store):
    real = store.import_round_from_csv("boss", "Spring round", appdata.EXAMPLE_DIR / "bids.csv")
    store.submit_return("boss", "Acme Trust", "2026Q3", rows(("idva", "E09000012", 2.0, 40, 4)), approve=True)
    real_bids = store.round_bids("boss", real)
    with pytest.raises(AccessDenied):
        store.load_demo("pat")
    counts = store.load_demo("boss")
    assert counts == {"rounds": 1, "returns": 47, "accounts": 3}
    with pytest.raises(StoreError, match="loaded already"):
        store.load_demo("boss")
    with pytest.raises(AccessDenied):
        store.remove_demo("pat")
    assert store.remove_demo("boss") == {"rounds": 1, "returns": 47, "accounts": 3, "accounts_deactivated": 0}
    assert store.rounds()["id"].tolist() == [real] and store.round_bids("boss", real).equals(real_bids)
    assert store.returns_list("boss")["provider"].tolist() == ["Acme Trust"]
    assert set(store.account_list()["username"]) == {"boss", "pat"}
    log = store.audit_log("boss")
    assert {"demo.load", "demo.remove"} <= set(log["action"])
    assert store.verify_audit().broken_id is None and not store.demo_loaded()


def test_demo_returns_never_count_beside_real_ones_in_a_public_output(store):
    store.load_demo("boss")
    demo_only = store.approved_returns()
    assert set(demo_only["basis"]) == {"illustrative"} and demo_only["provider"].nunique() == 12
    # Two real organisations' returns for the quarter the demo also covers (2026Q3), approved:
    store.submit_return("boss", "Acme Trust", "2026Q3", rows(("idva", "E09000012", 2.0, 40, 4)), approve=True)
    store.submit_return("boss", "Hope Refuges", "2026Q3", rows(("refuge", "E09000007", 12.0, 30, 6)), approve=True)
    counted = store.approved_returns()
    assert set(counted["provider"]) == {"Acme Trust", "Hope Refuges"} and set(counted["basis"]) == {"real"}
    pub = build_publication(counted, "2026Q3")
    # by hand: 2 organisations (with the demo's 9 for 2026Q3 it said 11), nothing illustrative
    assert "approved returns came from 2 support organisations" in pub.headline
    assert pub.providers == 2 and not pub.illustrative and not pub.notes


def test_demo_command_loads_and_removes(tmp_path, capsys):
    location = str(tmp_path / "cli.sqlite")
    open_store(location).create_user("boss", BOSS_PW)
    assert main(["demo", "load", "--db", location]) == 0
    assert main(["demo", "load", "--db", location]) == 2
    assert "loaded already" in capsys.readouterr().err
    assert main(["demo", "remove", "--db", location]) == 0
    assert "1 round, 47 returns" in capsys.readouterr().err
    assert open_store(location).rounds().empty


def test_removing_the_demo_removes_what_hangs_two_levels_down(store):
    """A contract made from a demo bid, and its capacity (which hangs on the contract, not the bid),
    go with the demo: the removal does not stop at tables that point at rounds or bids directly."""
    from sqlalchemy import func, insert, select

    from commissioning.store.schema import bids, contract_capacity, contracts

    store.load_demo("boss")
    with store._write() as conn:
        bid = conn.execute(select(bids.c.id, bids.c.round_id).limit(1)).first()
        cid = conn.execute(insert(contracts).values(
            round_id=bid.round_id, bid_id=bid.id, lot="West", supplier="Demo supplier", partners="[]",
            services='["idva"]', capacity_service="idva", annual_value=1.0, term_value=3.0,
            start_date="2027-10-01", initial_end="2030-09-30", end_date="2030-09-30", extension_years=0,
            extension_years_used=0, status="active", signed_on="2027-09-01", basis="illustrative",
            created_at="2027-09-01T00:00:00+00:00")).inserted_primary_key[0]
        conn.execute(insert(contract_capacity).values(contract_id=cid, service="idva", code="E09000012", capacity=2.0))
    store.remove_demo("boss")
    with store._read() as conn:
        assert conn.execute(select(func.count()).select_from(contract_capacity)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(contracts)).scalar() == 0
    assert store.rounds().empty and store.verify_audit().intact
