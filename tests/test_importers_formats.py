"""ACLED, UCDP GED, TimeMap and generic importers.

No real ACLED/UCDP/TimeMap file is available (docs/data-notes.md, "Not found"), so the
fixtures below are SYNTHETIC TEST FIXTURES written here by hand: they follow the official
column layouts (ACLED codebook, UCDP GED codebook, the Bellingcat TimeMap export) but every
row is invented for the test. They are built in tmp_path and never written to data/.
The generic importer is also run on the real shared CIR file.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from geo.filters import Filters
from geo.importers import detect_format, read_events
from geo.importers.acled import admin1_code
from geo.importers.generic import suggest_mapping
from geo.schema import COLUMNS
from tests.conftest import CIR


@pytest.fixture(autouse=True)
def _private_mappings_file(tmp_path, monkeypatch):
    """Never read or write the developer's var/mappings.json from a test."""
    from geo.importers import generic

    monkeypatch.setattr(generic, "default_mappings_file", lambda: tmp_path / "mappings.json")


# ---- SYNTHETIC ACLED export (codebook column layout; invented rows) --------------------------

ACLED_COLUMNS = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
    "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2",
    "admin3", "location", "latitude", "longitude", "geo_precision", "source", "source_scale",
    "notes", "fatalities", "tags", "timestamp")
EXPLOSION = ("Political violence", "Explosions/Remote violence")
RUSSIA = "Military Forces of Russia (2000-)"


def acled_row(eid, date, sub, lat, lon, *, admin1="Kharkiv", location="Kharkiv", geo="1",
              tp="1", notes="", country="Ukraine", fatalities="0", source="Suspilne",
              kind=EXPLOSION, actor=RUSSIA, civ=""):
    values = {
        "event_id_cnty": eid, "event_date": date, "year": date[-4:] if " " in date else date[:4],
        "time_precision": tp, "disorder_type": kind[0], "event_type": kind[1],
        "sub_event_type": sub, "actor1": actor, "inter1": "8", "actor2": "Civilians (Ukraine)",
        "inter2": "7", "interaction": "87", "civilian_targeting": civ, "iso": "804",
        "region": "Europe", "country": country, "admin1": admin1, "admin2": "", "admin3": "",
        "location": location, "latitude": lat, "longitude": lon, "geo_precision": geo,
        "source": source, "source_scale": "National", "notes": notes,
        "fatalities": fatalities, "tags": "", "timestamp": "1704380000"}
    return [values.get(c, "") for c in ACLED_COLUMNS]


def write_csv_rows(path, header, rows, delimiter=","):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def acled_file(tmp_path):
    rows = [
        acled_row("UKR100001", "2024-01-02", "Air/drone strike", "50.4501", "30.5234",
                  admin1="Kyiv City", location="Kyiv", fatalities="2",
                  notes="On 2 January 2024, Russian forces launched Kh-101 cruise missiles at "
                        "Kyiv; <b>{{7*7}}</b> debris fell on a residential building.",
                  source="Ukrainska Pravda; https://www.pravda.com.ua/news/1"),
        acled_row("UKR100002", "2024-01-03", "Shelling/artillery/missile attack", "49.98",
                  "36.26", geo="2", tp="2", notes="Russian forces shelled Kharkiv district."),
        acled_row("UKR100003", "2024-01-04", "Shelling/artillery/missile attack", "48.0159",
                  "37.8028", admin1="Donetsk", location="Donetsk", geo="3", tp="3",
                  notes="Artillery fire in Donetsk oblast during the month."),
        acled_row("UKR100004", "2024-01-05", "Disrupted weapons use", "46.4825", "30.7233",
                  admin1="Odesa", location="Odesa", kind=("Strategic developments",
                                                          "Strategic developments"),
                  actor="Military Forces of Ukraine (2019-)",
                  notes="Ukrainian air defence shot down 10 Shahed drones over Odesa."),
        acled_row("UKR100005", "2024-01-05", "Armed clash", "48.59", "38.00",
                  admin1="Donetsk", location="Bakhmut", kind=("Political violence", "Battles"),
                  notes="Clashes near Bakhmut."),
        acled_row("RUS200001", "2024-01-06", "Shelling/artillery/missile attack", "50.5954",
                  "36.5873", admin1="Belgorod", location="Belgorod", country="Russia",
                  actor="Military Forces of Ukraine (2019-)",
                  notes="Ukrainian forces shelled Belgorod."),
        acled_row("POL300001", "15 November 2022", "Remote explosive/landmine/IED", "50.4717",
                  "23.9322", admin1="Lubelskie", location="Przewodow", country="Poland",
                  actor="Unidentified Armed Group", notes="A missile fell on a farm."),
        acled_row("UKR100006", "2024-01-07", "Air/drone strike", "0", "0",
                  notes="Null island row."),
        acled_row("UKR100007", "2024-01-08", "Air/drone strike", "50.5436", "30.2128",
                  admin1="Kyiv", location="Bucha", notes="A drone hit Bucha."),
        acled_row("UKR100008", "2024-01-09", "Air/drone strike", "47.84", "35.14",
                  admin1="Dnipropetrovsk", location="Zaporizhzhia",
                  notes="An Iskander-M missile struck Zaporizhzhia."),
        acled_row("UKR100007", "2024-01-08", "Air/drone strike", "50.5436", "30.2128",
                  admin1="Kyiv", location="Bucha", notes="A drone hit Bucha."),
        acled_row("UKR100009", "2024-13-01", "Air/drone strike", "50.1", "30.1"),
    ]
    return write_csv_rows(tmp_path / "acled_export.csv", ACLED_COLUMNS, rows)


