"""Hardened input and output: strict YAML, strict CSV rows, size caps and spreadsheet-safe cells.

Every YAML and CSV the toolkit reads goes through this module, so one set of rules holds everywhere:

- a file is read only if it is a regular, readable file no larger than its cap
  (:data:`MAX_YAML_BYTES`, :data:`MAX_CSV_BYTES`); a directory, a missing or unreadable file is an
  :class:`~commissioning.errors.InputError`, never a traceback;
- YAML (:func:`load_yaml`): no anchors or aliases (so no "billion laughs"), no duplicate keys, no
  non-finite or overflowing numbers, no impossible dates; each refusal names file, line and column;
- XLSX (:func:`read_workbook`): a damaged workbook is one InputError, whatever openpyxl raises;
- CSV (:func:`read_csv_rows`): UTF-8, no duplicate column names, every row with exactly as many
  fields as the header, and a last line that ends with its line break (a file cut short is refused
  rather than read as fewer rows);
- every CSV the toolkit writes goes through :func:`spreadsheet_safe` (OWASP "CSV injection": a text
  cell starting with ``= + - @``, tab or carriage return gets a leading ``'``; numbers such as
  ``-0.1278`` are left alone).
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import yaml

from commissioning.errors import InputError

MAX_YAML_BYTES = 2_000_000        # rules, benchmarks and sources are a few kB
MAX_CSV_BYTES = 512_000_000       # a 480,000-row score file is about 25 MB
MAX_XLSX_BYTES = 50_000_000       # a filled returns template or bid workbook is tens of kB
MAX_XLSX_UNPACKED = 200_000_000   # the parts unpacked: a few MB for a large real workbook
MAX_INT = 2 ** 53                 # larger whole numbers lose precision as floats
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def read_bytes(path: str | Path, *, limit: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or an InputError saying why not."""
    path = Path(path)
    try:
        if path.is_dir():
            raise InputError(f"is a folder, not a {what}", file=path)
        if not path.exists():
            raise InputError(f"{what} not found", file=path)
        size = path.stat().st_size
        if size > limit:
            raise InputError(f"{what} is {size:,} bytes, over the limit of {limit:,}", file=path)
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as err:
        raise InputError(f"cannot read the {what}: {err.strerror or err}", file=path) from None
    if len(data) > limit:  # e.g. a pipe or /proc file whose size stat() does not tell
        raise InputError(f"{what} is over the limit of {limit:,} bytes", file=path)
    return data


def read_workbook(path: str | Path, *, expected: str = "an .xlsx workbook",
                  source=None) -> dict[str, list[tuple]]:
    """Every worksheet of an XLSX file of at most :data:`MAX_XLSX_BYTES`: {sheet name: rows of cell
    values, as openpyxl's ``values_only`` gives them}, read in full with the file closed after.

    Refused with an InputError naming the file (``source``, else ``path``): a file that is not a
    readable workbook; one whose parts would unpack to more than :data:`MAX_XLSX_UNPACKED` bytes (a
    decompression bomb, refused before anything is unpacked); a formula cell with no saved value
    (it would read as blank), named by sheet and cell. Every row is read, whatever the sheet's
    ``<dimension>`` claims. openpyxl lets many types out for a damaged file (the zip, a deflate
    stream, XML that is not well formed, a part with unexpected attributes: BadZipFile, zlib.error,
    ParseError, TypeError, KeyError...), so every exception from reading is caught here, where
    nothing else happens.
    """
    where = path if source is None else source
    try:
        data = read_bytes(path, limit=MAX_XLSX_BYTES, what="workbook")
    except InputError as err:
        err.file = where
        raise
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise InputError("cannot read the workbook (not a zip archive)", file=where, expected=expected) from None
    if unpacked > MAX_XLSX_UNPACKED:
        raise InputError(f"the workbook unpacks to {unpacked:,} bytes, over the limit of {MAX_XLSX_UNPACKED:,}",
                         file=where, expected=expected)
    try:
        values, formulas = (_sheets(data, data_only) for data_only in (True, False))
    except Exception as err:  # see the docstring: a damaged file, whatever openpyxl calls it
        raise InputError(f"cannot read the workbook ({type(err).__name__})", file=where, expected=expected) from None
    for title, rows in formulas.items():
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                if isinstance(cell, str) and cell.startswith("=") and _value_at(values[title], r, c) is None:
                    raise InputError(f"sheet {title!r}, cell {_cell_name(r, c)} holds a formula with no saved "
                                     "value", file=where, expected="values (open the file in Excel or LibreOffice "
                                     "and save it, so each formula's result is stored)")
    return values


