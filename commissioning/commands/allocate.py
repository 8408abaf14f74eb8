"""python -m commissioning allocate --service idva (--posts 10 | --budget 500000 --cost-per-post 45000)
[--step 0.5] [--in AREA ...] [--format table|csv] [--out FILE]"""

from __future__ import annotations

import sys

from commissioning.commands.common import (
    add_data_arguments,
    boundaries_from_args,
    dataset_from_args,
    write_output,
)
from commissioning.errors import InputError
from commissioning.publish.text import estimated_notice, illustrative_notice
from commissioning.safeio import csv_text
from commissioning.spatial.scenarios import allocate, posts_from_budget


def add_arguments(parser) -> None:
    add_data_arguments(parser)
    parser.add_argument("--service", required=True, help="service type, e.g. idva")
    parser.add_argument("--posts", type=float, default=None, help="new FTE/spaces to place")
    parser.add_argument("--budget", type=float, default=None, help="money budget (with --cost-per-post)")
    parser.add_argument("--cost-per-post", type=float, default=None, help="cost of one FTE/space a year")
    parser.add_argument("--step", type=float, default=1.0, help="granularity in FTE/spaces (default 1)")
    parser.add_argument("--in", dest="areas", action="append", default=None, metavar="AREA",
                        help="only place in these boroughs or lots (e.g. 'Lot 2'; lots as `lots --k K`); repeatable")
    parser.add_argument("--k", type=int, default=5, help="number of lots when --in names a lot (default 5)")
    parser.add_argument("--format", choices=["table", "csv"], default="table")
    parser.add_argument("--out", default=None, help="write to FILE instead of stdout")


def run(args) -> int:
    ds = dataset_from_args(args)
    service = args.service.strip().lower()
    if (args.posts is None) == (args.budget is None):
        raise InputError("give either --posts or --budget with --cost-per-post", expected="one of the two")
    money = ""
    if args.budget is not None:
        if args.cost_per_post is None:
            raise InputError("--budget needs --cost-per-post", expected="a cost per post, e.g. 45000")
        posts = posts_from_budget(args.budget, args.cost_per_post, args.step)
        money = (f"Budget {args.budget:,.0f} at {args.cost_per_post:,.0f} per post buys {posts:g} "
                 f"(left over: {args.budget - posts * args.cost_per_post:,.0f}).")
    else:
        posts = args.posts
    lots = None
    if args.areas and any(a.strip().lower().startswith("lot ") for a in args.areas):
        from commissioning.spatial.lots import ALL, make_lots

        lots = make_lots(ds, args.k, ALL, boundaries_from_args(args, ds))
    result = allocate(ds, service, posts, step=args.step, areas=args.areas, lots=lots)
    if args.format == "csv":
        write_output(csv_text(result.table), args.out)
        if result.unplaced > 0:
            print(f"note: {result.unplaced:g} {result.unit} not placed: every candidate borough "
                  "is at or above its benchmark", file=sys.stderr)
        return 0
    lines = []
    for notice in (illustrative_notice(ds), estimated_notice(ds)):
        if notice:
            lines += [notice, ""]
    if money:
        lines.append(money)
    lines.append(f"Placing {posts:g} {result.unit} of {service} in steps of {args.step:g} to minimise "
                 "J = sum over boroughs of (uncovered shortfall)^2 / need, i.e. the need-weighted squared "
                 "uncovered share: posts go first where coverage is lowest.")
    lines += [f"  {line}" for line in result.explanation()]
    lines.append(f"Placed {result.placed:g} of {posts:g} {result.unit}; J {result.objective_before:.3f} → "
                 f"{result.objective_after:.3f} {result.unit}.")
    if result.unplaced > 0:
        lines.append(f"Not placed: {result.unplaced:g} {result.unit} (every candidate borough is at or above "
                     "its benchmark; more posts would not reduce a shortfall).")
    write_output("\n".join(lines) + "\n", args.out)
    return 0
