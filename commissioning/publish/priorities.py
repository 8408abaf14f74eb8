"""Commissioning priorities derived from the needs assessment.

The London Assembly review asks commissioners to publish their priorities, and how bids will be
judged, at least three months before bids are invited (that rule is
:mod:`commissioning.procurement.timetable`). This module turns the gap table into those priorities
(which boroughs are worst served for which service, which victim groups have little specialist
provision). Nothing here uses a service location: the outputs are safe to publish.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from commissioning.needs.assessment import Assessment, digits_for
from commissioning.needs.dataset import Dataset
from commissioning.needs.lot_gaps import lot_gaps
from commissioning.procurement.rules import Lot
from commissioning.publish.headline import headline

#: The groups the review found less well served, with the pattern that recognises a service's
#: ``specialism`` text as specialist provision for that group (case-insensitive).
REVIEW_GROUPS: dict[str, str] = {
    "Black and minoritised victims": r"\bblack\b|minoriti[sz]ed",
    "Disabled and Deaf victims": r"\bdeaf\b|(?<!learning )disab",
    "LGBT+ victims": r"lgbt|\bqueer\b|\btrans\b",
    "Young victims": r"\byoung\b|\byouth\b",
    "Male victims": r"\bmale\b|\bmen\b",
    "Victims with learning disabilities": r"learning disab",
}


@dataclass(frozen=True)
class Priority:
    """One commissioning priority: a service whose provision falls short of its benchmark.

    ``boroughs`` are the names of the worst-served authorities (largest positive shortfall first);
    ``shortfall`` is their combined shortfall in ``unit`` (FTE or spaces); ``gap_total`` and
    ``coverage_pct`` are the area-wide figures (sum of positive shortfalls; provision / need, %).
    """

    rank: int
    service: str
    label: str
    unit: str
    title: str
    boroughs: tuple[str, ...]
    shortfall: float
    gap_total: float
    coverage_pct: float
    red_count: int
    rationale: str
    citation: str
    illustrative: bool
    provision: str = ""   # where the service's provision comes from (the provision resolver's words)


@dataclass(frozen=True)
class GroupProvision:
    """Specialist provision for one of the review's under-served groups.

    ``capacity`` maps service type -> specialist capacity in that service's unit; ``share_pct``
    maps service type -> that capacity as % of all provision of the type; ``authorities`` is how
    many authorities at least one specialist service covers; ``little`` lists the service types
    whose specialist share is below the threshold given to :func:`group_provision`.
    """

    group: str
    services: int
    capacity: dict[str, float]
    share_pct: dict[str, float]
    authorities: int
    little: tuple[str, ...]


def worst_boroughs(gaps: pd.DataFrame, service: str, top_n: int = 5) -> pd.DataFrame:
    """The ``top_n`` rows of ``gaps`` for ``service`` with the largest positive shortfall."""
    rows = gaps.loc[(gaps["service"] == service) & (gaps["shortfall"] > 0)]
    return rows.sort_values(["shortfall", "code"], ascending=[False, True]).head(top_n)


def derive_priorities(assessment: Assessment, top_n: int = 5) -> list[Priority]:
    """One priority per service type with a shortfall anywhere, in order of need left unmet and
    certainty of the figure.

    Order: (1) services short across the area (coverage under 100%) before those whose gaps are
    only uneven spread (enough provision overall, in the wrong places); (2) services whose need
    model is a published benchmark before those resting on a local assumption (the less certain
    figure); (3) the larger need left unmet first: its annual cost (``gap_total`` x the unit cost in
    benchmarks.yaml) when every service has a unit cost, so FTE and places compare, otherwise the
    share of need unmet (``gap_total / need``); then more red authorities. Each priority names the ``top_n`` authorities with the largest shortfall in the
    service's unit (where new posts or spaces would close the most gap) and cites the benchmark.
    """
    ds, gaps = assessment.dataset, assessment.gaps
    totals = assessment.totals.set_index("service")
    moves = {c.service: c for c in headline(assessment).costs}
    illustrative = ds.illustrative
    out = []
    for service in ds.service_types:
        if service not in totals.index:
            continue
        bench = ds.benchmarks.services[service]
        worst = worst_boroughs(gaps, service, top_n)
        if worst.empty:
            continue
        t = totals.loc[service]
        names = tuple(worst["name"])
        shortfall = float(worst["shortfall"].sum())
        flagged = (f"model:{service}" in illustrative or "services" in illustrative
                   or (bench.model.kind == "caseload" and f"demand:{bench.model.measure}" in illustrative))
        d = digits_for(bench.unit)
        rationale = (
            f"{bench.label}: across the area provision is {t.provision:,.{d}f} {bench.unit} against a need of "
            f"{t.need:,.{d}f} ({t.coverage_pct:.0f}% coverage); red (below {ds.benchmarks.amber_at:g}% of the "
            f"benchmark) in {int(t.red)} of {len(ds.authorities)} authorities. The largest shortfalls are in "
            f"{_join(names)}: {shortfall:,.{d}f} {bench.unit} between them, "
            f"{_share(shortfall, t.gap_total)} of the {t.gap_total:,.{d}f} {bench.unit} missing wherever "
            f"provision is short. Benchmark: {bench.model.describe()}."
            + (" The area as a whole has enough: the gaps come from where the capacity is, not how much there is."
               if t.coverage_pct >= 100 else "")
            + _moving_words(moves.get(service))
        )
        out.append(Priority(
            rank=0, service=service, label=bench.label, unit=bench.unit,
            title=(f"Move {bench.label.split(' (')[0]} capacity towards {_join(names[:3])}"
                   if t.coverage_pct >= 100 else f"Close the {bench.label.split(' (')[0]} gap in {_join(names[:3])}")
                  + (" and others" if len(names) > 3 else ""),
            boroughs=names, shortfall=shortfall, gap_total=float(t.gap_total),
            coverage_pct=float(t.coverage_pct), red_count=int(t.red), rationale=rationale,
            citation=bench.model.citation, illustrative=flagged, provision=assessment.provision.get(service, ""),
        ))
    benches = {p.service: ds.benchmarks.services[p.service] for p in out}
    if all(b.unit_cost is not None for b in benches.values()):
        unmet = {s: p.gap_total * benches[s].unit_cost.gbp_per_year for s, p in ((p.service, p) for p in out)}
    else:
        unmet = {p.service: p.gap_total / float(totals.loc[p.service, "need"]) for p in out}
    out.sort(key=lambda p: (p.coverage_pct >= 100.0, benches[p.service].model.illustrative, -unmet[p.service],
                            -p.red_count, p.service))
    return [Priority(**{**p.__dict__, "rank": i}) for i, p in enumerate(out, start=1)]


def _moving_words(move) -> str:
    """The gross gap split as the needs assessment's headline splits it: what moving capacity from
    authorities above their benchmark could close, and what needs new capacity (net)."""
    if move is None or move.surplus <= 0:
        return " No authority is above its benchmark: closing the gap needs new capacity."
    d = digits_for(move.unit)
    return (f" Authorities above their benchmark hold {move.surplus:,.{d}f} {move.unit} more than it: moving "
            f"capacity could close {move.movable:,.{d}f} {move.unit} of the gap, leaving {move.new:,.{d}f} "
            f"{move.unit} of new capacity to add (net).")


def _share(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole > 0 else "all"


def _join(names) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def group_provision(ds: Dataset, little_share_pct: float = 5.0) -> list[GroupProvision]:
    """Specialist provision for each of :data:`REVIEW_GROUPS`, from the services' ``specialism``.

    A service counts for every group its ``specialism`` text matches. For each service type with
    any provision, a group has little specialist provision when its share of that type's capacity
    is below ``little_share_pct`` percent. Order: most service types with little provision first.
    """
    services = ds.services
    specialism = services["specialism"].fillna("").astype(str)
    totals = services.groupby("service")["capacity"].sum()
    types = [s for s in ds.service_types if totals.get(s, 0.0) > 0]
    out = []
    for group, pattern in REVIEW_GROUPS.items():
        chosen = services.loc[specialism.str.contains(pattern, case=False, regex=True)]
        capacity = {s: float(chosen.loc[chosen["service"] == s, "capacity"].sum()) for s in types}
        share = {s: float(100.0 * capacity[s] / totals[s]) for s in types}
        out.append(GroupProvision(
            group=group, services=len(chosen), capacity=capacity, share_pct=share,
            authorities=len({code for areas in chosen["areas"] for code in areas}),
            little=tuple(s for s in types if share[s] < little_share_pct)))
    out.sort(key=lambda g: (-len(g.little), sum(g.share_pct.values()), g.group))
    return out


def group_summary(ds: Dataset, groups: list[GroupProvision], little_share_pct: float = 5.0) -> str:
    """Plain words naming, per group, the services with little specialist provision."""
    parts = []
    for g in groups:
        if g.little:
            labels = [ds.benchmarks.services[s].label.split(" (")[0] for s in g.little]
            parts.append(f"{g.group} ({_join(labels)})")
    if not parts:
        return "Every group the review named has specialist provision in every service type."
    return (f"Specialist provision below {little_share_pct:g}% of a service's capacity: " + "; ".join(parts) +
            ". Bids will be asked to show how they reach these groups.")


@dataclass(frozen=True)
class LotServiceGap:
    """One service in one lot: need, provision, gap where short (in ``unit``), coverage (%) and the
    gap's cost a year in pounds (None without a unit cost)."""

    service: str
    label: str
    unit: str
    need: float
    provision: float
    gap: float
    coverage_pct: float
    gap_cost: float | None


