"""python -m commissioning assess [--data DIR] [--benchmarks FILE] [--format table|csv|json] [--out FILE]
[--period now|contract [--rules FILE]] [--quarter YYYYQn | --as-of YYYY-MM-DD]

``--period contract`` gives need for each year of the contract period in the rules' timetable
(central figure with 80% and 95% ranges, from demand forecasts); CSV columns then are
``code,name,service,year,first_month,last_month,extension,basis,need,need_lower80,need_upper80,
need_lower95,need_upper95,provision``.
"""

from __future__ import annotations

import json
import sys

from commissioning.commands.common import (
    add_data_arguments,
    dataset_from_args,
    write_output,
)
from commissioning.needs.assessment import run_assessment
from commissioning.publish.text import gap_table_text
from commissioning.safeio import csv_text


def add_arguments(parser) -> None:
    add_data_arguments(parser)
    parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    parser.add_argument("--out", default=None, help="write to FILE instead of stdout")
    parser.add_argument("--period", choices=["now", "contract"], default="now",
                        help="now (default): today's gap table; contract: need for each contract year, "
                             "from forecasts, with ranges")
    parser.add_argument("--rules", default=None, metavar="FILE",
                        help="rules file whose timetable gives the contract period "
                             "(default scoring_rules/default.yaml)")
    parser.add_argument("--quarter", default=None, metavar="YYYYQn",
                        help="as of a calendar quarter: approved provider returns (store COMMISSIONING_DB) "
                             "replace services.csv for each service type that has any")
    parser.add_argument("--as-of", default=None, metavar="YYYY-MM-DD", dest="as_of",
                        help="as of a date: the capacity of the contracts active that day, then the approved "
                             "returns of the last quarter before it, then services.csv, per service type")


def _contract(args, ds, gaps) -> str:
    from commissioning.demand.contract import (
        contract_from_rules,
        contract_outlook,
        london_need,
    )
    from commissioning.demand.text import ESTIMATE_MARK, contract_need_text
    from commissioning.errors import InputError
    from commissioning.paths import DEFAULT_RULES
    from commissioning.procurement.rules import load_rules

    contract = contract_from_rules(load_rules(args.rules))
    if contract is None:
        raise InputError("the rules have no contract period", file=args.rules or DEFAULT_RULES,
                         column="timetable.contract_start",
                         expected="timetable.contract_start and a contract block with years")
    table, tests = contract_outlook(ds, contract, gaps)
    if args.format == "table":
        return contract_need_text(ds, table, tests, contract)
    print(ESTIMATE_MARK, file=sys.stderr)
    for test in tests.values():
        print(f"Model: {test.describe()}", file=sys.stderr)
    if args.format == "csv":
        return csv_text(table)
    return json.dumps({"estimated": True, "contract": {"start": str(contract.start), "years": contract.years,
                                                       "extension_years": contract.extension_years},
                       "models": {m: t.describe() for m, t in tests.items()},
                       "rows": json.loads(table.to_json(orient="records")),
                       "totals": json.loads(london_need(table).to_json(orient="records"))}, indent=2) + "\n"


def _as_of(args, ds, sources: dict, lines: list):
    """``ds`` with provision as of ``--quarter`` (approved returns) or ``--as-of`` (contracts, then
    returns; the store is COMMISSIONING_DB); fills ``sources`` (service -> Provenance) and ``lines``
    (the words printed about them)."""
    from commissioning.commands.round import parse_date
    from commissioning.errors import InputError
    from commissioning.returns.provision import (
        as_of_date,
        as_of_quarter,
        provenance_lines,
    )
    from commissioning.returns.quarters import check_quarter
    from commissioning.store import open_store
    from commissioning.web.appdata import db_location

    if args.quarter and args.as_of:
        raise InputError("give --quarter or --as-of, not both", expected="one of them")
    day = parse_date(args.as_of, "--as-of")
    quarter = check_quarter(args.quarter) if args.quarter else None
    store = open_store(db_location())
    try:
        if day is not None:
            ds, found = as_of_date(ds, store.contract_capacity_on(day), store.approved_returns(), day)
        else:
            ds, found = as_of_quarter(ds, store.approved_returns(quarter), quarter)
    finally:
        store.close()
    sources.update(found)
    when = day.isoformat() if day is not None else quarter
    lines += [f"Provision as of {when}:"] + [f"  {line}" for line in provenance_lines(found, ds)]
    if args.format != "table":
        print("\n".join(lines), file=sys.stderr)
    return ds


def run(args) -> int:
    sources: dict = {}
    lines: list[str] = []
    adjust = (lambda ds: _as_of(args, ds, sources, lines)) if args.quarter or args.as_of else None
    ds = dataset_from_args(args, adjust=adjust)
    assessment = run_assessment(ds)
    gaps, totals = assessment.gaps, assessment.totals
    if args.period == "contract":
        text = _contract(args, ds, gaps)
    elif args.format == "csv":
        text = csv_text(gaps)
    elif args.format == "json":
        text = json.dumps({
            "illustrative": sorted(ds.illustrative),
            "estimated": sorted(ds.estimated),
            "models": {s: {"model": b.use, "rule": b.model.describe(), "citation": b.model.citation}
                       for s, b in ds.benchmarks.services.items()},
            "rows": json.loads(gaps.to_json(orient="records")),
            **({"quarter": args.quarter, "as_of": args.as_of,
                "provenance": {s: {"source": p.source, "label": p.label}
                                                        for s, p in sources.items()}} if sources else {}),
            "totals": json.loads(totals.to_json(orient="records")),
        }, indent=2) + "\n"
    else:
        text = gap_table_text(assessment)
        if sources:
            text = "\n".join(lines) + "\n\n" + text
    write_output(text, args.out)
    return 0
