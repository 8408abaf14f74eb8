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


def test_coverage_totals_are_computed_before_rounding(coverage):
    assert not coverage.exception
    assert metrics(coverage)["Provision (FTE)"] == "151.6"
    assert metrics(coverage)["Need (FTE)"] == "148.4"
    # Learning-disability IDVA: rounded rows sum to 7.2 FTE provision and 14.9 need; the truth is
    # 7.5 of 14.8, 51% (the CLI's Total line).
    coverage.selectbox(key="coverage_service").set_value("ld_advocate").run()
    assert metrics(coverage)["Provision (FTE)"] == "7.5"
    assert metrics(coverage)["Need (FTE)"] == "14.8"
    assert metrics(coverage)["Coverage"] == "51%"
