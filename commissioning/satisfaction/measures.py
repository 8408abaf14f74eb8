"""The measurement table: each result as a percentage with its 95% interval, against its target, with
the change since the previous period, group gaps, and the suppression applied before publication.

Computation only (no file I/O); the rules that read intervals are in :mod:`.wilson`.
"""

from __future__ import annotations

import csv
import io
import math

import pandas as pd

from commissioning.satisfaction.targets import Targets
from commissioning.stats import (
    NO_CHANGE,
    change,
    difference,
    status,
    wilson,
)

#: The CLI's CSV columns, in order (unrounded).
REPORT_COLUMNS = ["area_code", "area_name", "period_end", "group", "respondents", "satisfied_pct", "lower95",
                  "upper95", "target_pct", "status"]
#: Group comparisons shown as gaps: (group, comparison group, label).
GROUP_PAIRS = [("bame", "white_british", "Black, Asian and minority ethnic vs White British"),
               ("disabled", "not_disabled", "Disabled vs not disabled"),
               ("vulnerable_unacknowledged", "vulnerable_acknowledged",
                "Vulnerability not acknowledged vs acknowledged by police")]
#: Groups that split 'all' in two, so publishing one and 'all' reveals the other (secondary suppression).
COMPLEMENTS = [("disabled", "not_disabled")]
MIN_RESPONDENTS = 50
GROUP_LABELS = {"all": "All victims", "bame": "Black, Asian and minority ethnic", "white_british": "White British",
                "disabled": "Disabled", "not_disabled": "Not disabled",
                "vulnerable_unacknowledged": "Vulnerable, not acknowledged by police",
                "vulnerable_acknowledged": "Vulnerable, acknowledged by police",
                "domestic_abuse": "Domestic abuse", "under_16": "Under 16"}


def group_label(group: str) -> str:
    return GROUP_LABELS.get(group, group.replace("_", " ").capitalize())


def measure(results: pd.DataFrame, targets: Targets | None = None) -> pd.DataFrame:
    """One row per result: ``satisfied_pct``, ``lower95``, ``upper95`` (Wilson, %), ``target_pct``,
    ``status``, ``previous_period`` and ``change``, keeping the result's own columns.

    A percentage-only row (``reported_pct``, no counts) has no interval, so against a target it is
    ``not significant`` (it cannot be told apart from the target) and its change is never flagged.
    """
    out = results.copy()
    intervals = [wilson(int(k), int(n)) if not math.isnan(n) else (p, math.nan, math.nan)
                 for k, n, p in zip(out["satisfied"], out["respondents"], out["reported_pct"])]
    out["satisfied_pct"] = [i[0] for i in intervals]
    out["lower95"] = [i[1] for i in intervals]
    out["upper95"] = [i[2] for i in intervals]
    out["target_pct"] = [targets.target(a, g, p) if targets else None
                         for a, g, p in zip(out["area_code"], out["group"], out["period_end"])]
    out["target_pct"] = out["target_pct"].astype(float)
    out["status"] = [status(lo, hi, None if math.isnan(t) else t)
                     for lo, hi, t in zip(out["lower95"], out["upper95"], out["target_pct"])]
    out = out.sort_values(["area_code", "group", "period_end"], kind="stable").reset_index(drop=True)
    previous = out.groupby(["area_code", "group"])["period_end"].shift(1)
    out["previous_period"] = previous.fillna("")
    changes = []
    for i, prev in enumerate(previous):
        if pd.isna(prev):
            changes.append("")
            continue
        before, now = out.iloc[i - 1], out.iloc[i]
        changes.append(change((before.satisfied_pct, before.lower95, before.upper95),
                              (now.satisfied_pct, now.lower95, now.upper95)))
    out["change"] = changes
    return out


def suppress(measures: pd.DataFrame, min_respondents: int = MIN_RESPONDENTS) -> pd.DataFrame:
    """Add ``suppressed`` (bool): fewer than ``min_respondents`` respondents; or the complement of a
    suppressed group in the same area and period (:data:`COMPLEMENTS`), which 'all' minus the shown
    group would give away; or, when just one borough is suppressed in a period and group, the
    smallest other borough too, since London minus the rest would give it away (:func:`protect_single`).
    Percentage-only rows (already published) are never suppressed."""
    out = measures.copy()
    small = out["respondents"].notna() & (out["respondents"] < min_respondents)
    out["suppressed"] = small
    out["suppressed"] = protect_single(out, out["area_kind"] == "borough", ["period_end", "group"])
    keys = set(zip(out.loc[small, "area_code"], out.loc[small, "period_end"], out.loc[small, "group"]))
    for a, b in COMPLEMENTS:
        for area, period, group in list(keys):
            other = b if group == a else a if group == b else None
            if other is not None:
                out.loc[(out["area_code"] == area) & (out["period_end"] == period) & (out["group"] == other),
                        "suppressed"] = True
    return out


