"""python -m commissioning demo load [--by COMMISSIONER]
python -m commissioning demo remove [--by COMMISSIONER]

The illustrative demonstration data (``store.demo``): the example round with its fictional bids,
panel and scores, and the example providers' quarterly returns. A new store has none of it; ``load``
adds it, marked, and ``remove`` deletes exactly the marked records (both audited). The app loads it
on start when ``COMMISSIONING_DEMO=1``.
"""

from __future__ import annotations

import sys

from commissioning.auth import acting_commissioner
from commissioning.web.appdata import db_location


def add_arguments(parser) -> None:
    parser.add_argument("--db", default=None, metavar="PATH_OR_URL",
                        help="store: SQLite path or SQLAlchemy URL (default: $COMMISSIONING_DB or ./commissioning.sqlite)")
    parser.add_argument("action", choices=["load", "remove"])
    parser.add_argument("--by", default=None, metavar="COMMISSIONER",
                        help="the commissioner doing it (default: the first active commissioner)")


def run(args) -> int:
    from commissioning.store import open_store

    store = open_store(args.db or db_location())
    try:
        actor = acting_commissioner(store, args.by)
        if args.action == "load":
            counts = store.load_demo(actor)
            print(f"loaded the illustrative demonstration data: {counts['rounds']} round, "
                  f"{counts['returns']} returns, {counts['accounts']} fictional panel accounts", file=sys.stderr)
        else:
            counts = store.remove_demo(actor)
            print(f"removed the demonstration data: {counts['rounds']} round, {counts['returns']} returns, "
                  f"{counts['accounts']} accounts ({counts['accounts_deactivated']} kept, deactivated, "
                  "because real records refer to them); the audit log keeps its record", file=sys.stderr)
    finally:
        store.close()
    return 0
