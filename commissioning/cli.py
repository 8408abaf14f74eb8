"""``python -m commissioning <command>``: a thin dispatcher over the library.

Each command lives in ``commissioning/commands/<name>.py`` and exposes
``add_arguments(parser)`` and ``run(args) -> int``. Bad input (``InputError``) is printed on
stderr and gives exit code 2; so do a refused action (``AccessDenied``) and a store
refusal (``StoreError``). No traceback reaches the user.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from commissioning.errors import USER_ERRORS

COMMANDS: dict[str, str] = {
    "assess": "Needs assessment: provision, need, shortfall and coverage per borough and service",
    "import": "Import a real-format file (MPS crime, MPS VAWG, ONS population, services register)",
    "score": "Score and rank bids under a published rules file",
    "lots": "Group the authorities into contiguous, need-balanced commissioning lots",
    "allocate": "Place new posts where they cut the need-weighted shortfall most",
    "access": "Accessibility (E2SFCA) per borough",
    "report": "Build a PDF: needs assessment, evaluation report or published priorities",
    "forecast": "Monthly demand forecast per borough with 80% and 95% intervals (model chosen by backtest)",
    "users": "Manage app accounts (create the first commissioner, add panel members)",
    "round": "Run a commissioning round: create, import bids and scores, rank, resolve flags, lock, "
             "assessment summaries, awards, contracts, open-contracting notices",
    "satisfaction": "Victim satisfaction against annual targets, with confidence intervals; the quarterly publication",
    "audit": "Check the store's audit log (hash chain, triggers, records, anchor) or anchor its head",
    "returns": "Providers' quarterly returns: template, import, review status, approval, publication",
    "contracts": "Contracts from a round's awards: list, extend, end, KPI performance from returns",
    "demo": "Load or remove the illustrative demonstration data (example round and returns)",
}
# Commands whose module name differs from the command ("import" is a Python keyword).
MODULES: dict[str, str] = {"import": "importer"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m commissioning", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, help_text in COMMANDS.items():
        module_name = f"commissioning.commands.{MODULES.get(name, name.replace('-', '_'))}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # command not built yet
            raise
        command = sub.add_parser(name, help=help_text.replace("%", "%%"), description=help_text)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except USER_ERRORS as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
