"""The needs assessment's headline: what it takes to close the gaps, what that costs, and which
authorities are red across several services.

    gap_s   = sum over authorities of max(0, need - provision)      (the "gap where short", unit of s)
    shown_s = gap_s rounded as the documents print it: whole places, FTE to one decimal
    cost_s  = shown_s x unit_cost_s                                   (pounds a year; unit costs from
                                                                       benchmarks.yaml, each with its citation)

Surpluses in one authority do not fill gaps in another (a post in Bromley does not serve Hackney),
so the gap where short, not the net shortfall, is what closing every gap takes. Costing the
rounded figure lets a reader recompute every cost from the printed table.
"""

from __future__ import annotations

from dataclasses import dataclass

from commissioning.needs.assessment import Assessment, digits_for
from commissioning.needs.models import UnitCost


@dataclass(frozen=True)
class GapCost:
    """One service's gap where short (``gap`` as printed, in ``unit``) and its annual cost in pounds
    (None without a unit cost)."""

    service: str
    label: str
    unit: str
    gap: float
    unit_cost: UnitCost | None
    cost: float | None


@dataclass(frozen=True)
class Headline:
    """``costs`` per service with a gap; ``gap_by_unit`` sums them per unit ({"FTE": 40.1, "spaces": 512});
    ``total_cost`` the pounds a year of the costed ones; ``uncosted`` the labels without a unit
    cost; ``red_across``: (authority, service labels) for authorities red in ``min_red`` or more
    services, most services first; ``illustrative_costs``: any unit cost is a local assumption."""

    costs: list[GapCost]
    gap_by_unit: dict[str, float]
    total_cost: float
    uncosted: list[str]
    red_across: list[tuple[str, list[str]]]
    min_red: int
    services: int
    illustrative_costs: bool


def headline(assessment: Assessment, min_red: int | None = None) -> Headline:
    """The headline figures of ``assessment`` (see the module docstring). ``min_red``: how many
    red services make an authority "red across several services"; default more than half of the
    services, at least 2 (3 of 4)."""
    ds, gaps = assessment.dataset, assessment.gaps
    min_red = max(2, len(ds.service_types) // 2 + 1) if min_red is None else min_red
    costs, by_unit = [], {}
    for service in ds.service_types:
        bench = ds.benchmarks.services[service]
        rows = gaps.loc[gaps["service"] == service, "shortfall"]
        gap = round(float(rows.clip(lower=0).sum()), digits_for(bench.unit))
        if gap <= 0:
            continue
        cost = None if bench.unit_cost is None else gap * bench.unit_cost.gbp_per_year
        costs.append(GapCost(service, bench.label, bench.unit, gap, bench.unit_cost, cost))
        by_unit[bench.unit] = round(by_unit.get(bench.unit, 0.0) + gap, digits_for(bench.unit))
    red = gaps.loc[gaps["status"] == "red"]
    labels = {s: ds.benchmarks.services[s].label.split(" (")[0] for s in ds.service_types}
    across = []
    for name, part in red.groupby("name", sort=True):
        if len(part) >= min_red:
            across.append((str(name), [labels[s] for s in ds.service_types if s in set(part["service"])]))
    across.sort(key=lambda item: (-len(item[1]), item[0]))
    return Headline(
        costs=costs, gap_by_unit=by_unit, total_cost=float(sum(c.cost for c in costs if c.cost is not None)),
        uncosted=[c.label for c in costs if c.cost is None], red_across=across, min_red=min_red,
        services=len(ds.service_types),
        illustrative_costs=any(c.unit_cost is not None and c.unit_cost.illustrative for c in costs))


def money(pounds: float) -> str:
    """Pounds for a reader: "£2.4 million" from a million up, else "£45,000"."""
    if pounds >= 1_000_000:
        return f"£{pounds / 1_000_000:,.1f} million"
    return f"£{pounds:,.0f}"
