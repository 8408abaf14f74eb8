"""Reading and validating a data directory: every bad input names file, line and column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from commissioning.errors import InputError
from commissioning.needs.dataset import load_dataset


def services_frame(data_dir: Path) -> pd.DataFrame:
    return pd.read_csv(data_dir / "services.csv", dtype=str, keep_default_na=False)


def save(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False)


def load_error(data_dir: Path) -> str:
    with pytest.raises(InputError) as info:
        load_dataset(data_dir)
    return str(info.value)


def test_default_data_loads():
    ds = load_dataset()
    assert len(ds.population) == 33 and ds.population["code"].tolist()[0] == "E09000001"
    assert set(ds.services.loc[ds.services["service"] == "refuge", "confidential"]) == {True}
    assert "services" in ds.illustrative


def test_borough_aliases_are_accepted(tmp_data_dir):
    services = services_frame(tmp_data_dir)
    services.loc[0, "areas"] = "Kingston; Richmond"
    services.loc[1, "areas"] = "Hammersmith & Fulham"
    services.loc[2, "areas"] = "City of Westminster;E09000012"
    save(services, tmp_data_dir / "services.csv")
    population = pd.read_csv(tmp_data_dir / "population.csv", dtype=str, keep_default_na=False)
    population.loc[population["code"] == "E09000021", ["code", "name"]] = ["", "Kingston"]
    save(population, tmp_data_dir / "population.csv")
    ds = load_dataset(tmp_data_dir)
    areas = ds.services["areas"].tolist()
    assert areas[0] == ("E09000021", "E09000027")
    assert areas[1] == ("E09000013",)
    assert areas[2] == ("E09000033", "E09000012")
    assert ds.population.set_index("code").at["E09000021", "name"] == "Kingston upon Thames"


def test_misspelt_borough_rejected_by_name(tmp_data_dir):
    services = services_frame(tmp_data_dir)
    services.loc[3, "areas"] = "Hackny"  # data row 3 -> editor line 5
    save(services, tmp_data_dir / "services.csv")
    message = load_error(tmp_data_dir)
    assert f"{tmp_data_dir / 'services.csv'}, line 5, column 'areas': unknown borough 'Hackny'" in message


def test_code_outside_london_rejected(tmp_data_dir):
    population = pd.read_csv(tmp_data_dir / "population.csv", dtype=str, keep_default_na=False)
    population.loc[4, "code"] = "E08000025"  # Birmingham; data row 4 -> line 6
    save(population, tmp_data_dir / "population.csv")
    message = load_error(tmp_data_dir)
    assert f"{tmp_data_dir / 'population.csv'}, line 6, column 'code': code 'E08000025' is not an authority in London" \
        in message


def test_missing_column(tmp_data_dir):
    population = pd.read_csv(tmp_data_dir / "population.csv", dtype=str, keep_default_na=False)
    save(population.drop(columns=["adult_women"]), tmp_data_dir / "population.csv")
    message = load_error(tmp_data_dir)
    assert f"{tmp_data_dir / 'population.csv'}, line 1, column 'adult_women': missing column(s) ['adult_women']" \
        in message


@pytest.mark.parametrize("capacity, message", [
    ("-2", "-2 is below 0"),
    ("two", "'two' is not a number"),
    ("", "blank value"),
])
def test_bad_capacity(tmp_data_dir, capacity, message):
    services = services_frame(tmp_data_dir)
    services.loc[10, "capacity"] = capacity  # line 12
    save(services, tmp_data_dir / "services.csv")
    text = load_error(tmp_data_dir)
    assert f"{tmp_data_dir / 'services.csv'}, line 12, column 'capacity': {message}" in text


def test_duplicate_service_ids(tmp_data_dir):
    services = services_frame(tmp_data_dir)
    services.loc[20, "service_id"] = services.loc[2, "service_id"]  # line 22 repeats line 4
    save(services, tmp_data_dir / "services.csv")
    text = load_error(tmp_data_dir)
    assert "services.csv, line 22, column 'service_id': duplicate service_id 'S003' (first on line 4)" in text


def test_refuge_must_be_confidential_and_coordinates_not_echoed(tmp_data_dir):
    services = services_frame(tmp_data_dir)
    refuge = services.index[services["service"] == "refuge"][0]
    services.loc[refuge, "confidential"] = "false"
    save(services, tmp_data_dir / "services.csv")
    text = load_error(tmp_data_dir)
    assert f"line {refuge + 2}, column 'confidential': a refuge must be confidential" in text
    services.loc[refuge, ["confidential", "lat"]] = ["true", "151.52481"]
    save(services, tmp_data_dir / "services.csv")
    text = load_error(tmp_data_dir)
    assert f"line {refuge + 2}, column 'lat': coordinate out of range" in text and "151.5" not in text


def test_swapped_coordinates_and_absurd_capacity_are_refused(tmp_data_dir):
    """Issue 22: a refuge's latitude and longitude typed the wrong way round, and a capacity of
    1e308 (which wrote inf into the assessment CSV), are refused without repeating the location."""
    services = services_frame(tmp_data_dir)
    refuge = services.index[services["service"] == "refuge"][0]
    lat, lon = services.loc[refuge, "lat"], services.loc[refuge, "lon"]
    services.loc[refuge, ["lat", "lon"]] = [lon, lat]
    save(services, tmp_data_dir / "services.csv")
    text = load_error(tmp_data_dir)
    assert f"line {refuge + 2}, column 'lat': latitude and longitude look swapped" in text
    assert str(lat)[:5] not in text and str(lon)[:5] not in text
    services.loc[refuge, ["lat", "lon"]] = [lat, lon]
    services.loc[3, "capacity"] = "1e308"
    save(services, tmp_data_dir / "services.csv")
    assert "line 5, column 'capacity': 1e308 is more than 1,000,000,000" in load_error(tmp_data_dir)


@pytest.mark.parametrize("column", ["capacity", "areas"])
def test_coordinates_typed_into_another_column_are_not_repeated(tmp_data_dir, column):
    services = services_frame(tmp_data_dir)
    refuge = services.index[services["service"] == "refuge"][0]
    services.loc[refuge, column] = "51.52481 -0.07566"
    save(services, tmp_data_dir / "services.csv")
    text = load_error(tmp_data_dir)
    assert f"line {refuge + 2}, column '{column}'" in text and "51.52" not in text and "0.0756" not in text


def test_empty_file(tmp_data_dir):
    (tmp_data_dir / "demand.csv").write_text("", encoding="utf-8")
    text = load_error(tmp_data_dir)
    assert text.startswith(f"{tmp_data_dir / 'demand.csv'}: file is empty")


def test_header_only_file(tmp_data_dir):
    (tmp_data_dir / "services.csv").write_text("service_id,provider,service,capacity,areas\n", encoding="utf-8")
    assert "services.csv: file has a header but no rows" in load_error(tmp_data_dir)


def test_wrong_encoding(tmp_data_dir):
    lines = (tmp_data_dir / "services.csv").read_text(encoding="utf-8").splitlines()
    lines[6] = lines[6].replace("(illustrative)", "Café (illustrative)", 1)  # line 7, provider column
    (tmp_data_dir / "services.csv").write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    text = load_error(tmp_data_dir)
    assert f"{tmp_data_dir / 'services.csv'}, line 7, column 'provider': not valid UTF-8 (byte 0xe9)" in text
    assert "CSV UTF-8" in text


def test_demand_duplicate_and_negative(tmp_data_dir):
    demand = pd.read_csv(tmp_data_dir / "demand.csv", dtype=str, keep_default_na=False)
    demand.loc[5, "value"] = "-1"  # line 7
    save(demand, tmp_data_dir / "demand.csv")
    assert "demand.csv, line 7, column 'value': -1 is below 0" in load_error(tmp_data_dir)
    demand.loc[5, "value"] = "10"
    demand.loc[6, ["code", "measure"]] = demand.loc[5, ["code", "measure"]].tolist()  # line 8 repeats 7
    save(demand, tmp_data_dir / "demand.csv")
    assert "demand.csv, line 8, column 'measure'" in load_error(tmp_data_dir)


def test_caseload_measure_missing_from_demand(tmp_data_dir):
    demand = pd.read_csv(tmp_data_dir / "demand.csv", dtype=str, keep_default_na=False)
    save(demand[demand["measure"] != "sexual_offences"], tmp_data_dir / "demand.csv")
    text = load_error(tmp_data_dir)
    assert "demand.csv, column 'measure': need model for 'isva' uses measure 'sexual_offences'" in text


def test_population_missing_an_authority(tmp_data_dir):
    population = pd.read_csv(tmp_data_dir / "population.csv", dtype=str, keep_default_na=False)
    save(population[population["code"] != "E09000012"], tmp_data_dir / "population.csv")
    assert "population.csv, column 'code': no row for E09000012 Hackney" in load_error(tmp_data_dir)
