"""What the app's returns pages read and build (no Streamlit): the provider's form rows checked like a
file, the provider's and the commissioner's tables, and the public page's inputs."""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from pathlib import Path

import pandas as pd

from commissioning.boroughs import LONDON_AUTHORITIES
from commissioning.errors import InputError
from commissioning.returns.layout import MEASURES, PAN_LONDON
from commissioning.returns.quarters import check_quarter, shift
from commissioning.returns.reader import check_row, combine, read_returns

FORM_COLUMNS = ["service", "borough"] + MEASURES + ["notes"]
PLACES = list(LONDON_AUTHORITIES.values()) + [PAN_LONDON]
STATUS_LABELS = {"submitted": "awaiting review", "queried": "queried: please correct", "approved": "approved",
                 "not returned": "not returned"}


def current_quarter(today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


def recent_quarters(today: dt.date | None = None, back: int = 5) -> list[str]:
    """The current quarter and the ``back`` before it, newest first (in order: the quarter just
    ended, :func:`quarter_just_ended`, is the one usually reported and comes second)."""
    now = current_quarter(today)
    return [shift(now, -i) for i in range(back + 1)]


def quarter_just_ended(today: dt.date | None = None) -> str:
    return shift(current_quarter(today), -1)


def blank_form(service_types: list[str]) -> pd.DataFrame:
    return pd.DataFrame([{"service": service_types[0], "borough": None, **{m: None for m in MEASURES},
                          "notes": ""}], columns=FORM_COLUMNS)


def form_from_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """A stored return's rows as the form's editable table (boroughs by name)."""
    if rows.empty:
        return pd.DataFrame(columns=FORM_COLUMNS)
    out = rows.copy()
    out["borough"] = [PAN_LONDON if c == PAN_LONDON else LONDON_AUTHORITIES.get(c, c) for c in out["code"]]
    return out[FORM_COLUMNS].reset_index(drop=True)


def rows_from_form(form: pd.DataFrame, organisation: str, quarter: str, service_types: list[str]) -> pd.DataFrame:
    """The form's rows checked exactly like a CSV (``form row N`` in every error), added up by borough."""
    quarter = check_quarter(quarter)
    records = []
    for i, row in enumerate(form.to_dict("records"), start=1):
        text = {k: "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for k, v in row.items()}
        if not any(text.get(c, "").strip() for c in ["borough"] + MEASURES):
            continue
        text |= {"provider": organisation, "quarter": quarter, "code": text.pop("borough", "")}
        record = check_row(text, service_types, file="the form", line=i)
        if record is not None:
            records.append(record)
    if not records:
        raise InputError("the form has no figures", file="the form",
                         expected="at least one row with a borough and a figure")
    return combine(pd.DataFrame(records))


def rows_from_upload(name: str, data: bytes, service_types: list[str]) -> pd.DataFrame:
    """An uploaded template or CSV, read and checked; it must hold one organisation's one quarter (the
    store then checks the organisation is the account's own)."""
    suffix = Path(name).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise InputError("not a returns file", file=name, expected="the .xlsx template or a .csv return")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            frame = read_returns(path, service_types)
        except InputError as err:   # name the file as the user knows it, not the temporary copy
            err.file = str(err.file).replace(str(path), name)
            raise err from None
    groups = frame.groupby(["provider", "quarter"]).size()
    if len(groups) != 1:
        raise InputError(f"{len(groups)} organisations or quarters in one file", file=name,
                         expected="one organisation's return for one quarter")
    return frame


def my_returns_table(headers: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Quarter": headers["quarter"], "Status": headers["status"].map(STATUS_LABELS),
        "Submitted": headers["submitted_at"].str[:16].str.replace("T", " "),
        "Query from the commissioner": headers["query_note"].fillna(""),
        "Basis": headers["basis"]})


def rows_table(rows: pd.DataFrame) -> pd.DataFrame:
    """A return's rows for display: Service, Borough and the figures (blank = not reported)."""
    out = rows.copy()
    out.insert(0, "Borough", [PAN_LONDON if c == PAN_LONDON else LONDON_AUTHORITIES.get(c, c) for c in out["code"]])
    return out[["service", "Borough"] + MEASURES + ["notes"]].rename(columns={"service": "Service"})


def review_table(status: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Organisation": status["provider"], "Status": status["status"].map(STATUS_LABELS).fillna(status["status"]),
        "Due": status["due"], "Late": ["LATE" if late else "" for late in status["late"]],
        "Submitted": status["submitted_at"], "Decided by": status["decided_by"],
        "Query": status["query_note"]})


def changes_table(diff: pd.DataFrame) -> pd.DataFrame:
    """Changes from the previous quarter for display; ``Large jump`` says "yes" where highlighted."""
    out = diff.copy()
    out["code"] = [PAN_LONDON if c == PAN_LONDON else LONDON_AUTHORITIES.get(c, c) for c in out["code"]]
    out["change_pct"] = [("" if math.isnan(v) else f"{v:+.0f}%") for v in out["change_pct"]]
    out["large"] = ["yes" if v else "" for v in out["large"]]
    return out.rename(columns={"service": "Service", "code": "Borough", "measure": "Figure", "previous": "Last quarter",
                               "current": "This quarter", "change": "Change", "change_pct": "Change %",
                               "large": "Large jump", "note": "Note"})
