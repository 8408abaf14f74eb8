"""Reading user CSV/XLSX tables with errors that name file, line and column.

Every value is read as text first, then converted column by column, so that a bad cell is
reported where it is (editor line: header = line 1) rather than as a pandas traceback.
"""

from __future__ import annotations

import re

from pathlib import Path

import numpy as np
import pandas as pd

from commissioning.errors import InputError, clip, csv_line
from commissioning.safeio import MAX_CSV_BYTES, read_bytes, read_csv_rows

TRUE = {"true", "yes", "y", "1", "t"}
FALSE = {"false", "no", "n", "0", "f", ""}


def read_table(path: str | Path, required: list[str] | tuple[str, ...] = (), *,
               optional: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """Read a CSV (UTF-8, BOM allowed) or XLSX file as strings, checking required columns.

    Column names are stripped; blank cells become "". Raises :class:`InputError` for a missing or
    unreadable file, a wrong encoding, an empty or cut-short file, a duplicate column name, a row
    with too few or too many fields (see :func:`commissioning.safeio.read_csv_rows`), or missing
    columns. Optional columns absent from the file are added as blank. Row ``i`` of the frame
    is editor line ``csv_line(i)`` when the file has no blank lines.
    """
    path = Path(path)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        frame = _read_workbook(path)
    else:
        header, rows, _ = read_csv_rows(path)
        frame = pd.DataFrame(rows, columns=header, dtype=str)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}; found {list(frame.columns)}", file=path, line=1,
                         column=missing[0], expected=f"columns {list(required)}")
    if frame.empty:
        raise InputError("file has a header but no rows", file=path)
    for column in optional:
        if column not in frame.columns:
            frame[column] = ""
    return frame


def _read_workbook(path: Path) -> pd.DataFrame:
    """The first sheet of an .xlsx as stripped text, its first row the header (no duplicates)."""
    read_bytes(path, limit=MAX_CSV_BYTES, what="spreadsheet")  # exists, a file, readable, not huge
    try:
        sheet = pd.read_excel(path, dtype=str, header=None)
    except Exception as exc:
        raise InputError(f"cannot read spreadsheet: {clip(exc)}", file=path, expected="an .xlsx workbook") from None
    if sheet.empty:
        raise InputError("spreadsheet is empty", file=path, expected="a header row and rows")
    sheet = sheet.fillna("").astype(str).apply(lambda col: col.str.strip())
    header = [str(c) for c in sheet.iloc[0]]
    for i, name in enumerate(header):
        if name and name in header[:i]:
            raise InputError("duplicate column name", file=path, line=1, column=name,
                             expected="each column name once")
    frame = sheet.iloc[1:].reset_index(drop=True)
    frame.columns = header
    return frame


MAX_FIGURE = 1e9   # no count of people, cases, posts or spaces here comes near a billion
# A decimal with four or more places, as a latitude or longitude is typed ("51.5074", "-0.1278").
_COORDINATE = re.compile(r"-?\d{1,3}\.\d{4,}")


def may_locate(text) -> bool:
    """Whether a cell holds what looks like a coordinate, which an error message must not repeat
    (it may locate a refuge, typed into the wrong column)."""
    return bool(_COORDINATE.search(str(text)))


def to_number(frame: pd.DataFrame, column: str, path, *, minimum: float | None = None,
              allow_blank: bool = False, what: str = "a number", quote: bool = True) -> pd.Series:
    """Convert a text column to float, raising on the first bad cell (NaN and infinities included,
    and any figure above :data:`MAX_FIGURE`, which would overflow the sums built from it).

    With ``quote=False`` the error names file, line and column but never repeats the value (for
    columns such as refuge coordinates that must not appear in a message).
    """
    text = frame[column].astype(str).str.replace(",", "", regex=False).str.strip()
    values = pd.to_numeric(text.where(text != "", None), errors="coerce").astype(float)
    bad = ~np.isfinite(values) & ((text != "") | (not allow_blank))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        shown = frame[column].iloc[i]
        if not shown:
            message = "blank value"
        elif not quote or may_locate(shown):
            message = "not a finite number (the value is not repeated here: it may be confidential)"
        else:
            message = f"{shown!r} is not a number"
        raise InputError(message, file=path, line=csv_line(i), column=column, expected=what)
    high = values.abs() > MAX_FIGURE
    if high.any():
        i = int(np.flatnonzero(high.to_numpy())[0])
        raise InputError(f"{frame[column].iloc[i] if quote and not may_locate(frame[column].iloc[i]) else 'the value'} is more than {MAX_FIGURE:,.0f}",
                         file=path, line=csv_line(i), column=column, expected=f"{what}, at most {MAX_FIGURE:,.0f}")
    if minimum is not None:
        low = values < minimum
        if low.any():
            i = int(np.flatnonzero(low.to_numpy())[0])
            raise InputError(f"{frame[column].iloc[i] if quote else 'the value'} is below {minimum:g}", file=path, line=csv_line(i),
                             column=column, expected=f"{what} >= {minimum:g}")
    return values.astype(float)


def to_bool(frame: pd.DataFrame, column: str, path, *, default: bool = False) -> pd.Series:
    text = frame[column].astype(str).str.strip().str.lower()
    bad = ~text.isin(TRUE | FALSE)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"{frame[column].iloc[i]!r} is not true/false", file=path, line=csv_line(i),
                         column=column, expected="true or false")
    return text.map(lambda v: True if v in TRUE else (default if v == "" else False)).astype(bool)
