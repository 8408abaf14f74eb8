"""The layout of a quarterly return: its columns, units and the rules every value must meet.

CSV returns are long, one row per provider, service type, quarter and borough served:
``provider,service,quarter,code,capacity,referrals,referrals_refused,cases_open,waiting_days_median,
clients_surveyed,clients_satisfied`` (+ optional ``notes``). ``code`` is an ONS code or a borough name,
or ``London`` for pan-London work. A blank cell means *not reported*, never zero.
"""

from __future__ import annotations

import math

KEYS = ["provider", "service", "quarter", "code"]
#: Whole numbers of people or cases (suppressed when small in the publication).
COUNTS = ["referrals", "referrals_refused", "cases_open", "clients_surveyed", "clients_satisfied"]
MEASURES = ["capacity", "referrals", "referrals_refused", "cases_open", "waiting_days_median",
            "clients_surveyed", "clients_satisfied"]
COLUMNS = KEYS + MEASURES
OPTIONAL = ["notes"]
PAN_LONDON = "London"

LABELS = {
    "code": "Borough served (ONS code or name, or London for pan-London)",
    "capacity": "Capacity in post at quarter end (FTE for advisers, bedspaces for refuges)",
    "referrals": "Referrals received in the quarter",
    "referrals_refused": "Referrals that could not be taken for lack of capacity",
    "cases_open": "Cases open at quarter end",
    "waiting_days_median": "Median days from referral to first contact",
    "clients_surveyed": "Clients asked about their satisfaction",
    "clients_satisfied": "Clients satisfied",
    "notes": "Notes (optional)",
}
EXPECTED = {
    "capacity": "a number >= 0 (FTE or bedspaces), or blank when not reported",
    "waiting_days_median": "a number of days >= 0, or blank when not reported",
}
COUNT_EXPECTED = "a whole number >= 0, or blank when not reported"
#: Pairs (part, whole): the part may not exceed the whole.
PARTS = [("referrals_refused", "referrals"), ("clients_satisfied", "clients_surveyed")]
#: Characters that make a spreadsheet treat a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP: prefix with an apostrophe)."""
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text
