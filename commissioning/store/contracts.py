"""Contracts in the store: created from a locked round's winning bids once the standstill has ended,
listed, extended and ended (each audited), their capacity as provision on a date, and their
performance against the lot's KPIs from approved returns.

Rules: only a commissioner acts on or reads contracts (``manage_contracts``, ``view_contracts``);
contracts are signed the day after the standstill ends at the earliest (the standstill follows the
notice given when the round was locked, ``procurement.lifecycle.standstill``); a round's winning
bids become contracts once; an extension uses whole years from those still available; an ended
contract stays on record and stops counting as provision the day after it ends.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
from sqlalchemy import insert, select, update

from commissioning.contracts.performance import (
    ContractScope,
    extension_evidence,
    figure_text,
    period_end,
    rate_kpis,
)
from commissioning.contracts.terms import contract_terms, term_end
from commissioning.errors import InputError, StoreError
from commissioning.organisations import bid_organisations
from commissioning.procurement import lifecycle
from commissioning.store.base import User, _now, utc_now
from commissioning.store.schema import audit, bids, contract_capacity, contracts, rounds

LIST_COLUMNS = ["id", "round_id", "round", "lot", "supplier", "partners", "services", "capacity_service",
                "capacity", "annual_value", "term_value", "start", "initial_end", "end",
                "extension_years_left", "status", "ended_on", "signed_on", "basis"]


class ContractsMixin:

    def _locked_on(self, conn, round_row) -> dt.date:
        """The London day a locked round was locked: the notice the standstill follows."""
        if round_row["state"] != "locked":
            raise StoreError(f"round {round_row['name']} is {round_row['state']}: lock it first")
        at = conn.execute(select(audit.c.at).where(audit.c.round_id == round_row["id"],
                                                   audit.c.action == "round.locked")
                          .order_by(audit.c.id.desc())).scalar()
        return lifecycle.london_date(dt.datetime.fromisoformat(at))

    def standstill_end(self, round_id: int) -> dt.date:
        """The last day of a locked round's standstill (contracts may be signed from the next day)."""
        with self._read() as conn:
            return lifecycle.standstill(self._locked_on(conn, self._round(conn, round_id)))[1]

    def create_contracts(self, actor: User | str, round_id: int, signed: dt.date, *, basis: str = "real",
                         now: dt.datetime | None = None) -> list[int]:
        """One contract per lot's winning bid of a locked round, signed on ``signed`` (commissioner);
        refused before the standstill has ended and when the round's contracts exist already.
        Returns the contract ids, in lot order."""
        if basis not in ("real", "illustrative"):
            raise InputError(f"basis {basis!r}", column="basis", expected="real or illustrative")
        today = lifecycle.london_date(_now(now))
        result = self.rank(actor, round_id)
        winners = result.table.loc[result.table["rank"] == 1]
        with self._write() as conn:
            user = self._actor(conn, actor, "manage_contracts")
            round_row = self._round(conn, round_id)
            last = lifecycle.standstill(self._locked_on(conn, round_row))[1]
            for day, what in ((today, "today"), (signed, "the signing date")):
                if day <= last:
                    raise StoreError(f"the standstill runs to the end of {last:%d %B %Y}: contracts can be "
                                     f"signed from {last + dt.timedelta(days=1):%d %B %Y} ({what} is "
                                     f"{day:%d %B %Y})")
            if signed > today:
                raise InputError(f"the signing date {signed:%d %B %Y} is after today ({today:%d %B %Y})",
                                 column="signed", expected="the day the contracts were signed")
            if conn.execute(select(contracts.c.id).where(contracts.c.round_id == round_id)).first():
                raise StoreError(f"round {round_row['name']}'s contracts exist already")
            rows = {r["bid_ref"]: r for r in conn.execute(
                select(bids).where(bids.c.round_id == round_id,
                                   bids.c.bid_ref.in_(winners["bid_id"].tolist()))).mappings()}
            terms = contract_terms(self._rules_of(round_row["rules_yaml"]), [
                {"bid_id": w.bid_id, "lot": w.lot, "organisation": rows[w.bid_id]["organisation"],
                 "partners": bid_organisations(rows[w.bid_id])[1:], "price": w.price_amount, "areas": w.areas}
                for w in winners.itertuples()])
            ids = []
            for term in terms:
                values = {"round_id": round_id, "bid_id": rows[term.bid_id]["id"], "lot": term.lot,
                          "supplier": term.supplier, "partners": json.dumps(list(term.partners)),
                          "services": json.dumps(list(term.services)), "capacity_service": term.capacity_service,
                          "annual_value": term.annual_value, "term_value": term.term_value,
                          "start_date": term.start.isoformat(), "initial_end": term.end.isoformat(),
                          "end_date": term.end.isoformat(), "extension_years": term.extension_years,
                          "extension_years_used": 0, "status": "active", "signed_on": signed.isoformat(),
                          "basis": basis, "created_at": utc_now()}
                cid = conn.execute(insert(contracts).values(**values)).inserted_primary_key[0]
                conn.execute(insert(contract_capacity), [
                    {"contract_id": cid, "service": term.capacity_service, "code": code, "capacity": float(amount)}
                    for code, amount in sorted(term.capacity.items())])
                self._audit(conn, user, "contract.create", f"contract {cid}", None,
                            {k: values[k] for k in ("lot", "supplier", "partners", "annual_value", "term_value",
                                                    "start_date", "end_date", "signed_on", "basis")}
                            | {"bid": term.bid_id, "capacity": term.capacity}, round_id=round_id)
                ids.append(int(cid))
        return ids

    def _contract_row(self, conn, contract_id: int):
        row = conn.execute(select(contracts, rounds.c.name.label("round"), rounds.c.rules_yaml)
                           .join(rounds, rounds.c.id == contracts.c.round_id)
                           .where(contracts.c.id == contract_id)).mappings().first()
        if row is None:
            raise StoreError(f"no contract {contract_id}")
        return row

    def extend_contract(self, actor: User | str, contract_id: int, years: int) -> dt.date:
        """Use ``years`` of a contract's extension years (commissioner); returns the new end date."""
        if int(years) != years or years < 1:
            raise InputError(f"{years!r} extension years", column="years",
                             expected="a whole number of years, 1 or more")
        with self._write() as conn:
            user = self._actor(conn, actor, "manage_contracts")
            row = self._contract_row(conn, contract_id)
            left = row["extension_years"] - row["extension_years_used"]
            if row["status"] != "active":
                raise StoreError(f"contract {contract_id} has ended")
            if years > left:
                raise StoreError(f"contract {contract_id} has {left} extension year{'s' if left != 1 else ''} "
                                 f"left, not {years}")
            used = row["extension_years_used"] + int(years)
            years_in_force = self._rules_of(row["rules_yaml"]).contract_years + used
            end = term_end(dt.date.fromisoformat(row["start_date"]), years_in_force)
            conn.execute(update(contracts).where(contracts.c.id == contract_id)
                         .values(extension_years_used=used, end_date=end.isoformat()))
            self._audit(conn, user, "contract.extend", f"contract {contract_id}",
                        {"end_date": row["end_date"], "extension_years_used": row["extension_years_used"]},
                        {"end_date": end.isoformat(), "extension_years_used": used}, round_id=row["round_id"])
        return end

    def end_contract(self, actor: User | str, contract_id: int, on: dt.date, reason: str) -> None:
        """End a contract early on ``on`` (its last day), with a reason (commissioner)."""
        reason = str(reason or "").strip()
        if not reason:
            raise InputError("ending a contract needs a reason", column="reason", expected="why it ends")
        with self._write() as conn:
            user = self._actor(conn, actor, "manage_contracts")
            row = self._contract_row(conn, contract_id)
            if row["status"] != "active":
                raise StoreError(f"contract {contract_id} has ended already")
            if not row["start_date"] <= on.isoformat() <= row["end_date"]:
                raise InputError(f"{on:%d %B %Y} is outside the contract ({row['start_date']} to {row['end_date']})",
                                 column="on", expected="a day within the contract")
            conn.execute(update(contracts).where(contracts.c.id == contract_id)
                         .values(status="ended", ended_on=on.isoformat(), end_reason=reason))
            self._audit(conn, user, "contract.end", f"contract {contract_id}",
                        {"status": row["status"], "end_date": row["end_date"]},
                        {"status": "ended", "ended_on": on.isoformat(), "reason": reason}, round_id=row["round_id"])

    def contracts_list(self, actor: User | str, round_id: int | None = None) -> pd.DataFrame:
        """Every contract (:data:`LIST_COLUMNS`), by id (commissioner)."""
        with self._read() as conn:
            self._actor(conn, actor, "view_contracts")
            query = (select(contracts, rounds.c.name.label("round"))
                     .join(rounds, rounds.c.id == contracts.c.round_id).order_by(contracts.c.id))
            if round_id is not None:
                query = query.where(contracts.c.round_id == round_id)
            rows = conn.execute(query).mappings().all()
            totals = _totals(conn)
        return pd.DataFrame([{
            "id": r["id"], "round_id": r["round_id"], "round": r["round"], "lot": r["lot"], "supplier": r["supplier"],
            "partners": "; ".join(json.loads(r["partners"])), "services": ", ".join(json.loads(r["services"])),
            "capacity_service": r["capacity_service"], "capacity": totals.get(r["id"], 0.0),
            "annual_value": r["annual_value"], "term_value": r["term_value"], "start": r["start_date"],
            "initial_end": r["initial_end"], "end": r["end_date"],
            "extension_years_left": r["extension_years"] - r["extension_years_used"], "status": r["status"],
            "ended_on": r["ended_on"] or "", "signed_on": r["signed_on"], "basis": r["basis"]} for r in rows],
            columns=LIST_COLUMNS)

    def contract(self, actor: User | str, contract_id: int) -> dict:
        """One contract: the list's fields, its capacity ({code: capacity}) and its lot's KPIs (commissioner)."""
        with self._read() as conn:
            self._actor(conn, actor, "view_contracts")
            return self._contract_info(conn, contract_id)

    def _contract_info(self, conn, contract_id: int) -> dict:
        row = self._contract_row(conn, contract_id)
        capacity = dict(conn.execute(select(contract_capacity.c.code, contract_capacity.c.capacity)
                                     .where(contract_capacity.c.contract_id == contract_id)
                                     .order_by(contract_capacity.c.code)).all())
        rules = self._rules_of(row["rules_yaml"])
        lot = next((lot for lot in rules.lots if lot.name == row["lot"]), None)
        out = {k: v for k, v in row.items() if k != "rules_yaml"}
        return out | {"partners": json.loads(row["partners"]), "services": json.loads(row["services"]),
                      "capacity": capacity, "kpis": lot.kpis if lot else (), "rules": rules}

    def contract_capacity_on(self, day: dt.date) -> pd.DataFrame:
        """The capacity of every contract active on ``day`` (signed, started, not yet over, not ended):
        contract_id, supplier, service, code, capacity, basis. What the provision resolver takes first."""
        text = day.isoformat()
        with self._read() as conn:
            rows = conn.execute(
                select(contracts.c.id.label("contract_id"), contracts.c.supplier, contract_capacity.c.service,
                       contract_capacity.c.code, contract_capacity.c.capacity, contracts.c.basis,
                       contracts.c.ended_on)
                .join(contract_capacity, contract_capacity.c.contract_id == contracts.c.id)
                .where(contracts.c.start_date <= text, contracts.c.end_date >= text, contracts.c.signed_on <= text)
                .order_by(contracts.c.id, contract_capacity.c.service, contract_capacity.c.code)).mappings().all()
        frame = pd.DataFrame([r for r in rows if not r["ended_on"] or r["ended_on"] >= text],
                             columns=["contract_id", "supplier", "service", "code", "capacity", "basis", "ended_on"])
        return frame.drop(columns=["ended_on"])

    def contract_performance(self, actor: User | str, contract_id: int, *, year: int | None = None,
                             today: dt.date | None = None):
        """``(contract, ratings, evidence)``: the contract (:meth:`contract`), its KPIs rated per quarter
        and calendar year from approved returns, and the evidence for extending or re-procuring
        (``None`` past the extension point)."""
        info = self.contract(actor, contract_id)
        every = _ratings(info, self.approved_returns())
        ratings = every if year is None else every.loc[every["period"].str.startswith(str(year))]
        evidence = extension_evidence(
            every, initial_end=dt.date.fromisoformat(info["initial_end"]),
            extension_years=info["extension_years"] - info["extension_years_used"],
            today=today or lifecycle.london_date(_now(None)))
        return info, ratings.reset_index(drop=True), evidence

    def published_contracts(self, day: dt.date) -> list[dict]:
        """The contracts active on ``day`` as the needs assessment and the priorities cite them: lot,
        supplier, partners, capacity, period, basis and the latest calendar year's KPI ratings (no more
        than the award, contract and performance notices publish)."""
        active = sorted(set(self.contract_capacity_on(day)["contract_id"]))
        with self._read() as conn:
            infos = [self._contract_info(conn, int(cid)) for cid in active]
        approved = self.approved_returns()
        out = []
        for info in infos:
            ratings = _ratings(info, approved)
            years = ratings.loc[ratings["period"].str.len() == 4, "period"]
            latest = ratings.loc[ratings["period"] == years.max()] if len(years) else ratings.iloc[0:0]
            out.append({k: info[k] for k in ("id", "lot", "supplier", "partners", "capacity_service", "basis",
                                              "start_date", "end_date")}
                       | {"capacity": float(sum(info["capacity"].values())),
                          "year": years.max() if len(years) else None, "ratings": latest.reset_index(drop=True)})
        return out

    def notice_inputs(self, actor: User | str, round_id: int, kind: str, *, today: dt.date) -> dict:
        """What an OCDS release of stage ``kind`` (``publish.ocds.release_package``) is built from
        (commissioner): the round and its rules; the winners (award); the contracts (contract);
        the contracts with their KPI ratings (performance). Refused before the stage is reached."""
        with self._read() as conn:
            self._actor(conn, actor, "export_awards")
            row = self._round(conn, round_id)
        rules = self._rules_of(row["rules_yaml"])
        info = self.round_info(round_id)
        if info["deadline"] is None or "bids_invited" not in rules.timetable:
            raise StoreError(f"round {row['name']} was not published with a timetable: no notices")
        out = {"round": info, "rules": rules,
               "tender_status": "active" if today <= rules.timetable["bids_close"] else "complete"}
        if kind == "tender" and today < rules.timetable["bids_invited"]:
            raise StoreError(f"bids are invited from {rules.timetable['bids_invited']:%d %B %Y}: "
                             "no tender notice before")
        if kind == "award":
            out["winners"] = self._winners(actor, round_id, today)
        elif kind in ("contract", "performance"):
            out["contracts"] = self._notice_contracts(actor, round_id, performance=kind == "performance", today=today)
        return out

    def _winners(self, actor, round_id: int, today: dt.date) -> list[dict]:
        with self._read() as conn:
            round_row = self._round(conn, round_id)
            locked = self._locked_on(conn, round_row)
            rows = {r["bid_ref"]: r for r in conn.execute(select(bids).where(bids.c.round_id == round_id)).mappings()}
        rules = self._rules_of(round_row["rules_yaml"])
        table = self.rank(actor, round_id).table
        status = "pending" if today <= lifecycle.standstill(locked)[1] else "active"
        return [{"bid_id": w.bid_id, "lot": w.lot, "supplier": rows[w.bid_id]["organisation"],
                 "partners": bid_organisations(rows[w.bid_id])[1:], "price": w.price_amount,
                 "term_value": rules.term_value(w.price_amount), "status": status, "date": locked}
                for w in table.loc[table["rank"] == 1].itertuples()]

    def _notice_contracts(self, actor, round_id: int, *, performance: bool, today: dt.date) -> list[dict]:
        listed = self.contracts_list(actor, round_id)
        if listed.empty:
            raise StoreError(f"round {round_id} has no contracts yet: `round contracts` signs them")
        with self._read() as conn:
            refs = dict(conn.execute(select(contracts.c.id, bids.c.bid_ref)
                                     .join(bids, bids.c.id == contracts.c.bid_id)
                                     .where(contracts.c.round_id == round_id)).all())
        out = []
        for r in listed.itertuples():
            start = dt.date.fromisoformat(r.start)
            row = {"id": r.id, "bid_id": refs[r.id], "lot": r.lot, "status": r.status, "start": start,
                   "end": dt.date.fromisoformat(r.ended_on or r.end),
                   "max_end": term_end(dt.date.fromisoformat(r.end) + dt.timedelta(days=1), r.extension_years_left)
                   if r.extension_years_left else dt.date.fromisoformat(r.end),
                   "term_value": r.term_value, "signed_on": dt.date.fromisoformat(r.signed_on), "basis": r.basis}
            if performance:
                _, ratings, _ = self.contract_performance(actor, r.id, today=today)
                row["ratings"] = [{"measure": x.measure, "period": x.period, "kpi": x.kpi, "rating": x.rating,
                                   "basis": x.basis, "text": figure_text(x), "period_end": period_end(x.period)}
                                  for x in ratings.itertuples()]
            out.append(row)
        return out


def _ratings(info: dict, approved: pd.DataFrame) -> pd.DataFrame:
    """A contract's KPIs (``info`` as :meth:`ContractsMixin.contract` gives it) rated from ``approved``."""
    scope = ContractScope(organisations=(info["supplier"], *info["partners"]), services=tuple(info["services"]),
                          capacity_service=info["capacity_service"], capacity=info["capacity"],
                          start=dt.date.fromisoformat(info["start_date"]),
                          end=dt.date.fromisoformat(info["ended_on"] or info["end_date"]))
    return rate_kpis(scope, info["kpis"], approved)


def _totals(conn) -> dict:
    out: dict = {}
    for cid, capacity in conn.execute(select(contract_capacity.c.contract_id, contract_capacity.c.capacity)).all():
        out[cid] = out.get(cid, 0.0) + float(capacity)
    return out
