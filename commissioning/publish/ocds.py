"""Open Contracting Data Standard (OCDS 1.1) release packages for a round's stages.

A round is one contracting process: one ``ocid`` (the publisher's registered prefix, a hyphen, the
round's id) and a release per stage, as the Procurement Act 2023 notices go to the central digital
platform:

- ``tender`` (once bids are invited): the buyer, the lots (OCDS lots extension), the value of the
  initial term, ``tenderPeriod`` ending at the bid deadline, the award criteria and their weights;
- ``award`` (after the lock): one award per lot naming the winning supplier (and consortium
  partners), the value of the initial term and its status (``pending`` during the standstill);
- ``contract`` (after signing): a contract per award with its ``awardID``, period (the extension
  years as ``maxExtentDate``) and value;
- ``performance`` (``implementation`` releases): each contract's KPI ratings as reporting
  milestones (met, notMet; approaching as partiallyMet; no data as scheduled).

:func:`release_package` takes the plain data the store's ``notice_inputs`` gives; codes come from
the OCDS codelists (``/work/shared/standards/ocds/codelists``).
"""

from __future__ import annotations

import datetime as dt
import re

from commissioning.contracts.terms import term_end
from commissioning.procurement.lifecycle import LONDON

LOTS_EXTENSION = ("https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/"
                  "v1.1.5/extension.json")
KINDS = ("tender", "award", "contract", "performance")
TAGS = {"tender": ["tender"], "award": ["award"], "contract": ["contract"], "performance": ["implementation"]}
MILESTONE_STATUS = {"met": "met", "not met": "notMet", "approaching": "partiallyMet", "no data": "scheduled"}
CURRENCY = "GBP"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def _start_of(day: dt.date) -> str:
    return dt.datetime(day.year, day.month, day.day, tzinfo=LONDON).isoformat()


def _end_of(day: dt.date) -> str:
    return dt.datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=LONDON).isoformat()


def _value(amount: float) -> dict:
    return {"amount": round(float(amount), 2), "currency": CURRENCY}


def _party(name: str, role: str) -> dict:
    return {"id": f"org-{_slug(name)}", "name": name, "roles": [role]}


def _buyer(rules) -> dict:
    buyer = rules.raw.get("buyer") or {}
    name = buyer.get("name") or rules.title
    party = {"id": buyer.get("id") or f"org-{_slug(name)}", "name": name, "roles": ["buyer"]}
    if rules.contact:
        party["contactPoint"] = {"name": rules.contact}
    return party


def _lot_id(name: str) -> str:
    return f"lot-{_slug(name)}"


def _tender(inputs: dict) -> dict:
    rules, round_info = inputs["rules"], inputs["round"]
    years = rules.contract_years or 1
    lots = [{"id": _lot_id(lot.name), "title": lot.name,
             "description": (f"Authorities: {', '.join(lot.boroughs)}. "
                             f"Services: {', '.join(lot.services) or 'not named'}."),
             "status": "active",
             **({"value": _value(lot.indicative_value_gbp * years)} if lot.indicative_value_gbp else {})}
            for lot in rules.lots]
    criteria = "; ".join(f"{c.id} {c.title}: {c.weight:g}% of {c.section.replace('_', ' ')}" for c in rules.criteria)
    weights = ", ".join(f"{k.replace('_', ' ')} {v:g}%" for k, v in rules.weights.items())
    tender = {"id": f"round-{round_info['id']}", "title": rules.title, "status": inputs["tender_status"],
              "procurementMethod": "open", "mainProcurementCategory": "services",
              "awardCriteria": "ratedCriteria",
              "awardCriteriaDetails": f"Weights: {weights}. Criteria: {criteria}.",
              "tenderPeriod": {"startDate": _start_of(rules.timetable["bids_invited"]),
                               "endDate": round_info["deadline"].isoformat()},
              "lots": lots}
    values = [lot.indicative_value_gbp for lot in rules.lots]
    if values and all(values):
        tender["value"] = _value(sum(values) * years)
        tender["description"] = (f"Value: the lots' indicative values a year times the initial term of {years} "
                                 "years.")
    if "contract_start" in rules.timetable and rules.contract_years:
        start = rules.timetable["contract_start"]
        longest = term_end(start, rules.contract_years + rules.extension_years)
        tender["contractPeriod"] = {"startDate": _start_of(start),
                                    "endDate": _end_of(term_end(start, rules.contract_years)),
                                    "maxExtentDate": _end_of(longest)}
    return tender


