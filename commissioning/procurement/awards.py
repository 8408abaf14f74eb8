"""360Giving-style export of the awards a ranking implies (rank 1 in each lot).

Each award is a 360Giving grant record with the standard's required fields (``id``, ``title``,
``description``, ``currency``, ``amountAwarded``, ``awardDate``, ``recipientOrganization``,
``fundingOrganization``) plus ``amountAppliedFor``, ``grantProgramme`` and ``beneficiaryLocation``
(one entry per borough in the bid's ``areas``, ONS code with ``geoCodeType`` "LONB", the
360Giving codelist's type for London boroughs; the codelist has no "LAD"). The amount is
the bid's price for the contract period.

A lot whose bids all failed has no award (see the rules' ``min_score_policy``). A rank-1 bid that
is ``flagged`` (e.g. an abnormally low price awaiting the bidder's explanation) is only exported once
listed in ``cleared``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Iterable, Mapping

import pandas as pd

from commissioning.boroughs import LONDON_AUTHORITIES
from commissioning.procurement.scoring import ScoringResult
from commissioning.safeio import csv_text


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def build_awards(result: ScoringResult, *, funder_id: str, funder_name: str, id_prefix: str,
                 award_date: dt.date | str | None = None, currency: str = "GBP",
                 programme: str | None = None, cleared: Iterable[str] = (),
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
    cleared : bid ids of flagged winners whose flag has been resolved (e.g. price explained).
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
    cleared = set(cleared)
    winners = result.table[result.table["rank"] == 1]
    blocked = [b for b, s in zip(winners["bid_id"], winners["status"]) if s == "flagged" and b not in cleared]
    if blocked:
        raise ValueError(f"rank-1 bids still flagged (resolve, then pass them in cleared): {', '.join(blocked)}")
    grants = []
    for row in winners.itertuples():
        if not row.areas:
            raise ValueError(f"bid {row.bid_id} has no areas: beneficiaryLocation needs the boroughs served")
        grants.append({
            "id": f"{id_prefix}-{row.bid_id}",
            "title": f"{rules.title}: lot {row.lot}",
            "description": (f"Award of lot {row.lot} of {rules.title} to {row.organisation}, the highest-"
                            f"ranked bid ({row.total:.2f} of 100 points: quality {row.quality:.2f}, "
                            f"social value {row.social_value:.2f}, price {row.price:.2f})."),
            "currency": currency,
            "amountAwarded": float(row.price_amount),
            "amountAppliedFor": float(row.price_amount),
            "awardDate": award_date,
            "recipientOrganization": [{
                "id": recipient_ids.get(row.organisation, f"{id_prefix}-ORG-{_slug(row.organisation)}"),
                "name": row.organisation}],
            "fundingOrganization": [{"id": funder_id, "name": funder_name}],
            "grantProgramme": [{"title": programme or rules.title}],
            "beneficiaryLocation": [{"name": LONDON_AUTHORITIES.get(code, code), "geoCode": code,
                                     "geoCodeType": geo_code_type} for code in row.areas],
        })
    return grants


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
        rows.append(row)
    return pd.DataFrame(rows)


def awards_csv(grants: list[dict]) -> str:
    """The 360Giving spreadsheet layout as CSV text, every text cell formula-safe."""
    return csv_text(awards_frame(grants))
