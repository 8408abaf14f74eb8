"""python -m commissioning audit verify [--db PATH_OR_URL]

Check the store's audit log: every row's SHA-256 hash and its link to the row before. Exit 0 and
"audit chain intact: N rows" (with the head hash, worth recording elsewhere) when it holds; exit 1
naming the first broken row when it does not.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from commissioning.errors import InputError
from commissioning.store import open_store
from commissioning.web.appdata import db_location


def add_arguments(parser) -> None:
    parser.add_argument("--db", default=None, metavar="PATH_OR_URL",
                        help="store: SQLite path or SQLAlchemy URL "
                             "(default: $COMMISSIONING_DB or ./commissioning.sqlite)")
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True
    verify = sub.add_parser("verify", help="check the audit log's hash chain")
    verify.add_argument("--db", default=argparse.SUPPRESS, metavar="PATH_OR_URL", help="as above")


def run(args) -> int:
    location = args.db or db_location()
    if "://" not in location and not Path(location).expanduser().is_file():
        raise InputError(f"no store at {location}", column="--db",
                         expected="the SQLite file or SQLAlchemy URL of an existing store")
    store = open_store(location)
    try:
        check = store.verify_audit()
    finally:
        store.close()
    if check.intact:
        print(f"audit chain intact: {check.rows} rows (head {check.head})")
        return 0
    print(f"audit chain broken at row {check.broken_id}: {check.reason} "
          f"({check.rows} rows before it are intact)", file=sys.stderr)
    return 1
