"""Rank sensitivity: how often each bid keeps its rank when the published weights are perturbed.

Every ranked bid's total is linear in the "leaf" weights: one per criterion (section weight ×
criterion weight / 100, i.e. the points it carries) plus the price weight. Draw leaf weights
``w ~ 100 × Dirichlet(concentration × w0 / 100)`` around the published leaves ``w0`` (their mean is
``w0``, they still sum to 100), recompute every total as ``X @ w`` (``X``: moderated score / max
score per criterion, and the price score / price weight), re-rank within each lot and count.

``concentration`` sets how far draws stray: a leaf carrying a share ``p`` of the 100 points has a
standard deviation of ``100 × sqrt(p (1 − p) / (concentration + 1))`` points; with the default 100,
a price weight of 30 varies by about ±4.6 points and a criterion worth 12 points by about ±3.2.

A draw ranks bids by total. Exact ties within a draw happen only between bids with identical
scores; such bids tie in every draw and keep their published order among themselves. Failed bids
take no part.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from commissioning.procurement.scoring import ScoringResult

# Totals matrix per block of draws (rows × bids), in elements: bounds memory at ~32 MB.
_BLOCK = 4_000_000


def leaf_weights(result: ScoringResult) -> tuple[np.ndarray, np.ndarray]:
    """Published leaf weights ``w0`` (L,) and the ranked bids' unit scores ``X`` (n_ranked, L).

    Rows of ``X`` follow ``result.table`` order restricted to ranked bids (lot, then rank), so
    ``X @ w0`` reproduces their totals.
    """
    rules = result.rules
    ranked = result.table[result.table["rank"].notna()]
    max_score = np.array([c.max_score for c in rules.criteria], dtype=float)
    unit = result.moderated.loc[ranked["bid_id"]].to_numpy() / max_score
    x = np.column_stack([unit, ranked["price_factor"].to_numpy(dtype=float)])
    w0 = np.array([rules.weights[c.section] * c.weight / 100.0 for c in rules.criteria]
                  + [rules.weights["price"]])
    keep = w0 > 0
    return w0[keep], x[:, keep]


def rank_sensitivity(result: ScoringResult, n_draws: int = 10_000, *, concentration: float = 100.0,
                     seed: int | None = 0) -> pd.DataFrame:
    """Share of weight draws in which each ranked bid keeps its rank.

    Parameters
    ----------
    result : output of :func:`commissioning.procurement.scoring.score_bids`.
    n_draws : number of Dirichlet weight draws (≥ 1).
    concentration : Dirichlet concentration (> 0); larger = draws closer to the published weights.
    seed : random seed (draws are reproducible for a given seed).

    Returns
    -------
    DataFrame, one row per ranked bid (lot, then rank): bid_id, lot, rank, keep_share (fraction of
    draws with the same rank), first_share (fraction of draws ranked first in its lot).
    """
    if not isinstance(result, ScoringResult):
        raise TypeError("result must be a ScoringResult from score_bids")
    if int(n_draws) != n_draws or n_draws < 1:
        raise ValueError(f"n_draws must be a positive integer, got {n_draws!r}")
    if not np.isfinite(concentration) or concentration <= 0:
        raise ValueError(f"concentration must be positive, got {concentration!r}")
    n_draws = int(n_draws)
    w0, x = leaf_weights(result)
    ranked = result.table[result.table["rank"].notna()]
    rng = np.random.default_rng(seed)
    draws = 100.0 * rng.dirichlet(concentration * w0 / 100.0, size=n_draws)  # (D, L)

    lots = ranked["lot"].to_numpy()
    starts = np.flatnonzero(np.r_[True, lots[1:] != lots[:-1]])
    ends = np.r_[starts[1:], len(lots)]
    # Bids with identical unit scores tie in every draw and keep their published order among
    # themselves. Their totals are copied from the group's first bid (so they are bitwise equal);
    # a tied bid with ``ahead`` such bids before it keeps its rank p iff exactly p - ahead totals
    # are higher. Every other bid keeps rank p iff the p-th highest total is its own.
    groups = []
    for start, end in zip(starts, ends):
        _, first_of, inverse = np.unique(x[start:end], axis=0, return_index=True, return_inverse=True)
        inverse = inverse.ravel()
        tied = np.flatnonzero(np.bincount(inverse)[inverse] > 1)
        ahead = pd.Series(inverse[tied]).groupby(inverse[tied]).cumcount().to_numpy()
        groups.append((start, end, tied, first_of[inverse[tied]], tied - ahead))
    tasks = [(g, d0, d0 + max(1, _BLOCK // (g[1] - g[0])))
             for g in groups for d0 in range(0, n_draws, max(1, _BLOCK // (g[1] - g[0])))]

    def count(task):
        (start, end, tied, source, target), d0, d1 = task
        totals = draws[d0:d1] @ x[start:end].T  # (block, n_lot), bids in published rank order
        totals[:, tied] = totals[:, source]
        ordered = np.sort(totals, axis=1)[:, ::-1]
        kept = ordered == totals
        own = totals[:, tied]
        kept[:, tied] = (ordered[:, target] <= own) & (
            (target == 0) | (ordered[:, np.maximum(target - 1, 0)] > own))
        top = ordered[:, :1] == totals
        top[:, tied] &= target == tied
        return start, end, kept.sum(axis=0), top.sum(axis=0)

    keep = np.zeros(len(ranked), dtype=np.int64)
    first = np.zeros(len(ranked), dtype=np.int64)
    # numpy's sort and matmul release the GIL, so blocks run in parallel on threads.
    with ThreadPoolExecutor(max_workers=min(len(tasks), os.cpu_count() or 1)) as pool:
        for start, end, kept, top in pool.map(count, tasks):
            keep[start:end] += kept
            first[start:end] += top
    return pd.DataFrame({
        "bid_id": ranked["bid_id"].to_numpy(), "lot": lots,
        "rank": ranked["rank"].to_numpy(dtype=np.int64),
        "keep_share": keep / n_draws, "first_share": first / n_draws,
    })
