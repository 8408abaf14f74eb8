"""Scoring rules as published data: ``scoring_rules/*.yaml`` -> a validated :class:`Rules`.

The rules file is what a commissioner publishes before bids are invited, so its format is a
contract. The shape is checked against ``scoring_rules/schema.json`` (JSON Schema); the
cross-field rules are checked here:

- ``weights`` (percent) sum to 100 and price is below quality;
- the criteria of each section with a non-zero weight sum to 100, and a section weighted 0 has
  no criteria;
- criterion and gate ids are unique; ``max_score`` lies within the scale and ``min_score``
  between ``scale.min`` and the criterion's ``max_score``;
- ``scale.descriptors`` names every whole point from ``scale.min`` to ``scale.max``;
- lot names are unique and no authority is in two lots;
- the known ``timetable`` milestones are in order; a ``contract`` block (years, extension_years)
  comes with ``timetable.contract_start``, and the other way round.

Every error is an :class:`~commissioning.errors.InputError` whose text names the file and the
key path, e.g. ``default.yaml: criteria[2].weight: 0 is less than or equal to the minimum of 0``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import jsonschema

from commissioning.errors import InputError
from commissioning.paths import DEFAULT_RULES, RULES_SCHEMA
from commissioning.safeio import MAX_YAML_BYTES, decode_utf8, parse_yaml, read_bytes

SECTIONS = ("quality", "social_value")
TIMETABLE_ORDER = ("priorities_published", "bids_invited", "bids_close", "award", "contract_start")


@dataclass(frozen=True)
class Criterion:
    """One scored criterion. ``weight`` is percent of its section (a section's weights sum to 100)."""

    id: str
    title: str
    section: str
    weight: float
    max_score: int
    guidance: str
    min_score: float | None = None
    type: str = "panel"
    service: str | None = None


@dataclass(frozen=True)
class Gate:
    """A pass/fail requirement; bids carry it in the column ``gate_<id>``."""

    id: str
    title: str

    @property
    def column(self) -> str:
        return f"gate_{self.id}"


@dataclass(frozen=True)
class Scale:
    min: int
    max: int
    descriptors: dict[int, str]


#: Key performance indicators a lot may declare: measure -> (direction, unit words).
#: "at_most": the measure meets its target at or below it; "at_least": at or above it.
KPI_MEASURES = {
    "referrals_refused_pct": ("at_most", "% of referrals refused for lack of capacity"),
    "waiting_days_median": ("at_most", "days median wait from referral to first contact"),
    "clients_satisfied_pct": ("at_least", "% of clients surveyed satisfied"),
    "capacity_delivered_pct": ("at_least", "% of the contracted capacity in post"),
}


@dataclass(frozen=True)
class Kpi:
    """A key performance indicator of a lot: ``measure`` (a key of :data:`KPI_MEASURES`), the
    ``target`` to meet and, optionally, a looser level that still counts as ``approaching``."""

    measure: str
    target: float
    approaching: float | None = None

    @property
    def direction(self) -> str:
        return KPI_MEASURES[self.measure][0]

    @property
    def words(self) -> str:
        """``at most 10% of referrals refused for lack of capacity``."""
        direction, unit = KPI_MEASURES[self.measure]
        gap = "" if unit.startswith("%") else " "
        return f"{direction.replace('_', ' ')} {self.target:g}{gap}{unit}"


@dataclass(frozen=True)
class Lot:
    """A published lot: its name, the authorities (names) it holds, its indicative value in
    pounds a year (None if not published) and the service types it buys (ids of
    ``data/benchmarks.yaml``; empty when the rules do not say) and its key performance
    indicators (``kpis``, empty when none are declared)."""

    name: str
    boroughs: tuple[str, ...]
    indicative_value_gbp: float | None = None
    services: tuple[str, ...] = ()
    kpis: tuple[Kpi, ...] = ()


@dataclass(frozen=True)
class Rules:
    """Validated scoring rules.

    ``weights`` maps quality / social_value / price to percent of the total (sum 100).
    ``raw`` is the mapping as loaded (dates as ISO strings), kept so a store can republish
    exactly what was validated.
    """

    title: str
    version: int
    weights: dict[str, float]
    scale: Scale
    criteria: tuple[Criterion, ...]
    gates: tuple[Gate, ...]
    price_method: str
    abnormally_low: float
    consensus: str
    spread_flag: float
    timetable: dict[str, dt.date] = field(default_factory=dict)
    min_score_policy: str | None = None
    contract_years: int | None = None   # the contract's length from timetable.contract_start
    extension_years: int = 0            # optional extensions on top
    price_basis: str | None = None      # "annual" or "whole_contract" (contract.price_basis)
    source: str = "rules"
    raw: dict = field(default_factory=dict, repr=False, compare=False)
    lots: tuple[Lot, ...] = ()          # the published lots (optional); each authority in one
    contact: str | None = None          # whom bidders ask
    how_to_bid: str | None = None

    PRICE_BASIS_WORDS = {"annual": "a year", "whole_contract": "for the whole initial term"}

    def price_words(self) -> str:
        """How every price of this round is labelled: "a year" or "for the whole initial term"
        ("" when the rules set no contract)."""
        return self.PRICE_BASIS_WORDS.get(self.price_basis, "")

    def term_value(self, price: float) -> float:
        """The value of the initial term (``contract.years``) of a bid priced ``price`` on the
        rules' basis: price x years when annual, the price itself when for the whole contract."""
        if self.price_basis == "annual":
            return float(price) * self.contract_years
        if self.price_basis == "whole_contract":
            return float(price)
        raise ValueError("the rules set no contract.price_basis")

    def annual_value(self, price: float) -> float:
        """A bid's price in pounds a year on the rules' basis."""
        if self.price_basis == "annual":
            return float(price)
        if self.price_basis == "whole_contract":
            return float(price) / self.contract_years
        raise ValueError("the rules set no contract.price_basis")

    def criterion(self, criterion_id: str) -> Criterion:
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)

    @property
    def criterion_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.criteria)

    @property
    def panel_criteria(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.type == "panel")

    def in_section(self, section: str) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.section == section)


