"""python -m commissioning forecast --series FILE.csv --measure MEASURE [--until YYYY-MM] --horizon MONTHS
[--model auto|seasonal_naive|ets_level|ets_seasonal|ets_damped] [--format table|csv] [--out FILE]

The series file is long: ``code,name,month,<measure columns>`` (``month`` as YYYY-MM). ``--until``
ignores every month after it (for backtests). CSV columns: ``code,month,forecast,lower80,upper80,
lower95,upper95``, one row per borough and future month. With ``--model auto`` (the default) the
model is chosen by a rolling-origin backtest against seasonal naive, reported on stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

from commissioning.commands.common import write_output
from commissioning.demand.forecast import LABELS, MODELS, backtest, forecast_series
from commissioning.demand.series import read_series
from commissioning.errors import InputError
from commissioning.safeio import csv_text

MAX_HORIZON = 120


def add_arguments(parser) -> None:
    parser.add_argument("--series", type=Path, required=True, metavar="FILE.csv",
                        help="long monthly file: code,name,month,<measure columns>")
    parser.add_argument("--measure", required=True, help="the measure column to forecast, e.g. vawg_offences")
    parser.add_argument("--until", default=None, metavar="YYYY-MM", help="ignore every month after this one")
    parser.add_argument("--horizon", type=int, required=True, metavar="MONTHS", help="months ahead (1-120)")
    parser.add_argument("--model", choices=["auto", *MODELS], default="auto",
                        help="auto (default): the model that beats seasonal naive in a rolling-origin backtest")
    parser.add_argument("--format", choices=["table", "csv"], default="table")
    parser.add_argument("--out", type=Path, default=None, help="write to FILE instead of stdout")


def run(args) -> int:
    if not 1 <= args.horizon <= MAX_HORIZON:
        raise InputError(f"--horizon {args.horizon}", expected=f"a number of months from 1 to {MAX_HORIZON}")
    series = read_series(args.series)
    if args.measure not in series.measures:
        raise InputError(f"no measure {args.measure!r}", file=args.series, line=1, column=args.measure,
                         expected=f"one of the columns {', '.join(series.measures)}")
    if args.until is not None:
        series = series.until(args.until)
    model, accuracy, scale = args.model, None, 1.0
    try:
        if model == "auto":
            result = backtest(series, args.measure)
            model, accuracy, scale = result.chosen, result.describe(), result.scale
        table = forecast_series(series, args.measure, args.horizon, model, scale)
    except ValueError as err:
        raise InputError(str(err), file=args.series, column=args.measure,
                         expected="a complete monthly series with some figures above 0 (the models need 13 to 36 months of history)") from None
    mark = (f"ESTIMATED: forecasts of {args.measure} from {series.first_month} to {series.last_month} "
            f"({LABELS[model]}); estimates with 80% and 95% intervals, not recorded figures.")
    if args.format == "csv":
        print(mark, file=sys.stderr)
        if accuracy:
            print(accuracy, file=sys.stderr)
        out = table.copy()
        out["month"] = out["month"].astype(str)
        text = csv_text(out.round(3))
    else:
        names = series.names
        lines = [mark] + ([accuracy] if accuracy else []) + [""]
        lines.append(f"{'Authority':<24}{'month':>8}{'forecast':>10}{'80% range':>18}{'95% range':>18}")
        for r in table.itertuples():
            lines.append(f"{names[r.code]:<24}{str(r.month):>8}{r.forecast:>10.0f}"
                         f"{f'{r.lower80:.0f}-{r.upper80:.0f}':>18}{f'{r.lower95:.0f}-{r.upper95:.0f}':>18}")
        text = "\n".join(lines) + "\n"
    write_output(text, args.out)
    return 0
