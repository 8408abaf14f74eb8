"""Monthly forecasts per borough with 80% and 95% intervals, and the backtest that picks the model.

Candidate models (Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed.,
sections 5.2, 5.5 and 8.1-8.7):

- ``seasonal_naive`` (the baseline): y(T+h) = y(T+h-12k), k = the whole years needed. Residuals
  e(t) = y(t) - y(t-12); sigma^2 = mean(e^2); the h-step interval is +- z sigma sqrt(k),
  k = floor((h-1)/12) + 1 (FPP3 table 5.2), cut at zero.
- ``ets_level``, ``ets_seasonal``, ``ets_damped``: exponential smoothing state-space models
  ETS(A,N,N), ETS(A,N,A) and ETS(A,Ad,A) (statsmodels ``ETSModel``) fitted by maximum likelihood
  to log(1 + y) over at most the last :data:`FIT_WINDOW` months, the initial states set by the
  heuristic of Hyndman et al. (2008, section 2.6.1), which makes fitting several times faster.
  Their intervals are the model's prediction intervals on the log scale, transformed back, so
  the central forecast is the median on the count scale and intervals are never negative.

The model for a measure is chosen by a rolling-origin backtest (FPP3 5.10): from each origin
T - 12, T - 24, ... the models are fitted on the months up to the origin and forecast the next
12; a model's error in a borough is its mean absolute error over those months relative to the
seasonal-naive one (below 1 = better than the baseline). The model with the lowest median
relative error over the boroughs is used, if it beats seasonal naive (median < 1); otherwise
seasonal naive is. The backtest's accuracy and the 80% intervals' coverage are published beside
every forecast. When the chosen model's own 80% intervals held fewer than 80% of the backtest's
actual months, its intervals are widened about the central forecast by the factor that would have
made them hold 80% (the 80th percentile of the errors in half-widths of the interval: empirical
prediction intervals, Williams & Goodman 1971); they are never narrowed.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from commissioning.demand.series import MonthlySeries
from commissioning.errors import InputError
from commissioning.safeio import write_atomic
from commissioning.stats import Z80
from commissioning.stats import Z95_EXACT as Z95

SEASON = 12
FIT_WINDOW = 96          # months of history the ETS models are fitted on (the latest eight years)
BASELINE = "seasonal_naive"
# model -> (trend, damped, seasonal, fewest months of history it is fitted on)
ETS_SPECS = {"ets_level": (None, False, None, 12), "ets_seasonal": (None, False, "add", 36),
             "ets_damped": ("add", True, "add", 36)}
MODELS = (BASELINE, *ETS_SPECS)
LABELS = {BASELINE: "seasonal naive (same month last year)", "ets_level": "exponential smoothing, level only",
          "ets_seasonal": "exponential smoothing with seasonality",
          "ets_damped": "exponential smoothing with damped trend and seasonality"}
FORECAST_COLUMNS = ["code", "month", "forecast", "lower80", "upper80", "lower95", "upper95"]


def _ets(y: np.ndarray, model: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels 0.14 warns about pandas 3 deprecations on import
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    trend, damped, seasonal, _ = ETS_SPECS[model]
    endog = pd.Series(np.log1p(y[-FIT_WINDOW:]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter; the backtest judges the fit
        return ETSModel(endog, error="add", trend=trend, damped_trend=damped, seasonal=seasonal,
                        seasonal_periods=SEASON if seasonal else None,
                        initialization_method="heuristic").fit(disp=False)


def can_fit(model: str, months: int) -> bool:
    """Whether ``model`` can be fitted on ``months`` months of history."""
    return months >= (SEASON + 1 if model == BASELINE else ETS_SPECS[model][3])


@dataclass(frozen=True)
class Fitted:
    """One model fitted to one borough's monthly counts ``y`` (oldest first)."""

    model: str
    y: np.ndarray
    result: object = None  # the statsmodels results (ETS models)

    def forecast(self, horizon: int, scale: float = 1.0) -> pd.DataFrame:
        """Columns forecast, lower80, upper80, lower95, upper95 for steps 1..horizon. ``scale``
        widens every interval about the central forecast (on the model's scale: counts for seasonal
        naive, log(1 + count) for ETS); 1 = the model's own intervals."""
        if self.model == BASELINE:
            h = np.arange(1, horizon + 1)
            point = self.y[-SEASON:][(h - 1) % SEASON]
            errors = self.y[SEASON:] - self.y[:-SEASON]
            sigma = scale * np.sqrt(np.mean(errors ** 2)) * np.sqrt((h - 1) // SEASON + 1)
            return pd.DataFrame({"forecast": point,
                                 "lower80": np.maximum(point - Z80 * sigma, 0), "upper80": point + Z80 * sigma,
                                 "lower95": np.maximum(point - Z95 * sigma, 0), "upper95": point + Z95 * sigma})
        n = self.result.nobs
        prediction = self.result.get_prediction(start=n, end=n + horizon - 1)
        centre = np.asarray(prediction.predicted_mean, dtype=float)
        out = {"forecast": np.expm1(centre)}
        for level, alpha in (("80", 0.2), ("95", 0.05)):
            frame = prediction.summary_frame(alpha=alpha)
            low = centre - scale * (centre - frame["pi_lower"].to_numpy())
            high = centre + scale * (frame["pi_upper"].to_numpy() - centre)
            out[f"lower{level}"] = np.maximum(np.expm1(low), 0)
            out[f"upper{level}"] = np.expm1(high)
        return pd.DataFrame(out)

    def paths(self, horizon: int, repetitions: int, seed: int, scale: float = 1.0) -> np.ndarray:
        """Simulated future paths (repetitions x horizon), for intervals of sums over months;
        ``scale`` widens their spread about the central forecast as in :meth:`forecast`."""
        if self.model == BASELINE:
            rng = np.random.default_rng(seed)
            errors = self.y[SEASON:] - self.y[:-SEASON]
            sigma = scale * np.sqrt(np.mean(errors ** 2))
            years = (horizon - 1) // SEASON + 1
            shocks = rng.normal(0, sigma, (repetitions, years, SEASON)).cumsum(axis=1).reshape(repetitions, -1)
            base = np.tile(self.y[-SEASON:], years)
            return np.maximum(base + shocks, 0)[:, :horizon]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sims = np.asarray(self.result.simulate(horizon, repetitions=repetitions, anchor="end",
                                                   random_state=np.random.RandomState(seed)), dtype=float).T
        if scale != 1.0:
            n = self.result.nobs
            centre = np.asarray(self.result.get_prediction(start=n, end=n + horizon - 1).predicted_mean, dtype=float)
            sims = centre + scale * (sims - centre)
        return np.maximum(np.expm1(sims), 0)


def fit(y, model: str) -> Fitted:
    """Fit ``model`` (one of :data:`MODELS`) to monthly counts ``y``."""
    y = np.asarray(y, dtype=float)
    if model not in MODELS:
        raise ValueError(f"model {model!r}: expected one of {MODELS}")
    if not can_fit(model, len(y)):
        raise ValueError(f"{model} needs more history than {len(y)} months")
    return Fitted(model, y, None if model == BASELINE else _ets(y, model))


def forecast_series(series: MonthlySeries, measure: str, horizon: int, model: str, scale: float = 1.0
                    ) -> pd.DataFrame:
    """Forecast table: code, month, forecast, lower80, upper80, lower95, upper95 (one row per
    borough and future month after the series' last month); ``scale``: see :meth:`Fitted.forecast`."""
    if horizon < 1:
        raise ValueError("horizon must be at least 1 month")
    matrix = series.matrix(measure)
    frames = []
    for code in matrix.columns:
        observed = _observed(matrix[code], measure, code)
        # Each borough's forecast starts after its own last month (one may end early).
        months = pd.period_range(observed.index[-1] + 1, periods=horizon, freq="M")
        frame = fit(observed.to_numpy(), model).forecast(horizon, scale)
        frame.insert(0, "month", months)
        frame.insert(0, "code", code)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)[FORECAST_COLUMNS]


