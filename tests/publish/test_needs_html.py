"""Issue 16: the needs assessment's HTML version carries every chapter the PDF has (demand over time,
need over the contract period, provision over time), parsed here: headings, tables with captions
and header cells, charts whose text alternatives carry the figures, computed in this file from the
data files, and "estimated" marks. The same chapters in the PDF: test_trends_pdf.py and
test_returns_documents.py."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from commissioning.demand.contract import contract_from_rules
from commissioning.needs.assessment import run_assessment
from commissioning.needs.dataset import load_dataset
from commissioning.procurement.rules import load_rules
from commissioning.returns.reader import read_returns

TYPES = ["idva", "isva", "refuge", "ld_advocate"]


class Page(HTMLParser):
    """The parts of a page the tests read: headings (level, text), tables (caption, column headers,
    rows of cell texts, whether the first cells are row headers), figures (alt, caption) and notices
    (class, text), in order."""

    def __init__(self, text: str):
        super().__init__()
        self.headings, self.tables, self.figures, self.notices = [], [], [], []
        self._text: list[str] | None = None
        self._where = ""
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("h2", "h3", "caption", "th", "td", "figcaption"):
            self._text, self._where = [], tag
            self._scope = attrs.get("scope")
        elif tag == "table":
            self.tables.append({"caption": "", "columns": [], "rows": [], "row_headers": True})
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag == "img":
            self.figures.append({"alt": attrs.get("alt", ""), "caption": ""})
        elif tag == "div" and "notice" in attrs.get("class", ""):
            self.notices.append({"class": attrs["class"], "text": ""})
            self._text, self._where = [], "notice"

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if self._text is None and tag != "tr":
            return
        text = "".join(self._text or [])
        if tag in ("h2", "h3"):
            self.headings.append((tag, text))
        elif tag == "caption":
            self.tables[-1]["caption"] = text
        elif tag == "th" and self._scope == "col":
            self.tables[-1]["columns"].append(text)
        elif tag in ("th", "td"):
            if not self._row and (tag != "th" or self._scope != "row"):
                self.tables[-1]["row_headers"] = False
            self._row.append(text)
        elif tag == "tr" and self.tables and getattr(self, "_row", None):
            self.tables[-1]["rows"].append(self._row)
            self._row = []
        elif tag == "figcaption":
            self.figures[-1]["caption"] = text
        elif tag == "div" and self._where == "notice":
            self.notices[-1]["text"] = text
        else:
            return
        if tag != "tr":
            self._text = None


@pytest.fixture(scope="module")
def page():
    from commissioning.publish.pdf.needs import build_needs_html

    returns = read_returns("data/returns/returns_illustrative.csv", TYPES).assign(basis="illustrative")
    html = build_needs_html(run_assessment(load_dataset()), dpi=30, date=dt.date(2026, 12, 2),
                            contract=contract_from_rules(load_rules()), returns=returns)
    return html, Page(html)


def table(page: Page, starts: str) -> dict:
    return next(t for t in page.tables if t["caption"].startswith(starts))


def test_every_chapter_is_in_the_html_and_no_pointer_to_the_pdf(page):
    html, parsed = page
    headings = parsed.headings
    for chapter in ("Demand over time", "Accessibility", "Published lots: need, provision and the gap",
                    "Provision over time"):
        assert ("h2", chapter) in headings
    for section in ("Violence against women and girls (VAWG) offences", "Rape and other sexual offences",
                    "Need over the contract period", "IDVA (Independent Domestic Violence Adviser)",
                    "Learning-disability IDVA"):
        assert ("h3", section) in headings
    assert (headings.index(("h2", "Demand over time")) < headings.index(("h3", "Need over the contract period"))
            < headings.index(("h2", "Accessibility")))
    assert "PDF version" not in html
    # every table has a caption and column headers, its first cells row headers
    assert all(t["caption"] and t["columns"] and t["row_headers"] for t in parsed.tables)
    assert all(f["alt"].strip() and f["caption"] for f in parsed.figures)
    estimated = [n for n in parsed.notices if "estimated" in n["class"]]
    assert any("forecasts of demand and of need in future contract years" in n["text"] for n in estimated)
    assert all(n["text"].startswith("ESTIMATED FIGURES.") for n in estimated)


def byar(count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Byar's 95% interval of Poisson counts (the formula, written out again here)."""
    z = 1.959964
    lower = count * (1 - 1 / (9 * count) - z / (3 * np.sqrt(count))) ** 3
    upper = (count + 1) * (1 - 1 / (9 * (count + 1)) + z / (3 * np.sqrt(count + 1))) ** 3
    return lower, upper


