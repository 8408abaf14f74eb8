"""Issue 12 in the app (Streamlit AppTest): bidder text is shown as typed, never rendered as
Markdown or HTML; a data set that fails to load tells the public only that, never where or why."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from commissioning import auth
from commissioning.store import open_store
from commissioning.web import appdata
from commissioning.web.text import escape_markdown

TIMEOUT = 60
PASSWORD = "a-long-test-password"  # test accounts only
PIXEL = "![x](http://host/pixel.png)"
REFUGE_LAT = "51.52481"  # S003, a refuge, line 4 of data/services.csv


def markdown_texts(at: AppTest) -> list[str]:
    """The text of every element Streamlit renders as Markdown (titles, headings, text, alerts)."""
    kinds = ("title", "header", "subheader", "markdown", "caption", "info", "error", "warning", "success")
    texts = [element.value for kind in kinds for element in getattr(at, kind)]
    return texts + [e.label for e in at.expander]


def page(name: str, user: auth.User | None) -> AppTest:
    at = AppTest.from_file(f"../../app_pages/{name}.py", default_timeout=TIMEOUT)
    if user is not None:
        at.session_state["user"] = user
    return at.run()


def test_markdown_escape_shows_text_as_typed():
    assert escape_markdown(PIXEL) == "!\\[x\\](http:\u2060//host/pixel.png)"
    assert escape_markdown("<img src=x onerror=alert(1)>\n# big") == r"\<img src=x onerror=alert(1)\> \# big"
    assert escape_markdown("- **Hope & Care**") == r"\- \*\*Hope \& Care\*\*"
    assert escape_markdown(":red[alert] 1. x") == r":red\[alert\] 1. x"  # no directive without its [
    # ordinary text is left as typed
    assert escape_markdown("Women's Advocacy (fictional): NE-01") == "Women's Advocacy (fictional): NE-01"
    assert escape_markdown(None) == ""
    # issue 22: GitHub-style autolinks (www., http:// and e-mail addresses, which Streamlit links
    # however they are escaped) are broken by a word joiner (checked in Chromium: no link rendered)
    assert escape_markdown("Acme www.evil.example") == "Acme www\u2060.evil.example"
    assert escape_markdown("info@evil.example") == "info@\u2060evil.example"


def test_pixel_organisation_name_is_not_an_image_on_the_scoring_page(tmp_path, monkeypatch):
    bids = pd.read_csv(appdata.EXAMPLE_DIR / "bids.csv", dtype=str, keep_default_na=False)
    bids.loc[0, "organisation"] = PIXEL
    bids.loc[0, "lot"] = "**bold lot**"
    bids_csv = tmp_path / "bids.csv"
    bids.to_csv(bids_csv, index=False)
    location = tmp_path / "app.sqlite"
    store = open_store(location)
    auth.create_user(store, "admin", "commissioner", PASSWORD)
    auth.create_user(store, "pat", "panel", PASSWORD)
    round_id = store.import_round_from_csv("admin", "Round <b>one</b>", bids_csv)
    store.assign("admin", "pat", store.bid_key(round_id, bids.loc[0, "bid_id"]))
    store.close()
    monkeypatch.setenv("COMMISSIONING_DB", str(location))
    at = page("scoring", auth.User("pat", "panel"))
    assert not at.exception, [e.value for e in at.exception]
    texts = markdown_texts(at)
    live = re.compile(r"(?<!\\)(\]\(|<b>|\*\*bold)")  # a link or image, HTML or emphasis not escaped
    assert not any(live.search(t) for t in texts), texts
    heading = next(t for t in (s.value for s in at.header) if "pixel" in t)
    assert heading == escape_markdown(f"{bids.loc[0, 'bid_id']}: {PIXEL}")


@pytest.fixture
def broken_data(tmp_data_dir, tmp_path, monkeypatch):
    """A data directory whose refuge latitude is malformed, served to the app."""
    path = tmp_data_dir / "services.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(f",{REFUGE_LAT},", f",{REFUGE_LAT} N,", 1),
                    encoding="utf-8")
    monkeypatch.setenv("COMMISSIONING_DATA", str(tmp_data_dir))
    location = tmp_path / "app.sqlite"
    store = open_store(location)
    for name, role in (("admin", "commissioner"), ("pat", "panel"), ("cat", "chair")):
        auth.create_user(store, name, role, PASSWORD)  # the app re-reads the session's user from the store
    store.close()
    monkeypatch.setenv("COMMISSIONING_DB", str(location))
    return tmp_data_dir


@pytest.mark.parametrize("user", [None, auth.User("pat", "panel"), auth.User("cat", "chair")])
def test_public_panel_and_chair_see_only_that_the_data_could_not_be_loaded(broken_data, user):
    at = page("priorities", user)
    assert [e.value for e in at.error] == ["The data could not be loaded."]
    shown = "\n".join(markdown_texts(at))
    assert REFUGE_LAT not in shown and str(broken_data) not in shown and "services.csv" not in shown


def test_commissioner_sees_where_the_data_is_wrong_but_not_the_coordinate(broken_data):
    at = page("coverage", auth.User("admin", "commissioner"))
    (error,) = [e.value for e in at.error]
    assert "services" in error and "line 4" in error and "lat" in error
    assert REFUGE_LAT not in "\n".join(markdown_texts(at))
