"""The classes every map of coverage uses (the documents' and the app's), so a map reads like the status.

Coverage % (100 x provision / need) is put in five classes broken at the status cut-offs
(``benchmarks.yaml`` ``status``: amber from ``amber_at``, green from ``green_at``), 100% and
:data:`SURPLUS_AT`, the same way :meth:`commissioning.needs.models.Benchmarks.status` puts it in
red, amber or green: a value on a break belongs to the class above it. The colours are ColorBrewer's
RdBu, a diverging scheme safe for colour-vision deficiency (Harrower & Brewer 2003), centred on
100%: reds below the benchmark, a neutral class just under it, blues above it.
"""

from __future__ import annotations

import numpy as np

#: ColorBrewer RdBu in 5 classes: red, amber, green under 100%, 100% to under 120%, 120% or more.
COVERAGE_COLOURS = ("#ca0020", "#f4a582", "#f7f7f7", "#92c5de", "#0571b0")
#: Coverage (%) from which an authority has a surplus class of its own.
SURPLUS_AT = 120.0


def coverage_classes(amber_at: float = 60.0, green_at: float = 90.0) -> tuple[tuple[float, ...], tuple[str, ...]]:
    """Class breaks (% coverage, ascending) and legend labels naming the status, e.g. "Red: under 60%"."""
    breaks = (amber_at, green_at, 100.0, SURPLUS_AT)
    labels = (f"Red: under {amber_at:g}%", f"Amber: {amber_at:g}% to under {green_at:g}%",
              f"Green: {green_at:g}% to under 100%", f"Green: 100% to under {SURPLUS_AT:g}%",
              f"Green: {SURPLUS_AT:g}% or more")
    return breaks, labels


def coverage_class(coverage_pct, amber_at: float = 60.0, green_at: float = 90.0) -> np.ndarray:
    """Class index per value of ``coverage_pct`` (%, array-like): 0 red, 1 amber, 2 green under
    100%, 3 green 100% to under 120%, 4 green 120% or more; -1 where there is no figure (NaN)."""
    values = np.asarray(coverage_pct, dtype=float)
    breaks, _ = coverage_classes(amber_at, green_at)
    return np.where(np.isnan(values), -1, np.searchsorted(breaks, values, side="right"))
