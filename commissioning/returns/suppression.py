"""Small-count suppression for the quarterly publication: primary, then secondary until no
suppressed cell can be worked back.

A table is rows (boroughs, "London-wide services") by count columns, with a published total row
(London = the sum of the rows; a blank cell, *not reported*, adds nothing). Rules:

- primary: a count from 1 to 9 is suppressed (zeros are published), and so is a total from 1 to 9;
- secondary: an attacker knows every published figure, that each column adds up to its total, that
  a part never exceeds its whole (refused <= referrals, satisfied <= surveyed) and that a suppressed
  cell is at least 1 (zeros are published and secondary cells are never zero). For every suppressed
  cell the lowest and highest values consistent with all that are found by linear programming
  (scipy's HiGHS); while some cell's range is narrower than :data:`MIN_RANGE` (the primary
  threshold: a suppressed cell stays anywhere in a band at least as wide as the small counts), the
  smallest published non-zero cell of its column is suppressed too (when there is none, the whole
  it is a part of, e.g. the referrals of its row; last, the column's total).

This is the cell-suppression audit of Cox (1980), "Suppression methodology and statistical
disclosure control", *JASA* 75(370), 377-385, with LP bounds as in Fischetti & Salazar (2001).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog

THRESHOLD = 10      # counts 1..THRESHOLD-1 are suppressed
MIN_RANGE = float(THRESHOLD)   # a suppressed cell must be able to take values at least 10 apart
TOTAL = "__total__"


@dataclass
class Suppressed:
    """``values``: rows x columns (+ the total row :data:`TOTAL` last), NaN = not reported;
    ``hidden``: same shape, True where suppressed; ``primary``: True where suppressed as a small count."""

    values: pd.DataFrame
    hidden: pd.DataFrame
    primary: pd.DataFrame


def suppress(cells: pd.DataFrame, parts: list[tuple[str, str]] = (), *, threshold: int = THRESHOLD) -> Suppressed:
    """Suppress ``cells`` (rows x count columns, NaN = not reported); the total row is added."""
    values = cells.astype(float).copy()
    values.loc[TOTAL] = cells.astype(float).sum(axis=0, min_count=1)
    primary = (values > 0) & (values < threshold)
    hidden = primary.copy()
    parts = [(p, w) for p, w in parts if p in values.columns and w in values.columns]
    for _ in range(values.size):
        weak = [cell for cell, (low, high) in ranges(values, hidden, parts).items() if high - low < MIN_RANGE]
        if not weak or not any(_widen(values, hidden, parts, cell) for cell in weak):
            break
    return Suppressed(values, hidden, primary)


def _widen(values: pd.DataFrame, hidden: pd.DataFrame, parts, cell: tuple[str, str]) -> bool:
    """Hide one more cell to widen ``cell``'s range: the smallest published non-zero cell of its
    column, else the whole it is a part of in its row (a part is never wider than its published
    whole), else the column's total (kept to the last: London's figures are the headline). False
    when nothing is left to hide."""
    row, column = cell
    body = values[column].drop(TOTAL)
    candidates = body[(~hidden[column].drop(TOTAL)) & (body > 0)]
    if len(candidates):
        hidden.loc[candidates.idxmin(), column] = True
        return True
    for part, whole in parts:
        if part == column and row != TOTAL and not hidden.loc[row, whole] and values.loc[row, whole] > 0:
            hidden.loc[row, whole] = True
            return True
    if not hidden.loc[TOTAL, column] and not np.isnan(values.loc[TOTAL, column]):
        hidden.loc[TOTAL, column] = True
        return True
    return False


def ranges(values: pd.DataFrame, hidden: pd.DataFrame, parts: list[tuple[str, str]] = ()) \
        -> dict[tuple[str, str], tuple[float, float]]:
    """(lowest, highest) value of every suppressed cell consistent with the published table (the
    attacker's knowledge in the module docstring); ``values`` has the total row :data:`TOTAL`."""
    unknown = [(r, c) for r in values.index for c in values.columns if hidden.loc[r, c]]
    if not unknown:
        return {}
    position = {cell: i for i, cell in enumerate(unknown)}
    n = len(unknown)
    a_eq, b_eq, a_ub, b_ub = [], [], [], []
    for column in values.columns:
        row = np.zeros(n)
        constant = 0.0
        for r in values.index:
            sign = -1.0 if r == TOTAL else 1.0
            if (r, column) in position:
                row[position[(r, column)]] += sign
            elif not math.isnan(values.loc[r, column]):
                constant += sign * values.loc[r, column]
        if row.any():
            a_eq.append(row)
            b_eq.append(-constant)
    for r in values.index:
        for part, whole in parts:
            if math.isnan(values.loc[r, part]) or math.isnan(values.loc[r, whole]):
                continue    # a figure not reported: no relation to know
            row, constant = np.zeros(n), 0.0
            for column, sign in ((part, 1.0), (whole, -1.0)):
                if (r, column) in position:
                    row[position[(r, column)]] += sign
                elif not math.isnan(values.loc[r, column]):
                    constant += sign * values.loc[r, column]
            if row.any():
                a_ub.append(row)
                b_ub.append(-constant)
    out = {}
    for cell, i in position.items():
        bound = []
        for sense in (1.0, -1.0):
            objective = np.zeros(n)
            objective[i] = sense
            result = linprog(objective, A_ub=np.array(a_ub) if a_ub else None, b_ub=b_ub or None,
                             A_eq=np.array(a_eq) if a_eq else None, b_eq=b_eq or None,
                             bounds=[(1, None)] * n, method="highs")
            if result.status == 3:          # unbounded: no upper limit at all
                bound.append(math.inf)
            elif result.status != 0:        # infeasible cannot happen for a true table
                raise RuntimeError(f"suppression audit failed: {result.message}")
            else:
                bound.append(sense * result.fun)
        out[cell] = (bound[0], bound[1])
    return out
