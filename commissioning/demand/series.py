"""Monthly demand series: the long file ``code, name, month, <measure columns>``, read and checked.

This is the layout of the shared MPS VAWG file (``month`` as ``YYYY-MM``; one row per borough and
month; every other column a measure holding counts). Every problem is an
:class:`~commissioning.errors.InputError` naming file, line and column: a duplicate header, a bad
month, a count that is not a finite number >= 0, the same borough and month twice, or a month
missing from the middle of a borough's series. Blank counts are refused too: a series with holes
cannot be forecast, and a blank here would otherwise be read as zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from commissioning.boroughs import resolve_code
from commissioning.errors import InputError, csv_line
from commissioning.needs.tables import read_table

SERIES_KEYS = ["code", "name", "month"]
SERIES_DIR = "series"
_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True)
class MonthlySeries:
    """Validated monthly counts. ``frame``: code, name, month (``pd.Period``, freq M), then one float
    column per measure; sorted by code and month. ``names``: {code: name}."""

    frame: pd.DataFrame
    measures: tuple[str, ...]
    path: Path | None = None

    @property
    def names(self) -> dict[str, str]:
        return dict(zip(self.frame["code"], self.frame["name"]))

    @property
    def codes(self) -> list[str]:
        return list(dict.fromkeys(self.frame["code"]))

    @property
    def first_month(self) -> pd.Period:
        return self.frame["month"].min()

    @property
    def last_month(self) -> pd.Period:
        return self.frame["month"].max()

    def matrix(self, measure: str) -> pd.DataFrame:
        """Counts of one measure: index = months (PeriodIndex), columns = codes."""
        if measure not in self.measures:
            raise InputError(f"no measure {measure!r} in the series", file=self.path,
                             expected=f"one of {list(self.measures)}")
        return self.frame.pivot(index="month", columns="code", values=measure).sort_index()

    def until(self, month: str | pd.Period) -> "MonthlySeries":
        """The series with every month after ``month`` left out (for backtests)."""
        last = parse_month(month, "--until") if isinstance(month, str) else month
        kept = self.frame.loc[self.frame["month"] <= last]
        if kept.empty:
            raise InputError(f"--until {last} is before the first month of the series ({self.first_month})",
                             file=self.path, expected="a month the series covers")
        return MonthlySeries(kept.reset_index(drop=True), self.measures, self.path)


def parse_month(text: str, file=None, line=None, column=None) -> pd.Period:
    match = _MONTH.fullmatch(str(text).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InputError(f"{text!r} is not a month", file=file, line=line, column=column,
                         expected="a month as YYYY-MM, e.g. 2026-02")
    return pd.Period(year=int(match.group(1)), month=int(match.group(2)), freq="M")


def read_series(path: str | Path, authorities: dict[str, str] | None = None,
                measures: list[str] | None = None) -> MonthlySeries:
    """Read a long monthly series file; ``measures`` (default: every column after month) are checked."""
    path = Path(path)
    return series_from_table(read_table(path, SERIES_KEYS), path, authorities, measures)


def series_from_table(frame: pd.DataFrame, path: Path, authorities: dict[str, str] | None = None,
                      measures: list[str] | None = None) -> MonthlySeries:
    """Check a table of text cells read from ``path`` (its index = 0-based data row, for line numbers)."""
    measures = measures or [c for c in frame.columns if c not in SERIES_KEYS]
    if not measures:
        raise InputError("no measure columns", file=path, line=1,
                         expected="at least one count column after code, name, month (e.g. vawg_offences)")
    missing = [m for m in measures if m not in frame.columns]
    if missing:
        raise InputError(f"no column {missing[0]!r}; found {list(frame.columns)}", file=path, line=1,
                         column=missing[0], expected=f"columns code, name, month, {', '.join(measures)}")
    rows = frame.index.to_numpy()
    codes = []
    for i, code, name in zip(rows, frame["code"], frame["name"]):
        value, column = (code, "code") if code else (name, "name")
        codes.append(resolve_code(value, file=path, line=csv_line(i), column=column, authorities=authorities))
    months = [parse_month(m, path, csv_line(i), "month") for i, m in zip(rows, frame["month"])]
    out = pd.DataFrame({"code": codes, "month": months, "name": frame["name"].to_numpy(), "row": rows})
    for measure in measures:
        text = frame[measure].str.replace(",", "", regex=False)
        values = pd.to_numeric(text.where(text != "", None), errors="coerce").astype(float)
        bad = values.isna() | ~np.isfinite(values) | (values < 0)
        if bad.any():
            j = int(np.flatnonzero(bad.to_numpy())[0])
            shown = frame[measure].iloc[j]
            raise InputError(f"{shown!r} is not a count" if shown else "blank count", file=path,
                             line=csv_line(rows[j]), column=measure,
                             expected="a finite number >= 0 (every month needs a figure)")
        out[measure] = values.to_numpy()
    dup = out.duplicated(["code", "month"])
    if dup.any():
        j = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(f"{out['code'].iloc[j]} {out['month'].iloc[j]} appears twice", file=path,
                         line=csv_line(rows[j]), column="month", expected="one row per borough and month")
    out = out.sort_values(["code", "month"], kind="stable")
    ordinal = np.array([p.ordinal for p in out["month"]])
    same = out["code"].to_numpy()[1:] == out["code"].to_numpy()[:-1]
    gap = np.flatnonzero(same & (np.diff(ordinal) != 1))
    if len(gap):
        after = out.iloc[gap[0] + 1]
        missing_month = out["month"].iloc[gap[0]] + 1
        raise InputError(f"{after['code']} has no row for {missing_month} (next month given: {after['month']})",
                         file=path, line=csv_line(int(after["row"])), column="month",
                         expected="every month from a borough's first to its last")
    if authorities is not None:
        out["name"] = out["code"].map(authorities)
    else:
        out["name"] = out["code"].map(out.groupby("code")["name"].first())
    return MonthlySeries(out[SERIES_KEYS + measures].reset_index(drop=True), tuple(measures), path)


def series_table(series: MonthlySeries) -> pd.DataFrame:
    """The series as text cells in the file layout (month as YYYY-MM, counts without '.0')."""
    out = series.frame.copy()
    out["month"] = out["month"].astype(str)
    for measure in series.measures:
        out[measure] = [str(int(v)) if float(v).is_integer() else f"{v:g}" for v in out[measure]]
    return out


def load_series_dir(data_dir: str | Path) -> dict[str, MonthlySeries]:
    """Every series in ``DIR/series/*.csv`` by measure ({measure: the series holding it}); empty
    when the folder does not exist. A measure in two files is refused."""
    folder = Path(data_dir) / SERIES_DIR
    out: dict[str, MonthlySeries] = {}
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        series = read_series(path)
        for measure in series.measures:
            if measure in out:
                raise InputError(f"measure {measure!r} is also in {out[measure].path.name}", file=path, line=1,
                                 column=measure, expected="each measure in one series file")
            out[measure] = series
    return out
