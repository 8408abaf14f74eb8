"""Versioned schema migrations (no alembic: one small schema, one embedded database). The
``schema_version`` table records the applied steps and :data:`MIGRATIONS` lists them in order; the
missing ones run in a single transaction when a store is opened (``StoreBase.migrate``)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from commissioning.store.audit_chain import chain_existing_rows, make_append_only
from commissioning.store.schema import (
    _clarifications_v5,
    _returns_v6,
    _schema_v1,
    bid_answers,
    bid_drafts,
    bid_versions,
    contract_capacity,
    contracts,
    flag_decisions,
    invitations,
    login_throttle,
    metadata,
    return_rows,
    score_drafts,
    sessions,
)


def _migration_1(conn: Connection) -> None:
    _schema_v1().create_all(conn)
    if conn.dialect.name == "sqlite":
        for op in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER audit_append_only_{op.lower()} BEFORE {op} ON audit "
                "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")


def _migration_2(conn: Connection) -> None:
    conn.exec_driver_sql("ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1")


def _migration_3(conn: Connection) -> None:
    conn.exec_driver_sql("ALTER TABLE users ADD COLUMN organisation VARCHAR(300)")


def _migration_4(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        for op in ("update", "delete"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS audit_append_only_{op}")
    for column in ("prev_hash", "row_hash"):
        conn.exec_driver_sql(f"ALTER TABLE audit ADD COLUMN {column} VARCHAR(64)")
    chain_existing_rows(conn)
    make_append_only(conn)
    login_throttle.create(conn)


def _migration_5(conn: Connection) -> None:
    for column in ("rules_sha256 VARCHAR(64)", "published_at VARCHAR(40)", "deadline VARCHAR(40)"):
        conn.exec_driver_sql(f"ALTER TABLE rounds ADD COLUMN {column}")
    conn.exec_driver_sql("ALTER TABLE bids ADD COLUMN submitted_by INTEGER REFERENCES users (id)")
    conn.exec_driver_sql("ALTER TABLE bids ADD COLUMN consortium TEXT")
    metadata.create_all(conn, tables=[bid_answers, score_drafts, flag_decisions])
    _clarifications_v5(_schema_v1()).create(conn)


def _migration_6(conn: Connection) -> None:
    _returns_v6().create(conn)
    metadata.create_all(conn, tables=[return_rows])


def _migration_7(conn: Connection) -> None:
    for table in ("users", "rounds", "returns"):
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN demo INTEGER NOT NULL DEFAULT 0")
    metadata.create_all(conn, tables=[sessions, invitations])


def _migration_10(conn: Connection) -> None:
    metadata.create_all(conn, tables=[contracts, contract_capacity])


def _migration_9(conn: Connection) -> None:
    conn.exec_driver_sql("ALTER TABLE audit ADD COLUMN row_hmac VARCHAR(64)")


def _migration_8(conn: Connection) -> None:
    conn.exec_driver_sql("ALTER TABLE moderation ADD COLUMN reason TEXT")
    for column in ("summaries_notice VARCHAR(10)", "summaries_issued_at VARCHAR(40)"):
        conn.exec_driver_sql(f"ALTER TABLE rounds ADD COLUMN {column}")
    for column in ("published_question TEXT", "published_answer TEXT", "published_at VARCHAR(40)"):
        conn.exec_driver_sql(f"ALTER TABLE clarifications ADD COLUMN {column}")
    metadata.create_all(conn, tables=[bid_versions, bid_drafts])


MIGRATIONS = [
    (1, "rounds, lots, bids, users, assignments, conflicts, scores, moderation, audit", _migration_1),
    (2, "users.active: deactivated accounts keep their record and scores", _migration_2),
    (3, "users.organisation: provider accounts speak for one support organisation", _migration_3),
    (4, "audit hash chain, append-only on every backend; login throttling", _migration_4),
    (5, "round intake: rules hash, deadline, consortium members, answers, score drafts, "
        "clarifications, flag decisions", _migration_5),
    (6, "returns, return_rows: providers' quarterly returns (issue 13)", _migration_6),
    (7, "sessions, invitations; demo marks on users, rounds and returns (issue 21)", _migration_7),
    (8, "the round with the bidder: moderation.reason, summaries issued once (rounds.summaries_notice), "
        "published clarifications, bid_versions, bid_drafts", _migration_8),
    (9, "audit.row_hmac: rows signed with COMMISSIONING_AUDIT_KEY (issue 22)", _migration_9),
    (10, "contracts, contract_capacity: contracts from a locked round's winning bids (issue 23)", _migration_10),
]
