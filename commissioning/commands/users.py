"""python -m commissioning users create --username X --role commissioner|chair|panel [--password-env VAR]
python -m commissioning users set-password --username X [--password-env VAR] [--by COMMISSIONER]
python -m commissioning users list [--format table|csv]

Accounts for the app, in the store named by ``--db`` (default: ``COMMISSIONING_DB`` or
./commissioning.sqlite). Passwords are argon2-hashed; they are read from the environment variable
named by ``--password-env`` or typed at a prompt, never given on the command line. The first
account must be a commissioner; later ones are added on behalf of a commissioner (``--by``).
"""

from __future__ import annotations

import getpass
import os
import sys

from commissioning.auth import MIN_PASSWORD_LENGTH, ROLES, create_user, set_password
from commissioning.errors import InputError
from commissioning.safeio import csv_text
from commissioning.web.appdata import db_location


def add_arguments(parser) -> None:
    parser.add_argument("--db", default=None, metavar="PATH_OR_URL",
                        help="store: SQLite path or SQLAlchemy URL (default: $COMMISSIONING_DB or ./commissioning.sqlite)")
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True
    create = sub.add_parser("create", help="create an account")
    create.add_argument("--username", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--password-env", metavar="VAR",
                        help="read the password from this environment variable (default: prompt)")
    create.add_argument("--display-name", default=None)
    create.add_argument("--organisation", default=None,
                        help="for a provider account: the support organisation it speaks for")
    create.add_argument("--by", default=None, metavar="COMMISSIONER",
                        help="the commissioner adding the account (default: the first commissioner)")
    reset = sub.add_parser("set-password", help="set an account's password (e.g. a panel member "
                                                 "imported with the example round)")
    reset.add_argument("--username", required=True)
    reset.add_argument("--password-env", metavar="VAR",
                       help="read the password from this environment variable (default: prompt)")
    reset.add_argument("--by", default=None, metavar="COMMISSIONER",
                       help="the commissioner doing it (default: the first commissioner)")
    listing = sub.add_parser("list", help="list accounts (never passwords or hashes)")
    listing.add_argument("--format", choices=["table", "csv"], default="table")


def _password(args) -> str:
    if args.password_env:
        value = os.environ.get(args.password_env)
        if not value:
            raise InputError(f"environment variable {args.password_env} is not set or empty",
                             column="--password-env", expected="a variable holding the password")
        return value
    if not sys.stdin.isatty():
        raise InputError("no password given and no terminal to prompt on", column="--password-env",
                         expected="--password-env VAR naming an environment variable with the password")
    first = getpass.getpass(f"Password for {args.username} (at least {MIN_PASSWORD_LENGTH} characters): ")
    if getpass.getpass("Repeat the password: ") != first:
        raise InputError("the two passwords differ", column="password")
    return first


def run(args) -> int:
    from commissioning.store import open_store

    store = open_store(args.db or db_location())
    try:
        if args.action == "create":
            user = create_user(store, args.username, args.role, _password(args), by=args.by,
                               display_name=args.display_name, organisation=args.organisation)
            print(f"created {user.username} ({user.role})", file=sys.stderr)
        elif args.action == "set-password":
            set_password(store, args.username, _password(args), by=args.by)
            print(f"password set for {args.username}", file=sys.stderr)
        else:
            table = store.account_list()
            if args.format == "csv":
                sys.stdout.write(csv_text(table))
            elif table.empty:
                print("no accounts yet: python -m commissioning users create --username NAME --role commissioner")
            else:
                print(table.to_string(index=False))
    finally:
        store.close()
    return 0
