"""benchmarks.yaml: need models as data, rejected with the key path when wrong."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from commissioning.errors import InputError
from commissioning.needs.assessment import assess
from commissioning.needs.dataset import load_dataset


def edit_benchmarks(data_dir, change) -> None:
    path = data_dir / "benchmarks.yaml"
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(spec)
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")


@pytest.mark.parametrize("change, message", [
    (lambda s: s["services"]["idva"]["models"]["rate"].update(per=-4),
     "services.idva.models.rate.per: -4 is less than or equal to the minimum of 0"),
    (lambda s: s["services"]["idva"].update(use="gravity"),
     "services.idva.use: 'gravity' is not one of its models"),
    (lambda s: s["services"]["refuge"]["models"].update(poisson={"citation": "x"}),
     "services.refuge.models.poisson: unknown model kind"),
    (lambda s: s["services"]["isva"]["models"]["caseload"].pop("cases_per_fte"),
     "services.isva.models.caseload: missing 'cases_per_fte'"),
    (lambda s: s["status"].update(amber_at=95),
     "status.amber_at must be below status.green_at"),
    (lambda s: s["services"]["idva"]["models"]["rate"].update(base="adult_men"),
     "uses base column 'adult_men', which population.csv does not have"),
])
def test_bad_benchmarks_are_rejected_with_the_key(tmp_data_dir, change, message):
    edit_benchmarks(tmp_data_dir, change)
    with pytest.raises(InputError) as info:
        load_dataset(tmp_data_dir)
    assert "benchmarks.yaml" in str(info.value) or "population.csv" in str(info.value)
    assert message in str(info.value)


def test_a_new_adviser_type_needs_no_code(tmp_data_dir):
    # A "male victims IDVA" at 0.5 FTE per 100,000 residents, and one pan-London service of 10 FTE.
    edit_benchmarks(tmp_data_dir, lambda s: s["services"].update(male_idva={
        "label": "Male victims IDVA", "unit": "FTE", "use": "rate",
        "models": {"rate": {"base": "population", "per": 0.5, "per_population": 100000,
                            "citation": "test assumption"}}}))
    services = pd.read_csv(tmp_data_dir / "services.csv", dtype=str, keep_default_na=False)
    extra = services.iloc[[0]].assign(service_id="M1", service="male_idva", capacity="10", areas="London")
    pd.concat([services, extra]).to_csv(tmp_data_dir / "services.csv", index=False)
    gaps = assess(load_dataset(tmp_data_dir)).set_index(["service", "code"])
    # Westminster: 204,236 residents (Census 2021) x 0.5 / 100,000 = 1.02118 FTE of need; London has
    # 8,799,727 residents, so it gets 10 x 204,236 / 8,799,727 = 0.232093... FTE of the pan-London service.
    row = gaps.loc[("male_idva", "E09000033")]
    assert row["need"] == pytest.approx(1.02118)
    assert row["provision"] == pytest.approx(10 * 204_236 / 8_799_727)
    assert row["coverage_pct"] == pytest.approx(100 * 10 / 8_799_727 / (0.5 / 100_000))