def load_rules(path: str | Path | None = None) -> Rules:
    """Read and validate a rules YAML file (default: ``commissioning.paths.DEFAULT_RULES``)."""
    path = Path(path) if path is not None else DEFAULT_RULES
    name = path.name
    data = read_bytes(path, limit=MAX_YAML_BYTES, what="rules file")
    return parse_rules(decode_utf8(data, name), source=name)


def parse_rules(data: str | Mapping[str, Any], source: str = "rules") -> Rules:
    """Validate rules given as YAML text or an already-parsed mapping; ``source`` names them in errors."""
    if isinstance(data, str):
        data = parse_yaml(data, source)  # strict: no aliases, duplicate keys or non-finite numbers
    if not isinstance(data, Mapping):
        raise InputError("(top level): expected a mapping of keys such as title, weights, criteria",
                         file=source)
    plain = _plain(data, source)
    _check_schema(plain, source)
    return _build(plain, source)


def _plain(value: Any, source: str = "rules") -> Any:
    """YAML -> JSON types: dates become ISO strings and mapping keys strings (descriptors use ints)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v, source) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, source) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"{value} is not a finite number", file=source, expected="a finite number")
    return value


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(RULES_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def _path(parts) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _check_schema(data: dict, source: str) -> None:
    errors = sorted(_validator().iter_errors(data), key=lambda e: (len(e.absolute_path), str(list(e.absolute_path))))
    if not errors:
        return
    err = errors[0]
    parts = list(err.absolute_path)
    if err.validator == "required":
        missing = [k for k in err.validator_value if k not in err.instance]
        raise InputError(f"{_path(parts + missing[:1])}: required key is missing", file=source)
    if err.validator == "propertyNames":
        raise InputError(f"{_path(parts)}: key {err.instance!r} is not a whole number", file=source)
    raise InputError(f"{_path(parts)}: {err.message}", file=source)


def _fail(source: str, path: str, message: str) -> None:
    raise InputError(f"{path}: {message}", file=source)


def _kpis(raws: list, where: str, source: str) -> tuple[Kpi, ...]:
    """A lot's KPIs: one per measure, percentages at most 100, ``approaching`` looser than the target."""
    out: list[Kpi] = []
    for j, raw in enumerate(raws):
        kpi = Kpi(raw["measure"], float(raw["target"]),
                  None if raw.get("approaching") is None else float(raw["approaching"]))
        place = f"{where}.kpis[{j}]"
        if any(k.measure == kpi.measure for k in out):
            _fail(source, f"{place}.measure", f"{kpi.measure} is declared twice")
        if kpi.measure.endswith("_pct") and kpi.measure != "capacity_delivered_pct" and kpi.target > 100:
            _fail(source, f"{place}.target", f"{kpi.target:g} is over 100%")
        if kpi.approaching is not None and (kpi.approaching <= kpi.target if kpi.direction == "at_most"
                                            else kpi.approaching >= kpi.target):
            looser = "above" if kpi.direction == "at_most" else "below"
            _fail(source, f"{place}.approaching", f"{kpi.approaching:g} must be {looser} the target {kpi.target:g}")
        out.append(kpi)
    return tuple(out)


