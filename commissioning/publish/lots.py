"""The published lots (the rules' ``lots:``) with each lot's need, provision and gap by service.

The one place the needs assessment, the published priorities and the app's Published priorities
page take their lot geography and lot figures from: the lots and their authorities are the rules',
the figures are :func:`commissioning.needs.lot_gaps.lot_gaps` of the assessment, each lot showing
the services it buys (``Lot.services``; every service when the rules do not say).
"""

from __future__ import annotations

import pandas as pd

from commissioning.errors import InputError
from commissioning.needs.assessment import Assessment, digits_for
from commissioning.needs.dataset import Dataset
from commissioning.needs.lot_gaps import lot_gaps
from commissioning.procurement.rules import Rules
from commissioning.publish.outline import B, Outline
from commissioning.publish.wording import fmt

LOT_TABLE_HEADER = ["Lot", "Service", "Need", "Provision", "Gap where short", "Net shortfall", "Coverage"]


def lots_problem(rules: Rules, ds: Dataset) -> str | None:
    """Why the rules' lots cannot be shown for ``ds`` (an authority of no lot or of no such data),
    or None when every authority of the data is in exactly one published lot (or no lots are published)."""
    if not rules.lots:
        return None
    names = set(ds.authorities.values())
    listed = [b for lot in rules.lots for b in lot.boroughs]
    unknown = sorted(set(listed) - names)
    if unknown:
        return f"lots: {', '.join(unknown)} not an authority of the data"
    missing = sorted(names - set(listed))
    if missing:
        return f"lots: {', '.join(missing)} in no lot"
    return None


def check_lots(rules: Rules, ds: Dataset) -> None:
    """Every authority in exactly one published lot, named as in the data (when lots are published)."""
    problem = lots_problem(rules, ds)
    if problem:
        raise InputError(problem, file=rules.source, expected="every authority in exactly one lot, named as in "
                         "population.csv")


def published_lot_gaps(assessment: Assessment, rules: Rules) -> pd.DataFrame:
    """:func:`~commissioning.needs.lot_gaps.lot_gaps` of the rules' lots (empty without lots)."""
    return lot_gaps(assessment.gaps, {lot.name: lot.boroughs for lot in rules.lots},
                    {lot.name: lot.services for lot in rules.lots})


def lot_words(lot) -> str:
    """What a lot holds, as every document and page says it: "Barnet, Brent, ... (11 authorities).
    Indicative value: £400,000 a year." (the lot's name goes before it)."""
    value = "not published" if lot.indicative_value_gbp is None else f"£{lot.indicative_value_gbp:,.0f} a year"
    return f"{', '.join(sorted(lot.boroughs))} ({len(lot.boroughs)} authorities). Indicative value: {value}."


def lot_gap_rows(assessment: Assessment, rules: Rules) -> list[list[str]]:
    """The published lots' figures as text rows (header first), the same in every document and
    page: one row per lot and service the lot buys, figures at their unit's precision."""
    ds = assessment.dataset
    table = published_lot_gaps(assessment, rules)
    rows = [list(LOT_TABLE_HEADER)]
    for t in table.itertuples():
        bench = ds.benchmarks.services[t.service]
        d = digits_for(bench.unit)
        rows.append([t.lot, f"{bench.label.split(' (')[0]} ({bench.unit})", fmt(t.need, d), fmt(t.provision, d),
                     fmt(t.gap, d), fmt(t.shortfall, d), "–" if pd.isna(t.coverage_pct) else f"{t.coverage_pct:.0f}%"])
    return rows


def lots_outline(assessment: Assessment, rules: Rules, *, level: int = 1) -> Outline:
    """The chapter on the published lots: each lot's authorities and indicative value, then its
    need, provision and gap by service."""
    ds = assessment.dataset
    o = Outline().heading("Published lots: need, provision and the gap", level)
    if not rules.lots:
        return o.para("The rules publish no lots: bids are invited for the whole area as one lot.")
    problem = lots_problem(rules, ds)
    if problem:
        return o.para(f"The rules' lots ({rules.source}) do not fit the authorities of this assessment "
                      f"({problem}), so no lot's figures are shown.")
    o.para(f"The lots bids are invited for, as published in the rules ({rules.title}, version {rules.version}). "
           "Each authority is in exactly one lot.")
    for lot in rules.lots:
        o.para(B(f"{lot.name}: "), lot_words(lot))
    o.table(lot_gap_rows(assessment, rules), caption="Need, provision and the gap in each published lot, by service",
            caption_in_pdf=True, widths=[0.13, 0.23, 0.1, 0.12, 0.14, 0.14, 0.14], align_right=range(2, 7))
    o.para("Gap where short = the sum of the shortfalls of the lot's authorities below their benchmark; net shortfall "
           "= the lot's need minus its provision (a minus sign: more provision than need in the lot as a whole). "
           "FTE to one decimal, refuge places in whole places.", style="small")
    return o
