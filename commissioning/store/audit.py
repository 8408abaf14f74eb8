"""The audit log: every change appended (who, what, when, old and new value)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import (
    insert,
    select,
)

from commissioning.store.base import User, to_json, utc_now
from commissioning.store.schema import audit


class AuditMixin:
    def _audit(self, conn, actor: User | None, action: str, entity: str, old=None, new=None,
               round_id: int | None = None) -> None:
        conn.execute(insert(audit).values(
            at=utc_now(), user_id=actor.id if actor else None, username=actor.username if actor else None,
            round_id=round_id, action=action, entity=entity, old_value=to_json(old), new_value=to_json(new)))


    def audit_log(self, actor: User | str, round_id: int | None = None) -> pd.DataFrame:
        """The audit log (commissioner or chair), oldest first: id, at, username, round_id, action,
        entity, old_value, new_value (JSON text)."""
        with self._read() as conn:
            self._actor(conn, actor, "commissioner", "chair")
            query = select(audit).order_by(audit.c.id)
            if round_id is not None:
                query = query.where(audit.c.round_id == round_id)
            rows = conn.execute(query).mappings().all()
        return pd.DataFrame(rows, columns=[c.name for c in audit.columns])