@pytest.mark.parametrize("file, measure, words", [
    ("mps_vawg_monthly.csv", "vawg_offences", "violence against women and girls (VAWG) offences"),
    ("mps_sexual_offences_monthly.csv", "sexual_offences", "rape and other sexual offences"),
])
def test_trend_charts_alt_text_carries_the_figures(page, file, measure, words):
    _, parsed = page
    series = pd.read_csv(f"data/series/{file}", dtype={"month": str})
    population = pd.read_csv("data/population.csv").set_index("code")["population"]
    months = sorted(series["month"].unique())
    last12 = series.loc[series["month"].isin(months[-12:])].groupby(["code", "name"])[measure].sum().reset_index()
    last12["rate"] = 100_000 * last12[measure] / last12["code"].map(population)
    london = 100_000 * last12[measure].sum() / last12["code"].map(population).sum()
    lower, upper = byar(last12[measure].to_numpy(float))
    factor = 100_000 / last12["code"].map(population).to_numpy()
    higher, lower_n = int((lower * factor > london).sum()), int((upper * factor < london).sum())
    top, bottom = last12.loc[last12["rate"].idxmax()], last12.loc[last12["rate"].idxmin()]
    end = pd.Period(months[-1], "M").strftime("%B %Y")

    dots = next(f["alt"] for f in parsed.figures if f["alt"].startswith(f"Dot chart of each borough's rate of {words}"))
    assert f"in the 12 months to {end}" in dots and f"against the London rate of {london:,.0f}" in dots
    assert f"Highest: {top['name']} {top['rate']:,.0f}; lowest: {bottom['name']} {bottom['rate']:,.0f}." in dots
    assert f"Significantly higher than London ({higher}):" in dots
    assert f"Significantly lower than London ({lower_n}):" in dots
    assert f"Similar to London ({len(last12) - higher - lower_n}):" in dots

    monthly = series.groupby("month")[measure].sum().sort_index().iloc[-60:]
    fan = next(f for f in parsed.figures if f["alt"].startswith(f"Line chart of {words} a month in London"))
    assert (f"between {monthly.min():,.0f} and {monthly.max():,.0f} a month, {monthly.iloc[-1]:,.0f} in {end}"
            in fan["alt"])
    assert "Forecast (estimated)" in fan["alt"] and "The contract period, October 2027 to September 2032" in fan["alt"]
    assert fan["caption"].startswith("Estimated. Forecast for London")

    title = words[0].upper() + words[1:]
    rates = table(parsed, f"{title} by borough")
    assert rates["columns"] == ["Authority", "12 months", "Rate per 100,000", "95% interval", "Against London",
                                "Change"]
    rows = {r[0]: r for r in rates["rows"]}
    assert rows[top["name"]][1] == f"{top[measure]:,.0f}" and rows[top["name"]][2] == f"{top['rate']:,.0f}"
    assert all("-" not in r[5] for r in rates["rows"])     # a falling count has a minus sign, not a hyphen


def test_need_over_the_contract_period_table(page):
    _, parsed = page
    need = table(parsed, "Need in each contract year")
    assert need["columns"] == ["Service", "Contract year", "Need (central)", "80% range", "95% range",
                               "Provision today"]
    years = [r[1] for r in need["rows"]]
    assert "Year 1: 2027-10 to 2028-09" in years and "Year 5 (extension): 2031-10 to 2032-09" in years
    assert "(estimated)" in need["caption"]


def test_provision_over_time_chart_alt_and_tables(page):
    _, parsed = page
    returns = pd.read_csv("data/returns/returns_illustrative.csv")
    idva = returns.loc[returns["service"] == "idva"].groupby("quarter")[["referrals", "referrals_refused"]].sum()
    alt = next(f["alt"] for f in parsed.figures if f["caption"].startswith("IDVA in London by quarter"))
    for quarter, r in idva.iterrows():   # London's refused share: refused over referrals, all IDVA providers
        assert re.search(rf"{quarter} coverage \d+%, refused {100 * r.referrals_refused / r.referrals:.0f}%, "
                         r"waiting \d+\.\d days", alt), alt
    london = table(parsed, "IDVA in London by quarter")
    assert london["columns"] == ["Quarter", "Coverage", "Referrals refused", "Median days to contact"]
    assert [r[0] for r in london["rows"]] == list(idva.index)
    boroughs = table(parsed, "IDVA (Independent Domestic Violence Adviser): coverage of need by borough")
    assert boroughs["columns"] == ["Borough"] + [f"Coverage {q}" for q in idva.index]
    assert len(boroughs["rows"]) == 33
