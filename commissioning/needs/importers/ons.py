"""ONS population tables by authority into ``population.csv``."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from commissioning.boroughs import LONDON_AUTHORITIES, is_ons_code, resolve_code
from commissioning.errors import InputError, csv_line
from commissioning.needs.dataset import (
    POPULATION_COLUMNS,
    _resolve_codes,
    read_population,
)
from commissioning.needs.importers.common import (
    ONS_LICENCE,
    POPULATION_OUT,
    Import,
    _check_complete,
    _counts,
    _fmt,
)
from commissioning.needs.importers.writing import _revise_sources, _superseded
from commissioning.needs.tables import read_table

# ---------------------------------------------------------------------------------------------
# ONS population

def _header_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(text).lower()).strip()


def _pick_column(frame, given: str | None, path, *, what: str, option: str,
                 pattern: str | None = None, exclude=()) -> str | None:
    if given is not None:
        if given not in frame.columns:
            raise InputError(f"no column {given!r} ({option}); columns are {list(frame.columns)}", file=path,
                             line=1, column=given, expected=what)
        return given
    if pattern is None:
        return None
    matches = [c for c in frame.columns if c not in exclude and re.search(pattern, _header_key(c))]
    return matches[0] if matches else None


def ons_population(path: str | Path, existing: Path | None = None, *, code_column: str | None = None,
                   name_column: str | None = None, population_column: str | None = None,
                   adult_women_column: str | None = None, year: int | None = None, source: str | None = None,
                   authorities: dict[str, str] | None = None) -> Import:
    """population.csv from an ONS table by authority.

    Columns are chosen by the options, else guessed: code = the first header with "code"/"cd"/"gss",
    name = the first with "name"; population = the header containing ``year`` if given, else a
    column called "population", else the column with the latest year in its header. Rows for
    codes outside the area (e.g. England, regions, other districts) are left out. Without an adult
    women column, adult_women is kept from ``existing`` and ``adult_women_method`` says it is from
    another year. The citation is the ``ons_population`` source; other sources of population.csv
    are dropped, or narrowed to adult_women when that column is kept.
    """
    path = Path(path)
    authorities = LONDON_AUTHORITIES if authorities is None else authorities
    frame = read_table(path)
    code_col = _pick_column(frame, code_column, path, what="a column of ONS codes", option="--code-column",
                            pattern=r"(^|\s)(code|cd|gss)(\s|$)|code$|cd$")
    name_col = _pick_column(frame, name_column, path, what="a column of authority names", option="--name-column",
                            pattern=r"name", exclude=(code_col,))
    if code_col is None and name_col is None:
        raise InputError(f"no code or name column; columns are {list(frame.columns)}", file=path, line=1,
                         expected="--code-column or --name-column")
    women_col = _pick_column(frame, adult_women_column, path, what="a count of adult women",
                             option="--adult-women-column")
    taken = {code_col, name_col, women_col}
    if population_column is not None:
        pop_col = _pick_column(frame, population_column, path, what="a population count",
                               option="--population-column")
    else:
        candidates = [c for c in frame.columns if c not in taken]
        if year is not None:
            matches = [c for c in candidates if str(year) in c]
        elif any(_header_key(c) == "population" for c in candidates):
            matches = [c for c in candidates if _header_key(c) == "population"]
        else:
            years = {c: max(map(int, re.findall(r"(?:19|20)\d\d", c))) for c in candidates
                     if re.search(r"(?:19|20)\d\d", c)}
            matches = [c for c, y in years.items() if y == max(years.values())] if years else []
        if len(matches) != 1:
            raise InputError(f"cannot tell which column is the population ({'several' if matches else 'none'} "
                             f"match{' year ' + str(year) if year else ''}: {matches or list(frame.columns)})",
                             file=path, line=1, expected="--population-column NAME")
        pop_col = matches[0]
    if year is None:
        found = re.findall(r"(?:19|20)\d\d", pop_col)
        year = int(found[-1]) if found else None
    keep, codes, left_out = [], [], 0
    for i in frame.index:
        raw_code = frame.at[i, code_col] if code_col else ""
        if raw_code and is_ons_code(raw_code) and raw_code.strip().upper() not in authorities:
            left_out += 1
            continue
        value, column = (raw_code, code_col) if raw_code else (frame.at[i, name_col] if name_col else "", name_col)
        codes.append(resolve_code(value, file=path, line=csv_line(i), column=column, authorities=authorities))
        keep.append(i)
    rows = frame.loc[keep].assign(code=codes)
    dup = rows["code"].duplicated()
    if dup.any():
        i = dup.index[dup.to_numpy()][0]
        raise InputError(f"authority {rows.at[i, 'code']} appears twice", file=path, line=csv_line(i),
                         column=code_col or name_col, expected="one row per authority")
    _check_complete(set(rows["code"]), (), authorities, path, "population")
    numbers = _counts(rows, [c for c in (pop_col, women_col) if c], path)
    rows = rows.assign(population=numbers[pop_col]).set_index("code")
    old_raw = None
    if existing is not None and Path(existing).exists():
        read_population(Path(existing), authorities)
        old_raw = read_table(existing, POPULATION_COLUMNS)
        old_raw.index = _resolve_codes(old_raw, Path(existing), authorities).to_numpy()
    if women_col:
        women = numbers[women_col].set_axis(rows.index)
        method = f"imported from {path.name} column {women_col!r}"
    elif old_raw is not None:
        women = old_raw["adult_women"]
        old_year = old_raw["year"] if "year" in old_raw else pd.Series("an earlier year", index=old_raw.index)
        old_method = (old_raw["adult_women_method"] if "adult_women_method" in old_raw
                      else pd.Series("", index=old_raw.index))
        method = {c: f"kept from the {old_year[c] or 'earlier'} population.csv, not {year or 'this year'} "
                     f"(the imported table has no adult-women column)" + (f"; {old_method[c]}" if old_method[c] else "")
                  for c in authorities}
    else:
        raise InputError("the table has no adult-women column and there is no population.csv to keep "
                         "adult_women from", file=path, expected="--adult-women-column NAME")
    source = source or f"ONS population table ({path.name}, column {pop_col}), Open Government Licence v3.0"
    columns = list(dict.fromkeys((list(old_raw.columns) if old_raw is not None else []) + POPULATION_OUT))
    out, changes = [], []
    for code, name in sorted(authorities.items()):
        row = dict(old_raw.loc[code]) if old_raw is not None else {}
        row.update(code=code, name=name, population=_fmt(rows.at[code, "population"]),
                   adult_women=_fmt(women[code]) if women_col else women[code],
                   year="" if year is None else str(year), source=source,
                   adult_women_method=method[code] if isinstance(method, dict) else method)
        if old_raw is not None and old_raw.at[code, "population"] != row["population"]:
            changes.append(f"{code} {name:<24} population {old_raw.at[code, 'population']} -> {row['population']}")
        out.append(row)
    table = pd.DataFrame(out, columns=columns).fillna("")
    total = rows["population"].sum()
    notes = [f"{path.name}: population from column {pop_col!r}" + (f" (year {year})" if year else ""),
             f"population: {_fmt(total)} over {len(rows)} authorities"]
    if left_out:
        notes.append(f"left out {left_out} rows for codes outside the area")
    if not women_col:
        notes.append("adult_women kept from the existing population.csv (a different year; see adult_women_method)")
    period = (f"mid-{year}" if year and re.search(rf"mid\W*{year}", pop_col.lower()) else str(year) if year
              else f"not stated in {path.name}")
    entry = {
        "id": "ons_population", "name": "ONS population by authority" + (f", {year}" if year else ""),
        "publisher": "Office for National Statistics", "period": period, "licence": ONS_LICENCE,
        "url": "https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/populationestimates",
        "used_in": f"data/population.csv (population{', adult_women' if women_col else ''})",
        "illustrative": False, "file": path.name,
        "note": f"Imported from {path.name} (population from column {pop_col!r}"
                + (f", adult women from column {women_col!r}" if women_col else "")
                + ") with `python -m commissioning import ons-population`."
                + ("" if women_col else " adult_women is kept from the earlier population.csv, so it is not "
                   f"for {year or 'this year'} (see its adult_women_method column).")}

    def cite(sources: list[dict]) -> list[dict]:
        narrowed = None if women_col else {"used_in": "data/population.csv (adult_women only)"}
        return _revise_sources(sources, entry, _superseded(sources, "data/population.csv", entry["id"], narrowed))

    return Import("population.csv", table, lambda p: read_population(p, authorities), notes, changes, cite)
