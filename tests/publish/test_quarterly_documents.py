"""The two quarterly publications (victim satisfaction, provider returns), each one outline rendered to
PDF and HTML: the HTML parsed (language, skip link, headings, captioned tables with header cells, the
chart's text alternative against figures worked out here from the input files), the PDF's words whole
(no word split across lines in a narrow column), and both formats from the command line."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from document_checks import Page, check_page_structure, outline_words, split_words
from pypdf import PdfReader

from commissioning.cli import main
from commissioning.publish import returns_document, satisfaction_document
from commissioning.returns.publication import build_publication as returns_publication
from commissioning.returns.reader import read_returns
from commissioning.satisfaction import publication as satisfaction

REPO = Path(__file__).resolve().parents[2]
RETURNS_CSV = REPO / "data" / "returns" / "returns_illustrative.csv"
SERVICES = ["idva", "isva", "refuge", "ld_advocate"]


@pytest.fixture(scope="module")
def satisfaction_pub():
    return satisfaction.build_publication(satisfaction.load_inputs(), "2026Q3")


@pytest.fixture(scope="module")
def returns_pub():
    return returns_publication(read_returns(RETURNS_CSV, SERVICES).assign(basis="illustrative"), "2026Q3")


# --------------------------------------------------------------------------- victim satisfaction


def wilson_pct(k: int, n: int) -> tuple[float, float]:
    """The 95% Wilson score interval in percent, written out here from Wilson (1927)."""
    z, p = 1.959964, k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return 100 * (centre - half), 100 * (centre + half)


def test_satisfaction_html_structure_and_chart_alt_from_the_input_files(satisfaction_pub):
    page = Page(satisfaction_document.build_html(satisfaction_pub))
    check_page_structure(page, "Victim satisfaction: quarterly report, 2026Q3")
    assert [t for h, t in page.headings if h == "h2"] == [
        "Contents", "Headline", "Where London started: the 2012 baseline", "London and boroughs against their targets",
        "Groups of victims", "Service users of commissioned services (provider returns (service users))",
        "Method, sources and sample sizes", "Next publication and revisions", "Glossary"]
    assert [t["caption"] for t in page.tables] == [
        "Victims satisfied, as stated in the review (real figures)",
        "Victims satisfied, 12 months to September 2026, by area",
        "Victims satisfied by group, 12 months to September 2026", "Gaps between groups (percentage points)",
        "Clients satisfied, provider returns (service users), 2026Q3", "Sources"]
    areas = page.tables[1]
    assert areas["cols"] == ["Area", "Respondents", "Satisfied", "95% interval", "Target", "Against target",
                             "Change", "Basis"]

    # the figures, from results.csv and targets.yaml (78% for every area in 2026) by hand
    with open(REPO / "data" / "satisfaction" / "results.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["period_end"] == "2026-09" and r["group"] == "all"]
    assert len(rows) == 33 and all(int(r["respondents"]) >= 50 for r in rows)    # nothing suppressed
    pct = {r["area_name"]: 100 * int(r["satisfied"]) / int(r["respondents"]) for r in rows}
    status = {"above": 0, "below": 0, "not significantly different": 0}
    for r in rows:
        low, high = wilson_pct(int(r["satisfied"]), int(r["respondents"]))
        status["above" if low >= 78 else "below" if high < 78 else "not significantly different"] += 1
    lowest, highest = min(pct, key=pct.get), max(pct, key=pct.get)
    alt = next(a["alt"] for t, a in page.tags if t == "img")
    assert alt == ("Dot chart of the percentage of victims satisfied in the 12 months to September 2026 for 33 "
                   f"areas, each with its 95% confidence interval and target: {status['above']} above target, "
                   f"{status['below']} below target, {status['not significantly different']} not significantly "
                   f"different. Lowest: {lowest} {pct[lowest]:.1f}%; highest: {highest} {pct[highest]:.1f}%. "
                   "The same figures are in the table below.")
    met = next(r for r in rows if r["area_code"] == "E23000001")
    k, n = int(met["satisfied"]), int(met["respondents"])
    low, high = wilson_pct(k, n)
    assert [c[2] for c in areas["rows"][1]][:5] == [
        "Metropolitan Police", f"{n:,}", f"{100 * k / n:.1f}%", f"{low:.1f}% to {high:.1f}%", "78%"]
    notice = next(a for t, a in page.tags if t == "div")
    assert notice == {"class": "notice", "role": "note"}


# --------------------------------------------------------------------------- provider returns


def test_returns_html_structure_and_totals_from_the_input_file(returns_pub):
    page = Page(returns_document.build_html(returns_pub))
    check_page_structure(page, "Support services for victims: quarterly figures, 2026Q3")
    labels = [returns_pub.labels[s][0] for s in returns_pub.services]
    assert [t for h, t in page.headings if h == "h2"] == ["Contents", "Headline", *labels,
                                                          "Client satisfaction (all services)", "Method",
                                                          "Next publication and revisions", "Glossary"]
    assert len(page.tables) == len(labels) + 1
    with open(RETURNS_CSV, newline="", encoding="utf-8") as f:
        quarter = [r for r in csv.DictReader(f) if r["quarter"] == "2026Q3"]
    for service, table in zip(returns_pub.services, page.tables):
        assert table["caption"].startswith(returns_pub.labels[service][0] + ": provision")
        assert table["cols"][2:4] == ["Referrals", "Refused (no capacity)"]
        rows = [r for r in quarter if r["service"] == service]
        london = table["rows"][-1]
        assert london[0] == ("th", "row", "London")
        assert london[2][2] == f"{sum(int(r['referrals']) for r in rows):,}"           # London's totals are shown
        assert london[3][2] == f"{sum(int(r['referrals_refused']) for r in rows):,}"
    clients = page.tables[-1]
    assert clients["cols"] == ["Area", "Providers", "Clients asked", "Satisfied", "95% interval", "Basis"]
    asked = sum(int(r["clients_surveyed"]) for r in quarter if r["clients_surveyed"])
    satisfied = sum(int(r["clients_satisfied"]) for r in quarter if r["clients_satisfied"])
    providers = len({r["provider"] for r in quarter if r["clients_surveyed"]})
    low, high = wilson_pct(satisfied, asked)
    assert [c[2] for c in clients["rows"][-1]] == [
        "London", str(providers), f"{asked:,}", f"{100 * satisfied / asked:.1f}%", f"{low:.1f}% to {high:.1f}%",
        "illustrative"]


# --------------------------------------------------------------------------- the PDFs' words


def test_no_word_is_split_in_the_satisfaction_pdf(satisfaction_pub):
    pdf = satisfaction_document.build_pdf(satisfaction_pub)
    outline = satisfaction_document.satisfaction_outline(satisfaction_pub, b"")
    title = "Victim satisfaction: quarterly report, 2026Q3"
    assert split_words(pdf, outline, title + " — ILLUSTRATIVE DATA", "Victim satisfaction 2026Q3 · ILLUSTRATIVE DATA") \
        == []
    assert len(outline_words(outline)) > 300


def test_no_word_is_split_in_the_returns_pdf(returns_pub):
    pdf = returns_document.build_pdf(returns_pub)
    outline = returns_document.returns_outline(returns_pub)
    assert split_words(pdf, outline, returns_pub.title + " — ILLUSTRATIVE DATA",
                       "Provider returns 2026Q3 · ILLUSTRATIVE DATA") == []


# --------------------------------------------------------------------------- the command line


def test_publish_commands_write_pdf_by_default_and_html_on_request(tmp_path, monkeypatch, capsys):
    from commissioning.store import open_store

    monkeypatch.setenv("COMMISSIONING_DB", str(tmp_path / "store.sqlite"))
    store = open_store(tmp_path / "store.sqlite")
    store.create_user("boss", "long-password-1")
    store.close()
    assert main(["returns", "import", str(RETURNS_CSV), "--by", "boss", "--approve", "--basis", "illustrative"]) == 0
    for command in (["returns", "publish"], ["satisfaction", "publish"]):
        pdf, html = tmp_path / f"{command[0]}.pdf", tmp_path / f"{command[0]}.html"
        assert main([*command, "--quarter", "2026Q3", "--out", str(pdf)]) == 0
        assert main([*command, "--quarter", "2026Q3", "--format", "html", "--out", str(html)]) == 0
        reader = PdfReader(pdf)
        assert reader.pages[0].extract_text().split("\n")[0].startswith(("Support services", "Victim satisfaction"))
        page = Page(html.read_text(encoding="utf-8"))
        assert [t for h, t in page.headings if h == "h1"] == [reader.metadata.title]
        assert f"wrote {html}" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.part"))
    assert main(["returns", "publish", "--quarter", "2026Q3", "--out", str(tmp_path / "no" / "q.pdf")]) == 2
    assert "output folder does not exist" in capsys.readouterr().err
