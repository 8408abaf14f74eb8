"""AppTest: the public Victim satisfaction page renders logged out, labels illustrative data, shows the
chart with a text alternative and tables with suppressed cells, and builds its PDF and HTML."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_app import page_text

from commissioning import auth

TIMEOUT = 60


@pytest.fixture
def no_admin(monkeypatch, tmp_path):
    monkeypatch.setenv("COMMISSIONING_DB", str(tmp_path / "app.sqlite"))
    monkeypatch.delenv("COMMISSIONING_ADMIN_USER", raising=False)
    monkeypatch.delenv("COMMISSIONING_ADMIN_PASSWORD", raising=False)


def test_public_can_open_the_page_from_the_navigation(no_admin):
    assert auth.can_open(auth.PUBLIC, "satisfaction")
    at = AppTest.from_file("../app.py", default_timeout=TIMEOUT).run()
    assert not at.exception
    at.switch_page("app_pages/satisfaction.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Victim satisfaction"]


def test_page_shows_headline_chart_tables_and_labels(no_admin):
    at = AppTest.from_file("../app_pages/satisfaction.py", default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox[0].value == "2026Q3"
    assert "Illustrative data" in at.warning[0].value
    text = page_text(at)
    assert "79.4% of victims surveyed by the Metropolitan Police were satisfied" in text
    assert "Text description: Dot chart of the percentage of victims satisfied" in text
    figure = next(h.proto.body for h in at.get("html") if "<img" in h.proto.body)
    assert 'alt="Dot chart of the percentage of victims satisfied' in figure
    frames = {tuple(f.value.columns): f.value for f in at.dataframe}
    areas = frames[("Area", "Respondents", "Satisfied", "95% interval", "Target", "Against target", "Change", "Basis")]
    assert areas.iloc[0]["Area"] == "Metropolitan Police" and len(areas) == 33
    assert set(areas["Basis"]) == {"illustrative"}
    clients = frames[("Area", "Providers", "Clients surveyed", "Satisfied", "95% interval", "Basis")]
    assert (clients["Clients surveyed"] == "suppressed").any()
    groups = frames[("Group", "Area", "Respondents", "Satisfied", "95% interval", "Basis")]
    assert groups.set_index("Group").loc["Vulnerable, not acknowledged by police", "Satisfied"] == "suppressed"
    baseline = frames[("Group", "Satisfied", "12 months to", "Source")]
    assert baseline.set_index("Group").loc["All victims", "Satisfied"] == "74%"


def test_page_changes_quarter_and_builds_documents(no_admin):
    at = AppTest.from_file("../app_pages/satisfaction.py", default_timeout=TIMEOUT).run()
    at.selectbox[0].select("2026Q2").run()
    assert not at.exception
    assert "12 months to June 2026" in page_text(at)
    at.button(key="build_satisfaction_html_2026Q2").click().run()
    at.button(key="build_satisfaction_2026Q2").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["pdf_satisfaction_html_2026Q2"].startswith(b"<!DOCTYPE html>")
    assert at.session_state["pdf_satisfaction_2026Q2"][:5] == b"%PDF-"
