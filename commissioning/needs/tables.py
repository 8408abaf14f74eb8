"""Reading user CSV/XLSX tables with errors that name file, line and column.

Every value is read as text first, then converted column by column, so that a bad cell is
reported where it is (editor line: header = line 1) rather than as a pandas traceback.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from commissioning.errors import InputError, csv_line

TRUE = {"true", "yes", "y", "1", "t"}
FALSE = {"false", "no", "n", "0", "f", ""}


def read_table(path: str | Path, required: list[str] | tuple[str, ...] = (), *,
               optional: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """Read a CSV (UTF-8, BOM allowed) or XLSX file as strings, checking required columns.

    Column names are stripped; blank cells become "". Raises :class:`InputError` for a missing
    file, a wrong encoding, an empty file, or missing columns. Optional columns absent from the
    file are added as blank.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        try:
            frame = pd.read_excel(path, dtype=str)
        except Exception as exc:
            raise InputError(f"cannot read spreadsheet: {exc}", file=path, expected="an .xlsx workbook") from None
    else:
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise InputError(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})", file=path, line=line,
                             column=_column_at(raw, exc.start),
                             expected="a UTF-8 encoded CSV; re-save it as 'CSV UTF-8'") from None
        if not text.strip():
            raise InputError("file is empty", file=path, expected=f"a header row with {', '.join(required)}")
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
        except pd.errors.ParserError as exc:
            raise InputError(f"malformed CSV: {exc}", file=path) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.fillna("").astype(str).apply(lambda col: col.str.strip())
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


def _column_at(raw: bytes, offset: int) -> str | None:
    """Header name of the CSV field holding byte ``offset`` (None if it cannot be told)."""
    start = raw.rfind(b"\n", 0, offset) + 1
    end = raw.find(b"\n", offset)
    row_text = raw[start: end if end >= 0 else len(raw)].decode("utf-8", errors="replace")
    header_text = raw[: raw.find(b"\n")].decode("utf-8-sig", errors="replace")
    try:
        header, row = next(csv.reader([header_text])), next(csv.reader([row_text]))
    except (csv.Error, StopIteration):
        return None
    index = next((i for i, cell in enumerate(row) if "\ufffd" in cell), None)
    return header[index].strip() if index is not None and index < len(header) and start > 0 else None


def to_number(frame: pd.DataFrame, column: str, path, *, minimum: float | None = None,
              allow_blank: bool = False, what: str = "a number") -> pd.Series:
    """Convert a text column to float, raising on the first bad cell."""
    text = frame[column].astype(str).str.replace(",", "", regex=False).str.strip()
    values = pd.to_numeric(text.where(text != "", None), errors="coerce")
    bad = values.isna() & ((text != "") | (not allow_blank))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        shown = frame[column].iloc[i]
        raise InputError(f"{shown!r} is not a number" if shown else "blank value", file=path,
                         line=csv_line(i), column=column, expected=what)
    if minimum is not None:
        low = values < minimum
        if low.any():
            i = int(np.flatnonzero(low.to_numpy())[0])
            raise InputError(f"{frame[column].iloc[i]} is below {minimum:g}", file=path, line=csv_line(i),
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