def by_id(result):
    return result.events.set_index("event_id", drop=False)


def test_acled_is_detected_and_accounts_for_every_row(acled_file):
    assert detect_format(acled_file) == "acled"
    result = read_events(acled_file)
    assert result.rows_read == 12
    assert len(result.events) + len(result.rejections) == result.rows_read
    assert list(result.events.columns) == list(COLUMNS)
    got = {(r.row, r.field) for r in result.rejections}
    assert got == {(9, "latitude"), (12, "event_id"), (13, "event_date")}
    reasons = {r.row: r.reason for r in result.rejections}
    assert "null island" in reasons[9] and reasons[12] == "duplicate of row 10"


def test_acled_rules(acled_file):
    events = by_id(read_events(acled_file))
    kyiv = events.loc["acled:UKR100001"]
    assert (kyiv.event_type, kyiv.geo_precision, kyiv.admin1, kyiv.country) == (
        "impact", "settlement", "UA-30", "UKR")
    assert kyiv.weapon_model == "Kh-101" and kyiv.weapon_origin == "RUS"
    assert kyiv.origin_basis == "inferred"
    assert kyiv.fatalities == 2 and kyiv.actor == RUSSIA
    assert "<b>{{7*7}}</b>" in kyiv.description            # kept as text, never evaluated
    assert "Ukrainska Pravda" in kyiv.description
    assert kyiv.sources == "https://www.pravda.com.ua/news/1"
    assert kyiv.source_dataset == "acled" and kyiv.source_id == "UKR100001"
    week = events.loc["acled:UKR100002"]
    assert week.geo_precision == "district" and week.time_precision == "week"
    assert (week.time_start, week.time_end) == ("2023-12-31", "2024-01-06")
    month = events.loc["acled:UKR100003"]
    assert month.geo_precision == "oblast" and month.time_precision == "month"
    assert (month.time_start, month.time_end) == ("2024-01-01", "2024-01-31")
    assert month.latitude == pytest.approx(48.0159)      # kept, but never a dot (oblast)
    intercept = events.loc["acled:UKR100004"]
    assert intercept.event_type == "interception" and intercept.weapon_origin == "IRN"
    assert events.loc["acled:UKR100005"].event_type == "other"
    assert events.loc["acled:UKR100005"].weapon_model == ""


def test_acled_points_outside_ukraine_are_kept(acled_file):
    events = by_id(read_events(acled_file))
    belgorod = events.loc["acled:RUS200001"]
    assert belgorod.country == "RUS" and belgorod.admin1 == "RU-BEL"
    poland = events.loc["acled:POL300001"]
    assert poland.country == "POL" and poland.admin1 == ""
    assert poland.event_date == "2022-11-15"


