"""What a locked round publishes: the inputs of the bidders' assessment summaries (built by
:mod:`commissioning.publish.summaries`) and the awards."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select, update

from commissioning.errors import AccessDenied, InputError, StoreError
from commissioning.procurement import lifecycle
from commissioning.procurement.awards import build_awards
from commissioning.store.base import User, _now
from commissioning.store.schema import bids, moderation, rounds, scores, users


@dataclass(frozen=True)
class SummaryInputs:
    """What a locked round's assessment summaries are built from: the ranking, the names to keep
    out of the text (scorers' usernames and display names), the chair's reasons for the bidder by
    (bid_id, criterion) (never the chair's internal notes), the notice date they were issued with,
    and the bid they are for (``None``: every bid)."""

    result: object                     # procurement.scoring.ScoringResult
    scorer_names: list[str]
    moderation_reasons: dict = field(default_factory=dict)
    notice: dt.date | None = None      # the issued notice date (None: not issued yet)
    bid_id: str | None = None


class OutcomesMixin:

    def _locked_result(self, actor, round_id: int, shortfall=None):
        with self._read() as conn:
            self._actor(conn, actor, "export_awards")
            row = self._round(conn, round_id)
        if row["state"] != "locked":
            raise StoreError(f"round {row['name']} is {row['state']}: lock it first")
        return self.rank(actor, round_id, shortfall=shortfall)

    def issue_summaries(self, actor: User | str, round_id: int, notice: dt.date, *,
                        now: dt.datetime | None = None) -> dt.date:
        """Issue a locked round's assessment summaries (commissioner), once, with the notice date the
        standstill runs from (not before the day of issue, London time). Bidders can then download
        theirs. Returns the notice date; a second issue is refused, naming the first."""
        now = _now(now)
        today = lifecycle.london_date(now)
        if notice < today:
            raise InputError(f"the notice date {notice:%d %B %Y} is before today ({today:%d %B %Y}): "
                             "the standstill cannot start before the bidders are told", column="notice")
        with self._write() as conn:
            actor = self._actor(conn, actor, "issue_summaries")
            row = self._round(conn, round_id)
            if row["state"] != "locked":
                raise StoreError(f"round {row['name']} is {row['state']}: lock it first")
            if row["summaries_notice"]:
                raise StoreError(f"the assessment summaries of round {row['name']} were issued on "
                                 f"{row['summaries_issued_at'][:10]} with notice date "
                                 f"{dt.date.fromisoformat(row['summaries_notice']):%d %B %Y}: they are issued once")
            conn.execute(update(rounds).where(rounds.c.id == round_id).values(
                summaries_notice=notice.isoformat(), summaries_issued_at=now.isoformat()))
            start, end = lifecycle.standstill(notice)
            self._audit(conn, actor, "summaries.issue", f"round {row['name']}", None,
                        {"notice": notice.isoformat(), "standstill_start": start.isoformat(),
                         "standstill_end": end.isoformat()}, round_id=round_id)
        return notice

    def summaries_notice(self, round_id: int) -> dt.date | None:
        """The notice date a round's assessment summaries were issued with (``None``: not issued)."""
        with self._read() as conn:
            notice = self._round(conn, round_id)["summaries_notice"]
        return dt.date.fromisoformat(notice) if notice else None

    def summary_inputs(self, actor: User | str, round_id: int, *, shortfall=None) -> SummaryInputs:
        """The inputs of every bid's assessment summary of a locked round (commissioner), with the
        issued notice date (``None`` before they are issued)."""
        result = self._locked_result(actor, round_id, shortfall)
        with self._read() as conn:
            names = conn.execute(
                select(users.c.username, users.c.display_name).join(scores, scores.c.user_id == users.c.id)
                .join(bids, bids.c.id == scores.c.bid_id).where(bids.c.round_id == round_id)
                .union(select(users.c.username, users.c.display_name)
                       .join(moderation, moderation.c.user_id == users.c.id)
                       .join(bids, bids.c.id == moderation.c.bid_id).where(bids.c.round_id == round_id))).all()
            reasons = {(ref, crit): reason for ref, crit, reason in conn.execute(
                select(bids.c.bid_ref, moderation.c.criterion, moderation.c.reason)
                .join(bids, bids.c.id == moderation.c.bid_id)
                .where(bids.c.round_id == round_id, moderation.c.reason.is_not(None))).all()}
            notice = self._round(conn, round_id)["summaries_notice"]
        return SummaryInputs(result, [n for pair in names for n in pair], reasons,
                             dt.date.fromisoformat(notice) if notice else None)

    def own_summary_inputs(self, provider: User | str, key: int, *, shortfall=None) -> SummaryInputs:
        """A support organisation's own bid's summary inputs once the commissioner has issued the
        summaries (with their one notice date). Another organisation's bid is refused."""
        with self._read() as conn:
            user = self._actor(conn, provider, "bid")
            row = self._bid(conn, key)
            if row["submitted_by"] != user.id:
                raise AccessDenied("a support organisation sees only its own bids' summaries")
            if row["state"] != "locked":
                raise StoreError("the round is not locked yet: assessment summaries follow the lock")
            if not self._round(conn, row["round_id"])["summaries_notice"]:
                raise StoreError("the assessment summaries have not been issued yet")
            # The ranking is the commissioner's to run; the provider's access was checked above.
            runner = conn.execute(select(users.c.username).where(
                users.c.role == "commissioner", users.c.active == 1).order_by(users.c.id)).scalar()
        inputs = self.summary_inputs(runner, row["round_id"], shortfall=shortfall)
        return SummaryInputs(inputs.result, inputs.scorer_names, inputs.moderation_reasons, inputs.notice,
                             row["bid_ref"])

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
