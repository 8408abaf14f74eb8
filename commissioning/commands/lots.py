"""python -m commissioning lots [--k 5] [--service all|idva|...] [--format table|csv] [--out FILE]"""

from __future__ import annotations

from commissioning.commands.common import (
    add_data_arguments,
    boundaries_from_args,
    dataset_from_args,
    write_output,
)
from commissioning.publish.text import estimated_notice, illustrative_notice
from commissioning.safeio import csv_text
from commissioning.spatial.lots import ALL, Lots, make_lots


def add_arguments(parser) -> None:
    add_data_arguments(parser)
    parser.add_argument("--k", type=int, default=5, help="number of lots (default 5)")
    parser.add_argument("--service", default=ALL,
                        help="balance the need of one service type, or 'all' (mean need share; default)")
    parser.add_argument("--format", choices=["table", "csv"], default="table",
                        help="table: lots with need, provision and shortfall; csv: code,name,lot")
    parser.add_argument("--out", default=None, help="write to FILE instead of stdout")


def lots_text(ds, lots: Lots) -> str:
    lines = []
    for notice in (illustrative_notice(ds), estimated_notice(ds)):
        if notice:
            lines += [notice, ""]
    what = "the mean share of each service's need" if lots.service == ALL else f"{lots.service} need"
    lines.append(f"{lots.k} contiguous lots balanced on {what}; balance (largest lot's need / mean) "
                 f"= {lots.balance:.3f}")
    lines.append("")
    for lot, rows in lots.summary.groupby("lot", sort=False):
        first = rows.iloc[0]
        lines.append(f"{lot} — {first.authorities} authorities: {first.members}")
        lines.append(f"  {'service':<14}{'need':>10}{'provision':>11}{'shortfall':>11}{'coverage':>10}")
        for r in rows.itertuples():
            unit = ds.benchmarks.services[r.service].unit
            cov = "n/a" if r.coverage_pct != r.coverage_pct else f"{r.coverage_pct:.0f}%"
            lines.append(f"  {r.service:<14}{r.need:>10.1f}{r.provision:>11.1f}{r.shortfall:>11.1f}{cov:>10}  {unit}")
        lines.append("")
    lines.append("Shortfall = need - provision (negative: more than the benchmark). Lots are numbered west to east.")
    return "\n".join(lines) + "\n"


def run(args) -> int:
    ds = dataset_from_args(args)
    boundaries = boundaries_from_args(args, ds)
    lots = make_lots(ds, args.k, args.service.strip().lower(), boundaries)
    if args.format == "csv":
        text = csv_text(lots.assignment[["code", "name", "lot"]])
    else:
        text = lots_text(ds, lots)
    write_output(text, args.out)
    return 0
