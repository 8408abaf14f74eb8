"""Trends: 12-month rolling counts, rates per 100,000 with 95% intervals, each borough against London.

Rates are crude: rate = 100,000 x O / P, with O the count over 12 months and P the resident
population (the data set's ``population`` column). The 95% interval of a count comes from Byar's
approximation to the exact Poisson interval (Breslow & Day 1987, *Statistical Methods in Cancer
Research* vol. II, p. 69), the method OHID's Fingertips uses for counts and crude rates
(OHID, *Public Health Profiles technical guidance: confidence intervals*):

    lower = O x (1 - 1/(9 O) - z / (3 sqrt(O)))^3
    upper = (O + 1) x (1 - 1/(9 (O + 1)) + z / (3 sqrt(O + 1)))^3        z = 1.959964 (95%)

with lower = 0 when O = 0; the rate's interval is the count's interval x 100,000 / P.
A borough is *significantly higher* than London when its interval lies wholly above London's rate,
*significantly lower* when wholly below, and *similar* otherwise (Fingertips' comparison with a
benchmark value). London here is the boroughs of the series together (the 32 MPS boroughs).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from commissioning.demand.series import MonthlySeries
from commissioning.stats import byar_interval

PER = 100_000
LONDON = "London"
HIGHER, SIMILAR, LOWER = "significantly higher", "similar", "significantly lower"


def compare(lower, upper, reference) -> np.ndarray:
    """'significantly higher' / 'similar' / 'significantly lower' against ``reference`` (broadcast)."""
    lower, upper, reference = np.broadcast_arrays(np.asarray(lower, float), np.asarray(upper, float),
                                                  np.asarray(reference, float))
    return np.where(lower > reference, HIGHER, np.where(upper < reference, LOWER, SIMILAR))


def rolling_counts(series: MonthlySeries, measure: str, window: int = 12) -> pd.DataFrame:
    """Sums over the ``window`` months ending at each month (months x codes, plus a London column);
    the first ``window - 1`` months, which have no full window, are left out."""
    matrix = series.matrix(measure)
    matrix[LONDON] = matrix.sum(axis=1)
    return matrix.rolling(window).sum().iloc[window - 1:]


def trend_table(series: MonthlySeries, measure: str, population: pd.Series, window: int = 12) -> pd.DataFrame:
    """Long table: code, name, month (end of the 12-month window), count, rate, lower95, upper95,
    london_rate, vs_london. ``population``: residents by code. Rates per 100,000 residents over
    the window; code 'London' is the boroughs of the series together."""
    sums = rolling_counts(series, measure, window)
    codes = [c for c in sums.columns if c != LONDON]
    missing = [c for c in codes if c not in population.index]
    if missing:
        raise ValueError(f"no population for {missing[:3]}")
    pop = pd.Series({c: float(population[c]) for c in codes})
    pop[LONDON] = float(pop.sum())
    long = sums.stack().rename("count").reset_index()
    long.columns = ["month", "code", "count"]
    long["population"] = long["code"].map(pop)
    low, high = byar_interval(long["count"].to_numpy())
    long["rate"] = PER * long["count"] / long["population"]
    long["lower95"] = PER * low / long["population"]
    long["upper95"] = PER * high / long["population"]
    london = long.loc[long["code"] == LONDON].set_index("month")["rate"]
    long["london_rate"] = long["month"].map(london).to_numpy()
    long["vs_london"] = np.where(long["code"] == LONDON, "", compare(long["lower95"], long["upper95"],
                                                                     long["london_rate"]))
    names = {**series.names, LONDON: f"{LONDON} ({len(codes)} boroughs)"}
    long["name"] = long["code"].map(names)
    return long[["code", "name", "month", "count", "population", "rate", "lower95", "upper95",
                 "london_rate", "vs_london"]].sort_values(["code", "month"]).reset_index(drop=True)


def latest(trend: pd.DataFrame) -> pd.DataFrame:
    """The last 12-month window of a :func:`trend_table`, with the change on the window a year
    earlier (``change_pct``), boroughs first by rate (highest first), London last."""
    last = trend["month"].max()
    now = trend.loc[trend["month"] == last].set_index("code")
    before = trend.loc[trend["month"] == last - 12].set_index("code")["count"]
    now["change_pct"] = 100 * (now["count"] / before.reindex(now.index) - 1)
    boroughs = now.drop(index=LONDON).sort_values("rate", ascending=False)
    return pd.concat([boroughs, now.loc[[LONDON]]]).reset_index()
