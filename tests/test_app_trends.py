"""The Demand over time page (commissioner only), through Streamlit AppTest."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from commissioning import auth

TIMEOUT = 120


def run_page(role: str = auth.COMMISSIONER) -> AppTest:
    at = AppTest.from_file("../app_pages/trends.py", default_timeout=TIMEOUT)
    at.session_state["user"] = auth.User("pat", role)
    return at.run()


def test_trends_page_shows_rates_forecast_and_contract_need():
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


def test_trends_page_refuses_other_roles():
    for role in (auth.PANEL, auth.CHAIR, auth.PUBLIC):
        at = run_page(role)
        assert at.error and "Demand over time" not in [t.value for t in at.title]
