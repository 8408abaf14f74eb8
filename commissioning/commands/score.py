"""``python -m commissioning score``: score and rank bids under a published rules file."""

from __future__ import annotations

from pathlib import Path

from commissioning.commands.common import write_output
from commissioning.paths import DEFAULT_RULES
from commissioning.procurement.bid_files import (
    read_bids,
    read_decisions,
    read_moderation,
    read_scores,
    read_shortfall,
)
from commissioning.procurement.rules import load_rules
from commissioning.procurement.scoring import score_bids
from commissioning.safeio import csv_text


def add_arguments(parser) -> None:
    parser.add_argument("--rules", type=Path, default=DEFAULT_RULES,
                        help=f"scoring rules YAML (default: {DEFAULT_RULES.name})")
    parser.add_argument("--bids", type=Path, required=True,
                        help="bids CSV: bid_id, organisation, lot, price, submitted_at, gate_<id>..., [areas]")
    parser.add_argument("--scores", type=Path, required=True,
                        help="panel scores CSV: bid_id, scorer, criterion, score, comment")
    parser.add_argument("--moderation", type=Path,
                        help="chair's moderation CSV: bid_id, criterion, score, note")
    parser.add_argument("--decisions", type=Path,
                        help="the chair's recorded decisions on flags CSV: bid_id, flag (price or "
                             "spread:<criterion>), note; a bid whose every flag is decided is ranked, "
                             "the decision quoted in its reasons")
    parser.add_argument("--shortfall", type=Path,
                        help="gap table CSV (code, shortfall[, service]) for need_alignment criteria "
                             "(default: the needs assessment of --data)")
    parser.add_argument("--data", type=Path, default=None, metavar="DIR",
                        help="data directory whose needs assessment scores need_alignment criteria "
                             "when --shortfall is not given (default: the embedded London data)")
    parser.add_argument("--out", type=Path, help="write the ranking CSV here (default: stdout)")


def run(args) -> int:
    rules = load_rules(args.rules)
    bids = read_bids(args.bids)
    scores = read_scores(args.scores)
    moderation = read_moderation(args.moderation) if args.moderation else None
    decisions = read_decisions(args.decisions) if args.decisions else None
    shortfall = read_shortfall(args.shortfall) if args.shortfall else None
    if shortfall is None and any(c.type == "need_alignment" for c in rules.criteria):
        from commissioning.needs.assessment import assess
        from commissioning.needs.dataset import load_dataset

        shortfall = assess(load_dataset(args.data))
    result = score_bids(rules, bids, scores, moderation, shortfall=shortfall, decisions=decisions)
    # Unrounded, like `assess --format csv`; written atomically like every command's --out.
    write_output(csv_text(result.ranking, lineterminator="\n"), args.out)
    return 0