def test_acled_oblast_names_are_checked_against_the_point(acled_file):
    result = read_events(acled_file)
    events = by_id(result)
    assert events.loc["acled:UKR100007"].admin1 == "UA-32"   # ACLED "Kyiv" = Kyiv oblast
    assert events.loc["acled:UKR100008"].admin1 == "UA-23"   # the point wins over the name
    assert result.notes["oblast_name_disagrees_with_point"] == 1
    assert result.notes["oblast_name_agrees_with_point"] >= 5
    assert admin1_code("Kyiv", "Ukraine") == "UA-32"
    assert admin1_code("Kyiv City", "Ukraine") == "UA-30"


def test_acled_reimport_is_idempotent(acled_file):
    first, second = read_events(acled_file), read_events(acled_file)
    assert first.events["event_id"].tolist() == second.events["event_id"].tolist()


# ---- SYNTHETIC UCDP GED CSV (codebook column layout; invented rows) --------------------------

UCDP_COLUMNS = (
    "id", "relid", "year", "active_year", "code_status", "type_of_violence",
    "conflict_dset_id", "conflict_new_id", "conflict_name", "dyad_dset_id", "dyad_new_id",
    "dyad_name", "side_a_dset_id", "side_a_new_id", "side_a", "side_b_dset_id",
    "side_b_new_id", "side_b", "number_of_sources", "source_article", "source_office",
    "source_date", "source_headline", "source_original", "where_prec", "where_coordinates",
    "where_description", "adm_1", "adm_2", "latitude", "longitude", "geom_wkt",
    "priogrid_gid", "country", "country_id", "region", "event_clarity", "date_prec",
    "date_start", "date_end", "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown",
    "best", "high", "low")


def ucdp_row(uid, start, end, lat, lon, *, where="1", place="Kharkiv town", adm1="Kharkiv oblast",
             headline="Russian missile strike on Kharkiv", prec="1", best="3", country="Ukraine",
             article="Kyiv Independent,2024-05-26,'Strike on Kharkiv' https://kyivindependent.com/a",
             clarity="1", violence="1"):
    values = {
        "id": uid, "relid": f"UKR-2024-1-{uid}", "year": start[:4], "active_year": "1",
        "code_status": "Clear", "type_of_violence": violence, "conflict_dset_id": "13306",
        "conflict_new_id": "13306", "conflict_name": "Russia - Ukraine", "dyad_dset_id": "14290",
        "dyad_new_id": "14290", "dyad_name": "Government of Russia (Soviet Union) - "
        "Government of Ukraine", "side_a": "Government of Russia (Soviet Union)",
        "side_b": "Government of Ukraine", "number_of_sources": "2",
        "source_article": article, "source_office": "Kyiv Independent;Reuters",
        "source_date": start[:10], "source_headline": headline, "source_original": "Ukrinform",
        "where_prec": where, "where_coordinates": place, "where_description": place,
        "adm_1": adm1, "adm_2": "", "latitude": lat, "longitude": lon,
        "geom_wkt": f"POINT ({lon} {lat})" if lat else "", "priogrid_gid": "", "country": country,
        "country_id": "369" if country == "Ukraine" else "365", "region": "Europe",
        "event_clarity": clarity, "date_prec": prec, "date_start": start, "date_end": end,
        "deaths_a": "0", "deaths_b": "0", "deaths_civilians": best, "deaths_unknown": "0",
        "best": best, "high": best, "low": best}
    return [values.get(c, "") for c in UCDP_COLUMNS]


