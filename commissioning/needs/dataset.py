"""The input data set: population, demand, services, benchmarks and sources, read and validated.

A data directory holds ``population.csv``, ``demand.csv``, ``services.csv``, ``benchmarks.yaml``
and optionally ``sources.yaml`` (see README "Data formats"). Every problem is raised as an
:class:`~commissioning.errors.InputError` naming file, line and column; nothing is half-loaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from commissioning.boroughs import (
    LONDON_AUTHORITIES,
    PAN_LONDON,
    is_ons_code,
    resolve_code,
)
from commissioning.errors import InputError, csv_line
from commissioning.needs import commit
from commissioning.needs.models import Benchmarks, load_benchmarks
from commissioning.needs.tables import may_locate, read_table, to_bool, to_number
from commissioning.paths import DEFAULT_DATA_DIR
from commissioning.safeio import load_yaml

POPULATION_COLUMNS = ["code", "name", "population", "adult_women"]
DEMAND_COLUMNS = ["code", "name", "measure", "value"]
SERVICE_COLUMNS = ["service_id", "provider", "service", "capacity", "areas"]
SERVICE_OPTIONAL = ["lat", "lon", "confidential", "specialism", "illustrative", "note"]



def measure_words(measure: str) -> str:
    """A demand measure's id in words for a reader: "marac_cases" -> "Marac cases" (SafeLives' spelling),
    "vawg_offences" -> "VAWG offences"."""
    words = measure.replace("_", " ")
    return re.sub(r"\bmarac\b", "Marac", re.sub(r"\bvawg\b", "VAWG", words))

@dataclass(frozen=True)
class Dataset:
    """Validated inputs for one area (London by default). See docs/ARCHITECTURE.md."""

    population: pd.DataFrame
    demand: pd.DataFrame
    services: pd.DataFrame
    benchmarks: Benchmarks
    authorities: dict[str, str]
    sources: list[dict] = field(default_factory=list)
    data_dir: Path | None = None

    @property
    def service_types(self) -> list[str]:
        return list(self.benchmarks.services)

    @property
    def illustrative(self) -> set[str]:
        """Which inputs are illustrative, e.g. {"services", "demand:marac_cases", "model:isva"}."""
        flags = set()
        if self.services["illustrative"].any():
            flags.add("services")
        for measure in self.demand.loc[self.demand["illustrative"], "measure"].unique():
            flags.add(f"demand:{measure}")
        for service, bench in self.benchmarks.services.items():
            if bench.model.illustrative:
                flags.add(f"model:{service}")
        return flags

    @property
    def estimated(self) -> set[str]:
        """Which demand measures hold estimates made from real figures, e.g. {"demand:marac_cases"}.
        A third state beside real and illustrative: an estimate is not a recorded figure."""
        return {f"demand:{m}" for m in self.demand.loc[self.demand["estimated"], "measure"].unique()}

    def estimated_notes(self) -> list[str]:
        """Plain-words list of the estimated measures with their method (the rows' source), for marks."""
        notes = []
        for measure, rows in self.demand.groupby("measure", sort=False):
            flagged = rows.loc[rows["estimated"]]
            if flagged.empty:
                continue
            where = "all authorities" if len(flagged) == len(rows) else f"{len(flagged)} of {len(rows)} authorities"
            notes.append(f"{measure_words(measure)} ({where}): {flagged['source'].iloc[0]}")
        return notes

    def illustrative_notes(self) -> list[str]:
        """Plain-words list of what is illustrative, for banners and PDF cover marks."""
        notes = []
        if self.services["illustrative"].any():
            n, total = int(self.services["illustrative"].sum()), len(self.services)
            notes.append(f"services ({n} of {total} rows)")
        for measure, rows in self.demand.groupby("measure", sort=False):
            flagged = rows.loc[rows["illustrative"], "name"].tolist()
            if flagged and len(flagged) == len(rows):
                notes.append(f"{measure_words(measure)} (all authorities)")
            elif flagged:
                shown = ", ".join(flagged[:3]) + (" ..." if len(flagged) > 3 else "")
                notes.append(f"{measure_words(measure)} ({shown})")
        for bench in self.benchmarks.services.values():
            if bench.model.illustrative:
                notes.append(f"the {bench.label} need model (a local assumption)")
        return notes

    def with_services(self, extra: pd.DataFrame) -> "Dataset":
        """A new Dataset with ``extra`` service rows appended (same columns as ``services``)."""
        services = pd.concat([self.services, extra[self.services.columns]], ignore_index=True)
        return replace(self, services=services)

    def with_benchmarks(self, benchmarks: Benchmarks) -> "Dataset":
        return replace(self, benchmarks=benchmarks)


def _resolve_codes(frame: pd.DataFrame, path: Path, authorities: dict[str, str]) -> pd.Series:
    codes = []
    for i, (code, name) in enumerate(zip(frame["code"], frame["name"])):
        value, column = (code, "code") if code else (name, "name")
        codes.append(resolve_code(value, file=path, line=csv_line(i), column=column, authorities=authorities))
    return pd.Series(codes, index=frame.index)


def read_population(path: Path, authorities: dict[str, str]) -> pd.DataFrame:
    frame = read_table(path, POPULATION_COLUMNS)
    frame["code"] = _resolve_codes(frame, path, authorities)
    dup = frame["code"].duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(f"authority {frame['code'].iloc[i]} appears twice", file=path, line=csv_line(i),
                         column="code", expected="one row per authority")
    missing = sorted(set(authorities) - set(frame["code"]))
    if missing:
        raise InputError(f"no row for {', '.join(f'{c} {authorities[c]}' for c in missing)}", file=path,
                         column="code", expected=f"one row for each of the {len(authorities)} authorities")
    for column in ("population", "adult_women"):
        frame[column] = to_number(frame, column, path, minimum=0, what="a count of people")
    frame["name"] = frame["code"].map(authorities)
    return frame.sort_values("code").reset_index(drop=True)


def read_demand(path: Path, authorities: dict[str, str]) -> pd.DataFrame:
    frame = read_table(path, DEMAND_COLUMNS, optional=["period", "source", "illustrative", "note", "estimated"])
    frame["code"] = _resolve_codes(frame, path, authorities)
    frame["value"] = to_number(frame, "value", path, minimum=0, allow_blank=True, what="a count (blank = no figure)")
    fractional = frame["value"] % 1 > 0
    if fractional.any():
        i = int(np.flatnonzero(fractional.to_numpy())[0])
        raise InputError(f"{frame['value'].iloc[i]:g} is not a whole number", file=path, line=csv_line(i),
                         column="value", expected="a count of offences, cases or victims (blank = no figure)")
    frame["illustrative"] = to_bool(frame, "illustrative", path)
    frame["estimated"] = to_bool(frame, "estimated", path)
    both = frame["illustrative"] & frame["estimated"]
    if both.any():
        i = int(np.flatnonzero(both.to_numpy())[0])
        raise InputError("a figure cannot be both illustrative and estimated", file=path, line=csv_line(i),
                         column="estimated", expected="true for an estimate from real figures, "
                                                      "false for a real or an illustrative figure")
    bad = frame["measure"] == ""
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("blank measure", file=path, line=csv_line(i), column="measure",
                         expected="a measure name such as sexual_offences")
    dup = frame.duplicated(["code", "measure"])
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(f"{frame['measure'].iloc[i]} for {frame['code'].iloc[i]} appears twice", file=path,
                         line=csv_line(i), column="measure", expected="one row per authority and measure")
    for measure, rows in frame.groupby("measure", sort=False):
        missing = [c for c in authorities if c not in set(rows["code"])]
        if missing:
            raise InputError(f"no {measure} row for {', '.join(f'{c} {authorities[c]}' for c in missing[:5])}"
                             + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""), file=path,
                             column="code", expected="a row for every authority and measure (a blank value "
                                                     "says there is no figure); a missing row may mean the "
                                                     "file was cut short")
    frame["name"] = frame["code"].map(authorities)
    return frame.reset_index(drop=True)


