"""Contiguous, need-balanced commissioning lots.

The authorities are grouped into ``k`` lots, each one connected piece on the contiguity graph of
the boundaries (:func:`commissioning.spatial.geo.adjacency`), with need spread as evenly as the geography
allows. Two documented steps:

1. **Seeds**: scikit-learn's ``AgglomerativeClustering`` with the contiguity matrix as
   ``connectivity``: clusters are only ever merged along shared borders, so every seed lot is
   contiguous. Six seeds: Ward, complete and average linkage, each on the authorities' centroids
   (EPSG:27700) alone and on the standardised centroids plus standardised need. Clustering on
   coordinates balances area, not need, hence step 2.
2. **Balance**: greedy boundary moves. An authority on the edge of lot A that touches lot B moves
   to B when A stays connected without it and the sum of squared lot needs falls. Moving
   need ``w`` from A to B changes that sum by ``2w(w + N_B - N_A)``, so a move helps exactly when
   ``N_A - N_B > w``; an authority can leave A unless it is a cut vertex of A (found by a
   depth-first search, Hopcroft & Tarjan 1973) or A's last member. The largest decrease is
   taken each round (ties: lowest authority code, then lowest lot) until no move helps. The sum
   strictly falls at every move, so this ends, and it is deterministic.

The balanced seed with the lowest ``max lot need / mean lot need`` is kept (ties: the first seed
in the order above).

Balance is reported as ``max lot need / mean lot need`` (1.0 = perfectly even). On the London
data with k = 5 it is 1.03 (all services or IDVA alone); at 331 synthetic authorities, k = 9, 1.01.

"Need" of an authority: for one service, its need in the service's unit (FTE or spaces); for
``service="all"``, the mean over service types of its share of the area's need for that type
(unit-free, so FTE and refuge spaces can be combined). Lots are numbered west to east by their
centroid and named by the sub-region (North, North East, ..., North West, Central) their centroid
lies in from the area's centroid, each lot a different one (see :func:`_label`), e.g.
``"Lot 1 (West)"``.

If the boundaries fall into several pieces that do not touch (islands), the pieces are joined by
an edge between their closest authorities (centroid distance) until one remains, before clustering; "contiguous" then means connected
on that augmented graph.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from commissioning.errors import InputError
from commissioning.needs.assessment import assess
from commissioning.needs.dataset import Dataset
from commissioning.needs.lot_gaps import lot_gaps
from commissioning.spatial.geo import adjacency, check_codes, load_boundaries, to_bng

ALL = "all"
_DIRECTIONS = ["East", "North East", "North", "North West", "West", "South West", "South", "South East"]


@dataclass(frozen=True)
class Lots:
    """A lot plan.

    ``assignment``: one row per authority (sorted by code), columns ``code, name, lot`` (the lot
    label, e.g. ``"Lot 1 (West)"``).
    ``summary``: one row per lot x service, columns ``lot, members, authorities, service, need,
    provision, shortfall, coverage_pct`` (units of the service; ``members`` = names joined by ", ").
    ``balance``: max lot need / mean lot need of the balancing need (see module docstring).
    ``adjacency``: the contiguity matrix used (n x n, rows in ``assignment`` order).
    """

    assignment: pd.DataFrame
    summary: pd.DataFrame
    balance: float
    service: str
    k: int
    adjacency: sparse.csr_matrix

    @property
    def labels(self) -> list[str]:
        return sorted(self.assignment["lot"].unique(), key=_lot_number)

    def members(self, lot: str) -> list[str]:
        """Codes of a lot, given its label (``"Lot 2 (North)"``) or just ``"Lot 2"`` / ``"2"``."""
        label = self.resolve(lot)
        return self.assignment.loc[self.assignment["lot"] == label, "code"].tolist()

    def resolve(self, lot: str) -> str:
        text = str(lot).strip().lower()
        for label in self.labels:
            number = str(_lot_number(label))
            if text in (label.lower(), f"lot {number}", number):
                return label
        raise InputError(f"unknown lot {lot!r}", expected=f"one of {self.labels}")


def _lot_number(label: str) -> int:
    return int(label.split()[1])


def balancing_need(ds: Dataset, service: str = ALL, gaps: pd.DataFrame | None = None) -> pd.Series:
    """The need each authority brings to a lot (Series indexed by code, sorted). See module doc."""
    gaps = assess(ds) if gaps is None else gaps
    if service == ALL:
        wide = gaps.pivot(index="code", columns="service", values="need").fillna(0.0)
        totals = wide.sum()
        shares = wide.loc[:, totals > 0] / totals[totals > 0]
        return shares.mean(axis=1).sort_index()
    if service not in ds.service_types:
        raise InputError(f"unknown service {service!r}", expected=f"'all' or one of {ds.service_types}")
    rows = gaps.loc[gaps["service"] == service]
    return rows.set_index("code")["need"].fillna(0.0).sort_index()


def _connect_pieces(adj: sparse.csr_matrix, xy: np.ndarray) -> sparse.csr_matrix:
    """Join separate pieces of the contiguity graph to their nearest other piece (centroid distance)."""
    adj = adj.tolil()
    while True:
        n_pieces, piece = connected_components(adj, directed=False)
        if n_pieces == 1:
            return adj.tocsr()
        inside = np.flatnonzero(piece == piece[0])
        outside = np.flatnonzero(piece != piece[0])
        dist, nearest = cKDTree(xy[outside]).query(xy[inside])
        i = inside[int(np.argmin(dist))]
        j = outside[nearest[int(np.argmin(dist))]]
        adj[i, j] = adj[j, i] = 1.0


def _fixed(neighbours: list[list[int]], members: list[int]) -> set[int]:
    """Members that cannot leave the lot: its cut vertices (Hopcroft-Tarjan, iterative DFS), or
    the only member. ``members`` is one connected piece of the contiguity graph."""
    if len(members) == 1:
        return set(members)
    inside = set(members)
    order, low, cut = {}, {}, set()
    root = members[0]
    order[root] = low[root] = 0
    stack = [(root, -1, iter(neighbours[root]))]
    root_children = 0
    while stack:
        node, parent, rest = stack[-1]
        for other in rest:
            if other not in inside or other == parent:
                continue
            if other in order:
                low[node] = min(low[node], order[other])
            else:
                order[other] = low[other] = len(order)
                stack.append((other, node, iter(neighbours[other])))
                break
        else:
            stack.pop()
            if parent == root:
                root_children += 1
            elif parent != -1:
                low[parent] = min(low[parent], low[node])
                if low[node] >= order[parent]:
                    cut.add(parent)
    if root_children > 1:
        cut.add(root)
    return cut


def _balance(adj: sparse.csr_matrix, need: np.ndarray, labels: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Greedy contiguity-keeping boundary moves that lower the sum of squared lot needs."""
    labels = labels.copy()
    k = labels.max() + 1
    neighbours = [adj.indices[adj.indptr[i]:adj.indptr[i + 1]].tolist() for i in range(len(need))]
    edges = adj.tocoo()
    rank = np.argsort(np.argsort(codes))  # tie-break: lowest authority code, then lowest lot
    fixed: dict[int, set[int]] = {}  # lot -> authorities whose move would split or empty it
    while True:
        totals = np.bincount(labels, weights=need, minlength=k)
        src, dst = labels[edges.row], labels[edges.col]
        cross = src != dst
        node, a, b = edges.row[cross], src[cross], dst[cross]
        w = need[node]
        change = 2 * w * (w + totals[b] - totals[a])
        tol = 1e-12 * max(1.0, float(totals.max()) ** 2)
        better = change < -tol
        if not better.any():
            return labels
        node, a, b, change = node[better], a[better], b[better], change[better]
        for m in np.lexsort((b, rank[node], change)):
            i, source = int(node[m]), int(a[m])
            if source not in fixed:
                fixed[source] = _fixed(neighbours, np.flatnonzero(labels == source).tolist())
            if i not in fixed[source]:
                labels[i] = b[m]
                fixed.pop(source)
                fixed.pop(int(b[m]), None)
                break
        else:
            return labels


