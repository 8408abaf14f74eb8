"""Bids, answers, panel scores and moderation decisions as files: reading them (CSV, and bids and
answers also as XLSX, first sheet) with the editor or spreadsheet line of each row in ``_line`` and
the file name in ``attrs["source"]``, and the checks that name file, line and column when a cell
is wrong. Frames from the store go through the same checks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from commissioning.errors import InputError
from commissioning.safeio import read_csv_rows, read_workbook

BID_COLUMNS = ["bid_id", "organisation", "lot", "price", "submitted_at"]
SCORE_COLUMNS = ["bid_id", "scorer", "criterion", "score", "comment"]
MODERATION_COLUMNS = ["bid_id", "criterion", "score", "note"]
DECISION_COLUMNS = ["bid_id", "flag", "note"]
LINE = "_line"
LONDON = ZoneInfo("Europe/London")
TIME_EXPECTED = ("an ISO 8601 date and time such as 2027-06-03T14:05:00 (London time) "
                 "or 2027-06-03T13:05:00+00:00")
# ---------------------------------------------------------------------------------------------
# Reading CSV files with editor line numbers
# ---------------------------------------------------------------------------------------------

def read_table(path: str | Path, required: list[str], *, allow_empty: bool = False) -> pd.DataFrame:
    """Read a UTF-8 CSV into a DataFrame of stripped strings plus ``_line`` (editor line of each row).

    Checks (:func:`commissioning.safeio.read_csv_rows`): a readable UTF-8 file, not empty and not
    cut short, a header without duplicates, every row with as many fields as the header; then the
    ``required`` columns. Empty lines are skipped; a row of empty cells is kept (and fails the
    checks of its columns), so no row is ever silently dropped. The frame's
    ``attrs["source"]`` is the file name, used by the engine in its error messages.
    """
    path = Path(path)
    name = path.name
    header, rows, lines = read_csv_rows(path, source=name)
    for col in required:
        if col not in header:
            raise InputError("missing column", file=name, line=1, column=col,
                             expected=f"columns {', '.join(required)}")
    if not rows and not allow_empty:
        raise InputError("no data rows", file=name, line=2, expected="at least one row under the header")
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    frame[LINE] = np.asarray(lines, dtype=np.int64)
    frame.attrs["source"] = name
    return frame


def read_bids(path: str | Path) -> pd.DataFrame:
    """Bids CSV: bid_id, organisation, lot, price, submitted_at, gate_<id>…, optional areas."""
    return read_table(path, BID_COLUMNS)


def read_scores(path: str | Path) -> pd.DataFrame:
    """Panel scores CSV: bid_id, scorer, criterion, score, comment (one row per scorer and criterion)."""
    return read_table(path, SCORE_COLUMNS)


def read_moderation(path: str | Path) -> pd.DataFrame:
    """Chair's moderation CSV: bid_id, criterion, score, note, optional reason (what the bidder reads;
    may have no rows)."""
    return read_table(path, MODERATION_COLUMNS, allow_empty=True)


def read_decisions(path: str | Path) -> pd.DataFrame:
    """The chair's recorded decisions on flags: bid_id, flag (``price`` or ``spread:<criterion>``),
    note (may have no rows)."""
    return read_table(path, DECISION_COLUMNS, allow_empty=True)


def read_shortfall(path: str | Path) -> pd.DataFrame:
    """A gap table CSV (``assess`` output or any file with ``code`` and ``shortfall``)."""
    return read_table(path, ["code", "shortfall"])


# ---------------------------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------------------------

def _source(frame: pd.DataFrame, default: str) -> str:
    return frame.attrs.get("source", default)


def _raise_first(frame: pd.DataFrame, mask, source: str, column: str | None, message, expected=None):
    """Raise an InputError for the first row (in file order) where ``mask`` is true."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return
    pos = np.flatnonzero(mask)
    if LINE in frame.columns:
        pos = pos[np.argmin(frame[LINE].to_numpy()[pos])]
        line = int(frame[LINE].iat[pos])
    else:
        pos, line = pos[0], None
    row = frame.iloc[pos]
    text = message(row) if callable(message) else message
    raise InputError(text, file=source, line=line, column=column, expected=expected)


