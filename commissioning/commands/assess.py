"""python -m commissioning assess [--data DIR] [--benchmarks FILE] [--format table|csv|json] [--out FILE]"""

from __future__ import annotations

import json

from commissioning.commands.common import add_data_arguments, dataset_from_args, write_output
from commissioning.needs.assessment import run_assessment
from commissioning.publish.text import gap_table_text


def add_arguments(parser) -> None:
    add_data_arguments(parser)
    parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    parser.add_argument("--out", default=None, help="write to FILE instead of stdout")


def run(args) -> int:
    ds = dataset_from_args(args)
    assessment = run_assessment(ds)
    gaps, totals = assessment.gaps, assessment.totals
    if args.format == "csv":
        text = gaps.to_csv(index=False)
    elif args.format == "json":
        text = json.dumps({
            "illustrative": sorted(ds.illustrative),
            "models": {s: {"model": b.use, "rule": b.model.describe(), "citation": b.model.citation}
                       for s, b in ds.benchmarks.services.items()},
            "rows": json.loads(gaps.to_json(orient="records")),
            "totals": json.loads(totals.to_json(orient="records")),
        }, indent=2) + "\n"
    else:
        text = gap_table_text(assessment)
    write_output(text, args.out)
    return 0
