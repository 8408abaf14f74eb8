"""Which areas a satisfaction figure may be for: London boroughs, London, police force areas, BCUs.

- a London borough: its ONS code (E09000001..E09000033, see ``commissioning.boroughs``);
- London as a whole: the ONS region code ``E12000007``;
- a police force area in England and Wales: ONS codes E23000001..E23000039 and W15000001..W15000004
  (``E23000001`` is the Metropolitan Police force area, all of London but the City); force-level
  results let a target be set against the national picture;
- a Basic Command Unit (the MPS reports its survey by BCU, several boroughs each): any code listed in
  an areas file ``code,name,boroughs`` (``boroughs`` ``;``-separated ONS codes or names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from commissioning import safeio
from commissioning.boroughs import LONDON_AUTHORITIES, resolve_code
from commissioning.errors import InputError

LONDON = "E12000007"
MET_POLICE = "E23000001"
BOROUGH, REGION, FORCE, BCU = "borough", "London", "police force area", "BCU"
_FORCE_RE = re.compile(r"^(E23|W15)(\d{6})$")
_FORCE_LAST = {"E23": 39, "W15": 4}
_BCU_RE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")


@dataclass(frozen=True)
class Areas:
    """The area codes a results file may use: ``kind(code)`` says which kind each is."""

    bcus: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)  # code -> (name, borough codes)

    def kind(self, code: str) -> str | None:
        if code in LONDON_AUTHORITIES:
            return BOROUGH
        if code == LONDON:
            return REGION
        match = _FORCE_RE.match(code)
        if match and 1 <= int(match.group(2)) <= _FORCE_LAST[match.group(1)]:
            return FORCE
        if code in self.bcus:
            return BCU
        return None

    def name(self, code: str, given: str = "") -> str:
        """The official name of a borough, London, the Met or a listed BCU; else ``given``."""
        if code in LONDON_AUTHORITIES:
            return LONDON_AUTHORITIES[code]
        if code == LONDON:
            return "London"
        if code == MET_POLICE:
            return "Metropolitan Police"
        if code in self.bcus:
            return self.bcus[code][0]
        return given or code

    def is_london_wide(self, code: str) -> bool:
        return code in (LONDON, MET_POLICE)


def read_areas(path: str | Path | None) -> Areas:
    """Read a BCU areas file (``code,name,boroughs``); ``None`` gives the areas without BCUs."""
    if path is None:
        return Areas()
    path = Path(path)
    header, rows, lines = safeio.read_csv_rows(path)   # complete rows, not cut short
    if header != ["code", "name", "boroughs"]:
        raise InputError(f"header is {header}", file=path, line=1, expected="code,name,boroughs")
    bcus: dict[str, tuple[str, tuple[str, ...]]] = {}
    for (code, name, boroughs), line in zip(rows, lines):
        if not _BCU_RE.match(code) or Areas().kind(code) is not None:
            raise InputError(f"BCU code {code!r}", file=path, line=line, column="code",
                             expected="1-20 letters, digits, '-' or '_', not an ONS code")
        if code in bcus:
            raise InputError(f"duplicate BCU code {code!r}", file=path, line=line, column="code")
        members = tuple(resolve_code(b, file=path, line=line, column="boroughs")
                        for b in boroughs.split(";") if b.strip())
        if not members:
            raise InputError("no boroughs", file=path, line=line, column="boroughs",
                             expected="';'-separated ONS codes or borough names")
        bcus[code] = (name or code, members)
    return Areas(bcus)
