"""Fuzz every CSV and YAML reader: a mangled file gives an InputError, never a traceback.

Each reader gets a valid file (the embedded data, the scoring fixtures, small importer inputs, the
returns and satisfaction files; the returns and bids workbooks as bytes and as the XML inside them)
mutated by hypothesis: cut short, spliced with hostile tokens (NaN, 1e999, formulas, quotes,
YAML anchors and tags, impossible dates, NUL, a BOM, line breaks), lines duplicated, or replaced
by random bytes. The only exception allowed out of a reader is
:class:`~commissioning.errors.InputError`. Derandomised (same cases on every run) and capped at
:data:`EXAMPLES` cases per reader (long files cut to their first 40 rows), so each reader takes seconds.
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commissioning.boroughs import LONDON_AUTHORITIES
from commissioning.errors import InputError
from commissioning.needs import importers
from commissioning.needs.dataset import read_demand, read_population, read_services, read_sources
from commissioning.needs.models import load_benchmarks
from commissioning.procurement.bid_files import read_bid_file, read_bids, read_moderation, read_scores
from commissioning.procurement.rules import load_rules
from commissioning.procurement.scoring import score_bids
from commissioning.returns.reader import read_returns
from commissioning.returns.template import build_template
from commissioning.satisfaction.areas import read_areas
from commissioning.satisfaction.results import read_results
from commissioning.satisfaction.returns import read_returns_satisfaction
from commissioning.satisfaction.targets import read_targets

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
SCORING = ROOT / "tests" / "fixtures" / "scoring"
EXAMPLES = 150

TOKENS = ["", ",", '"', '""', "\n", "\r\n", "\r", "\x00", "\ufeff", "nan", "NaN", "inf", "-inf", "1e999", "-1",
          "2.5", "=1+1", "@x", "+x", "-x", "\t", ";", ":", "&a ", "*a", "<<: *a", "!!python/object:os.system",
          ".nan", ".inf", "2027-02-30", "{", "}", "[", "]", "- ", "? ", "#", "\u00e9", "\xff", "code", "lat",
          "E09000012", "Hackney", "London", "pass", "fail", "true", "A1", "Q1", "x" * 300]

BENCHMARKS_TEXT = (DATA / "benchmarks.yaml").read_text(encoding="utf-8")
SERVICE_TYPES = list(load_benchmarks(DATA / "benchmarks.yaml").services)
RULES = load_rules(SCORING / "rules.yaml")


def _mps_crime_text() -> str:
    lines = ["MajorText,MinorText,BoroughName,202401,202402"]
    for code, name in LONDON_AUTHORITIES.items():
        if code != "E09000001":
            lines += [f"SEXUAL OFFENCES,RAPE,{name},1,2", f"SEXUAL OFFENCES,OTHER SEXUAL OFFENCES,{name},3,4"]
    return "\n".join(lines) + "\n"


def _vawg_text() -> str:
    lines = ["code,name,month,vawg_offences,vawg_victims"]
    lines += [f"{c},{n},2026-0{m},{10 + m},5" for c, n in LONDON_AUTHORITIES.items() for m in (1, 2)]
    return "\n".join(lines) + "\n"


def _population_text() -> str:
    lines = ["Area code,Area name,Mid-2023,Females 16+"]
    lines += [f"{c},{n},{1000 + i},{400 + i}" for i, (c, n) in enumerate(LONDON_AUTHORITIES.items())]
    return "\n".join(lines) + "\n"


def _head(path: Path, lines: int = 41) -> str:
    """The header and first data lines of a long embedded file (each fuzz case reads the whole file)."""
    return "".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[:lines])


def _bcu_areas_text() -> str:
    codes = list(LONDON_AUTHORITIES)
    return ("code,name,boroughs\n" + f"CE,Central East,{codes[11]};{codes[29]}\n"
            + f"NW,North West,{';'.join(codes[2:5])}\n"
            + "WA,West Area,Hammersmith and Fulham;Kensington and Chelsea\n")


def _scored(bids=SCORING / "bids.csv", scores=SCORING / "scores.csv", moderation=SCORING / "moderation.csv"):
    return score_bids(RULES, read_bids(bids), read_scores(scores), read_moderation(moderation))


# name -> (valid text, suffix, reader(path))
READERS = {
    "population.csv": ((DATA / "population.csv").read_text(encoding="utf-8"), ".csv",
                       lambda p: read_population(p, LONDON_AUTHORITIES)),
    "demand.csv": ((DATA / "demand.csv").read_text(encoding="utf-8"), ".csv",
                   lambda p: read_demand(p, LONDON_AUTHORITIES)),
    "services.csv": ((DATA / "services.csv").read_text(encoding="utf-8"), ".csv",
                     lambda p: read_services(p, LONDON_AUTHORITIES, SERVICE_TYPES)),
    "benchmarks.yaml": (BENCHMARKS_TEXT, ".yaml", load_benchmarks),
    "sources.yaml": ((DATA / "sources.yaml").read_text(encoding="utf-8"), ".yaml", read_sources),
    "rules.yaml": ((ROOT / "scoring_rules" / "default.yaml").read_text(encoding="utf-8"), ".yaml", load_rules),
    "bids.csv": ((SCORING / "bids.csv").read_text(encoding="utf-8"), ".csv", lambda p: _scored(bids=p)),
    "scores.csv": ((SCORING / "scores.csv").read_text(encoding="utf-8"), ".csv", lambda p: _scored(scores=p)),
    "moderation.csv": ((SCORING / "moderation.csv").read_text(encoding="utf-8"), ".csv",
                       lambda p: _scored(moderation=p)),
    "mps-crime": (_mps_crime_text(), ".csv", lambda p: importers.mps_crime(p, months=2)),
    "mps-vawg": (_vawg_text(), ".csv", lambda p: importers.mps_vawg(p, months=2)),
    "ons-population": (_population_text(), ".csv",
                       lambda p: importers.ons_population(p, DATA / "population.csv")),
    "services register": ((ROOT / "tests" / "fixtures" / "needs" / "services_register.csv").read_text(encoding="utf-8"),
                          ".csv", lambda p: importers.services_register(p, DATA / "benchmarks.yaml")),
    "returns.csv": (_head(DATA / "returns" / "returns_illustrative.csv"), ".csv",
                    lambda p: read_returns(p, SERVICE_TYPES)),
    "satisfaction results.csv": ((DATA / "satisfaction" / "results.csv").read_text(encoding="utf-8"), ".csv",
                                 read_results),
    "satisfaction BCU areas.csv": (_bcu_areas_text(), ".csv", read_areas),
    "satisfaction provider returns.csv": (_head(DATA / "satisfaction" / "provider_returns_illustrative.csv"), ".csv",
                                          read_returns_satisfaction),
    "satisfaction targets.yaml": ((DATA / "satisfaction" / "targets.yaml").read_text(encoding="utf-8"), ".yaml",
                                  read_targets),
}


@st.composite
def mangled(draw, text: str) -> bytes:
    """``text`` changed by one to three mutations, as bytes (random bytes once in a while)."""
    if draw(st.integers(0, 19)) == 0:
        return draw(st.binary(max_size=400))
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["cut", "insert", "replace", "duplicate", "drop"]))
        at = draw(st.integers(0, len(text)))
        if op == "cut":
            text = text[:at]
        elif op == "insert":
            text = text[:at] + draw(st.sampled_from(TOKENS) | st.text(max_size=8)) + text[at:]
        elif op == "replace":
            end = min(len(text), at + draw(st.integers(1, 12)))
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[end:]
        else:
            lines = text.splitlines(keepends=True)
            if lines:
                i = draw(st.integers(0, len(lines) - 1))
                lines[i:i + 1] = [lines[i], lines[i]] if op == "duplicate" else []
                text = "".join(lines)
    return text.encode("utf-8", errors="surrogatepass")


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


def fuzz(path: Path, cases, reader) -> None:
    """Write each of hypothesis's ``cases`` (bytes) to ``path`` and read it: InputError or nothing."""
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=cases)
    def check(data: bytes) -> None:
        path.write_bytes(data)
        try:
            reader(path)
        except InputError as err:
            assert len(str(err)) <= 2000  # a message, not the file

    check()


