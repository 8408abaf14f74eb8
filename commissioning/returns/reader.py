"""Reading quarterly returns from CSV or XLSX, checked value by value.

:func:`read_returns` gives one long table (:data:`~commissioning.returns.layout.COLUMNS` + ``notes``)
with codes resolved (``London`` kept for pan-London), blanks as NaN and several rows for the same
provider, service, quarter and borough added up (:func:`combine`). Every problem is an
:class:`~commissioning.errors.InputError` naming the file (and sheet), the row as a spreadsheet shows
it and the column; nothing is returned half-read.

XLSX returns follow the template (:mod:`commissioning.returns.template`): a ``Return`` sheet with the
organisation and quarter, and one sheet per service type with a header row ``code, capacity, ...``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from commissioning.boroughs import resolve_code
from commissioning.errors import InputError
from commissioning.returns.layout import (
    COLUMNS,
    COUNT_EXPECTED,
    COUNTS,
    EXPECTED,
    FORMULA_START,
    KEYS,
    MEASURES,
    PAN_LONDON,
    PARTS,
)
from commissioning.returns.quarters import check_quarter
from commissioning.safeio import read_csv_rows, read_workbook

RETURN_SHEET = "Return"
MAX_FIGURE = 1_000_000   # no quarter's figure for one service and borough comes near this
SERVICE_SHEET_COLUMNS = ["code"] + MEASURES + ["notes"]


def read_returns(path: str | Path, service_types: list[str], *, skip_empty_rows: bool = False) -> pd.DataFrame:
    """Read a CSV or XLSX return (by extension) and check it; see the module docstring.

    A row naming a provider and borough but giving no figure is refused (most likely a mistake),
    unless ``skip_empty_rows`` (readers that take one column from a full return)."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        records = _xlsx_records(path, service_types, skip_empty_rows)
    else:
        records = _csv_records(path, service_types, skip_empty_rows)
    if not records and not skip_empty_rows:
        raise InputError("no returned figures", file=path, expected="at least one row with figures")
    return combine(pd.DataFrame(records, columns=COLUMNS + ["notes"]))


def combine(frame: pd.DataFrame) -> pd.DataFrame:
    """Add up rows for the same provider, service, quarter and borough.

    Counts and capacity are summed (blank only when blank in every row); the median waiting time of
    the combined row is the referral-weighted mean of the rows' medians (an approximation: medians do
    not add), or their plain mean when no row gives referrals.
    """
    if not frame.duplicated(KEYS).any():
        return frame.reset_index(drop=True)
    out = []
    for key, group in frame.groupby(KEYS, sort=False):
        row = dict(zip(KEYS, key))
        for column in MEASURES:
            values = group[column]
            row[column] = values.sum() if values.notna().any() else np.nan
        waits, weights = group["waiting_days_median"], group["referrals"].fillna(0)
        known = waits.notna()
        if known.any():
            w = weights[known]
            row["waiting_days_median"] = (float(np.average(waits[known], weights=w)) if w.sum() > 0
                                          else float(waits[known].mean()))
        row["notes"] = "; ".join(n for n in group["notes"] if n)
        out.append(row)
    return pd.DataFrame(out, columns=COLUMNS + ["notes"])


# ------------------------------------------------------------------------------------------------
# One row
# ------------------------------------------------------------------------------------------------

def check_row(row: dict[str, str], service_types: list[str], *, file, line: int,
              skip_empty_rows: bool = False) -> dict | None:
    """Check one row of text values; the record, or None when the row is wholly blank (or gives no
    figure, with ``skip_empty_rows``)."""
    if not any(str(v).strip() for v in row.values()):
        return None
    where = {"file": file, "line": line}
    provider = _text(row.get("provider", ""), "provider", where)
    if not provider:
        raise InputError("blank provider", column="provider", expected="the support organisation's name", **where)
    service = str(row.get("service", "")).strip().lower()
    if service not in service_types:
        raise InputError(f"unknown service {row.get('service', '')!r}", column="service",
                         expected=f"one of {', '.join(service_types)}", **where)
    quarter = check_quarter(row.get("quarter", ""), column="quarter", **where)
    code_text = str(row.get("code", "")).strip()
    code = PAN_LONDON if code_text.lower() in {"london", "pan-london", "e12000007"} else \
        resolve_code(code_text, column="code", **where)
    record = {"provider": provider, "service": service, "quarter": quarter, "code": code}
    for column in MEASURES:
        record[column] = _number(row.get(column, ""), column, where)
    for part, whole in PARTS:
        if not math.isnan(record[part]) and not math.isnan(record[whole]) and record[part] > record[whole]:
            raise InputError(f"{record[part]:g} is more than the {record[whole]:g} {whole.replace('_', ' ')}",
                             column=part, expected=f"at most {whole}", **where)
    if math.isnan(record["clients_surveyed"]) != math.isnan(record["clients_satisfied"]):
        missing = "clients_satisfied" if math.isnan(record["clients_satisfied"]) else "clients_surveyed"
        raise InputError("only one of clients_surveyed and clients_satisfied is given", column=missing,
                         expected="both, or both blank", **where)
    if all(math.isnan(record[c]) for c in MEASURES):
        if skip_empty_rows:
            return None
        raise InputError("no figures in this row", column="capacity",
                         expected="at least one figure (blank = not reported)", **where)
    record["notes"] = _text(row.get("notes", ""), "notes", where)
    return record


