"""Importer API: format detection, canonical CSV/GeoJSON round trips, bad input, reports."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from geo.importers import (
    FORMAT_NAMES,
    FORMATS,
    ImportResult,
    InputError,
    detect_format,
    read_events,
    write_csv,
    write_geojson,
)
from geo.importers.convert import csv_bytes, geojson_bytes
from geo.schema import COLUMNS
from tests.conftest import AIRFORCE, CIR, make_events

CANONICAL_HEADER = ",".join(COLUMNS)


def _canonical_line(**values: object) -> str:
    base = {"event_id": "f1", "event_date": "2024-01-02", "event_type": "impact"}
    base.update(values)
    return ",".join(str(base.get(c, "")) for c in COLUMNS)


@pytest.fixture(scope="module")
def shared_results() -> dict[str, ImportResult]:
    return {"airforce": read_events(AIRFORCE), "cir": read_events(CIR)}


def test_registry_is_constant_and_named():
    assert isinstance(FORMATS, tuple) and FORMAT_NAMES == tuple(f.name for f in FORMATS)
    assert set(FORMAT_NAMES) == {"airforce", "cir", "canonical", "geojson", "geoparquet",
                                 "acled", "ucdp", "timemap", "geodata", "generic"}
    assert FORMAT_NAMES[-1] == "generic"  # the catch-all sniffer goes last


@pytest.mark.parametrize("name", ["airforce", "cir"])
def test_shared_files_keep_the_row_invariant(shared_results, name):
    result = shared_results[name]
    assert len(result.events) + len(result.rejections) == result.rows_read
    report = result.report()
    json.dumps(report)  # JSON-able
    assert report["read"] == result.rows_read
    assert report["accepted"] + report["rejected"] == report["read"]
    assert len(report["rejected_rows"]) <= 20


@pytest.mark.parametrize("name", ["airforce", "cir"])
def test_canonical_csv_round_trip_is_lossless(shared_results, tmp_path, name):
    events = shared_results[name].events
    out = tmp_path / "events.csv"
    write_csv(events, out)
    assert detect_format(out) == "canonical"
    back = read_events(out)
    assert back.rejections == [] and back.rows_read == len(events)
    expected = events.sort_values(["event_date", "event_id"], kind="mergesort")
    pd.testing.assert_frame_equal(back.events, expected.reset_index(drop=True))
    assert csv_bytes(back.events) == out.read_bytes()


@pytest.mark.parametrize("name", ["airforce", "cir"])
def test_geojson_round_trip_is_lossless(shared_results, tmp_path, name):
    events = shared_results[name].events
    out = tmp_path / "events.geojson"
    write_geojson(events, out)
    assert detect_format(out) == "geojson"
    back = read_events(out)
    assert back.rejections == []
    assert csv_bytes(back.events) == csv_bytes(events)
    doc = json.loads(out.read_text(encoding="utf-8"))
    with_point = [f for f in doc["features"] if f["geometry"]]
    assert all(list(f["properties"]) == list(COLUMNS) for f in doc["features"][:50])
    if name == "airforce":
        assert with_point == []
    else:
        f = with_point[0]
        assert f["geometry"]["coordinates"] == [f["properties"]["longitude"],
                                                f["properties"]["latitude"]]


def test_writers_are_deterministic(shared_results):
    events = shared_results["cir"].events
    shuffled = events.sample(frac=1, random_state=7)
    assert csv_bytes(events) == csv_bytes(shuffled)
    assert geojson_bytes(events) == geojson_bytes(shuffled)
    data = csv_bytes(events)
    assert b"\r\n" not in data and not data.startswith(b"\xef\xbb\xbf")


def test_canonical_csv_is_not_spreadsheet_neutralised(tmp_path):
    frame = make_events([{"description": "=1+1", "location": "@home", "launched": 3,
                          "latitude": 50.1, "longitude": 30.25}])
    out = tmp_path / "x.csv"
    write_csv(frame, out)
    back = read_events(out).events.iloc[0]
    assert back.description == "=1+1" and back.location == "@home"
    assert back.launched == 3 and back.latitude == 50.1


def test_bom_is_handled(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(("\ufeff" + CANONICAL_HEADER + "\n" + _canonical_line() + "\n")
                     .encode("utf-8"))
    assert detect_format(path) == "canonical"
    result = read_events(path)
    assert len(result.events) == 1 and result.rejections == []


def test_canonical_rejections_name_row_and_field(tmp_path):
    path = tmp_path / "rows.csv"
    lines = [CANONICAL_HEADER,
             _canonical_line(event_id="a"),
             _canonical_line(event_id="b", event_date=""),
             _canonical_line(event_id="c", latitude="95", longitude="30"),
             _canonical_line(event_id="a"),
             _canonical_line(event_id="a", location="elsewhere"),
             _canonical_line(event_id="d") + ",extra"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = read_events(path)
    assert result.rows_read == 6 and len(result.events) == 1
    got = [(r.row, r.field, r.reason) for r in result.rejections]
    assert got[0] == (3, "event_date", "missing")
    assert got[1][:2] == (4, "latitude") and "out of range" in got[1][2]
    assert got[2] == (5, "event_id", "duplicate of row 2")
    assert got[3][:2] == (6, "event_id") and "different values" in got[3][2]
    assert got[4][:2] == (7, "row")
    text = result.report_text("rows.csv")
    assert text.splitlines()[0].startswith("rows.csv: read 6, accepted 1, rejected 5")
    assert "rows.csv: row 3: field 'event_date': missing" in text


def test_unknown_format_is_an_input_error(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_events(path)
    message = str(err.value)
    assert message.startswith("other.csv: row 1: field header: unknown format")
    assert "\n" not in message


def test_cp1252_canonical_csv_is_read_like_the_same_bytes_as_generic(tmp_path):
    """Issue 10 item 5: the strict reader refused a Windows-1252 canonical CSV that the
    forgiving one accepted; one reader now decodes both the same way and says so."""
    path = tmp_path / "latin1.csv"
    good = _canonical_line(event_id="ok").encode()
    bad = _canonical_line(event_id="x", location="Kyïv").encode("cp1252")
    path.write_bytes(CANONICAL_HEADER.encode() + b"\n" + good + b"\n" + bad + b"\n")
    result = read_events(path, "canonical")
    assert sorted(result.events["location"]) == ["", "Kyïv"]
    assert result.info["encoding"].startswith("Windows-1252")
    assert len(result.events) == 2 and not result.rejections


def test_one_nul_byte_rejects_its_row_not_the_file(tmp_path):
    """Issue 14 item 6: one NUL byte in one cell refused a 174-row file as 'unknown format'."""
    path = tmp_path / "nul.csv"
    lines = [_canonical_line(event_id=f"e{i}").encode() for i in range(173)]
    lines.insert(40, _canonical_line(event_id="nul", location="Ky\x00iv").encode())
    path.write_bytes(CANONICAL_HEADER.encode() + b"\n" + b"\n".join(lines) + b"\n")
    result = read_events(path)
    assert result.format == "canonical"
    assert (result.rows_read, len(result.events), len(result.rejections)) == (174, 173, 1)
    rejection = result.rejections[0]
    assert (rejection.row, rejection.field) == (42, "location")
    assert "NUL" in rejection.reason


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "the file is empty"),
    (b"{not json", "not valid JSON"),
    (b'{"type": "FeatureCollection", "features": 3}', "not a GeoJSON FeatureCollection"),
    (b"\x00\x01binary", "unknown format"),
])
def test_unreadable_files_give_one_line_errors(tmp_path, content, expected):
    path = tmp_path / "f.geojson"
    path.write_bytes(content)
    fmt = "geojson" if content.startswith(b"{") else "auto"
    with pytest.raises(InputError, match=expected) as err:
        read_events(path, fmt)
    assert str(err.value).startswith("f.geojson: ") and "\n" not in str(err.value)


def test_missing_file_and_unknown_format_name(tmp_path):
    with pytest.raises(InputError, match="cannot open"):
        read_events(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="unknown format 'nope'"):
        read_events(AIRFORCE, "nope")


def test_geojson_geometry_fills_and_checks_coordinates(tmp_path):
    props = {c: "" for c in COLUMNS} | {"event_id": "g1", "event_date": "2024-01-02",
                                        "latitude": None, "longitude": None}
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [30.5, 50.4]},
         "properties": props},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [30.5, 50.4]},
         "properties": props | {"event_id": "g2", "latitude": 49.0, "longitude": 30.5}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": []},
         "properties": props | {"event_id": "g3"}},
        {"type": "Feature", "geometry": None, "properties": props | {"event_id": "g4",
                                                                     "event_date": "x"}},
    ]
    path = tmp_path / "g.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                    encoding="utf-8")
    result = read_events(path)
    assert result.rows_read == 4 and len(result.events) == 1
    assert result.events.iloc[0][["latitude", "longitude"]].tolist() == [50.4, 30.5]
    assert [(r.row, r.field) for r in result.rejections] == [
        (2, "latitude"), (3, "geometry"), (4, "event_date")]
