"""``python -m commissioning satisfaction report|publish|trajectory``: victim satisfaction against targets.

    satisfaction report --results RESULTS.csv --targets TARGETS.yaml [--areas BCUS.csv] [--format table|csv]
                        [--out FILE]
    satisfaction publish --quarter 2026Q3 [--format pdf|html] --out FILE [--results R] [--targets T] [--returns F]
                         [--areas A]
    satisfaction trajectory --area E23000001 --goal 85|highest --goal-year 2029 [--results R] [--out FILE]

--format html writes the publication as one self-contained, accessible HTML page; PDF is the default.
Without --results the embedded data is used: the review's 2012 baseline (real) and illustrative
2026 rows, illustrative targets and illustrative provider returns, marked as such.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from commissioning.commands.common import write_output
from commissioning.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True

    report = sub.add_parser("report", help="each result with its 95%% interval against its target")
    _inputs(report, returns=False)
    report.add_argument("--format", choices=["table", "csv"], default="table")
    report.add_argument("--out", type=Path, default=None, metavar="FILE", help="write here (default: stdout)")

    publish = sub.add_parser("publish", help="the quarterly publication as PDF or HTML")
    publish.add_argument("--quarter", required=True, help="calendar quarter YYYYQn, e.g. 2026Q3 (July-September)")
    _inputs(publish, returns=True)
    publish.add_argument("--format", choices=["pdf", "html"], default="pdf",
                         help="pdf (default) or html: the accessible HTML version of the same document")
    publish.add_argument("--out", type=Path, required=True, metavar="FILE")

    trajectory = sub.add_parser("trajectory", help="propose annual targets from the latest result to a goal")
    _inputs(trajectory, returns=False, targets=False)
    trajectory.add_argument("--area", required=True, help="area code, e.g. E23000001 (Metropolitan Police)")
    trajectory.add_argument("--group", default="all")
    trajectory.add_argument("--goal", required=True,
                            help="goal %%, or 'highest' for the highest police force area rating in the results")
    trajectory.add_argument("--goal-year", type=int, required=True)
    trajectory.add_argument("--first-year", type=int, default=None,
                            help="first year to set a target for (default: the year after the latest result)")
    trajectory.add_argument("--set-by", default="proposed (not yet agreed)")
    trajectory.add_argument("--out", type=Path, default=None, metavar="FILE", help="targets YAML (default: stdout)")


def _inputs(parser, *, returns: bool, targets: bool = True) -> None:
    parser.add_argument("--results", type=Path, default=None, metavar="FILE",
                        help="police survey results CSV (default: the embedded data/satisfaction/results.csv)")
    if targets:
        parser.add_argument("--targets", type=Path, default=None, metavar="FILE",
                            help="targets YAML (default with the embedded results: data/satisfaction/targets.yaml)")
    if returns:
        parser.add_argument("--returns", type=Path, default=None, metavar="FILE",
                            help="provider returns CSV, the second source (client satisfaction)")
    parser.add_argument("--areas", type=Path, default=None, metavar="FILE",
                        help="BCU areas CSV code,name,boroughs (when results are by BCU)")


def run(args) -> int:
    from commissioning.satisfaction import measures, publication

    inputs = publication.load_inputs(args.results, getattr(args, "targets", None), getattr(args, "returns", None),
                                     args.areas, embedded_returns=args.action == "publish")
    if inputs.embedded:
        print("note: embedded data: the 2012 baseline is real (London Assembly review); the 2026 results, "
              "targets and provider returns are ILLUSTRATIVE", file=sys.stderr)
    if args.action == "report":
        measured = measures.measure(inputs.results, inputs.targets)
        text = measures.report_csv(measured) if args.format == "csv" else measures.report_table(measured)
        write_output(text, args.out)
    elif args.action == "publish":
        from commissioning.publish import satisfaction_document as document

        build = document.build_html if args.format == "html" else document.build_pdf
        build(publication.build_publication(inputs, args.quarter), args.out)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        from commissioning.satisfaction import trajectory
        from commissioning.satisfaction.targets import targets_yaml

        if args.goal_year < 1990 or args.goal_year > 2100:
            raise InputError(f"--goal-year {args.goal_year}", expected="a calendar year such as 2029")
        proposal = trajectory.propose(measures.measure(inputs.results), args.area.upper(), args.group, args.goal,
                                      args.goal_year, first_year=args.first_year, set_by=args.set_by,
                                      set_on=dt.date.today())
        write_output(targets_yaml(proposal), args.out)
    return 0
