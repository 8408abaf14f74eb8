"""A round's published rules and its bid intake: bids (with consortium members and written answers)
from a provider's account or a commissioner's import, sealed until the deadline.

Rules the API enforces, on top of :mod:`commissioning.store.rounds`:

- a round created by :meth:`IntakeMixin.publish_round` keeps its rules' text and SHA-256; nothing
  changes them (a new version is a new round, and the audit log names the round it supersedes);
- bids are taken from ``timetable.bids_invited`` (and three months after publication) until the
  deadline (:func:`commissioning.procurement.lifecycle.deadline`); a late bid is refused and the
  refusal is logged;
- until the deadline a bid's content (organisation, partners, price, answers) is seen only by the
  provider account that submitted it; a commissioner sees that a bid arrived and when;
- until the deadline that provider may amend or withdraw its bid; every version (submitted,
  amended, withdrawn) is kept in ``bid_versions`` and each change is audited (without its content,
  which stays sealed); a provider's unsent form is kept as its draft (``bid_drafts``).

Time is a parameter (``now``, an aware datetime; default the clock) so deadlines can be tested.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import numpy as np
import pandas as pd
import yaml
from sqlalchemy import delete, func, insert, select, update

from commissioning.errors import AccessDenied, InputError, StoreError
from commissioning.organisations import bid_organisations, organisation_key
from commissioning.procurement import lifecycle
from commissioning.procurement.bid_files import LINE
from commissioning.procurement.rules import Rules
from commissioning.procurement.scoring import prepare_bids
from commissioning.store.base import User, _now, require_action
from commissioning.store.schema import (
    assignments,
    bid_answers,
    bid_drafts,
    bid_versions,
    bids,
    lots,
    rounds,
)


class IntakeMixin:

    # -- the round ------------------------------------------------------------------------------

    def publish_round(self, actor: User | str, name: str, rules: Rules, *, now: dt.datetime | None = None) -> int:
        """Create a round whose rules are published now (commissioner): the rules' text and its
        SHA-256 are stored, the deadline comes from ``timetable.bids_close``, and the three-month
        rule is checked (InputError naming the dates). Returns the round id."""
        now = _now(now)
        lifecycle.check_publication(rules, lifecycle.london_date(now))
        closes = lifecycle.deadline(rules)
        text = yaml.safe_dump(rules.raw, sort_keys=False, allow_unicode=True)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        with self._write() as conn:
            actor = self._actor(conn, actor, "manage_round")
            if conn.execute(select(rounds.c.id).where(rounds.c.name == name)).first():
                raise StoreError(f"a round named {name!r} exists already")
            earlier = [r["name"] for r in conn.execute(select(rounds.c.name, rounds.c.rules_yaml)).mappings()
                       if self._rules_of(r["rules_yaml"]).title == rules.title]
            rid = conn.execute(insert(rounds).values(
                name=name, rules_yaml=text, state="scoring", created_at=now.isoformat(),
                rules_sha256=digest, published_at=now.isoformat(), deadline=closes.isoformat())
            ).inserted_primary_key[0]
            self._audit(conn, actor, "round.publish", f"round {name}", None,
                        {"rules": rules.title, "version": rules.version, "rules_sha256": digest,
                         "deadline": closes.isoformat(), "supersedes": earlier}, round_id=rid)
            published = [x.get("name") if isinstance(x, dict) else x for x in rules.raw.get("lots") or []]
            for lot in dict.fromkeys(str(x).strip() for x in published if x is not None):
                self._insert_lot(conn, actor, self._round(conn, rid), lot)
        return rid

    def round_info(self, round_id: int) -> dict:
        """id, name, state, rules_sha256, published_at, deadline (aware datetime or None)."""
        with self._read() as conn:
            row = dict(self._round(conn, round_id))
        row["deadline"] = dt.datetime.fromisoformat(row["deadline"]) if row["deadline"] else None
        row.pop("rules_yaml")
        return row

    def open_rounds(self, *, now: dt.datetime | None = None) -> pd.DataFrame:
        """Published rounds whose deadline has not passed (anyone may see these): id, name, opens
        (the first London day bids are taken), deadline (ISO, UTC) and open (taking bids now)."""
        now = _now(now)
        with self._read() as conn:
            rows = conn.execute(select(rounds.c.id, rounds.c.name, rounds.c.deadline, rounds.c.published_at,
                                       rounds.c.rules_yaml)
                                .where(rounds.c.deadline.is_not(None), rounds.c.state == "scoring")
                                .order_by(rounds.c.id)).mappings().all()
        out = []
        for r in rows:
            if now >= dt.datetime.fromisoformat(r["deadline"]):
                continue
            opens = lifecycle.bids_open_from(self._rules_of(r["rules_yaml"]),
                                             lifecycle.london_date(dt.datetime.fromisoformat(r["published_at"])))
            out.append({"id": r["id"], "name": r["name"], "opens": opens, "deadline": r["deadline"],
                        "open": lifecycle.london_date(now) >= opens})
        return pd.DataFrame(out, columns=["id", "name", "opens", "deadline", "open"])

    def lots_of(self, round_id: int) -> list[str]:
        """A round's lot names (published with the round)."""
        with self._read() as conn:
            self._round(conn, round_id)
            return list(conn.execute(select(lots.c.name).where(lots.c.round_id == round_id)
                                     .order_by(lots.c.id)).scalars())

    def import_answers(self, actor: User | str, round_id: int, answers: pd.DataFrame) -> int:
        """Attach written answers (``bid_id, criterion, answer``) to a round's bids that have none
        (commissioner), e.g. the example round's. Returns how many were stored."""
        rules = self.rules(round_id)
        with self._write() as conn:
            actor = self._actor(conn, actor, "manage_round")
            keys = dict(conn.execute(select(bids.c.bid_ref, bids.c.id).where(bids.c.round_id == round_id)).all())
            texts = self._answers_by_bid(rules, answers, set(keys))
            have = set(conn.execute(select(bid_answers.c.bid_id).where(
                bid_answers.c.bid_id.in_(list(keys.values())))).scalars())
            count = 0
            for ref, items in texts.items():
                if keys[ref] in have:
                    raise StoreError(f"bid {ref} has answers already")
                for criterion, text in items.items():
                    conn.execute(insert(bid_answers).values(bid_id=keys[ref], criterion=criterion, answer=text))
                    count += 1
            self._audit(conn, actor, "answers.import", f"round {round_id}", None, {"answers": count},
                        round_id=round_id)
        return count

    def _sealed(self, round_row, now: dt.datetime) -> bool:
        return bool(round_row["deadline"]) and now < dt.datetime.fromisoformat(round_row["deadline"])

    def _check_unsealed(self, round_row, now: dt.datetime) -> None:
        if self._sealed(round_row, now):
            raise AccessDenied(f"bids in round {round_row['name']} are sealed until "
                               f"{round_row['deadline']}")

    def _check_intake(self, actor, round_row, rules: Rules, now: dt.datetime, ref: str,
                      submitted: dt.datetime) -> None:
        """Refuse (and log) a bid outside the intake window of a published round. Call it outside
        a write transaction: a late bid's refusal is logged in a transaction of its own."""
        if round_row["state"] != "scoring":
            raise StoreError(f"round {round_row['name']} is {round_row['state']}: no new bids")
        if not round_row["deadline"]:
            return
        closes = dt.datetime.fromisoformat(round_row["deadline"])
        if lifecycle.is_late(submitted, closes):
            self._log_late(actor, round_row, ref, submitted, closes)
            raise StoreError(f"bid {ref} is late: submitted {submitted.isoformat()}, bids closed "
                             f"{closes.isoformat()} (the refusal is logged)")
        published = dt.datetime.fromisoformat(round_row["published_at"])
        lifecycle.check_bids_open(rules, lifecycle.london_date(published), lifecycle.london_date(now))

    def _log_late(self, actor, round_row, ref, submitted, closes) -> None:
        # Its own transaction: the refusal is kept although the bid is not.
        with self._write() as conn:
            self._audit(conn, actor, "bid.refuse_late", f"bid {ref}", None,
                        {"submitted_at": submitted.isoformat(), "deadline": closes.isoformat()},
                        round_id=round_row["id"])

    # -- bids -----------------------------------------------------------------------------------

    def submit_bid(self, provider: User | str, round_id: int, *, lot: str, price: float,
                   partners: list[str], areas: str, gates: dict[str, str], answers: dict[str, str],
                   now: dt.datetime | None = None) -> str:
        """A support organisation's bid through its own account (role ``provider``; the account's
        organisation leads). One bid per organisation and lot. Returns the bid's reference."""
        now = _now(now)
        rules = self.rules(round_id)
        answers = self._checked_answers(rules, answers)
        with self._read() as conn:
            provider = self._actor(conn, provider, "bid")
            round_row = self._round(conn, round_id)
        self._check_intake(provider, round_row, rules, now, f"from {provider.organisation}", now)
        with self._write() as conn:
            round_row = self._round(conn, round_id)
            if round_row["state"] != "scoring":
                raise StoreError(f"round {round_row['name']} is {round_row['state']}: no new bids")
            mine = conn.execute(select(bids.c.bid_ref).join(lots, lots.c.id == bids.c.lot_id).where(
                bids.c.round_id == round_id, bids.c.submitted_by == provider.id,
                lots.c.name == str(lot).strip())).scalar()
            if mine:
                raise StoreError(f"{provider.organisation} has already bid for lot {lot} (bid {mine}): "
                                 "amend that bid instead")
            ref = self._next_ref(conn, round_id)
            frame = pd.DataFrame([{"bid_id": ref, "organisation": provider.organisation, "lot": lot,
                                   "price": price, "submitted_at": now.isoformat(), "areas": areas,
                                   **{f"gate_{k}": v for k, v in gates.items()}}], dtype=object)
            frame.attrs["source"] = "bid"
            key = self._insert_bids(conn, provider, round_row, rules, frame)[0]
            self._bid_extras(conn, key, provider.organisation, partners, answers, submitted_by=provider.id)
            self._keep_version(conn, provider, round_id, ref, "submit", now)
            conn.execute(delete(bid_drafts).where(bid_drafts.c.round_id == round_id,
                                                  bid_drafts.c.user_id == provider.id))
        return ref

    @staticmethod
    def _next_ref(conn, round_id: int) -> str:
        """The next free reference ``R<round>-<nnn>``; a withdrawn bid's reference is never reused."""
        taken = set(conn.execute(select(bids.c.bid_ref).where(bids.c.round_id == round_id)).scalars())
        taken |= set(conn.execute(select(bid_versions.c.bid_ref).where(bid_versions.c.round_id == round_id)).scalars())
        number = len(taken) + 1
        while f"R{round_id}-{number:03d}" in taken:
            number += 1
        return f"R{round_id}-{number:03d}"

    def _bid_content(self, conn, key: int) -> dict:
        row = self._bid(conn, key)
        return {"lot": conn.execute(select(lots.c.name).where(lots.c.id == row["lot_id"])).scalar(),
                "price": row["price"], "partners": bid_organisations(row)[1:], "areas": row["areas"],
                "gates": json.loads(row["gates"]),
                "answers": dict(conn.execute(select(bid_answers.c.criterion, bid_answers.c.answer)
                                             .where(bid_answers.c.bid_id == key).order_by(bid_answers.c.id)).all())}

    def _keep_version(self, conn, provider: User, round_id: int, ref: str, action: str, now: dt.datetime,
                      content: dict | None = None) -> int:
        """Keep the bid as it now stands (``content``: as it stood, for a withdrawal) as its next
        version, audited without its content (the audit log is read before the deadline)."""
        if content is None:
            content = self._bid_content(conn, conn.execute(select(bids.c.id).where(
                bids.c.round_id == round_id, bids.c.bid_ref == ref)).scalar())
        version = 1 + (conn.execute(select(func.max(bid_versions.c.version)).where(
            bid_versions.c.round_id == round_id, bid_versions.c.bid_ref == ref)).scalar() or 0)
        conn.execute(insert(bid_versions).values(
            round_id=round_id, bid_ref=ref, version=version, action=action, user_id=provider.id,
            content=json.dumps(content, ensure_ascii=False, sort_keys=True), at=now.isoformat()))
        self._audit(conn, provider, f"bid.{action}", f"bid {ref}", None, {"version": version}, round_id=round_id)
        return version

    def _own_open_bid(self, conn, provider: User, key: int, now: dt.datetime, doing: str):
        """A provider's own bid while its round takes bids (refused after the deadline)."""
        row = self._bid(conn, key)
        if row["submitted_by"] != provider.id:
            raise AccessDenied("a support organisation changes only its own bids")
        round_row = self._round(conn, row["round_id"])
        if round_row["state"] != "scoring" or not self._sealed(round_row, now):
            closes = dt.datetime.fromisoformat(round_row["deadline"]) if round_row["deadline"] else None
            raise StoreError(f"bid {row['bid_ref']} can no longer be {doing}: bids closed "
                             + (f"{closes.astimezone(lifecycle.LONDON):%d %B %Y %H:%M} London time"
                                if closes else "when the round was imported"))
        return row

    def amend_bid(self, provider: User | str, key: int, *, price: float, partners: list[str], areas: str,
                  gates: dict[str, str], answers: dict[str, str], now: dt.datetime | None = None) -> int:
        """Replace a provider's own bid (its lot stays) before the deadline; returns the new version
        number. The earlier versions are kept."""
        now = _now(now)
        with self._read() as conn:
            provider = self._actor(conn, provider, "bid")
            row = self._own_open_bid(conn, provider, key, now, "amended")
        rules = self.rules(row["round_id"])
        answers = self._checked_answers(rules, answers)
        with self._write() as conn:
            provider = self._actor(conn, provider, "bid")
            row = self._own_open_bid(conn, provider, key, now, "amended")
            lot = conn.execute(select(lots.c.name).where(lots.c.id == row["lot_id"])).scalar()
            frame = pd.DataFrame([{"bid_id": row["bid_ref"], "organisation": provider.organisation, "lot": lot,
                                   "price": price, "submitted_at": now.isoformat(), "areas": areas,
                                   **{f"gate_{k}": v for k, v in gates.items()}}], dtype=object)
            frame.attrs["source"] = "bid"
            parsed = prepare_bids(rules, frame)
            conn.execute(update(bids).where(bids.c.id == key).values(
                price=float(parsed["price"][0]), submitted_at=now.isoformat(), consortium=None,
                gates=json.dumps({g.id: "fail" if parsed["gate_fail"][0, j] else "pass"
                                  for j, g in enumerate(rules.gates)}),
                areas=";".join(f"{c}:{v:g}" for c, v in (parsed["areas"] or [{}])[0].items())))
            conn.execute(delete(bid_answers).where(bid_answers.c.bid_id == key))
            self._bid_extras(conn, key, provider.organisation, partners, answers)
            return self._keep_version(conn, provider, row["round_id"], row["bid_ref"], "amend", now)

    def withdraw_bid(self, provider: User | str, key: int, *, now: dt.datetime | None = None) -> str:
        """Withdraw a provider's own bid before the deadline: it leaves the round (the panel never
        sees it) and its versions are kept, the withdrawal last. Returns its reference."""
        now = _now(now)
        with self._write() as conn:
            provider = self._actor(conn, provider, "bid")
            row = self._own_open_bid(conn, provider, key, now, "withdrawn")
            content = self._bid_content(conn, key)
            conn.execute(delete(bid_answers).where(bid_answers.c.bid_id == key))
            conn.execute(delete(bids).where(bids.c.id == key))
            self._keep_version(conn, provider, row["round_id"], row["bid_ref"], "withdraw", now, content)
        return row["bid_ref"]

    def bid_versions(self, actor: User | str, round_id: int, bid_id: str, *,
                     now: dt.datetime | None = None) -> pd.DataFrame:
        """Every version of a bid made through a provider's account: version, action, at, and the
        content (lot, price, partners, areas, gates, answers). Its provider always; the commissioner
        once bids are unsealed."""
        now = _now(now)
        with self._read() as conn:
            user = self._actor(conn, actor)
            rows = conn.execute(select(bid_versions).where(bid_versions.c.round_id == round_id,
                                                           bid_versions.c.bid_ref == bid_id)
                                .order_by(bid_versions.c.version)).mappings().all()
            if not rows:
                raise StoreError(f"no bid {bid_id!r} made through an account in round {round_id}")
            if rows[0]["user_id"] != user.id:
                require_action(user, "manage_round")
                self._check_unsealed(self._round(conn, round_id), now)
        return pd.DataFrame([{"version": r["version"], "action": r["action"], "at": r["at"],
                              **json.loads(r["content"])} for r in rows],
                            columns=["version", "action", "at", "lot", "price", "partners", "areas", "gates",
                                     "answers"])

    def save_bid_draft(self, provider: User | str, round_id: int, content: dict, *,
                       now: dt.datetime | None = None) -> None:
        """Keep a provider's unsent bid form for a round (one draft per round; sending the bid
        clears it). Refused once bids have closed."""
        now = _now(now)
        with self._write() as conn:
            provider = self._actor(conn, provider, "bid")
            round_row = self._round(conn, round_id)
            if not self._sealed(round_row, now):
                raise StoreError(f"bids in round {round_row['name']} have closed: a draft can no longer be saved")
            values = {"content": json.dumps(content, ensure_ascii=False, sort_keys=True),
                      "updated_at": now.isoformat()}
            where = (bid_drafts.c.round_id == round_id, bid_drafts.c.user_id == provider.id)
            if conn.execute(select(bid_drafts.c.id).where(*where)).first():
                conn.execute(update(bid_drafts).where(*where).values(**values))
            else:
                conn.execute(insert(bid_drafts).values(round_id=round_id, user_id=provider.id, **values))
            self._audit(conn, provider, "bid.draft", f"round {round_row['name']} draft of "
                        f"{provider.organisation}", None, {"saved_at": now.isoformat()}, round_id=round_id)

    def bid_draft(self, provider: User | str, round_id: int) -> dict | None:
        """A provider's saved draft for a round (``None``: none), with ``updated_at``."""
        with self._read() as conn:
            provider = self._actor(conn, provider, "bid")
            row = conn.execute(select(bid_drafts.c.content, bid_drafts.c.updated_at).where(
                bid_drafts.c.round_id == round_id, bid_drafts.c.user_id == provider.id)).mappings().first()
        return None if row is None else json.loads(row["content"]) | {"updated_at": row["updated_at"]}

    @staticmethod
    def _checked_answers(rules: Rules, answers: dict[str, str]) -> dict[str, str]:
        answers = {c: lifecycle.check_answer(rules, c, t) for c, t in answers.items()}
        missing = [c.id for c in rules.panel_criteria if not answers.get(c.id)]
        if missing:
            raise InputError(f"an answer is needed for {', '.join(missing)}", column="answer")
        return answers

    def _bid_extras(self, conn, key: int, lead: str, partners, answers: dict[str, str],
                    submitted_by: int | None = None) -> None:
        names = [lead] + [p.strip() for p in partners if str(p).strip()]
        keys = [organisation_key(n) for n in names]
        if len(set(keys)) != len(keys):
            raise InputError("a consortium member is listed twice", column="partners")
        values = {"consortium": json.dumps(names[1:], ensure_ascii=False)} if len(names) > 1 else {}
        if submitted_by is not None:
            values["submitted_by"] = submitted_by
        if values:
            conn.execute(bids.update().where(bids.c.id == key).values(**values))
        for criterion, text in answers.items():
            conn.execute(insert(bid_answers).values(bid_id=key, criterion=criterion, answer=text))

    def import_bids(self, actor: User | str, round_id: int, frame: pd.DataFrame,
                    answers: pd.DataFrame | None = None, *, now: dt.datetime | None = None) -> list[str]:
        """Import bids (commissioner) from a frame shaped like ``score --bids`` (optional column
        ``partners``: consortium members after the lead, ``;``-separated) and answers
        (``bid_id, criterion, answer``), all in one transaction; returns the bid ids. Every lot must
        be one the round published. Refused whole: a ``submitted_at`` later than ``now`` (a time
        without a zone is London time), and any import once bids have closed (each refused bid is
        logged)."""
        now = _now(now)
        rules = self.rules(round_id)
        source = frame.attrs.get("source", "bids")
        parsed = prepare_bids(rules, frame)
        texts = self._answers_by_bid(rules, answers, set(parsed["bid_id"]))
        future = np.flatnonzero((parsed["submitted"] > pd.Timestamp(now)).to_numpy())
        if len(future):
            i = future[0]
            line = parsed["lines"][i] if parsed["lines"] is not None else i + 2
            raise InputError(f"bid {parsed['bid_id'][i]} is dated {parsed['submitted'].iloc[i].isoformat()}, "
                             f"later than now ({now.isoformat()}); nothing was imported", file=source,
                             line=line, column="submitted_at",
                             expected="the time the bid arrived (a time without a zone is London time)")
        with self._read() as conn:
            actor = self._actor(conn, actor, "manage_round")
            round_row = self._round(conn, round_id)
        if round_row["deadline"] and lifecycle.is_late(now, dt.datetime.fromisoformat(round_row["deadline"])):
            for ref, when in zip(parsed["bid_id"], parsed["submitted"]):
                self._log_late(actor, round_row, ref, when.to_pydatetime(),
                               dt.datetime.fromisoformat(round_row["deadline"]))
            raise StoreError(f"bids in round {round_row['name']} closed {round_row['deadline']}: none of the "
                             f"{len(parsed['bid_id'])} bids was imported (each refusal is logged)")
        if len(frame):
            self._check_intake(actor, round_row, rules, now, "import", parsed["submitted"].min().to_pydatetime())
        with self._write() as conn:
            round_row = self._round(conn, round_id)
            keys = self._insert_bids(conn, actor, round_row, rules, frame)
            partner_col = frame["partners"] if "partners" in frame.columns else [""] * len(frame)
            for key, ref, org, partners in zip(keys, parsed["bid_id"], parsed["organisation"], partner_col):
                self._bid_extras(conn, key, org, str(partners or "").split(";"), texts.get(ref, {}))
        return list(parsed["bid_id"])

    @staticmethod
    def _answers_by_bid(rules: Rules, answers: pd.DataFrame | None, known: set[str]) -> dict:
        if answers is None:
            return {}
        source = answers.attrs.get("source", "answers")
        out: dict[str, dict[str, str]] = {}
        for i, row in enumerate(answers.to_dict("records")):
            line = row.get(LINE, i + 2)
            ref, crit = str(row["bid_id"]).strip(), str(row["criterion"]).strip()
            if ref not in known:
                raise InputError(f"unknown bid id {ref!r}", file=source, line=line, column="bid_id")
            try:
                text = lifecycle.check_answer(rules, crit, row["answer"])
            except InputError as err:
                raise InputError(err.message, file=source, line=line, column=err.column,
                                 expected=err.expected) from None
            if crit in out.setdefault(ref, {}):
                raise InputError(f"a second answer for {ref} {crit}", file=source, line=line)
            out[ref][crit] = text
        return out

    def bid_organisations(self, key: int) -> list[str]:
        """Every organisation of a bid: the lead first, then its consortium partners (what
        conflicts of interest are matched against)."""
        with self._read() as conn:
            return self._bid_organisations(conn, key)

    def _bid_organisations(self, conn, key: int) -> list[str]:
        return bid_organisations(self._bid(conn, key))

    def _conflicted_with_bid(self, conn, user_id: int, key: int) -> bool:
        return self._conflicted(conn, user_id, self._bid(conn, key))

    def bid_answers(self, actor: User | str, key: int, *, now: dt.datetime | None = None) -> dict[str, str]:
        """A bid's written answers {criterion: text}: its provider always; after the deadline the
        commissioner, the chair, and scorers assigned to it without a conflict."""
        now = _now(now)
        with self._read() as conn:
            user = self._actor(conn, actor)
            row = self._bid(conn, key)
            if not (user.role == "provider" and row["submitted_by"] == user.id):
                self._check_unsealed(self._round(conn, row["round_id"]), now)
                if user.role == "provider":
                    raise AccessDenied("a support organisation sees only its own bids")
                if user.role == "panel":
                    assigned = conn.execute(select(assignments.c.id).where(
                        assignments.c.bid_id == key, assignments.c.user_id == user.id)).first()
                    if not assigned or self._conflicted_with_bid(conn, user.id, key):
                        raise AccessDenied(f"bid {row['bid_ref']} is not assigned to {user.username}")
            return dict(conn.execute(select(bid_answers.c.criterion, bid_answers.c.answer)
                                     .where(bid_answers.c.bid_id == key)).all())

    def my_bids(self, provider: User | str) -> pd.DataFrame:
        """A provider's own bids: key, round_id, round, bid_id, lot, price, submitted_at, partners."""
        with self._read() as conn:
            provider = self._actor(conn, provider, "bid")
            rows = conn.execute(
                select(bids.c.id.label("key"), bids.c.round_id, rounds.c.name.label("round"),
                       bids.c.bid_ref.label("bid_id"), lots.c.name.label("lot"), bids.c.price,
                       bids.c.submitted_at)
                .join(lots, lots.c.id == bids.c.lot_id).join(rounds, rounds.c.id == bids.c.round_id)
                .where(bids.c.submitted_by == provider.id).order_by(bids.c.id)).mappings().all()
            out = [dict(r) | {"partners": "; ".join(self._bid_organisations(conn, r["key"])[1:])}
                   for r in rows]
        return pd.DataFrame(out, columns=["key", "round_id", "round", "bid_id", "lot", "price",
                                          "submitted_at", "partners"])

    def received_bids(self, actor: User | str, round_id: int, *, now: dt.datetime | None = None) -> pd.DataFrame:
        """What a commissioner sees of a round's bids: before the deadline only bid_id and
        submitted_at (sealed); after it also organisation, partners, lot and price."""
        now = _now(now)
        with self._read() as conn:
            self._actor(conn, actor, "manage_round")
            round_row = self._round(conn, round_id)
            rows = conn.execute(
                select(bids.c.id.label("key"), bids.c.bid_ref.label("bid_id"), bids.c.submitted_at,
                       bids.c.organisation, lots.c.name.label("lot"), bids.c.price)
                .join(lots, lots.c.id == bids.c.lot_id).where(bids.c.round_id == round_id)
                .order_by(bids.c.id)).mappings().all()
            if self._sealed(round_row, now):
                return pd.DataFrame([{"bid_id": r["bid_id"], "submitted_at": r["submitted_at"]} for r in rows],
                                    columns=["bid_id", "submitted_at"])
            out = [dict(r) | {"partners": "; ".join(self._bid_organisations(conn, r["key"])[1:])} for r in rows]
        return pd.DataFrame(out, columns=["key", "bid_id", "submitted_at", "organisation", "partners",
                                          "lot", "price"])
