"""Need models read from ``benchmarks.yaml``.

Two kinds, each with its citation kept beside the number:

- ``rate``:     need_i = base_i x per / per_population   (base_i from population.csv, e.g. adult women)
- ``caseload``: need_i = demand_i x referral_share / cases_per_fte   (demand_i from demand.csv)

A service type is data: adding a block to ``benchmarks.yaml`` adds a service, with no code changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd

from commissioning.errors import InputError
from commissioning.safeio import load_yaml

_NUMBER = {"type": "number", "exclusiveMinimum": 0}
_SCHEMA = {
    "type": "object",
    "required": ["status", "services"],
    "properties": {
        "status": {"type": "object", "required": ["green_at", "amber_at"],
                   "properties": {"green_at": _NUMBER, "amber_at": _NUMBER, "citation": {"type": "string"}}},
        "services": {
            "type": "object", "minProperties": 1,
            "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
            "additionalProperties": {
                "type": "object", "required": ["label", "unit", "use", "models"],
                "properties": {
                    "label": {"type": "string"}, "unit": {"type": "string"}, "use": {"type": "string"},
                    "models": {"type": "object", "minProperties": 1, "additionalProperties": {
                        "type": "object", "required": ["citation"],
                        "properties": {
                            "base": {"type": "string"}, "per": _NUMBER, "per_population": _NUMBER,
                            "measure": {"type": "string"}, "referral_share": _NUMBER, "cases_per_fte": _NUMBER,
                            "citation": {"type": "string"}, "illustrative": {"type": "boolean"},
                        }}},
                    "unit_cost": {"type": "object", "required": ["gbp_per_year", "per", "citation"],
                                  "additionalProperties": False,
                                  "properties": {"gbp_per_year": _NUMBER, "per": {"type": "string"},
                                                 "citation": {"type": "string"},
                                                 "illustrative": {"type": "boolean"}}},
                }},
        },
    },
}

# Built once: jsonschema.validate() would re-check the schema itself on every call.
_VALIDATOR = jsonschema.Draft202012Validator(_SCHEMA)


@dataclass(frozen=True)
class NeedModel:
    """One need model for one service type."""

    service: str
    kind: str                      # "rate" or "caseload"
    citation: str
    base: str | None = None        # population.csv column (rate)
    per: float | None = None
    per_population: float | None = None
    measure: str | None = None     # demand.csv measure (caseload)
    referral_share: float | None = None
    cases_per_fte: float | None = None
    illustrative: bool = False

    def describe(self) -> str:
        if self.kind == "rate":
            return f"{self.per:g} per {self.per_population:,.0f} {self.base.replace('_', ' ')}"
        share = f" × {self.referral_share:.0%} referred" if self.referral_share != 1 else ""
        return f"{self.measure.replace('_', ' ')}{share} / {self.cases_per_fte:g} cases per FTE"

    def need(self, population: pd.DataFrame, demand: pd.DataFrame) -> pd.Series:
        """Need per authority (Series indexed by code), in the service's unit."""
        if self.kind == "rate":
            base = population.set_index("code")[self.base].astype(float)
            return base * self.per / self.per_population
        values = demand.loc[demand["measure"] == self.measure].set_index("code")["value"].astype(float)
        values = values.reindex(population["code"])
        return values * self.referral_share / self.cases_per_fte


@dataclass(frozen=True)
class UnitCost:
    """The annual cost of one unit of a service (a full-time post, a refuge family place), in
    pounds a year, with its citation; ``illustrative`` when it is a local assumption."""

    gbp_per_year: float
    per: str
    citation: str
    illustrative: bool = True


@dataclass(frozen=True)
class ServiceBenchmark:
    service: str
    label: str
    unit: str
    models: dict[str, NeedModel]
    use: str
    unit_cost: UnitCost | None = None

    @property
    def model(self) -> NeedModel:
        return self.models[self.use]


