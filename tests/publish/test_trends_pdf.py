"""The needs PDF's demand-over-time chapter, checked by its extracted text (pypdf)."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from pypdf import PdfReader

from commissioning.demand.contract import contract_from_rules
from commissioning.needs.assessment import assess
from commissioning.needs.dataset import load_dataset
from commissioning.procurement.rules import load_rules
from commissioning.publish.pdf.story import to_story
from commissioning.publish.pdf.style import render
from commissioning.publish.pdf.trends_chapter import trends_outline


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def chapter():
    ds = load_dataset()
    ds = ds.with_benchmarks(ds.benchmarks.with_models({"idva": "caseload"}))
    story = to_story(trends_outline(ds, assess(ds), contract_from_rules(load_rules()), dpi=72))
    pdf = render(story, title="t", subject="s", author="a", header="h")
    return ds, PdfReader(io.BytesIO(pdf))


def test_chapter_text_marks_estimates_and_compares_with_london(chapter):
    ds, reader = chapter
    text = flat(" ".join(p.extract_text() for p in reader.pages))
    assert 5 <= len(reader.pages) <= 8
    first = flat(reader.pages[0].extract_text())
    assert "Demand over time" in first and "ESTIMATED FIGURES" in first and "Marac cases" in first
    assert "Violence against women and girls (VAWG) offences" in text and "Rape and other sexual offences" in text
    # the headline sentence: the 32 boroughs' VAWG offences in the 12 months to February 2026
    vawg = pd.read_csv("data/series/mps_vawg_monthly.csv", dtype={"month": str})
    last12 = vawg.loc[vawg["month"].between("2025-03", "2026-02"), "vawg_offences"].sum()
    assert f"recorded {last12:,.0f} violence against women and girls (VAWG) offences in the 32 boroughs" in text
    assert "significantly higher" in text and "significantly lower" in text and "Byar" in text
    assert "Estimated. Forecast for London" in text and "x seasonal naive (median borough)" in text


def test_chapter_need_over_the_contract_period(chapter):
    ds, reader = chapter
    text = flat(" ".join(p.extract_text() for p in reader.pages))
    assert "Need over the contract period" in text and "The contract starts in October 2027 and runs 3 years" in text
    for year in ("Year 1: 2027-10 to 2028-09", "Year 5 (extension): 2031-10 to 2032-09"):
        assert year in text
    assert "IDVA (FTE)" in text and "ISVA (FTE)" in text  # both caseload models move with the forecasts
    assert "Refuge" in text and "held flat" in text       # rate-based needs are held flat, and say so


def test_published_priorities_carry_need_over_the_contract_period():
    from commissioning.needs.assessment import run_assessment
    from commissioning.publish.pdf.priorities import build_priorities_pdf

    ds = load_dataset()
    reader = PdfReader(io.BytesIO(build_priorities_pdf(run_assessment(ds), load_rules())))
    text = flat(" ".join(p.extract_text() for p in reader.pages))
    assert "ESTIMATED FIGURES" in flat(reader.pages[0].extract_text())
    assert "Need over the contract period" in text and "Year 5 (extension): 2031-10 to 2032-09" in text
    assert "ISVA (FTE)" in text and "held flat over the contract" in text


def test_a_forecast_chart_keeps_a_readable_scale_when_the_interval_is_very_wide():
    """Issue 24: London's VAWG 95% band (about 4,000 to 35,000 a month around some 9,000) flattened the
    recorded series; the scale stops at 1.4 times the larger of the series and the central forecast."""
    from commissioning.publish.pdf.trend_charts import readable_top

    history = pd.Series([8000.0, 9000.0, 10000.0])
    wide = pd.DataFrame({"forecast": [9500.0], "upper80": [20000.0], "upper95": [35000.0]})
    assert readable_top(history, wide) == pytest.approx(14000)          # 1.4 x 10,000
    narrow = pd.DataFrame({"forecast": [9500.0], "upper80": [11000.0], "upper95": [12000.0]})
    assert readable_top(history, narrow) == pytest.approx(11550)        # the 80% band, with 5% room
