"""Reading a commissioner's bid files: bids and answers as CSV (``read_table``) or XLSX (first sheet).

Both give a frame of stripped strings with ``_line`` (the row number a user sees in the editor or
spreadsheet) and ``attrs["source"]`` (the file name), as the scoring engine expects.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from commissioning.errors import InputError
from commissioning.procurement.scoring import BID_COLUMNS, LINE, read_table

ANSWER_COLUMNS = ["bid_id", "criterion", "answer"]


def _read_xlsx(path: Path, required: list[str]) -> pd.DataFrame:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    except Exception as err:  # openpyxl raises several types for a damaged or non-XLSX file
        raise InputError(f"not a readable XLSX workbook ({type(err).__name__})", file=path.name) from None
    try:
        rows = [(i, ["" if v is None else str(v).strip() for v in row])
                for i, row in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1)]
    finally:
        book.close()
    rows = [(i, r) for i, r in rows if any(r)]
    if not rows:
        raise InputError("the first sheet is empty", file=path.name, expected=f"a header row: {','.join(required)}")
    (head_line, header), body = rows[0], rows[1:]
    while header and not header[-1]:
        header.pop()
    for j, col in enumerate(header):
        if col in header[:j]:
            raise InputError("duplicate column", file=path.name, line=head_line, column=col)
    for col in required:
        if col not in header:
            raise InputError("missing column", file=path.name, line=head_line, column=col,
                             expected=f"columns {', '.join(required)}")
    for line, row in body:
        if any(row[len(header):]):
            raise InputError("a value right of the last headed column", file=path.name, line=line)
    if not body:
        raise InputError("no data rows", file=path.name, line=head_line + 1)
    frame = pd.DataFrame([(r + [""] * len(header))[:len(header)] for _, r in body], columns=header, dtype=object)
    frame[LINE] = np.asarray([line for line, _ in body], dtype=np.int64)
    frame.attrs["source"] = path.name
    return frame


def read_bid_table(path: str | Path, required: list[str]) -> pd.DataFrame:
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path, required)
    return read_table(path, required)


def read_bid_file(path: str | Path) -> pd.DataFrame:
    """Bids: the columns of ``score --bids`` and an optional ``partners`` (``;``-separated)."""
    return read_bid_table(path, BID_COLUMNS)


def read_answers(path: str | Path) -> pd.DataFrame:
    """Written answers: ``bid_id, criterion, answer`` (one row per bid and criterion)."""
    return read_bid_table(path, ANSWER_COLUMNS)
