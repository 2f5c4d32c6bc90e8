"""Issue 14, item 7: what an XLSX cannot hold is said in the file and in the report."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from openpyxl import load_workbook

from geo.cli import main
from geo.export import XLSX_CELL_MAX, export_bytes, render
from geo.filters import Filters
from tests.conftest import make_events

LONG = "Kharkiv strike report. " * 2000 + "end"  # 46,003 characters


def test_xlsx_cut_at_32767_characters_is_said_in_the_file_and_the_report(store, tmp_path,
                                                                         capsys):
    store.upsert(make_events([{"event_id": "long-1", "description": LONG},
                              {"event_id": "short-1", "description": "=1+1 short"}]))
    frame = store.events(Filters(), newest_first=False)
    assert len(LONG) > XLSX_CELL_MAX and frame["description"].str.len().max() == len(LONG)

    book = load_workbook(io.BytesIO(render(frame, "xlsx", exported_on=date(2024, 1, 1))))
    sheet = book["events"]
    header = [c.value for c in sheet[1]]
    cells = {sheet.cell(r, 1).value: sheet.cell(r, header.index("description") + 1).value
             for r in range(2, sheet.max_row + 1)}
    assert len(cells["long-1"]) == XLSX_CELL_MAX
    assert cells["long-1"].startswith(LONG[:1000])
    assert cells["long-1"].endswith("the CSV and GeoJSON exports have the full text]")
    assert "46,003 characters" in cells["long-1"]
    assert cells["short-1"] == "'=1+1 short"
    notes = [[c.value for c in row] for row in book["notes"].iter_rows()]
    assert notes[1:] == [["long-1", "description", "cut from 46,003 to 32,767 characters"]]

    # CSV and GeoJSON keep every character.
    rows = list(csv.DictReader(io.StringIO(render(frame, "csv", exported_on=date(2024, 1, 1))
                                           .decode("utf-8"))))
    assert {r["event_id"]: r["description"] for r in rows}["long-1"] == LONG
    doc = json.loads(render(frame, "geojson", exported_on=date(2024, 1, 1)))
    assert {f["properties"]["event_id"]: f["properties"]["description"]
            for f in doc["features"]}["long-1"] == LONG

    result = export_bytes(store, Filters(), "xlsx", exported_on=date(2024, 1, 1))
    assert len(result.notes) == 1 and "1 XLSX cells could not be kept whole (long-1 " \
        "description)" in result.notes[0]
    assert export_bytes(store, Filters(), "csv", exported_on=date(2024, 1, 1)).notes == ()

    # The command line says it too, in one line on stderr.
    code = main(["export", "--store", str(store.path), "--format", "xlsx",
                 "--out", str(tmp_path / "e.xlsx"), "--exported-on", "2024-01-01"])
    err = capsys.readouterr().err
    assert code == 0 and "note: 1 XLSX cells could not be kept whole" in err


def test_xlsx_export_of_control_characters_does_not_crash(store):
    frame = make_events([{"event_id": "ctl", "description": "a\x01b\x1bc"}])
    book = load_workbook(io.BytesIO(render(frame, "xlsx", exported_on=date(2024, 1, 1))))
    header = [c.value for c in book["events"][1]]
    assert book["events"].cell(2, header.index("description") + 1).value == "a\ufffdb\ufffdc"
    assert [c.value for c in book["notes"][2]] == [
        "ctl", "description", "control characters replaced by U+FFFD"]
    # CSV holds them as they are.
    assert "a\x01b\x1bc" in render(frame, "csv", exported_on=date(2024, 1, 1)).decode("utf-8")