def _text(value, column: str, where: dict) -> str:
    text = "" if value is None else str(value).strip()
    if text.startswith(FORMULA_START):
        raise InputError("text starting with a formula character (= + - @)", column=column,
                         expected="plain text", **where)
    if len(text) > 2000:
        raise InputError(f"{len(text)} characters", column=column, expected="at most 2000 characters", **where)
    return text


def _number(value, column: str, where: dict) -> float:
    text = "" if value is None else str(value).strip().replace(",", "")
    if text == "":
        return math.nan
    expected = COUNT_EXPECTED if column in COUNTS else EXPECTED[column]
    try:
        number = float(text)
    except ValueError:
        raise InputError(f"{value!r} is not a number", column=column, expected=expected, **where) from None
    if not math.isfinite(number):
        raise InputError(f"{value!r} is not a finite number", column=column, expected=expected, **where)
    if number > MAX_FIGURE:
        raise InputError(f"{value!r} is more than {MAX_FIGURE:,}", column=column,
                         expected=f"{expected}; at most {MAX_FIGURE:,}", **where)
    if number < 0:
        raise InputError(f"{value!r} is negative", column=column, expected=expected, **where)
    if column in COUNTS and number != int(number):
        raise InputError(f"{value!r} is not a whole number", column=column, expected=expected, **where)
    return number


# ------------------------------------------------------------------------------------------------
# CSV
# ------------------------------------------------------------------------------------------------

def _csv_records(path: Path, service_types: list[str], skip_empty_rows: bool) -> list[dict]:
    # safeio: a regular file under the CSV cap, UTF-8, every row complete, not cut short.
    header, rows, lines = read_csv_rows(path)
    _check_header(header, COLUMNS, path)
    records = []
    for values, line in zip(rows, lines):
        if not any(values):
            continue
        record = check_row(dict(zip(header, values)), service_types, file=path, line=line,
                           skip_empty_rows=skip_empty_rows)
        if record is not None:
            records.append(record)
    return records


def _check_header(header: list[str], required: list[str], file) -> None:
    duplicated = sorted({h for h in header if h and header.count(h) > 1})
    if duplicated:
        raise InputError(f"duplicate column(s) {duplicated}", file=file, line=1, column=duplicated[0],
                         expected="each column once")
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(f"missing column(s) {missing}", file=file, line=1, column=missing[0],
                         expected=f"the columns {', '.join(required)}")


# ------------------------------------------------------------------------------------------------
# XLSX (the template's layout)
# ------------------------------------------------------------------------------------------------

def _xlsx_records(path: Path, service_types: list[str], skip_empty_rows: bool) -> list[dict]:
    sheets = read_workbook(path, expected="an .xlsx file made from the returns template")
    if RETURN_SHEET not in sheets:
        raise InputError(f"no sheet {RETURN_SHEET!r}", file=path,
                         expected="the returns template's sheets (python -m commissioning returns template)")
    about = _about(sheets[RETURN_SHEET], f"{path}, sheet '{RETURN_SHEET}'")
    records = []
    for name, sheet_rows in sheets.items():
        if name in (RETURN_SHEET, "Instructions", "Lists"):
            continue
        service = name.strip().lower()
        where = f"{path}, sheet '{name}'"
        if service not in service_types:
            raise InputError(f"sheet {name!r} is not a service type", file=where,
                             expected=f"one sheet per service type: {', '.join(service_types)}")
        rows = iter(sheet_rows)
        header = [("" if h is None else str(h).strip()) for h in next(rows, ())]
        while header and header[-1] == "":
            header.pop()
        _check_header(header, ["code"] + MEASURES, where)
        for number, values in enumerate(rows, start=2):
            cells = {h: _cell(v) for h, v in zip(header, values) if h}
            if not any(cells.values()):
                continue
            cells |= {"provider": about["provider"], "service": service, "quarter": about["quarter"]}
            record = check_row(cells, service_types, file=where, line=number, skip_empty_rows=skip_empty_rows)
            if record is not None:
                records.append(record)
    return records


def _about(rows: list[tuple], where: str) -> dict[str, str]:
    """Organisation (B1) and quarter (B2) from the Return sheet's rows, checked."""
    values = {row[0]: row[1] if len(row) > 1 else None for row in rows[:3] if row}
    provider = _cell(values.get("Support organisation"))
    if not provider:
        raise InputError("no support organisation", file=where, line=1, column="B",
                         expected="the organisation's name in cell B1")
    _text(provider, "B", {"file": where, "line": 1})
    quarter = check_quarter(_cell(values.get("Quarter")), file=where, line=2, column="B")
    return {"provider": provider, "quarter": quarter}


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
