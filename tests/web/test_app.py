"""Streamlit AppTest tests: every page renders on the embedded data, and each audience sees only
what it may (public page free of bids, scores and refuge coordinates; a panel member sees only
assigned, non-conflicted bids; commissioner pages closed to the public and the panel)."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from commissioning import auth
from commissioning.needs.coverage_classes import COVERAGE_COLOURS
from commissioning.needs.dataset import load_dataset
from commissioning.procurement.bid_files import read_bids
from commissioning.store import open_store
from commissioning.web import appdata, webmap

APP = "../../app.py"
TIMEOUT = 60
ADMIN, CHAIR, PANEL, OTHER = "admin", "chair", "pat", "sam"
PASSWORD = "a-long-test-password"  # test accounts only


@pytest.fixture(scope="module")
def example_bids():
    return read_bids(appdata.EXAMPLE_DIR / "bids.csv")


@pytest.fixture(scope="module")
def template_db(tmp_path_factory, example_bids):
    """A store built once per module: four accounts, the example round (in moderation), and a
    'Test round' in scoring where pat is assigned NE-01, NE-02 and S-01 but then declares a
    conflict with S-01's organisation; sam scores NE-01 Q1 privately."""
    location = tmp_path_factory.mktemp("db") / "template.sqlite"
    store = open_store(location)
    auth.create_user(store, ADMIN, "commissioner", PASSWORD)
    for name, role in ((CHAIR, "chair"), (PANEL, "panel"), (OTHER, "panel")):
        auth.create_user(store, name, role, PASSWORD)
    appdata.first_run(store, env={appdata.DEMO_ENV: "1"})               # imports the example round
    rid = store.import_round_from_csv(ADMIN, "Test round", appdata.EXAMPLE_DIR / "bids.csv")
    for ref in ("NE-01", "NE-02", "S-01"):
        store.assign(ADMIN, PANEL, store.bid_key(rid, ref))
        store.assign(ADMIN, OTHER, store.bid_key(rid, ref))
    s01_org = example_bids.loc[example_bids["bid_id"] == "S-01", "organisation"].iloc[0]
    store.declare_conflict(PANEL, s01_org, "I am a trustee")
    store.save_score(OTHER, store.bid_key(rid, "NE-01"), "Q1", 2, "sam's private comment")
    store.close()                                  # checkpoints the WAL into the file
    return location, rid


@pytest.fixture
def store(tmp_path, monkeypatch, template_db):
    """A fresh copy of the template store for one test, named by COMMISSIONING_DB."""
    location = tmp_path / "app.sqlite"
    shutil.copyfile(template_db[0], location)
    monkeypatch.setenv("COMMISSIONING_DB", str(location))
    monkeypatch.delenv("COMMISSIONING_ADMIN_USER", raising=False)
    monkeypatch.delenv("COMMISSIONING_ADMIN_PASSWORD", raising=False)
    store = open_store(location)
    store.test_round = template_db[1]
    yield store
    store.close()


