"""AppTest: the public Victim satisfaction page renders logged out, labels illustrative data, shows the
chart with a text alternative and tables with suppressed cells, and builds its PDF and HTML."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_app import page_text

from commissioning import auth
from commissioning.returns.layout import MEASURES
from commissioning.store import open_store

TIMEOUT = 60


@pytest.fixture
def no_admin(monkeypatch, tmp_path):
    monkeypatch.setenv("COMMISSIONING_DB", str(tmp_path / "app.sqlite"))
    monkeypatch.delenv("COMMISSIONING_ADMIN_USER", raising=False)
    monkeypatch.delenv("COMMISSIONING_ADMIN_PASSWORD", raising=False)


def test_public_can_open_the_page_from_the_navigation(no_admin):
    assert auth.can_open(auth.PUBLIC, "satisfaction")
    at = AppTest.from_file("../../app.py", default_timeout=TIMEOUT).run()
    assert not at.exception
    at.switch_page("app_pages/satisfaction.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Victim satisfaction"]


def test_page_shows_headline_chart_tables_and_labels(no_admin):
    at = AppTest.from_file("../../app_pages/satisfaction.py", default_timeout=TIMEOUT).run()
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
    clients = frames[("Area", "Providers", "Clients asked", "Satisfied", "95% interval", "Basis")]
    # The returns publication's table (one computation): London is the sum of the rows above it.
    asked = clients.set_index("Area")["Clients asked"].str.replace(",", "").astype(int)
    assert asked["London"] == asked.drop("London").sum() and "London-wide services" in asked.index
    groups = frames[("Group", "Area", "Respondents", "Satisfied", "95% interval", "Basis")]
    assert groups.set_index("Group").loc["Vulnerable, not acknowledged by police", "Satisfied"] == "suppressed"
    baseline = frames[("Group", "Satisfied", "12 months to", "Source")]
    assert baseline.set_index("Group").loc["All victims", "Satisfied"] == "74%"


def test_page_changes_quarter_and_builds_documents(no_admin):
    at = AppTest.from_file("../../app_pages/satisfaction.py", default_timeout=TIMEOUT).run()
    at.selectbox[0].select("2026Q2").run()
    assert not at.exception
    assert "12 months to June 2026" in page_text(at)
    at.button(key="build_satisfaction_html_2026Q2").click().run()
    at.button(key="build_satisfaction_2026Q2").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["pdf_satisfaction_html_2026Q2"].startswith(b"<!DOCTYPE html>")
    assert at.session_state["pdf_satisfaction_2026Q2"][:5] == b"%PDF-"


def client_return(code: str, surveyed: int, satisfied: int) -> pd.DataFrame:
    return pd.DataFrame([{"service": "idva", "code": code, "capacity": 2.0, "clients_surveyed": surveyed,
                          "clients_satisfied": satisfied, **{m: math.nan for m in MEASURES
                                                             if m not in ("capacity", "clients_surveyed",
                                                                          "clients_satisfied")}}])


def test_client_satisfaction_comes_from_the_stores_approved_returns(no_admin, tmp_path):
    store = open_store(tmp_path / "app.sqlite")
    store.create_user("boss", "long-password-1")
    # Acme's real return for Hackney is approved; Hope's is only submitted, so it does not count
    store.submit_return("boss", "Acme Trust", "2026Q3", client_return("E09000012", 120, 90), approve=True)
    store.submit_return("boss", "Hope Refuges", "2026Q3", client_return("E09000007", 200, 20))
    at = AppTest.from_file("../../app_pages/satisfaction.py", default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    clients = next(f.value for f in at.dataframe if "Clients asked" in f.value.columns).set_index("Area")
    # Hackney and London are both Acme's one return: 90 of 120 = 75.0%
    assert sorted(clients.index) == ["Hackney", "London"]
    assert clients.loc["Hackney", ["Providers", "Clients asked", "Satisfied", "Basis"]].tolist() == \
        ["1", "120", "75.0%", "real"]
    assert clients.loc["London", "Satisfied"] == "75.0%"
    text = " ".join(m.value for m in at.markdown)
    assert "come from the providers' approved quarterly returns" in text and "embedded example" not in text
    assert "provider returns (service users)" not in at.warning[0].value   # the police survey stays illustrative

    # an approved illustrative return for Camden: Camden and London (which sums both) are illustrative
    store.submit_return("boss", "Hope Refuges", "2026Q3", client_return("E09000007", 80, 60), basis="illustrative",
                        approve=True)
    store.close()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    clients = next(f.value for f in at.dataframe if "Clients asked" in f.value.columns).set_index("Area")
    assert clients["Basis"].to_dict() == {"Camden": "illustrative", "Hackney": "real", "London": "illustrative"}
    # London: (90 + 60) of (120 + 80) = 75.0% from 2 providers
    assert clients.loc["London", ["Providers", "Clients asked", "Satisfied"]].tolist() == ["2", "200", "75.0%"]
    assert "provider returns (service users)" in at.warning[0].value


def test_without_approved_returns_the_page_says_it_shows_the_illustrative_example(no_admin):
    at = AppTest.from_file("../../app_pages/satisfaction.py", default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(m.value for m in at.markdown)
    assert "No provider has an approved return yet, so these figures are the embedded example" in text
    clients = next(f.value for f in at.dataframe if "Clients asked" in f.value.columns)
    assert set(clients["Basis"]) == {"illustrative"}
