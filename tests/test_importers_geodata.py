"""Every geodata container through one path (issue 10 item 1) and stable ids (item 2).

All fixtures here are SYNTHETIC, built in code: invented titles and places, no real events.
The round trips through geopandas write the shared real files (CIR) as KML, GeoPackage,
GeoParquet and a zipped Shapefile and read them back: a test of the containers, not new data.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo.importers import InputError, detect_format, read_events
from geo.importers.generic import recall_mapping, remember_mapping

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CIR = SHARED / "eyes-on-russia-cir" / "events.csv"

# A hobby OSINT map's export as described in issue 10 (SYNTHETIC: invented rows).
OSINT_ROWS = [
    ("Attacco con droni su Kharkiv", "26/10/25", "drone strike", "Kharkiv", 50.0005, 36.2292,
     "verified"),
    ("Esplosioni a Odesa, porto colpito", "27/10/25", "missile strike", "Odesa", 46.4825,
     30.7233, "unverified"),
    ("Bombardamento notturno a Zaporizhzhia", "28/10/25", "shelling", "Zaporizhzhia", 47.8388,
     35.1396, "verified"),
    ("Incendio dopo l'attacco a Sumy", "31/10/25", "drone strike", "Sumy", 50.9077, 34.7981,
     "unverified"),
]


def osint_geojson(rows=OSINT_ROWS) -> dict:
    features = []
    for title, day, kind, place, lat, lon, verification in rows:
        features.append({"type": "Feature", "geometry": {"type": "Point",
                                                         "coordinates": [lon, lat]},
                         "properties": {
                             "title": title, "date": day, "type": kind, "location": place,
                             "link": "https://osint.example/post/" + place.lower(),
                             "verification": verification,
                             "description": f"Sintetico: descrizione di prova per {place}.",
                             "actor_code": "RU"}})
    return {"type": "FeatureCollection", "features": features}


@pytest.fixture()
def mappings(tmp_path, monkeypatch):
    path = tmp_path / "mappings.json"
    monkeypatch.setattr("geo.importers.generic.default_mappings_file", lambda: path)
    return path


def test_hobby_osint_geojson_with_italian_titles_imports(tmp_path, mappings):
    """Issue 10: 'read 4725, accepted 0, rejected 4725 — event_id: missing'."""
    path = tmp_path / "mappa.geojson"
    path.write_text(json.dumps(osint_geojson(), ensure_ascii=False), encoding="utf-8")
    assert detect_format(path) == "geodata"
    result = read_events(path)
    assert (result.rows_read, len(result.events), len(result.rejections)) == (4, 4, 0)
    events = result.events.set_index("location")
    assert events.loc["Kharkiv", "event_date"] == "2025-10-26"
    assert events.loc["Kharkiv", "admin1"] == "UA-63"
    assert events.loc["Odesa", "latitude"] == pytest.approx(46.4825)
    assert events.loc["Kharkiv", "verification"] == "verified"
    assert events.loc["Odesa", "sources"] == "https://osint.example/post/odesa"
    assert events.loc["Sumy", "description"].startswith("Incendio dopo l'attacco a Sumy — ")
    assert result.mapping["title"] == "title" and result.mapping["actor"] == "actor_code"
    assert result.events["event_id"].str.startswith("gen-").all()
    assert "GeoJSON FeatureCollection" in result.info["container"]


def test_property_names_in_other_languages_are_mapped(tmp_path, mappings):
    features = [{"type": "Feature", "geometry": None, "properties": {
        "дата": "2024-03-0" + str(i), "місце": "Харків", "тип": "impact",
        "опис": "Синтетичний рядок"}} for i in range(1, 4)]
    path = tmp_path / "ua.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), encoding="utf-8")
    result = read_events(path)
    assert len(result.events) == 3
    assert result.mapping["event_date"] == "дата" and result.mapping["location"] == "місце"
    assert set(result.events["admin1"]) == {"UA-63"}      # geocoded offline from the name
    it = tmp_path / "it.ndjson"
    it.write_text("\n".join(json.dumps({"data": "2024-05-01", "luogo": "Odesa",
                                        "titolo": f"Sintetico {i}", "tipo": "impact"})
                            for i in range(3)), encoding="utf-8")
    result = read_events(it)
    assert result.format == "geodata" and len(result.events) == 3
    assert result.mapping["location"] == "luogo" and result.mapping["title"] == "titolo"


def test_reimporting_the_same_file_gives_the_same_ids_and_a_correction_keeps_its_id(
        tmp_path, mappings):
    path = tmp_path / "mappa.geojson"
    path.write_text(json.dumps(osint_geojson()), encoding="utf-8")
    first = read_events(path)
    # The same rows in another order, one row corrected (verification and link changed).
    doc = osint_geojson(list(reversed(OSINT_ROWS)))
    doc["features"][0]["properties"]["verification"] = "verified"
    doc["features"][0]["properties"]["link"] = "https://osint.example/post/corrected"
    path.write_text(json.dumps(doc), encoding="utf-8")
    second = read_events(path)
    assert set(first.events["event_id"]) == set(second.events["event_id"])
    sumy = second.events.set_index("location").loc["Sumy"]
    assert sumy["verification"] == "verified"
    assert sumy["sources"] == "https://osint.example/post/corrected"


def test_same_date_place_and_title_twice_are_two_events_an_exact_repeat_is_one(
        tmp_path, mappings):
    rows = [OSINT_ROWS[0], OSINT_ROWS[0][:6] + ("unverified",), OSINT_ROWS[0]]
    path = tmp_path / "twice.geojson"
    path.write_text(json.dumps(osint_geojson(rows)), encoding="utf-8")
    result = read_events(path)
    assert (len(result.events), len(result.rejections)) == (2, 1)
    assert result.rejections[0].reason == "duplicate of row 1"
    ids = sorted(result.events["event_id"])
    assert ids[1] == ids[0] + "~2"


def test_a_mapping_given_for_a_geojson_is_used_and_remembered(tmp_path, mappings):
    path = tmp_path / "odd.geojson"
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [36.23, 50.0]},
                 "properties": {"quando": f"2024-01-0{i}", "cosa": "Sintetico"}}
                for i in range(1, 3)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    result = read_events(path, mapping={"event_date": "quando", "description": "cosa"})
    assert result.format == "geodata" and len(result.events) == 2
    remember_mapping(result.columns, result.mapping, path=mappings)
    assert recall_mapping(result.columns, mappings)["mapping"]["event_date"] == "quando"
    assert len(read_events(path).events) == 2      # remembered for this header signature


def test_non_point_geometries_get_a_representative_point_and_coarse_precision(tmp_path,
                                                                              mappings):
    square = shapely.geometry.box(36.20, 49.98, 36.26, 50.02)
    feature = {"type": "Feature", "geometry": shapely.geometry.mapping(square),
               "properties": {"date": "2024-02-01", "title": "Sintetico: area"}}
    path = tmp_path / "area.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature, {
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [36.2, 50.0]},
        "properties": {"date": "2024-02-02", "title": "Sintetico: punto"}}]}))
    result = read_events(path)
    events = result.events.set_index("event_date")
    assert events.loc["2024-02-01", "geo_precision"] == "settlement"
    assert square.contains(shapely.Point(events.loc["2024-02-01", "longitude"],
                                         events.loc["2024-02-01", "latitude"]))
    assert "representative point" in result.info["container"]


def test_legacy_crs_member_is_reprojected(tmp_path, mappings):
    x, y = 4033520.0, 6446276.0   # Web Mercator metres near Kharkiv
    doc = {"type": "FeatureCollection",
           "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
           "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
                         "properties": {"date": "2024-02-01", "title": "Sintetico"}}]}
    path = tmp_path / "mercator.geojson"
    path.write_text(json.dumps(doc))
    result = read_events(path)
    assert result.events["latitude"].iloc[0] == pytest.approx(50.0, abs=0.05)
    assert result.events["admin1"].iloc[0] == "UA-63"


def test_empty_features_are_rejected_not_lost(tmp_path, mappings):
    doc = osint_geojson()
    doc["features"].append({"type": "Feature", "geometry": None, "properties": {}})
    doc["features"].append({"type": "Feature", "geometry": None, "properties": None})
    path = tmp_path / "holes.geojson"
    path.write_text(json.dumps(doc))
    result = read_events(path)
    assert result.rows_read == 6 and len(result.events) == 4
    assert len(result.events) + len(result.rejections) == result.rows_read


def test_deeply_nested_json_is_a_one_line_error_not_a_recursion_error(tmp_path):
    """Issue 14 item 2: 0.4 MB of '[' raised RecursionError out of the reader."""
    for suffix, fmt in ((".geojson", "auto"), (".json", "auto"), (".geojson", "geojson")):
        path = tmp_path / f"deep{suffix}"
        path.write_bytes(b"[" * 400_000)
        with pytest.raises(InputError) as err:
            read_events(path, fmt)
        assert "nested" in str(err.value) and "\n" not in str(err.value)


def test_huge_json_is_refused_at_the_row_limit_without_reading_it_whole(tmp_path):
    """Issue 14 item 3: 6M empty features were parsed whole before the row limit applied.
    The stream stops at the first feature over the limit: the error names that feature."""
    path = tmp_path / "huge.geojson"
    features = b",".join([b'{"type":"Feature","geometry":null,"properties":{}}'] * 200_000)
    path.write_bytes(b'{"type":"FeatureCollection","features":[' + features + b"]}")
    with pytest.raises(InputError) as err:
        read_events(path, max_rows=1000)
    assert err.value.row == 1001 and "more than 1,000 data rows" in str(err.value)
    # Our own GeoJSON (canonical property names) the same way.
    canonical = b'{"type":"Feature","geometry":null,"properties":{"event_id":"x",' \
        b'"event_date":"2024-01-01","origin_basis":"unknown"}}'
    path.write_bytes(b'{"type":"FeatureCollection","features":[' + b",".join(
        [canonical] * 50_000) + b"]}")
    assert detect_format(path) == "geojson"
    with pytest.raises(InputError) as err:
        read_events(path, max_rows=1000)
    assert err.value.row == 1001


GOOGLE_MY_MAPS_KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2">
  <Document>
    <name>Mappa sintetica</name>
    <Folder>
      <name>Attacchi</name>
      <Placemark>
        <name>Attacco con droni su Kharkiv</name>
        <description><![CDATA[Sintetico<br>fonte: https://osint.example/1]]></description>
        <ExtendedData>
          <Data name="data"><value>26/10/25</value></Data>
          <Data name="tipo"><value>drone strike</value></Data>
          <Data name="luogo"><value>Kharkiv</value></Data>
        </ExtendedData>
        <Point><coordinates>36.2292,50.0005,0</coordinates></Point>
      </Placemark>
    </Folder>
    <Folder>
      <name>Esplosioni</name>
      <Placemark>
        <name>Esplosioni a Odesa</name>
        <ExtendedData>
          <Data name="data"><value>27/10/25</value></Data>
          <Data name="tipo"><value>explosion</value></Data>
          <Data name="luogo"><value>Odesa</value></Data>
        </ExtendedData>
        <Point><coordinates>30.7233,46.4825,0</coordinates></Point>
      </Placemark>
    </Folder>
  </Document>
</kml>
"""