def _require_columns(frame: pd.DataFrame, columns, source: str) -> None:
    for col in columns:
        if col not in frame.columns:
            raise InputError("missing column", file=source, line=1, column=col,
                             expected=f"columns {', '.join(columns)}")


def _coded(frame: pd.DataFrame, col: str, source: str, *, required: bool = True):
    """Stripped text column as ``(codes, labels)``: value i is ``labels[codes[i]]`` (missing -> "").

    Factorising first means only the distinct values are converted and stripped, which keeps
    480,000-row score files fast.
    """
    codes, uniques = pd.factorize(frame[col])
    labels = np.append(pd.Series(np.asarray(uniques, dtype=object), dtype=object)
                       .astype(str).str.strip().to_numpy(dtype=object), "")
    if required:
        _raise_first(frame, labels[codes] == "", source, col, "empty value")
    return codes, labels


def _text(frame: pd.DataFrame, col: str, source: str, *, required: bool = True) -> np.ndarray:
    codes, labels = _coded(frame, col, source, required=required)
    return labels[codes]


def submitted_times(frame: pd.DataFrame, source: str) -> pd.Series:
    """``submitted_at`` as UTC timestamps. A time without a zone is London time (GMT or BST as on
    that day); one that does not exist or happens twice when the clocks change needs its offset."""
    out, problems = [], np.zeros(len(frame), dtype=bool)
    for i, value in enumerate(frame["submitted_at"]):
        moment = _moment(value)
        problems[i] = moment is None
        out.append(moment)
    _raise_first(frame, problems, source, "submitted_at",
                 lambda r: f"{r['submitted_at']!r} is not a timestamp (or is a London time skipped or "
                           "doubled when the clocks change: give its offset)", TIME_EXPECTED)
    return pd.Series(pd.to_datetime(out, utc=True), index=frame.index)


def _moment(value) -> dt.datetime | None:
    if value is pd.NaT:
        return None
    if isinstance(value, dt.datetime):
        moment = value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            return None
    if moment.tzinfo is not None:
        return moment.astimezone(dt.UTC)
    # Europe/London: fold 0 and fold 1 differ when the time happens twice (October) and the
    # round trip through UTC changes a time that does not exist (March).
    first, second = (moment.replace(tzinfo=LONDON, fold=f) for f in (0, 1))
    if first.utcoffset() != second.utcoffset():
        return None
    if first.astimezone(dt.UTC).astimezone(LONDON).replace(tzinfo=None) != moment:
        return None
    return first.astimezone(dt.UTC)


def _number(frame: pd.DataFrame, col: str, source: str, expected: str) -> np.ndarray:
    raw = frame[col]
    if pd.api.types.is_numeric_dtype(raw.dtype):
        values = raw.to_numpy(dtype=float)
    else:
        values = pd.to_numeric(raw.astype("string").str.strip(), errors="coerce").to_numpy(dtype=float)
    _raise_first(frame, ~np.isfinite(values), source, col,
                 lambda r: f"{r[col]!r} is not a number", expected)
    return values


ANSWER_COLUMNS = ["bid_id", "criterion", "answer"]


def _read_xlsx(path: Path, required: list[str]) -> pd.DataFrame:
    sheets = read_workbook(path, expected=f"an .xlsx workbook, header row {','.join(required)}", source=path.name)
    if not sheets:
        raise InputError("the workbook has no worksheet", file=path.name,
                         expected=f"a header row: {','.join(required)}")
    rows = [(i, ["" if v is None else str(v).strip() for v in row])
            for i, row in enumerate(next(iter(sheets.values())), start=1)]
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
