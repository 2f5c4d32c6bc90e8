"""Nothing silently lost (issue 10 item 3), bounded work on hostile files (issue 14 items 1
and 6), stated oblasts near borders (issue 10 item 4), GeoParquet export (item 1).

Fixtures are SYNTHETIC, built in code.
"""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo import cli
from geo.export import render
from geo.importers import InputError, detect_format, read_events
from geo.importers.coordinates import settle_points
from geo.oblasts import load_oblasts
from geo.schema import COLUMNS

CANONICAL_HEADER = ",".join(COLUMNS)


@pytest.fixture(autouse=True)
def _mappings(tmp_path, monkeypatch):
    monkeypatch.setattr("geo.importers.generic.default_mappings_file",
                        lambda: tmp_path / "mappings.json")


def _no_row_accepted(tmp_path):
    path = tmp_path / "osint.geojson"
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [50.0, 50.0]},
                 "properties": {"date": f"2024-01-0{i + 1}", "title": f"Sintetico {i}"}}
                for i in range(5)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_import_that_accepts_no_row_exits_non_zero_with_the_top_reasons(tmp_path, capsys):
    path = _no_row_accepted(tmp_path)
    store = tmp_path / "s.duckdb"
    code = cli.main(["import", str(path), "--store", str(store)])
    captured = capsys.readouterr()
    assert code == cli.EXIT_INPUT
    assert "import refused, nothing stored: no row accepted (read 5, rejected 5)" in captured.err
    assert "5× longitude: latitude equals longitude" in captured.err
    assert not store.exists()


def test_convert_that_accepts_no_row_writes_nothing_and_exits_non_zero(tmp_path, capsys):
    path = _no_row_accepted(tmp_path)
    out = tmp_path / "out.csv"
    assert cli.main(["convert", str(path), "--to", str(out)]) == cli.EXIT_INPUT
    assert not out.exists()
    assert "convert refused" in capsys.readouterr().err


def test_max_rejected_makes_a_partial_file_an_error(tmp_path, capsys):
    path = tmp_path / "part.csv"
    rows = ["when,town,notes"] + [f"0{d}/02/2024,Kharkiv,Sintetico strike" for d in range(1, 8)]
    rows += ["xx,Odesa,Sintetico", "yy,Sumy,Sintetico", "zz,Lviv,Sintetico"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert cli.main(["convert", str(path), "--to", str(out), "--max-rejected", "20"]) == 2
    err = capsys.readouterr().err
    assert "30.0% of rows rejected, over --max-rejected 20%" in err and not out.exists()
    assert cli.main(["convert", str(path), "--to", str(out), "--max-rejected", "30"]) == 0
    assert out.exists()


def test_the_report_accounts_for_every_row(tmp_path):
    path = tmp_path / "mixed.ndjson"
    lines = [json.dumps({"data": "2024-01-01", "luogo": "Kharkiv", "titolo": "Sintetico"}),
             "{not json", json.dumps([1, 2]), "{}",
             json.dumps({"data": "2024-01-02", "luogo": "Odesa", "titolo": "Sintetico"})]
    path.write_text("\n".join(lines), encoding="utf-8")
    result = read_events(path)
    assert result.rows_read == 5 and len(result.events) == 2
    assert sorted(r.row for r in result.rejections) == [2, 3, 4]


def _xlsx(rows: int, dimension: bool = True) -> bytes:
    """A minimal workbook with ``rows`` one-cell rows (inline strings), written directly."""
    body = "".join(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>x{i}</t></is></c></row>'
                   for i in range(1, rows + 1))
    files = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxml'
        'formats.org/package/2006/content-types"><Default Extension="rels" ContentType="appli'
        'cation/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
        'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="ap'
        'plication/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override'
        ' PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-of'
        'ficedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlfor'
        'mats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.op'
        'enxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbo'
        'ok.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlforma'
        'ts.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDoc'
        'ument/2006/relationships"><sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets>'
        '</workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://sch'
        'emas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="ht'
        'tp://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target='
        '"worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": '<?xml version="1.0"?><worksheet xmlns="http://schemas.op'
        'enxmlformats.org/spreadsheetml/2006/main">' + (
            f'<dimension ref="A1:A{rows}"/>' if dimension else "") + "<sheetData>" + body +
        "</sheetData>"
        "</worksheet>",
    }
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return raw.getvalue()


