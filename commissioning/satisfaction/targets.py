"""Annual satisfaction targets as published data (YAML), with who set them and when.

    set_by: MOPAC
    set_on: 2026-04-01
    illustrative: true        # optional; say so until the targets are the real, published ones
    note: ...                 # optional
    targets:
      - area_code: E23000001  # a borough, London (E12000007), a police force area or a BCU
        group: all
        by_year: {2026: 78, 2027: 80}

The target for a result is the one for the calendar year of its ``period_end``. The file is read
with a loader that refuses anchors, aliases and duplicate keys (a duplicated year would otherwise
silently keep the last value); every error names the file, line and key.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from commissioning import safeio
from commissioning.errors import InputError
from commissioning.satisfaction.areas import Areas

_GROUP_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TOP_KEYS = {"set_by", "set_on", "illustrative", "note", "targets"}
ENTRY_KEYS = {"area_code", "group", "by_year", "note"}


class _Mapping(dict):
    """A YAML mapping that remembers the 1-based line of itself and of each key."""

    line: int = 0
    lines: dict


class StrictLoader(safeio.StrictLoader):
    """The toolkit's strict loader (no anchors, aliases, duplicate keys or non-finite numbers) that
    also keeps line numbers."""

    def construct_mapping(self, node, deep=False):
        out = _Mapping()
        out.line, out.lines = node.start_mark.line + 1, {}
        for key_node, value_node in node.value:
            key = self.mapping_key(key_node)
            if key in out:
                raise yaml.MarkedYAMLError(problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark)
            out[key] = self.construct_object(value_node, deep=True)
            out.lines[key] = key_node.start_mark.line + 1
        return out


StrictLoader.add_constructor("tag:yaml.org,2002:map", StrictLoader.construct_mapping)


def load_strict_yaml(text: str, source) -> object:
    """Parse YAML ``text`` with :class:`StrictLoader`; a problem becomes an :class:`InputError`."""
    return safeio.parse_yaml(text, source, loader=StrictLoader)


@dataclass(frozen=True)
class Targets:
    """Validated targets: ``by_key[(area_code, group)][year]`` = target satisfied %."""

    set_by: str
    set_on: dt.date
    by_key: dict[tuple[str, str], dict[int, float]]
    illustrative: bool = False
    note: str = ""
    source: str = ""

    def target(self, area_code: str, group: str, period_end: str) -> float | None:
        """The target % for the calendar year of ``period_end`` (``YYYY-MM``), or ``None``."""
        return self.by_key.get((area_code, group), {}).get(int(period_end[:4]))


def read_targets(path: str | Path, areas: Areas | None = None) -> Targets:
    path = Path(path)
    text = safeio.read_text(path, limit=safeio.MAX_YAML_BYTES, what="YAML file")
    return parse_targets(text, source=path, areas=areas)


def parse_targets(text: str, source="targets", areas: Areas | None = None) -> Targets:
    areas = areas or Areas()
    data = load_strict_yaml(text, source)

    def fail(message, line=None, key=None, expected=None):
        raise InputError(message, file=source, line=line, column=key, expected=expected)

    if not isinstance(data, dict):
        fail("the top level is not a mapping", expected="keys set_by, set_on, targets")
    for key in data:
        if key not in TOP_KEYS:
            fail(f"unknown key {key!r}", data.lines[key], key, ", ".join(sorted(TOP_KEYS)))
    for key in ("set_by", "set_on", "targets"):
        if key not in data:
            fail(f"missing key {key!r}", data.line, expected="set_by, set_on and targets")
    if not isinstance(data["set_by"], str) or not data["set_by"].strip():
        fail("set_by is empty", data.lines["set_by"], "set_by", "who set the targets, e.g. MOPAC")
    set_on = data["set_on"]
    if not isinstance(set_on, dt.date) or isinstance(set_on, dt.datetime):
        fail(f"set_on {set_on!r}", data.lines["set_on"], "set_on", "a date YYYY-MM-DD")
    illustrative = data.get("illustrative", False)
    if not isinstance(illustrative, bool):
        fail(f"illustrative {illustrative!r}", data.lines["illustrative"], "illustrative", "true or false")
    entries = data["targets"]
    if not isinstance(entries, list) or not entries:
        fail("targets is not a non-empty list", data.lines["targets"], "targets", "a list of area targets")
    by_key: dict[tuple[str, str], dict[int, float]] = {}
    first_line: dict[tuple[str, str], int] = {}
    for entry in entries:
        line = getattr(entry, "line", data.lines["targets"])
        if not isinstance(entry, dict):
            fail("a target is not a mapping", line, "targets", "area_code, group and by_year")
        for key in entry:
            if key not in ENTRY_KEYS:
                fail(f"unknown key {key!r}", entry.lines[key], key, ", ".join(sorted(ENTRY_KEYS)))
        for key in ("area_code", "group", "by_year"):
            if key not in entry:
                fail(f"missing key {key!r}", line, key, "area_code, group and by_year")
        code = str(entry["area_code"]).strip().upper()
        if areas.kind(code) is None:
            fail(f"unknown area {entry['area_code']!r}", entry.lines["area_code"], "area_code",
                 "a borough's ONS code, E12000007 (London), a police force area or a listed BCU code")
        group = entry["group"]
        if not isinstance(group, str) or not _GROUP_RE.match(group):
            fail(f"group {group!r}", entry.lines["group"], "group", "'all' or a lower-case group name")
        if (code, group) in by_key:
            fail(f"a second target for {code}/{group} (first on line {first_line[(code, group)]})",
                 line, "area_code", "one entry per area and group")
        years = entry["by_year"]
        if not isinstance(years, dict) or not years:
            fail("by_year is not a mapping of years to targets", entry.lines["by_year"], "by_year",
                 "e.g. {2026: 78, 2027: 80}")
        checked = {}
        for year, value in years.items():
            year_line = years.lines.get(year, entry.lines["by_year"])
            if isinstance(year, bool) or not isinstance(year, int) or not 1990 <= year <= 2100:
                fail(f"year {year!r}", year_line, "by_year", "a calendar year such as 2026")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or not 0 <= value <= 100:
                fail(f"target {value!r} for {year}", year_line, "by_year", "a percentage from 0 to 100")
            checked[year] = float(value)
        by_key[(code, group)] = checked
        first_line[(code, group)] = line
    return Targets(set_by=data["set_by"].strip(), set_on=set_on, by_key=by_key, illustrative=illustrative,
                   note=str(data.get("note") or ""), source=str(source))


def targets_yaml(targets: Targets) -> str:
    """The targets as YAML in the layout :func:`parse_targets` reads."""
    body = {"set_by": targets.set_by, "set_on": targets.set_on}
    if targets.illustrative:
        body["illustrative"] = True
    if targets.note:
        body["note"] = targets.note
    body["targets"] = [{"area_code": code, "group": group,
                        "by_year": {year: (int(v) if float(v).is_integer() else v) for year, v in years.items()}}
                       for (code, group), years in targets.by_key.items()]
    return yaml.safe_dump(body, sort_keys=False, default_flow_style=None, allow_unicode=True)