def app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def login(at: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    at.sidebar.text_input(key="login_username").input(username)
    at.sidebar.text_input(key="login_password").input(password)
    at.sidebar.button[0].click().run()
    return at


def as_user(page: str, username: str, role: str) -> AppTest:
    """Run one page file on its own with a user already in the session (bypassing navigation)."""
    at = AppTest.from_file(f"../../app_pages/{page}.py", default_timeout=TIMEOUT)
    at.session_state["user"] = auth.User(username, role)
    return at.run()


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def page_text(at: AppTest) -> str:
    """Everything the page shows as text: every element's protobuf, plus every table's cells."""
    parts = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    parts += [frame.value.to_csv() for frame in at.dataframe]
    return "\n".join(parts)


class _TableReader(HTMLParser):
    """Reads ``<table>`` markup back into rows of cell texts (links as their text), with captions."""

    def __init__(self):
        super().__init__()
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "tr":
            self.tables[-1]["rows"].append([])
        elif tag in ("th", "td"):
            self._cell = []
        elif tag == "caption":
            self._caption = []

    def handle_endtag(self, tag):
        if tag in ("th", "td"):
            self.tables[-1]["rows"][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "caption":
            self.tables[-1]["caption"] = "".join(self._caption)
            self._caption = None

    def handle_data(self, data):
        for part in (self._cell, self._caption):
            if part is not None:
                part.append(data)


def html_tables(at: AppTest) -> list[pd.DataFrame]:
    """The page's HTML tables (``st.html``, ``commissioning.web.htmltable``) read back from their
    markup: the cells as the browser shows them (text), headed by the first row, with the caption
    in ``.attrs["caption"]``."""
    reader = _TableReader()
    for element in at.html:
        reader.feed(element.proto.body)
    frames = []
    for table in reader.tables:
        frame = pd.DataFrame(table["rows"][1:], columns=table["rows"][0])
        frame.attrs["caption"] = table["caption"]
        frames.append(frame)
    return frames


def html_table(at: AppTest, column: str) -> pd.DataFrame:
    """The page's one HTML table with ``column`` among its headers."""
    found = [t for t in html_tables(at) if column in t.columns]
    assert len(found) == 1, f"{len(found)} tables with a column {column!r}"
    return found[0]


PUBLIC_TABS = ("Priorities", "How bids are scored", "Timetable", "Data sources")


def open_tab(at: AppTest, label: str) -> AppTest:
    """Open one of the public page's tabs and rerun (the page draws only the open tab)."""
    at.session_state["public_tab"] = label
    return at.run()


def svg_maps(at: AppTest) -> list[str]:
    """The inline SVG maps (``commissioning.web.svgmap``) on the page, as markup."""
    return [m.value for m in at.markdown if "<svg" in m.value]


def svg_map(at: AppTest) -> str:
    maps = svg_maps(at)
    assert maps, "no map on the page"
    return maps[0]


def fills(svg: str) -> list[str]:
    return re.findall(r'<path fill="(#[0-9a-f]{6})"', svg)


# ---------------------------------------------------------------------------------------------
# Public
# ---------------------------------------------------------------------------------------------

def test_public_page_logged_out_shows_priorities_rules_and_timetable(store):
    at = app().run()
    no_exception(at)
    assert [t.value for t in at.title] == ["Published priorities"]
    assert auth.allowed_pages("public") == ["priorities", "satisfaction", "performance"]
    # the Priorities tab is open first, and only its content is drawn
    assert [t.label for t in at.tabs] == list(PUBLIC_TABS)
    assert "Group" in html_table(at, "Group") and not [t for t in html_tables(at) if "Points in total" in t]
    # published 15 January 2027, invited 20 April 2027: 95 days, more than three calendar months
    assert any("meeting the rule" in s.value for s in at.success)
    open_tab(at, "How bids are scored")
    no_exception(at)
    # default.yaml: weights quality 60, social value 10, price 30; Q1 carries 60 x 20 / 100 = 12 points
    assert "quality 60%, social value 10%, price 30%" in page_text(at)
    criteria = html_table(at, "Points in total")
    assert criteria.set_index("Id").loc["Q1", "Points in total"] == "12"
    open_tab(at, "Timetable")
    timetable = html_table(at, "Milestone").set_index("Milestone")["Date"]
    assert timetable["Priorities and scoring rules published"] == "15 January 2027"
    assert timetable["Bids invited"] == "20 April 2027"
    assert any("Illustrative data" in w.value for w in at.warning)
    # The data sources are cited on the public page, from data/sources.yaml.
    sources = html_table(open_tab(at, "Data sources"), "Licence").set_index("Source")
    # issue 16: the Census is cited as the ONS's own tables, not as a third-party copy
    census = sources.loc[[s for s in sources.index if s.startswith("Census 2021: TS001")][0]]
    assert census["Publisher"] == "Office for National Statistics (ONS)" and census["Illustrative"] == "no"
    assert "Open Government Licence v3.0" in census["Licence"]
    assert sources.loc[sources["Illustrative"] == "yes"].shape[0] >= 1


def test_public_page_has_no_bid_score_or_refuge_coordinate(store, example_bids):
    at = app().run()
    text = "\n".join(page_text(open_tab(at, label)) for label in PUBLIC_TABS)
    for ref, organisation in zip(example_bids["bid_id"], example_bids["organisation"]):
        assert ref not in text and organisation not in text
    assert "well evidenced" not in text and "sam's private comment" not in text   # score comments
    refuges = load_dataset().services.query("service == 'refuge'")
    assert len(refuges) > 0
    for lat, lon in zip(refuges["lat"], refuges["lon"]):
        for digits in (3, 4, 5):
            assert f"{lat:.{digits}f}" not in text and f"{lon:.{digits}f}" not in text
    assert not svg_maps(at)


def test_public_priorities_pdf_builds_with_progress(store):
    at = app().run()
    at.button(key="build_priorities").click().run()
    no_exception(at)
    assert not at.error
    assert [b.label for b in at.download_button] == ["Download published priorities PDF"]


def test_public_and_panel_cannot_reach_commissioner_pages(store):
    # Opened by its URL, a page the role may not open shows only the guard's message (the menu
    # does not list it: the page is registered hidden, so that a link can ask for a sign-in).
    at = app().run()
    at.switch_page("app_pages/coverage.py").run()
    no_exception(at)
    assert len(at.error) == 1 and "Commissioner" in at.error[0].value and "log in" in at.error[0].value
    assert not svg_maps(at) and not at.dataframe and not at.title
    login(at, PANEL)
    assert auth.allowed_pages("panel") == ["priorities", "satisfaction", "performance", "scoring"]
    at.switch_page("app_pages/moderation.py").run()
    assert len(at.error) == 1 and "you are signed in as Panel member" in at.error[0].value
    assert not at.dataframe and not at.title
    # Each page's own guard (auth.require), run directly without the navigation:
    for page in ("coverage", "lots", "panel_setup", "moderation", "exports"):
        for who, role in ((PANEL, "panel"), (None, "public")):
            at = AppTest.from_file(f"../../app_pages/{page}.py", default_timeout=TIMEOUT)
            if who:
                at.session_state["user"] = auth.User(who, role)
            at.run()
            no_exception(at)
            assert len(at.error) == 1 and "Commissioner" in at.error[0].value
            assert not svg_maps(at) and not at.dataframe and not at.title


def test_wrong_password_is_refused(store):
    at = login(app().run(), PANEL, "not-the-password")
    assert any("Wrong username or password" in e.value for e in at.error)
    assert "user" not in at.session_state


# ---------------------------------------------------------------------------------------------
# Commissioner
# ---------------------------------------------------------------------------------------------

def test_coverage_page_map_table_and_measure_switch(store):
    at = login(app().run(), ADMIN)
    no_exception(at)
    assert [t.value for t in at.title] == ["Coverage"]
    svg = svg_map(at)
    assert len(fills(svg)) == 33
    # each authority's hover text is its name and the five figure lines, escaped
    titles = re.findall(r"<path [^>]*><title>([^<]*)</title>", svg)
    assert len(titles) == 33 and titles[0].startswith("City of London\nProvision: ")
    assert all(t.count("\n") == 5 for t in titles)
    # IDVA points: the 43 non-confidential IDVA services in data/services.csv
    assert svg.count("<circle ") == 43
    table = at.dataframe[0].value
    assert len(table) == 33 and "Coverage %" in table.columns
    assert [b.label for b in at.download_button] == ["Download the full table (CSV)"]
    # coverage classes and colours are the status's (as in the PDFs), the legend names the status
    # and the map's text alternative gives the counts and the worst-served figures
    assert set(fills(svg)) <= set(COVERAGE_COLOURS)
    legend = next(h.proto.body for h in at.get("html") if "Red: under 60%" in h.proto.body)
    assert "Amber: 60% to under 90%" in legend and "Reds are below the benchmark" in legend
    # provision is the resolver's: the store's approved example returns (2026Q3) for IDVA
    from commissioning.returns.provision import assess_with_provision
    idva = assess_with_provision(load_dataset(), store.approved_returns()).gaps.query("service == 'idva'")
    worst = idva.sort_values("coverage_pct").iloc[0]
    assert f"Worst served: {worst['name']} {worst['coverage_pct']:.0f}%" in svg
    fills_before = fills(svg)
    at.radio(key="coverage_measure").set_value("shortfall").run()
    no_exception(at)
    assert fills(svg_map(at)) != fills_before and set(fills(svg_map(at))) <= set(webmap.SEQUENTIAL)
    at.radio(key="coverage_measure").set_value("access").run()
    no_exception(at)
    assert any("more within reach (better)" in h.proto.body for h in at.get("html"))


def test_coverage_refuge_map_has_no_refuge_location(store):
    at = login(app().run(), ADMIN)
    at.selectbox(key="coverage_service").set_value("refuge").run()
    no_exception(at)
    svg = svg_map(at)
    assert len(fills(svg)) == 33 and "<circle" not in svg     # outlines only: no refuge point
    # Nowhere on the page, map included, does a refuge's coordinate appear (even rounded to ~100 m).
    raw = page_text(at) + svg
    refuges = load_dataset().services.query("service == 'refuge'")
    def shown(number: str) -> bool:   # as a number of its own, not digits inside another (a table's bytes)
        return re.search(rf"(?<![\d.]){re.escape(number)}(?!\d)", raw) is not None

    for lat, lon in zip(refuges["lat"], refuges["lon"]):
        assert not shown(f"{lat:.3f}") and not shown(f"{lon:.3f}")
    assert any("never shown" in c.value for c in at.caption)


def test_lots_page_k_scenario_and_allocator(store):
    at = login(app().run(), ADMIN)
    at.switch_page("app_pages/lots.py").run()
    no_exception(at)
    at.slider(key="lots_k").set_value(3).run()
    no_exception(at)
    lots = next(f.value for f in at.dataframe if "Authorities" in f.value.columns)
    assert len(lots) == 3 and lots["Authorities"].sum() == 33   # every authority in exactly one lot
    assert len(re.findall(r"<text [^>]*>Lot \d</text>", svg_map(at))) == 3   # one label per lot
    at.selectbox(key="scenario_service").set_value("idva")
    at.number_input(key="scenario_delta").set_value(2.0)
    at.multiselect(key="scenario_areas").set_value(["Hackney"])
    at.button(key="FormSubmitter:scenario_add-Add change").click().run()
    no_exception(at)
    scenario = next(f.value for f in at.dataframe if "Provision after" in f.value.columns
                    and "Status after" in f.value.columns)
    hackney = scenario.loc[scenario["Authority"] == "Hackney"].iloc[0]
    # +2 FTE in Hackney alone: provision rises by exactly 2
    assert hackney["Provision after"] - hackney["Provision before"] == pytest.approx(2.0, abs=0.011)
    at.number_input(key="alloc_posts").set_value(3.0)
    at.selectbox(key="alloc_step").set_value(1.0)
    at.button(key="FormSubmitter:allocate-Allocate").click().run()
    no_exception(at)
    allocation = next(f.value for f in at.dataframe if "Added (FTE)" in f.value.columns)
    assert allocation["Added (FTE)"].sum() == pytest.approx(3.0)


def test_commissioner_pages_render(store):
    at = login(app().run(), ADMIN)
    for page, title in (("moderation", "Moderation and ranking"), ("exports", "Exports"),
                        ("priorities", "Published priorities")):
        at.switch_page(f"app_pages/{page}.py").run()
        no_exception(at)
        assert [t.value for t in at.title] == [title]


# ---------------------------------------------------------------------------------------------
# Panel member
# ---------------------------------------------------------------------------------------------

def test_panel_member_sees_only_assigned_unconflicted_bids_and_score_is_saved(store):
    at = login(app().run(), PANEL)
    no_exception(at)
    assert [t.value for t in at.title] == ["Scoring"]
    labels = at.selectbox(key="scoring_bid").options
    # assigned NE-01, NE-02, S-01; S-01 withdrawn by the conflict declaration
    assert len(labels) == 2
    assert any("NE-01" in s for s in labels) and any("NE-02" in s for s in labels)
    assert not any("S-01" in s for s in labels)
    assert "sam's private comment" not in page_text(at)
    # 2 bids x 9 panel criteria (Q1-Q6 and SV1-SV3 in default.yaml) = 18 scores to do
    assert "0 of 18" in at.get("progress")[0].proto.text

    key = store.bid_key(store.test_round, "NE-01")
    at.selectbox(key="scoring_bid").set_value(key).run()
    at.radio(key=f"score_{key}_Q1").set_value(3)
    at.text_area(key=f"comment_{key}_Q1").input("Good local evidence on under-served groups")
    at.button(key=f"save_scores_{key}").click().run()
    no_exception(at)
    assert not at.error
    mine = store.my_scores(PANEL)
    assert mine[["bid_id", "criterion", "score", "comment"]].values.tolist() == [
        ["NE-01", "Q1", 3.0, "Good local evidence on under-served groups"]]
    assert "1 of 18" in at.get("progress")[0].proto.text


def test_score_without_comment_is_not_saved(store):
    at = login(app().run(), PANEL)
    key = store.bid_key(store.test_round, "NE-01")
    at.selectbox(key="scoring_bid").set_value(key).run()
    at.radio(key=f"score_{key}_Q2").set_value(4)
    at.button(key=f"save_scores_{key}").click().run()
    assert any("Q2: a score needs a comment" in e.value for e in at.error)
    assert store.my_scores(PANEL).empty


# ---------------------------------------------------------------------------------------------
# Chair and moderation
# ---------------------------------------------------------------------------------------------

def test_chair_records_moderated_score_and_sees_ranking(store):
    at = login(app().run(), CHAIR)
    no_exception(at)
    assert [t.value for t in at.title] == ["Moderation and ranking"]
    example = next(i for i, n in zip(store.rounds()["id"], store.rounds()["name"]) if n == appdata.EXAMPLE_ROUND)
    at.selectbox(key="moderation_round").set_value(example).run()
    no_exception(at)
    assert any(s.value.startswith("Lot ") for s in at.header)
    at.selectbox(key="mod_bid").set_value("NE-01").run()
    at.selectbox(key="mod_criterion").set_value("Q3").run()
    # beside the form: the bid's answer and each panel member's score with its comment
    text = page_text(at)
    assert "(Illustrative answer)" in text
    _, _, scores, _ = store.engine_inputs(CHAIR, next(i for i, n in zip(store.rounds()["id"], store.rounds()["name"])
                                                      if n == appdata.EXAMPLE_ROUND))
    given = scores.loc[(scores["bid_id"] == "NE-01") & (scores["criterion"] == "Q3")]
    listed = next(m.value for m in at.markdown if m.value.startswith("- **"))
    assert len(given) == 3 and listed.count("\n- **") == 2
    assert all(f"**{r.scorer}: {r.score:g}**" in listed for r in given.itertuples())
    # no default score: a note and a click record nothing
    assert at.number_input(key="mod_score").value is None
    at.text_area(key="mod_note").input("Agreed at the panel meeting")
    at.text_area(key="mod_reason").input("The answer gives little evidence of partnership working")
    at.button(key="FormSubmitter:moderate-Check before recording").click().run()
    assert any("Choose the moderated score" in e.value for e in at.error)
    _, _, _, moderation = store.engine_inputs(ADMIN, example)
    assert len(moderation) == 2                                       # the example's two, no new one
    # chosen, checked, then confirmed
    at.number_input(key="mod_score").set_value(2.0)
    at.button(key="FormSubmitter:moderate-Check before recording").click().run()
    assert any("Record **2** for bid **NE-01** on **Q3**?" in m.value for m in at.markdown)
    assert len(store.engine_inputs(ADMIN, example)[3]) == 2           # not yet
    at.button(key="mod_confirm").click().run()
    no_exception(at)
    assert any("Moderated score 2 recorded for NE-01 Q3" in s.value for s in at.success)
    record = store.moderation_record(ADMIN, example).set_index(["bid_id", "criterion"]).loc[("NE-01", "Q3")]
    assert (record["score"], record["note"], record["reason"]) == (
        2.0, "Agreed at the panel meeting", "The answer gives little evidence of partnership working")


def test_commissioner_locks_round_and_exports_awards(store):
    at = login(app().run(), ADMIN)
    at.switch_page("app_pages/moderation.py").run()
    example = next(i for i, n in zip(store.rounds()["id"], store.rounds()["name"]) if n == appdata.EXAMPLE_ROUND)
    at.selectbox(key="moderation_round").set_value(example).run()
    assert "mod_bid" not in [w.key for w in at.selectbox]     # only the chair records moderation
    at.button[[b.label for b in at.button].index("Lock the round")].click().run()
    at.button[[b.label for b in at.button].index("Yes, lock it")].click().run()
    no_exception(at)
    # refused while flags are open, naming the bids
    refusal = " ".join(e.value for e in at.error)
    assert "cannot lock" in refusal and "NE-03 (abnormally low price" in refusal and "W-02 (Q4" in refusal
    assert store.rounds().set_index("id").loc[example, "state"] == "moderation"
    # the commissioner records the clarification and the decisions on the Rounds page
    at.switch_page("app_pages/rounds.py").run()
    at.selectbox(key="rounds_round").set_value(example).run()
    at.selectbox(key="clar_bid").set_value("NE-03")
    at.text_area(key="clar_q").input("Please explain how the price covers the posts")
    at.button(key="FormSubmitter:clarify-Send the question").click().run()
    no_exception(at)
    # the example's bids were imported from files: their bidders have no account, so the answer
    # received outside the app is recorded here
    at.text_area(key="clar_open_answer").input("Volunteer-supported model; appendix D")
    at.button(key="FormSubmitter:clar_answer-Record the answer").click().run()
    no_exception(at)
    assert store.clarifications(ADMIN, example)["answer"].tolist() == ["Volunteer-supported model; appendix D"]
    for bid in ("NE-03", "W-02"):
        at.selectbox(key="resolve_bid").set_value(bid)
        at.text_area(key="resolve_note").input(f"Decision on {bid}: accepted after review")
        at.button(key="FormSubmitter:resolve-Record the decision").click().run()
        no_exception(at)
    assert store.flag_decisions(ADMIN, example)["bid_id"].tolist() == ["NE-03", "W-02"]
    assert any("can be locked" in s.value for s in at.success)
    at.switch_page("app_pages/moderation.py").run()
    at.selectbox(key="moderation_round").set_value(example).run()
    at.button[[b.label for b in at.button].index("Lock the round")].click().run()
    at.button[[b.label for b in at.button].index("Yes, lock it")].click().run()
    no_exception(at)
    assert store.rounds().set_index("id").loc[example, "state"] == "locked"
    labels = [b.label for b in at.download_button]
    assert "Download ranking CSV" in labels
    # no rank-1 bid of the example round is flagged, so the awards export is offered at once
    assert "Download awards JSON" in labels and "Download awards CSV" in labels
    # The awards come from the store's awards function alone: no selection of "cleared" bids on the
    # page; the decisions recorded above rank NE-03 and W-02, quoted in their reasons.
    assert not [w for w in at.multiselect if w.key == "aw_cleared"]
    ranking = pd.concat([d.value for d in at.dataframe if "Status" in d.value.columns]).set_index("Bid")
    assert ranking.loc[["NE-03", "W-02"], "Status"].tolist() == ["ranked", "ranked"]
    assert ranking.loc["NE-03", "Reasons"].endswith("decided: Decision on NE-03: accepted after review")


# ---------------------------------------------------------------------------------------------
# Panel set-up and conflicts of interest
# ---------------------------------------------------------------------------------------------

def panel_setup(store) -> AppTest:
    """The commissioner on the Panel set-up page with the 'Test round' selected."""
    at = login(app().run(), ADMIN)
    at.switch_page("app_pages/panel_setup.py").run()
    at.selectbox(key="panel_round").set_value(store.test_round).run()
    no_exception(at)
    assert [t.value for t in at.title] == ["Panel set-up"]
    return at


def organisation(example_bids, ref: str) -> str:
    return example_bids.loc[example_bids["bid_id"] == ref, "organisation"].iloc[0]


def test_commissioner_adds_member_and_assigns_bid_which_member_then_scores(store, example_bids):
    at = panel_setup(store)
    at.text_input(key="add_username").input("lee")
    at.text_input(key="add_name").input("Lee Example")
    at.radio(key="add_role").set_value("chair")
    at.text_input(key="add_password").input(PASSWORD)
    at.text_input(key="add_repeat").input(PASSWORD + "!")
    at.button(key="FormSubmitter:panel_add-Add member").click().run()
    assert any("the two passwords differ" in e.value for e in at.error)
    assert "lee" not in set(store.account_list()["username"])

    at.text_input(key="add_username").input("lee")
    at.text_input(key="add_name").input("Lee Example")
    at.radio(key="add_role").set_value("chair")
    at.text_input(key="add_password").input(PASSWORD)
    at.text_input(key="add_repeat").input(PASSWORD)
    at.button(key="FormSubmitter:panel_add-Add member").click().run()
    no_exception(at)
    assert not at.error
    assert any("Added lee (Panel chair)" in s.value for s in at.success)
    assert auth.authenticate(store, "lee", PASSWORD) == auth.User("lee", "chair")

    ne03 = store.bid_key(store.test_round, "NE-03")
    at.selectbox(key="assign_member").set_value("lee").run()
    at.multiselect(key="assign_bids").set_value([ne03]).run()
    at.button(key="assign_button").click().run()
    no_exception(at)
    assert not at.error
    assert store.bids_for_scorer("lee")["bid_id"].tolist() == ["NE-03"]
    # the panel table shows the new chair with the one bid
    table = next(f.value for f in at.dataframe if "Bids assigned" in f.value.columns).set_index("Username")
    assert table.loc["lee", ["Name", "Role", "Bids assigned", "Bids"]].tolist() == [
        "Lee Example", "Panel chair", 1, "NE-03"]

    member = login(app().run(), "lee")      # a chair lands on moderation; the bid is on Scoring
    member.switch_page("app_pages/scoring.py").run()
    no_exception(member)
    assert member.selectbox(key="scoring_bid").options == [
        f"NE-03 — {organisation(example_bids, 'NE-03')} (lot North East)"]


def test_commissioner_sets_password_for_imported_member(store):
    at = panel_setup(store)
    assert auth.authenticate(store, "panel-a", PASSWORD) is None      # imported without one
    at.selectbox(key="pw_user").set_value("panel-a")
    at.text_input(key="pw_password").input("short")
    at.text_input(key="pw_repeat").input("short")
    at.button(key="FormSubmitter:panel_password-Set password").click().run()
    assert any("too short (5 characters)" in e.value for e in at.error)
    at.selectbox(key="pw_user").set_value("panel-a")
    at.text_input(key="pw_password").input(PASSWORD)
    at.text_input(key="pw_repeat").input(PASSWORD)
    at.button(key="FormSubmitter:panel_password-Set password").click().run()
    no_exception(at)
    assert any("Password set for panel-a" in s.value for s in at.success)
    assert auth.authenticate(store, "panel-a", PASSWORD) == auth.User("panel-a", "panel")


def test_recorded_conflict_removes_bids_and_refuses_assignment(store, example_bids):
    # sam is assigned NE-01, NE-02 and S-01 in the test round and has scored NE-01 Q1
    ne01_org = organisation(example_bids, "NE-01")
    at = panel_setup(store)
    at.selectbox(key="conflict_member").set_value(OTHER)
    at.selectbox(key="conflict_org").set_value(ne01_org)
    at.button(key="FormSubmitter:panel_conflict-Record conflict").click().run()
    assert any("needs a note" in e.value for e in at.error)            # the note is required
    assert store.conflicts(ADMIN)["username"].tolist() == [PANEL]      # only pat's, from the fixture

    at.selectbox(key="conflict_member").set_value(OTHER)
    at.selectbox(key="conflict_org").set_value(ne01_org)
    at.text_area(key="conflict_note").input("Sam's partner is its chief executive")
    at.button(key="FormSubmitter:panel_conflict-Record conflict").click().run()
    no_exception(at)
    assert not at.error
    assert store.bids_for_scorer(OTHER)["bid_id"].tolist() == ["NE-02", "S-01"]
    assert store.my_scores(OTHER).empty                                # the NE-01 Q1 score is withdrawn
    declarations = next(f.value for f in at.dataframe if "Organisation" in f.value.columns)
    assert (OTHER, ne01_org) in set(zip(declarations["Member"], declarations["Organisation"]))

    # assigning NE-01 to sam again: the store refuses and the page says why
    at.selectbox(key="assign_member").set_value(OTHER).run()
    at.multiselect(key="assign_bids").set_value([store.bid_key(store.test_round, "NE-01")]).run()
    at.button(key="assign_button").click().run()
    no_exception(at)
    assert [e.value for e in at.error] == [f"sam declared a conflict with {ne01_org}"]
    assert "NE-01" not in set(store.bids_for_scorer(OTHER)["bid_id"])


def test_panel_member_declares_conflict_and_loses_that_bid(store, example_bids):
    ne02_org = organisation(example_bids, "NE-02")
    at = login(app().run(), PANEL)                  # pat: NE-01 and NE-02 (S-01 already declared)
    at.selectbox(key="declare_org").set_value(ne02_org)
    at.button(key="FormSubmitter:declare_conflict-Declare conflict").click().run()
    assert any("needs a note" in e.value for e in at.error)
    assert len(at.selectbox(key="scoring_bid").options) == 2

    at.selectbox(key="declare_org").set_value(ne02_org)
    at.text_area(key="declare_note").input("I volunteered there last year")
    at.button(key="FormSubmitter:declare_conflict-Declare conflict").click().run()
    no_exception(at)
    assert any(f"Conflict with {ne02_org} declared" in s.value for s in at.success)
    labels = at.selectbox(key="scoring_bid").options
    assert len(labels) == 1 and labels[0].startswith("NE-01")
    assert store.bids_for_scorer(PANEL)["bid_id"].tolist() == ["NE-01"]
    mine = store.my_conflicts(PANEL)
    assert mine["organisation"].tolist() == [organisation(example_bids, "S-01"), ne02_org]
    # 1 bid x 9 panel criteria left to score
    assert "0 of 9" in at.get("progress")[0].proto.text


def test_commissioner_takes_bid_back_and_member_no_longer_sees_it(store):
    # sam is assigned NE-01, NE-02 and S-01 in the test round (in scoring) and has scored NE-01 Q1
    ne01 = store.bid_key(store.test_round, "NE-01")
    at = panel_setup(store)
    at.selectbox(key="unassign_member").set_value(OTHER).run()
    assert not at.checkbox                          # scoring: withdrawing needs no confirmation
    at.multiselect(key="unassign_bids").set_value([ne01]).run()
    at.button(key="unassign_button").click().run()
    no_exception(at)
    assert not at.error
    assert any("Took 1 bid back from sam" in s.value for s in at.success)
    assert store.bids_for_scorer(OTHER)["bid_id"].tolist() == ["NE-02", "S-01"]
    assert store.my_scores(OTHER).empty             # the NE-01 Q1 score went with it ...
    withdrawn = store.audit_log(ADMIN, store.test_round).query("action == 'score.withdraw'")
    assert withdrawn["old_value"].tolist() == ['{"comment": "sam\'s private comment", "score": 2.0}']  # ... kept here

    member = login(app().run(), OTHER)
    no_exception(member)
    labels = member.selectbox(key="scoring_bid").options
    assert len(labels) == 2 and not any(label.startswith("NE-01") for label in labels)


def test_taking_back_scored_bid_in_moderation_needs_confirmation(store):
    example = int(store.rounds().set_index("name").loc[appdata.EXAMPLE_ROUND, "id"])   # in moderation
    ne01 = store.bid_key(example, "NE-01")
    at = panel_setup(store)
    at.selectbox(key="panel_round").set_value(example).run()
    at.selectbox(key="unassign_member").set_value("panel-a").run()
    at.multiselect(key="unassign_bids").set_value([ne01]).run()
    assert [c.label for c in at.checkbox] == [
        "Withdraw panel-a's scores for NE-01 (the audit log keeps them)"]
    at.button(key="unassign_button").click().run()  # not ticked: the store refuses
    no_exception(at)
    assert [e.value for e in at.error] == [(
        "moderation is open and panel-a has scored NE-01: confirm that those scores are withdrawn "
        "(the audit log keeps them)")]
    scored = store.all_scores(ADMIN, example).query("scorer == 'panel-a' and bid_id == 'NE-01'")
    assert len(scored) == 9                          # Q1-Q6 and SV1-SV3, none lost
    at.checkbox(key="unassign_confirm").check().run()
    at.button(key="unassign_button").click().run()
    no_exception(at)
    assert not at.error
    assert store.all_scores(ADMIN, example).query("scorer == 'panel-a' and bid_id == 'NE-01'").empty
    assert "NE-01" not in set(store.assignments(ADMIN, example).query("username == 'panel-a'")["bid_id"])


def test_commissioner_deactivates_member_who_then_cannot_log_in(store):
    assert auth.authenticate(store, PANEL, PASSWORD) == auth.User(PANEL, "panel")
    at = panel_setup(store)
    at.selectbox(key="active_user").set_value(PANEL).run()
    at.button(key="FormSubmitter:panel_deactivate-Deactivate member").click().run()
    assert any("needs a note" in e.value for e in at.error)          # the note is required
    assert auth.authenticate(store, PANEL, PASSWORD) is not None

    at.selectbox(key="active_user").set_value(PANEL).run()
    at.text_area(key="deactivate_note").input("Left the panel in June")
    at.button(key="FormSubmitter:panel_deactivate-Deactivate member").click().run()
    no_exception(at)
    assert not at.error
    assert any(f"Deactivated {PANEL}" in s.value for s in at.success)
    table = next(f.value for f in at.dataframe if "Bids assigned" in f.value.columns).set_index("Username")
    # pat keeps NE-01 and NE-02 (S-01 went with the conflict), shown as deactivated
    assert table.loc[PANEL, ["Status", "Can sign in", "Bids"]].tolist() == [
        "deactivated", "no: deactivated", "NE-01, NE-02"]
    assert table.loc[OTHER, "Status"] == "active"

    # assigning pat another bid: the store refuses and the page says why
    at.selectbox(key="assign_member").set_value(PANEL).run()
    at.multiselect(key="assign_bids").set_value([store.bid_key(store.test_round, "NE-03")]).run()
    at.button(key="assign_button").click().run()
    assert [e.value for e in at.error] == ["pat's account is deactivated: no new assignments"]

    refused = login(app().run(), PANEL)
    assert any("Wrong username or password" in e.value for e in refused.error)
    assert "user" not in refused.session_state


def test_only_the_commissioner_opens_panel_set_up(store):
    for who, role in ((PANEL, "panel"), (CHAIR, "chair")):
        with pytest.raises(auth.AccessDenied, match="Commissioner"):
            auth.require(auth.User(who, role), "panel_setup")
        assert "panel_setup" not in auth.allowed_pages(role)
        at = as_user("panel_setup", who, role)
        no_exception(at)
        assert len(at.error) == 1 and not at.title and not at.text_input and not at.dataframe
    at = login(app().run(), CHAIR)
    at.switch_page("app_pages/panel_setup.py").run()   # by its URL: hidden from the chair's menu, guarded
    no_exception(at)
    assert len(at.error) == 1 and "Commissioner" in at.error[0].value and not at.title and not at.dataframe


def test_evaluation_pdf_from_exports_lists_panel_and_conflicts(store, example_bids):
    import io

    from pypdf import PdfReader

    example = next(i for i, n in zip(store.rounds()["id"], store.rounds()["name"]) if n == appdata.EXAMPLE_ROUND)
    ne03_org = organisation(example_bids, "NE-03")
    store.declare_conflict(ADMIN, ne03_org, "panel-b worked there until 2025", member="panel-b")
    at = login(app().run(), ADMIN)
    at.switch_page("app_pages/exports.py").run()
    at.selectbox(key="export_round").set_value(example).run()
    at.button(key=f"build_evaluation_{example}").click().run()
    no_exception(at)
    assert not at.error
    pdf = at.session_state[f"pdf_evaluation_{example}"]
    pages = [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]
    section = next((p for p in pages if "Conflicts declared before scoring" in p), "no conflicts section")
    # example round panel: panel-a, panel-b, panel-c -> Scorer A, B, C (sorted identifiers)
    assert all(f"Scorer {tag} Panel member" in section for tag in "ABC")
    # panel-b's declaration, its note pseudonymised; pat (not on this round's panel) declared a
    # conflict with S-01's organisation in the fixture, which also bids in this round
    assert f"Scorer B {ne03_org} Scorer B worked there until 2025" in section
    assert f"Scorer (not on the panel) {organisation(example_bids, 'S-01')} I am a trustee" in section
    text = " ".join(pages)
    assert "Conflict declarations were not supplied" not in text
    assert "panel-b" not in text and PANEL not in text.split()


# ---------------------------------------------------------------------------------------------
# appdata helpers (hand-worked examples)
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("consensus, spread_flag, expected", [
    # The fixture round: A1 Q1 [4, 4, 3], A1 Q2 [3, 4, 5], A2 Q2 [3, 2, 3] (the chair moderated 4),
    # A4 Q1 [1, 1, 2] (A4 fails Q1's minimum: out of the running, never flagged).
    ("median", 2, {("A1", "Q2")}),
    ("mean", 1, {("A1", "Q1"), ("A1", "Q2")}),
])
def test_spread_table_flags_what_the_ranking_flags(consensus, spread_flag, expected):
    import yaml

    from commissioning.procurement.bid_files import read_bids, read_moderation, read_scores
    from commissioning.procurement.rules import parse_rules
    from commissioning.procurement.scoring import score_bids

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "scoring"
    data = yaml.safe_load((fixture / "rules.yaml").read_text())
    data["moderation"].update(consensus=consensus, spread_flag=spread_flag)
    moderation = read_moderation(fixture / "moderation.csv")
    result = score_bids(parse_rules(data, source="rules.yaml"), read_bids(fixture / "bids.csv"),
                        read_scores(fixture / "scores.csv"), moderation)
    table = appdata.spread_table(result, moderation).set_index(["bid_id", "criterion"])
    page_open = set(table.index[table["flag"] & table["moderated"].isna()])
    ranking = {(f.bid_id, f.key.removeprefix("spread:")) for f in result.flags if f.kind == "spread"}
    assert page_open == ranking == expected
    assert "flagged" in result.table.set_index("bid_id").loc["A1", "status"]
    assert not table.loc[("A4", "Q1"), "flag"]                         # failed: not in the running
    # A2 Q2: the chair's 4 is shown as moderated and settles the spread; consensus under the rules
    assert table.loc[("A2", "Q2"), "moderated"] == 4.0
    assert table.loc[("A2", "Q2"), "note"].startswith("Panel missed the safeguarding audit evidence")
    hand = {"median": (4.0, 3.0), "mean": (11 / 3, 8 / 3)}[consensus]  # A1 Q1 and A2 Q2
    assert table.loc[[("A1", "Q1"), ("A2", "Q2")], "consensus"].tolist() == pytest.approx(hand)
    assert table.loc[("A1", "Q2"), ["scores", "n", "min", "max", "spread"]].tolist() == ["3, 4, 5", 3, 3, 5, 2]


# ---------------------------------------------------------------------------------------------
# Issue 12: open sessions follow the store; sign-in lockout; a conflicted chair
# ---------------------------------------------------------------------------------------------

def test_deactivated_member_is_signed_out_of_an_open_session(store):
    at = login(app().run(), PANEL)
    assert at.session_state["user"].username == PANEL
    assert [t.value for t in at.title] == ["Scoring"]
    store.deactivate_user(ADMIN, PANEL, "Left the panel in June")
    at.run()                                              # the next page run re-reads the account
    no_exception(at)
    assert "user" not in at.session_state
    assert any("no longer active" in w.value for w in at.sidebar.warning)
    assert [t.value for t in at.title] != ["Scoring"]


def test_repeated_wrong_passwords_lock_the_sign_in(store):
    at = app().run()
    for _ in range(5):
        login(at, PANEL, "not-the-password")
    login(at, PANEL)                                      # the right password, but locked out now
    no_exception(at)
    assert any("Too many failed sign-ins" in e.value for e in at.sidebar.error)
    assert "user" not in at.session_state
    log = store.audit_log(ADMIN)
    assert (log["action"] == "login.failed").sum() == 4 and (log["action"] == "login.locked").sum() == 1


def test_conflicted_chair_does_not_see_that_bid_on_moderation(store, example_bids):
    org = example_bids.loc[example_bids["bid_id"] == "NE-01", "organisation"].iloc[0]
    store.declare_conflict(CHAIR, org, "My sister runs it")
    at = login(app().run(), CHAIR)
    example = next(i for i, n in zip(store.rounds()["id"], store.rounds()["name"]) if n == appdata.EXAMPLE_ROUND)
    at.selectbox(key="moderation_round").set_value(example).run()
    no_exception(at)
    assert any("declared a conflict of interest" in w.value for w in at.warning)
    assert "NE-01" not in at.selectbox(key="mod_bid").options
    assert "NE-02" in at.selectbox(key="mod_bid").options
    assert not any("NE-01" in e.label for e in at.expander)
    assert all("NE-01" not in set(f.value.get("Bid", [])) for f in at.dataframe)


def test_declarations_matching_no_bid_are_flagged_on_panel_set_up_and_scoring(store, example_bids):
    s01_org = example_bids.loc[example_bids["bid_id"] == "S-01", "organisation"].iloc[0]
    store.declare_conflict(OTHER, s01_org.upper() + " (fictional)", "matches S-01 however typed")
    store.declare_conflict(OTHER, "Rowan Trust", "not bidding, or a typo")
    at = panel_setup(store)
    assert any("1 declaration(s) match no bid" in w.value for w in at.warning)
    flagged = next(f.value for f in at.dataframe if "Organisation as declared" in f.value.columns)
    assert flagged.values.tolist() == [[OTHER, "Rowan Trust"]]
    member = login(app().run(), OTHER)
    no_exception(member)
    assert any("1 of your declarations match no bid" in w.value for w in member.warning)
