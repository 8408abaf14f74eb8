"""Quarterly returns read from CSV and XLSX: the template round-trips, rows add up, and every malformed
return is refused with the place of the problem (file or sheet, row, column)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from openpyxl import load_workbook

from commissioning.errors import InputError
from commissioning.returns import quarters
from commissioning.returns.layout import COLUMNS
from commissioning.returns.reader import read_returns
from commissioning.returns.template import write_template

TYPES = ["idva", "isva", "refuge", "ld_advocate"]
LABELS = {"idva": "IDVA", "isva": "ISVA", "refuge": "Refuge", "ld_advocate": "LD advocate"}
HEADER = ",".join(COLUMNS)
GOOD = "Acme Trust,idva,2026Q3,Hackney,2.5,40,4,30,6.5,12,10"


def write(tmp_path: Path, text: str | bytes, name: str = "r.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_quarters_are_calendar_quarters():
    assert quarters.describe("2026Q3") == "July-September 2026"
    assert quarters.previous("2026Q1") == "2025Q4"
    assert quarters.span("2025Q4", "2026Q2") == ["2025Q4", "2026Q1", "2026Q2"]
    assert str(quarters.due_date("2026Q3")) == "2026-10-31"
    assert str(quarters.due_date("2026Q4")) == "2027-01-31"


def test_csv_rows_are_read_blank_is_not_zero_and_duplicates_add_up(tmp_path):
    rows = [
        HEADER, GOOD,
        "Acme Trust,idva,2026Q3,E09000012,1.5,20,,10,3.5,,",      # same borough by code: adds up
        "Acme Trust,refuge,2026Q3,London,8,,,,,,",               # pan-London, only capacity
        "", ""]
    path = write(tmp_path, "\n".join(rows))
    frame = read_returns(path, TYPES)
    assert len(frame) == 2
    idva = frame.loc[frame["service"] == "idva"].iloc[0]
    assert idva["code"] == "E09000012" and idva["capacity"] == 4.0 and idva["referrals"] == 60
    assert idva["referrals_refused"] == 4 and idva["clients_surveyed"] == 12
    # medians do not add: referral-weighted mean (6.5 x 40 + 3.5 x 20) / 60
    assert idva["waiting_days_median"] == pytest.approx((6.5 * 40 + 3.5 * 20) / 60)
    refuge = frame.loc[frame["service"] == "refuge"].iloc[0]
    assert refuge["code"] == "London" and refuge["capacity"] == 8
    assert math.isnan(refuge["referrals"])          # blank = not reported, never zero


def test_template_round_trip(tmp_path):
    template = write_template(tmp_path / "returns.xlsx", LABELS, organisation="Acme Trust", quarter="2026Q3")
    book = load_workbook(template)
    assert book.sheetnames == ["Instructions", "Return", "Lists", "idva", "isva", "refuge", "ld_advocate"]
    assert book["Lists"].sheet_state == "hidden"
    assert "calendar quarters" in " ".join(str(c.value) for c in book["Instructions"]["A"] if c.value)
    validations = {str(v.sqref): v.type for v in book["idva"].data_validations.dataValidation}
    assert validations["A2:A201"] == "list"                 # boroughs (and London) from the list
    assert validations["C2:C201 D2:D201 E2:E201 G2:G201 H2:H201"] == "whole"   # the five counts
    assert validations["B2:B201 F2:F201"] == "decimal"      # capacity, waiting days
    book["idva"].append(["Hackney", 2.5, 40, 4, 30, 6.5, 12, 10, "two new posts"])
    book["idva"].append(["London", 1, None, None, None, None, None, None, None])
    book["refuge"].append(["Camden", 12, 30, 9, 11, 2, None, None, None])
    book.save(tmp_path / "filled.xlsx")
    frame = read_returns(tmp_path / "filled.xlsx", TYPES)
    assert frame[["provider", "service", "quarter", "code"]].values.tolist() == [
        ["Acme Trust", "idva", "2026Q3", "E09000012"], ["Acme Trust", "idva", "2026Q3", "London"],
        ["Acme Trust", "refuge", "2026Q3", "E09000007"]]
    assert frame.iloc[0][["capacity", "referrals", "referrals_refused", "cases_open", "waiting_days_median",
                          "clients_surveyed", "clients_satisfied"]].tolist() == [2.5, 40, 4, 30, 6.5, 12, 10]
    assert frame.iloc[0]["notes"] == "two new posts"
    assert math.isnan(frame.iloc[1]["referrals"])


CSV_CASES = {  # name: (row or whole text, expected line, expected column, words in the message)
    "unknown service": ("Acme Trust,idvaa,2026Q3,Hackney,2,1,,,,,", 2, "service", "unknown service"),
    "quarter out of range": ("Acme Trust,idva,2026Q5,Hackney,2,1,,,,,", 2, "quarter", "2026Q5"),
    "quarter as a month": ("Acme Trust,idva,2026-09,Hackney,2,1,,,,,", 2, "quarter", "2026-09"),
    "unknown borough": ("Acme Trust,idva,2026Q3,Hackny,2,1,,,,,", 2, "code", "Hackny"),
    "borough outside London": ("Acme Trust,idva,2026Q3,E08000001,2,1,,,,,", 2, "code", "E08000001"),
    "blank provider": (",idva,2026Q3,Hackney,2,1,,,,,", 2, "provider", "blank provider"),
    "negative capacity": ("Acme Trust,idva,2026Q3,Hackney,-1,1,,,,,", 2, "capacity", "negative"),
    "NaN capacity": ("Acme Trust,idva,2026Q3,Hackney,nan,1,,,,,", 2, "capacity", "finite"),
    "infinite capacity": ("Acme Trust,idva,2026Q3,Hackney,inf,1,,,,,", 2, "capacity", "finite"),
    "overflowing count": ("Acme Trust,idva,2026Q3,Hackney,2,1,,1e400,,,", 2, "cases_open", "finite"),
    "fractional referrals": ("Acme Trust,idva,2026Q3,Hackney,2,12.5,,,,,", 2, "referrals", "whole"),
    "text referrals": ("Acme Trust,idva,2026Q3,Hackney,2,lots,,,,,", 2, "referrals", "not a number"),
    "refused over referrals": ("Acme Trust,idva,2026Q3,Hackney,2,5,6,,,,", 2, "referrals_refused", "more than"),
    "satisfied over surveyed": ("Acme Trust,idva,2026Q3,Hackney,2,5,,,,4,5", 2, "clients_satisfied", "more than"),
    "surveyed without satisfied": ("Acme Trust,idva,2026Q3,Hackney,2,5,,,,4,", 2, "clients_satisfied", "only one"),
    "negative waiting": ("Acme Trust,idva,2026Q3,Hackney,2,5,,,-3,,", 2, "waiting_days_median", "negative"),
    "no figures": ("Acme Trust,idva,2026Q3,Hackney,,,,,,,", 2, "capacity", "no figures"),
    "formula in provider": ("=HYPERLINK(\"http://x\"),idva,2026Q3,Hackney,2,1,,,,,", 2, "provider", "formula"),
    "truncated row": (GOOD + "\nAcme Trust,isva,2026Q3,Hackney,2", 3, None, "fields"),
    # issue 22: counts too large for any store column, and quarters no return can be for
    "count of 1e20": ("Acme Trust,idva,2026Q3,Hackney,2,1e20,,,,,", 2, "referrals", "more than 1,000,000"),
    "count of 2^31": ("Acme Trust,idva,2026Q3,Hackney,2,2147483648,,,,,", 2, "referrals", "more than 1,000,000"),
    "quarter 9999Q4": ("Acme Trust,idva,9999Q4,Hackney,2,1,,,,,", 2, "quarter", "outside 1990-2100"),
    "second row bad": (GOOD + "\nAcme Trust,isva,2026Q3,Camden,2,x,,,,,", 3, "referrals", "not a number"),
}


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_malformed_csv_rows_are_refused_with_their_place(tmp_path, case):
    body, line, column, words = CSV_CASES[case]
    path = write(tmp_path, HEADER + "\n" + body + "\n")
    with pytest.raises(InputError) as err:
        read_returns(path, TYPES)
    assert err.value.file == path and err.value.line == line and err.value.column == column, str(err.value)
    assert words in str(err.value)


@pytest.mark.parametrize("text, line, column, words", [
    (HEADER.replace("referrals,", "capacity,", 1) + "\n" + GOOD + "\n", 1, "capacity", "duplicate"),
    (HEADER.replace(",cases_open", "") + "\n", 1, "cases_open", "missing"),
    (b"", None, None, "empty"),
    ((HEADER + "\n" + GOOD.replace("Acme", "Ac\xe9me") + "\n").encode("latin-1"), 2, "provider", "UTF-8"),
    (HEADER + "\n" + '"Acme Trust,idva,2026Q3,Hackney,2,1,,,,,\n', 2, None, "not closed"),
    (HEADER + "\n", None, None, "no returned figures"),
    # issue 22: a file cut short ("300,2" for "300,240") is refused, not read as 2
    (HEADER + "\n" + GOOD, 2, None, "cut short"),
])
def test_malformed_csv_files_are_refused_with_their_place(tmp_path, text, line, column, words):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as err:
        read_returns(path, TYPES)
    assert err.value.line == line and err.value.column == column, str(err.value)
    assert words in str(err.value)


def _filled(tmp_path, change) -> Path:
    template = write_template(tmp_path / "t.xlsx", LABELS, organisation="Acme Trust", quarter="2026Q3")
    book = load_workbook(template)
    book["idva"].append(["Hackney", 2.5, 40, 4, 30, 6.5, 12, 10, None])
    change(book)
    book.save(tmp_path / "bad.xlsx")
    return tmp_path / "bad.xlsx"


@pytest.mark.parametrize("change, sheet, line, column, words", [
    (lambda b: b["idva"].append(["Hackny", 1]), "idva", 3, "code", "Hackny"),
    (lambda b: b["isva"].append(["Camden", 1, 3, 4]), "isva", 2, "referrals_refused", "more than"),
    (lambda b: b["Return"].__setitem__("B2", None), "Return", 2, "B", "quarter"),
    (lambda b: b["Return"].__setitem__("B1", None), "Return", 1, "B", "organisation"),
    (lambda b: b.create_sheet("helpline"), "helpline", None, None, "not a service type"),
    (lambda b: b["refuge"].__setitem__("B1", "code"), "refuge", 1, "code", "duplicate"),
])
def test_malformed_xlsx_returns_name_sheet_row_and_column(tmp_path, change, sheet, line, column, words):
    path = _filled(tmp_path, change)
    with pytest.raises(InputError) as err:
        read_returns(path, TYPES)
    assert f"sheet '{sheet}'" in str(err.value.file)
    assert err.value.line == line and err.value.column == column, str(err.value)
    assert words in str(err.value)


def test_not_a_workbook_and_no_return_sheet(tmp_path):
    fake = write(tmp_path, b"PK not really a zip", "fake.xlsx")
    with pytest.raises(InputError, match="cannot read the workbook"):
        read_returns(fake, TYPES)
    path = _filled(tmp_path, lambda b: b.remove(b["Return"]))
    with pytest.raises(InputError, match="no sheet 'Return'"):
        read_returns(path, TYPES)


def test_a_folder_and_an_impossible_quarter_are_clean_errors(tmp_path, capsys, monkeypatch):
    from commissioning.cli import main
    from commissioning.store import open_store

    monkeypatch.setenv("COMMISSIONING_DB", str(tmp_path / "s.sqlite"))
    open_store(tmp_path / "s.sqlite").create_user("boss", "lantern orbit meadow 42")
    assert main(["returns", "import", str(tmp_path), "--by", "boss"]) == 2
    assert "is a folder, not a file" in capsys.readouterr().err
    assert main(["returns", "status", "--quarter", "9999Q4"]) == 2
    assert "quarter '9999Q4' is outside 1990-2100" in capsys.readouterr().err
