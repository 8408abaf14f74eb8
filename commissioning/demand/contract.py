"""Need over the contract period: for each contract year, a central figure and 80% / 95% ranges.

A contract starts on the rules' ``timetable.contract_start`` and runs ``contract.years`` years,
with up to ``contract.extension_years`` more. For each service's need model:

- ``caseload`` on a measure with a monthly series (recorded sexual offences for ISVAs): the
  measure is forecast month by month (:mod:`commissioning.demand.forecast`, the model chosen by
  the backtest), 1,000 simulated paths are summed over each contract year, and
  need = sum x referral_share / cases_per_fte, the central figure being the paths' mean (the
  expected need: means add up across boroughs to London's, where the median of log-scale paths runs
  low and medians do not add up) and the ranges their 10-90% and 2.5-97.5% quantiles (the paths' spread widened by the backtest's factor,
  see :mod:`commissioning.demand.forecast`);
- ``caseload`` on an annual figure driven by a series (Marac cases, estimated from VAWG offences;
  domestic-abuse offences, a VAWG proxy): the figure moves with its driver,
  year value = current value x forecast driver sum over the year / driver sum over the figure's
  own period, which assumes cases per VAWG offence stay as they are;
- ``rate`` per population (IDVAs per adult women, refuge places per population): held flat at
  today's need, since population projections are not part of the data; the range is that one value.

An authority without a series (the City of London is not in MPS data) is held flat too. Every
figure derived from a forecast is an estimate and is labelled so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from commissioning.demand.forecast import Backtest, backtest, fit
from commissioning.demand.series import MonthlySeries, load_series_dir, parse_month
from commissioning.errors import InputError
from commissioning.needs.dataset import Dataset

REPETITIONS = 1000
SEED = 20270401
DRIVERS = {"marac_cases": "vawg_offences", "domestic_abuse_offences": "vawg_offences"}
NEED_COLUMNS = ["code", "name", "service", "year", "first_month", "last_month", "extension", "basis",
                "need", "need_lower80", "need_upper80", "need_lower95", "need_upper95", "provision"]
FLAT_RATE = "held flat (rate per population)"
FLAT_NO_SERIES = "held flat (no monthly series for this authority)"


@dataclass(frozen=True)
class ContractPeriod:
    start: pd.Period            # first month
    years: int
    extension_years: int = 0

    def year_months(self, with_extensions: bool = True) -> list[tuple[int, pd.Period, pd.Period, bool]]:
        """(year number, first month, last month, is an extension year) for each contract year."""
        total = self.years + (self.extension_years if with_extensions else 0)
        return [(k + 1, self.start + 12 * k, self.start + 12 * k + 11, k >= self.years) for k in range(total)]

    @property
    def end(self) -> pd.Period:
        return self.start + 12 * (self.years + self.extension_years) - 1


def contract_from_rules(rules) -> ContractPeriod | None:
    """The contract period of a :class:`~commissioning.rules.Rules`, or None if it has none."""
    start: dt.date | None = rules.timetable.get("contract_start")
    if start is None or not rules.contract_years:
        return None
    return ContractPeriod(pd.Period(start, freq="M"), int(rules.contract_years), int(rules.extension_years))


def year_sums(series: MonthlySeries, measure: str, model: str, contract: ContractPeriod,
              seed: int = SEED, scale: float = 1.0) -> dict[str, np.ndarray]:
    """Per code: simulated sums of ``measure`` over each contract year (repetitions x years).
    Months already observed count as observed; later ones come from the model's paths."""
    matrix = series.matrix(measure)
    last = matrix.index[-1]
    horizon = max((contract.end - last).n, 0)
    out = {}
    for i, code in enumerate(matrix.columns):
        y = matrix[code].to_numpy()
        paths = (fit(y, model).paths(horizon, REPETITIONS, seed + i, scale) if horizon
                 else np.zeros((REPETITIONS, 0)))
        sums = []
        for _, first, final, _ in contract.year_months():
            total = np.full(REPETITIONS, float(matrix.loc[first:min(final, last), code].sum()))
            lo, hi = max((first - last).n - 1, 0), (final - last).n
            if hi > 0:
                total += paths[:, lo:hi].sum(axis=1)
            sums.append(total)
        out[code] = np.column_stack(sums)
    return out


def _period_months(period: str) -> tuple[pd.Period, pd.Period] | None:
    """'2024-04/2025-03' -> the two months; None if it is not of that form."""
    parts = str(period).split("/")
    if len(parts) != 2:
        return None
    try:
        return parse_month(parts[0]), parse_month(parts[1])
    except InputError:
        return None


