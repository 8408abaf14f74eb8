"""MPS files -> the embedded monthly series in ``data/series/``, each with its ``sources.yaml`` citation.

====================================  ===========================================  ===============================
importer                              input                                        writes
====================================  ===========================================  ===============================
:func:`vawg_series`                   MPS VAWG by borough and month (long:         series/mps_vawg_monthly.csv
                                      code, name, month, vawg_offences,
                                      vawg_victims)
:func:`crime_series`                  London Datastore "MPS Borough Level Crime"   series/mps_sexual_offences_
                                      (wide: MajorText, MinorText, BoroughName,    monthly.csv (sexual_offences,
                                      YYYYMM...)                                   rape_offences)
====================================  ===========================================  ===============================

Both return an :class:`~commissioning.importers.Import`, written all-or-nothing by
:func:`~commissioning.importers.write_import` (``import mps-vawg FILE --series``). A newer download
replaces the months it holds; earlier months already in the embedded series are kept (the Borough
Level Crime file only carries the latest 24 months), provided no month is left missing in between.
Rows that are not a borough ("Unknown", "Other", airports) are left out and reported.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from commissioning.boroughs import LONDON_AUTHORITIES, is_ons_code, normalise_name
from commissioning.demand.series import (
    SERIES_DIR,
    SERIES_KEYS,
    MonthlySeries,
    parse_month,
    read_series,
    series_from_table,
    series_table,
)
from commissioning.errors import InputError
from commissioning.needs.importers.common import (
    MPS_LICENCE,
    MPS_PUBLISHER,
    NON_BOROUGH_LABELS,
    Import,
    _counts,
)
from commissioning.needs.importers.mps import borough_crime
from commissioning.needs.importers.writing import _revise_sources
from commissioning.needs.tables import read_table

VAWG_FILE = f"{SERIES_DIR}/mps_vawg_monthly.csv"
CRIME_FILE = f"{SERIES_DIR}/mps_sexual_offences_monthly.csv"
VAWG_MEASURES = ["vawg_offences", "vawg_victims"]
CRIME_MEASURES = ["sexual_offences", "rape_offences"]


def _period_words(series: MonthlySeries) -> str:
    first, last = series.first_month, series.last_month
    return f"{first.strftime('%B %Y')} to {last.strftime('%B %Y')}"


def _merged(new: MonthlySeries, existing: Path | None, path: Path) -> tuple[MonthlySeries, list[str]]:
    """``new`` with the earlier months of ``existing`` (same boroughs and measures) put in front."""
    if existing is None or not Path(existing).exists():
        return new, []
    old = read_series(existing, LONDON_AUTHORITIES)
    if set(old.measures) != set(new.measures):
        return new, [f"{existing}: other measures ({', '.join(old.measures)}); replaced whole"]
    earlier = old.frame.loc[(old.frame["month"] < new.first_month) & old.frame["code"].isin(new.codes)]
    if earlier.empty:
        return new, []
    frame = pd.concat([earlier[list(new.frame.columns)], new.frame], ignore_index=True)
    text = series_table(MonthlySeries(frame, new.measures)).reset_index(drop=True)
    try:
        merged = series_from_table(text, path, LONDON_AUTHORITIES, list(new.measures))
    except InputError as err:
        raise InputError(f"cannot join the new months to the embedded series {existing}: {err.message}",
                         file=path, expected="a file that continues the embedded series without a gap "
                                             "(or remove the old series file first)") from None
    return merged, [f"kept {earlier['month'].nunique()} earlier months ({earlier['month'].min()} to "
                    f"{earlier['month'].max()}) from {existing}"]


def _import(series: MonthlySeries, file_name: str, citation: dict, notes: list[str], existing: Path | None
            ) -> Import:
    table = series_table(series)
    changes = [f"{file_name}: {series.first_month} to {series.last_month}, {len(series.codes)} boroughs, "
               f"{len(table)} rows"]
    if existing is not None and Path(existing).exists():
        old = read_series(existing, LONDON_AUTHORITIES)
        changes.insert(0, f"{file_name} was: {old.first_month} to {old.last_month}, {len(old.codes)} boroughs, "
                          f"{len(old.frame)} rows")
    for measure in series.measures:
        notes.append(f"{measure}: {series.frame[measure].sum():,.0f} over {len(series.codes)} boroughs, "
                     f"{series.first_month} to {series.last_month}")
    entry = {**citation, "period": _period_words(series)}
    return Import(file_name, table[SERIES_KEYS + list(series.measures)],
                  lambda p: read_series(p, LONDON_AUTHORITIES, list(series.measures)), notes, changes,
                  lambda sources: _revise_sources(sources, entry, {}))


def vawg_series(path: str | Path, existing: str | Path | None = None) -> Import:
    """The whole MPS VAWG monthly file as ``series/mps_vawg_monthly.csv`` (offences and victims)."""
    path = Path(path)
    raw = read_table(path, SERIES_KEYS + VAWG_MEASURES)
    skip = raw["name"].map(normalise_name).isin(NON_BOROUGH_LABELS) & ~raw["code"].map(is_ons_code)
    notes = [f"{path.name}: left out non-borough row {label!r}: "
             f"{_counts(rows, ['vawg_offences'], path)['vawg_offences'].sum():,.0f} VAWG offences"
             for label, rows in raw.loc[skip].groupby("name")]
    series = series_from_table(raw.loc[~skip, SERIES_KEYS + VAWG_MEASURES], path, LONDON_AUTHORITIES, VAWG_MEASURES)
    series, kept = _merged(series, existing, path)
    citation = {
        "id": "mps_vawg_monthly",
        "name": "MPS violence against women and girls (VAWG) offences and victims by borough and month",
        "publisher": MPS_PUBLISHER, "period": "", "licence": MPS_LICENCE,
        "url": "https://data.london.gov.uk/dataset/mps-violence-against-women-and-girls-dashboard-data-2yod5",
        "used_in": f"data/{VAWG_FILE} (trends, forecasts, and the borough base of the estimated Marac cases)",
        "illustrative": False, "file": path.name,
        "note": f"Imported from {path.name} with `python -m commissioning import mps-vawg --series`. Offences "
                "and victims by borough of the offence and month of recording; rows the MPS labels Other or "
                "Unknown are left out. VAWG covers domestic abuse, rape and other sexual offences, stalking "
                "and harassment among others. The City of London is policed by the City of London Police "
                "and is not in this series."}
    return _import(series, VAWG_FILE, citation, notes + kept, existing)


def crime_series(path: str | Path, existing: str | Path | None = None) -> Import:
    """Monthly recorded sexual offences and rape per borough from the MPS Borough Level Crime file."""
    path = Path(path)
    crime = borough_crime(path)
    months = {c: parse_month(f"{c[:4]}-{c[4:]}", path, 1, c) for c in crime.months}
    rows = []
    for code in sorted(crime.counts["sexual_offences"].index):
        for column, month in months.items():
            rows.append({"code": code, "name": LONDON_AUTHORITIES[code], "month": str(month),
                         **{m: f"{crime.counts[m].at[code, column]:g}" for m in CRIME_MEASURES}})
    series = series_from_table(pd.DataFrame(rows), path, LONDON_AUTHORITIES, CRIME_MEASURES)
    notes = [f"{path.name}: left out non-borough row {label!r}: {by_month.sum():,.0f} sexual offences"
             for label, by_month in crime.skipped.items()]
    series, kept = _merged(series, existing, path)
    citation = {
        "id": "mps_sexual_offences_monthly",
        "name": "MPS recorded rape and other sexual offences by borough and month (Borough Level Crime)",
        "publisher": MPS_PUBLISHER, "period": "", "licence": MPS_LICENCE,
        "url": "https://data.london.gov.uk/dataset/recorded_crime_summary",
        "used_in": f"data/{CRIME_FILE} (trends, forecasts, ISVA need over the contract period)",
        "illustrative": False, "file": path.name,
        "note": f"Imported from {path.name} with `python -m commissioning import mps-crime --series`. "
                "sexual_offences = RAPE + OTHER SEXUAL OFFENCES, counted where the offence happened; rows that "
                "are not a borough (Unknown, airports) are left out. The City of London is not in MPS data."}
    return _import(series, CRIME_FILE, citation, notes + kept, existing)