@pytest.fixture
def ucdp_file(tmp_path):
    rows = [
        ucdp_row("512001", "2024-05-25 00:00:00.000", "2024-05-25 00:00:00.000", "49.9935",
                 "36.2304", best="19", headline="Russian Iskander missile hits hypermarket in "
                 "Kharkiv"),
        ucdp_row("512002", "2024-03-01 00:00:00.000", "2024-03-31 00:00:00.000", "48.0",
                 "37.8", where="4", place="Donetsk oblast", adm1="Donetsk oblast", prec="3",
                 headline="Civilians killed in Donetsk oblast in March", best="12"),
        ucdp_row("512003", "2024-04-10 00:00:00.000", "2024-04-12 00:00:00.000", "48.3",
                 "37.2", where="2", place="Pokrovsk town", adm1="Donetsk oblast", prec="2",
                 headline="Shelling near Pokrovsk"),
        ucdp_row("512004", "2024-06-01 00:00:00.000", "2024-06-01 00:00:00.000", "44.5",
                 "32.5", where="7", place="Black Sea", adm1="",
                 headline="Ukrainian naval drone attack in the Black Sea"),
        ucdp_row("512005", "2024-06-02 00:00:00.000", "2024-06-02 00:00:00.000", "50.5954",
                 "36.5873", place="Belgorod city", adm1="Belgorod oblast",
                 country="Russia (Soviet Union)", headline="Ukrainian shelling of Belgorod"),
        ucdp_row("512006", "2024-06-05 00:00:00.000", "2024-06-03 00:00:00.000", "50.0",
                 "36.0"),
        ucdp_row("512007", "2024-06-06 00:00:00.000", "2024-06-06 00:00:00.000", "49.5",
                 "49.5"),
        ucdp_row("512008", "2024-06-07 00:00:00.000", "2024-06-07 00:00:00.000", "30.5234",
                 "50.4501", place="Kyiv city", adm1="Kyiv city",
                 headline="Drone debris falls in Kyiv"),
        ucdp_row("512009", "2024-06-08 00:00:00.000", "2024-06-08 00:00:00.000", "50.45",
                 "30.52", where="1", violence="2", headline="Armed clash between groups"),
    ]
    return write_csv_rows(tmp_path / "GEDEvent_v24_1.csv", UCDP_COLUMNS, rows)


def test_ucdp_is_detected_and_accounts_for_every_row(ucdp_file):
    assert detect_format(ucdp_file) == "ucdp"
    result = read_events(ucdp_file)
    assert result.rows_read == 9
    assert len(result.events) + len(result.rejections) == result.rows_read
    assert {(r.row, r.field) for r in result.rejections} == {(7, "date_end"), (8, "longitude")}


def test_ucdp_precision_codes_and_fields(ucdp_file):
    result = read_events(ucdp_file)
    events = by_id(result)
    strike = events.loc["ucdp:512001"]
    assert (strike.geo_precision, strike.time_precision, strike.event_date) == (
        "exact", "day", "2024-05-25")
    assert strike.time_start == "" and strike.fatalities == 19
    assert strike.actor == "Government of Russia (Soviet Union)"
    assert strike.event_type == "impact" and strike.weapon_model == "Iskander-M"
    assert strike.origin_basis == "inferred" and strike.admin1 == "UA-63"
    assert strike.sources == "https://kyivindependent.com/a"
    month = events.loc["ucdp:512002"]
    assert month.geo_precision == "oblast" and month.time_precision == "month"
    assert (month.time_start, month.time_end) == ("2024-03-01", "2024-03-31")
    assert events.loc["ucdp:512003"].geo_precision == "district"
    assert events.loc["ucdp:512003"].time_precision == "week"
    sea = events.loc["ucdp:512004"]
    assert sea.geo_precision == "unknown"
    belgorod = events.loc["ucdp:512005"]
    assert belgorod.country == "RUS" and belgorod.admin1 == ""
    assert events.loc["ucdp:512009"].event_type == "other"
    assert "non-state conflict" in events.loc["ucdp:512009"].description


def test_ucdp_swapped_coordinates_are_fixed_and_counted(ucdp_file):
    result = read_events(ucdp_file)
    kyiv = by_id(result).loc["ucdp:512008"]
    assert (kyiv.latitude, kyiv.longitude, kyiv.admin1) == (50.4501, 30.5234, "UA-30")
    assert result.notes["coordinates_swapped"] == 1


# ---- SYNTHETIC TimeMap / Bellingcat "Civilian Harm in Ukraine" export (invented events) ------

def timemap_event(eid, date, lat, lon, location, description, weapon="Unknown", sources=None,
                  area="Residential"):
    return {"id": eid, "date": date, "latitude": lat, "longitude": lon, "location": location,
            "description": description,
            "sources": sources if sources is not None else [
                {"id": f"src_{eid}_1", "path": f"https://t.me/example/{eid}",
                 "description": "video"}],
            "filters": [{"key": "Type of area affected", "value": area},
                        {"key": "Weapon System", "value": weapon}]}


