"""Clarifications and flags: questions to a bidder and their answers (with dates), the decisions
that resolve a flag (abnormally low price, unmoderated panel spread), and the lock that refuses
while a bid in the running has a flag without a decision."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import insert, select, update

from commissioning.errors import InputError, StoreError
from commissioning.procurement import lifecycle
from commissioning.store.base import User
from commissioning.store.intake import _now
from commissioning.store.schema import bids, clarifications, flag_decisions, users


class ClarificationsMixin:

    def ask_clarification(self, actor: User | str, key: int, question: str, *,
                          now: dt.datetime | None = None) -> int:
        """Record a question to a bidder (commissioner or chair), e.g. to explain a low price."""
        if not str(question or "").strip():
            raise InputError("a clarification needs the question", column="question")
        now = _now(now)
        with self._write() as conn:
            actor = self._actor(conn, actor, "clarify")
            row = self._bid(conn, key)
            self._check_unsealed(self._round(conn, row["round_id"]), now)
            cid = conn.execute(insert(clarifications).values(
                bid_id=key, question=str(question).strip(), asked_by=actor.id,
                asked_at=now.isoformat())).inserted_primary_key[0]
            self._audit(conn, actor, "clarification.ask", f"bid {row['bid_ref']}", None,
                        {"question": str(question).strip()}, round_id=row["round_id"])
        return cid

    def record_answer(self, actor: User | str, clarification_id: int, answer: str, *,
                      now: dt.datetime | None = None) -> None:
        """Record the bidder's answer (commissioner or chair recording it, or the bid's provider)."""
        if not str(answer or "").strip():
            raise InputError("the answer is empty", column="answer")
        now = _now(now)
        with self._write() as conn:
            actor = self._actor(conn, actor, "clarify")
            clar = conn.execute(select(clarifications).where(clarifications.c.id == clarification_id)
                                ).mappings().first()
            if clar is None:
                raise StoreError(f"no clarification {clarification_id}")
            row = self._bid(conn, clar["bid_id"])
            if actor.role == "provider" and row["submitted_by"] != actor.id:
                raise StoreError("a support organisation answers only its own bids' questions")
            conn.execute(update(clarifications).where(clarifications.c.id == clarification_id).values(
                answer=str(answer).strip(), answered_at=now.isoformat(), recorded_by=actor.id))
            self._audit(conn, actor, "clarification.answer", f"bid {row['bid_ref']}",
                        {"answer": clar["answer"]}, {"answer": str(answer).strip()}, round_id=row["round_id"])

    def clarifications(self, actor: User | str, round_id: int) -> pd.DataFrame:
        """A round's clarifications (commissioner or chair): id, bid_id, question, asked_by,
        asked_at, answer, answered_at."""
        with self._read() as conn:
            self._actor(conn, actor, "clarify")
            rows = conn.execute(
                select(clarifications.c.id, bids.c.bid_ref.label("bid_id"), clarifications.c.question,
                       users.c.username.label("asked_by"), clarifications.c.asked_at,
                       clarifications.c.answer, clarifications.c.answered_at)
                .join(bids, bids.c.id == clarifications.c.bid_id)
                .join(users, users.c.id == clarifications.c.asked_by)
                .where(bids.c.round_id == round_id).order_by(clarifications.c.id)).mappings().all()
        return pd.DataFrame(rows, columns=["id", "bid_id", "question", "asked_by", "asked_at", "answer",
                                           "answered_at"])

    # -- flags ----------------------------------------------------------------------------------

    def open_flags(self, actor: User | str, round_id: int, *, shortfall=None) -> list[lifecycle.Flag]:
        """Flags of bids in the running with no recorded decision (commissioner or chair)."""
        return lifecycle.open_flags(self.rank(actor, round_id, shortfall=shortfall))

    def flag_decisions(self, actor: User | str, round_id: int) -> pd.DataFrame:
        """Recorded decisions: bid_id, flag, note, decided_by, decided_at."""
        with self._read() as conn:
            self._actor(conn, actor, "resolve_flag")
            rows = conn.execute(
                select(bids.c.bid_ref.label("bid_id"), flag_decisions.c.flag, flag_decisions.c.note,
                       users.c.username.label("decided_by"), flag_decisions.c.decided_at)
                .join(bids, bids.c.id == flag_decisions.c.bid_id).join(users, users.c.id == flag_decisions.c.user_id)
                .where(bids.c.round_id == round_id).order_by(flag_decisions.c.id)).mappings().all()
        return pd.DataFrame(rows, columns=["bid_id", "flag", "note", "decided_by", "decided_at"])

    def resolve_flags(self, actor: User | str, round_id: int, bid_id: str, note: str, *,
                      shortfall=None, now: dt.datetime | None = None) -> list[lifecycle.Flag]:
        """Record a decision (commissioner or chair) on every open flag of one bid; returns them.
        Refused when the bid has none. Record the clarification (question and the bidder's answer)
        first where the decision rests on it: an abnormally low price is explained before any decision."""
        if not str(note or "").strip():
            raise InputError("a decision needs a note saying what was decided and why", column="note")
        now = _now(now)
        todo = [f for f in self.open_flags(actor, round_id, shortfall=shortfall) if f.bid_id == bid_id]
        if not todo:
            raise StoreError(f"bid {bid_id} has no open flag")
        with self._write() as conn:
            actor = self._actor(conn, actor, "resolve_flag")
            key = conn.execute(select(bids.c.id).where(bids.c.round_id == round_id,
                                                       bids.c.bid_ref == bid_id)).scalar()
            for flag in todo:
                conn.execute(insert(flag_decisions).values(
                    bid_id=key, flag=flag.text, kind=flag.key, note=str(note).strip(), user_id=actor.id,
                    decided_at=now.isoformat()))
                self._audit(conn, actor, "flag.resolve", f"bid {bid_id} {flag.key}", {"flag": flag.text},
                            {"note": str(note).strip()}, round_id=round_id)
        return todo