def _sheets(data: bytes, data_only: bool) -> dict[str, list[tuple]]:
    """{sheet: rows}: the saved values (``data_only``) or the formulas."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
    try:
        sheets = {}
        for sheet in book.worksheets:
            sheet.reset_dimensions()   # read every row, not only those a stale <dimension> claims
            sheets[sheet.title] = list(sheet.iter_rows(values_only=True))
        return sheets
    finally:
        book.close()


def _value_at(rows: list[tuple], r: int, c: int):
    return rows[r][c] if r < len(rows) and c < len(rows[r]) else None


def _cell_name(r: int, c: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(c + 1)}{r + 1}"


def read_text(path: str | Path, *, limit: int = MAX_CSV_BYTES, what: str = "file", source=None) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes (see :func:`read_bytes`)."""
    return decode_utf8(read_bytes(path, limit=limit, what=what), path if source is None else source)


def decode_utf8(data: bytes, path, *, expected: str = "UTF-8 text", csv_column: bool = False) -> str:
    """``data`` as text (a BOM is dropped); an InputError naming the line of the first bad byte
    (and, with ``csv_column``, the CSV column it falls in)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = _csv_column_at(data, err.start) if csv_column else None
        raise InputError(f"not valid UTF-8 (byte 0x{data[err.start]:02x})", file=path, line=line,
                         column=column, expected=expected) from None


def _csv_column_at(raw: bytes, offset: int) -> str | None:
    """Header name of the CSV field holding byte ``offset`` (None if it cannot be told)."""
    start = raw.rfind(b"\n", 0, offset) + 1
    if start == 0:
        return None
    end = raw.find(b"\n", offset)
    row_text = raw[start: end if end >= 0 else len(raw)].decode("utf-8", errors="replace")
    header_text = raw[: raw.find(b"\n")].decode("utf-8-sig", errors="replace")
    try:
        header, row = next(csv.reader([header_text])), next(csv.reader([row_text]))
    except (csv.Error, StopIteration):
        return None
    index = next((i for i, cell in enumerate(row) if "\ufffd" in cell), None)
    return header[index].strip() if index is not None and index < len(header) else None


# ---------------------------------------------------------------------------------------------
# YAML


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors, aliases, duplicate keys, non-finite numbers and bad dates."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.MarkedYAMLError(problem="anchors and aliases (& and *) are not allowed",
                                       problem_mark=event.start_mark)
        return super().compose_node(parent, index)

    def mapping_key(self, key_node):
        """A mapping's key: a single value (text, number, date), never a list or a mapping."""
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.MarkedYAMLError(problem="a key must be a single value (text or a number), not a list "
                                               "or a mapping", problem_mark=key_node.start_mark)
        return self.construct_object(key_node, deep=True)

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.mapping_key(key_node)
            if key in seen:
                raise yaml.MarkedYAMLError(problem=f"duplicate key {_clip(repr(key))}",
                                           problem_mark=key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_float(self, node):
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            raise yaml.MarkedYAMLError(problem=f"{_clip(node.value)} is not a finite number",
                                       problem_mark=node.start_mark)
        return value

    def construct_yaml_int(self, node):
        value = super().construct_yaml_int(node)
        if abs(value) > MAX_INT:
            raise yaml.MarkedYAMLError(problem=f"{_clip(node.value)} is too large a number",
                                       problem_mark=node.start_mark)
        return value

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            raise yaml.MarkedYAMLError(problem=f"{_clip(node.value)} is not a real date",
                                       problem_mark=node.start_mark) from None


StrictLoader.add_constructor("tag:yaml.org,2002:float", StrictLoader.construct_yaml_float)
StrictLoader.add_constructor("tag:yaml.org,2002:int", StrictLoader.construct_yaml_int)
StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", StrictLoader.construct_yaml_timestamp)


def parse_yaml(text: str, source, *, loader: type[StrictLoader] = StrictLoader) -> object:
    """Parse YAML text strictly (see the module docstring); ``source`` names it in errors.
    ``loader`` may be a subclass of :class:`StrictLoader` (e.g. one that records line numbers)."""
    if len(text) > MAX_YAML_BYTES:
        raise InputError(f"YAML text is over the limit of {MAX_YAML_BYTES:,} characters", file=source)
    try:
        return yaml.load(text, Loader=loader)  # a SafeLoader subclass: no Python objects
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        at = f" (column {mark.column + 1})" if mark is not None else ""
        raise InputError(f"not valid YAML: {err.problem or err.context}{at}", file=source, line=line) from None
    except yaml.YAMLError as err:
        raise InputError(f"not valid YAML: {err}", file=source) from None
    except RecursionError:
        raise InputError("not valid YAML: nested too deeply", file=source) from None


def load_yaml(path: str | Path, *, source=None) -> object:
    """Read and parse a YAML file strictly; ``source`` (default: the path) names it in errors."""
    source = path if source is None else source
    text = decode_utf8(read_bytes(path, limit=MAX_YAML_BYTES, what="YAML file"), source)
    return parse_yaml(text, source)


# ---------------------------------------------------------------------------------------------
# CSV


def read_csv_rows(path: str | Path, *, source=None) -> tuple[list[str], list[list[str]], list[int]]:
    """Header, data rows and the editor line of each row of a strict UTF-8 CSV.

    Cells are stripped; empty lines are skipped (a row of empty cells is kept). Raises an
    InputError for an unreadable, oversized, non-UTF-8 or empty file, a duplicate column name, a
    row whose field count differs from the header's, an unclosed quote, or a last line without
    its line break (the sign of a file cut short).
    """
    source = path if source is None else source
    text = decode_utf8(read_bytes(path, limit=MAX_CSV_BYTES, what="file"), source, csv_column=True,
                       expected="a UTF-8 encoded CSV; re-save it as 'CSV UTF-8'")
    return parse_csv_rows(text, source)


def parse_csv_rows(text: str, source) -> tuple[list[str], list[list[str]], list[int]]:
    """:func:`read_csv_rows` for CSV text already read (e.g. an upload); ``source`` names it."""
    if not text.strip():
        raise InputError("file is empty", file=source, expected="a header line and rows")
    if not text.endswith(("\n", "\r")):
        raise InputError("the last line has no line break: the file looks cut short", file=source,
                         line=text.count("\n") + 1,
                         expected="a complete file ending with a line break (some exports, e.g. Google "
                                  "Sheets, omit it: if the file is complete, add one at its end)")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, skipinitialspace=True)
    header: list[str] | None = None
    rows, lines = [], []
    last = 0
    try:
        for fields in reader:
            start, last = last + 1, reader.line_num
            if not fields:
                continue
            if header is None:
                header = [f.strip() for f in fields]
                seen = set()
                for name in header:
                    if name and name in seen:
                        raise InputError("duplicate column name", file=source, line=start, column=name,
                                         expected="each column name once")
                    seen.add(name)
                continue
            if len(fields) != len(header):
                raise InputError(f"{len(fields)} fields, the header has {len(header)}", file=source,
                                 line=start, expected="one value per header column (a short last row "
                                                      "means the file was cut short)")
            rows.append([f.strip() for f in fields])
            lines.append(start)
    except csv.Error as err:
        if "unexpected end of data" in str(err):
            raise InputError("a quoted cell is not closed: the file looks cut short", file=source,
                             line=last + 1, expected="a complete file") from None
        raise InputError(f"malformed CSV: {err}", file=source, line=last + 1) from None
    if header is None:
        raise InputError("file is empty", file=source, expected="a header line and rows")
    return header, rows, lines