@pytest.fixture
def timemap_file(tmp_path):
    events = [
        timemap_event("CIV0004", "02/24/2022", "47.775537", "37.239601", "Vuhledar",
                      "Strike next to a hospital. Fragment appears to be the nose of a Tochka "
                      "ballistic missile.", weapon="Cluster munitions", area="Healthcare"),
        timemap_event("CIV0003", "02/24/2022", "50.470055", "30.527381", "Kyiv",
                      "Explosion in central Kyiv.", sources=[
                          {"id": "srcHidden", "path": "HIDDEN", "description": "hidden"}]),
        timemap_event("CIV0017", "02/25/2022", "50.517921", "30.489868", "Obolon, Kyiv",
                      "Military vehicle runs over a civilian car.",
                      weapon="Vehicle mounted weapon"),
        timemap_event("CIV0024", "03/13/2022", "", "", "Okhtyrka, Sumy Oblast",
                      "Kindergarten hit by cluster munition.", weapon="Cluster munitions"),
        timemap_event("CIV0030", "2022-03-14", "49.987116", "36.261098", "Kharkiv",
                      "Rocket motor of a 9M55K Smerch in a street.",
                      weapon="Multiple launch rocket system"),
        timemap_event("CIV0031", "31/31/2022", "49.9", "36.2", "Kharkiv", "Bad date."),
        timemap_event("", "03/15/2022", "49.9", "36.2", "Kharkiv", "No id."),
        "not an object",
    ]
    path = tmp_path / "api.json"
    path.write_text(json.dumps(events, ensure_ascii=False), encoding="utf-8")
    return path


def test_timemap_is_detected_and_accounts_for_every_row(timemap_file):
    assert detect_format(timemap_file) == "timemap"
    result = read_events(timemap_file)
    assert result.rows_read == 8
    assert len(result.events) + len(result.rejections) == result.rows_read
    assert [(r.row, r.field) for r in result.rejections] == [
        (6, "date"), (7, "id"), (8, "event")]
    assert "month-first" in result.info["dates"]   # 03/13/2022 proves it


def test_timemap_rules(timemap_file):
    result = read_events(timemap_file)
    events = by_id(result)
    vuhledar = events.loc["timemap:CIV0004"]
    assert vuhledar.event_date == "2022-02-24" and vuhledar.geo_precision == "exact"
    assert vuhledar.weapon_model == "Tochka-U" and vuhledar.weapon_origin == "RUS"
    assert vuhledar.origin_basis == "inferred"
    assert "Weapon System: Cluster munitions" in vuhledar.description
    assert "Type of area affected: Healthcare" in vuhledar.description
    assert vuhledar.sources == "https://t.me/example/CIV0004"
    assert events.loc["timemap:CIV0003"].sources == ""
    assert result.notes["source_paths_not_links"] == 1
    assert events.loc["timemap:CIV0017"].event_type == "other"
    okhtyrka = events.loc["timemap:CIV0024"]          # no coordinates: geocoded offline
    assert okhtyrka.geo_precision == "settlement" and okhtyrka.admin1 == "UA-59"
    # "Cluster munitions" names no delivery system: class "other" (taxonomy), the label
    # stays in the description.
    assert okhtyrka.weapon_class == "other" and okhtyrka.weapon_origin == ""
    assert events.loc["timemap:CIV0030"].event_date == "2022-03-14"   # ISO also read
    assert events.loc["timemap:CIV0030"].weapon_model == "9M55K Smerch"
    assert events.loc["timemap:CIV0030"].verification == "verified"


# ---- generic: the real shared CIR file read as "any CSV" -------------------------------------

@pytest.fixture(scope="module")
def cir_generic(tmp_path_factory):
    store = tmp_path_factory.mktemp("mappings") / "mappings.json"
    return read_events(CIR, "generic", mappings_file=store)


