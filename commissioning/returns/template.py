"""The XLSX returns template a support organisation fills in (openpyxl).

Sheets: ``Instructions`` (what each figure means and its unit), ``Return`` (organisation in B1,
quarter in B2, chosen from a list), one sheet per service type (header row ``code, capacity, ...``;
the borough column offers the boroughs and ``London`` as a list, counts accept only whole numbers
>= 0) and a hidden ``Lists`` sheet that feeds the lists. :mod:`commissioning.returns.reader` reads
it back.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation

from commissioning.boroughs import LONDON_AUTHORITIES
from commissioning.errors import InputError
from commissioning.returns.layout import COUNTS, LABELS, MEASURES, PAN_LONDON
from commissioning.returns.quarters import describe, span
from commissioning.returns.reader import RETURN_SHEET, SERVICE_SHEET_COLUMNS

ROWS = 200  # rows of each service sheet that carry the validation lists


def build_template(service_labels: dict[str, str], *, organisation: str = "", quarter: str = "",
                   quarters: list[str] | None = None) -> Workbook:
    """The workbook: ``service_labels`` maps service type -> label (e.g. from the benchmarks)."""
    quarters = quarters or span("2025Q1", "2028Q4")
    book = Workbook()
    guide = book.active
    guide.title = "Instructions"
    lines = [
        ("Quarterly return: provision, referrals and client satisfaction", True),
        ("", False),
        ((f"1. On the '{RETURN_SHEET}' sheet, give your organisation's name (B1) and the quarter (B2). "
          "Quarters are calendar quarters: 2026Q3 is July-September 2026."), False),
        (("2. On each service type's sheet, give one row per borough you serve (its name or ONS code), "
          "or 'London' for pan-London work. Leave a sheet empty if you do not run that service."), False),
        ("3. Leave a cell blank when you do not have the figure. Blank means 'not reported', never zero.", False),
        ("4. Several rows for the same borough are added up.", False),
        ("5. Upload the file on the app's 'Quarterly returns' page, or send it to your commissioner.", False),
        ("", False),
        ("Service types (one sheet each)", True),
    ] + [(f"{service}: {label}", False) for service, label in service_labels.items()] + [
        ("", False),
        ("Columns", True),
    ] + [(f"{column}: {LABELS[column]}" + (" (whole number)" if column in COUNTS else ""), False)
         for column in SERVICE_SHEET_COLUMNS] + [
        ("", False),
        ("Refuge addresses: never write a refuge's address or location anywhere in this return.", True),
    ]
    for row, (text, bold) in enumerate(lines, start=1):
        cell = guide.cell(row=row, column=1, value=text)
        cell.font = Font(bold=bold, size=14 if row == 1 else 11)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    guide.column_dimensions["A"].width = 110

    lists = book.create_sheet("Lists")
    places = list(LONDON_AUTHORITIES.values()) + [PAN_LONDON]
    for row, name in enumerate(places, start=1):
        lists.cell(row=row, column=1, value=name)
    for row, q in enumerate(quarters, start=1):
        lists.cell(row=row, column=2, value=q)
    lists.sheet_state = "hidden"

    about = book.create_sheet(RETURN_SHEET, 1)
    for row, (label, value) in enumerate([("Support organisation", organisation), ("Quarter", quarter),
                                          ("Notes", "")], start=1):
        about.cell(row=row, column=1, value=label).font = Font(bold=True)
        about.cell(row=row, column=2, value=value or None)
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 60
    pick = DataValidation(type="list", formula1=f"=Lists!$B$1:$B${len(quarters)}", allow_blank=False,
                          showErrorMessage=True, errorTitle="Quarter",
                          error="Choose a calendar quarter such as 2026Q3.")
    about.add_data_validation(pick)
    pick.add("B2")
    about.cell(row=5, column=1, value="Quarters: " + "; ".join(f"{q} = {describe(q)}" for q in quarters[:4]) + " ...")

    for service, label in service_labels.items():
        sheet = book.create_sheet(service)
        for column, name in enumerate(SERVICE_SHEET_COLUMNS, start=1):
            cell = sheet.cell(row=1, column=column, value=name)
            cell.font = Font(bold=True)
            sheet.column_dimensions[cell.column_letter].width = 22 if name != "notes" else 50
        sheet.freeze_panes = "A2"
        sheet.sheet_properties.tabColor = "1D70B8"
        borough = DataValidation(type="list", formula1=f"=Lists!$A$1:$A${len(places)}", allow_blank=True,
                                 showErrorMessage=True, errorTitle="Borough",
                                 error="Choose a London borough, or London for pan-London work.")
        counts = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                showErrorMessage=True, errorTitle="Count", error="A whole number, 0 or more.")
        amounts = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                 showErrorMessage=True, errorTitle="Number", error="A number, 0 or more.")
        for validation in (borough, counts, amounts):
            sheet.add_data_validation(validation)
        borough.add(f"A2:A{ROWS + 1}")
        for column, name in enumerate(SERVICE_SHEET_COLUMNS, start=1):
            letter = sheet.cell(row=1, column=column).column_letter
            if name in COUNTS:
                counts.add(f"{letter}2:{letter}{ROWS + 1}")
            elif name in MEASURES:
                amounts.add(f"{letter}2:{letter}{ROWS + 1}")
    return book


def write_template(path: str | Path, service_labels: dict[str, str], **kwargs) -> Path:
    """Write the template atomically (a temporary file, then renamed)."""
    path = Path(path)
    if not path.parent.exists():
        raise InputError("output folder does not exist", file=path.parent)
    tmp = path.with_name(path.name + ".part")
    try:
        build_template(service_labels, **kwargs).save(tmp)
        tmp.replace(path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write: {err.strerror}", file=path) from None
    return path
