"""AppTest: the commissioner's Contracts page (issue 23): contracts created from the locked round
once the standstill has ended, a year of returns rated against the KPIs with the extension
evidence, extending (audited) and the next round's gap with the contracts in place."""

from __future__ import annotations

import pytest
from locked_round import NORTH_EAST, locked_round, returns_csv
from streamlit.testing.v1 import AppTest
from test_app import page_text

from commissioning import auth
from commissioning.returns.reader import read_returns

TIMEOUT = 120
BOSS = auth.User("boss", "commissioner")


@pytest.fixture
def store(tmp_path, monkeypatch):
    location = tmp_path / "app.sqlite"
    store, _ = locked_round(location)
    (tmp_path / "r.csv").write_text(returns_csv())
    store.submit_returns("boss", read_returns(tmp_path / "r.csv", ["idva", "isva", "refuge"]),
                         basis="illustrative", approve=True)
    monkeypatch.setenv("COMMISSIONING_DB", str(location))
    monkeypatch.delenv("COMMISSIONING_ADMIN_USER", raising=False)
    monkeypatch.delenv("COMMISSIONING_ADMIN_PASSWORD", raising=False)
    yield store
    store.close()


def page(user: auth.User | None) -> AppTest:
    at = AppTest.from_file("../../app_pages/contracts.py", default_timeout=TIMEOUT)
    if user is not None:
        at.session_state["user"] = user
    return at.run()


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_the_loop_on_the_contracts_page(store, monkeypatch):
    monkeypatch.setenv("COMMISSIONING_NOW", "2027-09-20T12:00:00+01:00")
    at = page(BOSS)
    ok(at)
    assert "No contracts yet" in page_text(at)
    at.checkbox(key="contracts_illustrative").check()
    at.button(key="contracts_create").click().run()
    ok(at)
    assert "Created 3 contracts from Victim support 2027." in page_text(at)
    assert [r["supplier"] for r in store.contracts_list("boss").to_dict("records")][0] == NORTH_EAST

    monkeypatch.setenv("COMMISSIONING_NOW", "2029-01-15T09:00:00+00:00")
    at = page(BOSS)
    ok(at)
    text = page_text(at)
    assert "Illustrative data" in text
    ratings = at.dataframe[2].value
    year = ratings.loc[ratings["Period"] == "2028"].set_index("Indicator")
    assert year.loc["at most 10% of referrals refused for lack of capacity", "Rating"] == "not met"
    assert year.loc["at most 10% of referrals refused for lack of capacity", "Figure"] == (
        "13.0%, 95% interval 10.3% to 16.4%, 60 of 460, against 10%")
    assert year.loc["at most 5 days median wait from referral to first contact", "Rating"] == "met"
    assert "In 2028, 1 of 4 KPIs was met" in text
    # the next round's gap: IDVA provision is the contracts' 7 + 5 + 4 = 16 FTE
    gap = at.dataframe[3].value.set_index("Service")
    idva = gap.loc[[s for s in gap.index if s.startswith("IDVA")][0]]
    assert idva["Provision"] == 16
    assert idva["Provision from"] == "contracts in place on 15 January 2029 (3 contracts, illustrative)"

    at.button(key="contract_extend").click().run()
    ok(at)
    assert "now ends on 30 September 2031" in page_text(at)
    log = store.audit_log("boss")
    assert (log["action"] == "contract.extend").sum() == 1


@pytest.mark.parametrize("role", ["chair", "panel", "provider", None])
def test_only_commissioners_open_the_contracts_page(store, role):
    user = None if role is None else auth.User(f"x-{role}", role)
    at = page(user)
    assert not at.dataframe and "Contracts" not in [t.value for t in at.title]
