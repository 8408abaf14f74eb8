"""Providers' quarterly returns in the store: submit, review (approve or query), read back.

Rules (the acting user is re-read from the database on every call):

- a support organisation's account (role ``provider``) submits and reads only its own organisation's
  returns; a commissioner may submit for any organisation and approve at once;
- one return per organisation and quarter: submitting again replaces its rows and sends it back for
  review (the old figures go to the audit log);
- a commissioner approves, or queries with a note the provider sees; only approved returns count;
- every change is audited.
"""

from __future__ import annotations

import math

import pandas as pd
from sqlalchemy import delete, insert, select, update

from commissioning.errors import AccessDenied, InputError, StoreError
from commissioning.organisations import organisation_key
from commissioning.returns.layout import COUNTS, MEASURES
from commissioning.returns.quarters import check_quarter
from commissioning.store.base import User, utc_now
from commissioning.store.schema import return_rows, returns, users

STATUSES = ("submitted", "queried", "approved")
HEADER_COLUMNS = ["return_id", "provider", "quarter", "status", "basis", "notes", "query_note",
                  "submitted_by", "submitted_at", "decided_by", "decided_at"]


def _value(value, column: str):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(value) if column in COUNTS else float(value)


class ReturnsMixin:

    def submit_return(self, actor: User | str, organisation: str, quarter: str, rows: pd.DataFrame, *,
                      notes: str = "", basis: str = "real", approve: bool = False) -> int:
        """Store (or replace) ``organisation``'s return for ``quarter``; returns its id.

        ``rows`` has ``service, code`` and the measures (NaN = not reported), as
        :func:`commissioning.returns.reader.read_returns` gives them, one row per service and borough.
        """
        with self._write() as conn:
            user = self._actor(conn, actor, "submit_return")
            return self._submit(conn, user, organisation, quarter, rows, notes, basis, approve)

    def submit_returns(self, actor: User | str, frame: pd.DataFrame, *, basis: str = "real",
                       approve: bool = False) -> list[tuple[str, str, int]]:
        """Store every (provider, quarter) return in ``frame`` (a whole file) in one transaction: all or
        nothing. Returns (provider, quarter, rows) per return stored."""
        done = []
        with self._write() as conn:
            user = self._actor(conn, actor, "submit_return")
            for (provider, quarter), rows in frame.groupby(["provider", "quarter"], sort=True):
                notes = "; ".join(n for n in rows.get("notes", pd.Series(dtype=str)) if n)
                self._submit(conn, user, provider, quarter, rows, notes, basis, approve)
                done.append((provider, quarter, len(rows)))
        return done

    def _submit(self, conn, user: User, organisation: str, quarter: str, rows: pd.DataFrame, notes: str,
                basis: str, approve: bool) -> int:
        quarter = check_quarter(quarter)
        organisation = str(organisation).strip()
        if basis not in ("real", "illustrative"):
            raise InputError(f"basis {basis!r}", column="basis", expected="real or illustrative")
        if rows.empty:
            raise InputError("a return needs at least one row", expected="figures for one service and borough")
        if rows.duplicated(["service", "code"]).any():
            raise InputError("a service and borough appear twice", expected="rows added up first (reader.combine)")
        if user.role == "provider":
            if organisation_key(organisation) != organisation_key(user.organisation):
                raise AccessDenied(f"{user.username} speaks for {user.organisation!r}, not {organisation!r}")
            if approve:
                raise AccessDenied("a support organisation cannot approve its own return")
        key = organisation_key(organisation)
        old = conn.execute(select(returns).where(returns.c.organisation_key == key,
                                                 returns.c.quarter == quarter)).mappings().first()
        now = utc_now()
        values = {"organisation": organisation, "organisation_key": key, "quarter": quarter, "basis": basis,
                  "notes": str(notes or ""), "query_note": None, "submitted_by": user.id, "submitted_at": now,
                  "status": "approved" if approve else "submitted",
                  "decided_by": user.id if approve else None, "decided_at": now if approve else None}
        old_rows = None
        if old is None:
            return_id = conn.execute(insert(returns).values(**values)).inserted_primary_key[0]
        else:
            return_id = old["id"]
            old_rows = self._rows_of(conn, [return_id]).drop(columns=["return_id"]).to_dict("records")
            conn.execute(delete(return_rows).where(return_rows.c.return_id == return_id))
            conn.execute(update(returns).where(returns.c.id == return_id).values(**values))
        conn.execute(insert(return_rows), [
            {"return_id": return_id, "service": r["service"], "code": r["code"], "notes": str(r.get("notes") or ""),
             **{m: _value(r.get(m), m) for m in MEASURES}}
            for r in rows.to_dict("records")])
        self._audit(conn, user, "return.submit", f"return {organisation} {quarter}",
                    None if old is None else {"status": old["status"], "rows": old_rows},
                    {"status": values["status"], "rows": len(rows), "basis": basis})
        return int(return_id)

    def _decide(self, actor, quarter: str, organisation: str, status: str, note: str | None) -> None:
        quarter = check_quarter(quarter)
        with self._write() as conn:
            user = self._actor(conn, actor, "review_returns")
            row = conn.execute(select(returns).where(returns.c.organisation_key == organisation_key(organisation),
                                                     returns.c.quarter == quarter)).mappings().first()
            if row is None:
                raise StoreError(f"no return from {organisation!r} for {quarter}")
            conn.execute(update(returns).where(returns.c.id == row["id"]).values(
                status=status, query_note=note, decided_by=user.id, decided_at=utc_now()))
            self._audit(conn, user, f"return.{'approve' if status == 'approved' else 'query'}",
                        f"return {row['organisation']} {quarter}",
                        {"status": row["status"], "query_note": row["query_note"]},
                        {"status": status, "query_note": note})

    def approve_return(self, actor: User | str, quarter: str, organisation: str) -> None:
        """Approve a return (commissioner): from now on its figures count."""
        self._decide(actor, quarter, organisation, "approved", None)

    def query_return(self, actor: User | str, quarter: str, organisation: str, note: str) -> None:
        """Send a return back with a note the provider sees (commissioner); it no longer counts."""
        if not str(note or "").strip():
            raise InputError("a query needs a note", column="note", expected="what the provider should check")
        self._decide(actor, quarter, organisation, "queried", str(note).strip())

    def returns_list(self, actor: User | str, quarter: str | None = None) -> pd.DataFrame:
        """Return headers (:data:`HEADER_COLUMNS`), oldest quarter first. A provider sees only its
        own organisation's; a commissioner sees all."""
        with self._read() as conn:
            user = self._actor(conn, actor, "read_returns")
            return self._headers(conn, user, quarter)

    def return_rows(self, actor: User | str, quarter: str | None = None) -> pd.DataFrame:
        """The rows of the returns ``actor`` may see: header columns + service, code, measures, notes."""
        with self._read() as conn:
            user = self._actor(conn, actor, "read_returns")
            headers = self._headers(conn, user, quarter)
            rows = self._rows_of(conn, headers["return_id"].tolist())
        return headers.drop(columns=["notes"]).merge(rows, on="return_id")

    def approved_returns(self, quarter: str | None = None) -> pd.DataFrame:
        """The approved returns' rows (all organisations): what the assessment and the aggregate
        publication count. Columns: provider, quarter, basis, service, code, measures.

        Demonstration returns (``store.demo``) count only in a store that has no approved real ones:
        once a real return is approved, every public page and document counts real returns alone,
        never the demo's beside them."""
        with self._read() as conn:
            query = select(returns).where(returns.c.status == "approved")
            if conn.execute(select(returns.c.id).where(returns.c.status == "approved", returns.c.demo == 0)
                            .limit(1)).first():
                query = query.where(returns.c.demo == 0)
            if quarter is not None:
                query = query.where(returns.c.quarter == check_quarter(quarter))
            headers = pd.DataFrame(conn.execute(query).mappings().all(), columns=[c.name for c in returns.columns])
            rows = self._rows_of(conn, headers["id"].tolist())
        headers = headers.rename(columns={"id": "return_id", "organisation": "provider"})
        out = headers[["return_id", "provider", "quarter", "basis"]].merge(rows, on="return_id")
        return out.drop(columns=["return_id"]).sort_values(["quarter", "provider", "service", "code"],
                                                           ignore_index=True)

    def _headers(self, conn, user: User, quarter: str | None) -> pd.DataFrame:
        submitter, decider = users.alias("submitter"), users.alias("decider")
        query = (select(returns.c.id.label("return_id"), returns.c.organisation.label("provider"), returns.c.quarter,
                        returns.c.status, returns.c.basis, returns.c.notes, returns.c.query_note,
                        submitter.c.username.label("submitted_by"), returns.c.submitted_at,
                        decider.c.username.label("decided_by"), returns.c.decided_at)
                 .join(submitter, submitter.c.id == returns.c.submitted_by)
                 .outerjoin(decider, decider.c.id == returns.c.decided_by)
                 .order_by(returns.c.quarter, returns.c.organisation))
        if quarter is not None:
            query = query.where(returns.c.quarter == check_quarter(quarter))
        if user.role == "provider":
            query = query.where(returns.c.organisation_key == organisation_key(user.organisation))
        return pd.DataFrame(conn.execute(query).mappings().all(), columns=HEADER_COLUMNS)

    def _rows_of(self, conn, return_ids: list[int]) -> pd.DataFrame:
        columns = ["return_id", "service", "code"] + MEASURES + ["notes"]
        if not return_ids:
            return pd.DataFrame(columns=columns)
        found = conn.execute(select(*[return_rows.c[c] for c in columns])
                             .where(return_rows.c.return_id.in_([int(i) for i in return_ids]))
                             .order_by(return_rows.c.return_id, return_rows.c.service, return_rows.c.code)).all()
        frame = pd.DataFrame(found, columns=columns)
        for column in MEASURES:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
        return frame