def _observed(column: pd.Series, measure: str, code: str) -> pd.Series:
    """A borough's months with figures (the series reader refuses gaps between its first and last)."""
    observed = column.dropna()
    if observed.empty:
        raise ValueError(f"{measure}: {code} has no figures")
    return observed


def _common_months(matrix: pd.DataFrame, measure: str) -> pd.DataFrame:
    """The months every borough has a figure for (a series may start late or end early)."""
    spans = [_observed(matrix[code], measure, code).index for code in matrix.columns]
    first, last = max(s[0] for s in spans), min(s[-1] for s in spans)
    if first > last:
        raise ValueError(f"{measure}: the boroughs' months do not overlap, so no model can be compared on them")
    return matrix.loc[first:last]


@dataclass(frozen=True)
class Backtest:
    """Per model and borough: ``errors`` (mean absolute error), ``relative`` (MAE / seasonal-naive
    MAE), ``coverage80`` (share of actual months inside the model's own 80% interval); ``scales``
    per model: how much its intervals must widen to hold 80% of the backtest's actual months (at
    least 1); ``chosen``: the model used."""

    measure: str
    origins: tuple[pd.Period, ...]
    horizon: int
    errors: pd.DataFrame
    relative: pd.DataFrame
    coverage80: pd.DataFrame
    chosen: str
    scales: dict[str, float]

    @property
    def scale(self) -> float:
        """The interval widening of the chosen model (1 = its own intervals held 80% or more)."""
        return self.scales[self.chosen]

    def summary(self) -> pd.DataFrame:
        """One row per model: median relative MAE over boroughs, mean 80% coverage, boroughs better."""
        return pd.DataFrame({
            "model": self.relative.columns,
            "median_relative_mae": self.relative.median().to_numpy(),
            "coverage80": self.coverage80.mean().to_numpy(),
            "boroughs_better": (self.relative < 1).sum().to_numpy(),
        })

    def describe(self) -> str:
        return f"{self.measure}: {LABELS[self.chosen]}; {self.accuracy()}"

    def accuracy(self) -> str:
        """How the chosen model did in the backtest, in words (without the measure or model name)."""
        row = self.summary().set_index("model").loc[self.chosen]
        origins = ", ".join(str(o) for o in self.origins)
        return (f"backtest from {origins} ({self.horizon} months ahead each): "
                f"mean absolute error {row.median_relative_mae:.2f} x seasonal naive (median borough), "
                f"the model's own 80% intervals held {row.coverage80:.0%} of actual months"
                + (f", so intervals are widened {self.scale:.2f} times to match past errors" if self.scale > 1 else ""))