def test_xlsx_format_detection_reads_only_the_first_rows(tmp_path):
    """Issue 14 item 1: detection read the whole workbook (3M rows: ~2 min, ~1.2 GB).
    Memory while detecting a 200,000-row workbook stays far below reading it."""
    path = tmp_path / "tall.xlsx"
    path.write_bytes(_xlsx(200_000))
    tracemalloc.start()
    with pytest.raises(InputError) as err:
        detect_format(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "unknown format" in str(err.value)
    assert peak < 30 * 2**20, f"detection peaked at {peak / 2**20:.0f} MB"


def test_xlsx_sheet_without_a_size_record_is_refused_not_scanned(tmp_path):
    """openpyxl scans a whole sheet to size it when <dimension> is missing."""
    path = tmp_path / "unsized.xlsx"
    path.write_bytes(_xlsx(200_000, dimension=False))
    with pytest.raises(InputError) as err:
        read_events(path, "generic")
    assert "without a size record" in str(err.value)


def test_xlsx_over_the_row_limit_is_refused_before_parsing(tmp_path):
    path = tmp_path / "tall.xlsx"
    path.write_bytes(_xlsx(50_000))
    tracemalloc.start()
    with pytest.raises(InputError) as err:
        read_events(path, "generic", max_rows=1000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "more than 1,000 data rows" in str(err.value)
    assert peak < 20 * 2**20


def test_one_nul_byte_in_a_generic_file_rejects_that_row_only(tmp_path):
    """Issue 14 item 6, for the forgiving reader too (it used to drop the NUL silently)."""
    rows = ["when,town,notes"] + [f"0{d % 9 + 1}/02/2024,Kharkiv,Sintetico {d}"
                                  for d in range(173)]
    rows[50] = "05/02/2024,Khar\x00kiv,Sintetico"
    path = tmp_path / "nul.csv"
    path.write_bytes(("\n".join(rows) + "\n").encode())
    result = read_events(path)
    assert (result.rows_read, len(result.events)) == (173, 172)
    assert result.rejections[0].field == "town" and "NUL" in result.rejections[0].reason


def _point_near(inside: str, outside_of: str | None, km: float) -> tuple[float, float]:
    """A point ~km outside unit ``inside``'s edge, in ``outside_of`` (None: outside Ukraine)."""
    units = load_oblasts().set_index("iso").geometry
    ring = units[inside].buffer(km / 111).difference(units[inside])
    target = units[outside_of] if outside_of else units.union_all().buffer(0.5).difference(
        units.union_all())
    candidates = ring.intersection(target)
    point = candidates.representative_point()
    return point.y, point.x


def test_a_stated_oblast_wins_within_a_few_km_of_its_border(tmp_path):
    lat, lon = _point_near("UA-59", None, 2)           # 2 km outside Sumy oblast, in Russia
    lat2, lon2 = _point_near("UA-63", "UA-59", 2)      # Sumy oblast, 2 km from Kharkiv oblast
    lat3, lon3 = _point_near("UA-63", "UA-59", 20)     # 20 km away: the point wins
    path = tmp_path / "border.csv"
    path.write_text("date,lat,lon,oblast,notes\n"
                    f"2024-01-01,{lat:.5f},{lon:.5f},Sumy Oblast,Sintetico strike\n"
                    f"2024-01-02,{lat2:.5f},{lon2:.5f},Kharkiv Oblast,Sintetico strike\n"
                    f"2024-01-03,{lat3:.5f},{lon3:.5f},Kharkiv Oblast,Sintetico strike\n",
                    encoding="utf-8")
    assert list(settle_points([(lat, lon)]).admin1) == [""]
    result = read_events(path)
    got = dict(zip(result.events["event_date"], result.events["admin1"], strict=True))
    assert got == {"2024-01-01": "UA-59", "2024-01-02": "UA-63", "2024-01-03": "UA-59"}
    assert result.notes["oblast_stated_kept_near_border"] == 2
    assert result.notes["oblast_name_disagrees_with_point"] == 2
    assert set(result.events["country"]) == {"UKR"}


def test_geoparquet_export_is_read_by_geopandas():
    shared = Path(__file__).resolve().parents[2] / "shared" / "data"
    events = read_events(shared / "eyes-on-russia-cir" / "events.csv").events.head(300)
    data = render(events, "geoparquet", exported_on=date(2026, 1, 1))
    assert render(events, "geoparquet", exported_on=date(2026, 1, 1)) == data  # citable bytes
    frame = gpd.read_parquet(io.BytesIO(data))
    assert list(frame.columns[:len(COLUMNS)]) == list(COLUMNS)
    assert frame.crs.to_epsg() == 4326 and len(frame) == 300
    with_point = frame.geometry.notna()
    assert np.allclose(frame.geometry[with_point].y, frame["latitude"][with_point])
    assert shapely.get_type_id(frame.geometry[with_point]).max() == 0   # points only


@pytest.mark.parametrize("member", ["doc.kml", "layer.shp"])
def test_zip_bombs_in_kmz_and_shapefile_archives_are_refused_before_reading(tmp_path, member):
    path = tmp_path / "bomb.upload"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, b"<kml>" + b"\0" * (40 * 2**20))
    with pytest.raises(InputError) as err:
        read_events(path, "geodata")
    assert "too large or too compressed" in str(err.value)