def _seeds(adj: sparse.csr_matrix, xy: np.ndarray, need: np.ndarray, k: int):
    """Contiguous starting partitions (see module docstring, step 1)."""
    # imported here, not at the top: it takes ~0.7 s and the CLI imports this module for every command
    from sklearn.cluster import AgglomerativeClustering

    centred = xy - xy.mean(axis=0)
    scaled = centred / (centred.std() or 1.0)
    with_need = np.column_stack([scaled, (need - need.mean()) / (need.std() or 1.0)])
    for linkage in ("ward", "complete", "average"):
        for features in (centred, with_need):
            model = AgglomerativeClustering(n_clusters=k, connectivity=adj, linkage=linkage)
            yield model.fit(features).labels_.astype(int)


def _ratio(labels: np.ndarray, need: np.ndarray, k: int) -> float:
    totals = np.bincount(labels, weights=need, minlength=k)
    return float(totals.max() / totals.mean()) if totals.mean() > 0 else float("nan")


#: Sub-regions by compass bearing (degrees anticlockwise from east), and the centre.
_SUB_REGIONS = {"East": 0, "North East": 45, "North": 90, "North West": 135, "West": 180, "South West": 225,
                "South": 270, "South East": 315}
_CENTRAL_WITHIN = 0.35     # a lot whose centre is this share of the area's radius from its centre is Central