_BACKTESTS: dict[tuple, Backtest] = {}  # by the series' content and the arguments (see backtest)
_CACHE_SIZE = 16
CACHE_ENV = "COMMISSIONING_CACHE"
_CACHE_VERSION = 1  # raise when _backtest changes what it computes, so older cached results are not read


def _cache_file(key: tuple) -> Path:
    """Where a finished backtest is kept between processes (the app, the CLI and each document
    build would otherwise repeat the same minute of model fitting): ``$COMMISSIONING_CACHE`` or
    ``~/.cache/commissioning``, one JSON file per key (the series' content and the arguments)."""
    root = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "commissioning") / "backtests"
    return root / (hashlib.sha256(repr((_CACHE_VERSION, key)).encode()).hexdigest()[:32] + ".json")


def _to_json(test: Backtest) -> str:
    frame = lambda f: json.loads(f.to_json(orient="split"))  # noqa: E731
    return json.dumps({"measure": test.measure, "origins": [str(o) for o in test.origins],
                       "horizon": test.horizon, "errors": frame(test.errors), "relative": frame(test.relative),
                       "coverage80": frame(test.coverage80), "chosen": test.chosen, "scales": test.scales})


def _from_json(text: str) -> Backtest:
    data = json.loads(text)
    frame = lambda d: pd.DataFrame(d["data"], index=d["index"], columns=d["columns"], dtype=float)  # noqa: E731
    return Backtest(data["measure"], tuple(pd.Period(o, freq="M") for o in data["origins"]), int(data["horizon"]),
                    frame(data["errors"]), frame(data["relative"]), frame(data["coverage80"]), data["chosen"],
                    {k: float(v) for k, v in data["scales"].items()})


def _cached(key: tuple, compute) -> Backtest:
    path = _cache_file(key)
    try:
        return _from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        pass                                        # absent or unreadable: compute it again
    test = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, _to_json(test))
    except (OSError, InputError):
        pass                                        # a read-only home only costs the next process the refit
    return test