def protect_single(frame: pd.DataFrame, parts: pd.Series, by: list[str]) -> pd.Series:
    """``frame["suppressed"]`` extended so that no set of ``parts`` rows sharing ``by`` has exactly one
    suppressed row: the smallest unsuppressed part (by respondents) is suppressed with it."""
    hidden = frame["suppressed"].copy()
    for _, rows in frame[parts].groupby(by):
        if hidden[rows.index].sum() == 1:
            shown = rows[~hidden[rows.index]]
            if len(shown):
                hidden[shown["respondents"].idxmin()] = True
    return hidden


def group_gaps(measures: pd.DataFrame, pairs=GROUP_PAIRS) -> pd.DataFrame:
    """Gaps between groups in the same area and period: ``gap_pts`` = first − second in percentage
    points with its 95% interval (Newcombe), ``significant`` when the interval leaves out 0. Pairs
    where either side is suppressed or has no interval are left out."""
    rows = []
    shown = measures[~measures.get("suppressed", pd.Series(False, index=measures.index))]
    index = {(r.area_code, r.period_end, r.group): r for r in shown.itertuples()}
    for (area, period, group), first in index.items():
        for a, b, label in pairs:
            second = index.get((area, period, b))
            if group != a or second is None or math.isnan(first.lower95) or math.isnan(second.lower95):
                continue
            gap, lower, upper = difference((first.satisfied_pct, first.lower95, first.upper95),
                                           (second.satisfied_pct, second.lower95, second.upper95))
            rows.append({"area_code": area, "area_name": first.area_name, "period_end": period, "comparison": label,
                         "first": a, "second": b, "first_pct": first.satisfied_pct, "second_pct": second.satisfied_pct,
                         "gap_pts": gap, "lower95": lower, "upper95": upper,
                         "significant": not lower <= 0 <= upper})
    return pd.DataFrame(rows, columns=["area_code", "area_name", "period_end", "comparison", "first", "second",
                                       "first_pct", "second_pct", "gap_pts", "lower95", "upper95", "significant"])


def _safe(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (OWASP: prefix with ')."""
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def report_csv(measures: pd.DataFrame) -> str:
    """The CLI's CSV: :data:`REPORT_COLUMNS`, unrounded (``repr`` of each float), blank = none."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for row in measures[REPORT_COLUMNS].itertuples(index=False):
        cells = []
        for column, value in zip(REPORT_COLUMNS, row):
            if isinstance(value, float):
                cells.append("" if math.isnan(value) else
                             str(int(value)) if column == "respondents" else repr(value))
            else:
                cells.append(_safe(value))
        writer.writerow(cells)
    return buffer.getvalue()


def report_table(measures: pd.DataFrame) -> str:
    """A terminal table: percentages to one decimal place, the interval in brackets."""
    def pct(v):
        return "–" if math.isnan(v) else f"{v:.1f}"

    lines = [(f"{'area':<28} {'period':<7} {'group':<26} {'n':>6} {'satisfied % (95% CI)':>22} "
             f"{'target':>6}  status")]
    for r in measures.itertuples():
        n = "–" if math.isnan(r.respondents) else f"{int(r.respondents):,}"
        ci = f"{pct(r.satisfied_pct)} ({pct(r.lower95)}–{pct(r.upper95)})" if not math.isnan(r.lower95) \
            else f"{pct(r.satisfied_pct)} (no interval)"
        change = "" if r.change in ("", NO_CHANGE) else f"; {r.change} since {r.previous_period}"
        lines.append(f"{str(r.area_name)[:28]:<28} {r.period_end:<7} {group_label(r.group)[:26]:<26} {n:>6} "
                     f"{ci:>22} {pct(r.target_pct):>6}  {r.status}{change}")
    return "\n".join(lines) + "\n"
