"""Need alignment: how much of a bid's proposed capacity lands where the needs assessment found a gap.

``share`` = capacity placed in boroughs with a positive shortfall / all the capacity the bid
proposes (``areas`` like ``E09000012:2;E09000030:1.5``); the criterion's score is
``scale.min + share × (max_score − scale.min)`` (see :mod:`commissioning.procurement.scoring`)."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from commissioning.boroughs import resolve_code
from commissioning.errors import InputError
from commissioning.procurement.bid_files import LINE, _number, _require_columns, _source

# ---------------------------------------------------------------------------------------------
# Need alignment
# ---------------------------------------------------------------------------------------------

def parse_areas(text: str, *, file=None, line=None, column: str = "areas") -> dict[str, float]:
    """``"E09000012:2;Tower Hamlets:1.5"`` -> ``{"E09000012": 2.0, "E09000030": 1.5}``.

    Each ``;``-separated item is a borough (ONS code or name) and the capacity (FTE or spaces, > 0)
    the bid places there.
    """
    out: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in str(text).split(";"))):
        place, sep, amount = item.rpartition(":")
        if not sep:
            raise InputError(f"{item!r} has no capacity", file=file, line=line, column=column,
                             expected="code:capacity items separated by ';', e.g. E09000012:2;E09000030:1.5")
        code = resolve_code(place, file=file, line=line, column=column)
        try:
            capacity = float(amount)
        except ValueError:
            capacity = float("nan")
        if not np.isfinite(capacity) or capacity <= 0:
            raise InputError(f"capacity {amount!r} for {place.strip()} is not a positive number",
                             file=file, line=line, column=column)
        if code in out:
            raise InputError(f"{code} listed twice", file=file, line=line, column=column)
        out[code] = capacity
    return out


def shortfall_map(shortfall, service: str | None = None) -> dict[str, float]:
    """Normalise a shortfall input to ``{ONS code: shortfall}`` (positive = gap).

    ``shortfall`` is a mapping ``{code or name: shortfall}`` or a DataFrame with ``code`` and
    ``shortfall`` columns (e.g. the gap table from ``assess``). A frame with a ``service`` column is
    filtered to ``service`` when one is given; it must then hold one row per code.
    """
    if isinstance(shortfall, pd.DataFrame):
        source = _source(shortfall, "shortfall")
        _require_columns(shortfall, ["code", "shortfall"], source)
        frame = shortfall
        if service is not None:
            if "service" not in frame.columns:
                raise InputError(f"no service column to select {service!r}", file=source, line=1,
                                 column="service")
            frame = frame[frame["service"].astype(str).str.strip() == service]
            if frame.empty:
                raise InputError(f"no rows for service {service!r}", file=source, column="service")
        values = _number(frame, "shortfall", source, "a number (positive = gap)")
        lines = frame[LINE].to_numpy() if LINE in frame.columns else [None] * len(frame)
        out: dict[str, float] = {}
        for raw, value, line in zip(frame["code"], values, lines):
            code = resolve_code(raw, file=source, line=line, column="code")
            if code in out:
                raise InputError(f"{code} appears more than once; set `service:` on the need_alignment "
                                 "criterion to pick one service", file=source, line=line, column="code")
            out[code] = float(value)
        return out
    if isinstance(shortfall, Mapping):
        return {resolve_code(k, column="shortfall"): float(v) for k, v in shortfall.items()}
    raise TypeError("shortfall must be a mapping {code: shortfall} or a DataFrame with code, shortfall")


def need_alignment_scores(areas: list[dict[str, float]], shortfall: Mapping[str, float],
                          scale_min: float, max_score: float, *, source: str = "bids",
                          lines=None) -> np.ndarray:
    """Scores (n,) = ``scale_min + share × (max_score − scale_min)``, share = capacity in gap boroughs / capacity."""
    out = np.empty(len(areas))
    for i, bid_areas in enumerate(areas):
        line = None if lines is None else int(lines[i])
        if not bid_areas:
            raise InputError("no areas: a need-aligned criterion needs the capacity per borough",
                             file=source, line=line, column="areas", expected="code:capacity;...")
        missing = [c for c in bid_areas if c not in shortfall]
        if missing:
            raise InputError(f"{missing[0]} is not in the needs assessment's shortfall table",
                             file=source, line=line, column="areas")
        total = sum(bid_areas.values())
        in_gap = sum(cap for code, cap in bid_areas.items() if shortfall[code] > 0)
        out[i] = scale_min + (in_gap / total) * (max_score - scale_min)
    return out
