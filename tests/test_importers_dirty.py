"""Dirty real-world files through the forgiving readers (generic CSV/XLSX), all built in code.

Every case of issue 3: encodings, delimiters, quoted newlines, odd headers, date orders and
shapes, coordinate faults, mojibake, markup kept as text, duplicates, limits, XLSX, mapping.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime

import pandas as pd
import pytest

from geo.importers import InputError, detect_format, read_events
from geo.importers._common import DateReader, parse_coordinate, parse_point, repair_mojibake
from geo.importers.generic import (
    parse_map_args,
    recall_mapping,
    remember_mapping,
    signature,
)


@pytest.fixture(autouse=True)
def _private_mappings_file(tmp_path, monkeypatch):
    """Never read or write the developer's var/mappings.json from a test."""
    from geo.importers import generic

    monkeypatch.setattr(generic, "default_mappings_file", lambda: tmp_path / "mappings.json")


def read(path, fmt="auto", **kwargs):
    """read_events plus the invariant every report must keep."""
    result = read_events(path, fmt, **kwargs)
    assert len(result.events) + len(result.rejections) == result.rows_read
    report = result.report()
    json.dumps(report)
    assert report["accepted"] + report["rejected"] == report["read"]
    return result


def write(tmp_path, text, name="events.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


BASE = [
    ("date", "place", "lat", "lon", "weapon", "notes"),
    ("2024-01-02", "Київ", "50.4501", "30.5234", "Kh-101", "Ракета влучила в будинок"),
    ("2024-01-03", "Харків", "49.9935", "36.2304", "Shahed-136", "Дрон атакував"),
    ("2024-01-04", "Одеса", "46.4825", "30.7233", "Kalibr", "Удар по порту"),
]


def table(rows, delimiter=","):
    return "\n".join(delimiter.join(r) for r in rows) + "\n"


def comparable(result):
    return result.events.drop(columns=["source_dataset"]).reset_index(drop=True)


# ---- encodings -------------------------------------------------------------------------

@pytest.mark.parametrize(("encoding", "bom", "delimiter", "label"), [
    ("utf-8", b"", ",", "UTF-8"),
    ("utf-8", b"\xef\xbb\xbf", ",", "UTF-8 with BOM"),
    ("utf-16-le", b"\xff\xfe", "\t", "UTF-16 with BOM"),     # Excel "Unicode text"
    ("cp1251", b"", ";", "Windows-1251"),
])
def test_cyrillic_in_every_encoding_gives_the_same_events(tmp_path, encoding, bom, delimiter,
                                                          label):
    reference = read(write(tmp_path, table(BASE), "ref.csv"), "generic")
    path = tmp_path / "enc.csv"
    path.write_bytes(bom + table(BASE, delimiter).encode(encoding))
    assert detect_format(path) == "generic"
    result = read(path)
    assert result.info["encoding"].startswith(label)
    pd.testing.assert_frame_equal(comparable(result), comparable(reference))
    assert result.events.location.tolist() == ["Київ", "Харків", "Одеса"]


def test_windows_1252_latin_text(tmp_path):
    rows = [BASE[0], ("03/01/2024", "Kyïv café", "50.45", "30.52", "", "Dégâts – «rapport»")]
    path = tmp_path / "w1252.csv"
    path.write_bytes(table(rows).encode("cp1252"))
    result = read(path)
    assert result.info["encoding"].startswith("Windows-1252")
    row = result.events.iloc[0]
    assert row.location == "Kyïv café" and row.description == "Dégâts – «rapport»"


def test_binary_file_named_csv_is_one_line_error(tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(InputError) as err:
        read_events(path, "generic")
    assert "binary" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(InputError, match="unknown format"):
        read_events(path)


# ---- delimiters, quoting, headers ------------------------------------------------------------

def test_semicolon_with_decimal_commas_and_tab(tmp_path):
    semi = "date;place;lat;lon\n02.01.2024;Kyiv;50,4501;30,5234\n13.01.2024;Lviv;49,84;24,03\n"
    tab = semi.replace(";", "\t")
    a, b = read(write(tmp_path, semi, "a.csv")), read(write(tmp_path, tab, "b.tsv"))
    assert a.info["delimiter"] == "semicolon" and b.info["delimiter"] == "tab"
    assert a.events.latitude.tolist() == [50.4501, 49.84]
    assert a.events.event_date.tolist() == ["2024-01-02", "2024-01-13"]
    pd.testing.assert_frame_equal(comparable(a), comparable(b))


def test_quoted_newlines_keep_text_and_row_numbers(tmp_path):
    text = ('Event Date,Town / City,Lat/Lon,Notes\n'
            '2024-01-02,Kyiv,"50.45, 30.52","first line\nsecond line"\n'
            '2024-01-03,Kharkiv,"0, 0","null island"\n')
    result = read(write(tmp_path, text))
    assert result.mapping == {"event_date": "Event Date", "coordinates": "Lat/Lon",
                              "location": "Town / City", "description": "Notes"}
    assert result.events.iloc[0].description == "first line\nsecond line"
    assert [(r.row, r.field) for r in result.rejections] == [(4, "latitude")]  # line 4, not 5


def test_header_keys_tolerate_spaces_case_and_slashes(tmp_path):
    text = " EVENT DATE , Latitude ,LONGITUDE, Town/City \n2024-02-01,48.0,37.8,Donetsk\n"
    result = read(write(tmp_path, text))
    assert {"event_date", "latitude", "longitude", "location"} <= set(result.mapping)
    assert result.events.iloc[0].admin1 == "UA-14"


# ---- dates ---------------------------------------------------------------------------------

def test_day_first_and_month_first_are_decided_per_column(tmp_path):
    day_first = "date,place\n13/01/2024,Kyiv\n02/03/2024,Kyiv\n"
    month_first = "date,place\n01/13/2024,Kyiv\n02/03/2024,Kyiv\n"
    a = read(write(tmp_path, day_first, "d.csv"))
    b = read(write(tmp_path, month_first, "m.csv"))
    assert a.events.event_date.tolist() == ["2024-01-13", "2024-03-02"]
    assert b.events.event_date.tolist() == ["2024-01-13", "2024-02-03"]
    assert "day-first" in a.info["dates"] and "month-first" in b.info["dates"]


def test_ambiguous_dates_are_reported_and_can_be_overridden(tmp_path):
    path = write(tmp_path, "date,place\n02/03/2024,Kyiv\n04/05/2024,Lviv\n")
    result = read(path)
    assert "AMBIGUOUS" in result.info["dates"]
    assert result.notes["date_order_ambiguous_assumed_dmy"] == 1
    assert result.events.event_date.tolist() == ["2024-03-02", "2024-05-04"]
    assert "AMBIGUOUS" in result.report_text()
    other = read(path, date_order="mdy")
    assert other.events.event_date.tolist() == ["2024-02-03", "2024-04-05"]


def test_mixed_orders_are_never_silently_mixed(tmp_path):
    text = "date,place\n13/01/2024,Kyiv\n25/01/2024,Kyiv\n01/14/2024,Kyiv\n"
    result = read(write(tmp_path, text))
    assert result.events.event_date.tolist() == ["2024-01-13", "2024-01-25"]
    assert len(result.rejections) == 1 and result.rejections[0].row == 4
    assert "day-first" in result.rejections[0].reason
    assert "rejected" in result.info["dates"]


def test_date_shapes(tmp_path):
    text = ("date,place\n"
            "2024-03-01T22:30:00Z,Kyiv\n"         # UTC → Kyiv: next day
            "2024-07-01 10:00,Kyiv\n"             # naive → taken as Kyiv time
            "2024-01-01/2024-01-03,Kyiv\n"        # range → week
            "1-3 Jan 2024,Kyiv\n"
            "05/02/24,Kyiv\n"                     # two-digit year
            "15 January 2024,Kyiv\n"
            "not a date,Kyiv\n")
    result = read(write(tmp_path, text))
    rows = result.events
    assert rows.event_date.tolist() == ["2024-03-02", "2024-07-01", "2024-01-01", "2024-01-01",
                                        "2024-02-05", "2024-01-15"]
    assert rows.time_start.tolist()[:2] == ["2024-03-02T00:30:00+02:00",
                                            "2024-07-01T10:00:00+03:00"]
    assert rows.time_precision.tolist() == ["hour", "hour", "week", "week", "day", "day"]
    assert rows.time_end.tolist()[2:4] == ["2024-01-03", "2024-01-03"]
    assert result.notes["time_converted_to_kyiv"] == 1
    assert result.notes["time_assumed_kyiv_local"] == 1
    assert result.notes["date_two_digit_year"] == 1
    assert [(r.row, r.field) for r in result.rejections] == [(8, "event_date")]


def test_spreadsheet_midnight_times_are_dates():
    reader = DateReader(["2024-01-02 00:00:00", "2024-01-03 00:00:00"])
    parsed = reader.parse("2024-01-02 00:00:00")
    assert parsed.start_time is None and parsed.precision == "day"


# ---- coordinates --------------------------------------------------------------------------

def test_coordinate_faults(tmp_path):
    text = ("date,place,lat,lon\n"
            "2024-01-02,a,\"50,4501\",\"30,5234\"\n"   # decimal commas → ok
            "2024-01-02,b,30.5234,50.4501\n"           # swapped: the swap lies in Ukraine
            "2024-01-02,c,130.5,49.9\n"                # lat beyond 90, lon fits → swapped
            "2024-01-02,d,0,0\n"                       # null island
            "2024-01-02,e,49.5,49.5\n"                 # lat == lon
            "2024-01-02,f,95,200\n"                    # out of range
            "2024-01-02,g,50.5954,36.5873\n"           # Belgorod: kept, RUS
            "2024-01-02,h,50.0412,21.9991\n"           # Rzeszów: kept, POL
            "2024-01-02,i,inf,30\n"                    # not finite
            "2024-01-02,j,50.45,\n")                   # one coordinate only
    result = read(write(tmp_path, text))
    events = result.events.set_index("location")
    assert events.loc["a", ["latitude", "longitude"]].tolist() == [50.4501, 30.5234]
    assert events.loc["b", ["latitude", "longitude"]].tolist() == [50.4501, 30.5234]
    assert events.loc["c", ["latitude", "longitude"]].tolist() == [49.9, 130.5]
    assert result.notes["coordinates_swapped"] == 2
    assert (events.loc["g", "country"], events.loc["h", "country"]) == ("RUS", "POL")
    assert result.notes["point_outside_ukraine"] >= 3
    reasons = {r.row: (r.field, r.reason) for r in result.rejections}
    assert reasons[5] == ("latitude", "null island (0, 0): coordinates missing")
    assert reasons[6] == ("longitude", "latitude equals longitude (copy error)")
    assert reasons[7][0] == "latitude" and "out of range" in reasons[7][1]
    assert reasons[10][0] == "latitude" and "not a number" in reasons[10][1]
    assert reasons[11] == ("longitude", "only one coordinate given")


@pytest.mark.parametrize(("text", "expected"), [
    ("50.45", 50.45), (" 49.9 ", 49.9), ("50,45", 50.45), ("50°27'N", 50.45),
    ("30°31'12\"E", 30.52), ("50.45 S", -50.45), ("", None)])
def test_parse_coordinate(text, expected):
    value = parse_coordinate(text)
    assert value == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize("text", ["inf", "-inf", "nan", "north", "1e400"])
def test_parse_coordinate_rejects(text):
    with pytest.raises(ValueError):
        parse_coordinate(text)


@pytest.mark.parametrize("text", ["50.45, 30.52", "50,45; 30,52", "50,45, 30,52",
                                  "POINT (30.52 50.45)", "50.45 30.52", "geo:50.45,30.52"])
def test_parse_point(text):
    assert parse_point(text) == (pytest.approx(50.45), pytest.approx(30.52))


# ---- text ------------------------------------------------------------------------------------

def test_mojibake_is_repaired_and_markup_kept(tmp_path):
    broken = "Київ".encode().decode("cp1252")        # ÐšÐ¸Ñ—Ð²
    assert broken == "ÐšÐ¸Ñ—Ð²"
    text = ("date,place,notes\n"
            f"2024-01-02,{broken},<img src=x onerror=alert(1)> {{{{7*7}}}} {{% for x in y %}}\n"
            "2024-01-03,Café,Naïve text stays\n")
    result = read(write(tmp_path, text))
    first, second = result.events.iloc[0], result.events.iloc[1]
    assert first.location == "Київ" and first.geo_precision == "settlement"
    assert first.admin1 == "UA-30"                     # geocoded after the repair
    assert first.description == "<img src=x onerror=alert(1)> {{7*7}} {% for x in y %}"
    assert second.location == "Café"
    assert result.notes["text_mojibake_repaired"] == 1


def test_mojibake_repair_only_when_certain():
    assert repair_mojibake("ÐšÐ¸Ñ—Ð²") == "Київ"
    assert repair_mojibake("Ã©tÃ©") == "été"
    for text in ("Café", "Ðx", "naïve", "Kyiv", "ÐšÐ¸Ñ—Ð² and Київ"):
        assert repair_mojibake(text) == text


# ---- places ----------------------------------------------------------------------------------

def test_place_names_are_geocoded_offline(tmp_path):
    text = ("date,place,oblast\n"
            "2024-01-02,Kostiantynivka,\n"
            "2024-01-02,Lyman,Kharkiv oblast\n"
            "2024-01-02,Lyman,\n"
            "2024-01-02,Atlantis,\n"
            "2024-01-02,,Sumy oblast\n"
            "2024-01-02,Huliaipole,Zaporizhzhia Oblast\n")
    result = read(write(tmp_path, text))
    rows = result.events
    assert rows.admin1.tolist() == ["UA-14", "UA-63", "UA-14", "", "UA-59", "UA-23"]
    assert rows.geo_precision.tolist() == ["settlement", "settlement", "settlement", "unknown",
                                           "oblast", "settlement"]
    assert rows.latitude.notna().tolist() == [True, True, True, False, False, True]
    assert result.unresolved == {"place: Atlantis": 1}
    assert result.notes["geocoded_same_name_ranked"] >= 2


# ---- duplicates ------------------------------------------------------------------------------

def test_duplicates_in_one_file(tmp_path):
    text = ("id,date,place,lat,lon,notes\n"
            "a1,2024-01-02,Kyiv,50.45,30.52,Drone hit a house\n"
            "a1,2024-01-02,Kyiv,50.45,30.52,Drone hit a house\n"      # same id, same row
            "a2,2024-01-02,Kyiv,50.4502,30.5201,Drone hit a house.\n"  # same incident, new id
            "a3,2024-01-02,Kyiv,50.45,30.52,Missile hit a school\n")   # same place, other text
    result = read(write(tmp_path, text))
    assert [(r.row, r.reason) for r in result.rejections] == [(3, "duplicate of row 2")]
    assert len(result.events) == 3
    ids = result.events.event_id.tolist()
    assert result.links == [(ids[1], ids[0], result.links[0][2])]
    assert "same day" in result.links[0][2]
    assert read(write(tmp_path, text)).events.event_id.tolist() == ids   # idempotent


def test_rows_without_id_get_stable_content_ids(tmp_path):
    text = "date,place\n2024-01-02,Kyiv\n2024-01-02,Kyiv\n2024-01-03,Kyiv\n"
    first = read(write(tmp_path, text, "x.csv"))
    second = read(write(tmp_path, text, "y.csv"))
    assert first.events.event_id.tolist() == second.events.event_id.tolist()
    assert [r.reason for r in first.rejections] == ["duplicate of row 2"]


# ---- XLSX, limits, progress ------------------------------------------------------------------

def test_xlsx_is_read(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Date", "Town", "Latitude", "Longitude", "Killed", "Weapon"])
    sheet.append([datetime(2024, 1, 2), "Kharkiv", 49.9935, 36.2304, 3, "Iskander-M"])
    sheet.append([datetime(2024, 1, 3, 14, 30), "Odesa", 46.4825, 30.7233, None, "=1+1"])
    sheet.append([None, None, None, None, None, None])
    book.create_sheet("other")
    path = tmp_path / "mine.xlsx"
    book.save(path)
    assert detect_format(path) == "generic"
    result = read(path)
    assert result.info["encoding"].startswith("XLSX (first of 2 sheets")
    rows = result.events
    assert rows.event_date.tolist() == ["2024-01-02", "2024-01-03"]
    assert rows.fatalities.tolist()[0] == 3 and rows.weapon_origin.tolist()[0] == "RUS"
    assert rows.origin_basis.tolist()[0] == "catalogue"   # the cell *is* a model name
    assert rows.time_start.tolist()[1] == "2024-01-03T14:30:00+02:00"


def test_zip_files_that_are_not_safe_workbooks(tmp_path):
    plain = tmp_path / "a.xlsx"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(InputError, match="not an XLSX workbook"):
        read_events(plain, "generic")
    bomb = tmp_path / "b.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 2**20))
    with pytest.raises(InputError, match="unpacks to"):
        read_events(bomb, "generic")


def test_row_limit_is_enforced_while_reading(tmp_path):
    rows = "".join(f"2024-01-{d:02d},Kyiv\n" for d in range(1, 11))
    path = write(tmp_path, "date,place\n" + rows)
    with pytest.raises(InputError) as err:
        read_events(path, max_rows=5)
    assert "more than 5 data rows" in str(err.value) and "row 7" in str(err.value)
    assert len(read(path, max_rows=10).events) == 10


def test_row_limit_also_holds_for_the_older_readers(tmp_path):
    from geo.schema import COLUMNS

    lines = [",".join(COLUMNS)] + [f"x{i},2024-01-02" + "," * (len(COLUMNS) - 2)
                                   for i in range(4)]
    path = write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(InputError, match="more than 3 data rows"):
        read_events(path, max_rows=3)


def test_progress_is_reported(tmp_path):
    rows = "".join(f"2024-01-{d:02d},Kyiv\n" for d in range(1, 29))
    calls = []
    read(write(tmp_path, "date,place\n" + rows), progress=lambda done, total: calls.append(
        (done, total)))
    assert calls and calls[-1] == (28, 28)


# ---- mapping -------------------------------------------------------------------------------

def test_explicit_and_remembered_mappings(tmp_path):
    text = "when,where,what,text\n2024-01-02,Kyiv,Kalibr,Strike\n2024-01-03,Lviv,,Alarm\n"
    path = write(tmp_path, text)
    store = tmp_path / "mappings.json"
    result = read(path, mapping={"event_date": "when", "location": "where",
                                 "weapon_model": "what", "description": ""},
                  mappings_file=store)
    assert result.mapping == {"event_date": "when", "location": "where",
                              "weapon_model": "what"}
    assert "given" in result.info["mapping"]
    assert result.events.description.tolist() == ["", ""]
    remember_mapping(result.columns, {"description": ""} | result.mapping, "mdy", store)
    recalled = recall_mapping(["text", "what", "where", "when"], store)   # order-free
    assert recalled == {"mapping": {"description": "", "event_date": "when", "location": "where",
                                    "weapon_model": "what"}, "date_order": "mdy"}
    again = read(path, mappings_file=store)
    assert again.mapping == result.mapping and "remembered" in again.info["mapping"]
    assert signature(["A b", "c"]) == signature([" C", "a_b"])


def test_bad_mappings_are_input_errors(tmp_path):
    path = write(tmp_path, "when,where\n2024-01-02,Kyiv\n")
    with pytest.raises(InputError, match="no column 'nope'"):
        read_events(path, mapping={"event_date": "nope"})
    with pytest.raises(ValueError, match="unknown field"):
        parse_map_args(["when=day"])
    assert parse_map_args(["when=event_date", "=description"]) == {
        "event_date": "when", "description": ""}
    nodate = write(tmp_path, "a,b\nx,y\n", "nodate.csv")
    with pytest.raises(InputError, match="no date column"):
        read_events(nodate, "generic")


def test_cli_map_flag_reads_and_remembers(tmp_path, monkeypatch, capsys):
    from geo import cli
    from geo.importers import generic

    store = tmp_path / "mappings.json"
    monkeypatch.setattr(generic, "default_mappings_file", lambda: store)
    path = write(tmp_path, "c1,c2\n2024-01-02,Kyiv\n2024-01-03,Lviv\n")
    out = tmp_path / "out.csv"
    code = cli.main(["convert", str(path), "--to", str(out), "--map", "c1=event_date",
                     "--map", "c2=location"])
    assert code == 0
    assert "wrote 2 events" in capsys.readouterr().out
    assert recall_mapping(["c1", "c2"], store)["mapping"] == {"event_date": "c1",
                                                              "location": "c2"}
    assert read_events(path, "generic").mapping["location"] == "c2"   # recalled, no --map
    assert cli.main(["convert", str(path), "--to", str(out), "--map", "c1=when"]) == 2
    assert "unknown field 'when'" in capsys.readouterr().err


def test_dirty_report_lists_first_rejections_with_row_and_field(tmp_path):
    text = "date,place,lat,lon\n2024-01-02,a,0,0\nxx,b,50,30\n"
    result = read(write(tmp_path, text, "dirty.csv"))
    report = result.report()
    assert report["rejected_rows"] == [
        {"row": 2, "field": "latitude", "reason": "null island (0, 0): coordinates missing"},
        {"row": 3, "field": "event_date", "reason": "not a date: 'xx' (column 'date')"}]
    assert io.StringIO(result.report_text()).readline().startswith("dirty.csv: read 2")