def _build(data: dict, source: str) -> Rules:
    weights = {k: float(v) for k, v in data["weights"].items()}
    if abs(sum(weights.values()) - 100) > 1e-9:
        _fail(source, "weights", f"sum to {sum(weights.values()):g}, must sum to 100")
    if weights["price"] >= weights["quality"]:
        _fail(source, "weights.price",
              f"{weights['price']:g} is not below quality ({weights['quality']:g}): "
              "quality must outweigh price")

    scale_raw = data["scale"]
    smin, smax = scale_raw["min"], scale_raw["max"]
    if smin >= smax:
        _fail(source, "scale", f"min ({smin}) must be below max ({smax})")
    descriptors = {int(k): v for k, v in scale_raw["descriptors"].items()}
    wanted = set(range(smin, smax + 1))
    if set(descriptors) != wanted:
        missing = sorted(wanted - set(descriptors))
        extra = sorted(set(descriptors) - wanted)
        detail = "; ".join(filter(None, [f"missing {missing}" if missing else "",
                                         f"outside the scale {extra}" if extra else ""]))
        _fail(source, "scale.descriptors", f"must name every point {smin}..{smax} ({detail})")
    scale = Scale(smin, smax, dict(sorted(descriptors.items())))

    criteria = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(data["criteria"]):
        where = f"criteria[{i}]"
        if raw["id"] in seen:
            _fail(source, f"{where}.id", f"duplicate id {raw['id']!r} (also criteria[{seen[raw['id']]}])")
        seen[raw["id"]] = i
        max_score = raw.get("max_score", smax)
        if not smin < max_score <= smax:
            _fail(source, f"{where}.max_score", f"{max_score} is outside the scale ({smin + 1}..{smax})")
        min_score = raw.get("min_score")
        if min_score is not None and not smin <= min_score <= max_score:
            _fail(source, f"{where}.min_score", f"{min_score:g} is outside the scale ({smin}..{max_score})")
        ctype = raw.get("type", "panel")
        if raw.get("service") is not None and ctype != "need_alignment":
            _fail(source, f"{where}.service", "only a need_alignment criterion takes a service")
        criteria.append(Criterion(id=raw["id"], title=raw["title"], section=raw["section"],
                                  weight=float(raw["weight"]), max_score=int(max_score),
                                  guidance=raw["guidance"].strip(),
                                  min_score=None if min_score is None else float(min_score),
                                  type=ctype, service=raw.get("service")))

    for section in SECTIONS:
        members = [c for c in criteria if c.section == section]
        total = sum(c.weight for c in members)
        if weights[section] > 0 and abs(total - 100) > 1e-9:
            _fail(source, "criteria", f"weights of the {section} criteria sum to {total:g}, must sum to 100")
        if weights[section] == 0 and members:
            _fail(source, "criteria", f"{section} criteria given but weights.{section} is 0")

    gates = []
    for i, raw in enumerate(data.get("gates") or []):
        if any(g.id == raw["id"] for g in gates):
            _fail(source, f"gates[{i}].id", f"duplicate id {raw['id']!r}")
        gates.append(Gate(raw["id"], raw["title"]))

    timetable = {k: dt.date.fromisoformat(v) for k, v in (data.get("timetable") or {}).items()}
    known = [(k, timetable[k]) for k in TIMETABLE_ORDER if k in timetable]
    for (k1, d1), (k2, d2) in zip(known, known[1:]):
        if d2 < d1:
            _fail(source, f"timetable.{k2}", f"{d2} is before {k1} ({d1})")

    contract = data.get("contract")
    if (contract is None) != ("contract_start" not in timetable):
        _fail(source, "contract" if contract is None else "timetable.contract_start",
              "the contract period needs both timetable.contract_start and contract.years")

    lots, holder = [], {}
    for i, raw in enumerate(data.get("lots") or []):
        if any(lot.name == raw["name"] for lot in lots):
            _fail(source, f"lots[{i}].name", f"duplicate lot name {raw['name']!r}")
        for borough in raw["boroughs"]:
            if borough in holder:
                _fail(source, f"lots[{i}].boroughs", f"{borough!r} is already in lot {holder[borough]!r}")
            holder[borough] = raw["name"]
        lots.append(Lot(raw["name"], tuple(raw["boroughs"]), raw.get("indicative_value_gbp"),
                        tuple(raw.get("services") or ()), _kpis(raw.get("kpis") or [], f"lots[{i}]", source)))

    moderation = data.get("moderation") or {}
    return Rules(
        title=data["title"], version=data["version"], weights=weights, scale=scale,
        criteria=tuple(criteria), gates=tuple(gates),
        price_method=data["price"]["method"],
        abnormally_low=float(data["price"].get("abnormally_low", 0.7)),
        consensus=moderation.get("consensus", "median"),
        spread_flag=float(moderation.get("spread_flag", 2)),
        timetable=timetable, min_score_policy=data.get("min_score_policy"),
        contract_years=contract["years"] if contract else None,
        extension_years=int(contract.get("extension_years", 0)) if contract else 0,
        price_basis=contract["price_basis"] if contract else None,
        source=source, raw=data, lots=tuple(lots), contact=data.get("contact"), how_to_bid=data.get("how_to_bid"),
    )