def test_google_my_maps_kml_with_folders_and_extended_data(tmp_path, mappings):
    """What Google My Maps exports: one Folder per layer, fields in ExtendedData/Data
    (SYNTHETIC placemarks)."""
    path = tmp_path / "mymaps.kml"
    path.write_text(GOOGLE_MY_MAPS_KML, encoding="utf-8")
    result = read_events(path)
    assert (result.format, result.rows_read, len(result.events)) == ("geodata", 2, 2)
    assert result.mapping["event_date"] == "data" and result.mapping["location"] == "luogo"
    assert result.mapping["title"] == "Name"
    events = result.events.set_index("location")
    assert events.loc["Kharkiv", "event_date"] == "2025-10-26"
    assert events.loc["Odesa", "admin1"] == "UA-51"
    assert "2 layers" in result.info["container"]


def _cir_frame(n: int = 400) -> gpd.GeoDataFrame:
    frame = pd.read_csv(CIR, nrows=n, dtype=str).dropna(subset=["lat", "lon", "date"])
    frame = frame[["entry", "date", "lat", "lon", "town/city", "province", "title"]]
    frame = frame.rename(columns={"town/city": "town"})
    return gpd.GeoDataFrame(frame.drop(columns=["lat", "lon"]),
                            geometry=gpd.points_from_xy(frame["lon"].astype(float),
                                                        frame["lat"].astype(float)),
                            crs="EPSG:4326")


