"""The needs assessment's chapter "Provision over time": coverage, referrals refused for lack of
capacity and waiting times per borough and London across the quarters of approved provider returns.

Additive: :func:`provision_outline` returns outline content (the same for the PDF and the HTML)
that ``needs.needs_outline`` adds when it is given approved returns. Refused and waiting figures
are the quarterly publication's (small counts suppressed), so the chapter is as safe to publish as
the needs assessment itself.
"""

from __future__ import annotations

import math

import pandas as pd

from commissioning.needs.dataset import Dataset
from commissioning.publish.outline import B, Outline
from commissioning.publish.pdf.style import illustrative_words
from commissioning.returns.series import LONDON_CODE, chart_alt, chart_png, over_time

INTRO = ("Commissioned providers report each quarter the capacity they have in post, the referrals they receive "
         "and those they cannot take for lack of capacity, and how long people wait for first contact. Only "
         "returns a commissioner has approved count. Coverage is provision as reported, apportioned to boroughs "
         "like any shared service, against the same need models as the rest of this assessment. Referrals refused "
         "and waiting times are suppressed where the counts are small.")


def provision_outline(ds: Dataset, approved: pd.DataFrame | None, *, dpi: int = 150) -> Outline:
    """The chapter (empty when there are no approved returns); ``dpi``: chart resolution."""
    if approved is None or approved.empty:
        return Outline()
    series = over_time(ds, approved)
    if series.empty:
        return Outline()
    quarters = sorted(set(series["quarter"]))
    o = Outline().heading("Provision over time").para(INTRO)
    if (approved["basis"] == "illustrative").any():
        o.notice(illustrative_words(["the provider returns in this chapter are an invented example for fictional "
                                     "providers"]))
    for service in [s for s in ds.service_types if s in set(series["service"])]:
        label = ds.benchmarks.services[service].label
        short = label.split(" (")[0]
        mine = series.loc[series["service"] == service]
        london = mine.loc[mine["code"] == LONDON_CODE]
        o.keep(Outline().heading(label, 2).figure(
            chart_png(series, service, LONDON_CODE, f"{short}: London by quarter", dpi=dpi),
            alt=chart_alt(series, service, LONDON_CODE),
            caption=f"{short} in London by quarter: coverage of need, referrals refused for lack of capacity and "
                    "median days to first contact. The table below gives the figures.",
            data=london.drop(columns=["service"], errors="ignore")))
        o.table([["Quarter", "Coverage", "Referrals refused", "Median days to contact"]]
                + [[r.quarter, _pct(r.coverage_pct), _pct(r.refused_pct), _days(r.waiting_days)]
                   for r in london.itertuples()],
                caption=f"{short} in London by quarter", widths=[0.25] * 4, align_right=[1, 2, 3])
        o.spacer(6)
        wide = mine.loc[mine["code"] != LONDON_CODE].pivot_table(index="name", columns="quarter", values="coverage_pct",
                                                                 dropna=False, sort=False)
        header = ["Borough"] + [f"Coverage {q}" for q in quarters if q in wide.columns]
        body = [[name] + [_pct(v) for v in values] for name, values in zip(wide.index, wide.to_numpy())]
        caption = f"{label}: coverage of need by borough and quarter"
        o.para(B(caption), style="pdf_note")   # small, and free to stay above a table that splits over pages
        o.table([header] + body, caption=caption,
                widths=[0.32] + [0.68 / (len(header) - 1)] * (len(header) - 1), align_right=range(1, len(header)))
        o.page_break()
    return o


def _pct(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.0f}%"


def _days(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.1f}"
