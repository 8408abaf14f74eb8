"""The needs assessment's chapter "Provision over time": coverage, referrals refused for lack of
capacity and waiting times per borough and London across the quarters of approved provider returns.

Additive: :func:`chapter` returns flowables that ``needs.build_needs_pdf`` appends when it is given
approved returns. Refused and waiting figures are the quarterly publication's (small counts
suppressed), so the chapter is as safe to publish as the needs assessment itself.
"""

from __future__ import annotations

import math

import pandas as pd

from commissioning.needs.dataset import Dataset
from commissioning.returns.series import LONDON_CODE, chart_alt, chart_png, over_time

INTRO = ("Commissioned providers report each quarter the capacity they have in post, the referrals they receive "
         "and those they cannot take for lack of capacity, and how long people wait for first contact. Only "
         "returns a commissioner has approved count. Coverage is provision as reported, apportioned to boroughs "
         "like any shared service, against the same need models as the rest of this assessment. Referrals refused "
         "and waiting times are suppressed where the counts are small.")


def chapter(ds: Dataset, approved: pd.DataFrame, *, dpi: int = 150) -> list:
    """Flowables for the chapter (empty when there are no approved returns)."""
    from reportlab.platypus import PageBreak, Spacer

    from commissioning.publish.pdf.style import (
        CONTENT_WIDTH,
        data_table,
        esc,
        heading,
        illustrative_mark,
        keep,
        para,
        png_image,
    )

    if approved is None or approved.empty:
        return []
    series = over_time(ds, approved)
    if series.empty:
        return []
    quarters = sorted(set(series["quarter"]))
    story = [heading("Provision over time"), para(esc(INTRO))]
    if (approved["basis"] == "illustrative").any():
        story += illustrative_mark(["the provider returns in this chapter are an invented example for fictional providers"])
    for service in [s for s in ds.service_types if s in set(series["service"])]:
        label = ds.benchmarks.services[service].label
        mine = series.loc[series["service"] == service]
        png = chart_png(series, service, LONDON_CODE, f"{label.split(' (')[0]}: London by quarter", dpi=dpi)
        london = mine.loc[mine["code"] == LONDON_CODE]
        rows = [["Quarter", "Coverage", "Referrals refused", "Median days to contact"]] + [
            [r.quarter, _pct(r.coverage_pct), _pct(r.refused_pct), _days(r.waiting_days)] for r in london.itertuples()]
        story += [keep(heading(label, 2), png_image(png, width=CONTENT_WIDTH),
                       para(esc("Figure: " + chart_alt(series, service, LONDON_CODE)), "small")),
                  data_table(rows, [0.25, 0.25, 0.25, 0.25], align_right=[1, 2, 3]), Spacer(1, 6)]
        wide = mine.loc[mine["code"] != LONDON_CODE].pivot_table(index="name", columns="quarter", values="coverage_pct",
                                                                 dropna=False, sort=False)
        header = ["Borough"] + [f"Coverage {q}" for q in quarters if q in wide.columns]
        body = [[esc(name)] + [_pct(v) for v in values] for name, values in zip(wide.index, wide.to_numpy())]
        story += [para(f"<b>{esc(label)}: coverage of need by borough and quarter</b>", "small"),
                  data_table([header] + body, [0.32] + [0.68 / (len(header) - 1)] * (len(header) - 1),
                             align_right=list(range(1, len(header)))), PageBreak()]
    return story


def _pct(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.0f}%"


def _days(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.1f}"
