"""Scenario planner (add or remove capacity, recompute gaps and access) and the post allocator.

Scenarios
    A :class:`Change` adds or removes ``delta`` FTE/spaces of one service in some authorities
    (codes, names or lot names).

    - **Add** (``delta > 0``): one new service row serving those authorities, so the new capacity
      is apportioned over them by the service's need base, exactly as a shared service is in the
      gap table. It has no location (access places it at the authorities' centres); a new refuge
      is confidential like every refuge.
    - **Remove** (``delta < 0``): a proportional reduction of what those authorities have now. With
      ``P`` their current total provision of the service, every authority's provision there falls
      by the same fraction ``f = |delta| / P``: a service serving only affected authorities keeps
      ``(1 - f)`` of its capacity; a service shared with other authorities is split into the part
      apportioned to each affected authority (kept at ``(1 - f)``, located at its centre) and the
      rest (unchanged, apportioned over the others as before). No provision goes below 0; asking
      to remove more than ``P`` is an error.

Allocator
    Given ``N`` new posts (in steps of ``step`` FTE/spaces) of one service, choose ``x_i >= 0`` with
    ``sum x_i = N`` (each ``x_i`` a multiple of ``step``) to minimise the need-weighted squared
    uncovered share::

        J(x) = sum_i need_i * u_i**2,   u_i = max(0, shortfall_i - x_i) / need_i
             = sum_i max(0, shortfall_i - x_i)**2 / need_i          (unit: FTE or spaces)

    over authorities with ``need_i > 0``. ``u_i`` is the share of authority i's need left uncovered
    (1 - coverage, floored at 0). Squaring makes deep gaps count more than shallow ones, so posts
    go first where coverage is lowest; weighting by need makes a gap in a large authority count
    for the people it affects. Each post's marginal value is ``2 u_i`` per FTE at the margin.

    Greedy is optimal: each term ``f_i(x) = max(0, s_i - x)**2 / need_i`` is convex in ``x``, so
    the decrease from authority i's ``t``-th step, ``g_i(t) = f_i((t-1)d) - f_i(td)``, does not
    increase with ``t``. Any allocation of ``m = N/d`` steps gains a sum of ``m`` of these values,
    taking a prefix of each authority's sequence; the greedy (largest ``g`` next; ties: lowest
    code) takes the ``m`` largest values of all sequences, which are prefixes because each sequence
    is non-increasing. No allocation gains more. Steps with zero gain (every shortfall closed) are
    not placed and are reported as unplaced.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from commissioning.errors import InputError
from commissioning.needs.assessment import assess, need_base
from commissioning.needs.dataset import Dataset

DIFF_COLUMNS = ["code", "name", "service", "provision_before", "provision_after", "shortfall_before",
                "shortfall_after", "status_before", "status_after"]
ALLOCATION_COLUMNS = ["code", "name", "service", "added", "provision_before", "provision_after",
                      "shortfall_before", "shortfall_after", "coverage_before", "coverage_after", "explanation"]
_EPS = 1e-9


@dataclass(frozen=True)
class Change:
    """Add (``delta > 0``) or remove (``delta < 0``) FTE/spaces of ``service`` in ``areas``.

    ``areas``: authority codes, names (aliases allowed) or lot names such as ``"Lot 2"``;
    ``delta`` is the total over those areas (not per area).
    """

    service: str
    delta: float
    areas: tuple[str, ...]


def resolve_areas(ds: Dataset, areas: Iterable[str], lots=None) -> tuple[str, ...]:
    """Authority codes for codes, names or lot names (lot names need ``lots``, a :class:`Lots`)."""
    from commissioning.boroughs import resolve_code

    codes: list[str] = []
    for area in areas:
        text = str(area).strip()
        if text.lower().startswith("lot "):
            if lots is None:
                raise InputError(f"{text!r} is a lot, but no lots were made", expected="a borough, or pass lots")
            codes += lots.members(text)
        else:
            codes.append(resolve_code(text, authorities=ds.authorities))
    if not codes:
        raise InputError("no areas given", expected="borough codes, names or lot names")
    return tuple(dict.fromkeys(codes))


def _check(ds: Dataset, service: str) -> None:
    if service not in ds.service_types:
        raise InputError(f"unknown service {service!r}", expected=f"one of {ds.service_types}")


def _number(value, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{what}: {value!r} is not a number", expected="a number") from None
    if not math.isfinite(number):
        raise InputError(f"{what}: {value!r} is not a finite number", expected="a number")
    return number


def _service_row(ds: Dataset, **values) -> pd.DataFrame:
    blank = {"lat": np.nan, "lon": np.nan, "confidential": False, "specialism": "", "illustrative": False,
             "note": "", "provider": "Scenario"}
    row = {column: values.get(column, blank.get(column, "")) for column in ds.services.columns}
    frame = pd.DataFrame([row])
    frame["areas"] = pd.Series([tuple(values["areas"])], dtype=object)
    return frame


def _add(ds: Dataset, change: Change, codes: tuple[str, ...], number: int) -> Dataset:
    row = _service_row(ds, service_id=f"scenario-{number}", service=change.service, capacity=float(change.delta),
                       areas=codes, confidential=change.service == "refuge",
                       note=f"scenario: +{change.delta:g} {ds.benchmarks.services[change.service].unit}")
    return ds.with_services(row)


def _remove(ds: Dataset, change: Change, codes: tuple[str, ...]) -> Dataset:
    model = ds.benchmarks.services[change.service].model
    gaps = assess(ds, [change.service])
    held = float(gaps.loc[gaps["code"].isin(codes), "provision"].sum())
    amount = -float(change.delta)
    unit = ds.benchmarks.services[change.service].unit
    if amount > held + _EPS:
        raise InputError(f"cannot remove {amount:g} {unit} of {change.service}: those areas have "
                         f"{held:.2f} {unit}", expected=f"at most {held:.2f}")
    keep = 1.0 - amount / held if held > 0 else 1.0
    weights = need_base(model, ds).reindex(ds.population["code"]).fillna(0.0)
    affected = set(codes)
    rows = []
    for service in ds.services.to_dict("records"):
        areas = service["areas"]
        hit = [a for a in areas if a in affected]
        if service["service"] != change.service or not hit:
            rows.append(service)
            continue
        if len(hit) == len(areas):
            rows.append({**service, "capacity": service["capacity"] * keep})
            continue
        w = weights.reindex(list(areas)).to_numpy(float)
        share = dict(zip(areas, w / w.sum() if w.sum() > 0 else np.full(len(areas), 1.0 / len(areas))))
        for code in hit:
            rows.append({**service, "service_id": f"{service['service_id']}@{code}", "areas": (code,),
                         "capacity": service["capacity"] * share[code] * keep, "lat": np.nan, "lon": np.nan})
        rest = tuple(a for a in areas if a not in affected)
        rows.append({**service, "areas": rest, "capacity": service["capacity"] * sum(share[a] for a in rest)})
    services = pd.DataFrame(rows, columns=ds.services.columns).astype(ds.services.dtypes.to_dict())
    return replace(ds, services=services)


def apply_changes(ds: Dataset, changes: Iterable[Change], lots=None) -> Dataset:
    """A new Dataset with the changes applied in order (rules in the module docstring)."""
    for number, change in enumerate(changes, start=1):
        _check(ds, change.service)
        delta = _number(change.delta, "delta")
        codes = resolve_areas(ds, change.areas, lots)
        change = replace(change, delta=delta)
        if delta > 0:
            ds = _add(ds, change, codes, number)
        elif delta < 0:
            ds = _remove(ds, change, codes)
    return ds


@dataclass(frozen=True)
class Scenario:
    """Before/after of a scenario. ``diff``: :data:`DIFF_COLUMNS` for the changed services (and
    ``access_before``, ``access_after`` per 100,000 of the need base when boundaries were given)."""

    dataset: Dataset
    before: pd.DataFrame
    after: pd.DataFrame
    diff: pd.DataFrame


def run_scenario(ds: Dataset, changes: Iterable[Change], lots=None, boundaries=None,
                 radius_m: float = 10_000, decay: str = "gaussian") -> Scenario:
    """Apply ``changes`` and compare gap tables (and E2SFCA access if ``boundaries`` is given)."""
    changes = list(changes)
    after_ds = apply_changes(ds, changes, lots)
    services = list(dict.fromkeys(c.service for c in changes))
    before, after = assess(ds), assess(after_ds)
    keys = ["code", "name", "service"]
    diff = before.loc[before["service"].isin(services), keys + ["provision", "shortfall", "status"]].merge(
        after[keys + ["provision", "shortfall", "status"]], on=keys, suffixes=("_before", "_after"))
    diff = diff[DIFF_COLUMNS]
    if boundaries is not None:
        from commissioning.spatial.layers import service_access

        for label, data in (("before", ds), ("after", after_ds)):
            access = pd.concat([service_access(data, s, boundaries, radius_m, decay) for s in services])
            diff = diff.merge(access[["code", "service", "access_per_100k"]].rename(
                columns={"access_per_100k": f"access_{label}"}), on=["code", "service"])
    return Scenario(after_ds, before, after, diff.reset_index(drop=True))


MIN_STEP = 0.01       # FTE or spaces: a finer step means nothing
MAX_STEPS = 100_000   # London adds tens to hundreds of posts, not hundreds of thousands


def objective(shortfall, need) -> float:
    """``J = sum max(0, shortfall)**2 / need`` over entries with need > 0 (FTE or spaces)."""
    s, n = np.asarray(shortfall, float), np.asarray(need, float)
    ok = np.isfinite(n) & (n > 0)
    return float((np.clip(s[ok], 0, None) ** 2 / n[ok]).sum())


def posts_from_budget(budget: float, cost_per_post: float, step: float = 1.0) -> float:
    """Posts a money budget buys: ``floor(budget / cost_per_post / step) * step``."""
    budget, cost, step = _number(budget, "budget"), _number(cost_per_post, "cost_per_post"), _number(step, "step")
    if budget < 0 or cost <= 0:
        raise InputError("budget must be >= 0 and cost per post > 0", expected="a budget >= 0 and a cost per post > 0")
    return math.floor(_steps(budget / cost, step) + _EPS) * step


def _steps(posts: float, step: float) -> float:
    """``posts / step``, refused when the step is finer than :data:`MIN_STEP` or the steps are
    more than :data:`MAX_STEPS` (a typing slip, such as a cost per post of 1e-308)."""
    if not step >= MIN_STEP:
        raise InputError(f"step {step:g} is finer than {MIN_STEP:g}", expected=f"a step of at least {MIN_STEP:g} FTE or spaces")
    steps = posts / step
    if not steps <= MAX_STEPS:
        raise InputError(f"{posts:g} posts in steps of {step:g} is more than {MAX_STEPS:,} steps",
                         expected="a budget and cost per post, or a number of posts, a service could add")
    return steps


@dataclass(frozen=True)
class Allocation:
    """Result of :func:`allocate`. ``table``: :data:`ALLOCATION_COLUMNS`, one row per candidate
    authority (``added`` may be 0). ``objective_before/after``: J in FTE or spaces."""

    service: str
    unit: str
    posts: float
    step: float
    placed: float
    unplaced: float
    objective_before: float
    objective_after: float
    table: pd.DataFrame

    def explanation(self) -> list[str]:
        """One sentence per authority that receives posts, largest first."""
        rows = self.table.loc[self.table["added"] > 0].sort_values(["added", "code"], ascending=[False, True])
        return rows["explanation"].tolist()


def _coverage(provision: float, need: float) -> float:
    return 100.0 * provision / need if need > 0 else float("nan")


def _one_decimal(value: float) -> str:
    """One decimal place without a "-0.0" for tiny negatives."""
    return f"{round(float(value), 1) + 0.0:.1f}"


def allocate(ds: Dataset, service: str, posts: float, step: float = 1.0, areas: Iterable[str] | None = None,
             lots=None, gaps: pd.DataFrame | None = None) -> Allocation:
    """Place ``posts`` new FTE/spaces of ``service`` to minimise J (module docstring), greedily.

    ``step``: granularity (e.g. 0.5 FTE); ``posts`` must be a multiple of it. ``areas``: restrict
    placement to these authorities (codes, names, lot names); default all.
    """
    _check(ds, service)
    posts, step = _number(posts, "posts"), _number(step, "step")
    if posts < 0:
        raise InputError("posts must be >= 0", expected="posts >= 0")
    steps = round(_steps(posts, step))
    if abs(steps * step - posts) > 1e-6 * max(1.0, posts):
        raise InputError(f"{posts:g} posts is not a whole number of {step:g} steps",
                         expected=f"a multiple of {step:g}")
    gaps = assess(ds, [service]) if gaps is None else gaps
    rows = gaps.loc[gaps["service"] == service].sort_values("code").reset_index(drop=True)
    if areas is not None:
        rows = rows.loc[rows["code"].isin(resolve_areas(ds, areas, lots))].reset_index(drop=True)
    short, need = rows["shortfall"].to_numpy(float), rows["need"].to_numpy(float)
    valid = np.isfinite(need) & (need > 0)
    added = np.zeros(len(rows))

    def gain(i: int) -> float:
        left = max(0.0, short[i] - added[i])
        return (left ** 2 - max(0.0, left - step) ** 2) / need[i]

    heap = [(-gain(i), code, i) for i, code in enumerate(rows["code"]) if valid[i]]
    heapq.heapify(heap)
    placed = 0
    while placed < steps and heap and -heap[0][0] > _EPS:
        _, code, i = heapq.heappop(heap)
        added[i] += step
        placed += 1
        heapq.heappush(heap, (-gain(i), code, i))

    unit = ds.benchmarks.services[service].unit
    table = rows[["code", "name", "service"]].copy()
    table["added"] = added
    table["provision_before"], table["provision_after"] = rows["provision"], rows["provision"] + added
    table["shortfall_before"], table["shortfall_after"] = short, short - added
    table["coverage_before"] = [_coverage(p, n) for p, n in zip(table["provision_before"], need)]
    table["coverage_after"] = [_coverage(p, n) for p, n in zip(table["provision_after"], need)]
    table["explanation"] = [
        f"{r.name}: +{r.added:.1f} {unit}, shortfall {_one_decimal(r.shortfall_before)} → {_one_decimal(r.shortfall_after)}, "
        f"coverage {r.coverage_before:.0f}% → {r.coverage_after:.0f}%" for r in table.itertuples()]
    return Allocation(service, unit, posts, step, placed * step, posts - placed * step,
                      objective(short, need), objective(short - added, need), table[ALLOCATION_COLUMNS])
