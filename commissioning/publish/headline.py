"""The needs assessment's headline: what it takes to close the gaps, what that costs, and which
authorities are red across several services.

    gap_s     = sum over authorities of max(0, need - provision)    (the "gap where short", gross, unit of s)
    surplus_s = sum over authorities of max(0, provision - need)    (capacity above the benchmark)
    movable_s = min(gap_s, surplus_s)                               (the part of the gap that moving
                                                                     capacity could close)
    new_s     = gap_s - movable_s = max(0, net shortfall_s)         (what needs new posts or places)
    each rounded as the documents print it: whole places, FTE to one decimal
    cost_s    = gap_s x unit_cost_s, movable_cost_s = movable_s x unit_cost_s, new_cost_s = new_s x unit_cost_s
                                                                    (pounds a year; unit costs from
                                                                     benchmarks.yaml, each with its citation)

The £ headline is the sum of cost_s: what it takes to bring every authority up to its benchmark
with new capacity, because a post in Bromley does not serve Hackney as things stand. Beside it the
documents give the part that could instead come from moving capacity out of authorities above their
benchmark (movable), so the gross figure and the net one (new) are both stated. Costing the rounded
figures lets a reader recompute every cost from the printed table.
"""

from __future__ import annotations

from dataclasses import dataclass

from commissioning.needs.assessment import Assessment, digits_for
from commissioning.needs.models import UnitCost


@dataclass(frozen=True)
class GapCost:
    """One service's gap where short (``gap`` as printed, in ``unit``), the capacity above the
    benchmark elsewhere (``surplus``), the part of the gap moving it could close (``movable``) and
    what needs new capacity (``new``), with their annual costs in pounds (None without a unit cost)."""

    service: str
    label: str
    unit: str
    gap: float
    unit_cost: UnitCost | None
    cost: float | None
    surplus: float = 0.0
    movable: float = 0.0
    new: float = 0.0
    movable_cost: float | None = None
    new_cost: float | None = None


@dataclass(frozen=True)
class Headline:
    """``costs`` per service with a gap; ``gap_by_unit`` sums them per unit ({"FTE": 40.1, "spaces": 512});
    ``total_cost`` the pounds a year of the costed ones (the £ headline: the sum of shortfalls where
    short); ``movable_cost`` the part of it moving capacity could cover, ``new_cost`` the rest; ``uncosted`` the labels without a unit
    cost; ``red_across``: (authority, service labels) for authorities red in ``min_red`` or more
    services, most services first; ``illustrative_costs``: any unit cost is a local assumption."""

    costs: list[GapCost]
    gap_by_unit: dict[str, float]
    total_cost: float
    movable_cost: float
    new_cost: float
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
        d = digits_for(bench.unit)
        gap = round(float(rows.clip(lower=0).sum()), d)
        if gap <= 0:
            continue
        surplus = round(float((-rows).clip(lower=0).sum()), d)
        movable = min(gap, surplus)
        new = round(gap - movable, d)
        price = None if bench.unit_cost is None else bench.unit_cost.gbp_per_year
        costs.append(GapCost(service, bench.label, bench.unit, gap, bench.unit_cost,
                             None if price is None else gap * price, surplus, movable, new,
                             None if price is None else movable * price, None if price is None else new * price))
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
        movable_cost=float(sum(c.movable_cost for c in costs if c.movable_cost is not None)),
        new_cost=float(sum(c.new_cost for c in costs if c.new_cost is not None)),
        uncosted=[c.label for c in costs if c.cost is None], red_across=across, min_red=min_red,
        services=len(ds.service_types),
        illustrative_costs=any(c.unit_cost is not None and c.unit_cost.illustrative for c in costs))


def money(pounds: float) -> str:
    """Pounds for a reader: "£2.4 million" from a million up, else "£45,000"."""
    if pounds >= 1_000_000:
        return f"£{pounds / 1_000_000:,.1f} million"
    return f"£{pounds:,.0f}"