@dataclass(frozen=True)
class Benchmarks:
    services: dict[str, ServiceBenchmark]
    green_at: float
    amber_at: float
    status_citation: str = ""
    path: str = "benchmarks.yaml"
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    def status(self, coverage_pct) -> np.ndarray:
        """Red/amber/green from coverage % (array-like). NaN coverage (no need figure) is 'n/a'."""
        cov = np.asarray(coverage_pct, dtype=float)
        out = np.where(cov >= self.green_at, "green", np.where(cov >= self.amber_at, "amber", "red"))
        return np.where(np.isnan(cov), "n/a", out)

    def with_models(self, choice: dict[str, str]) -> "Benchmarks":
        """Switch services to another listed model, e.g. ``{"idva": "caseload"}``."""
        services = dict(self.services)
        for service, model in choice.items():
            if service not in services:
                raise InputError(f"no service {service!r} in the benchmarks", file=self.path,
                                 expected=f"one of {sorted(services)}")
            if model not in services[service].models:
                raise InputError(f"service {service!r} has no model {model!r}", file=self.path,
                                 expected=f"one of {sorted(services[service].models)}")
            s = services[service]
            services[service] = ServiceBenchmark(s.service, s.label, s.unit, s.models, model, s.unit_cost)
        return Benchmarks(services, self.green_at, self.amber_at, self.status_citation, self.path, self.raw)


def load_benchmarks(path: str | Path) -> Benchmarks:
    path = Path(path)
    raw = load_yaml(path)  # strict: refuses .inf/.nan, aliases and duplicate keys with their line
    _refuse_non_finite(raw, "", path)
    error = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(raw))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InputError(f"{where}: {error.message}", file=path)
    status = raw["status"]
    if status["amber_at"] >= status["green_at"]:
        raise InputError("status.amber_at must be below status.green_at", file=path)
    services = {}
    for service, spec in raw["services"].items():
        models = {}
        for kind, m in spec["models"].items():
            if kind not in ("rate", "caseload"):
                raise InputError(f"services.{service}.models.{kind}: unknown model kind", file=path,
                                 expected="rate or caseload")
            needed = ("base", "per", "per_population") if kind == "rate" else ("measure", "referral_share", "cases_per_fte")
            for key in needed:
                if key not in m:
                    raise InputError(f"services.{service}.models.{kind}: missing {key!r}", file=path,
                                     expected=f"keys {list(needed)}")
            models[kind] = NeedModel(service=service, kind=kind, citation=" ".join(m["citation"].split()),
                                     illustrative=bool(m.get("illustrative", False)),
                                     **{k: m[k] for k in needed})
        if spec["use"] not in models:
            raise InputError(f"services.{service}.use: {spec['use']!r} is not one of its models", file=path,
                             expected=f"one of {sorted(models)}")
        services[service] = ServiceBenchmark(service, spec["label"], spec["unit"], models, spec["use"],
                                             _unit_cost(spec.get("unit_cost"), f"services.{service}.unit_cost", path))
    return Benchmarks(services, float(status["green_at"]), float(status["amber_at"]),
                      " ".join(str(status.get("citation", "")).split()), str(path), raw)


def _refuse_non_finite(value, where: str, path: Path) -> None:
    """Refuse .inf and .nan anywhere (YAML reads them as floats, which the schema's bounds let through)."""
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_non_finite(item, f"{where}.{key}" if where else str(key), path)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _refuse_non_finite(item, f"{where}[{i}]", path)
    elif isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"{where}: {value} is not a finite number", file=path, expected="a finite number")


def _unit_cost(spec: dict | None, where: str, path: Path) -> UnitCost | None:
    if spec is None:
        return None
    if isinstance(spec["gbp_per_year"], bool):
        raise InputError(f"{where}.gbp_per_year: not a number", file=path, expected="pounds a year, above 0")
    return UnitCost(float(spec["gbp_per_year"]), spec["per"], " ".join(spec["citation"].split()),
                    bool(spec.get("illustrative", True)))
