"""python -m commissioning audit verify|anchor [--db PATH_OR_URL]

``audit anchor --out FILE`` writes the head of the store's audit log (row count and head hash,
HMAC-signed when ``COMMISSIONING_AUDIT_KEY`` is set) to keep outside the database.

``audit verify [--anchor FILE]`` checks the log: every row's SHA-256 hash and its link to the row
before (and its HMAC when the key is set), the append-only triggers, that every round state, bid,
score, moderation, flag decision, return and account agrees with its newest audited write, and that
the log still extends the anchor. Exit 0 and "audit log intact: N rows" only when all of it holds;
exit 1 naming each problem when not; exit 2 when the store or the anchor cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from commissioning.commands.common import open_existing_store, write_output
from commissioning.errors import InputError
from commissioning.safeio import MAX_YAML_BYTES, decode_utf8, read_bytes
from commissioning.store.audit import ANCHOR_FIELDS
from commissioning.web.appdata import db_location


def add_arguments(parser) -> None:
    db_help = "store: SQLite path or SQLAlchemy URL (default: $COMMISSIONING_DB or ./commissioning.sqlite)"
    parser.add_argument("--db", default=None, metavar="PATH_OR_URL", help=db_help)
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True
    verify = sub.add_parser("verify", help="check the audit log: hash chain, triggers, records, anchor")
    verify.add_argument("--db", default=argparse.SUPPRESS, metavar="PATH_OR_URL", help="as above")
    verify.add_argument("--anchor", type=Path, default=None, metavar="FILE",
                        help="an anchor written by 'audit anchor': the log must still extend it")
    anchor = sub.add_parser("anchor", help="write the log's head (signed when COMMISSIONING_AUDIT_KEY is set)")
    anchor.add_argument("--db", default=argparse.SUPPRESS, metavar="PATH_OR_URL", help="as above")
    anchor.add_argument("--out", type=Path, required=True, metavar="FILE", help="where to write the anchor (JSON)")


def read_anchor(path: Path) -> dict:
    """An anchor file as ``audit anchor`` writes it, or an InputError saying what is wrong."""
    text = decode_utf8(read_bytes(path, limit=MAX_YAML_BYTES, what="anchor file"), path)
    try:
        anchor = json.loads(text)
    except ValueError as err:
        raise InputError(f"not JSON: {err}", file=path, expected="an anchor written by 'audit anchor'") from None
    if not isinstance(anchor, dict) or not all(isinstance(anchor.get(k), int) and not isinstance(anchor.get(k), bool)
                                               for k in ("rows", "head_id")) \
            or not isinstance(anchor.get("head"), str):
        raise InputError("not an audit anchor", file=path,
                         expected=f"a JSON object with {', '.join(ANCHOR_FIELDS)} (written by 'audit anchor')")
    return anchor


def run(args) -> int:
    anchor = read_anchor(args.anchor) if getattr(args, "anchor", None) else None
    store = open_existing_store(args.db or db_location())
    try:
        if args.action == "anchor":
            head = store.audit_anchor()
            write_output(json.dumps(head, indent=2) + "\n", args.out)
            print(f"anchored the audit log at {head['rows']} rows (head {head['head']}"
                  f"{', signed' if head['signature'] else ', unsigned: set COMMISSIONING_AUDIT_KEY to sign'})")
            return 0
        report = store.verify_audit(anchor)
    finally:
        store.close()
    chain = report.chain
    if report.intact:
        print(f"audit log intact: {chain.rows} rows (head {chain.head})"
              + (", extends the anchor" if anchor else ""))
        return 0
    if not chain.intact:
        print(f"audit chain broken at row {chain.broken_id}: {chain.reason} "
              f"({chain.rows} rows before it are intact)", file=sys.stderr)
    for problem in report.problems:
        print(f"audit problem: {problem}", file=sys.stderr)
    return 1
