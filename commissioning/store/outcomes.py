"""What a locked round publishes: the inputs of the bidders' assessment summaries (built by
:mod:`commissioning.publish.summaries`) and the awards."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from commissioning.errors import AccessDenied, StoreError
from commissioning.procurement import lifecycle
from commissioning.procurement.awards import build_awards
from commissioning.store.base import User
from commissioning.store.schema import audit, bids, moderation, scores, users


@dataclass(frozen=True)
class SummaryInputs:
    """What a locked round's assessment summaries are built from: the ranking, the names to keep
    out of the text (scorers' usernames and display names), the chair's notes by (bid_id,
    criterion), and the bid they are for (``None``: every bid)."""

    result: object                     # procurement.scoring.ScoringResult
    scorer_names: list[str]
    moderation_notes: dict = field(default_factory=dict)
    notice: dt.date | None = None      # the standstill notice date where the store has one
    bid_id: str | None = None


class OutcomesMixin:

    def _locked_result(self, actor, round_id: int, shortfall=None):
        with self._read() as conn:
            self._actor(conn, actor, "export_awards")
            row = self._round(conn, round_id)
        if row["state"] != "locked":
            raise StoreError(f"round {row['name']} is {row['state']}: lock it first")
        return self.rank(actor, round_id, shortfall=shortfall)

    def summary_inputs(self, actor: User | str, round_id: int, *, shortfall=None) -> SummaryInputs:
        """The inputs of every bid's assessment summary of a locked round (commissioner)."""
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
        return SummaryInputs(result, [n for pair in names for n in pair], notes)

    def own_summary_inputs(self, provider: User | str, key: int, *, shortfall=None) -> SummaryInputs:
        """A support organisation's own bid's summary inputs once the round is locked (the notice
        date is the day it was locked). Another organisation's bid is refused."""
        with self._read() as conn:
            user = self._actor(conn, provider, "bid")
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
        inputs = self.summary_inputs(runner, row["round_id"], shortfall=shortfall)
        notice = lifecycle.london_date(dt.datetime.fromisoformat(locked_at))
        return SummaryInputs(inputs.result, inputs.scorer_names, inputs.moderation_notes, notice, row["bid_ref"])

    def awards(self, actor: User | str, round_id: int, *, funder_id: str, funder_name: str, id_prefix: str,
               award_date: dt.date | None = None, shortfall=None) -> list[dict]:
        """360Giving grant records for a locked round's winners (commissioner). A winner is cleared
        by the chair's recorded decision on each of its flags (the ranking's status), nothing else."""
        result = self._locked_result(actor, round_id, shortfall)
        try:
            return build_awards(result, funder_id=funder_id, funder_name=funder_name, id_prefix=id_prefix,
                                award_date=award_date)
        except ValueError as err:
            raise StoreError(str(err)) from None
