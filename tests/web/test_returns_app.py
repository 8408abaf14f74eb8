"""AppTest: the provider's Quarterly returns page (form and upload, only its own returns, the
commissioner's query), the commissioner's Returns review (late, large jumps, approve, query) and the
public Quarterly performance page (suppressed tables, chart with a text alternative, PDF and HTML)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_app import page_text

from commissioning import auth
from commissioning.needs.dataset import load_dataset
from commissioning.store import open_store
from commissioning.web import appdata

TIMEOUT = 90
PASSWORD = "a-long-test-password"
ORG = "Sahara Sisters (illustrative)"          # one of the example providers
OTHER_ORG = "Hearthstone Advocacy (illustrative)"


@pytest.fixture(scope="module")
def template_db(tmp_path_factory):
    location = tmp_path_factory.mktemp("db") / "returns.sqlite"
    store = open_store(location)
    auth.create_user(store, "boss", "commissioner", PASSWORD)
    auth.create_user(store, "sahara", "provider", PASSWORD, organisation=ORG)
    appdata.first_run(store, env={appdata.DEMO_ENV: "1"})            # loads the illustrative example returns
    store.close()
    return location


@pytest.fixture
def store(tmp_path, monkeypatch, template_db):
    location = tmp_path / "app.sqlite"
    shutil.copyfile(template_db, location)
    monkeypatch.setenv("COMMISSIONING_DB", str(location))
    monkeypatch.delenv("COMMISSIONING_ADMIN_USER", raising=False)
    monkeypatch.delenv("COMMISSIONING_ADMIN_PASSWORD", raising=False)
    s = open_store(location)
    yield s
    s.close()


def page(name: str, user: auth.User | None) -> AppTest:
    at = AppTest.from_file(f"../../app_pages/{name}.py", default_timeout=TIMEOUT)
    if user is not None:
        at.session_state["user"] = user
    return at.run()


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


PROVIDER = auth.User("sahara", "provider")
BOSS = auth.User("boss", "commissioner")


def test_provider_sees_only_its_own_returns_and_sends_one_by_form(store):
    at = page("returns", PROVIDER)
    ok(at)
    assert [t.value for t in at.title] == ["Quarterly returns"]
    mine = at.dataframe[0].value
    assert set(mine["Quarter"]) == {"2025Q4", "2026Q1", "2026Q2", "2026Q3"}
    text = page_text(at)
    assert OTHER_ORG not in text
    at.selectbox(key="returns_quarter").set_value("2026Q4").run()
    form = pd.DataFrame([{"service": "idva", "borough": "Hackney", "capacity": 2.0, "referrals": 30,
                          "referrals_refused": 40, "cases_open": None, "waiting_days_median": None,
                          "clients_surveyed": None, "clients_satisfied": None, "notes": ""}])
    from commissioning.web import returnsdata as rd

    with pytest.raises(rd.InputError) as err:     # the page's own check, row by row
        rd.rows_from_form(form, ORG, "2026Q4", load_dataset().service_types)
    assert err.value.line == 1 and err.value.column == "referrals_refused"
    form.loc[0, "referrals_refused"] = 4
    rows = rd.rows_from_form(form, ORG, "2026Q4", load_dataset().service_types)
    store.submit_return("sahara", ORG, "2026Q4", rows)
    at = page("returns", PROVIDER)
    ok(at)
    assert "awaiting review" in set(at.dataframe[0].value["Status"])


def test_provider_upload_of_a_bad_file_names_row_and_column(store, tmp_path):
    at = page("returns", PROVIDER)
    from commissioning.web import returnsdata as rd

    bad = ("provider,service,quarter,code,capacity,referrals,referrals_refused,cases_open,waiting_days_median,"
           f"clients_surveyed,clients_satisfied\n{ORG},idva,2026Q4,Hackny,2,3,,,,,\n").encode()
    with pytest.raises(rd.InputError) as err:
        rd.rows_from_upload("mine.csv", bad, load_dataset().service_types)
    assert str(err.value).startswith("mine.csv, line 2, column 'code'")
    ok(at)


def test_provider_sees_the_commissioners_query(store):
    store.query_return("boss", "2026Q3", ORG, "Please check **Hackney** <b>referrals</b>.")
    at = page("returns", PROVIDER)
    ok(at)
    assert any("queried your return for 2026Q3" in w.value for w in at.warning)
    assert "Please check **Hackney** <b>referrals</b>." in [t.value for t in at.text]   # shown as plain text


def test_review_shows_late_and_jumps_and_approves(store):
    at = page("returns_review", BOSS)
    ok(at)
    assert [t.value for t in at.title] == ["Returns review"]
    review = at.dataframe[0].value
    assert "LATE" in set(review["Late"])
    assert "awaiting review" in set(review["Status"]) and "queried: please correct" in set(review["Status"])
    waiting = review.loc[review["Status"] == "awaiting review", "Organisation"].iloc[0]
    at.selectbox(key="review_provider").set_value(waiting).run()
    ok(at)
    changes = next(f.value for f in at.dataframe if "Large jump" in f.value.columns)
    assert (changes["Large jump"] == "yes").any()        # the example's capacity jump is flagged
    at.button(key="review_approve").click().run()
    ok(at)
    assert any("Approved" in s.value for s in at.success)
    assert store.returns_list("boss", "2026Q3").set_index("provider").loc[waiting, "status"] == "approved"
    at.text_area(key="review_note").input("Refused referrals look high.").run()
    at.button(key="review_query").click().run()
    ok(at)
    assert store.returns_list("boss", "2026Q3").set_index("provider").loc[waiting, "query_note"] == \
        "Refused referrals look high."


def test_review_page_is_closed_to_providers_and_the_public(store):
    for user in (PROVIDER, None):
        at = page("returns_review", user)
        assert at.error and "Commissioner" in at.error[0].value
    at = page("returns", None)
    assert at.error and "Support organisation" in at.error[0].value


def test_public_quarterly_performance_page(store):
    at = page("performance", None)
    ok(at)
    assert [t.value for t in at.title] == ["Quarterly performance"]
    assert at.selectbox(key="performance_quarter").value == "2026Q3"
    assert "Illustrative data" in at.warning[0].value
    text = page_text(at)
    assert "suppressed" in text and "London-wide services" in text
    assert "Text description: Line charts by quarter." in text
    figure = next(h.proto.body for h in at.get("html") if "<img" in h.proto.body)
    assert 'alt="Line charts by quarter.' in figure
    clients = next(f.value for f in at.dataframe if "95% interval" in f.value.columns)
    assert clients.iloc[-1]["Area"] == "London"
    # Only approved returns: the queried and unreviewed ones' organisations appear nowhere, and no refuge
    # location or provider's own row is shown.
    refuges = load_dataset().services.query("service == 'refuge'")
    for lat in refuges["lat"]:
        assert f"{lat:.4f}" not in text
    for org in store.approved_returns()["provider"].unique():
        assert org not in text
    at.button(key="build_performance_2026Q3").click().run()
    at.button(key="build_performance_html_2026Q3").click().run()
    ok(at)
    labels = [b.label for b in at.download_button]
    assert "Download 2026Q3 figures (PDF)" in labels and "Download 2026Q3 figures (HTML)" in labels
    assert at.session_state["pdf_performance_2026Q3"][:5] == b"%PDF-"
    html = at.session_state["pdf_performance_html_2026Q3"].decode("utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<caption>Clients satisfied by borough" in html
    assert not any(org in html for org in store.approved_returns()["provider"].unique())