def _award(winner: dict, rules) -> dict:
    return {"id": f"award-{winner['bid_id']}", "title": f"Lot {winner['lot']}", "status": winner["status"],
            "date": _start_of(winner["date"]), "value": _value(winner["term_value"]),
            "suppliers": [{"id": f"org-{_slug(n)}", "name": n} for n in (winner["supplier"], *winner["partners"])],
            "relatedLots": [_lot_id(winner["lot"])],
            "description": (f"Value of the initial term ({rules.contract_years} years); the bid's price is "
                            f"£{winner['price']:,.0f} {rules.price_words()}.")}


def _contract(row: dict) -> dict:
    return {"id": f"contract-{row['id']}", "awardID": f"award-{row['bid_id']}", "title": f"Lot {row['lot']}",
            "status": "terminated" if row["status"] == "ended" else "active",
            "period": {"startDate": _start_of(row["start"]), "endDate": _end_of(row["end"]),
                       "maxExtentDate": _end_of(row["max_end"])},
            "value": _value(row["term_value"]), "dateSigned": _start_of(row["signed_on"]),
            **({"description": "Illustrative: a rehearsal on fictional bids, not a real contract."}
               if row["basis"] == "illustrative" else {})}


def _milestones(row: dict) -> list[dict]:
    out = []
    for r in row["ratings"]:
        milestone = {"id": f"kpi-{r['measure']}-{r['period']}", "title": f"{r['kpi']} ({r['period']})",
                     "type": "reporting", "status": MILESTONE_STATUS[r["rating"]],
                     "dueDate": _end_of(r["period_end"]),
                     "description": f"{r['rating']}: {r['text']} ({r['basis'] or 'no'} figures)"}
        if r["rating"] == "met":
            milestone["dateMet"] = _end_of(r["period_end"])
        out.append(milestone)
    return out


def release_package(inputs: dict, *, kind: str, ocid_prefix: str, published: dt.datetime) -> dict:
    """An OCDS 1.1 release package with one release for ``kind`` of the round in ``inputs``."""
    if kind not in KINDS:
        raise ValueError(kind)
    rules, round_info = inputs["rules"], inputs["round"]
    ocid = f"{ocid_prefix}-{round_info['id']}"
    date = published.astimezone(dt.UTC).replace(microsecond=0).isoformat()
    buyer = _buyer(rules)
    parties = {buyer["id"]: buyer}
    release = {"ocid": ocid, "id": f"{ocid}-{kind}-{published:%Y%m%dT%H%M%S}", "date": date, "tag": TAGS[kind],
               "initiationType": "tender", "language": "en",
               "buyer": {"id": buyer["id"], "name": buyer["name"]}}
    if kind == "tender":
        release["tender"] = _tender(inputs)
    elif kind == "award":
        release["awards"] = [_award(w, rules) for w in inputs["winners"]]
        for w in inputs["winners"]:
            for name in (w["supplier"], *w["partners"]):
                parties.setdefault(f"org-{_slug(name)}", _party(name, "supplier"))
    else:
        release["contracts"] = [_contract(c) for c in inputs["contracts"]]
        if kind == "performance":
            for out, row in zip(release["contracts"], inputs["contracts"]):
                out["implementation"] = {"milestones": _milestones(row)}
    release["parties"] = list(parties.values())
    package = {"uri": f"urn:ocds:{ocid}:{kind}", "version": "1.1", "publishedDate": date,
               "publisher": {"name": buyer["name"]}, "releases": [release]}
    if kind in ("tender", "award"):
        package["extensions"] = [LOTS_EXTENSION]
    return package