def _parse_areas(text: str, path: Path, line: int, authorities: dict[str, str]) -> tuple[str, ...]:
    if text.strip().lower() in {PAN_LONDON.lower(), "all", "pan-london"}:
        return tuple(authorities)
    parts = [p for p in (s.strip() for s in text.split(";")) if p]
    if not parts:
        raise InputError("no areas given", file=path, line=line, column="areas",
                         expected="';'-separated ONS codes or borough names, or 'London'")
    if may_locate(text):
        raise InputError("not an area (the value is not repeated here: it may be a location)", file=path,
                         line=line, column="areas", expected="';'-separated ONS codes or borough names, or 'London'")
    codes = tuple(dict.fromkeys(resolve_code(p, file=path, line=line, column="areas", authorities=authorities)
                                for p in parts))
    return codes


def read_services(path: Path, authorities: dict[str, str], service_types: list[str]) -> pd.DataFrame:
    frame = read_table(path, SERVICE_COLUMNS, optional=SERVICE_OPTIONAL)
    blank = frame["service_id"] == ""
    if blank.any():
        i = int(np.flatnonzero(blank.to_numpy())[0])
        raise InputError("blank service_id", file=path, line=csv_line(i), column="service_id",
                         expected="a unique id per service")
    dup = frame["service_id"].duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        first = int(np.flatnonzero((frame["service_id"] == frame["service_id"].iloc[i]).to_numpy())[0])
        raise InputError(f"duplicate service_id {frame['service_id'].iloc[i]!r} (first on line {csv_line(first)})",
                         file=path, line=csv_line(i), column="service_id", expected="a unique id per service")
    frame["service"] = frame["service"].str.lower()
    unknown = ~frame["service"].isin(service_types)
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise InputError(f"service type {frame['service'].iloc[i]!r} has no need model in benchmarks.yaml",
                         file=path, line=csv_line(i), column="service", expected=f"one of {service_types}")
    frame["capacity"] = to_number(frame, "capacity", path, minimum=0, what="FTE or bed spaces, a number >= 0")
    frame["areas"] = [_parse_areas(a, path, csv_line(i), authorities) for i, a in enumerate(frame["areas"])]
    # Coordinates are never repeated in an error: they may locate a refuge.
    frame["lat"] = to_number(frame, "lat", path, allow_blank=True, what="latitude in degrees (WGS84)", quote=False)
    frame["lon"] = to_number(frame, "lon", path, allow_blank=True, what="longitude in degrees (WGS84)", quote=False)
    for column, low, high in (("lat", -90, 90), ("lon", -180, 180)):
        out = (frame[column] < low) | (frame[column] > high)
        if out.any():
            i = int(np.flatnonzero(out.to_numpy())[0])
            # Do not echo the value: it may be a refuge location.
            raise InputError("coordinate out of range", file=path, line=csv_line(i), column=column,
                             expected=f"degrees between {low} and {high}")
    # A latitude in the UK's longitudes and a longitude in its latitudes: the two typed the wrong way round.
    swapped = frame["lat"].between(-9, 3) & frame["lon"].between(49, 61)
    if swapped.any():
        i = int(np.flatnonzero(swapped.to_numpy())[0])
        raise InputError("latitude and longitude look swapped (the values are not repeated here)", file=path,
                         line=csv_line(i), column="lat", expected="lat about 51.5 and lon about -0.1 in London")
    frame["confidential"] = to_bool(frame, "confidential", path)
    not_conf = (frame["service"] == "refuge") & ~frame["confidential"]
    if not_conf.any():
        i = int(np.flatnonzero(not_conf.to_numpy())[0])
        raise InputError("a refuge must be confidential", file=path, line=csv_line(i), column="confidential",
                         expected="true for every refuge")
    frame["illustrative"] = to_bool(frame, "illustrative", path)
    return frame.reset_index(drop=True)


