"""The panel's review of a published round: bulk assignment, progress, score drafts, importing
the panel's scores, scoring closed while moderation is open (reopened only by the commissioner,
audited), and the moderation record with who set each score and whether it left the panel's range."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
from sqlalchemy import delete, insert, select, update

from commissioning.errors import AccessDenied, InputError, StoreError
from commissioning.organisations import bid_organisations, matching_pair
from commissioning.procurement import lifecycle
from commissioning.procurement.bid_files import LINE
from commissioning.procurement.scoring import prepare_bids, prepare_marks
from commissioning.store.base import User, _now, utc_now
from commissioning.store.schema import (
    assignments,
    bids,
    lots,
    moderation,
    rounds,
    score_drafts,
    scores,
    users,
)


class ReviewMixin:

    def bulk_assign(self, actor: User | str, round_id: int, members: list[str], lot: str | None = None, *,
                    now: dt.datetime | None = None) -> tuple[int, list[tuple[str, str]]]:
        """Assign every bid of a lot (or of the round) to each member (commissioner), except where the
        member declared a conflict with the bid's lead or a partner. After the deadline only.
        Returns ``(assignments made or kept, [(member, bid_id) skipped for a conflict])``."""
        now = _now(now)
        with self._write() as conn:
            actor = self._actor(conn, actor, "manage_panel")
            round_row = self._round(conn, round_id)
            if round_row["state"] == "locked":
                raise StoreError("the round is locked")
            self._check_unsealed(round_row, now)
            query = select(bids.c.id, bids.c.bid_ref).join(lots, lots.c.id == bids.c.lot_id).where(
                bids.c.round_id == round_id)
            if lot is not None:
                query = query.where(lots.c.name == lot)
            targets = conn.execute(query.order_by(bids.c.bid_ref)).all()
            if not targets:
                raise StoreError(f"no bids{' in lot ' + lot if lot else ''} in round {round_row['name']}")
            made, skipped = 0, []
            for name in members:
                member = self._user(conn, name)
                for key, ref in targets:
                    if self._conflicted_with_bid(conn, member.id, key):
                        skipped.append((member.username, ref))
                        continue
                    self._insert_assignment(conn, actor, member, key, round_id)
                    made += 1
        return made, skipped

    def progress(self, actor: User | str, round_id: int) -> pd.DataFrame:
        """Each assigned member's progress (commissioner or chair): username, assigned (bids),
        scored (bids with every panel criterion scored), criteria_scored, criteria_due."""
        rules = self.rules(round_id)
        need = len(rules.panel_criteria)
        with self._read() as conn:
            self._actor(conn, actor, "view_panel")
            pairs = conn.execute(
                select(users.c.username, assignments.c.bid_id, assignments.c.user_id)
                .join(users, users.c.id == assignments.c.user_id).join(bids, bids.c.id == assignments.c.bid_id)
                .where(bids.c.round_id == round_id)).mappings().all()
            done: dict[tuple[int, int], int] = {}
            for bid_id, user_id in conn.execute(
                    select(scores.c.bid_id, scores.c.user_id).join(bids, bids.c.id == scores.c.bid_id)
                    .where(bids.c.round_id == round_id)).all():
                done[(bid_id, user_id)] = done.get((bid_id, user_id), 0) + 1
        rows: dict[str, dict] = {}
        for r in pairs:
            row = rows.setdefault(r["username"], {"username": r["username"], "assigned": 0, "scored": 0,
                                                  "criteria_scored": 0, "criteria_due": 0})
            n = done.get((r["bid_id"], r["user_id"]), 0)
            row["assigned"] += 1
            row["scored"] += n >= need
            row["criteria_scored"] += n
            row["criteria_due"] += need
        return pd.DataFrame(sorted(rows.values(), key=lambda r: r["username"]),
                            columns=["username", "assigned", "scored", "criteria_scored", "criteria_due"])

    # -- drafts ---------------------------------------------------------------------------------

    def save_draft(self, user: User | str, key: int, criterion: str, score: float | None, comment: str) -> None:
        """Keep a scorer's unfinished score or comment so a reload loses nothing (not a score:
        drafts never reach the ranking). Empty score and comment delete the draft."""
        with self._write() as conn:
            user = self._actor(conn, user, "score")
            row = self._bid(conn, key)
            if not conn.execute(select(assignments.c.id).where(
                    assignments.c.bid_id == key, assignments.c.user_id == user.id)).first():
                raise AccessDenied(f"bid {row['bid_ref']} is not assigned to {user.username}")
            where = (score_drafts.c.bid_id == key, score_drafts.c.user_id == user.id,
                     score_drafts.c.criterion == criterion)
            conn.execute(delete(score_drafts).where(*where))
            if score is not None or str(comment or "").strip():
                conn.execute(insert(score_drafts).values(
                    bid_id=key, user_id=user.id, criterion=criterion,
                    score=None if score is None else float(score), comment=str(comment or ""),
                    updated_at=utc_now()))

    def drafts(self, user: User | str, key: int) -> dict[str, tuple[float | None, str]]:
        """The acting scorer's drafts for a bid: {criterion: (score or None, comment)}."""
        with self._read() as conn:
            user = self._actor(conn, user, "score")
            rows = conn.execute(select(score_drafts.c.criterion, score_drafts.c.score, score_drafts.c.comment)
                                .where(score_drafts.c.bid_id == key, score_drafts.c.user_id == user.id)).all()
        return {c: (s, t) for c, s, t in rows}

    def reopen_scoring(self, actor: User | str, round_id: int, note: str) -> None:
        """Move a round back from moderation to scoring (commissioner), with the reason; audited."""
        if not str(note or "").strip():
            raise InputError("reopening scoring needs a note saying why", column="note")
        self._set_state(actor, round_id, "moderation", "scoring", permission="reopen_scoring",
                        action="round.reopen_scoring",
                        note=str(note).strip())

    # -- importing the panel's work -------------------------------------------------------------

    def import_scores(self, actor: User | str, round_id: int, score_frame: pd.DataFrame,
                      mod_frame: pd.DataFrame | None = None, *, now: dt.datetime | None = None) -> tuple[int, int]:
        """Import the panel's scores (commissioner; after the deadline; round in scoring) in one
        transaction. Unknown scorers become panel accounts without a password; each scorer is
        assigned the bids they scored (refused where they declared a conflict). With a moderation
        frame, moderation opens and the decisions are recorded as the importer's. Returns
        ``(scores, moderated scores)`` imported."""
        now = _now(now)
        rules = self.rules(round_id)
        index = pd.Index(prepare_bids(rules, self._bid_frame(round_id))["bid_id"])
        marks = prepare_marks(rules, score_frame, index, kind="scores")
        mods = (prepare_marks(rules, mod_frame, index, kind="moderation")
                if mod_frame is not None and len(mod_frame) else None)
        with self._write() as conn:
            actor = self._actor(conn, actor, "manage_round")
            round_row = self._round(conn, round_id)
            if round_row["state"] != "scoring":
                raise StoreError(f"round {round_row['name']} is {round_row['state']}: scores are closed")
            self._check_unsealed(round_row, now)
            keys = dict(conn.execute(select(bids.c.bid_ref, bids.c.id).where(bids.c.round_id == round_id)).all())
            self._record_panel_work(conn, actor, round_row, rules, index, keys, score_frame, marks, mod_frame, mods)
        return len(score_frame), 0 if mods is None else len(mod_frame)

    def _refuse_conflicted_scores(self, conn, members: dict, marks, refs, keys: dict, score_frame) -> None:
        """Refuse the whole file when it holds scores by a member with a declared conflict with a
        bid's lead or partner, naming the rows and each conflict."""
        lines = (score_frame[LINE].tolist() if LINE in score_frame.columns
                 else list(range(2, len(score_frame) + 2)))
        clashes: dict[tuple[str, str], list] = {}
        for scorer, ref, line in zip(marks["scorer"], refs, lines):
            clashes.setdefault((scorer, ref), []).append(line)
        found = []
        for (scorer, ref), rows in clashes.items():
            bid_row = self._bid(conn, keys[ref])
            pair = matching_pair(self._declared(conn, members[scorer].id), bid_organisations(bid_row))
            if pair:
                role = "leads" if pair[1] == bid_row["organisation"] else "is a partner in"
                found.append(f"line{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows))}: {scorer} declared "
                             f"a conflict with {pair[0]!r}, and {pair[1]!r} {role} bid {ref}")
        if found:
            raise AccessDenied(f"{marks['source']}: scores by a member with a conflict of interest; "
                               f"nothing was imported. " + "; ".join(found))

    def _record_panel_work(self, conn, actor, round_row, rules, index: pd.Index, keys: dict, score_frame,
                           marks, mod_frame=None, mods=None, *, blank_comment: str | None = None) -> None:
        """The one score importer (``import_scores``, ``import_round_from_csv``), inside the caller's
        transaction: scorers (new ones become panel accounts without a password), their assignments
        (refused where they declared a conflict), their scores (a blank comment is refused unless
        ``blank_comment`` stands in for it), then with moderation the audited move to moderation
        and the chair's decisions recorded as the importer's."""
        round_id = round_row["id"]
        members = {}
        for scorer in dict.fromkeys(marks["scorer"]):
            try:
                members[scorer] = self._user(conn, scorer)
            except AccessDenied:
                members[scorer] = self._insert_user(conn, actor, scorer, "panel", None, None)
        refs = index.to_numpy()[marks["bi"]]
        crits = [rules.criterion_ids[j] for j in marks["ci"]]
        self._refuse_conflicted_scores(conn, members, marks, refs, keys, score_frame)
        for scorer, ref in dict.fromkeys(zip(marks["scorer"], refs)):
            self._insert_assignment(conn, actor, members[scorer], keys[ref], round_id)
        comments = score_frame["comment"].astype(str).str.strip().tolist()
        for scorer, ref, crit, value, comment in zip(marks["scorer"], refs, crits, marks["score"], comments):
            if not comment:
                if blank_comment is None:
                    raise InputError(f"the score of {scorer} for {ref} {crit} has no comment",
                                     file=marks["source"], column="comment")
                comment = blank_comment
            self._upsert_score(conn, members[scorer], keys[ref], round_id, ref, crit, float(value), comment)
        if mods is not None:
            conn.execute(update(rounds).where(rounds.c.id == round_id).values(state="moderation"))
            self._audit(conn, actor, "round.moderation", f"round {round_row['name']}",
                        {"state": "scoring"}, {"state": "moderation"}, round_id=round_id)
            notes = mod_frame["note"].astype(str).str.strip().tolist()
            # the optional ``reason`` column: what the bidder reads (none: its summary gives no reason)
            reasons = (mod_frame["reason"].astype(str).str.strip() if "reason" in mod_frame.columns
                       else pd.Series([""] * len(mod_frame))).tolist()
            for ref, j, value, note, reason in zip(index.to_numpy()[mods["bi"]], mods["ci"], mods["score"], notes,
                                                   reasons):
                self._upsert_moderation(conn, actor, keys[ref], round_id, ref, rules.criterion_ids[j],
                                        float(value), note, reason or None)

    def _bid_frame(self, round_id: int) -> pd.DataFrame:
        rules = self.rules(round_id)
        with self._read() as conn:
            rows = conn.execute(
                select(bids.c.bid_ref.label("bid_id"), bids.c.organisation, lots.c.name.label("lot"),
                       bids.c.price, bids.c.submitted_at, bids.c.gates, bids.c.areas)
                .join(lots, lots.c.id == bids.c.lot_id).where(bids.c.round_id == round_id)
                .order_by(bids.c.id)).mappings().all()
        frame = pd.DataFrame([{**{k: r[k] for k in ("bid_id", "organisation", "lot", "price", "submitted_at",
                                                     "areas")},
                               **{f"gate_{g}": v for g, v in json.loads(r["gates"]).items()}} for r in rows],
                             columns=["bid_id", "organisation", "lot", "price", "submitted_at", "areas"]
                             + [g.column for g in rules.gates])
        frame.attrs["source"] = "store bids"
        return frame

    def moderation_record(self, actor: User | str, round_id: int) -> pd.DataFrame:
        """Every moderated score (commissioner or chair, moderation open): bid_id, criterion,
        score, note, reason (what the bidder reads), set_by, decided_at, panel_min, panel_max,
        outside_range."""
        panel = self.all_scores(actor, round_id)
        with self._read() as conn:
            rows = conn.execute(
                select(bids.c.bid_ref.label("bid_id"), moderation.c.criterion, moderation.c.score,
                       moderation.c.note, moderation.c.reason, users.c.username.label("set_by"),
                       moderation.c.decided_at)
                .join(bids, bids.c.id == moderation.c.bid_id).join(users, users.c.id == moderation.c.user_id)
                .where(bids.c.round_id == round_id).order_by(bids.c.bid_ref, moderation.c.criterion)
            ).mappings().all()
        out = []
        for r in rows:
            marks = panel.loc[(panel["bid_id"] == r["bid_id"]) & (panel["criterion"] == r["criterion"]), "score"].tolist()
            out.append(dict(r) | {"panel_min": min(marks) if marks else None,
                                  "panel_max": max(marks) if marks else None,
                                  "outside_range": not lifecycle.in_range(r["score"], marks)})
        return pd.DataFrame(out, columns=["bid_id", "criterion", "score", "note", "reason", "set_by", "decided_at",
                                          "panel_min", "panel_max", "outside_range"])
