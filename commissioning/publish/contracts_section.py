"""The section on the contracts in place and how they perform, one block for the next round's needs
assessment and priorities (from ``Store.published_contracts(day)``)."""

from __future__ import annotations

import datetime as dt

from commissioning.contracts.performance import APPROACHING, MET, NOT_MET, figure_text
from commissioning.publish.outline import B, Outline


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def current_contracts_outline(contracts: list[dict], day: dt.date) -> Outline:
    """A chapter: the contracts in place on ``day``, their capacity and period, and their KPI
    ratings in the latest calendar year with returns (empty Outline when there are none)."""
    o = Outline()
    if not contracts:
        return o
    o.heading("Current contracts and how they perform")
    ratings = [r for c in contracts for r in c["ratings"].itertuples()]
    counts = {state: sum(r.rating == state for r in ratings) for state in (MET, APPROACHING, NOT_MET)}
    n = len(contracts)
    headline = (f"{n} contract{'s are' if n != 1 else ' is'} in place on {_day(day)}, from the last round's "
                "awards. Their contracted capacity and how they perform against their key performance "
                "indicators are below.")
    if ratings:
        headline += (f" In the latest year of quarterly returns, {counts[MET]} of {len(ratings)} key performance "
                     f"indicator ratings were met, {counts[APPROACHING]} approaching and {counts[NOT_MET]} not met.")
    else:
        headline += " No approved quarterly returns have been rated against their key performance indicators yet."
    o.para(headline)
    if any(c["basis"] == "illustrative" for c in contracts):
        o.notice("ILLUSTRATIVE DATA. These contracts are a rehearsal on fictional bids and illustrative returns, "
                 "not real contracts or real performance.")
    rows = [["Lot", "Supplier", "Capacity", "Period", "KPIs (latest year)"]]
    for c in contracts:
        supplier = c["supplier"] + (f" with {', '.join(c['partners'])}" if c["partners"] else "")
        frame = c["ratings"]
        kpis = (f"{c['year']}: {int((frame['rating'] == MET).sum())} of {len(frame)} met" if len(frame)
                else "no returns rated yet")
        rows.append([c["lot"], supplier, f"{c['capacity']:g} {c['capacity_service'].upper()}",
                     f"{c['start_date']} to {c['end_date']}", kpis])
    o.table(rows, caption=f"Contracts in place on {_day(day)} (capacity in FTE advisers or refuge spaces; "
                          f"{'illustrative' if any(c['basis'] == 'illustrative' for c in contracts) else 'real'})",
            widths=[0.14, 0.32, 0.14, 0.22, 0.18], align_right=[2])
    missed = [(c, r) for c in contracts for r in c["ratings"].itertuples() if r.rating in (NOT_MET, APPROACHING)]
    if missed:
        o.para(B("Indicators not met or only approaching"), " (rates with 95% intervals):")
        o.bullets([f"{c['lot']}, {c['supplier']}: {r.kpi}: {r.rating} in {r.period} ({figure_text(r)})"
                   for c, r in missed])
    return o
