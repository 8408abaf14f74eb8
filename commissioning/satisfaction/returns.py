"""The second source: commissioned providers' own client-satisfaction figures, from their quarterly returns.

The police survey leaves out some victims (under-16s and domestic-abuse survivors among them), so the
review asks for a balanced evidence base. Provider returns are a long CSV
``provider,service,quarter,code,capacity,referrals,referrals_refused,cases_open,waiting_days_median,
clients_surveyed,clients_satisfied`` (``quarter`` like ``2026Q3``, a calendar quarter; blank = not
reported). Only ``provider``, ``quarter``, ``code``, ``clients_surveyed`` and ``clients_satisfied`` are
read here; ``code`` is a London borough (ONS code or name), ``E12000007`` or ``London`` for pan-London
work, which counts towards London only.

These figures are labelled "provider returns (service users)" everywhere and are never added into
the police-survey figures: they are shown beside them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from commissioning.boroughs import LONDON_AUTHORITIES
from commissioning.errors import InputError
from commissioning.satisfaction.areas import LONDON

SOURCE_LABEL = "provider returns (service users)"
NEEDED = ["provider", "quarter", "code", "clients_surveyed", "clients_satisfied"]
_QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")
COLUMNS = ["area_code", "area_name", "quarter", "providers", "respondents", "satisfied"]


def quarter_end(quarter: str) -> str:
    """The last month (``YYYY-MM``) of a calendar quarter ``YYYYQn``."""
    match = _QUARTER_RE.match(quarter)
    if not match:
        raise InputError(f"quarter {quarter!r}", expected="YYYYQn, e.g. 2026Q3 (calendar quarters)")
    return f"{match.group(1)}-{3 * int(match.group(2)):02d}"


def read_returns_satisfaction(path: str | Path, *, illustrative: bool = False) -> pd.DataFrame:
    """Client satisfaction per borough and London per quarter, summed over providers, from a returns
    file (CSV or XLSX) read and checked by the one returns reader
    (:func:`commissioning.returns.reader.read_returns`).

    Returns :data:`COLUMNS` plus ``source`` (:data:`SOURCE_LABEL`) and ``basis``; rows where a
    provider reported neither count are left out (not reported is not zero).
    """
    from commissioning.needs.models import load_benchmarks
    from commissioning.paths import DEFAULT_DATA_DIR
    from commissioning.returns.reader import read_returns

    service_types = list(load_benchmarks(DEFAULT_DATA_DIR / "benchmarks.yaml").services)
    rows = read_returns(path, service_types, skip_empty_rows=True)
    return satisfaction_from_returns(rows.assign(basis="illustrative" if illustrative else "real"))


def satisfaction_from_returns(returns: pd.DataFrame) -> pd.DataFrame:
    """Client satisfaction per borough and London per quarter from return rows already read and
    checked (``commissioning.returns.reader.read_returns`` or ``Store.approved_returns()``, with a
    ``basis`` column): the same table as :func:`read_returns_satisfaction`. Pan-London rows (``code``
    London) count towards London only. A row of the table is illustrative when any return row summed
    into it is (no ``basis`` column: real)."""
    rows = returns.loc[returns["clients_surveyed"].notna() & returns["clients_satisfied"].notna()]
    basis = rows["basis"] if "basis" in rows.columns else pd.Series("real", index=rows.index)
    frame = pd.DataFrame({"area_code": [LONDON if c == "London" else c for c in rows["code"]],
                          "quarter": rows["quarter"].to_numpy(), "provider": rows["provider"].to_numpy(),
                          "respondents": rows["clients_surveyed"].astype(int).to_numpy(),
                          "satisfied": rows["clients_satisfied"].astype(int).to_numpy(),
                          "illustrative": (basis == "illustrative").to_numpy()})
    boroughs = frame[frame["area_code"] != LONDON]
    london = frame.assign(area_code=LONDON)
    out = (pd.concat([boroughs, london])
           .groupby(["area_code", "quarter"], sort=True)
           .agg(providers=("provider", "nunique"), respondents=("respondents", "sum"),
                satisfied=("satisfied", "sum"), illustrative=("illustrative", "any"))
           .reset_index())
    out.insert(1, "area_name", [LONDON_AUTHORITIES.get(c, "London") for c in out["area_code"]])
    out["source"] = SOURCE_LABEL
    out["basis"] = ["illustrative" if flag else "real" for flag in out["illustrative"]]
    return out[COLUMNS + ["source", "basis"]]
