"""Forecast benchmark: fit and forecast 32 boroughs x 3 measures, 36 months ahead.

- ours: :func:`commissioning.demand.forecast.forecast_series` with the model each measure's
  rolling-origin backtest chose (ETS on log counts, statsmodels), on the embedded MPS series
  (VAWG offences and victims Jan 2014 - Feb 2026; sexual offences Mar 2024 - Feb 2026).
- peer: seasonal naive (the baseline the models must beat) on the same series, same horizon.
- accuracy: for each measure, the backtest (12 months ahead from each origin) -- mean absolute
  error relative to seasonal naive, median over boroughs, and the share of actual months inside
  the 80% intervals.

Target: ours under 10 s on the 2-core machine. Prints
``RESULT bench=forecast ours_s=.. peer_s=.. ratio=.. peak_mb=..`` (ratio = peer / ours).
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from commissioning.demand.forecast import BASELINE, LABELS, backtest, forecast_series  # noqa: E402
from commissioning.demand.series import load_series_dir  # noqa: E402
from commissioning.paths import DEFAULT_DATA_DIR  # noqa: E402

MEASURES = ("vawg_offences", "vawg_victims", "sexual_offences")
HORIZON = 36


def main() -> None:
    series = load_series_dir(DEFAULT_DATA_DIR)
    boroughs = {m: len(series[m].codes) for m in MEASURES}
    described = [f"{m} ({boroughs[m]} boroughs, {series[m].first_month} to {series[m].last_month})" for m in MEASURES]
    print(f"input: {', '.join(described)}; horizon {HORIZON} months")

    start = time.perf_counter()
    tests = {m: backtest(series[m], m) for m in MEASURES}
    backtest_s = time.perf_counter() - start
    for m, t in tests.items():
        row = t.summary().set_index("model").loc[t.chosen]
        print(f"accuracy {m}: model={t.chosen} ({LABELS[t.chosen]}); origins {', '.join(map(str, t.origins))}, "
              f"{t.horizon} months ahead; MAE relative to seasonal naive (median borough) "
              f"{row.median_relative_mae:.3f}; "
              f"boroughs better {int(row.boroughs_better)}/{boroughs[m]}; 80% interval coverage {row.coverage80:.1%} "
              f"(seasonal naive {t.coverage80[BASELINE].mean():.1%}); intervals widened x{t.scale:.2f} to match "
              "the backtest's errors")
    print(f"backtest (model choice, 3 measures): {backtest_s:.2f} s")

    start = time.perf_counter()
    ours = [forecast_series(series[m], m, HORIZON, tests[m].chosen, tests[m].scale) for m in MEASURES]
    ours_s = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    start = time.perf_counter()
    peer = [forecast_series(series[m], m, HORIZON, BASELINE) for m in MEASURES]
    peer_s = time.perf_counter() - start

    rows = sum(len(f) for f in ours)
    assert rows == sum(len(f) for f in peer) == sum(boroughs.values()) * HORIZON
    print(f"fit and forecast: {rows} borough-months; ours {ours_s:.2f} s, seasonal naive {peer_s:.3f} s; "
          f"target under 10 s: {'met' if ours_s < 10 else 'NOT met'}")
    print(f"RESULT bench=forecast ours_s={ours_s:.3f} peer_s={peer_s:.3f} ratio={peer_s / ours_s:.3f} "
          f"peak_mb={peak_mb:.0f}")


if __name__ == "__main__":
    main()