def _label(lots: np.ndarray, shapes: gpd.GeoSeries) -> list[str]:
    """Lot names: numbered west to east by the lot's centroid, named by the sub-region its centroid
    lies in, seen from the whole area's centroid (both the centroids of the areas, in BNG).

    Each lot gets a different sub-region: the assignment minimises the total angle between each
    lot's bearing and its sub-region's (scipy's linear_sum_assignment), a lot near the centre
    preferring "Central" (offered from three lots up). With more than nine lots the rest are numbered only ("Lot 10").
    """
    from scipy.optimize import linear_sum_assignment

    k = lots.max() + 1
    whole = shapes.union_all() if hasattr(shapes, "union_all") else shapes.unary_union
    centre = np.array([whole.centroid.x, whole.centroid.y])
    radius = np.sqrt(whole.area / np.pi)
    centres = np.array([[g.centroid.x, g.centroid.y] for g in
                        (shapes[lots == c].union_all() if hasattr(shapes, "union_all") else shapes[lots == c].unary_union
                         for c in range(k))])
    offsets = centres - centre
    distance = np.hypot(offsets[:, 0], offsets[:, 1]) / radius
    bearing = np.degrees(np.arctan2(offsets[:, 1], offsets[:, 0]))
    central = k >= 3            # of two lots neither is the centre: both are seen from it
    names = list(_SUB_REGIONS) + (["Central"] if central else [])
    cost = np.zeros((k, len(names)))
    for j, name in enumerate(names):
        if name == "Central":
            cost[:, j] = 180.0 * distance / _CENTRAL_WITHIN / 2       # 90 degrees' worth at the threshold
        else:
            turn = np.abs((bearing - _SUB_REGIONS[name] + 180.0) % 360.0 - 180.0)
            cost[:, j] = turn + np.where(central & (distance < _CENTRAL_WITHIN), 90.0, 0.0)
    rows, cols = linear_sum_assignment(cost)
    region = {int(r): names[c] for r, c in zip(rows, cols)}
    out = {}
    for number, c in enumerate(np.lexsort((centres[:, 1], centres[:, 0])), start=1):
        out[c] = f"Lot {number} ({region[c]})" if c in region else f"Lot {number}"
    return [out[c] for c in lots]


def make_lots(ds: Dataset, k: int = 5, service: str = ALL, boundaries: gpd.GeoDataFrame | None = None,
              gaps: pd.DataFrame | None = None) -> Lots:
    """Group ``ds.authorities`` into ``k`` contiguous lots balanced in need.

    ``boundaries``: GeoDataFrame indexed by code (as :func:`commissioning.spatial.geo.load_boundaries`
    returns; default the London boroughs), one feature per authority of ``ds``. ``service``:
    ``"all"`` or a service type; it sets the need that is balanced and the services summarised.
    ``gaps``: the gap table if already computed. Deterministic for the same inputs.
    """
    boundaries = load_boundaries() if boundaries is None else boundaries
    check_codes(boundaries, ds.authorities)
    codes = np.array(sorted(ds.authorities))
    n = len(codes)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise InputError(f"cannot make {k!r} lots from {n} authorities", expected=f"a whole number from 1 to {n}")
    gaps = assess(ds) if gaps is None else gaps
    need = balancing_need(ds, service, gaps).reindex(codes).fillna(0.0).to_numpy()
    bng = to_bng(boundaries.loc[codes])
    centroids = bng.geometry.centroid
    xy = np.column_stack([centroids.x.to_numpy(), centroids.y.to_numpy()])
    adj = _connect_pieces(adjacency(bng), xy)

    labels = np.zeros(n, dtype=int)
    if k > 1:
        best = np.inf
        for seed in _seeds(adj, xy, need, k):
            candidate = _balance(adj, need, seed, codes)
            ratio = _ratio(candidate, need, k)
            if ratio < best - 1e-12:
                best, labels = ratio, candidate
    balance = _ratio(labels, need, k)

    assignment = pd.DataFrame({"code": codes, "name": [ds.authorities[c] for c in codes],
                               "lot": _label(labels, bng.geometry.reset_index(drop=True))})
    services = ds.service_types if service == ALL else [service]
    return Lots(assignment, lot_summary(assignment, gaps, services), balance, service, k, adj)


def lot_summary(assignment: pd.DataFrame, gaps: pd.DataFrame, services: list[str]) -> pd.DataFrame:
    """Need, provision, shortfall (signed, need - provision) and coverage per lot and service
    (:func:`commissioning.needs.lot_gaps.lot_gaps`, the published lots' computation too)."""
    labels = sorted(assignment["lot"].unique(), key=_lot_number)
    members = {lot: assignment.loc[assignment["lot"] == lot, "code"] for lot in labels}
    out = lot_gaps(gaps, members, services)
    return out[["lot", "members", "authorities", "service", "need", "provision", "shortfall", "coverage_pct"]]