@pytest.mark.parametrize("kind", ["kml", "gpkg", "parquet", "shapefile", "kmz"])
def test_shared_cir_rows_round_trip_through_every_container(tmp_path, mappings, kind):
    """Round trip (geopandas writes the real CIR rows, we read them back): same rows accepted
    in every container as from the CSV, same dates and points."""
    frame = _cir_frame()
    if kind == "kml":
        path = tmp_path / "cir.kml"
        frame.to_file(path, driver="KML")
    elif kind == "kmz":
        kml = tmp_path / "doc.kml"
        frame.to_file(kml, driver="KML")
        path = tmp_path / "cir.kmz"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(kml, "doc.kml")
    elif kind == "gpkg":
        path = tmp_path / "cir.gpkg"
        frame.to_file(path, driver="GPKG")
    elif kind == "parquet":
        path = tmp_path / "cir.parquet"
        frame.to_parquet(path)
    else:
        shp = tmp_path / "shp"
        shp.mkdir()
        frame.to_file(shp / "cir.shp")
        path = tmp_path / "cir.zip"
        with zipfile.ZipFile(path, "w") as archive:
            for member in shp.iterdir():
                archive.write(member, member.name)
    assert detect_format(path) == "geodata"
    result = read_events(path, mapping={"event_date": "date"})
    assert result.rows_read == len(frame)
    assert len(result.events) + len(result.rejections) == result.rows_read
    assert len(result.events) >= 0.98 * len(frame)
    got = result.events.sort_values(["event_date", "latitude"]).reset_index(drop=True)
    want = frame.assign(lat=frame.geometry.y).sort_values(["date", "lat"])
    assert set(got["event_date"]) <= set(want["date"].str[:10])
    assert got["latitude"].round(4).isin(want["lat"].round(4)).all()
    # ids from the source's own column, never from a position (OGR's KML "cir.N")
    assert result.mapping["event_id"] == "entry"
    assert not result.events["event_id"].str.contains(r"\.\d+$").any()


def test_import_page_maps_a_geojson_and_never_offers_to_store_nothing(tmp_path, monkeypatch):
    from tests.test_importers_formats import _import_page

    at = _import_page(tmp_path, monkeypatch)
    data = json.dumps(osint_geojson()).encode()
    at.file_uploader(key="imp_file").upload("mappa.geojson", data, "application/json").run()
    assert not at.exception, at.exception
    values = {m.label: m.value for m in at.metric}
    assert (values["Rows read"], values["Accepted"]) == ("4", "4")
    boxes = {s.key.split("_", 3)[3]: s for s in at.selectbox if s.key.startswith("imp_map_")}
    assert boxes["title"].value == "title" and boxes["event_date"].value == "date"
    boxes["actor"].set_value("—")
    boxes["event_date"].set_value("actor_code").run()     # a wrong choice: nothing accepted
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Accepted"] == "0"
    assert "Nothing can be imported" in at.error[0].value
    assert not [b for b in at.button if b.label.startswith("Add ")]
    assert not at.success
