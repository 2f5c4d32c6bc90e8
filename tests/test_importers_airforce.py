"""Air Force importer on the real missile_attacks_daily.csv, plus small fixtures built in code."""

from __future__ import annotations

import csv

import pytest

from geo.importers import detect_format, read_events
from geo.importers.airforce import parse_time, place, source_url
from geo.schema import COLUMNS
from tests.conftest import AIRFORCE

HEADER = ("time_start,time_end,model,launch_place,target,target_main,launched,destroyed,"
          "not_reach_goal,still_attacking,border_crossing,is_shahed,num_hit_location,"
          "num_fall_fragment_location,carrier,turbojet,turbojet_destroyed,affected region,"
          "destroyed_details,launched_details,launch_place_details,source")


@pytest.fixture(scope="module")
def result():
    return read_events(AIRFORCE)


@pytest.fixture(scope="module")
def events(result):
    return result.events


def _raw_rows() -> list[dict[str, str]]:
    with open(AIRFORCE, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_counts_and_invariant(result):
    assert detect_format(AIRFORCE) == "airforce"
    assert result.format == "airforce"
    assert result.rows_read == 3585
    assert len(result.events) + len(result.rejections) == result.rows_read
    assert len(result.rejections) == 0
    assert list(result.events.columns) == list(COLUMNS)
    assert result.events["event_id"].is_unique


def test_event_ids_are_stable_across_reimports(events):
    again = read_events(AIRFORCE).events
    assert again["event_id"].tolist() == events["event_id"].tolist()
    assert (events["event_id"].str.removeprefix("airforce:") == events["source_id"]).all()


def test_kn23_row_of_2024_12_25(events):
    row = events[(events.weapon_model == "KN-23") & (events.event_date == "2024-12-25")]
    assert len(row) == 1
    row = row.iloc[0]
    assert row.weapon_origin == "PRK" and row.origin_basis == "catalogue"
    assert row.weapon_supplier == "PRK"  # from the catalogue, for the event date
    assert row.time_start == "2024-12-25T05:00:00+02:00"
    assert row.time_end == "2024-12-25T10:00:00+02:00" and row.time_precision == "hour"
    assert row.launched == 2 and row.destroyed == 0
    assert row.geo_precision == "country" and row.country == "UKR" and row.location == "Ukraine"
    assert row.actor == "Russia" and row.verification == "reported"
    assert row.sources.startswith("https://www.facebook.com/kpszsu/posts/pfbid0hXuMPHKB")
    assert "Voronezh oblast" in row.description


def test_iskander_kn23_rows_are_ambiguous(events):
    raw = [r["model"] for r in _raw_rows()]
    expected = sum("Iskander-M/KN-23" in m for m in raw)
    rows = events[events.weapon_model.str.contains("Iskander-M/KN-23", regex=False)]
    assert len(rows) == expected == 87
    assert (rows.weapon_origin == "RUS;PRK").all()
    assert (rows.origin_basis == "ambiguous").all()


def test_every_row_gets_a_catalogue_answer(result, events):
    assert result.unresolved == {}
    assert set(events.origin_basis) == {"catalogue", "ambiguous", "unknown"}
    unknown = events[events.origin_basis == "unknown"]
    assert (unknown.weapon_origin == "").all()
    assert set(unknown.weapon_model) <= {"Unknown UAV", "Reconnaissance UAV", "Unknown Missile",
                                         "Ballistic Missile", "Aerial Bomb", "Feniks"}
    shahed = events[events.weapon_model == "Shahed-136/131"]
    assert len(shahed) == 985 and (shahed.weapon_origin == "IRN").all()


def test_overnight_attack_is_dated_by_its_end(events):
    # 2024-01-01 20:00 → 2024-01-02 08:00: part of the "massive attack of 2 January 2024".
    night = events[events.time_start == "2024-01-01T20:00:00+02:00"]
    assert len(night) == 1 and night.iloc[0].event_date == "2024-01-02"
    day = events[events.event_date == "2024-01-02"]
    assert {"Kh-101/Kh-555", "Kh-47M2 Kinzhal", "Shahed-136/131"} <= set(day.weapon_model)


def test_summer_times_carry_the_summer_offset(events):
    summer = events[events.time_start.str.startswith("2024-07-")]
    assert len(summer) and summer.time_start.str.endswith("+03:00").all()


def test_time_precision_follows_the_times(events):
    both = (events.time_start != "") & (events.time_end != "")
    assert ((events.time_precision == "hour") == both).all()


@pytest.mark.parametrize(("target", "admin1", "precision", "country"), [
    ("Kyiv", "UA-30", "oblast", "UKR"),
    ("Kyiv oblast", "UA-32", "oblast", "UKR"),
    ("Dnipropetrovsk oblast, Kryvyi Rih Raion", "UA-12", "oblast", "UKR"),
    ("Kryvyi Rih", "UA-12", "oblast", "UKR"),
    ("Odesa oblast and Mykolaiv oblast", "UA-51;UA-48", "oblast", "UKR"),
    ("Kursk oblast", "RU-KRS", "oblast", "RUS"),
    ("Sumy oblast and Kursk oblast", "UA-59;RU-KRS", "oblast", "UKR"),
    ("south", "", "region", "UKR"),
    ("Kyiv oblast and north", "UA-32", "region", "UKR"),
])
def test_targets_map_to_oblasts_and_precision(events, target, admin1, precision, country):
    # Rows without affected-region/main-target lists: the target alone decides.
    plain = events[(events.location == target)
                   & ~events.description.str.contains("affected:|main targets:")]
    assert len(plain)
    assert set(plain.admin1) == {admin1}
    assert set(plain.geo_precision) == {precision}
    assert set(plain.country) == {country}


def test_nationwide_target_with_affected_oblasts_lists_them(result, events):
    raw = _raw_rows()
    i = next(i for i, r in enumerate(raw) if r["target"] == "Ukraine"
             and r["affected region"] == "['Kharkiv oblast', 'Donetsk oblast']")
    row = events.iloc[i]
    assert row.admin1 == "UA-63;UA-14" and row.geo_precision == "oblast"
    assert result.notes["admin1_from_affected_region"] > 100


def test_place_items():
    assert place("Lutsk oblast") == ("oblast", "UA-07")
    assert place("Dnipropetrovsk oblas") == ("oblast", "UA-12")
    assert place("Ukraine") == ("country", "")
    assert place("front line") == ("region", "")
    assert place("Atlantis") == ("unresolved", "")


def test_hits_stay_empty_and_hit_locations_go_to_the_description(events):
    assert events.hits.isna().all()
    assert events.description.str.contains("hits recorded at 10 locations").any()


def test_sources_become_urls():
    assert source_url("kpszsu/posts/pfbid0x") == "https://www.facebook.com/kpszsu/posts/pfbid0x"
    assert source_url("PvKPivden/videos/877888330651584") == \
        "https://www.facebook.com/PvKPivden/videos/877888330651584"
    assert source_url("GeneralStaff.ua/posts/pfbid02") == \
        "https://www.facebook.com/GeneralStaff.ua/posts/pfbid02"
    assert source_url("watch/?v=375517448001233") == \
        "https://www.facebook.com/watch/?v=375517448001233"
    assert source_url("kharkivoda.gov.ua/news/123125") == "https://kharkivoda.gov.ua/news/123125"
    assert source_url("https://t.me/kpszsu/44624") == "https://t.me/kpszsu/44624"
    assert source_url("") == ""


def test_parse_time_shapes():
    assert parse_time("2023-05-16 3:30")[1].isoformat() == "2023-05-16T03:30:00+03:00"
    assert parse_time("2024-05-16 ")[1] is None
    assert parse_time("2025-03-06 21:00 ")[1].hour == 21
    with pytest.raises(ValueError):
        parse_time("16.05.2024")


def _write(tmp_path, *lines: str, bom: bool = False):
    path = tmp_path / "attacks.csv"
    path.write_bytes((("\ufeff" if bom else "") + "\n".join((HEADER, *lines)) + "\n")
                     .encode("utf-8"))
    return path


def test_fixture_unknown_model_bad_time_repr_blobs_and_bom(tmp_path):
    path = _write(
        tmp_path,
        '2024-02-01 20:00,2024-02-02 08:00,Foo-9 drone,Kursk oblast,Ukraine,,5.0,4.0,,,'
        '{},,,,,,,"[\'Kyiv oblast\', \'Lviv oblast\']","{\'north\': NaN, \'south\': 4}",,,'
        'kpszsu/posts/x1',
        "yesterday,2024-02-02,Kalibr,,south,,1.0,1.0,,,{},,,,,,,,,,,kpszsu/posts/x2",
        "2024-02-03,2024-02-02,Kalibr,,south,,1.0,1.0,,,{},,,,,,,,,,,kpszsu/posts/x3",
        "2024-02-03,2024-02-03,Kalibr,,south,,1.5,1.0,,,{},,,,,,,,,,,kpszsu/posts/x4",
        bom=True,
    )
    assert detect_format(path) == "airforce"
    result = read_events(path)
    assert result.rows_read == 4 and len(result.events) == 1
    row = result.events.iloc[0]
    assert row.weapon_model == "Foo-9 drone" and row.weapon_origin == ""
    assert row.origin_basis == "unknown"
    assert result.unresolved == {"model: Foo-9 drone": 1}
    assert result.notes["model_unresolved"] == 1
    assert row.admin1 == "UA-32;UA-46" and row.geo_precision == "oblast"
    assert "destroyed by area: south 4" in row.description
    assert [(r.row, r.field) for r in result.rejections] == [
        (3, "time_start"), (4, "time_end"), (5, "launched")]
    assert result.rejections[1].reason == "ends before it starts"
