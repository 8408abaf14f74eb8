"""The Coverage page's totals are sums of unrounded figures, as the CLI and the PDFs give them.

Regression: the page summed its display table, whose figures are rounded to 0.1, and showed IDVA
provision as 151.5 FTE where `assess` says 151.6 (hand check below: the 33 rounded provisions add
up to 151.5, the unrounded ones to 151.6).
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from commissioning import auth
from commissioning.needs.assessment import run_assessment
from commissioning.needs.dataset import load_dataset
from commissioning.store import open_store
from commissioning.web import appdata


@pytest.fixture
def coverage(tmp_path, monkeypatch):
    monkeypatch.setenv("COMMISSIONING_DB", str(tmp_path / "app.sqlite"))
    monkeypatch.setenv(appdata.DEMO_ENV, "1")      # the app's first run loads the illustrative example returns
    store = open_store(tmp_path / "app.sqlite")      # the session's user must be an active account
    auth.create_user(store, "admin", auth.COMMISSIONER, "a-long-test-password")
    store.close()
    at = AppTest.from_file("../../app_pages/coverage.py", default_timeout=60)
    at.session_state["user"] = auth.User("admin", auth.COMMISSIONER)
    return at.run()


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_rounding_first_would_give_a_different_total():
    gaps = run_assessment(load_dataset()).gaps
    idva = gaps.loc[gaps["service"] == "idva"]
    assert f"{idva['provision'].sum():.1f}" == "151.6"
    assert f"{appdata.coverage_table(gaps, 'idva')['provision'].sum():.1f}" == "151.5"


def test_coverage_totals_are_computed_before_rounding(coverage, tmp_path):
    """The page's store holds the illustrative example returns (first run with the demo asked for), so its provision is the
    resolver's (approved returns of 2026Q3, the latest quarter); its totals are the unrounded sums:
    ISVA need 126.1 FTE, where the 33 rounded rows add up to 126.0, LD IDVA need 14.8 (14.9 rounded)."""
    from commissioning.returns.provision import assess_with_provision

    assert not coverage.exception
    store = open_store(tmp_path / "app.sqlite")
    try:
        assessment = assess_with_provision(load_dataset(), store.approved_returns())
    finally:
        store.close()
    assert assessment.provision["isva"].startswith("reported in returns (2026Q3")
    totals = assessment.totals.set_index("service")
    for service in ("idva", "isva", "ld_advocate"):
        coverage.selectbox(key="coverage_service").set_value(service).run()
        shown = metrics(coverage)
        assert shown["Provision (FTE)"] == f"{totals.loc[service, 'provision']:,.1f}"
        assert shown["Need (FTE)"] == f"{totals.loc[service, 'need']:,.1f}"
        assert shown["Coverage"] == f"{totals.loc[service, 'coverage_pct']:.0f}%"
    isva = appdata.coverage_table(assessment.gaps, "isva")
    assert f"{totals.loc['isva', 'need']:.1f}" == "126.1" and f"{isva['need'].sum():.1f}" == "126.0"
    coverage.selectbox(key="coverage_service").set_value("isva").run()
    assert metrics(coverage)["Need (FTE)"] == "126.1"
