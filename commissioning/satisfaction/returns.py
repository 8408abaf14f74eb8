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

import csv
import io
import math
import re
from pathlib import Path

import pandas as pd

from commissioning import safeio
from commissioning.boroughs import LONDON_AUTHORITIES, resolve_code
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
    """Client satisfaction per borough and London per quarter, summed over providers.

    Returns :data:`COLUMNS` plus ``source`` (:data:`SOURCE_LABEL`) and ``basis``; rows where a
    provider reported neither count are left out (not reported is not zero).
    """
    path = Path(path)
    text = safeio.read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header = [h.strip() for h in next(reader, [])]
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise InputError(f"duplicate column(s) {duplicated}", file=path, line=1)
    missing = [c for c in NEEDED if c not in header]
    if missing:
        raise InputError(f"missing column(s) {missing}", file=path, line=1,
                         expected="the provider returns layout (see commissioning.satisfaction.returns)")
    records = []
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise InputError(f"{len(values)} fields, the header has {len(header)}", file=path, line=line)
            row = dict(zip(header, (v.strip() for v in values)))
            record = _check(row, path, line)
            if record is not None:
                records.append(record)
    except csv.Error as err:
        raise InputError(f"not valid CSV: {err}", file=path, line=reader.line_num) from None
    frame = pd.DataFrame(records, columns=["area_code", "quarter", "provider", "respondents", "satisfied"])
    boroughs = frame[frame["area_code"] != LONDON]
    london = frame.assign(area_code=LONDON)
    out = (pd.concat([boroughs, london])
           .groupby(["area_code", "quarter"], sort=True)
           .agg(providers=("provider", "nunique"), respondents=("respondents", "sum"),
                satisfied=("satisfied", "sum"))
           .reset_index())
    out.insert(1, "area_name", [LONDON_AUTHORITIES.get(c, "London") for c in out["area_code"]])
    out["source"] = SOURCE_LABEL
    out["basis"] = "illustrative" if illustrative else "real"
    return out[COLUMNS + ["source", "basis"]]


def _check(row: dict[str, str], path, line: int) -> dict | None:
    if not _QUARTER_RE.match(row["quarter"]):
        raise InputError(f"quarter {row['quarter']!r}", file=path, line=line, column="quarter",
                         expected="YYYYQn, e.g. 2026Q3")
    code = row["code"]
    code = LONDON if code in (LONDON, "London", "london") else resolve_code(code, file=path, line=line,
                                                                               column="code")
    counts = {}
    for column in ("clients_surveyed", "clients_satisfied"):
        text = row[column]
        if text == "":
            counts[column] = None
            continue
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0 or value != int(value):
            raise InputError(f"{text!r}", file=path, line=line, column=column,
                             expected="a whole number, 0 or more, or blank when not reported")
        counts[column] = int(value)
    surveyed, satisfied = counts["clients_surveyed"], counts["clients_satisfied"]
    if surveyed is None and satisfied is None:
        return None
    if surveyed is None or satisfied is None:
        raise InputError("only one of clients_surveyed and clients_satisfied is given", file=path, line=line,
                         column="clients_satisfied" if satisfied is None else "clients_surveyed",
                         expected="both, or both blank")
    if satisfied > surveyed:
        raise InputError(f"{satisfied} satisfied is more than the {surveyed} surveyed", file=path, line=line,
                         column="clients_satisfied", expected="at most clients_surveyed")
    return {"area_code": code, "quarter": row["quarter"], "provider": row["provider"],
            "respondents": surveyed, "satisfied": satisfied}


def satisfaction_from_returns(returns: pd.DataFrame) -> pd.DataFrame:
    """Client satisfaction per borough and London per quarter from return rows already read and
    checked (``commissioning.returns.reader.read_returns`` or ``Store.approved_returns()``, with a
    ``basis`` column): the same table as :func:`read_returns_satisfaction`. Pan-London rows (``code``
    London) count towards London only."""
    rows = returns.loc[returns["clients_surveyed"].notna() & returns["clients_satisfied"].notna()]
    frame = pd.DataFrame({"area_code": [LONDON if c == "London" else c for c in rows["code"]],
                          "quarter": rows["quarter"].to_numpy(), "provider": rows["provider"].to_numpy(),
                          "respondents": rows["clients_surveyed"].astype(int).to_numpy(),
                          "satisfied": rows["clients_satisfied"].astype(int).to_numpy()})
    boroughs = frame[frame["area_code"] != LONDON]
    london = frame.assign(area_code=LONDON)
    out = (pd.concat([boroughs, london])
           .groupby(["area_code", "quarter"], sort=True)
           .agg(providers=("provider", "nunique"), respondents=("respondents", "sum"),
                satisfied=("satisfied", "sum"))
           .reset_index())
    out.insert(1, "area_name", [LONDON_AUTHORITIES.get(c, "London") for c in out["area_code"]])
    out["source"] = SOURCE_LABEL
    out["basis"] = "illustrative" if (returns.get("basis", pd.Series(dtype=str)) == "illustrative").any() else "real"
    return out[COLUMNS + ["source", "basis"]]
