"""CIR / Bellingcat importer on the real events.csv, plus small fixtures built in code."""

from __future__ import annotations

import pytest

from geo.importers import detect_format, read_events
from geo.schema import COLUMNS
from tests.conftest import CIR

HEADER = ("entry,date,event_group,title,brief description,lat,lon,country,province,district,"
          "town/city,arms/munition,violence level,link,geolocation")


@pytest.fixture(scope="module")
def result():
    return read_events(CIR)


@pytest.fixture(scope="module")
def events(result):
    return result.events.set_index("event_id", drop=False)


def test_counts_and_top_reasons(result):
    assert detect_format(CIR) == "cir"
    assert result.rows_read == 6650
    assert len(result.events) + len(result.rejections) == result.rows_read
    assert len(result.rejections) == 5
    report = result.report()
    assert report["rejections_by_reason"][0] == {
        "reason": "longitude: latitude equals longitude (copy error)", "count": 3}
    assert report["rejections_by_reason"][1] == {
        "reason": "event_id: duplicate of row N", "count": 2}
    assert list(result.events.columns) == list(COLUMNS)
    assert result.events["event_id"].is_unique


def test_lat_equals_lon_rows_are_rejected(result, events):
    bad = {r.row: r for r in result.rejections}
    assert bad[4197].field == "longitude"  # UW6983, Pervomaisk: lon is a copy of lat
    assert bad[4197].reason == "latitude equals longitude (copy error)"
    assert {262, 4197, 5136} <= set(bad)
    assert "cir:UW6983" not in events.index
    assert "events.csv: row 4197: field 'longitude'" in result.report_text("events.csv")


def test_kyiv_city_points_labelled_kyiv_oblast_get_the_city_code(result, events):
    row = events.loc["cir:UW3155"]  # Iskander strike on a mall in Podil, province "Kyiv Oblast"
    assert row.admin1 == "UA-30" and row.country == "UKR"
    assert row.geo_precision == "exact" and row.verification == "verified"
    notes = result.notes
    # Mostly exactly this case (~190 of ~250 since the geoBoundaries oblasts; Natural Earth's
    # oversized Kyiv city added ~200 Irpin/Bucha/Hostomel points labelled "Kyiv Oblast").
    assert notes["oblast_name_disagrees_with_point"] > 200


def test_province_names_mostly_agree_with_the_point(result):
    notes = result.notes
    agree, disagree = notes["oblast_name_agrees_with_point"], \
        notes["oblast_name_disagrees_with_point"]
    assert agree / (agree + disagree) > 0.9


def test_weapon_is_inferred_and_marked_so(events):
    row = events.loc["cir:UW3155"]
    assert row.weapon_model == "Iskander-M" and row.weapon_origin == "RUS"
    assert row.origin_basis == "inferred"
    with_weapon = events[events.weapon_model != ""]
    assert len(with_weapon) > 80
    assert set(with_weapon.origin_basis) <= {"inferred", "ambiguous"}
    assert (events[events.weapon_model == ""].origin_basis == "unknown").all()
    assert (with_weapon.event_type == "impact").all()


def test_dates_typos_and_title_rule(result, events):
    assert events.loc["cir:UW4067"].event_date == "2022-02-24"   # typed 2024-02-24
    assert events.loc["cir:UW4066"].event_date == "2022-02-24"   # typed 2023-02-24
    assert result.notes["date_year_corrected"] == 3
    assert events.loc["cir:UW2917"].event_date == "2022-03-18"   # date 02-18, title 18/03
    assert events.loc["cir:UW0331"].event_date == "2022-02-17"   # empty date, title 17/02
    assert events.event_date.min() >= "2022-01-01" and events.event_date.max() <= "2022-12-31"


def test_repeated_entries(events, result):
    reused = events[events.source_id == "UW0104"]
    assert len(reused) == 2 and all(i.startswith("cir:UW0104~") for i in reused.index)
    assert len(events[events.source_id == "UW0523"]) == 2   # 3 rows, one an exact copy
    assert result.notes["entry_missing"] == 4
    assert (events[events.source_id == ""].index.str.startswith("cir:row~")).all()


def test_ids_are_stable(events):
    again = read_events(CIR).events
    assert again["event_id"].tolist() == events["event_id"].tolist()


def test_country_comes_from_the_point(events):
    assert events.loc["cir:UW0067"].country == "BLR"           # Petrishki, Belarus
    assert events.loc["cir:UW0067"].admin1 == ""
    assert set(events.country) >= {"UKR", "RUS", "BLR"}


def test_event_types_and_actor(events):
    assert events.loc["cir:UW0780"].event_type == "other"      # convoy moving through a street
    assert events.loc["cir:UW6888"].event_type == "impact"
    assert events.loc["cir:UW6888"].actor == "Russia"          # "A Russian Iskander missile strike"
    assert set(events.actor) == {"", "Russia", "Ukraine"}


def test_precision_and_sources(events):
    exact = events.geo_precision == "exact"
    assert exact.any() and (events.geo_precision[~exact] == "settlement").all()
    assert events.sources.str.split().explode().dropna().str.match(r"https?://").all()
    assert not events.sources.str.contains("?s=20", regex=False).any()


def _write(tmp_path, *lines: str):
    path = tmp_path / "cir.csv"
    path.write_text("\n".join((HEADER, *lines)) + "\n", encoding="utf-8")
    return path


def test_fixture_bad_coordinates_and_missing_date(tmp_path):
    path = _write(
        tmp_path,
        "X1,2022-03-01,Bombing or Explosion,01/03/2022 Shelling,Shelling,91.5,30.1,Ukraine,,,,,,",
        "X2,2022-03-01,Bombing or Explosion,01/03/2022 Shelling,Shelling,0,0,Ukraine,,,,,,",
        "X3,,Other,No date here,text,50.45,30.52,Ukraine,Kyiv,,Kyiv,,,,",
        "X4,2022-03-01,Other,01/03/2022 A,A,north,30.5,Ukraine,,,,,,",
        "X5,2022-03-01,Bombing or Explosion,01/03/2022 Kalibr strike,Kalibr strike,46.48,30.74,"
        "Ukrain,Odesa,,Odesa,,2,https://twitter.com/a/status/1498725396346507269?s=20,",
    )
    result = read_events(path)
    assert result.rows_read == 5 and len(result.events) == 1
    assert [(r.row, r.field) for r in result.rejections] == [
        (2, "latitude"), (3, "latitude"), (4, "event_date"), (5, "latitude")]
    row = result.events.iloc[0]
    assert row.admin1 == "UA-51" and row.geo_precision == "settlement"
    assert row.weapon_model == "Kalibr" and row.origin_basis == "inferred"
    assert row.sources == "https://twitter.com/a/status/1498725396346507269"
