"""``python -m commissioning contracts list|extend|end|performance``: the contracts a round's winning
bids became (``round contracts`` creates them).

    contracts list [--format table|csv] --by USER
    contracts extend --contract ID --years N --by USER
    contracts end --contract ID --on YYYY-MM-DD --reason TEXT --by USER
    contracts performance --contract ID [--year YYYY] [--format table|csv] --by USER

The store is ``--db`` or ``COMMISSIONING_DB``; ``USER`` is a commissioner. Extending and ending are
audited. ``performance`` rates each KPI of the contract's lot per quarter and calendar year from
approved returns (met, approaching, not met; rates with 95% Wilson intervals) and, before the
extension point, sets out the evidence for extending or re-procuring. ``COMMISSIONING_NOW`` stands
in for the clock.
"""

from __future__ import annotations

import sys
from pathlib import Path

from commissioning.commands.common import run_on_store, write_output
from commissioning.safeio import csv_text


def add_arguments(parser) -> None:
    parser.add_argument("--db", default=None, metavar="PATH_OR_URL",
                        help="store: SQLite path or SQLAlchemy URL "
                             "(default: $COMMISSIONING_DB or ./commissioning.sqlite)")
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True
    p = sub.add_parser("list", help="every contract: supplier, lot, capacity, value, period, status")
    p.add_argument("--format", choices=["table", "csv"], default="table")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--by", required=True, metavar="USER")
    p = sub.add_parser("extend", help="use extension years of a contract (audited)")
    p.add_argument("--contract", type=int, required=True, metavar="ID")
    p.add_argument("--years", type=int, required=True, metavar="N")
    p.add_argument("--by", required=True, metavar="USER")
    p = sub.add_parser("end", help="end a contract early (audited)")
    p.add_argument("--contract", type=int, required=True, metavar="ID")
    p.add_argument("--on", required=True, metavar="YYYY-MM-DD", help="its last day")
    p.add_argument("--reason", required=True, metavar="TEXT")
    p.add_argument("--by", required=True, metavar="USER")
    p = sub.add_parser("performance", help="each KPI rated per quarter and year, and the extension evidence")
    p.add_argument("--contract", type=int, required=True, metavar="ID")
    p.add_argument("--year", type=int, default=None, metavar="YYYY", help="one calendar year only")
    p.add_argument("--format", choices=["table", "csv"], default="table")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--by", required=True, metavar="USER")


def run(args) -> int:
    return run_on_store(args, ACTIONS)


def _list(store, args, clock) -> int:
    table = store.contracts_list(args.by)
    if args.format == "csv":
        write_output(csv_text(table, lineterminator="\n"), args.out)
        return 0
    if table.empty:
        write_output("No contracts yet: `round contracts` creates them after the standstill.\n", args.out)
        return 0
    lines = []
    for r in table.itertuples():
        partners = f" with {r.partners}" if r.partners else ""
        ended = f", ended {r.ended_on}" if r.ended_on else ""
        lines.append(f"Contract {r.id} ({r.basis}): {r.supplier}{partners}, lot {r.lot} of {r.round}; "
                     f"{r.capacity:g} {r.capacity_service} capacity; £{r.annual_value:,.0f} a year, "
                     f"£{r.term_value:,.0f} initial term; {r.start} to {r.end}, {r.extension_years_left} "
                     f"extension year(s) left; {r.status}{ended}")
    write_output("\n".join(lines) + "\n", args.out)
    return 0


def _extend(store, args, clock) -> int:
    end = store.extend_contract(args.by, args.contract, args.years)
    print(f"contract {args.contract} extended by {args.years} year(s): it now ends on {end.isoformat()}",
          file=sys.stderr)
    return 0


def _end(store, args, clock) -> int:
    from commissioning.commands.common import parse_date

    store.end_contract(args.by, args.contract, parse_date(args.on, "--on"), args.reason)
    print(f"contract {args.contract} ends on {args.on}", file=sys.stderr)
    return 0


def _performance(store, args, clock) -> int:
    from commissioning.contracts.performance import figure_text
    from commissioning.procurement.lifecycle import london_date, now_utc

    info, ratings, evidence = store.contract_performance(args.by, args.contract, year=args.year,
                                                        today=london_date(clock or now_utc()))
    if args.format == "csv":
        write_output(csv_text(ratings, lineterminator="\n"), args.out)
        return 0
    basis = "illustrative" if (ratings["basis"] == "illustrative").any() else "real"
    lines = [f"Contract {info['id']}: {info['supplier']}, lot {info['lot']} ({info['start_date']} to "
             f"{info['end_date']})",
             f"KPI ratings from approved returns ({basis} figures; rates with 95% Wilson intervals):"]
    if ratings.empty:
        lines.append("  No approved returns match this contract yet.")
    for r in ratings.itertuples():
        lines.append(f"  {r.period:<7} {r.rating:<12} {r.kpi}: {figure_text(r)}")
    if evidence is not None:
        lines += ["", "Extension decision:", f"  {evidence.headline}"]
        lines += [f"  For extending: {line}" for line in evidence.for_extending]
        lines += [f"  For re-procuring: {line}" for line in evidence.for_reprocuring]
    write_output("\n".join(lines) + "\n", args.out)
    return 0


ACTIONS = {"list": _list, "extend": _extend, "end": _end, "performance": _performance}
