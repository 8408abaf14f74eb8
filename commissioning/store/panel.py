"""The panel: assignments of bids to scorers, conflicts of interest, who sees what."""

from __future__ import annotations

import datetime as dt
from typing import Iterable

import pandas as pd
from sqlalchemy import (
    delete,
    func,
    insert,
    select,
)

from commissioning.errors import AccessDenied, InputError, StoreError
from commissioning.organisations import bid_organisations, names_match, organisation_key
from commissioning.store.base import SCORING_ROLES, User, _now, require_action, utc_now
from commissioning.store.schema import (
    assignments,
    bids,
    conflicts,
    lots,
    rounds,
    scores,
    users,
)


class PanelMixin:

    def assign(self, actor: User | str, member: User | str, bid: int) -> None:
        """Assign a bid to a scorer (commissioner). Refused when the scorer declared a conflict."""
        with self._write() as conn:
            actor = self._actor(conn, actor, "manage_panel")
            member = self._user(conn, member)
            row = self._bid(conn, bid)
            if row["state"] == "locked":
                raise StoreError("the round is locked")
            self._insert_assignment(conn, actor, member, bid, row["round_id"])

    def assign_bids(self, actor: User | str, member: User | str, keys: Iterable[int]) -> int:
        """Assign several bids (their keys) to a scorer in one transaction (commissioner): all or
        none, refused like :meth:`assign`. Returns how many keys were given (already assigned
        ones count)."""
        keys = [int(k) for k in keys]
        with self._write() as conn:
            actor = self._actor(conn, actor, "manage_panel")
            member = self._user(conn, member)
            for bid in keys:
                row = self._bid(conn, bid)
                if row["state"] == "locked":
                    raise StoreError("the round is locked")
                self._insert_assignment(conn, actor, member, bid, row["round_id"])
        return len(keys)

    def _insert_assignment(self, conn, actor, member: User, bid: int, round_id: int) -> None:
        if member.role not in SCORING_ROLES:
            raise AccessDenied(f"{member.username} ({member.role}) is not a scorer")
        if not self._user_row(conn, member)["active"]:
            raise StoreError(f"{member.username}'s account is deactivated: no new assignments")
        row = self._bid(conn, bid)
        if self._conflicted(conn, member.id, row):
            raise AccessDenied(f"{member.username} declared a conflict with {row['organisation']}")
        if conn.execute(select(assignments.c.id).where(assignments.c.bid_id == bid,
                                                       assignments.c.user_id == member.id)).first():
            return
        conn.execute(insert(assignments).values(bid_id=bid, user_id=member.id))
        self._audit(conn, actor, "assign", f"bid {row['bid_ref']} to {member.username}", None,
                    {"bid": row["bid_ref"], "scorer": member.username}, round_id=round_id)

    def declare_conflict(self, actor: User | str, organisation: str, note: str,
                         member: User | str | None = None) -> None:
        """Declare a conflict of interest with an organisation (one's own, or for a member as
        commissioner). Withdraws the member's assignments to and scores for that organisation's
        bids in rounds that are not locked (the audit log keeps the withdrawn scores)."""
        if not str(note).strip():
            raise InputError("a conflict declaration needs a note", column="note")
        with self._write() as conn:
            actor = self._actor(conn, actor)
            member = actor if member is None else self._user(conn, member)
            if member.username != actor.username:
                try:
                    require_action(actor, "record_conflict")
                except AccessDenied:
                    raise AccessDenied("only a commissioner records a conflict for someone else") from None
            key = organisation_key(organisation)
            if not key:
                raise InputError("a conflict declaration needs an organisation", column="organisation")
            declared = {organisation_key(d) for d in self._declared(conn, member.id)}
            if key not in declared:
                conn.execute(insert(conflicts).values(user_id=member.id, organisation_key=key,
                                                      organisation=str(organisation).strip(),
                                                      note=str(note).strip(), declared_at=utc_now()))
                self._audit(conn, actor, "conflict.declare", f"{member.username} / {organisation}",
                            None, {"note": note})
            affected = conn.execute(
                select(bids).join(rounds, rounds.c.id == bids.c.round_id)
                .where(rounds.c.state != "locked")).mappings().all()
            for row in affected:
                if names_match([organisation], bid_organisations(row)):
                    self._withdraw_scores(conn, actor, member, row)
                    self._delete_assignment(conn, actor, member, row)

    def unassign(self, actor: User | str, member: User | str, bid_keys: Iterable[int], *,
                 withdraw_scores: bool = False) -> int:
        """Take bids (their keys) back from a scorer in one transaction (commissioner): all or none.

        The member's scores for those bids are withdrawn (deleted; the audit log keeps the old
        values). While the round is in ``scoring`` that happens as part of unassigning; once
        moderation is open it is refused unless ``withdraw_scores=True`` says the caller confirmed
        it. Refused in a locked round and for a bid not assigned to the member. Works for a
        deactivated member too. Returns how many assignments were removed.
        """
        keys = list(dict.fromkeys(int(k) for k in bid_keys))
        with self._write() as conn:
            actor = self._actor(conn, actor, "manage_panel")
            member = self._user(conn, member)
            rows, scored = [], []
            for bid in keys:
                row = self._bid(conn, bid)
                if row["state"] == "locked":
                    raise StoreError(f"the round is locked: bid {row['bid_ref']} stays assigned")
                if conn.execute(select(assignments.c.id).where(
                        assignments.c.bid_id == bid, assignments.c.user_id == member.id)).first() is None:
                    raise StoreError(f"bid {row['bid_ref']} is not assigned to {member.username}")
                has_scores = conn.execute(select(scores.c.id).where(
                    scores.c.bid_id == bid, scores.c.user_id == member.id)).first() is not None
                if has_scores and row["state"] == "moderation":
                    scored.append(row["bid_ref"])
                rows.append(row)
            if scored and not withdraw_scores:
                raise StoreError(
                    f"moderation is open and {member.username} has scored {', '.join(scored)}: "
                    "confirm that those scores are withdrawn (the audit log keeps them)")
            for row in rows:
                self._withdraw_scores(conn, actor, member, row)
                self._delete_assignment(conn, actor, member, row)
        return len(rows)

    def _withdraw_scores(self, conn, actor: User, member: User, bid_row) -> None:
        """Delete ``member``'s scores for one bid (a row with id, bid_ref, round_id), each audited
        as ``score.withdraw`` with its old score and comment."""
        for old in conn.execute(select(scores).where(scores.c.bid_id == bid_row["id"],
                                                     scores.c.user_id == member.id)).mappings():
            self._audit(conn, actor, "score.withdraw",
                        f"bid {bid_row['bid_ref']} {old['criterion']} by {member.username}",
                        {"score": old["score"], "comment": old["comment"]}, None,
                        round_id=bid_row["round_id"])
        conn.execute(delete(scores).where(scores.c.bid_id == bid_row["id"], scores.c.user_id == member.id))

    def _delete_assignment(self, conn, actor: User, member: User, bid_row) -> None:
        if conn.execute(delete(assignments).where(assignments.c.bid_id == bid_row["id"],
                                                  assignments.c.user_id == member.id)).rowcount:
            self._audit(conn, actor, "unassign", f"bid {bid_row['bid_ref']} from {member.username}",
                        {"bid": bid_row["bid_ref"], "scorer": member.username}, None,
                        round_id=bid_row["round_id"])

    def panel(self, actor: User | str, round_id: int) -> pd.DataFrame:
        """Panel members assigned in a round (commissioner or chair): username, display_name,
        role, bids_assigned."""
        with self._read() as conn:
            self._actor(conn, actor, "view_panel")
            rows = conn.execute(
                select(users.c.username, users.c.display_name, users.c.role,
                       func.count(assignments.c.bid_id).label("bids_assigned"))
                .join(assignments, assignments.c.user_id == users.c.id)
                .join(bids, bids.c.id == assignments.c.bid_id)
                .where(bids.c.round_id == round_id)
                .group_by(users.c.id).order_by(users.c.username)).mappings().all()
        return pd.DataFrame(rows, columns=["username", "display_name", "role", "bids_assigned"])

    def round_bids(self, actor: User | str, round_id: int, *, now: dt.datetime | None = None) -> pd.DataFrame:
        """A round's bids for panel set-up (commissioner or chair): key, bid_id, organisation, lot;
        empty while the bids are sealed. No price (the quality panel does not see prices)."""
        with self._read() as conn:
            self._actor(conn, actor, "view_panel")
            if self._sealed(self._round(conn, round_id), _now(now)):
                return pd.DataFrame(columns=["key", "bid_id", "organisation", "lot"])
            rows = conn.execute(
                select(bids.c.id.label("key"), bids.c.bid_ref.label("bid_id"), bids.c.organisation,
                       lots.c.name.label("lot"))
                .join(lots, lots.c.id == bids.c.lot_id).where(bids.c.round_id == round_id)
                .order_by(bids.c.bid_ref)).mappings().all()
        return pd.DataFrame(rows, columns=["key", "bid_id", "organisation", "lot"])

    def assignments(self, actor: User | str, round_id: int) -> pd.DataFrame:
        """Who is assigned which bid in a round (commissioner or chair): key, bid_id, organisation,
        username; by bid, then username."""
        with self._read() as conn:
            self._actor(conn, actor, "view_panel")
            rows = conn.execute(
                select(bids.c.id.label("key"), bids.c.bid_ref.label("bid_id"), bids.c.organisation,
                       users.c.username)
                .join(assignments, assignments.c.bid_id == bids.c.id)
                .join(users, users.c.id == assignments.c.user_id)
                .where(bids.c.round_id == round_id)
                .order_by(bids.c.bid_ref, users.c.username)).mappings().all()
        return pd.DataFrame(rows, columns=["key", "bid_id", "organisation", "username"])

    def conflicts(self, actor: User | str) -> pd.DataFrame:
        """Every conflict-of-interest declaration (commissioner or chair): username, organisation,
        note, declared_at."""
        with self._read() as conn:
            self._actor(conn, actor, "view_panel")
            rows = conn.execute(
                select(users.c.username, conflicts.c.organisation, conflicts.c.note, conflicts.c.declared_at)
                .join(users, users.c.id == conflicts.c.user_id)
                .order_by(conflicts.c.declared_at)).mappings().all()
        return pd.DataFrame(rows, columns=["username", "organisation", "note", "declared_at"])

    def my_conflicts(self, user: User | str) -> pd.DataFrame:
        """The acting user's own conflict declarations: organisation, note, declared_at."""
        with self._read() as conn:
            user = self._actor(conn, user)
            rows = conn.execute(
                select(conflicts.c.organisation, conflicts.c.note, conflicts.c.declared_at)
                .where(conflicts.c.user_id == user.id).order_by(conflicts.c.declared_at)).mappings().all()
        return pd.DataFrame(rows, columns=["organisation", "note", "declared_at"])

    def unmatched_conflicts(self, actor: User | str, round_id: int) -> pd.DataFrame:
        """Declarations that match no bid of the round (a name typed differently from the bid, or
        an organisation not bidding): username, organisation, note, declared_at.

        A commissioner or chair sees everyone's; a panel member their own. A warning, not an
        error: the declaration may be about an organisation that is simply not bidding.
        """
        with self._read() as conn:
            actor = self._actor(conn, actor)
            self._round(conn, round_id)
            query = (select(users.c.username, conflicts.c.organisation, conflicts.c.note,
                            conflicts.c.declared_at)
                     .join(users, users.c.id == conflicts.c.user_id).order_by(conflicts.c.declared_at))
            if actor.role not in ("commissioner", "chair"):
                query = query.where(conflicts.c.user_id == actor.id)
            declared = conn.execute(query).mappings().all()
            bidders = [bid_organisations(r) for r in
                       conn.execute(select(bids).where(bids.c.round_id == round_id)).mappings()]
        rows = [dict(d) for d in declared
                if not any(names_match([d["organisation"]], names) for names in bidders)]
        return pd.DataFrame(rows, columns=["username", "organisation", "note", "declared_at"])
