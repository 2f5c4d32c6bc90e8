"""The vectorised canonical CSV reader gives exactly what the row-by-row reader gives.

``read_csv_file`` (column-wise, pyarrow) must match ``read_csv_rows`` (csv module +
``normalise_row`` per row): the same events frame, rejections (row, field, reason), notes and
row count, or the same one-line error — on real files and on hostile ones.
"""

from __future__ import annotations

import random
import sys

import pandas as pd
import pytest

from geo.importers import InputError, read_events, write_csv
from geo.importers.canonical import _WS_CHARS, _plain_table, read_csv_file, read_csv_rows
from geo.schema import COLUMNS
from tests.conftest import AIRFORCE, CIR
from tests.fixtures.payloads import HOSTILE

HEADER = ",".join(COLUMNS)


def outcome(reader, path):
    try:
        result = reader(path, path.name)
    except InputError as exc:
        return ("error", str(exc))
    return result


def assert_same(path) -> None:
    fast, rows = outcome(read_csv_file, path), outcome(read_csv_rows, path)
    if isinstance(rows, tuple) or isinstance(fast, tuple):
        assert fast == rows
        return
    assert fast.rows_read == rows.rows_read
    assert fast.rejections == rows.rejections
    assert fast.notes == rows.notes
    assert fast.format == rows.format == "canonical"
    pd.testing.assert_frame_equal(fast.events, rows.events)


def line(**values: object) -> str:
    base = {"event_id": "e1", "event_date": "2024-01-02", "event_type": "impact"}
    base.update(values)
    cells = []
    for column in COLUMNS:
        text = str(base.get(column, ""))
        if any(ch in text for ch in ',"\n\r'):
            text = '"' + text.replace('"', '""') + '"'
        cells.append(text)
    return ",".join(cells)


def write(tmp_path, lines: list[str], name="x.csv", ending="\n", header=HEADER) -> object:
    path = tmp_path / name
    path.write_bytes((ending.join([header, *lines]) + ending).encode("utf-8"))
    return path


def test_whitespace_table_is_pythons():
    assert _WS_CHARS == "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())


@pytest.mark.parametrize("source", [AIRFORCE, CIR], ids=["airforce", "cir"])
def test_same_result_on_the_shared_data_as_canonical_csv(tmp_path, source):
    path = tmp_path / "shared.csv"
    write_csv(read_events(source).events, path)
    assert_same(path)
    assert len(read_csv_file(path, path.name).events) > 1000


CELLS = {
    "event_id": ["", " padded ", "x\u3000", "\x85y", "ok-1"],
    "event_date": ["2024-02-30", "2024-W01-1", "20240102", " 2024-01-02 ", "0000-01-01",
                   "2024-1-2", "", "2024-12-31"],
    "time_start": ["2024-01-01T24:00", "2024-01-01 03:00", "2024-01-01T03:00Z",
                   "2024-01-01T03:00:00.5+02:00", "2024-02-30T01:00", "2024-01-01T03:61",
                   "2024-01-01T03:00+24:00", " 2024-01-01T03:00 ", "2024-01-01T03:00:00+02:00",
                   "noon"],
    "time_precision": ["HOUR", "", "weekly"],
    "event_type": ["Impact", "", "strike"],
    "country": ["ukr", "UK", "ÜKR", " UKR "],
    "admin1": ["ua-63; UA-59", "UA-63;UA-63", "bad", ";;", "UA-63;"],
    "latitude": ["1e1", " 50.1", "91", "nan", "inf", "-0", "50,1", "١٢", "50.123456789012345678",
                 "-90", ""],
    "longitude": ["30.5", "181", "-180", "", "3_0", "1e-3"],
    "geo_precision": ["EXACT", "", "street"],
    "weapon_origin": ["rus;prk", "RUS;;PRK", "X", "RUS;RUS", "", " irn "],
    "origin_basis": ["", "Catalogue", "guess"],
    "launched": ["3.0", "-1", "1e3", " 7 ", "3.5", "0", "007", "12345678901234567"],
    "destroyed": ["", "x", "2"],
    "sources": ["a  b", "\thttps://a.org/x", "https://a.org/x\nhttps://b.org", "x\u3000y", ""],
    "verification": ["VERIFIED", "", "maybe"],
    "weapon_class": ["MLRS", " combat drone", "cruise missile;Cruise Missile", "Unknown", "x"],
    "weapon_supplier": ["rus", "RUS;PRK", "R1S", ""],
    "class_candidates": ["cruise missile:0.6;attack drone:0.4", "drones:1", "mortar:0.5",
                         "mortar:1.2", "bomb", " mortar : 1 "],
    "origin_candidates": ["irn:0.7;RUS:0.3", "IRN:0.5;IRN:0.5", "RUS:x", "RUS:0.995;PRK:0.01"],
    "supplier_candidates": ["RUS:1", "PRK:0.3;RUS:0.3;IRN:0.3", ""],
    "attribution": ["text: 'Shahed'  ·  reports", "a\nb", " x ", ""],
    "description": HOSTILE[:12],
    "location": HOSTILE[12:],
}


