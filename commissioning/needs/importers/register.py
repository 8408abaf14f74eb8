"""A services register (CSV or XLSX) into ``services.csv``."""

from __future__ import annotations

import re
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
import pandas as pd

from commissioning.boroughs import LONDON_AUTHORITIES, PAN_LONDON
from commissioning.errors import InputError, csv_line
from commissioning.needs.dataset import (
    SERVICE_COLUMNS,
    SERVICE_OPTIONAL,
    read_services,
)
from commissioning.needs.importers.common import (
    PAN_LONDON_WORDS,
    REGISTER_HEADERS,
    Import,
    _fmt,
)
from commissioning.needs.importers.ons import _header_key
from commissioning.needs.importers.writing import _revise_sources, _superseded
from commissioning.needs.models import load_benchmarks
from commissioning.needs.tables import read_table

# ---------------------------------------------------------------------------------------------
# services register

def _register_columns(frame: pd.DataFrame, path) -> dict[str, list[str]]:
    """services.csv column -> the register columns that hold it (in the register's order)."""
    lookup = {_header_key(h): target for target, headers in REGISTER_HEADERS.items() for h in headers}
    lookup.update({_header_key(t): t for t in REGISTER_HEADERS})
    found: dict[str, list[str]] = {}
    for column in frame.columns:
        target = lookup.get(_header_key(column))
        if target:
            found.setdefault(target, []).append(column)
    missing = [t for t in ("provider", "service", "capacity", "areas") if t not in found]
    if missing:
        accepted = "; ".join(f"{t}: {', '.join(repr(h) for h in REGISTER_HEADERS[t])}" for t in missing)
        raise InputError(f"no column for {missing}; found {list(frame.columns)}", file=path, line=1,
                         column=missing[0], expected=f"a header such as {accepted}")
    return found


def _coalesce(frame: pd.DataFrame, columns: list[str], path) -> tuple[pd.Series, pd.Series]:
    """One value per row from several register columns (e.g. 'FTE' and 'Bed spaces')."""
    filled = pd.DataFrame({c: frame[c] != "" for c in columns})
    both = filled.sum(axis=1) > 1
    if both.any():
        i = both.idxmax()
        raise InputError(f"both {' and '.join(repr(c) for c in columns if filled.at[i, c])} are filled",
                         file=path, line=csv_line(i), column=columns[1], expected="one of them per row")
    source = filled.idxmax(axis=1).where(filled.any(axis=1), columns[0])
    values = pd.Series([frame.at[i, c] for i, c in source.items()], index=frame.index)
    return values, source


def services_register(path: str | Path, benchmarks: str | Path, existing: Path | None = None,
                      authorities: dict[str, str] | None = None, *, publisher: str | None = None,
                      period: str | None = None, licence: str | None = None) -> Import:
    """services.csv from a services register (CSV or XLSX).

    Headers are matched by :data:`REGISTER_HEADERS`. Service types are folded to the benchmark
    keys ("IDVA" -> idva, "LD advocate" -> ld_advocate); areas may be names or codes separated by
    ``;`` or ``,``, or "Pan-London"; a refuge with a blank Confidential cell is confidential (an
    explicit "no" is an error). Validation is :func:`~commissioning.needs.dataset.read_services`, with
    errors pointing at the register's own file, line and column. Without an id column, ids are
    R001, R002, ... in register order. The citation is the ``services_register`` source
    (``publisher``, ``period`` and ``licence`` describe the register; a register does not state
    them itself); every other source of services.csv is dropped, since the register replaces it.
    """
    path = Path(path)
    authorities = LONDON_AUTHORITIES if authorities is None else authorities
    frame = read_table(path)
    found = _register_columns(frame, path)
    out = pd.DataFrame(index=frame.index)
    origin: dict[str, pd.Series] = {}
    for target in SERVICE_COLUMNS + SERVICE_OPTIONAL:
        if target in found:
            out[target], origin[target] = _coalesce(frame, found[target], path)
        else:
            out[target] = ""
            origin[target] = pd.Series(target, index=frame.index)
    if "service_id" not in found:
        out["service_id"] = [f"R{i + 1:03d}" for i in range(len(frame))]
    out["service"] = out["service"].map(lambda s: re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_"))

    def areas(text: str) -> str:
        parts = [p.strip() for p in re.split(r"[;,]", text) if p.strip()]
        return ";".join(PAN_LONDON if _header_key(p) in PAN_LONDON_WORDS else p for p in parts)

    out["areas"] = out["areas"].map(areas)
    refuge_blank = (out["service"] == "refuge") & (out["confidential"] == "")
    out.loc[refuge_blank, "confidential"] = "true"
    bench = load_benchmarks(benchmarks)
    with TemporaryDirectory() as tmp:
        mapped = Path(tmp) / "services.csv"
        out.to_csv(mapped, index=False)
        try:
            services = read_services(mapped, authorities, list(bench.services))
        except InputError as err:
            column = err.column
            if err.line is not None and column in origin:
                column = origin[column].iloc[err.line - 2]
            raise InputError(err.message, file=path, line=err.line, column=column, expected=err.expected) from None
    all_codes = set(authorities)
    table = out.copy()
    table["service"] = services["service"].to_numpy()
    table["capacity"] = [_fmt(v) for v in services["capacity"]]
    table["areas"] = [PAN_LONDON if set(a) == all_codes and len(all_codes) > 1 else ";".join(a)
                      for a in services["areas"]]
    table["confidential"] = np.where(services["confidential"], "true", "false")
    table["illustrative"] = np.where(services["illustrative"], "true", "false")
    table = table[SERVICE_COLUMNS + SERVICE_OPTIONAL].reset_index(drop=True)
    notes = [f"{path.name}: {len(table)} services; columns used: "
             + ", ".join(f"{t} <- {', '.join(repr(c) for c in cols)}" for t, cols in found.items())]
    for service, rows in services.groupby("service", sort=False):
        notes.append(f"{service}: {len(rows)} services, capacity {_fmt(round(rows['capacity'].sum(), 6))}")
    changes = []
    if existing is not None and Path(existing).exists():
        old_ids = set(read_table(existing, ["service_id"])["service_id"])
        new_ids = set(table["service_id"])
        changes.append(f"services.csv: {len(old_ids)} rows -> {len(new_ids)} rows "
                       f"({len(new_ids - old_ids)} new ids, {len(old_ids - new_ids)} ids no longer listed)")
    flagged = int(services["illustrative"].sum())
    entry = {
        "id": "services_register", "name": "Services register: capacity of each service and the areas it serves",
        "publisher": publisher or "not stated (the commissioner's services register)",
        "period": period or f"not stated (register file {path.name})",
        "licence": licence or "not stated: check with the register's owner before publishing",
        "url": "", "used_in": "data/services.csv", "illustrative": flagged > 0, "file": path.name,
        "note": f"Imported from {path.name} with `python -m commissioning import services`: {len(table)} services"
                + (f", {flagged} of them marked illustrative" if flagged else "")
                + ". Refuge locations are confidential and are not published."}

    def cite(sources: list[dict]) -> list[dict]:
        return _revise_sources(sources, entry, _superseded(sources, "data/services.csv", entry["id"], None))

    return Import("services.csv", table,
                  lambda p: read_services(p, authorities, list(bench.services)), notes, changes, cite)