def contract_need(ds: Dataset, series: dict[str, MonthlySeries], models: dict[str, str],
                  contract: ContractPeriod, gaps: pd.DataFrame, scales: dict[str, float] | None = None
                  ) -> pd.DataFrame:
    """One row per authority x service x contract year (columns :data:`NEED_COLUMNS`).

    ``series``: measure -> the monthly series holding it; ``models``: measure -> the model the
    backtest chose; ``gaps``: today's gap table (``assess(ds)``), for today's need and provision;
    ``scales``: measure -> the interval widening the backtest found (default 1).
    """
    years = contract.year_months()
    frames = []
    for service in ds.service_types:
        model = ds.benchmarks.services[service].model
        today = gaps.loc[gaps["service"] == service].set_index("code")
        sums, scale, basis = {}, {}, {}
        if model.kind == "caseload":
            measure = model.measure
            driver = measure if measure in series else DRIVERS.get(measure)
            if driver in series:
                simulated = year_sums(series[driver], driver, models[driver], contract,
                                      scale=(scales or {}).get(driver, 1.0))
                demand = ds.demand.loc[ds.demand["measure"] == measure].set_index("code")
                for code, paths in simulated.items():
                    if driver == measure:
                        sums[code], basis[code] = paths, f"forecast of {measure}"
                        continue
                    window = _period_months(demand.at[code, "period"]) if code in demand.index else None
                    value = demand.at[code, "value"] if code in demand.index else np.nan
                    if window is None or pd.isna(value):
                        continue
                    base = series[driver].matrix(driver).loc[window[0]:window[1], code].sum()
                    if base > 0:
                        sums[code] = paths * value / base
                        basis[code] = f"{measure} moved with the forecast of {driver}"
                scale = {code: model.referral_share / model.cases_per_fte for code in sums}
        for code, name in zip(ds.population["code"], ds.population["name"]):
            now, provision = float(today.at[code, "need"]), float(today.at[code, "provision"])
            for number, first, final, extension in years:
                row = {"code": code, "name": name, "service": service, "year": number,
                       "first_month": str(first), "last_month": str(final), "extension": extension,
                       "provision": provision}
                if code in sums:
                    need = sums[code][:, number - 1] * scale[code]
                    q = np.quantile(need, [0.1, 0.9, 0.025, 0.975])
                    row.update(basis=basis[code], need=need.mean(), need_lower80=q[0], need_upper80=q[1],
                               need_lower95=q[2], need_upper95=q[3])
                else:
                    row.update(basis=FLAT_RATE if model.kind == "rate" else FLAT_NO_SERIES, need=now,
                               need_lower80=now, need_upper80=now, need_lower95=now, need_upper95=now)
                frames.append(row)
    return pd.DataFrame(frames, columns=NEED_COLUMNS)


def london_need(table: pd.DataFrame) -> pd.DataFrame:
    """Totals per service and contract year. The central figure adds the boroughs' central figures;
    the ranges add the boroughs' bounds, as if boroughs moved together (a wider, cautious range)."""
    columns = ["need", "need_lower80", "need_upper80", "need_lower95", "need_upper95", "provision"]
    keys = ["service", "year", "first_month", "last_month", "extension"]
    return table.groupby(keys, sort=False)[columns].sum().reset_index()


def driver_measures(ds: Dataset, series: dict[str, MonthlySeries]) -> list[str]:
    """The series measures that drive a caseload need model of ``ds`` (e.g. sexual_offences)."""
    out = []
    for bench in ds.benchmarks.services.values():
        if bench.model.kind != "caseload":
            continue
        measure = bench.model.measure
        driver = measure if measure in series else DRIVERS.get(measure)
        if driver in series and driver not in out:
            out.append(driver)
    return out


def contract_outlook(ds: Dataset, contract: ContractPeriod, gaps: pd.DataFrame,
                     series: dict[str, MonthlySeries] | None = None, tests: dict[str, Backtest] | None = None
                     ) -> tuple[pd.DataFrame, dict[str, Backtest]]:
    """Need per contract year (:func:`contract_need`) and the backtests that chose each driver's model.
    ``series`` defaults to the data set's ``series/`` folder; ``tests`` are backtests already run."""
    series = load_series_dir(ds.data_dir) if series is None and ds.data_dir is not None else (series or {})
    tests = dict(tests or {})
    for measure in driver_measures(ds, series):
        if measure not in tests:
            tests[measure] = backtest(series[measure], measure)
    tests = {m: tests[m] for m in driver_measures(ds, series)}
    table = contract_need(ds, series, {m: t.chosen for m, t in tests.items()}, contract, gaps,
                          {m: t.scale for m, t in tests.items()})
    return table, tests