@pytest.mark.parametrize("one_line", [True, False], ids=["pyarrow-split", "csv-split"])
def test_same_result_on_hostile_cells(tmp_path, one_line):
    rng = random.Random(5)
    lines = []
    for i in range(400):
        values = {column: rng.choice(options) for column, options in CELLS.items()
                  if rng.random() < 0.3}
        values.setdefault("event_id", f"h{i}")
        if one_line:  # no cell spans lines: pyarrow splits the file
            values = {k: v.replace("\n", " ").replace("\r", " ") for k, v in values.items()}
        lines.append(line(**values))
    path = write(tmp_path, lines)
    assert (_plain_table(path.read_bytes()) is not None) == one_line
    assert_same(path)


def test_files_without_the_attribution_columns_still_import(tmp_path):
    # Older exports and the bundled data/events.csv lack the five columns (issue 9).
    from geo.schema import ATTRIBUTION_COLUMNS, LEGACY_COLUMNS

    cells = [line(event_id=f"o{i}", weapon_class="combat drone").rsplit(",", 5)[0]
             for i in range(3)]
    path = write(tmp_path, cells, header=",".join(LEGACY_COLUMNS))
    assert_same(path)
    events = read_events(path).events
    assert len(events) == 3 and list(events.columns) == list(COLUMNS)
    assert (events[list(ATTRIBUTION_COLUMNS)] == "").all().all()
    assert set(events["weapon_class"]) == {"attack drone"}


def test_same_result_on_repeated_ids(tmp_path):
    lines = [line(event_id="a"), line(event_id="a"), line(event_id=" a"),
             line(event_id="a", location="elsewhere"), line(event_id="b", event_date="bad"),
             line(event_id="b"), line(event_id="b"), line(event_id="c", latitude="50"),
             line(event_id="c", latitude="50", longitude="30"),
             line(event_id="c", latitude="50.0", longitude="30")]
    assert_same(write(tmp_path, lines))


@pytest.mark.parametrize("case", [
    "ragged", "short", "blank_lines", "whitespace_line", "multiline_cell", "crlf", "bom",
    "stray_cr", "nul", "reordered_header", "empty_body", "no_final_newline", "quoted_header",
    "bad_header", "stray_quotes", "not_utf8", "unclosed_quote",
])
def test_same_result_on_odd_structure(tmp_path, case):
    good = [line(event_id=f"s{i}", description="a, b") for i in range(5)]
    header = HEADER
    ending = "\n"
    if case == "ragged":
        good[2] += ",extra"
    elif case == "short":
        good[2] = "s9,2024-01-02,,,day,impact"
    elif case == "blank_lines":
        good.insert(2, "")
        good.insert(4, "")
    elif case == "whitespace_line":
        good.insert(2, "   ")
    elif case == "multiline_cell":
        good[1] = line(event_id="m1", description="two\nlines")
    elif case == "crlf":
        ending = "\r\n"
    elif case == "stray_cr":
        good[1] = line(event_id="m1", description="a\rb")
    elif case == "nul":
        good[1] = line(event_id="m1", description="a\x00b")
    elif case == "reordered_header":
        cols = list(reversed(COLUMNS))
        header = ",".join(cols)
        good = [",".join("" if c not in ("event_id", "event_date") else
                         (f"r{i}" if c == "event_id" else "2024-01-02") for c in cols)
                for i in range(5)]
    elif case == "empty_body":
        good = []
    elif case == "quoted_header":
        header = ",".join(f'"{c}"' for c in COLUMNS)
    elif case == "bad_header":
        header = HEADER.replace("event_type", "kind")
    elif case == "stray_quotes":
        good[1] = good[1].replace("a, b", 'say ""hi""') .replace('"say', 'x"say')
        good[2] = line(event_id='q"2', location='ab"c')
    elif case == "unclosed_quote":
        good[3] = good[3] + ',"open'
    path = write(tmp_path, good, ending=ending, header=header)
    if case == "bom":
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    if case == "no_final_newline":
        path.write_bytes(path.read_bytes().rstrip(b"\n"))
    if case == "not_utf8":
        path.write_bytes(path.read_bytes().replace(b"a, b", b"a\xff b", 1))
    assert_same(path)


def test_same_result_on_random_csv_soup(tmp_path):
    """Quotes, commas, line breaks and CRs anywhere: both readers split records alike."""
    rng = random.Random(11)
    alphabet = ['"', '"', ",", ",", "\n", "a", "b", " ", "\r\n", "\r", "x"]
    for k in range(60):
        lines = [line(event_id=f"z{i}", description="ok") for i in range(3)]
        for _ in range(3):
            soup = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30)))
            lines.insert(rng.randint(0, len(lines)), f"z{k}x{_},2024-01-02,{soup}")
        assert_same(write(tmp_path, lines, name=f"soup{k}.csv"))
