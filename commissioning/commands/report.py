"""python -m commissioning report --kind needs|evaluation|priorities [--format pdf|html] --out FILE [options]

--format html writes the same document as one self-contained, accessible HTML page (GOV.UK
publishes HTML first); PDF is the default.

needs:       the needs assessment (maps, every authority, accessibility, the rules' published lots
             with their need, provision and gap, priorities, sources; --lots K adds a computed scenario)
priorities:  the published priorities and scoring rules, with the timetable check (no bid data)
evaluation:  the evaluation report of a round (bids, panel scores, moderation, price, ranks)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from commissioning.commands.common import (
    add_data_arguments,
    approved_returns,
    assessment_from_args,
    boundaries_from_args,
    read_named_store,
)
from commissioning.errors import InputError
from commissioning.paths import DEFAULT_DATA_DIR, DEFAULT_RULES

EXAMPLE_BIDS = DEFAULT_DATA_DIR / "example_bids"


DPI = range(50, 601)   # below 50 a map is unreadable; above 600 it only costs memory


def _dpi(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value not in DPI:
        raise argparse.ArgumentTypeError(f"{value} dots per inch is outside {DPI.start}-{DPI.stop - 1}")
    return value


def add_arguments(parser) -> None:
    parser.add_argument("--kind", choices=["needs", "evaluation", "priorities"], required=True)
    parser.add_argument("--out", type=Path, required=True, metavar="FILE", help="where to write the document")
    parser.add_argument("--format", choices=["pdf", "html"], default="pdf",
                        help="pdf (default) or html: the accessible HTML version of the same document")
    add_data_arguments(parser)
    parser.add_argument("--rules", type=Path, default=DEFAULT_RULES, metavar="FILE",
                        help=f"scoring rules YAML (default: scoring_rules/{DEFAULT_RULES.name})")
    parser.add_argument("--bids", type=Path, default=EXAMPLE_BIDS / "bids.csv", metavar="FILE",
                        help="evaluation: bids CSV (default: the illustrative data/example_bids/)")
    parser.add_argument("--scores", type=Path, default=EXAMPLE_BIDS / "scores.csv", metavar="FILE",
                        help="evaluation: panel scores CSV")
    parser.add_argument("--moderation", type=Path, default=EXAMPLE_BIDS / "moderation.csv", metavar="FILE",
                        help="evaluation: chair's moderation CSV ('-' for none)")
    parser.add_argument("--decisions", type=Path, default=None, metavar="FILE",
                        help="evaluation: the chair's recorded decisions on flags CSV (bid_id, flag, note)")
    parser.add_argument("--names", action="store_true",
                        help="evaluation: show scorer identifiers instead of pseudonyms (Scorer A, B, ...)")
    parser.add_argument("--round-name", default=None, help="evaluation: name of the round on the cover")
    parser.add_argument("--lots", type=int, default=None, metavar="K",
                        help="needs: add a scenario of K computed, need-balanced lots (labelled a scenario; the "
                             "document's lots are always the rules' published lots)")
    parser.add_argument("--dpi", type=_dpi, default=200,
                        help=f"needs: map resolution, {DPI.start} to {DPI.stop - 1} (default 200)")


def progress_printer():
    """A progress callback printing elapsed seconds, percent and step on stderr."""
    start = time.perf_counter()

    def show(fraction: float, message: str) -> None:
        print(f"[{time.perf_counter() - start:5.1f} s] {fraction:4.0%} {message}", file=sys.stderr)

    return show


def run(args) -> int:
    out = Path(args.out)
    if not out.parent.is_dir():
        raise InputError("output folder does not exist", file=out.parent)
    if out.is_dir():
        raise InputError("is a folder, not a file to write", file=out)
    progress = progress_printer()
    html = args.format == "html"
    if args.kind == "needs":
        from commissioning.demand.contract import contract_from_rules
        from commissioning.procurement.rules import load_rules
        from commissioning.publish.pdf.needs import build_needs_html, build_needs_pdf

        progress(0.0, "assessing need and provision")
        assessment, _ = assessment_from_args(args)
        boundaries = boundaries_from_args(args, assessment.dataset)
        rules = load_rules(args.rules)
        day = _today()
        both = dict(progress=progress, boundaries=boundaries, lots_k=args.lots, rules=rules,
                    contract=contract_from_rules(rules), returns=approved_returns(),
                    date=day, contracts=_contracts_in_place(day))
        if html:   # maps and charts at the HTML's own screen resolution
            build_needs_html(assessment, out, **both)
        else:
            build_needs_pdf(assessment, out, dpi=args.dpi, **both)
    elif args.kind == "priorities":
        from commissioning.procurement.rules import load_rules
        from commissioning.publish.pdf.priorities import (
            build_priorities_html,
            build_priorities_pdf,
        )

        build = build_priorities_html if html else build_priorities_pdf
        rules = load_rules(args.rules)
        build(assessment_from_args(args)[0], rules, out, progress=progress,
              contracts=_contracts_in_place(rules.timetable.get("priorities_published") or _today()))
    else:
        build_evaluation(args, out, progress)
    print(f"wrote {out}", file=sys.stderr)
    return 0


def build_evaluation(args, out: Path, progress) -> None:
    from commissioning.procurement.bid_files import (
        read_bids,
        read_decisions,
        read_moderation,
        read_scores,
    )
    from commissioning.procurement.rules import load_rules
    from commissioning.procurement.scoring import score_bids
    from commissioning.publish.pdf.evaluation import (
        build_evaluation_html,
        build_evaluation_pdf,
    )

    rules = load_rules(args.rules)
    bids, scores = read_bids(args.bids), read_scores(args.scores)
    moderation = None if str(args.moderation) == "-" else read_moderation(args.moderation)
    shortfall = None
    if any(c.type == "need_alignment" for c in rules.criteria):
        shortfall = assessment_from_args(args)[0].gaps
    progress(0.0, "scoring bids")
    decisions = read_decisions(args.decisions) if args.decisions else None
    result = score_bids(rules, bids, scores, moderation, shortfall=shortfall, decisions=decisions)
    example = Path(args.bids).resolve().parent == EXAMPLE_BIDS.resolve()
    note = "the example bids (fictional organisations, prices and scores)" if example else None
    build = build_evaluation_html if args.format == "html" else build_evaluation_pdf
    build(rules, result, out, moderation=moderation, names=args.names, round_name=args.round_name,
          illustrative=note, progress=progress)


def _today():
    """Today in London (``COMMISSIONING_NOW`` stands in for the clock)."""
    from commissioning.commands.common import now
    from commissioning.procurement.lifecycle import london_date, now_utc

    return london_date(now() or now_utc())


def _contracts_in_place(day):
    """The contracts in place on ``day`` (the document's date) with their latest KPI ratings, for
    the chapter on current contracts."""
    return read_named_store(lambda store: store.published_contracts(day))