@pytest.mark.parametrize("name", list(READERS))
def test_reader_gives_only_input_errors(folder, name):
    text, suffix, reader = READERS[name]
    path = folder / f"fuzz{suffix}"
    reader(_write(path, text))  # the unmangled file is valid: the fuzz starts from a good input
    fuzz(path, mangled(text), reader)


CSV_READERS = [name for name, (_, suffix, _) in READERS.items() if suffix == ".csv"]


@pytest.mark.parametrize("name", CSV_READERS)
def test_a_csv_cut_inside_its_last_line_is_refused(folder, name):
    """Issue 22: a file cut short ("300,2" for "300,240") is refused, never read as a smaller
    number: every cut inside the last line's figures gives an InputError."""
    text, suffix, reader = READERS[name]
    body = text.rstrip("\n")
    start = body.rfind("\n") + 1
    for cut in sorted({len(body) - 1, len(body) - 2, (start + len(body)) // 2}):
        if cut <= start:
            continue
        with pytest.raises(InputError):
            reader(_write(folder / f"cut{suffix}", body[:cut]))


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# The workbooks (XLSX: returns, bids): mangled as bytes, and as the XML inside a well-formed zip
# ---------------------------------------------------------------------------------------------

def _xlsx_bytes(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _filled_return() -> bytes:
    """The returns template filled in for two service types, as XLSX bytes."""
    book = build_template({s: s.upper() for s in SERVICE_TYPES}, organisation="Acme Trust", quarter="2026Q3")
    book[SERVICE_TYPES[0]].append(["Hackney", 2.5, 40, 4, 30, 6.5, 12, 10, "two new posts"])
    book[SERVICE_TYPES[0]].append(["London", 1, None, None, None, None, None, None, None])
    book[SERVICE_TYPES[-1]].append(["Camden", 3, 30, 9, 11, 2, None, None, None])
    return _xlsx_bytes(book)


def _bids_workbook() -> bytes:
    """The scoring fixture's bids.csv as an XLSX workbook (the bid reader takes either)."""
    from openpyxl import Workbook

    book = Workbook()
    for row in csv.reader((SCORING / "bids.csv").read_text(encoding="utf-8").splitlines()):
        book.active.append(row)
    return _xlsx_bytes(book)


# name -> (valid workbook, reader(path), rows the valid workbook gives)
WORKBOOKS = {
    "returns.xlsx": (_filled_return(), lambda p: read_returns(p, SERVICE_TYPES), 3),
    "bids.xlsx": (_bids_workbook(), read_bid_file, len(read_bids(SCORING / "bids.csv"))),
}


@st.composite
def mangled_bytes(draw, data: bytes) -> bytes:
    """``data`` with one to three byte ranges cut, overwritten or inserted."""
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["cut", "overwrite", "insert"]))
        at = draw(st.integers(0, len(data)))
        if op == "cut":
            data = data[:at]
        elif op == "overwrite":
            noise = draw(st.binary(min_size=1, max_size=16))
            data = data[:at] + noise + data[at + len(noise):]
        else:
            data = data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]
    return data


def rezipped(data: bytes, change) -> bytes:
    """The zip ``data`` with its parts ({name: bytes}) changed in place by ``change``, zipped again."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    change(parts)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, content in parts.items():
            zipped.writestr(name, content)
    return out.getvalue()


@st.composite
def mangled_members(draw, data: bytes) -> bytes:
    """A well-formed zip whose XML parts (a sheet, the shared strings, the workbook) are mangled as text."""
    def change(parts: dict[str, bytes]) -> None:
        targets = sorted(name for name in parts if name.endswith(".xml") and name.startswith("xl/"))
        for name in draw(st.lists(st.sampled_from(targets), min_size=1, max_size=2, unique=True)):
            parts[name] = draw(mangled(parts[name].decode("utf-8")))

    return rezipped(data, change)


@pytest.mark.parametrize("strategy", [mangled_bytes, mangled_members])
@pytest.mark.parametrize("name", list(WORKBOOKS))
def test_workbook_reader_gives_only_input_errors(folder, name, strategy):
    workbook, reader, rows = WORKBOOKS[name]
    path = folder / "fuzz.xlsx"
    path.write_bytes(workbook)
    assert len(reader(path)) == rows   # the unmangled workbook is valid
    fuzz(path, strategy(workbook), reader)
