"""What a locked round publishes: the bidders' assessment summaries and the awards."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from commissioning.errors import AccessDenied, StoreError
from commissioning.procurement import lifecycle
from commissioning.procurement.awards import build_awards
from commissioning.publish.summaries import AssessmentSummary, build_summaries
from commissioning.store.base import User
from commissioning.store.schema import audit, bids, moderation, scores, users


class OutcomesMixin:

    def _locked_result(self, actor, round_id: int, shortfall=None):
        with self._read() as conn:
            self._actor(conn, actor, "commissioner")
            row = self._round(conn, round_id)
        if row["state"] != "locked":
            raise StoreError(f"round {row['name']} is {row['state']}: lock it first")
        return self.rank(actor, round_id, shortfall=shortfall)

    def assessment_summaries(self, actor: User | str, round_id: int, *, notice: dt.date,
                             shortfall=None) -> list[AssessmentSummary]:
        """One assessment summary per bid of a locked round (commissioner); scorers' names removed."""
        result = self._locked_result(actor, round_id, shortfall)
        with self._read() as conn:
            names = conn.execute(
                select(users.c.username, users.c.display_name).join(scores, scores.c.user_id == users.c.id)
                .join(bids, bids.c.id == scores.c.bid_id).where(bids.c.round_id == round_id)
                .union(select(users.c.username, users.c.display_name)
                       .join(moderation, moderation.c.user_id == users.c.id)
                       .join(bids, bids.c.id == moderation.c.bid_id).where(bids.c.round_id == round_id))).all()
            notes = {(ref, crit): note for ref, crit, note in conn.execute(
                select(bids.c.bid_ref, moderation.c.criterion, moderation.c.note)
                .join(bids, bids.c.id == moderation.c.bid_id).where(bids.c.round_id == round_id)).all()}
        return build_summaries(result, notice=notice, scorer_names=[n for pair in names for n in pair],
                               moderation_notes=notes)

    def my_assessment_summary(self, provider: User | str, key: int, *, shortfall=None) -> AssessmentSummary:
        """A support organisation's own assessment summary, once the round is locked (the standstill
        counted from the day it was locked). Another organisation's bid is refused."""
        with self._read() as conn:
            user = self._actor(conn, provider, "provider")
            row = self._bid(conn, key)
            if row["submitted_by"] != user.id:
                raise AccessDenied("a support organisation sees only its own bids' summaries")
            if row["state"] != "locked":
                raise StoreError("the round is not locked yet: assessment summaries follow the lock")
            locked_at = conn.execute(select(audit.c.at).where(
                audit.c.round_id == row["round_id"], audit.c.action == "round.locked")
                .order_by(audit.c.id.desc())).scalar()
            # The ranking is the commissioner's to run; the provider's access was checked above.
            runner = conn.execute(select(users.c.username).where(
                users.c.role == "commissioner", users.c.active == 1).order_by(users.c.id)).scalar()
        notice = lifecycle.london_date(dt.datetime.fromisoformat(locked_at))
        summaries = self.assessment_summaries(runner, row["round_id"], notice=notice, shortfall=shortfall)
        return next(s for s in summaries if s.bid.bid_id == row["bid_ref"])

    def awards(self, actor: User | str, round_id: int, *, funder_id: str, funder_name: str, id_prefix: str,
               award_date: dt.date | None = None, shortfall=None) -> list[dict]:
        """360Giving grant records for a locked round's winners (commissioner). Winners whose
        flags were decided count as cleared."""
        result = self._locked_result(actor, round_id, shortfall)
        with self._read() as conn:
            decided = self._decided(conn, round_id)
        pending = {f.bid_id for f in lifecycle.open_flags(result, decided)}
        winners = result.table.loc[result.table["rank"] == 1, "bid_id"]
        try:
            return build_awards(result, funder_id=funder_id, funder_name=funder_name, id_prefix=id_prefix,
                                award_date=award_date, cleared=[b for b in winners if b not in pending])
        except ValueError as err:
            raise StoreError(str(err)) from None
