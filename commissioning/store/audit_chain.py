"""The audit log: every change appended (who, what, when, old and new value), tamper-evident.

Each row carries ``row_hash`` = SHA-256 over a canonical serialisation of the row (its id, time,
actor, round, action, entity, old and new value) and ``prev_hash``, the previous row's
``row_hash`` (64 zeros for the first row): a hash chain, so changing, removing or re-ordering any
row breaks every hash after it (:func:`verify_chain`, ``python -m commissioning audit verify``).
The database itself refuses UPDATE, DELETE and REPLACE on the table (SQLite triggers; on
PostgreSQL a trigger function, TRUNCATE too). Someone with raw write access to the database file
could still rebuild the whole chain, so two more guards stand outside the database:

- with ``COMMISSIONING_AUDIT_KEY`` set, every row also carries ``row_hmac`` = HMAC-SHA256 of its
  ``row_hash`` under that key (migration 9): re-chaining or appending a row needs the key;
- an anchor (``audit anchor --out FILE``: the row count and the head hash, signed when the key is
  set) kept elsewhere catches rows removed or rewritten after it.

:func:`append_only_problems` reports append-only triggers that are missing or disabled.

Appends are serialised so the chain never forks: SQLite writes take ``BEGIN IMMEDIATE``; on
PostgreSQL every store write transaction holds a transaction-scoped advisory lock
(:data:`~commissioning.store.base.WRITE_LOCK_KEY`), taken again here for any caller.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass

from sqlalchemy import select

from commissioning.store.schema import audit

GENESIS = "0" * 64
KEY_ENV = "COMMISSIONING_AUDIT_KEY"
SQLITE_TRIGGERS = ("audit_append_only_update", "audit_append_only_delete", "audit_append_only_replace",
                   "audit_needs_hash")
POSTGRES_TRIGGERS = ("audit_append_only", "audit_append_only_truncate")
HASHED_FIELDS = ("id", "at", "user_id", "username", "round_id", "action", "entity", "old_value",
                 "new_value", "prev_hash")


def row_hash(row) -> str:
    """SHA-256 (hex) of the row's :data:`HASHED_FIELDS` as compact JSON with sorted keys (ints as
    ints, text as text, missing as null)."""
    canonical = {name: (int(row[name]) if name in ("id", "user_id", "round_id") and row[name] is not None
                        else row[name]) for name in HASHED_FIELDS}
    payload = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def audit_key() -> bytes | None:
    """The HMAC key from :data:`KEY_ENV` (None when unset or empty)."""
    key = os.environ.get(KEY_ENV, "")
    return key.encode("utf-8") if key else None


def sign(key: bytes, message: str) -> str:
    """HMAC-SHA256 (hex) of ``message`` under ``key``."""
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainCheck:
    """The outcome of :func:`verify_chain`: rows checked, the first broken row's id (None when
    intact), why it is broken, and the hash at the head of the chain."""

    rows: int
    broken_id: int | None
    reason: str
    head: str

    @property
    def intact(self) -> bool:
        return self.broken_id is None


def verify_chain(conn, key: bytes | None = None) -> ChainCheck:
    """Walk the audit log in id order and recompute every link; with ``key``, also every row's HMAC
    from the first signed row on (rows written before the key was set carry none)."""
    previous, expected_id, count, signed = GENESIS, None, 0, False
    for row in conn.execute(select(audit).order_by(audit.c.id)).mappings():
        problem = None
        signed = signed or (key is not None and row["row_hmac"] is not None)
        if expected_id is not None and row["id"] != expected_id:
            problem = f"row {expected_id} is missing (the log jumps to row {row['id']})"
        elif row["prev_hash"] != previous:
            problem = "its prev_hash does not match the row before it"
        elif row["row_hash"] != row_hash(row):
            problem = "its content does not match its row_hash (the row was changed)"
        elif signed and row["row_hmac"] is None:
            problem = "it has no HMAC although the rows before it are signed (a row added without the key)"
        elif signed and not hmac.compare_digest(row["row_hmac"], sign(key, row["row_hash"])):
            problem = "its HMAC does not match (the row was written or re-chained without the key)"
        if problem:
            return ChainCheck(count, int(row["id"]), problem, previous)
        previous, expected_id, count = row["row_hash"], int(row["id"]) + 1, count + 1
    return ChainCheck(count, None, "", previous)


def append_only_problems(conn) -> list[str]:
    """The append-only triggers that are missing or disabled (empty when all are in place)."""
    if conn.dialect.name == "sqlite":
        present = set(conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit'").scalars())
        return [f"the append-only trigger {name} is missing" for name in SQLITE_TRIGGERS if name not in present]
    states = dict(conn.exec_driver_sql(
        "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'audit'::regclass").all())
    return [f"the append-only trigger {name} is missing" if name not in states
            else f"the append-only trigger {name} is disabled"
            for name in POSTGRES_TRIGGERS if states.get(name) not in ("O", "A")]   # O, A: fires


def chain_existing_rows(conn) -> None:
    """Migration 4: give the rows written before the chain existed their hashes, in id order."""
    previous = GENESIS
    # The columns migration 4 knows (not migration 9's row_hmac).
    columns = [audit.c[name] for name in HASHED_FIELDS]
    for row in conn.execute(select(*columns).order_by(audit.c.id)).mappings().all():
        linked = {**row, "prev_hash": previous}
        previous = row_hash(linked)
        conn.execute(audit.update().where(audit.c.id == row["id"])
                     .values(prev_hash=linked["prev_hash"], row_hash=previous))


def make_append_only(conn) -> None:
    """Migration 4: the database refuses to change or remove audit rows."""
    if conn.dialect.name == "sqlite":
        for op in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER audit_append_only_{op.lower()} BEFORE {op} ON audit "
                "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")
        # REPLACE deletes the old row without firing delete triggers (unless recursive_triggers
        # is on): refuse an insert that reuses an id, and a row without its hash.
        conn.exec_driver_sql(
            "CREATE TRIGGER audit_append_only_replace BEFORE INSERT ON audit "
            "WHEN EXISTS (SELECT 1 FROM audit WHERE id = NEW.id) "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")
        conn.exec_driver_sql(
            "CREATE TRIGGER audit_needs_hash BEFORE INSERT ON audit "
            "WHEN NEW.row_hash IS NULL OR NEW.prev_hash IS NULL "
            "BEGIN SELECT RAISE(ABORT, 'an audit row needs its hash chain'); END")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$")
        conn.exec_driver_sql("CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit "
                             "FOR EACH ROW EXECUTE FUNCTION audit_append_only()")
        conn.exec_driver_sql("CREATE TRIGGER audit_append_only_truncate BEFORE TRUNCATE ON audit "
                             "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()")
        conn.exec_driver_sql("ALTER TABLE audit ALTER COLUMN row_hash SET NOT NULL, "
                             "ALTER COLUMN prev_hash SET NOT NULL")
    else:
        raise NotImplementedError(f"no append-only audit log for {conn.dialect.name}: use SQLite or PostgreSQL")
