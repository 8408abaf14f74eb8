"""360Giving-style export of the awards a ranking implies (rank 1 in each lot).

Each award is a 360Giving grant record with the standard's required fields (``id``, ``title``,
``description``, ``currency``, ``amountAwarded``, ``awardDate``, ``recipientOrganization``,
``fundingOrganization``) plus ``amountAppliedFor``, ``grantProgramme`` and ``beneficiaryLocation``
(one entry per borough in the bid's ``areas``, ONS code with ``geoCodeType`` "LONB", the
360Giving codelist's type for London boroughs; the codelist has no "LAD"). ``amountAwarded`` is
the value of the initial term on the rules' price basis (``Rules.term_value``: the price a year times
``contract.years`` when prices are annual, the price itself when it is for the whole term), and
``plannedDates`` is that term: from ``timetable.contract_start`` to the day before the same date
``contract.years`` later, ``duration`` in months. Rules without a ``contract:`` block (no price basis)
give the price as bid and no ``plannedDates``, and the description says so.

A lot whose bids all failed has no award (see the rules' ``min_score_policy``). A rank-1 bid that
is ``flagged`` (e.g. an abnormally low price awaiting the bidder's explanation) is refused: it is
cleared only by the chair's recorded decision on each flag, which the engine takes as input
(``score_bids(..., decisions=)``) and which makes its status ``ranked``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Mapping

import pandas as pd

from commissioning.boroughs import LONDON_AUTHORITIES
from commissioning.procurement.scoring import ScoringResult
from commissioning.procurement.timetable import add_months
from commissioning.safeio import csv_text


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def build_awards(result: ScoringResult, *, funder_id: str, funder_name: str, id_prefix: str,
                 award_date: dt.date | str | None = None, currency: str = "GBP",
                 programme: str | None = None,
                 recipient_ids: Mapping[str, str] | None = None,
                 geo_code_type: str = "LONB") -> list[dict]:
    """360Giving grant records, one per lot with a rank-1 bid.

    Parameters
    ----------
    result : scored round (:func:`commissioning.procurement.scoring.score_bids`).
    funder_id, funder_name : the funding organisation (an org-id such as ``GB-LAE-LND``).
    id_prefix : the funder's registered 360Giving prefix, e.g. ``360G-londonvs``; grant ids are
        ``<id_prefix>-<bid_id>``.
    award_date : ISO date; defaults to the rules' ``timetable.award``.
    programme : grant programme title; defaults to the rules' title.
    recipient_ids : {organisation name: org-id}; organisations without one get
        ``<id_prefix>-ORG-<slug>`` (the 360Giving convention when no registered id exists).
    """
    for name, value in (("funder_id", funder_id), ("funder_name", funder_name), ("id_prefix", id_prefix)):
        if not str(value or "").strip():
            raise ValueError(f"{name} is required")
    if not str(id_prefix).startswith("360G-"):
        raise ValueError(f"id_prefix {id_prefix!r} is not a 360Giving prefix: it starts with 360G-, e.g. 360G-londonvs")
    rules = result.rules
    award_date = award_date or rules.timetable.get("award")
    if award_date is None:
        raise ValueError("award_date is required (or set timetable.award in the rules)")
    award_date = dt.date.fromisoformat(str(award_date)).isoformat()
    recipient_ids = dict(recipient_ids or {})
    winners = result.table[result.table["rank"] == 1]
    blocked = winners.loc[winners["status"] == "flagged", "bid_id"].tolist()
    if blocked:
        raise ValueError(f"rank-1 bids still flagged (record a decision on each flag first): {', '.join(blocked)}")
    term = planned_term(rules)
    grants = []
    for row in winners.itertuples():
        if not row.areas:
            raise ValueError(f"bid {row.bid_id} has no areas: beneficiaryLocation needs the boroughs served")
        value = float(row.price_amount) if term is None else rules.term_value(row.price_amount)
        price = ("the rules set no price basis" if term is None else
                 f"£{row.price_amount:,.0f} {rules.price_words()}; £{value:,.0f} over the initial "
                 f"{rules.contract_years}-year term")
        grants.append({
            "id": f"{id_prefix}-{row.bid_id}",
            "title": f"{rules.title}: lot {row.lot}",
            "description": (f"Award of lot {row.lot} of {rules.title} to {row.organisation}, the highest-"
                            f"ranked bid ({row.total:.2f} of 100 points: quality {row.quality:.2f}, "
                            f"social value {row.social_value:.2f}, price {row.price:.2f}). Price: "
                            f"{price}."),
            "currency": currency,
            "amountAwarded": value,
            "amountAppliedFor": value,
            "awardDate": award_date,
            **({} if term is None else {"plannedDates": [term]}),
            "recipientOrganization": [{
                "id": recipient_ids.get(row.organisation, f"{id_prefix}-ORG-{_slug(row.organisation)}"),
                "name": row.organisation}],
            "fundingOrganization": [{"id": funder_id, "name": funder_name}],
            "grantProgramme": [{"title": programme or rules.title}],
            "beneficiaryLocation": [{"name": LONDON_AUTHORITIES.get(code, code), "geoCode": code,
                                     "geoCodeType": geo_code_type} for code in row.areas],
        })
    return grants


def planned_term(rules) -> dict | None:
    """The initial term as a 360Giving event: ``startDate`` = ``timetable.contract_start``,
    ``endDate`` = the day before the same date ``contract.years`` later, ``duration`` in months;
    None when the rules have no contract (the schema then has neither start nor basis)."""
    start, years = rules.timetable.get("contract_start"), rules.contract_years
    if start is None or not years or rules.price_basis is None:
        return None
    end = add_months(start, 12 * years) - dt.timedelta(days=1)
    return {"startDate": start.isoformat(), "endDate": end.isoformat(), "duration": 12 * years}


def awards_json(grants: list[dict]) -> str:
    """The 360Giving JSON package text: ``{"grants": [...]}``."""
    return json.dumps({"grants": grants}, indent=2, ensure_ascii=False)


def awards_frame(grants: list[dict]) -> pd.DataFrame:
    """The 360Giving spreadsheet layout (one row per grant, titled columns) for CSV export."""
    rows = []
    for g in grants:
        row = {"Identifier": g["id"], "Title": g["title"], "Description": g["description"],
               "Currency": g["currency"], "Amount Awarded": g["amountAwarded"],
               "Amount Applied For": g["amountAppliedFor"], "Award Date": g["awardDate"],
               "Recipient Org:Identifier": g["recipientOrganization"][0]["id"],
               "Recipient Org:Name": g["recipientOrganization"][0]["name"],
               "Funding Org:Identifier": g["fundingOrganization"][0]["id"],
               "Funding Org:Name": g["fundingOrganization"][0]["name"],
               "Grant Programme:Title": g["grantProgramme"][0]["title"]}
        for i, loc in enumerate(g["beneficiaryLocation"]):
            row[f"Beneficiary Location:{i}:Name"] = loc["name"]
            row[f"Beneficiary Location:{i}:Geographic Code"] = loc["geoCode"]
            row[f"Beneficiary Location:{i}:Geographic Code Type"] = loc["geoCodeType"]
        for i, event in enumerate(g.get("plannedDates", [])):
            row[f"Planned Dates:{i}:Start Date"] = event["startDate"]
            row[f"Planned Dates:{i}:End Date"] = event["endDate"]
            row[f"Planned Dates:{i}:Duration (months)"] = event["duration"]
        rows.append(row)
    return pd.DataFrame(rows)


def awards_csv(grants: list[dict]) -> str:
    """The 360Giving spreadsheet layout as CSV text, every text cell formula-safe."""
    return csv_text(awards_frame(grants))
