"""Scores, moderation, the round's states (scoring -> moderation -> locked) and the ranking."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Iterable

import pandas as pd
from sqlalchemy import (
    delete,
    insert,
    select,
    update,
)

from commissioning.errors import AccessDenied, InputError, StoreError
from commissioning.procurement.rules import Rules
from commissioning.procurement.scoring import ScoringResult, score_bids
from commissioning.store.base import User, _now, utc_now
from commissioning.store.schema import (
    assignments,
    bids,
    flag_decisions,
    lots,
    moderation,
    rounds,
    score_drafts,
    scores,
    users,
)


class ScoresMixin:

    def bids_for_scorer(self, user: User | str) -> pd.DataFrame:
        """Bids assigned to ``user`` and not conflicted: key, round_id, bid_id, organisation, lot.

        Prices are not shown to the quality panel.
        """
        with self._read() as conn:
            user = self._actor(conn, user, "score")
            rows = conn.execute(
                select(bids, lots.c.name.label("lot"), rounds.c.state)
                .join(assignments, assignments.c.bid_id == bids.c.id)
                .join(lots, lots.c.id == bids.c.lot_id).join(rounds, rounds.c.id == bids.c.round_id)
                .where(assignments.c.user_id == user.id).order_by(bids.c.round_id, bids.c.bid_ref)
            ).mappings().all()
            keep = [{**r, "key": r["id"], "bid_id": r["bid_ref"]} for r in rows
                    if not self._conflicted(conn, user.id, r)]
        columns = ["key", "round_id", "bid_id", "organisation", "lot", "state"]
        return pd.DataFrame([{c: r[c] for c in columns} for r in keep], columns=columns)

    def save_score(self, user: User | str, bid: int, criterion: str, score: float, comment: str) -> None:
        """Save (or change) the acting scorer's own score on one criterion of an assigned bid."""
        self.save_scores(user, [(bid, criterion, score, comment)])

    def save_scores(self, user: User | str, rows: Iterable[tuple[int, str, float, str]]) -> int:
        """Save several of the acting scorer's scores ``(bid, criterion, score, comment)`` in one
        transaction: all are saved or none. Returns how many."""
        with self._write() as conn:
            user = self._actor(conn, user, "score")
            count = 0
            for bid, criterion, value, comment in rows:
                row = self._bid(conn, bid)
                if row["state"] == "locked":
                    raise StoreError("the round is locked: scores are final")
                assigned = conn.execute(select(assignments.c.id).where(
                    assignments.c.bid_id == bid, assignments.c.user_id == user.id)).first()
                if not assigned or self._conflicted(conn, user.id, row):
                    raise AccessDenied(f"bid {row['bid_ref']} is not assigned to {user.username}")
                value = self._check_mark(self._rules_of(row["rules_yaml"]), criterion, value)
                if not str(comment or "").strip():
                    raise InputError("a score needs a comment (the reason for it)", column="comment")
                if row["state"] == "moderation":
                    raise StoreError("scoring is closed while moderation is open (no late scores moving "
                                     "medians); the commissioner can reopen scoring")
                self._upsert_score(conn, user, bid, row["round_id"], row["bid_ref"], criterion,
                                   value, str(comment).strip())
                count += 1
        return count

    @staticmethod
    def _check_mark(rules: Rules, criterion: str, value) -> float:
        try:
            spec = rules.criterion(criterion)
        except KeyError:
            raise InputError(f"unknown criterion {criterion!r}", column="criterion",
                             expected=", ".join(rules.criterion_ids)) from None
        if spec.type != "panel":
            raise InputError(f"criterion {criterion} is scored from the needs assessment", column="criterion")
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise InputError(f"{value!r} is not a number", column="score") from None
        if not rules.scale.min <= value <= spec.max_score:
            raise InputError(f"score {value:g} is outside the scale ({rules.scale.min}..{spec.max_score})",
                             column="score")
        return value

    def _upsert_score(self, conn, user: User, bid: int, round_id: int, ref: str, criterion: str,
                      value: float, comment: str) -> None:
        old = conn.execute(select(scores.c.score, scores.c.comment).where(
            scores.c.bid_id == bid, scores.c.user_id == user.id, scores.c.criterion == criterion)
        ).mappings().first()
        new = {"score": value, "comment": comment}
        if old is None:
            conn.execute(insert(scores).values(bid_id=bid, user_id=user.id, criterion=criterion,
                                               updated_at=utc_now(), **new))
        else:
            conn.execute(update(scores).where(scores.c.bid_id == bid, scores.c.user_id == user.id,
                                              scores.c.criterion == criterion)
                         .values(updated_at=utc_now(), **new))
        self._audit(conn, user, "score.save", f"bid {ref} {criterion} by {user.username}",
                    dict(old) if old else None, new, round_id=round_id)
        # A saved score replaces the scorer's draft for it, in the same transaction.
        conn.execute(delete(score_drafts).where(score_drafts.c.bid_id == bid, score_drafts.c.user_id == user.id,
                                                score_drafts.c.criterion == criterion))

    def _scores_query(self, round_id: int | None = None, user_id: int | None = None):
        query = (select(bids.c.round_id, bids.c.id.label("key"), bids.c.bid_ref.label("bid_id"),
                        users.c.username.label("scorer"), scores.c.criterion, scores.c.score,
                        scores.c.comment, scores.c.updated_at)
                 .join(bids, bids.c.id == scores.c.bid_id).join(users, users.c.id == scores.c.user_id)
                 .order_by(bids.c.round_id, bids.c.bid_ref, users.c.username, scores.c.criterion))
        if round_id is not None:
            query = query.where(bids.c.round_id == round_id)
        if user_id is not None:
            query = query.where(scores.c.user_id == user_id)
        return query

    def my_scores(self, user: User | str) -> pd.DataFrame:
        """The acting user's own scores: round_id, key, bid_id, scorer, criterion, score, comment, updated_at."""
        with self._read() as conn:
            user = self._actor(conn, user)
            rows = conn.execute(self._scores_query(user_id=user.id)).mappings().all()
        return pd.DataFrame(rows, columns=["round_id", "key", "bid_id", "scorer", "criterion", "score",
                                           "comment", "updated_at"])

    def all_scores(self, actor: User | str, round_id: int) -> pd.DataFrame:
        """Every scorer's scores in a round: chair or commissioner, once moderation is open; never
        those for bids the actor declared a conflict with."""
        with self._read() as conn:
            actor = self._actor(conn, actor, "view_scores")
            state = self._round(conn, round_id)["state"]
            if state == "scoring":
                raise AccessDenied("panel scores stay private until moderation opens")
            rows = conn.execute(self._scores_query(round_id=round_id)).mappings().all()
            hidden = self._conflicted_refs(conn, actor.id, round_id)
        return pd.DataFrame([r for r in rows if r["bid_id"] not in hidden],
                            columns=["round_id", "key", "bid_id", "scorer", "criterion", "score",
                                     "comment", "updated_at"])

    def conflicted_bids(self, actor: User | str, round_id: int) -> list[str]:
        """References of the round's bids the acting user declared a conflict with (sorted): the
        bids they may not see in detail, score or moderate."""
        with self._read() as conn:
            actor = self._actor(conn, actor)
            self._round(conn, round_id)
            return sorted(self._conflicted_refs(conn, actor.id, round_id))

    # -- moderation and locking ---------------------------------------------------------------

    def _set_state(self, actor, round_id: int, current: str, new: str, *, permission: str,
                   action: str | None = None, note: str | None = None, check=None) -> None:
        """Move a round from ``current`` to ``new`` (a role with ``permission``), audited as
        ``action`` (default ``round.<new>``) with ``note`` when one is given. ``check(row)`` raises
        to refuse; it runs while this transaction holds the write lock, so nothing changes between
        the check and the move."""
        with self._write() as conn:
            actor = self._actor(conn, actor, permission)
            row = self._round(conn, round_id)
            if row["state"] != current:
                raise StoreError(f"round {row['name']} is {row['state']}, not {current}")
            if check is not None:
                check(row)
            conn.execute(update(rounds).where(rounds.c.id == round_id).values(state=new))
            self._audit(conn, actor, action or f"round.{new}", f"round {row['name']}", {"state": current},
                        {"state": new} | ({"note": note} if note else {}), round_id=round_id)

    def open_moderation(self, actor: User | str, round_id: int, *, now: dt.datetime | None = None) -> None:
        """Move a round from scoring to moderation (commissioner), refused while its bids are sealed."""
        self._set_state(actor, round_id, "scoring", "moderation", permission="open_moderation",
                        check=lambda row: self._check_unsealed(row, _now(now)))

    def lock_round(self, actor: User | str, round_id: int, *, shortfall=None) -> None:
        """Lock a round after moderation (commissioner): scores and moderation become final.
        Refused while a bid in the running has an open flag (StoreError naming the bids and flags)."""
        def no_open_flags(_row) -> None:
            pending = self.open_flags(actor, round_id, shortfall=shortfall)
            if pending:
                names = {}
                for f in pending:
                    names.setdefault(f.bid_id, []).append(f.text)
                raise StoreError("cannot lock: unresolved flags on " + "; ".join(
                    f"{bid} ({', '.join(texts)})" for bid, texts in names.items()))

        self._set_state(actor, round_id, "moderation", "locked", permission="lock_round", check=no_open_flags)

    def record_moderation(self, actor: User | str, bid: int, criterion: str, score: float | None, note: str, *,
                          reason: str) -> None:
        """The chair's moderated score for a bid and criterion: ``note`` says why for the panel's
        record (never shown to the bidder), ``reason`` is what the bidder reads in its summary."""
        if score is None:
            raise InputError("choose the moderated score: there is no default", column="score")
        if not str(note or "").strip():
            raise InputError("a moderation decision needs a note saying why", column="note")
        if not str(reason or "").strip():
            raise InputError("a moderation decision needs the reason the bidder will read", column="reason")
        with self._write() as conn:
            actor = self._actor(conn, actor, "moderate")
            row = self._bid(conn, bid)
            if row["state"] != "moderation":
                raise StoreError(f"moderation is not open (the round is {row['state']})")
            if self._conflicted(conn, actor.id, row):
                raise AccessDenied(f"{actor.username} declared a conflict with {row['organisation']}: "
                                   f"another chair moderates bid {row['bid_ref']}")
            value = self._check_mark(self._rules_of(row["rules_yaml"]), criterion, score)
            self._upsert_moderation(conn, actor, bid, row["round_id"], row["bid_ref"], criterion,
                                    value, str(note).strip(), str(reason).strip())

    def _upsert_moderation(self, conn, actor, bid, round_id, ref, criterion, value, note, reason) -> None:
        old = conn.execute(select(moderation.c.score, moderation.c.note, moderation.c.reason).where(
            moderation.c.bid_id == bid, moderation.c.criterion == criterion)).mappings().first()
        new = {"score": value, "note": note, "reason": reason}
        if old is None:
            conn.execute(insert(moderation).values(bid_id=bid, criterion=criterion, user_id=actor.id,
                                                   decided_at=utc_now(), **new))
        else:
            conn.execute(update(moderation).where(moderation.c.bid_id == bid, moderation.c.criterion == criterion)
                         .values(user_id=actor.id, decided_at=utc_now(), **new))
        self._audit(conn, actor, "moderation.record", f"bid {ref} {criterion}",
                    dict(old) if old else None, new, round_id=round_id)

    # -- to the engine ----------------------------------------------------------------------

    def engine_inputs(self, actor: User | str, round_id: int) -> tuple[Rules, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """``(rules, bids, scores, moderation)`` in the shapes :func:`~commissioning.procurement.scoring.score_bids`
        takes (chair or commissioner, once moderation is open). Scores and moderated scores of
        bids the actor declared a conflict with are left out (see :meth:`rank` for the ranking)."""
        rules, bid_frame, score_frame, mod_frame = self._engine_inputs(actor, round_id)
        hidden = self.conflicted_bids(actor, round_id)
        return (rules, bid_frame, _without(score_frame, hidden), _without(mod_frame, hidden))

    def _engine_inputs(self, actor, round_id: int):
        with self._read() as conn:
            self._actor(conn, actor, "view_scores")
            if self._round(conn, round_id)["state"] == "scoring":
                raise AccessDenied("panel scores stay private until moderation opens")
            panel = pd.DataFrame(conn.execute(self._scores_query(round_id=round_id)).mappings().all(),
                                 columns=["round_id", "key", "bid_id", "scorer", "criterion", "score",
                                          "comment", "updated_at"])
        rules = self.rules(round_id)
        with self._read() as conn:
            bid_rows = conn.execute(
                select(bids.c.bid_ref.label("bid_id"), bids.c.organisation, lots.c.name.label("lot"),
                       bids.c.price, bids.c.submitted_at, bids.c.gates, bids.c.areas)
                .join(lots, lots.c.id == bids.c.lot_id).where(bids.c.round_id == round_id)
                .order_by(bids.c.id)).mappings().all()
            mod_rows = conn.execute(
                select(bids.c.bid_ref.label("bid_id"), moderation.c.criterion, moderation.c.score,
                       moderation.c.note)
                .join(bids, bids.c.id == moderation.c.bid_id).where(bids.c.round_id == round_id)
                .order_by(moderation.c.id)).mappings().all()
        bid_frame = pd.DataFrame([
            {**{k: r[k] for k in ("bid_id", "organisation", "lot", "price", "submitted_at", "areas")},
             **{f"gate_{g}": v for g, v in json.loads(r["gates"]).items()}} for r in bid_rows],
            columns=["bid_id", "organisation", "lot", "price", "submitted_at", "areas"]
            + [g.column for g in rules.gates])
        bid_frame.attrs["source"] = "store bids"
        score_frame = panel[["bid_id", "scorer", "criterion", "score", "comment"]].copy()
        score_frame.attrs["source"] = "store scores"
        mod_frame = pd.DataFrame(mod_rows, columns=["bid_id", "criterion", "score", "note"])
        mod_frame.attrs["source"] = "store moderation"
        return rules, bid_frame, score_frame, mod_frame

    def _flag_decisions(self, conn, round_id: int) -> dict[str, dict[str, str]]:
        """The chair's recorded decisions, ``{bid_id: {flag key: note}}`` (the engine's input)."""
        decided: dict[str, dict[str, str]] = {}
        for ref, key, note in conn.execute(
                select(bids.c.bid_ref, flag_decisions.c.kind, flag_decisions.c.note)
                .join(bids, bids.c.id == flag_decisions.c.bid_id).where(bids.c.round_id == round_id)
                .order_by(flag_decisions.c.id)).all():
            decided.setdefault(ref, {})[key] = note
        return decided

    def rank(self, actor: User | str, round_id: int, *, shortfall=None) -> ScoringResult:
        """Run the engine on the round as stored (every bid counts, so every rank is right). For
        an actor who declared a conflict with a bidder, the result carries no panel scores of that
        bidder's bids (its explanations show no scorer detail; see :meth:`conflicted_bids`)."""
        rules, bid_frame, score_frame, mod_frame = self._engine_inputs(actor, round_id)
        with self._read() as conn:
            decisions = self._flag_decisions(conn, round_id)
        result = score_bids(rules, bid_frame, score_frame, mod_frame, shortfall=shortfall, decisions=decisions)
        hidden = self.conflicted_bids(actor, round_id)
        return dataclasses.replace(result, scores=_without(result.scores, hidden)) if hidden else result


def _without(frame: pd.DataFrame, bid_refs) -> pd.DataFrame:
    """``frame``'s rows whose ``bid_id`` is not one of ``bid_refs`` (attrs kept)."""
    if not len(bid_refs):
        return frame
    kept = frame.loc[~frame["bid_id"].isin(list(bid_refs))].reset_index(drop=True)
    kept.attrs = dict(frame.attrs)
    return kept
