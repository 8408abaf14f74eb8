"""The Demand over time page (commissioner only), through Streamlit AppTest."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from commissioning import auth
from commissioning.store import open_store

TIMEOUT = 120


@pytest.fixture
def accounts(tmp_path, monkeypatch):
    """A store with a commissioner (pat) and a panel member (sam): pages re-read the session's
    user from the store, so the user must have an account."""
    location = tmp_path / "app.sqlite"
    store = open_store(location)
    auth.create_user(store, "pat", auth.COMMISSIONER, "gavel-quiet-lantern")
    auth.create_user(store, "sam", auth.PANEL, "gavel-quiet-lantern")
    store.close()
    monkeypatch.setenv("COMMISSIONING_DB", str(location))


def run_page(username: str = "pat", role: str = auth.COMMISSIONER) -> AppTest:
    at = AppTest.from_file("../app_pages/trends.py", default_timeout=TIMEOUT)
    at.session_state["user"] = auth.User(username, role)
    return at.run()


def test_trends_page_shows_rates_forecast_and_contract_need(accounts):
    at = run_page()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Demand over time"]
    info = " ".join(i.value for i in at.info)
    assert "Estimated figures." in info and "marac cases" in info  # the banner names the estimated measure
    assert "**Estimated.** The forecast is an estimate" in info
    assert "**Estimated.** Need in each year of the contract" in info
    rates = next(f.value for f in at.dataframe if "Rate per 100k" in f.value.columns)
    assert len(rates) == 33 and rates["Area"].iloc[-1] == "London (32 boroughs)"
    assert set(rates["Against London"].iloc[:-1]) <= {"significantly higher", "similar", "significantly lower"}
    accuracy = next(f.value for f in at.dataframe if "80% interval coverage" in f.value.columns)
    assert accuracy["Error vs seasonal naive (median borough)"].iloc[0] == 1  # the baseline itself
    need = next(f.value for f in at.dataframe if "Need (central)" in f.value.columns)
    isva = need.loc[need["Service"] == "ISVA"]
    assert len(isva) == 5 and (isva["95% low"] <= isva["Need (central)"]).all()
    assert len(at.get("vega_lite_chart")) == 2
    # another measure and borough
    at.selectbox(key="trend_measure").set_value("sexual_offences").run()
    at.selectbox(key="trend_borough").set_value("E09000012").run()
    assert not at.exception
    assert "Hackney:" in " ".join(c.value for c in at.caption)


def test_trends_page_refuses_other_roles(accounts):
    panel = run_page("sam", auth.PANEL)
    logged_out = AppTest.from_file("../app_pages/trends.py", default_timeout=TIMEOUT).run()
    for at in (panel, logged_out):
        assert at.error and "Demand over time" not in [t.value for t in at.title]
