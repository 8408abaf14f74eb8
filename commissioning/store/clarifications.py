"""Clarifications and flags: questions to a bidder and the bidder's answers (with dates; a bidder with
an account answers for itself), exchanges of general interest published to every bidder without
naming the bid, and the decisions that resolve a flag (abnormally low price, only after an answered
clarification; unmoderated panel spread)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import insert, select, update

from commissioning.errors import AccessDenied, InputError, StoreError
from commissioning.organisations import bid_organisations, organisation_key, organisation_keys
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

    def answer_clarification(self, provider: User | str, clarification_id: int, answer: str, *,
                             now: dt.datetime | None = None) -> None:
        """The bidder's answer to a question about its own bid, from its own account (once)."""
        now = _now(now)
        with self._write() as conn:
            actor = self._actor(conn, provider, "answer_clarification")
            clar, row = self._clarification(conn, clarification_id)
            if row["submitted_by"] != actor.id:
                raise AccessDenied("a support organisation answers only the questions about its own bids")
            self._answer(conn, actor, clar, row, answer, now)

    def record_answer(self, actor: User | str, clarification_id: int, answer: str, *,
                      now: dt.datetime | None = None) -> None:
        """Record the answer to a question about a bid imported from a file (commissioner or chair),
        whose bidder has no account here. A bid made through a provider's account is answered by
        that provider (:meth:`answer_clarification`), never typed in for it."""
        now = _now(now)
        with self._write() as conn:
            actor = self._actor(conn, actor, "clarify")
            clar, row = self._clarification(conn, clarification_id)
            if row["submitted_by"] is not None:
                raise StoreError(f"bid {row['bid_ref']} was made through the bidder's own account: "
                                 "the bidder answers on its Bids page")
            self._answer(conn, actor, clar, row, answer, now)

    def _clarification(self, conn, clarification_id: int):
        clar = conn.execute(select(clarifications).where(clarifications.c.id == clarification_id)
                            ).mappings().first()
        if clar is None:
            raise StoreError(f"no clarification {clarification_id}")
        return clar, self._bid(conn, clar["bid_id"])

    def _answer(self, conn, actor: User, clar, row, answer: str, now: dt.datetime) -> None:
        text = str(answer or "").strip()
        if not text:
            raise InputError("the answer is empty", column="answer")
        if clar["answer"] is not None:
            raise StoreError(f"this question about bid {row['bid_ref']} was answered on {clar['answered_at'][:10]}: "
                             "ask a new question for more")
        conn.execute(update(clarifications).where(clarifications.c.id == clar["id"]).values(
            answer=text, answered_at=now.isoformat(), recorded_by=actor.id))
        self._audit(conn, actor, "clarification.answer", f"bid {row['bid_ref']}", None, {"answer": text},
                    round_id=row["round_id"])

    def clarifications(self, actor: User | str, round_id: int) -> pd.DataFrame:
        """A round's clarifications (commissioner or chair): id, bid_id, question, asked_by,
        asked_at, answer, answered_at, answered_by, published_at."""
        answered_by = users.alias("answered_by")
        with self._read() as conn:
            self._actor(conn, actor, "clarify")
            rows = conn.execute(
                select(clarifications.c.id, bids.c.bid_ref.label("bid_id"), clarifications.c.question,
                       users.c.username.label("asked_by"), clarifications.c.asked_at,
                       clarifications.c.answer, clarifications.c.answered_at,
                       answered_by.c.username.label("answered_by"), clarifications.c.published_at)
                .join(bids, bids.c.id == clarifications.c.bid_id)
                .join(users, users.c.id == clarifications.c.asked_by)
                .outerjoin(answered_by, answered_by.c.id == clarifications.c.recorded_by)
                .where(bids.c.round_id == round_id).order_by(clarifications.c.id)).mappings().all()
        return pd.DataFrame(rows, columns=["id", "bid_id", "question", "asked_by", "asked_at", "answer",
                                           "answered_at", "answered_by", "published_at"])

    def my_clarifications(self, provider: User | str) -> pd.DataFrame:
        """The questions about a support organisation's own bids: id, round_id, bid_id, question,
        asked_at, answer, answered_at (who asked is not shown)."""
        with self._read() as conn:
            provider = self._actor(conn, provider, "answer_clarification")
            rows = conn.execute(
                select(clarifications.c.id, bids.c.round_id, bids.c.bid_ref.label("bid_id"),
                       clarifications.c.question, clarifications.c.asked_at, clarifications.c.answer,
                       clarifications.c.answered_at)
                .join(bids, bids.c.id == clarifications.c.bid_id)
                .where(bids.c.submitted_by == provider.id).order_by(clarifications.c.id)).mappings().all()
        return pd.DataFrame(rows, columns=["id", "round_id", "bid_id", "question", "asked_at", "answer",
                                           "answered_at"])

    def publish_clarification(self, actor: User | str, clarification_id: int, question: str, answer: str, *,
                              now: dt.datetime | None = None) -> None:
        """Publish an answered exchange of general interest to every bidder of the round (commissioner
        or chair), in the wording given: the bid and the bidder are not named (the page offers the
        original wording to edit)."""
        question, answer = str(question or "").strip(), str(answer or "").strip()
        if not question or not answer:
            raise InputError("a published clarification needs the question and the answer", column="question")
        now = _now(now)
        with self._write() as conn:
            actor = self._actor(conn, actor, "publish_clarification")
            clar, row = self._clarification(conn, clarification_id)
            if clar["answer"] is None:
                raise StoreError(f"the question about bid {row['bid_ref']} has no answer yet: publish it once answered")
            wording = organisation_key(question + " " + answer)
            named = [n for n in bid_organisations(row) if any(k in wording for k in organisation_keys(n))]
            if named:
                raise InputError(f"the published wording names the bidder ({', '.join(named)}): "
                                 "reword it so that no bidder is named", column="answer")
            conn.execute(update(clarifications).where(clarifications.c.id == clarification_id).values(
                published_question=question, published_answer=answer, published_at=now.isoformat()))
            self._audit(conn, actor, "clarification.publish", f"bid {row['bid_ref']}",
                        {"published_at": clar["published_at"]},
                        {"question": question, "answer": answer}, round_id=row["round_id"])

    def published_clarifications(self, actor: User | str, round_id: int) -> pd.DataFrame:
        """The clarifications published to every bidder of a round (any signed-in account):
        question, answer, published_at. No bid, bidder or asker is named."""
        with self._read() as conn:
            self._actor(conn, actor)
            self._round(conn, round_id)
            rows = conn.execute(
                select(clarifications.c.published_question.label("question"),
                       clarifications.c.published_answer.label("answer"), clarifications.c.published_at)
                .join(bids, bids.c.id == clarifications.c.bid_id)
                .where(bids.c.round_id == round_id, clarifications.c.published_at.is_not(None))
                .order_by(clarifications.c.published_at)).mappings().all()
        return pd.DataFrame(rows, columns=["question", "answer", "published_at"])

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
            answered = conn.execute(select(clarifications.c.id).where(
                clarifications.c.bid_id == key, clarifications.c.answer.is_not(None))).first()
            if any(f.key == "price" for f in todo) and not answered:
                raise StoreError(f"bid {bid_id}'s abnormally low price is decided only after a clarification: "
                                 "ask the bidder to explain its price and wait for its answer")
            for flag in todo:
                conn.execute(insert(flag_decisions).values(
                    bid_id=key, flag=flag.text, kind=flag.key, note=str(note).strip(), user_id=actor.id,
                    decided_at=now.isoformat()))
                self._audit(conn, actor, "flag.resolve", f"bid {bid_id} {flag.key}", {"flag": flag.text},
                            {"note": str(note).strip()}, round_id=round_id)
        return todo
