"""Issue 12 (input half): every hole found when the toolkit was attacked, as a regression test.

Each test goes through the public readers or the CLI (``commissioning.cli.main``), so it states
what a user sees: an :class:`InputError` naming file, line and column, exit code 2, no traceback,
no confidential value, nothing half-written.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from test_fuzz_readers import WORKBOOKS, rezipped

from commissioning.boroughs import LONDON_AUTHORITIES
from commissioning.cli import main
from commissioning.errors import InputError
from commissioning.needs.dataset import load_dataset
from commissioning.needs.models import load_benchmarks
from commissioning.procurement.bid_files import read_bids, read_moderation, read_scores
from commissioning.procurement.rules import load_rules
from commissioning.procurement.scoring import score_bids

ROOT = Path(__file__).resolve().parents[2]
SCORING = ROOT / "tests" / "fixtures" / "scoring"
REFUGE_LAT = "51.52481"  # S003's latitude in data/services.csv (line 4), a refuge


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def load_error(data_dir: Path, **kwargs) -> InputError:
    with pytest.raises(InputError) as caught:
        load_dataset(data_dir, **kwargs)
    return caught.value


def scoring_copy(tmp_path: Path) -> Path:
    target = tmp_path / "scoring"
    shutil.copytree(SCORING, target)
    return target


def score_args(folder: Path, *extra) -> list:
    return ["score", "--rules", folder / "rules.yaml", "--bids", folder / "bids.csv",
            "--scores", folder / "scores.csv", "--moderation", folder / "moderation.csv", *extra]


# ---------------------------------------------------------------------------------------------
# 1. A refuge's coordinates never appear in an error


def test_malformed_refuge_latitude_is_located_but_not_echoed(tmp_data_dir, capsys):
    path = tmp_data_dir / "services.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(f",{REFUGE_LAT},", f",{REFUGE_LAT} N,", 1),
                    encoding="utf-8")
    err = load_error(tmp_data_dir)
    assert (err.line, err.column) == (4, "lat")
    assert REFUGE_LAT not in str(err) and "0.12806" not in str(err)
    code, _, stderr = cli(capsys, "assess", "--data", tmp_data_dir)
    assert code == 2 and "services.csv, line 4, column 'lat'" in stderr
    assert REFUGE_LAT not in stderr and "Traceback" not in stderr


# ---------------------------------------------------------------------------------------------
# 5. Truncated files are refused, never read as fewer rows


def test_demand_cut_mid_file_is_refused(tmp_data_dir, capsys):
    path = tmp_data_dir / "demand.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) * 3 // 4], encoding="utf-8")  # cut inside a line
    code, out, err = cli(capsys, "assess", "--data", tmp_data_dir, "--format", "csv")
    assert code == 2 and out == "" and "demand.csv" in err and "cut short" in err


def test_demand_missing_whole_rows_names_the_authorities(tmp_data_dir):
    path = tmp_data_dir / "demand.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-27]), encoding="utf-8")  # cut at a line break: 27 rows lost
    err = load_error(tmp_data_dir)
    assert err.file == path and "no domestic_abuse_offences row for" in str(err)
    last = pd.read_csv(ROOT / "data" / "demand.csv", dtype=str).iloc[-1]
    assert f"{last['code']} {LONDON_AUTHORITIES[last['code']]}" in str(err) or "more" in str(err)


@pytest.mark.parametrize("file, lines", [("population.csv", 5), ("services.csv", 9)])
def test_last_row_with_too_few_fields_is_refused(tmp_data_dir, file, lines):
    path = tmp_data_dir / file
    kept = path.read_text(encoding="utf-8").splitlines()[:lines]
    kept[-1] = ",".join(kept[-1].split(",")[:3])
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    err = load_error(tmp_data_dir)
    assert err.file == path and err.line == lines and "fields, the header has" in str(err)


def test_truncated_moderation_does_not_drop_a_decision(tmp_path, capsys):
    folder = scoring_copy(tmp_path)
    moderation = folder / "moderation.csv"
    moderation.write_text(moderation.read_text(encoding="utf-8").rstrip("\n")[:-10], encoding="utf-8")
    code, out, err = cli(capsys, *score_args(folder))
    assert code == 2 and out == "" and "moderation.csv, line 2" in err


@pytest.mark.parametrize("row", [",,,", "A2,Q3"])
def test_moderation_row_that_does_not_parse_is_an_error(tmp_path, row):
    folder = scoring_copy(tmp_path)
    moderation = folder / "moderation.csv"
    moderation.write_text(moderation.read_text(encoding="utf-8") + row + "\n", encoding="utf-8")
    rules = load_rules(folder / "rules.yaml")
    with pytest.raises(InputError) as caught:
        score_bids(rules, read_bids(folder / "bids.csv"), read_scores(folder / "scores.csv"),
                   read_moderation(moderation))
    assert caught.value.line == 3


def test_unclosed_quote_at_the_end_is_refused(tmp_data_dir):
    path = tmp_data_dir / "population.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.rindex('"') - 3] + "\n", encoding="utf-8")  # cut inside the last quoted cell
    err = load_error(tmp_data_dir)
    assert err.file == path and "cut short" in str(err)


def test_scores_cut_short_are_refused(tmp_path):
    folder = scoring_copy(tmp_path)
    scores = folder / "scores.csv"
    scores.write_text(scores.read_text(encoding="utf-8").rstrip("\n"), encoding="utf-8")
    with pytest.raises(InputError, match="cut short"):
        read_scores(scores)


# ---------------------------------------------------------------------------------------------
# 6. Non-finite and overflowing numbers


@pytest.mark.parametrize("file, old, new, line, column", [
    ("population.csv", ",9721,", ",inf,", None, "population"),
    ("services.csv", ",3.5,", ",1e999,", 2, "capacity"),
    ("demand.csv", ",60,", ",inf,", 2, "value"),
])
def test_non_finite_number_in_a_data_file(tmp_data_dir, file, old, new, line, column):
    path = tmp_data_dir / file
    text = path.read_text(encoding="utf-8")
    if old not in text:  # population: take the first row's population cell whatever it is
        rows = list(csv.reader(text.splitlines()))
        old = f",{rows[1][rows[0].index(column)]},"
        line = 2
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    err = load_error(tmp_data_dir)
    assert (Path(err.file).name, err.line, err.column) == (file, line, column)


@pytest.mark.parametrize("value", [".inf", ".nan", "1.0e+999", "-.inf"])
def test_non_finite_number_in_benchmarks(tmp_data_dir, value):
    path = tmp_data_dir / "benchmarks.yaml"
    text = path.read_text(encoding="utf-8")
    assert "cases_per_fte: " in text
    path.write_text(text.replace("green_at: ", f"green_at: {value} #", 1), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_benchmarks(path)
    assert caught.value.line is not None and "finite" in str(caught.value)


@pytest.mark.parametrize("key, value", [("quality", ".nan"), ("abnormally_low", ".nan"), ("quality", ".inf"),
                                        ("abnormally_low", "1" + "0" * 400)])
def test_non_finite_or_overflowing_rules_number(tmp_path, key, value):
    text = (SCORING / "rules.yaml").read_text(encoding="utf-8")
    match = re.search(rf"\b{key}: ([0-9.]+)", text)  # weights.quality (line 4) or price.abnormally_low
    path = tmp_path / "rules.yaml"
    path.write_text(text[: match.start(1)] + value + text[match.end(1):], encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_rules(path)
    assert caught.value.line == text[: match.start()].count("\n") + 1


def test_fractional_offence_count_in_demand_is_refused(tmp_data_dir):
    path = tmp_data_dir / "demand.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",60,", ",60.5,", 1), encoding="utf-8")
    err = load_error(tmp_data_dir)
    assert (err.line, err.column) == (2, "value") and "60.5 is not a whole number" in str(err)


def test_importer_does_not_write_infinite_or_fractional_counts(tmp_data_dir, tmp_path, capsys):
    before = (tmp_data_dir / "demand.csv").read_bytes()
    for bad in ("inf", "2.5"):
        table = tmp_path / f"vawg_{bad}.csv"
        rows = ["code,name,month,vawg_offences,vawg_victims"]
        rows += [f"{c},{n},2026-02,{bad if i == 3 else 10},5" for i, (c, n) in enumerate(LONDON_AUTHORITIES.items())]
        table.write_text("\n".join(rows) + "\n", encoding="utf-8")
        code, _, err = cli(capsys, "import", "mps-vawg", table, "--months", "1", "--data", tmp_data_dir)
        assert code == 2, err
        assert f"line 5, column 'vawg_offences': '{bad}' is not a count" in err
    assert (tmp_data_dir / "demand.csv").read_bytes() == before


# ---------------------------------------------------------------------------------------------
# 10 and 15. YAML: aliases, billion laughs, duplicate keys; CSV: duplicate headers; clipped errors

LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8))


@pytest.mark.parametrize("target", ["rules", "benchmarks", "sources"])
def test_yaml_alias_is_refused(tmp_data_dir, target):
    small = "title: &t x\nother: *t\n"
    if target == "rules":
        path = tmp_data_dir / "rules.yaml"
        path.write_text(small + (SCORING / "rules.yaml").read_text(encoding="utf-8"), encoding="utf-8")
        call = lambda: load_rules(path)
    elif target == "benchmarks":
        path = tmp_data_dir / "benchmarks.yaml"
        path.write_text(path.read_text(encoding="utf-8") + "x: &t 1\ny: *t\n", encoding="utf-8")
        call = lambda: load_benchmarks(path)
    else:
        path = tmp_data_dir / "sources.yaml"
        path.write_text("- &s {id: a, name: b}\n- *s\n", encoding="utf-8")
        call = lambda: load_dataset(tmp_data_dir)
    with pytest.raises(InputError, match="anchors and aliases"):
        call()


@pytest.mark.parametrize("option", ["--rules", "--benchmarks"])
def test_billion_laughs_answered_in_under_a_second(tmp_path, capsys, option):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(LAUGHS, encoding="utf-8")
    folder = scoring_copy(tmp_path)
    argv = ["score", "--rules", bomb, "--bids", folder / "bids.csv", "--scores", folder / "scores.csv"] \
        if option == "--rules" else ["assess", "--benchmarks", bomb]
    start = time.perf_counter()
    code, _, err = cli(capsys, *argv)
    assert time.perf_counter() - start < 1.0
    assert code == 2 and "bomb.yaml, line 1: not valid YAML: anchors and aliases" in err


def test_duplicate_yaml_key_is_refused(tmp_path):
    text = (SCORING / "rules.yaml").read_text(encoding="utf-8")
    path = tmp_path / "rules.yaml"
    path.write_text(text + "title: a second title\n", encoding="utf-8")
    with pytest.raises(InputError, match="duplicate key 'title'") as caught:
        load_rules(path)
    assert caught.value.line == text.count("\n") + 1


@pytest.mark.parametrize("file, column", [("services.csv", "capacity"), ("population.csv", "population")])
def test_duplicate_csv_header_is_refused(tmp_data_dir, file, column):
    path = tmp_data_dir / file
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [line + ("," + column if i == 0 else ",1") for i, line in enumerate(lines)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    err = load_error(tmp_data_dir)
    assert (err.line, err.column) == (1, column) and "duplicate column" in str(err)


def test_huge_header_gives_a_short_error(tmp_data_dir):
    path = tmp_data_dir / "population.csv"
    path.write_text("code," + "x" * 5_000_000 + "\nE09000001,1\n", encoding="utf-8")
    err = load_error(tmp_data_dir)
    assert err.file == path and len(str(err)) < 1500


# ---------------------------------------------------------------------------------------------
# 11. Tracebacks: folders, impossible dates, unwritable outputs


@pytest.mark.parametrize("which", ["--rules", "--bids", "--scores", "--moderation", "--shortfall"])
def test_folder_given_as_a_score_input(tmp_path, capsys, which):
    folder = scoring_copy(tmp_path)
    argv = [*score_args(folder)]
    if which == "--shortfall":
        argv += ["--shortfall", tmp_path]
    else:
        argv[argv.index(which) + 1] = tmp_path
    code, _, err = cli(capsys, *argv)
    assert code == 2 and "is a folder" in err and "Traceback" not in err


@pytest.mark.parametrize("name", ["population.csv", "demand.csv", "services.csv", "benchmarks.yaml",
                                  "sources.yaml"])
def test_folder_in_place_of_a_data_file(tmp_data_dir, capsys, name):
    (tmp_data_dir / name).unlink()
    (tmp_data_dir / name).mkdir()
    code, _, err = cli(capsys, "assess", "--data", tmp_data_dir)
    assert code == 2 and f"{name}: is a folder" in err


@pytest.mark.parametrize("fmt", ["mps-crime", "mps-vawg", "ons-population", "services"])
def test_folder_given_to_an_importer(tmp_data_dir, tmp_path, capsys, fmt):
    code, _, err = cli(capsys, "import", fmt, tmp_path, "--data", tmp_data_dir, "--dry-run")
    assert code == 2 and "is a folder" in err


def test_impossible_timetable_date(tmp_path, capsys):
    folder = scoring_copy(tmp_path)
    rules = folder / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8") + "timetable:\n  award: 2027-02-30\n", encoding="utf-8")
    code, _, err = cli(capsys, *score_args(folder))
    assert code == 2 and "2027-02-30 is not a real date" in err


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
def test_import_onto_proc_is_a_message(tmp_data_dir, tmp_path, capsys):
    table = tmp_path / "vawg.csv"
    rows = ["code,name,month,vawg_offences,vawg_victims"]
    rows += [f"{c},{n},2026-02,10,5" for c, n in LONDON_AUTHORITIES.items()]
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = cli(capsys, "import", "mps-vawg", table, "--months", "1", "--data", tmp_data_dir,
                       "--out", "/proc/demand.csv")
    assert code == 2 and "cannot write" in err


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores folder permissions")
def test_import_into_a_read_only_folder_is_a_message(tmp_data_dir, tmp_path, capsys):
    table = tmp_path / "vawg.csv"
    rows = ["code,name,month,vawg_offences,vawg_victims"]
    rows += [f"{c},{n},2026-02,10,5" for c, n in LONDON_AUTHORITIES.items()]
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    tmp_data_dir.chmod(0o555)
    try:
        code, _, err = cli(capsys, "import", "mps-vawg", table, "--months", "1", "--data", tmp_data_dir)
    finally:
        tmp_data_dir.chmod(0o755)
    assert code == 2 and "cannot write" in err


def test_oversized_yaml_is_refused_before_parsing(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("# padding\n" * 300_000, encoding="utf-8")  # 3 MB, over the 2 MB cap
    with pytest.raises(InputError, match="over the limit of 2,000,000"):
        load_rules(path)


def test_error_quotes_are_clipped():
    err = InputError(f"{'x' * 10_000!r} is not a number", column="c" * 500)
    assert len(str(err)) < 300 and "…" in err.message and len(err.column) <= 80


# ---------------------------------------------------------------------------------------------
# A damaged XLSX workbook (found by tests/test_fuzz_readers.py): openpyxl let zlib.error,
# ParseError, TypeError and KeyError out of the returns reader (and the bid reader, while reading
# rows); both now read through safeio.read_workbook. WORKBOOKS: the fuzz test's valid workbooks.
# ---------------------------------------------------------------------------------------------

def _sheet_cut_short(parts):            # XML not well formed: ParseError while reading rows
    sheets = sorted(n for n in parts if n.startswith("xl/worksheets/"))
    parts[sheets[-1]] = parts[sheets[-1]][:len(parts[sheets[-1]]) // 2]


def _workbook_attribute_renamed(parts):  # a part with an attribute openpyxl does not know: TypeError
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b"sheetId=", b"sheetIdX=")


def _deflate_stream_damaged(data: bytes) -> bytes:  # zlib.error (or a bad CRC) while reading a sheet
    start = data.index(b"xl/worksheets/sheet1.xml") + len(b"xl/worksheets/sheet1.xml")
    return data[:start + 40] + bytes(b ^ 0x5A for b in data[start + 40:start + 60]) + data[start + 60:]


@pytest.mark.parametrize("damage", [lambda d: rezipped(d, _sheet_cut_short),
                                    lambda d: rezipped(d, _workbook_attribute_renamed), _deflate_stream_damaged],
                         ids=["sheet cut short", "unknown attribute", "deflate stream damaged"])
@pytest.mark.parametrize("which", list(WORKBOOKS))
def test_a_damaged_workbook_is_an_input_error_naming_the_file(tmp_path, which, damage):
    good, read, rows = WORKBOOKS[which]
    path = tmp_path / which
    path.write_bytes(good)
    assert len(read(path)) == rows                       # the undamaged workbook is read
    path.write_bytes(damage(good))
    with pytest.raises(InputError, match=rf"{re.escape(which)}.*cannot read the workbook \(\w+\)"):
        read(path)


# --- issue 22, item 10: workbooks -----------------------------------------------------------------

def _book_bytes(rows) -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_formula_with_no_saved_value_is_an_error_naming_the_cell(tmp_path):
    from commissioning.safeio import read_workbook

    path = tmp_path / "f.xlsx"
    path.write_bytes(_book_bytes([["code", "referrals"], ["Hackney", 40], ["Camden", "=B2*2"]]))
    with pytest.raises(InputError, match="sheet 'Sheet', cell B3 holds a formula with no saved value"):
        read_workbook(path)


def test_rows_beyond_a_stale_dimension_are_read(tmp_path):
    import zipfile

    from commissioning.safeio import read_workbook

    rows = [["code", "referrals"]] + [[f"row {i}", i] for i in range(1, 6)]
    path = tmp_path / "stale.xlsx"
    path.write_bytes(_book_bytes(rows))
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    assert '<dimension ref="A1:B6" />' in sheet
    parts["xl/worksheets/sheet1.xml"] = sheet.replace('<dimension ref="A1:B6" />', '<dimension ref="A1:B2" />').encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    assert read_workbook(path)["Sheet"] == [tuple(r) for r in rows]


def test_a_decompression_bomb_is_refused_before_unpacking(tmp_path):
    import zipfile

    from commissioning.safeio import MAX_XLSX_UNPACKED, read_workbook

    path = tmp_path / "bomb.xlsx"
    path.write_bytes(_book_bytes([["code"], ["Hackney"]]))
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z, z.open("xl/media/padding.bin", "w", force_zip64=True) as f:
        chunk = b"\0" * 1_000_000
        for _ in range(MAX_XLSX_UNPACKED // len(chunk) + 1):
            f.write(chunk)
    assert path.stat().st_size < 1_000_000           # under 1 MB packed, over 200 MB unpacked
    started = time.perf_counter()
    with pytest.raises(InputError, match=r"the workbook unpacks to 201,\d{3},\d{3} bytes, over the limit of 200,000,000"):
        read_workbook(path)
    assert time.perf_counter() - started < 2


# --- issue 22, item 7: tracebacks that are now clean exit 2s ------------------------------------------

@pytest.mark.parametrize("dpi", ["0", "-5", "20000"])
def test_report_dpi_outside_its_range_is_refused(tmp_path, capsys, dpi):
    with pytest.raises(SystemExit) as exit_:
        main(["report", "--kind", "needs", "--out", str(tmp_path / "n.pdf"), f"--dpi={dpi}"])
    assert exit_.value.code == 2 and f"{dpi} dots per inch is outside 50-600" in capsys.readouterr().err
    assert not (tmp_path / "n.pdf").exists()


def test_a_yaml_key_that_is_a_list_is_refused(tmp_path, capsys):
    targets = tmp_path / "t.yaml"
    targets.write_text("targets:\n  ? [a, b]\n  : 1\n", encoding="utf-8")
    assert main(["satisfaction", "report", "--targets", str(targets)]) == 2
    assert "line 2: not valid YAML: a key must be a single value" in capsys.readouterr().err