@dataclass(frozen=True)
class LotProfile:
    """A published lot's facts for bidders: each service it buys (``services``) and ``buys``, what its
    indicative value pays for a year if spent on one service alone: (label, unit, amount)."""

    lot: Lot
    services: list[LotServiceGap]
    buys: list[tuple[str, str, float]]


def lot_profile(assessment: Assessment, lot: Lot) -> LotProfile:
    """The need, provision and gap of each service ``lot`` buys (every service type when the rules do
    not say), from the one lot computation (:func:`commissioning.needs.lot_gaps.lot_gaps`); gaps
    costed as the headline costs them (the gap as shown, times the unit cost)."""
    ds = assessment.dataset
    figures = lot_gaps(assessment.gaps, {lot.name: lot.boroughs}, list(lot.services) or None)
    services, buys = [], []
    for row in figures.itertuples(index=False):
        bench = ds.benchmarks.services[row.service]
        gap = round(row.gap, digits_for(bench.unit))
        cost = bench.unit_cost.gbp_per_year if bench.unit_cost is not None else None
        label = bench.label.split(" (")[0]
        services.append(LotServiceGap(row.service, label, bench.unit, row.need, row.provision, gap,
                                      row.coverage_pct, None if cost is None else gap * cost))
        if cost and lot.indicative_value_gbp is not None:
            step = 10 ** -digits_for(bench.unit)       # whole places, tenths of a post, never more than it pays for
            buys.append((label, bench.unit, math.floor(lot.indicative_value_gbp / cost / step) * step))
    return LotProfile(lot, services, buys)
