"""Validate OCDS 1.1 release packages offline against /work/shared/standards/ocds (the release
schema, with the lots extension merged in when a package declares it, and the codelists)."""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path

import jsonschema
from referencing import Registry
from referencing.jsonschema import DRAFT4

OCDS = Path(__file__).resolve().parents[3] / "shared" / "standards" / "ocds"
if not OCDS.is_dir():
    OCDS = Path("/work/shared/standards/ocds")
RELEASE_URL = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"
LOTS_URL = ("https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/"
            "v1.1.5/extension.json")


def merge_patch(target, patch):
    """RFC 7386 JSON Merge Patch (how OCDS extensions apply to the release schema)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def package_validator(extensions=()) -> jsonschema.Draft4Validator:
    release = json.loads((OCDS / "release-schema.json").read_text(encoding="utf-8"))
    if LOTS_URL in extensions:
        release = merge_patch(release, json.loads((OCDS / "extensions" / "lots" / "release-schema.json")
                                                  .read_text(encoding="utf-8")))
    package = json.loads((OCDS / "release-package-schema.json").read_text(encoding="utf-8"))
    registry = Registry().with_resource(RELEASE_URL, DRAFT4.create_resource(release))
    checker = jsonschema.Draft4Validator.FORMAT_CHECKER
    assert "date-time" in checker.checkers  # rfc3339-validator installed: date-time really checked
    return jsonschema.Draft4Validator(package, format_checker=checker, registry=registry)


def codes(name: str) -> set[str]:
    with (OCDS / "codelists" / f"{name}.csv").open(encoding="utf-8") as f:
        return {row["Code"] for row in csv.DictReader(f)}


def validate(package: dict) -> None:
    """Schema-valid and every coded value from its codelist."""
    package_validator(package.get("extensions", ())).validate(package)
    for release in package["releases"]:
        assert set(release["tag"]) <= codes("releaseTag")
        assert release["initiationType"] in codes("initiationType")
        for party in release.get("parties", []):
            assert set(party["roles"]) <= codes("partyRole")
        tender = release.get("tender")
        if tender:
            assert tender["status"] in codes("tenderStatus")
            assert tender["awardCriteria"] in codes("awardCriteria")
            assert tender["procurementMethod"] in codes("method")
            assert tender["mainProcurementCategory"] in codes("procurementCategory")
            assert "lots" not in tender or LOTS_URL in package.get("extensions", ())
        for award in release.get("awards", []):
            assert award["status"] in codes("awardStatus")
            assert award["value"]["currency"] in codes("currency")
            assert "relatedLots" not in award or LOTS_URL in package.get("extensions", ())
        for contract in release.get("contracts", []):
            assert contract["status"] in codes("contractStatus")
            for milestone in contract.get("implementation", {}).get("milestones", []):
                assert milestone["type"] in codes("milestoneType")
                assert milestone["status"] in codes("milestoneStatus")
