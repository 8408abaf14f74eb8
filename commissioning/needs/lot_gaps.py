"""Need, provision and the gap of groups of authorities (lots), from the gap table.

The one computation of a lot's figures, for the published lots (the rules' ``lots:``, which the
needs assessment, the priorities and the app show) and for computed scenario lots
(:mod:`commissioning.spatial.lots`). Lots come as a plain mapping, lot name -> the authorities in it
(names or codes), so this needs neither the rules nor the geography. For a lot L and service s:

    need_L       = sum over L's authorities of need_i
    provision_L  = sum over L's authorities of provision_i
    shortfall_L  = need_L - provision_L                       (net: a surplus in one authority offsets
                                                               a gap in another of the lot)
    gap_L        = sum over L's authorities of max(0, shortfall_i)   (the gap where short)
    coverage_L   = 100 x provision_L / need_L
"""

from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np
import pandas as pd

LOT_COLUMNS = ["lot", "members", "authorities", "service", "need", "provision", "shortfall", "gap", "coverage_pct"]


def lot_gaps(gaps: pd.DataFrame, lots: Mapping[str, Iterable[str]],
             services: Mapping[str, Iterable[str]] | Iterable[str] | None = None) -> pd.DataFrame:
    """One row per lot x service (:data:`LOT_COLUMNS`), lots in the mapping's order, services in
    the gap table's order.

    ``lots``: lot name -> authority names or codes. ``services``: the service types to show, either
    one list for every lot or a mapping lot name -> its own list (a lot that buys only some
    services); default every service of ``gaps``. ``members`` is the authorities' names, sorted,
    joined with ", "; ``authorities`` how many.
    """
    order = list(dict.fromkeys(gaps["service"]))
    frames = []
    for lot, members in lots.items():
        members = set(members)
        rows = gaps.loc[gaps["name"].isin(members) | gaps["code"].isin(members)]
        wanted = services.get(lot) if isinstance(services, Mapping) else services
        wanted = order if not wanted else [s for s in order if s in set(wanted)]
        names = sorted(rows["name"].unique())
        for service in wanted:
            part = rows.loc[rows["service"] == service]
            need, provision = float(part["need"].sum()), float(part["provision"].sum())
            frames.append({"lot": lot, "members": ", ".join(names), "authorities": len(names), "service": service,
                           "need": need, "provision": provision, "shortfall": need - provision,
                           "gap": float(part["shortfall"].clip(lower=0).sum()),
                           "coverage_pct": 100.0 * provision / need if need > 0 else np.nan})
    return pd.DataFrame(frames, columns=LOT_COLUMNS)
