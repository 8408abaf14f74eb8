"""The audit log's API on the store: append a row (see :mod:`commissioning.store.audit_chain` for the
hash chain and the append-only triggers), read it, verify it."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import insert, select, text

from commissioning.store.audit_chain import GENESIS, ChainCheck, row_hash, verify_chain  # noqa: F401 (re-exported)
from commissioning.store.base import WRITE_LOCK_KEY, User, to_json, utc_now
from commissioning.store.schema import audit


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
        conn.execute(insert(audit).values(**row, row_hash=row_hash(row)))

    def audit_log(self, actor: User | str, round_id: int | None = None) -> pd.DataFrame:
        """The audit log (commissioner or chair), oldest first: id, at, username, round_id, action,
        entity, old_value, new_value (JSON text), prev_hash, row_hash."""
        with self._read() as conn:
            self._actor(conn, actor, "read_audit")
            query = select(audit).order_by(audit.c.id)
            if round_id is not None:
                query = query.where(audit.c.round_id == round_id)
            rows = conn.execute(query).mappings().all()
        return pd.DataFrame(rows, columns=[c.name for c in audit.columns])

    def verify_audit(self) -> ChainCheck:
        """Check the audit log's hash chain (server side: the ``audit verify`` command)."""
        with self._read() as conn:
            return verify_chain(conn)