# ---------------------------------------------------------------------------------------------
# Writing spreadsheets

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value):
    """A cell that a spreadsheet will not run as a formula (OWASP CSV injection): text starting
    with ``= + - @``, tab or CR gets a leading ``'``; numbers and plain numeric text are unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell (and text column name) passed through :func:`safe_cell`."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column].dtype) and \
                not pd.api.types.is_datetime64_any_dtype(out[column].dtype):
            out[column] = out[column].map(safe_cell, na_action="ignore")
    out.columns = [safe_cell(c) for c in out.columns]
    return out


def csv_text(frame: pd.DataFrame, **kwargs) -> str:
    """``frame`` as CSV text with formula-safe cells (``kwargs`` go to ``DataFrame.to_csv``)."""
    kwargs.setdefault("index", False)
    return spreadsheet_safe(frame).to_csv(**kwargs)


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def write_atomic(path: str | Path, data: bytes | str) -> None:
    """The one way the toolkit writes a file: ``data`` (text is written as UTF-8) goes to a
    temporary file in the same folder, renamed over ``path`` once complete, so a reader never sees
    half a file. Readable by the group and others as an ordinary file is (0644 less the umask;
    mkstemp alone would leave it 0600). A missing folder, a folder in the way or a failed write is
    an InputError naming the path; nothing is left behind."""
    path = Path(path)
    if not path.parent.exists():
        raise InputError("output folder does not exist", file=path.parent)
    if not path.parent.is_dir():
        raise InputError("cannot write: a file stands where the output folder should be", file=path.parent)
    if path.is_dir():
        raise InputError("is a folder, not a file to write", file=path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as err:
        raise InputError(f"cannot write: {err.strerror or err}", file=path) from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o644 & ~umask)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise InputError(f"cannot write: {err.strerror or err}", file=path) from None
        raise
