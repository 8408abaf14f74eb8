"""Issue 22, item 8: a NUL character in any text and a whole number of 2^31 or more give the same
clean InputError on SQLite and PostgreSQL (PostgreSQL crashed with DataError or
NumericValueOutOfRange), with nothing stored; a NUL username at sign-in is refused and counted."""

from __future__ import annotations

import pandas as pd
import pytest

from commissioning import auth
from commissioning.errors import InputError
from commissioning.store import open_store
from commissioning.store.logins import FREE_ATTEMPTS, LoginLocked
from test_store_security import BOSS_PW, CHAIR_PW, FIX, RULES

BIG = 2 ** 31


@pytest.fixture()
def panel(db_url):
    store = open_store(db_url)
    boss = store.create_user("boss", BOSS_PW)
    rid = store.import_round_from_csv(boss, "Round 1", FIX / "bids.csv", FIX / "scores.csv", rules=RULES)
    store.add_member(boss, "chair", role="chair", password=CHAIR_PW)
    yield store, rid
    store.close()


def _return_rows(**change) -> pd.DataFrame:
    row = {"service": "idva", "code": "E09000012", "capacity": 2.0, "referrals": 40.0, "referrals_refused": 4.0,
           "cases_open": 30.0, "waiting_days_median": 6.5, "clients_surveyed": 12.0, "clients_satisfied": 10.0,
           "notes": ""}
    return pd.DataFrame([row | change])


CASES = {
    "organisation of a provider": (lambda s, rid: s.add_member("boss", "acme", role="provider",
                                                               organisation="Acme\x00 Trust"), "organisation"),
    "declared organisation": (lambda s, rid: s.declare_conflict("boss", "Alder\x00", "x", member="chair"),
                              "organisation_key"),
    "declaration note": (lambda s, rid: s.declare_conflict("boss", "Elm", "no\x00te", member="chair"), "note"),
    "return notes": (lambda s, rid: s.submit_return("boss", "Acme Trust", "2026Q3", _return_rows(),
                                                    notes="n\x00"), "notes"),
    "return row notes": (lambda s, rid: s.submit_return("boss", "Acme Trust", "2026Q3",
                                                        _return_rows(notes="x\x00")), "notes"),
    "score comment": (lambda s, rid: s.save_score("s1", s.bid_key(rid, "A1"), "Q1", 3, "c\x00"), "comment"),
    "display name": (lambda s, rid: s.add_member("boss", "pat", role="panel", display_name="P\x00t"),
                     "display_name"),
    "count of 2^31": (lambda s, rid: s.submit_return("boss", "Acme Trust", "2026Q3",
                                                     _return_rows(referrals=float(BIG))), "referrals"),
    "round id of 2^31": (lambda s, rid: s.round_info(BIG), "id"),
    "bid key of 2^31": (lambda s, rid: s.bid_answers("boss", BIG), "id"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_nul_and_overflowing_numbers_are_the_same_clean_error_on_both_backends(panel, case):
    store, rid = panel
    act, column = CASES[case]
    rows = len(store.audit_log("boss"))
    with pytest.raises(InputError) as err:
        act(store, rid)
    assert err.value.column == column
    assert "NUL character" in str(err.value) or f"{BIG} is too large to store" in str(err.value)
    assert len(store.audit_log("boss")) == rows          # nothing half-written


def test_a_nul_username_at_sign_in_is_refused_and_counted(panel):
    store, _ = panel
    for _ in range(FREE_ATTEMPTS["username"]):
        assert auth.authenticate(store, "cha\x00ir", CHAIR_PW, client="ip:192.0.2.1") is None
    with pytest.raises(LoginLocked):
        auth.authenticate(store, "cha\x00ir", CHAIR_PW, client="ip:192.0.2.2")
    assert auth.authenticate(store, "chair", CHAIR_PW, client="ip:192.0.2.3") is not None   # not the real one
    log = store.audit_log("boss")
    assert log["entity"].tolist()[-2] == "sign-in (unknown username)"
    for i in range(FREE_ATTEMPTS["client"]):             # a NUL in the client id is counted too
        auth.authenticate(store, f"nobody{i}", "wrong password!", client="ip:\x00")
    with pytest.raises(LoginLocked):
        auth.authenticate(store, "somebody", "wrong password!", client="ip:\x00")