def test_generic_reads_the_real_cir_file(cir_generic):
    result = cir_generic
    assert result.rows_read == 6650
    assert len(result.events) + len(result.rejections) == result.rows_read
    assert len(result.rejections) < 20
    mapping = result.mapping
    assert mapping["event_date"] == "date" and mapping["latitude"] == "lat"
    assert mapping["longitude"] == "lon" and mapping["location"] == "town/city"
    assert mapping["weapon_model"] == "arms/munition" and mapping["admin1"] == "province"
    assert "mapping" in result.info and "dates" not in result.info   # ISO: nothing to decide
    events = result.events
    assert set(events.origin_basis) <= {"unknown", "inferred", "catalogue", "ambiguous"}
    assert (events.origin_basis != "reported").all()
    assert {"UKR", "RUS", "BLR"} <= set(events.country)


def test_generic_ids_are_stable(cir_generic):
    again = read_events(CIR, "generic")
    assert again.events["event_id"].tolist() == cir_generic.events["event_id"].tolist()


def test_generic_mapping_found_by_values_when_names_say_nothing():
    header = ["c1", "c2", "c3", "c4", "c5"]
    rows = [["12/03/2024", "50.45", "30.52", "Kyiv", "Shahed-136"],
            ["13/03/2024", "49.99", "36.23", "Kharkiv", "Kalibr"],
            ["14/03/2024", "46.48", "30.72", "Odesa", "Iskander-M"]]
    suggestion = suggest_mapping(header, rows)
    assert suggestion.mapping == {"event_date": "c1", "latitude": "c2", "longitude": "c3",
                                  "location": "c4", "weapon_model": "c5"}
    assert "by values" in suggestion.why["latitude"]


# ---- the Import page (AppTest): generic mapping editor, limits, store ------------------------

def _import_page(tmp_path, monkeypatch, **env):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from geo.importers import generic

    monkeypatch.setenv("SALVO_STORE", str(tmp_path / "page.duckdb"))
    monkeypatch.setenv("SALVO_SEED_BUNDLED", "false")
    monkeypatch.delenv("SALVO_AUTH_ROLES", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(generic, "default_mappings_file", lambda: tmp_path / "mappings.json")
    root = Path(__file__).resolve().parents[1]
    at = AppTest.from_file(str(root / "app.py"), default_timeout=120)
    at.switch_page("pages/4_Import.py")
    return at.run()


GENERIC_UPLOAD = (b"when,town,what,notes\n"
                  b"13/01/2024,Kharkiv,Iskander-M,Missile strike on a warehouse\n"
                  b"14/01/2024,Atlantis,,Drone attack\n"
                  b"xx,Odesa,Kalibr,Strike\n")


def test_import_page_maps_reports_and_stores_a_generic_file(tmp_path, monkeypatch):
    from geo.importers.generic import recall_mapping
    from geo.store.duckdb import DuckDBStore

    at = _import_page(tmp_path, monkeypatch)
    at.file_uploader(key="imp_file").upload("mine.csv", GENERIC_UPLOAD, "text/csv").run()
    assert not at.exception, at.exception
    values = {m.label: m.value for m in at.metric}
    assert (values["Rows read"], values["Accepted"], values["Rejected"]) == ("3", "2", "1")
    boxes = {s.key.split("_", 3)[3]: s for s in at.selectbox if s.key.startswith("imp_map_")}
    assert boxes["event_date"].value == "when" and boxes["weapon_model"].value == "what"
    assert boxes["location"].value == "town" and boxes["description"].value == "notes"
    boxes["description"].set_value("—").run()                 # the user unmaps a column
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Accepted"] == "2"
    next(b for b in at.button if b.label.startswith("Add ")).click().run()
    assert "2 new" in at.success[0].value
    stored = DuckDBStore(tmp_path / "page.duckdb", snapshot=False).events(Filters())
    assert len(stored) == 2 and set(stored.description) == {""}
    remembered = recall_mapping(["when", "town", "what", "notes"], tmp_path / "mappings.json")
    assert remembered["mapping"]["description"] == "" and remembered["mapping"]["location"] == \
        "town"


def test_import_page_enforces_the_row_limit_in_our_loader(tmp_path, monkeypatch):
    at = _import_page(tmp_path, monkeypatch, SALVO_UPLOAD_MAX_ROWS="2")
    at.file_uploader(key="imp_file").upload("big.csv", GENERIC_UPLOAD, "text/csv").run()
    assert not at.exception
    assert "more than 2 data rows" in at.error[0].value
    assert not at.metric
