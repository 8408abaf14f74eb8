"""The Demand over time page (commissioner only), through Streamlit AppTest."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_app import html_table

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
    at = AppTest.from_file("../../app_pages/trends.py", default_timeout=TIMEOUT)
    at.session_state["user"] = auth.User(username, role)
    return at.run()


def test_trends_page_shows_rates_forecast_and_contract_need(accounts):
    at = run_page()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Demand over time"]
    info = " ".join(i.value for i in at.info)
    assert "Estimated figures." in info and "Marac cases" in info  # the banner names the estimated measure
    assert "**Estimated.** The forecast is an estimate" in info
    assert "**Estimated.** Need in each year of the contract" in info
    rates = html_table(at, "Rate per 100k")
    assert len(rates) == 33 and rates["Area"].iloc[-1] == "London (32 boroughs)"
    assert set(rates["Against London"].iloc[:-1]) <= {"significantly higher", "similar", "significantly lower"}
    # the rate lies inside its 95% interval in every row, read back from the cells as shown
    shown = rates[["95% lower", "Rate per 100k", "95% upper"]].map(lambda c: float(c.replace(",", "")))
    assert ((shown["95% lower"] <= shown["Rate per 100k"]) & (shown["Rate per 100k"] <= shown["95% upper"])).all()
    accuracy = html_table(at, "80% interval coverage")
    assert accuracy["Error vs seasonal naive (median borough)"].iloc[0] == "1.00"  # the baseline itself
    assert all(c.endswith("%") for c in accuracy["80% interval coverage"])
    need = html_table(at, "Need (central)")
    isva = need.loc[need["Service"] == "ISVA"]
    low, central = (isva[c].map(lambda v: float(v.replace(",", ""))) for c in ("95% low", "Need (central)"))
    assert len(isva) == 5 and (low <= central).all()
    # two charts, drawn as SVG with their text alternatives; the first one's hover text for the
    # latest month carries the same rate and interval as the table's row for the borough shown
    charts = [m.value for m in at.markdown if 'class="cchart"' in m.value]
    assert len(charts) == 2 and all('role="img" aria-label="Line chart of ' in c for c in charts)
    borough = at.selectbox(key="trend_borough")
    row = rates.set_index("Area").loc[borough.options[borough.index]]
    month = pd.Timestamp(at.caption[0].value.rsplit("in the 12 months to ", 1)[1].rstrip(".")).strftime("%b %Y")
    assert (f"<title>{row.name}, 12 months to {month}: {row['Rate per 100k']} per 100,000 (95% interval "
            f"{row['95% lower']} to {row['95% upper']})</title>") in charts[0]
    assert "95% interval" in charts[1] and "80% interval" in charts[1] and "Forecast (estimated)" in charts[1]
    # another measure and borough
    at.selectbox(key="trend_measure").set_value("sexual_offences").run()
    at.selectbox(key="trend_borough").set_value("E09000012").run()
    assert not at.exception
    assert "Hackney:" in " ".join(c.value for c in at.caption)


def test_trends_page_refuses_other_roles(accounts):
    panel = run_page("sam", auth.PANEL)
    logged_out = AppTest.from_file("../../app_pages/trends.py", default_timeout=TIMEOUT).run()
    for at in (panel, logged_out):
        assert at.error and "Demand over time" not in [t.value for t in at.title]
