"""The store's plumbing: the engine (SQLite pragmas, write transactions), the acting user,
and the lookups every concern shares. The concerns are mixins over :class:`StoreBase`."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from argon2 import PasswordHasher
from sqlalchemy import (
    create_engine,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Engine

from commissioning.errors import AccessDenied, InputError, StoreError
from commissioning.organisations import bid_organisations, names_match
from commissioning.permissions import ACTIONS, ROLE_LABELS, ROLES, SCORING_ROLES  # noqa: F401 (re-exported)
from commissioning.procurement import lifecycle
from commissioning.procurement.rules import Rules, parse_rules
from commissioning.store.migrations import MIGRATIONS
from commissioning.store.schema import bids, conflicts, rounds, schema_version, users

for _numpy_int in (np.int64, np.int32):
    sqlite3.register_adapter(_numpy_int, int)

#: PostgreSQL advisory lock every store write transaction holds: writers queue one at a time, as
#: SQLite's BEGIN IMMEDIATE makes them, so read-then-write checks and the audit chain stay sound.
WRITE_LOCK_KEY = 0x636F6D6D  # "comm"
STATES = ("scoring", "moderation", "locked")


@dataclass(frozen=True)
class User:
    """An account as the store, the CLI and the app's session see it (never the password hash).

    Two users are the same when username and role match; ``id`` and ``display_name`` ride along.
    """

    username: str
    role: str
    id: int | None = field(default=None, compare=False)
    display_name: str = field(default="", compare=False)
    organisation: str = field(default="", compare=False)  # provider accounts: the organisation

    @classmethod
    def from_row(cls, row) -> "User":
        return cls(row["username"], row["role"], id=row["id"], display_name=row["display_name"],
                   organisation=row.get("organisation") or "")

    @property
    def label(self) -> str:
        return f"{self.username} ({ROLE_LABELS[self.role]})"


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def to_json(value) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str)


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Own the transactions: pysqlite's implicit BEGIN would defer the write lock.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA busy_timeout = 60000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # IMMEDIATE takes the write lock up front, so two writers never deadlock upgrading locks.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

    return engine


def make_engine(url_or_path: str | Path) -> Engine:
    """An engine for a file path (SQLite, its folder created) or any SQLAlchemy URL."""
    text = str(url_or_path)
    if "://" not in text:
        path = Path(text).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        text = f"sqlite:///{path}"
    engine = _sqlite_engine(text) if text.startswith("sqlite") else create_engine(text, pool_pre_ping=True)
    event.listen(engine, "before_cursor_execute", _check_storable)
    return engine


MAX_STORED_INT = 2 ** 31 - 1   # PostgreSQL INTEGER; SQLite would take more, so both refuse the same


def _check_storable(conn, cursor, statement, parameters, context, executemany) -> None:
    """Refuse, before the database sees them, values one backend cannot store and the other can: a
    NUL character in text (PostgreSQL refuses it, SQLite keeps it) and a whole number beyond
    :data:`MAX_STORED_INT`. The same InputError on every backend, naming the column."""
    if context is not None and context.compiled is not None:
        rows = context.compiled_parameters          # by bind name, on every backend
    else:
        rows = parameters if executemany else [parameters]
    for row in rows:
        items = row.items() if isinstance(row, dict) else enumerate(row or ())
        for name, value in items:
            column = re.sub(r"_\d+$", "", name) if isinstance(name, str) else None
            if isinstance(value, str) and "\x00" in value:
                raise InputError("text with a NUL character (\\0) cannot be stored", column=column,
                                 expected="text without control characters")
            if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and abs(int(value)) > MAX_STORED_INT:
                raise InputError(f"{int(value)} is too large to store", column=column,
                                 expected=f"a whole number up to {MAX_STORED_INT:,}")


class StoreBase:
    """Connections, transactions and shared lookups over one database."""


    def __init__(self, engine: Engine):
        self.engine = engine
        self._hasher = PasswordHasher()
        self._parsed_rules: dict[str, Rules] = {}

    # -- plumbing ---------------------------------------------------------------------------

    @contextmanager
    def _write(self):
        with self.engine.connect() as conn:
            conn.execution_options(write=True)
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")
                yield conn

    @contextmanager
    def _read(self):
        with self.engine.connect() as conn:
            with conn.begin():
                yield conn

    def close(self) -> None:
        self.engine.dispose()

    def migrate(self) -> int:
        """Apply the missing migration steps in one transaction; return the schema version."""
        with self._write() as conn:
            schema_version.create(conn, checkfirst=True)
            # Steps are matched by number, not by "above the highest": branches that add
            # migrations in parallel (e.g. 4 and 5) still get each one applied once.
            applied = set(conn.execute(select(schema_version.c.version)).scalars())
            for version, description, step in MIGRATIONS:
                if version not in applied:
                    step(conn)
                    conn.execute(insert(schema_version).values(
                        version=version, description=description, applied_at=utc_now()))
                    applied.add(version)
        return max(applied, default=0)

    def schema_version(self) -> int:
        with self._read() as conn:
            return conn.execute(select(func.max(schema_version.c.version))).scalar() or 0

    def _user_row(self, conn, who: User | str):
        name = who.username if isinstance(who, User) else str(who)
        row = conn.execute(select(users).where(users.c.username == name)).mappings().first()
        if row is None:
            raise AccessDenied(f"unknown user {name!r}")
        return row

    def _user(self, conn, who: User | str) -> User:
        row = self._user_row(conn, who)
        return User.from_row(row)

    def _actor(self, conn, who: User | str, action: str | None = None) -> User:
        """The active account ``who``, refused unless its role may take ``action``
        (:data:`commissioning.permissions.ACTIONS`; ``None``: any active account)."""
        row = self._user_row(conn, who)
        user = User.from_row(row)
        if not row["active"]:
            raise AccessDenied(f"{user.username}'s account is deactivated")
        if action is not None:
            require_action(user, action)
        return user

    def _round(self, conn, round_id: int):
        row = conn.execute(select(rounds).where(rounds.c.id == round_id)).mappings().first()
        if row is None:
            raise StoreError(f"no round {round_id}")
        return row

    def _bid(self, conn, bid: int):
        row = conn.execute(
            select(bids, rounds.c.state, rounds.c.rules_yaml)
            .join(rounds, rounds.c.id == bids.c.round_id).where(bids.c.id == bid)).mappings().first()
        if row is None:
            raise StoreError(f"no bid {bid}")
        return row

    def _rules_of(self, rules_yaml: str) -> Rules:
        # A round's rules never change once stored, so each text is parsed once per store.
        if rules_yaml not in self._parsed_rules:
            self._parsed_rules[rules_yaml] = parse_rules(rules_yaml, source="round rules")
        return self._parsed_rules[rules_yaml]

    def _declared(self, conn, user_id: int) -> list[str]:
        """The organisations ``user_id`` declared a conflict with, as typed."""
        return list(conn.execute(select(conflicts.c.organisation)
                                 .where(conflicts.c.user_id == user_id)).scalars())

    def _conflicted(self, conn, user_id: int, bid_or_name) -> bool:
        """Whether the user declared a conflict with a bid's organisation or consortium members
        (``bid_or_name``: a bids row) or with an organisation name (a str), as
        :mod:`~commissioning.organisations` matches names."""
        names = [bid_or_name] if isinstance(bid_or_name, str) else bid_organisations(bid_or_name)
        return names_match(self._declared(conn, user_id), names)

    def _conflicted_refs(self, conn, user_id: int, round_id: int) -> set[str]:
        """References of the round's bids the user declared a conflict with."""
        declared = self._declared(conn, user_id)
        if not declared:
            return set()
        rows = conn.execute(select(bids).where(bids.c.round_id == round_id)).mappings().all()
        return {r["bid_ref"] for r in rows if names_match(declared, bid_organisations(r))}


def _now(now: dt.datetime | None) -> dt.datetime:
    """``now`` (timezone-aware) in UTC; the clock (``COMMISSIONING_NOW`` when set) when ``None``."""
    now = now or lifecycle.now_utc()
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(dt.UTC)


def require_action(user: User, action: str) -> None:
    """Refuse ``user`` unless its role may take ``action`` (the one permission table)."""
    roles = ACTIONS[action]
    if user.role not in roles:
        raise AccessDenied(f"{user.username} ({user.role}) may not do this; needs {' or '.join(sorted(roles))}")
