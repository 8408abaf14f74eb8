"""The audit log's API on the store: append a row (see :mod:`commissioning.store.audit_chain` for the
hash chain, its HMAC and the append-only triggers), read it, anchor its head, verify it."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import func, insert, select, text

from commissioning.store.audit_chain import (  # noqa: F401 (GENESIS, row_hash re-exported)
    GENESIS,
    ChainCheck,
    append_only_problems,
    audit_key,
    row_hash,
    sign,
    verify_chain,
)
from commissioning.store.audit_records import record_problems
from commissioning.store.base import WRITE_LOCK_KEY, User, to_json, utc_now
from commissioning.store.schema import audit

ANCHOR_FIELDS = ("rows", "head_id", "head")


@dataclass(frozen=True)
class AuditReport:
    """What :meth:`AuditMixin.verify_audit` found: the chain walk and every other problem (triggers,
    records that differ from the log, the anchor). ``intact`` only when there is none."""

    chain: ChainCheck
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.chain.intact and not self.problems

    @property
    def rows(self) -> int:
        return self.chain.rows

    @property
    def broken_id(self) -> int | None:
        return self.chain.broken_id


def anchor_signature(key: bytes, anchor: dict) -> str:
    return sign(key, ":".join(str(anchor[name]) for name in ANCHOR_FIELDS))


def anchor_problems(conn, anchor: dict, key: bytes | None) -> list[str]:
    """Why the log no longer extends ``anchor`` (an :meth:`AuditMixin.audit_anchor` dict), if it does not."""
    if anchor.get("signature"):
        if key is None:
            return ["the anchor is signed but COMMISSIONING_AUDIT_KEY is not set: it cannot be checked"]
        if not hmac.compare_digest(str(anchor["signature"]), anchor_signature(key, anchor)):
            return ["the anchor's signature does not match (the anchor was changed, or signed with another key)"]
    if not anchor["head_id"]:
        return []
    head = conn.execute(select(audit.c.row_hash).where(audit.c.id == anchor["head_id"])).scalar()
    if head is None:
        count = conn.execute(select(audit.c.id).order_by(audit.c.id.desc()).limit(1)).scalar() or 0
        return [f"the log ends at row {count} but the anchor holds {anchor['rows']} rows: "
                "rows were removed after the anchor"]
    if head != anchor["head"]:
        return [f"row {anchor['head_id']} no longer has the anchored hash: the log was changed or "
                "re-chained after the anchor"]
    return []


class AuditMixin:
    def _audit(self, conn, actor: User | None, action: str, entity: str, old=None, new=None,
               round_id: int | None = None) -> None:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})
        last = conn.execute(select(audit.c.id, audit.c.row_hash).order_by(audit.c.id.desc()).limit(1)).first()
        row = {"id": last.id + 1 if last else 1, "at": utc_now(),
               "user_id": actor.id if actor else None, "username": actor.username if actor else None,
               "round_id": round_id, "action": action, "entity": entity,
               "old_value": to_json(old), "new_value": to_json(new),
               "prev_hash": last.row_hash if last else GENESIS}
        digest = row_hash(row)
        key = audit_key()
        conn.execute(insert(audit).values(**row, row_hash=digest, row_hmac=sign(key, digest) if key else None))

    def audit_log(self, actor: User | str, round_id: int | None = None) -> pd.DataFrame:
        """The audit log (commissioner or chair), oldest first: id, at, username, round_id, action,
        entity, old_value, new_value (JSON text), prev_hash, row_hash, row_hmac."""
        with self._read() as conn:
            self._actor(conn, actor, "read_audit")
            query = select(audit).order_by(audit.c.id)
            if round_id is not None:
                query = query.where(audit.c.round_id == round_id)
            rows = conn.execute(query).mappings().all()
        return pd.DataFrame(rows, columns=[c.name for c in audit.columns])

    def audit_anchor(self) -> dict:
        """The head of the log to keep outside the database: rows, head_id, head (its hash), at, and
        ``signature`` (HMAC under COMMISSIONING_AUDIT_KEY; None when no key is set)."""
        with self._read() as conn:
            last = conn.execute(select(audit.c.id, audit.c.row_hash).order_by(audit.c.id.desc()).limit(1)).first()
            rows = conn.execute(select(func.count()).select_from(audit)).scalar()
        anchor = {"rows": rows, "head_id": last.id if last else 0, "head": last.row_hash if last else GENESIS,
                  "at": utc_now()}
        key = audit_key()
        return anchor | {"signature": anchor_signature(key, anchor) if key else None}

    def verify_audit(self, anchor: dict | None = None) -> AuditReport:
        """Check the audit log (the ``audit verify`` command): its hash chain (and HMACs when
        COMMISSIONING_AUDIT_KEY is set), its append-only triggers, that every record agrees with
        its newest audited write, and, given an ``anchor``, that the log still extends it."""
        key = audit_key()
        with self._read() as conn:
            problems = append_only_problems(conn)
            if anchor is not None:
                problems += anchor_problems(conn, anchor, key)
            problems += record_problems(conn)
            return AuditReport(verify_chain(conn, key), problems)
