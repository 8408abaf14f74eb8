"""``python -m commissioning returns template|import|status|approve|query|publish``: providers' quarterly returns.

    returns template --out returns.xlsx [--organisation NAME] [--quarter 2026Q3]
    returns import FILE.xlsx|FILE.csv --by USER [--approve] [--basis real|illustrative]
    returns status --quarter 2026Q3 [--format table|csv]
    returns approve --quarter 2026Q3 --provider NAME --by USER
    returns query --quarter 2026Q3 --provider NAME --by USER --note TEXT
    returns publish --quarter 2026Q3 [--format pdf|html] --out FILE

The store is ``COMMISSIONING_DB`` (default ./commissioning.sqlite). A support organisation's account
imports only its own organisation's figures; a commissioner's import with --approve is approved at once.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from commissioning.commands.common import write_output
from commissioning.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True
    template = sub.add_parser("template", help="write the XLSX returns template")
    template.add_argument("--out", type=Path, required=True, metavar="FILE")
    template.add_argument("--organisation", default="", help="fill in the organisation's name")
    template.add_argument("--quarter", default="", help="fill in the quarter, e.g. 2026Q3")

    imp = sub.add_parser("import", help="import a return (XLSX template or long CSV)")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--by", required=True, metavar="USER", help="the acting account (provider or commissioner)")
    imp.add_argument("--approve", action="store_true", help="approve at once (commissioner only)")
    imp.add_argument("--basis", choices=["real", "illustrative"], default="real",
                     help="label the figures (default real; the embedded example is illustrative)")

    status = sub.add_parser("status", help="who has returned for a quarter, who is late")
    status.add_argument("--quarter", required=True, metavar="YYYYQn")
    status.add_argument("--format", choices=["table", "csv"], default="table")

    for name, text in (("approve", "approve a return: from now on it counts"),
                       ("query", "send a return back with a note the provider sees")):
        action = sub.add_parser(name, help=text)
        action.add_argument("--quarter", required=True, metavar="YYYYQn")
        action.add_argument("--provider", required=True, metavar="NAME")
        action.add_argument("--by", required=True, metavar="USER", help="a commissioner")
        if name == "query":
            action.add_argument("--note", required=True)

    publish = sub.add_parser("publish", help="the quarterly publication (PDF or HTML), small counts suppressed")
    publish.add_argument("--quarter", required=True, metavar="YYYYQn")
    publish.add_argument("--format", choices=["pdf", "html"], default="pdf",
                         help="pdf (default) or html: the accessible HTML version of the same document")
    publish.add_argument("--out", type=Path, required=True, metavar="FILE")


def _store():
    from commissioning.store import open_store
    from commissioning.web.appdata import db_location

    return open_store(db_location())


def _service_labels() -> dict[str, str]:
    from commissioning.needs.models import load_benchmarks
    from commissioning.paths import DEFAULT_DATA_DIR

    return {s: b.label for s, b in load_benchmarks(DEFAULT_DATA_DIR / "benchmarks.yaml").services.items()}


def run(args) -> int:
    if args.action == "template":
        from commissioning.returns.quarters import check_quarter
        from commissioning.returns.template import write_template

        quarter = check_quarter(args.quarter) if args.quarter else ""
        write_template(args.out, _service_labels(), organisation=args.organisation, quarter=quarter)
        print(f"wrote {args.out}", file=sys.stderr)
        return 0
    from commissioning.returns.quarters import check_quarter

    if getattr(args, "quarter", None):
        args.quarter = check_quarter(args.quarter)
    store = _store()
    try:
        return ACTIONS[args.action](store, args)
    finally:
        store.close()


def _import(store, args) -> int:
    from commissioning.returns.reader import read_returns

    frame = read_returns(args.file, list(_service_labels()))
    state = "approved" if args.approve else "submitted for review"
    for provider, quarter, rows in store.submit_returns(args.by, frame, basis=args.basis, approve=args.approve):
        print(f"{provider}, {quarter}: {rows} rows {state}", file=sys.stderr)
    return 0


def _status(store, args) -> int:
    from commissioning.returns.layout import neutralise
    from commissioning.returns.review import status_table

    accounts = store.account_list()
    organisations = accounts.loc[accounts["role"] == "provider", "organisation"].dropna().tolist() \
        if "organisation" in accounts.columns else []
    headers = store.returns_list(_any_commissioner(store))
    table = status_table(headers, args.quarter, organisations=organisations)
    if args.format == "csv":
        buffer = io.StringIO()
        table.map(neutralise).to_csv(buffer, index=False)
        write_output(buffer.getvalue(), None)
    else:
        late = int(table["late"].sum())
        counts = table["status"].value_counts()
        lines = [f"Returns for {args.quarter} (due {table['due'].iloc[0] if len(table) else '-'}): "
                 + ", ".join(f"{n} {s}" for s, n in counts.items()) + (f"; {late} late" if late else "")]
        for r in table.itertuples():
            mark = "  LATE" if r.late else ""
            extra = f"  query: {r.query_note}" if r.query_note else ""
            lines.append(f"  {r.provider:<48} {r.status:<13}{r.submitted_at:<18}{mark}{extra}")
        write_output("\n".join(lines) + "\n", None)
    return 0


def _any_commissioner(store) -> str:
    accounts = store.account_list()
    active = accounts.loc[(accounts["role"] == "commissioner") & accounts["active"], "username"]
    if active.empty:
        raise InputError("the store has no active commissioner", expected="python -m commissioning users create")
    return active.iloc[0]


def _approve(store, args) -> int:
    store.approve_return(args.by, args.quarter, args.provider)
    print(f"approved: {args.provider}, {args.quarter}", file=sys.stderr)
    return 0


def _query(store, args) -> int:
    store.query_return(args.by, args.quarter, args.provider, args.note)
    print(f"queried: {args.provider}, {args.quarter}", file=sys.stderr)
    return 0


def _publish(store, args) -> int:
    from commissioning.publish.returns_document import build_html, build_pdf
    from commissioning.returns.publication import build_publication

    build = build_html if args.format == "html" else build_pdf
    build(build_publication(store.approved_returns(), args.quarter), args.out)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


ACTIONS = {"import": _import, "status": _status, "approve": _approve, "query": _query, "publish": _publish}
