"""A proposed path of annual targets from a baseline to a goal (the review's recommendation 9:
"challenging annual targets" towards "the highest national rating for victim satisfaction").

The path is a straight line from the baseline (its percentage, in the calendar year its 12-month
window ends) to the goal in the goal year; each year's target is the line's value in that year
rounded *up* to a whole percentage point, so rounding never makes a year easier than the line. The
goal is a percentage, or the highest satisfaction among police force areas in the latest period of
the results (when force-level results are given): the rating that would have been top nationally.
Proposals are a starting point for the people who set targets, not a forecast.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from commissioning.errors import InputError
from commissioning.satisfaction.areas import FORCE
from commissioning.satisfaction.targets import Targets


def linear_path(baseline_pct: float, baseline_year: int, goal_pct: float, goal_year: int,
                first_year: int | None = None) -> dict[int, float]:
    """``{year: target %}`` for ``first_year`` (default the year after the baseline) to ``goal_year``."""
    first_year = baseline_year + 1 if first_year is None else first_year
    for name, value in (("baseline", baseline_pct), ("goal", goal_pct)):
        if not math.isfinite(value) or not 0 <= value <= 100:
            raise InputError(f"{name} {value!r}", expected="a percentage from 0 to 100")
    if not baseline_year < goal_year or not baseline_year < first_year <= goal_year:
        raise InputError(f"years: baseline {baseline_year}, first {first_year}, goal {goal_year}",
                         expected="baseline year < first target year <= goal year")
    slope = (goal_pct - baseline_pct) / (goal_year - baseline_year)
    return {year: min(100.0, float(math.ceil(round(baseline_pct + slope * (year - baseline_year), 9))))
            for year in range(first_year, goal_year + 1)}


def highest_force(measures: pd.DataFrame, group: str = "all") -> tuple[float, str, str]:
    """(satisfied %, force name, period) of the best police force area in the latest period with
    force-level results for ``group``; :class:`InputError` when there are none."""
    forces = measures[(measures["area_kind"] == FORCE) & (measures["group"] == group)]
    if forces.empty:
        raise InputError("no police force area results to find the highest national rating from",
                         expected="rows with area_code E23... or W15... (or give --goal as a percentage)")
    latest = forces[forces["period_end"] == forces["period_end"].max()]
    best = latest.loc[latest["satisfied_pct"].idxmax()]
    return float(best["satisfied_pct"]), str(best["area_name"]), str(best["period_end"])


def baseline(measures: pd.DataFrame, area_code: str, group: str = "all") -> tuple[float, str]:
    """(satisfied %, period_end) of the latest result for the area and group."""
    rows = measures[(measures["area_code"] == area_code) & (measures["group"] == group)]
    if rows.empty:
        raise InputError(f"no results for {area_code}/{group} to start the trajectory from")
    latest = rows.loc[rows["period_end"].idxmax()]
    return float(latest["satisfied_pct"]), str(latest["period_end"])


def propose(measures: pd.DataFrame, area_code: str, group: str, goal: str, goal_year: int, *,
            first_year: int | None = None, set_by: str = "proposed (not yet agreed)",
            set_on: dt.date | None = None) -> Targets:
    """Targets for one area and group from its latest result to ``goal`` (a percentage, or
    ``highest`` for the highest force rating) by ``goal_year``; marked as a proposal in ``note``."""
    start_pct, start_period = baseline(measures, area_code, group)
    if goal == "highest":
        goal_pct, force, period = highest_force(measures, group)
        why = f"the highest police force area rating in {period} ({force}, {goal_pct:.1f}%)"
    else:
        try:
            goal_pct = float(goal)
        except ValueError:
            raise InputError(f"--goal {goal!r}", expected="a percentage or 'highest'") from None
        why = f"{goal_pct:g}%"
    path = linear_path(start_pct, int(start_period[:4]), goal_pct, goal_year, first_year)
    note = (f"Proposed trajectory: a straight line from {start_pct:.1f}% ({start_period}) to {why} by {goal_year}, "
            "each year rounded up to a whole point. A proposal for the people who set targets.")
    return Targets(set_by=set_by, set_on=set_on or dt.date.today(), by_key={(area_code, group): path},
                   illustrative=False, note=note)
