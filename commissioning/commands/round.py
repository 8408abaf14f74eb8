"""``python -m commissioning round ACTION``: run a commissioning round in the store, from the
published rules to the published awards.

    round create --name NAME --rules RULES.yaml --by USER        (prints the round id last)
    round import-bids --round ID --bids BIDS.csv [--answers ANSWERS.csv] --by USER
    round declare --round ID --member USER --organisation NAME --interest TEXT --by USER
    round import-scores --round ID --scores SCORES.csv [--moderation MOD.csv] --by USER
    round rank --round ID [--out FILE] --by USER
    round clarify --round ID --bid BID --question TEXT [--answer TEXT] --by USER
    round resolve --round ID --bid BID --note TEXT --by USER
    round lock --round ID --by USER
    round summaries --round ID --out-dir DIR [--notice-date YYYY-MM-DD] --by USER   (issues them once)
    round awards --round ID --funder-id ID --funder-name NAME --id-prefix PREFIX
                 [--award-date YYYY-MM-DD] [--format json|csv] --out FILE --by USER
    round contracts --round ID --signed YYYY-MM-DD [--basis real|illustrative] --by USER
                 (after the standstill; prints one contract id per line)
    round notice --round ID --kind tender|award|contract|performance --ocid-prefix PREFIX
                 --out FILE --by USER      (an OCDS 1.1 release package)

The store is ``--db`` or ``COMMISSIONING_DB`` (default ./commissioning.sqlite); ``USER`` is the
acting account, whose role the store checks. ``COMMISSIONING_NOW`` (an ISO date-time with a
zone) stands in for the clock, for rehearsals and tests of deadlines.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from commissioning.commands.common import (
    parse_date,
    run_on_store,
    store_id,
    write_output,
)
from commissioning.errors import InputError
from commissioning.safeio import csv_text


def add_arguments(parser) -> None:
    parser.add_argument("--db", default=None, metavar="PATH_OR_URL",
                        help="store: SQLite path or SQLAlchemy URL (default: $COMMISSIONING_DB or ./commissioning.sqlite)")
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True

    def action(name, help_text, *, round_id=True):
        p = sub.add_parser(name, help=help_text, description=help_text)
        if round_id:
            p.add_argument("--round", type=store_id, required=True, metavar="ID", help="the round's id")
        p.add_argument("--by", required=True, metavar="USER", help="the acting account")
        return p

    p = action("create", "create a round from a rules file (publishes the rules; prints the round id)",
               round_id=False)
    p.add_argument("--name", required=True)
    p.add_argument("--rules", type=Path, required=True, help="scoring rules YAML with its timetable")
    p = action("import-bids", "import bids (CSV or XLSX, the columns of `score --bids`, optional "
                              "partners) and their written answers, before the deadline; a submitted_at "
                              "without a zone is London time")
    p.add_argument("--bids", type=Path, required=True)
    p.add_argument("--answers", type=Path, help="answers CSV or XLSX: bid_id, criterion, answer")
    p = action("declare", "record a member's declared conflict of interest (e.g. from a paper form; "
                          "commissioner): their assignments to and scores for that organisation's bids "
                          "are withdrawn")
    p.add_argument("--member", required=True, metavar="USER", help="the member who declared it")
    p.add_argument("--organisation", required=True, metavar="NAME")
    p.add_argument("--interest", required=True, metavar="TEXT", help="the interest, as declared")
    p = action("import-scores", "import the panel's scores (and the chair's moderation, which opens it)")
    p.add_argument("--scores", type=Path, required=True)
    p.add_argument("--moderation", type=Path)
    p = action("rank", "the ranking, with the columns of `score`")
    p.add_argument("--out", type=Path, help="write the CSV here (default: stdout)")
    p = action("resolve", "record a decision on every open flag of a bid")
    p.add_argument("--bid", required=True, metavar="BID")
    p.add_argument("--note", required=True, metavar="TEXT")
    p = action("clarify", "record a clarification question to a bidder (and its answer, when given)")
    p.add_argument("--bid", required=True, metavar="BID")
    p.add_argument("--question", required=True, metavar="TEXT")
    p.add_argument("--answer", default=None, metavar="TEXT")
    action("lock", "lock the round (refused while a flag is open)")
    p = action("summaries", "issue the assessment summaries (once, after the lock) and write one per "
                            "assessed bid, PDF and HTML")
    p.add_argument("--out-dir", type=Path, required=True, metavar="DIR", help="created when missing")
    p.add_argument("--notice-date", default=None, metavar="YYYY-MM-DD",
                   help="the day the summaries are issued (default: today, London); the standstill follows "
                        "it. Fixed at the first issue")
    p = action("awards", "the awards as 360Giving JSON or CSV (after the lock)")
    p.add_argument("--funder-id", required=True)
    p.add_argument("--funder-name", required=True)
    p.add_argument("--id-prefix", required=True, metavar="PREFIX")
    p.add_argument("--award-date", default=None, metavar="YYYY-MM-DD")
    p.add_argument("--format", choices=["json", "csv"], default="json")
    p.add_argument("--out", type=Path, required=True)
    p = action("contracts", "one contract per winning bid, once the standstill has ended (prints the ids)")
    p.add_argument("--signed", required=True, metavar="YYYY-MM-DD", help="the day the contracts were signed")
    p.add_argument("--basis", choices=["real", "illustrative"], default="real",
                   help="label the contracts (default real; a rehearsal on the example bids is illustrative)")
    p = action("notice", "an Open Contracting Data Standard (OCDS 1.1) release package for one stage")
    p.add_argument("--kind", choices=["tender", "award", "contract", "performance"], required=True)
    p.add_argument("--ocid-prefix", required=True, metavar="PREFIX",
                   help="the publisher's registered OCID prefix, e.g. ocds-abc123; the ocid is PREFIX-ROUNDID")
    p.add_argument("--out", type=Path, required=True)


def run(args) -> int:
    return run_on_store(args, ACTIONS)


def _create(store, args, clock) -> int:
    from commissioning.procurement.rules import load_rules

    rid = store.publish_round(args.by, args.name, load_rules(args.rules), now=clock)
    info = store.round_info(rid)
    print(f"round {args.name}: rules sha256 {info['rules_sha256']}, bids close {info['deadline'].isoformat()}",
          file=sys.stderr)
    print(rid)
    return 0


def _import_bids(store, args, clock) -> int:
    from commissioning.procurement.bid_files import read_answers, read_bid_file

    answers = read_answers(args.answers) if args.answers else None
    done = store.import_bids(args.by, args.round, read_bid_file(args.bids), answers, now=clock)
    print(f"imported {len(done)} bids", file=sys.stderr)
    return 0


def _declare(store, args, clock) -> int:
    store.round_info(args.round)
    store.declare_conflict(args.by, args.organisation, args.interest, member=args.member)
    print(f"recorded: {args.member} declared an interest in {args.organisation}", file=sys.stderr)
    unmatched = store.unmatched_conflicts(args.by, args.round)
    if ((unmatched["username"] == args.member) & (unmatched["organisation"] == args.organisation.strip())).any():
        print(f"warning: {args.organisation!r} matches no bid of round {args.round} (check the spelling, "
              "or the organisation is not bidding)", file=sys.stderr)
    return 0


def _import_scores(store, args, clock) -> int:
    from commissioning.procurement.bid_files import read_moderation, read_scores

    mod = read_moderation(args.moderation) if args.moderation else None
    n, m = store.import_scores(args.by, args.round, read_scores(args.scores), mod, now=clock)
    print(f"imported {n} scores" + (f" and {m} moderated scores; moderation is open" if mod is not None else ""),
          file=sys.stderr)
    return 0


def _rank(store, args, clock) -> int:
    result = store.rank(args.by, args.round)
    write_output(csv_text(result.ranking, lineterminator="\n"), args.out)
    return 0


def _resolve(store, args, clock) -> int:
    for flag in store.resolve_flags(args.by, args.round, args.bid, args.note, now=clock):
        print(f"resolved {args.bid}: {flag.text}", file=sys.stderr)
    return 0


def _clarify(store, args, clock) -> int:
    cid = store.ask_clarification(args.by, store.bid_key(args.round, args.bid), args.question, now=clock)
    if args.answer is not None:
        store.record_answer(args.by, cid, args.answer, now=clock)
    print(f"clarification {cid} recorded for {args.bid}", file=sys.stderr)
    return 0


def _lock(store, args, clock) -> int:
    store.lock_round(args.by, args.round)
    print(f"round {args.round} locked", file=sys.stderr)
    return 0


def _summaries(store, args, clock) -> int:
    from commissioning.procurement.lifecycle import london_date, now_utc
    from commissioning.publish.pdf.style import deliver
    from commissioning.publish.pdf.summaries import summary_html, summary_pdf
    from commissioning.publish.summaries import round_summaries

    notice = parse_date(args.notice_date, "--notice-date")
    issued = store.summaries_notice(args.round)
    if issued is not None and notice not in (None, issued):
        raise InputError(f"the summaries were issued with notice date {issued.isoformat()}: they are issued "
                         "once, and --notice-date cannot change it", column="--notice-date")
    try:
        args.out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot create the output folder: {err.strerror}", file=args.out_dir) from None
    if issued is None:
        issued = store.issue_summaries(args.by, args.round, notice or london_date(clock or now_utc()), now=clock)
        print(f"issued the assessment summaries with notice date {issued.isoformat()}", file=sys.stderr)
    summaries = round_summaries(store, args.by, args.round)
    for s in summaries:
        summary_pdf(s, args.out_dir / f"{s.bid.bid_id}.pdf")
        deliver(summary_html(s).encode("utf-8"), args.out_dir / f"{s.bid.bid_id}.html")
    print(f"wrote {len(summaries)} assessment summaries to {args.out_dir}", file=sys.stderr)
    return 0


def _awards(store, args, clock) -> int:
    from commissioning.procurement.awards import awards_csv, awards_json

    grants = store.awards(args.by, args.round, funder_id=args.funder_id, funder_name=args.funder_name,
                          id_prefix=args.id_prefix, award_date=parse_date(args.award_date, "--award-date"))
    text = awards_json(grants) + "\n" if args.format == "json" else awards_csv(grants)
    write_output(text, args.out)
    return 0


def _contracts(store, args, clock) -> int:
    for cid in store.create_contracts(args.by, args.round, parse_date(args.signed, "--signed"),
                                      basis=args.basis, now=clock):
        print(cid)
    return 0


def _notice(store, args, clock) -> int:
    from commissioning.procurement.lifecycle import london_date, now_utc
    from commissioning.publish.ocds import release_package

    inputs = store.notice_inputs(args.by, args.round, args.kind, today=london_date(clock or now_utc()))
    package = release_package(inputs, kind=args.kind, ocid_prefix=args.ocid_prefix,
                              published=clock or now_utc())
    write_output(json.dumps(package, indent=2, ensure_ascii=False) + "\n", args.out)
    return 0


ACTIONS = {"create": _create, "import-bids": _import_bids, "declare": _declare, "import-scores": _import_scores,
           "rank": _rank,
           "resolve": _resolve, "clarify": _clarify, "lock": _lock, "summaries": _summaries, "awards": _awards,
           "contracts": _contracts, "notice": _notice}
