"""The 33 London authorities (ONS codes E09000001..E09000033) and name matching.

Names are matched after normalising case, '&' vs 'and', hyphens and the prefixes
"London Borough of" / "Royal Borough of"; then through the documented alias list in
``data/borough_aliases.csv``. Anything else is rejected by name.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

from commissioning.errors import InputError
from commissioning.paths import DEFAULT_DATA_DIR

LONDON_AUTHORITIES: dict[str, str] = {
    "E09000001": "City of London",
    "E09000002": "Barking and Dagenham",
    "E09000003": "Barnet",
    "E09000004": "Bexley",
    "E09000005": "Brent",
    "E09000006": "Bromley",
    "E09000007": "Camden",
    "E09000008": "Croydon",
    "E09000009": "Ealing",
    "E09000010": "Enfield",
    "E09000011": "Greenwich",
    "E09000012": "Hackney",
    "E09000013": "Hammersmith and Fulham",
    "E09000014": "Haringey",
    "E09000015": "Harrow",
    "E09000016": "Havering",
    "E09000017": "Hillingdon",
    "E09000018": "Hounslow",
    "E09000019": "Islington",
    "E09000020": "Kensington and Chelsea",
    "E09000021": "Kingston upon Thames",
    "E09000022": "Lambeth",
    "E09000023": "Lewisham",
    "E09000024": "Merton",
    "E09000025": "Newham",
    "E09000026": "Redbridge",
    "E09000027": "Richmond upon Thames",
    "E09000028": "Southwark",
    "E09000029": "Sutton",
    "E09000030": "Tower Hamlets",
    "E09000031": "Waltham Forest",
    "E09000032": "Wandsworth",
    "E09000033": "Westminster",
}
LONDON_CODES: tuple[str, ...] = tuple(LONDON_AUTHORITIES)
PAN_LONDON = "London"
ALIASES_FILE = DEFAULT_DATA_DIR / "borough_aliases.csv"

_CODE_RE = re.compile(r"^[EWSN]\d{8}$")
_PREFIXES = ("london borough of ", "royal borough of ", "borough of ")


def normalise_name(name: str) -> str:
    """Lower-case, '&' -> 'and', hyphens and repeated spaces folded, borough prefixes dropped."""
    text = str(name).strip().lower().replace("&", " and ").replace("-", " ")
    text = re.sub(r"[^a-z0-9 ]", "", text)
    text = re.sub(r"\s+", " ", text).strip()
    for prefix in _PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix):]
    return text


def is_ons_code(value: str) -> bool:
    return bool(_CODE_RE.match(str(value).strip().upper()))


@lru_cache(maxsize=4)
def _lookup(aliases_file: str) -> dict[str, str]:
    table = {normalise_name(name): code for code, name in LONDON_AUTHORITIES.items()}
    path = Path(aliases_file)
    if path.exists():
        aliases = pd.read_csv(path, dtype=str)
        for alias, code in zip(aliases["alias"], aliases["code"]):
            table.setdefault(normalise_name(alias), code)
    return table


def resolve_code(value: str, *, file=None, line=None, column=None,
                 authorities: dict[str, str] | None = None,
                 aliases_file: Path = ALIASES_FILE) -> str:
    """Return the ONS code for an ONS code or a borough name (with aliases).

    ``authorities`` defaults to the 33 London authorities; pass another ``{code: name}`` mapping
    to work on another geography (codes are then accepted as-is, names matched exactly after
    normalisation). Raises :class:`InputError` naming the value when nothing matches.
    """
    authorities = LONDON_AUTHORITIES if authorities is None else authorities
    # Compared by value: callers (e.g. load_dataset) pass copies of LONDON_AUTHORITIES.
    whole_london = authorities == LONDON_AUTHORITIES
    raw = "" if value is None else str(value).strip()
    if not raw or raw.lower() == "nan":
        raise InputError("empty borough", file=file, line=line, column=column,
                         expected="an ONS code such as E09000012 or a borough name")
    if is_ons_code(raw):
        code = raw.upper()
        if code in authorities:
            return code
        where = "London (E09000001..E09000033)" if whole_london else "the area"
        raise InputError(f"code {raw!r} is not an authority in {where}",
                         file=file, line=line, column=column,
                         expected="one of the authorities' ONS codes")
    key = normalise_name(raw)
    if whole_london or set(authorities) <= set(LONDON_AUTHORITIES):
        code = _lookup(str(aliases_file)).get(key)
        code = code if code in authorities else None
    else:
        code = {normalise_name(n): c for c, n in authorities.items()}.get(key)
    if code is None:
        raise InputError(f"unknown borough {raw!r}", file=file, line=line, column=column,
                         expected="an ONS code or a London borough name "
                                  "(aliases are listed in data/borough_aliases.csv)")
    return code