def read_sources(path: Path) -> list[dict]:
    if not path.exists() and not path.is_symlink():
        return []
    sources = load_yaml(path) or []
    if not isinstance(sources, list):
        raise InputError("expected a list of sources", file=path)
    return sources


def authorities_from_population(path: Path) -> dict[str, str]:
    """The area named by a population.csv itself ({code: name}), for areas other than London.

    Every row needs an ONS-format code (e.g. E06000001, W06000015) and a name.
    """
    frame = read_table(path, ["code", "name"])
    for i, (code, name) in enumerate(zip(frame["code"], frame["name"])):
        if not is_ons_code(code):
            raise InputError(f"{code!r} is not an ONS area code", file=path, line=csv_line(i), column="code",
                             expected="a code such as E09000012 or W06000015")
        if not name:
            raise InputError("blank name", file=path, line=csv_line(i), column="name", expected="the area's name")
    return dict(zip(frame["code"].str.upper(), frame["name"]))


def load_dataset(data_dir: str | Path | None = None, *, benchmarks: str | Path | None = None,
                 authorities: dict[str, str] | str | None = None) -> Dataset:
    """Read and validate a data directory (default: the embedded London data in ``data/``).

    ``authorities`` sets the area: ``None`` (default) is the 33 London authorities, so any code
    outside London is rejected; a ``{code: name}`` mapping is any other area; ``"population"``
    takes the area from ``population.csv`` itself (e.g. every authority in England and Wales).
    """
    data_dir = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    if not data_dir.is_dir():
        raise InputError("data directory not found", file=data_dir)
    commit.recover(data_dir, discard_parts=False)  # finish an import that was killed half-way
    if authorities == "population":
        authorities = authorities_from_population(data_dir / "population.csv")
    elif isinstance(authorities, str):
        raise ValueError(f"authorities={authorities!r}: expected None, a {{code: name}} mapping or 'population'")
    authorities = dict(LONDON_AUTHORITIES if authorities is None else authorities)
    bench = load_benchmarks(Path(benchmarks) if benchmarks else data_dir / "benchmarks.yaml")
    population = read_population(data_dir / "population.csv", authorities)
    demand = read_demand(data_dir / "demand.csv", authorities)
    services = read_services(data_dir / "services.csv", authorities, list(bench.services))
    for service, b in bench.services.items():
        for model in b.models.values():
            if model.kind == "rate":
                if model.base not in population.columns:
                    raise InputError(f"need model for {service!r} uses base column {model.base!r}, "
                                     "which population.csv does not have", file=data_dir / "population.csv",
                                     column=model.base, expected="the column named in benchmarks.yaml")
                population[model.base] = to_number(population, model.base, data_dir / "population.csv",
                                                   minimum=0, what="a count of people")
            if model.kind == "caseload" and model is b.model and not (demand["measure"] == model.measure).any():
                raise InputError(f"need model for {service!r} uses measure {model.measure!r}, "
                                 "which demand.csv does not have", file=data_dir / "demand.csv",
                                 column="measure", expected="the measure named in benchmarks.yaml")
    return Dataset(population=population, demand=demand, services=services, benchmarks=bench,
                   authorities=authorities, sources=read_sources(data_dir / "sources.yaml"), data_dir=data_dir)