def backtest(series: MonthlySeries, measure: str, origins: int = 2, horizon: int = SEASON,
             models: tuple[str, ...] = MODELS, last_origin: str | pd.Period | None = None) -> Backtest:
    """Rolling-origin backtest: origins ``last_origin`` (default: ``horizon`` months before the
    series' last month), then 12, 24, ... months earlier while there is enough history; each
    forecasts ``horizon`` months. A series too short for that (the 24-month crime series) is
    tested from its one possible origin over the months left, at least 6.

    The result is kept by the series' content (a hash of its months, codes and counts) and the
    arguments: in memory, so the PDF chapters, the contract outlook and the CLI of one process test
    each series once, and on disk (:func:`_cache_file`), so the next process does not test it again."""
    matrix = series.matrix(measure)
    key = (int(pd.util.hash_pandas_object(matrix.reset_index(), index=False).sum()), tuple(matrix.columns),
           measure, origins, horizon, tuple(models), None if last_origin is None else str(last_origin))
    if key not in _BACKTESTS:
        if len(_BACKTESTS) >= _CACHE_SIZE:
            _BACKTESTS.pop(next(iter(_BACKTESTS)))
        _BACKTESTS[key] = _cached(key, lambda: _backtest(matrix, measure, origins, horizon, models, last_origin))
    return _BACKTESTS[key]


def _backtest(matrix: pd.DataFrame, measure: str, origins: int, horizon: int, models: tuple[str, ...],
              last_origin: str | pd.Period | None) -> Backtest:
    matrix = _common_months(matrix, measure)
    if not matrix.to_numpy().any():
        raise ValueError(f"{measure}: every figure is 0, so there is no pattern to forecast from")
    end = matrix.index[-1]
    last = pd.Period(last_origin, freq="M") if last_origin is not None else end - horizon
    first_possible = matrix.index[0] + SEASON  # seasonal naive needs 13 months for its interval
    if last < first_possible:
        last, horizon = first_possible, min(horizon, (end - first_possible).n)
        if horizon < 6:
            raise ValueError(f"{measure}: {len(matrix)} months are too few for a backtest (need at least 19)")
    points = [p for p in (last - SEASON * k for k in range(origins))
              if p >= first_possible and p + horizon <= end]
    usable = [m for m in models if m == BASELINE or all(can_fit(m, len(matrix.loc[:p])) for p in points)]
    errors = {m: {} for m in usable}
    inside = {m: {} for m in usable}
    standardised = {m: [] for m in usable}
    for code in matrix.columns:
        for m in usable:
            abs_err, hits = [], []
            for p in points:
                history = matrix.loc[:p, code].to_numpy()
                actual = matrix.loc[p + 1: p + horizon, code].to_numpy()
                pred = fit(history, m).forecast(horizon)
                abs_err.append(np.abs(pred["forecast"].to_numpy() - actual))
                hits.append((actual >= pred["lower80"].to_numpy()) & (actual <= pred["upper80"].to_numpy()))
                standardised[m].append(_standardised(m, actual, pred))
            errors[m][code] = float(np.mean(np.concatenate(abs_err)))
            inside[m][code] = float(np.mean(np.concatenate(hits)))
    errors_frame, coverage = pd.DataFrame(errors), pd.DataFrame(inside)
    relative = errors_frame.div(errors_frame[BASELINE].where(errors_frame[BASELINE] > 0), axis=0)
    medians = relative.median()
    # All NaN when seasonal naive never erred (e.g. a borough's figures repeat exactly): keep it.
    best = medians.idxmin() if medians.notna().any() else BASELINE
    chosen = best if medians[best] < 1 else BASELINE
    scales = {m: max(1.0, float(np.quantile(np.abs(np.concatenate(v)), 0.8))) for m, v in standardised.items()}
    return Backtest(measure, tuple(sorted(points)), horizon, errors_frame, relative, coverage, chosen, scales)


def _standardised(model: str, actual: np.ndarray, pred: pd.DataFrame) -> np.ndarray:
    """Forecast errors in units of the 80% interval's half-width, on the model's own scale (counts
    for seasonal naive, log(1 + count) for ETS): |value| <= 1 means inside the interval."""
    g = (lambda v: np.asarray(v, dtype=float)) if model == BASELINE else np.log1p
    centre = g(pred["forecast"].to_numpy())
    error = g(actual) - centre
    half = np.where(error >= 0, g(pred["upper80"].to_numpy()) - centre,
                    centre - g(pred["lower80"].to_numpy()) if model != BASELINE
                    else g(pred["upper80"].to_numpy()) - centre)
    return error / np.where(half > 0, half, np.inf)
