"""The bulk import (DuckDB) stores exactly what the Python path stores, or steps aside.

For each file, :func:`geo.importers.native.import_bulk` into one DuckDB store and the Python
path of ``python -m geo import`` (the row-by-row reference reader + ``store_events``) into
another must give the same rows read, the same rejections (row, field, reason), the same
notes and the same stored events, column by column and with the same row hash — or the bulk
path raises ``Unsuitable`` before writing anything (the CLI then uses the Python reader).
Files: the shared data converted to our formats, and hand-broken rows.
"""

from __future__ import annotations

import io
import json
import random
import struct

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from geo.attribution_store import store_events
from geo.cli import main
from geo.export import to_geoparquet_bytes
from geo.importers import read_events, write_csv
from geo.importers._common import refusal
from geo.importers.canonical import read_csv_rows
from geo.importers.geoparquet import read as read_geoparquet
from geo.importers.native import Unsuitable, import_bulk, kind_of
from geo.schema import COLUMNS
from geo.store.duckdb import DuckDBStore
from geo.store.sql import select_list
from tests.conftest import AIRFORCE, CIR
from tests.test_canonical_fast import CELLS, line, write

STORED = (*COLUMNS, "row_hash", "status")


def dump(path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"SELECT {', '.join(STORED)} FROM events ORDER BY event_id").fetchall()
    finally:
        con.close()


def python_path(path, store_path, max_rejected=None):
    reader = read_geoparquet if kind_of(path) == "geoparquet" else read_csv_rows
    result = reader(path, path.name)
    refused = refusal(result, max_rejected)
    result.summary = None
    if not refused:
        store = DuckDBStore(store_path, snapshot=False)
        try:
            result.summary = store_events(store, result.events)[1]
        finally:
            store.close()
    return result, refused


def bulk_path(path, store_path, max_rejected=None):
    done = import_bulk(path, lambda: DuckDBStore(store_path, snapshot=False),
                       max_rejected=max_rejected)
    if done.store is not None:
        done.store.close()
    return done


def assert_same(tmp_path, path, max_rejected=None):
    python, refused = python_path(path, tmp_path / "python.duckdb", max_rejected)
    bulk = bulk_path(path, tmp_path / "bulk.duckdb", max_rejected)
    assert bulk.result.rows_read == python.rows_read
    assert bulk.result.rejections == python.rejections
    assert bulk.result.notes == python.notes
    assert bulk.result.accepted == len(python.events)
    assert bulk.refused == refused
    if refused:
        assert not (tmp_path / "bulk.duckdb").exists()
        return bulk
    assert bulk.attribution.as_dict() == python.summary.as_dict()
    bulk_rows, python_rows = dump(tmp_path / "bulk.duckdb"), dump(tmp_path / "python.duckdb")
    assert len(bulk_rows) == len(python_rows)
    for ours, theirs in zip(bulk_rows, python_rows, strict=True):
        assert dict(zip(STORED, ours, strict=True)) == dict(zip(STORED, theirs, strict=True))
    return bulk


@pytest.mark.parametrize("source", [AIRFORCE, CIR], ids=["airforce", "cir"])
def test_same_store_from_the_shared_data_as_canonical_csv(tmp_path, source):
    path = tmp_path / "shared.csv"
    write_csv(read_events(source).events, path)
    bulk = assert_same(tmp_path, path)
    assert bulk.result.info["reader"] == "bulk (DuckDB read_csv)"
    assert bulk.upserted.inserted > 1000
    assert bulk.attribution.events == bulk.upserted.inserted


def test_same_store_from_the_shared_data_as_our_geoparquet(tmp_path):
    path = tmp_path / "shared.parquet"
    path.write_bytes(to_geoparquet_bytes(read_events(CIR).events))
    assert kind_of(path) == "geoparquet"
    bulk = assert_same(tmp_path, path)
    assert bulk.result.info["reader"] == "bulk (DuckDB read_parquet)"
    assert bulk.upserted.inserted > 1000


def test_same_result_on_hostile_cells(tmp_path):
    rng = random.Random(7)
    lines = []
    for i in range(400):
        values = {column: rng.choice(options) for column, options in CELLS.items()
                  if rng.random() < 0.3}
        values.setdefault("event_id", f"h{i}")
        values = {k: v.replace("\n", " ").replace("\r", " ") for k, v in values.items()}
        lines.append(line(**values))
    bulk = assert_same(tmp_path, write(tmp_path, lines))
    assert bulk.result.rejections and bulk.result.accepted  # both kinds are exercised


def test_same_result_on_repeated_ids(tmp_path):
    lines = [line(event_id="a"), line(event_id="a"), line(event_id=" a"),
             line(event_id="a", location="elsewhere"), line(event_id="b", event_date="bad"),
             line(event_id="b"), line(event_id="b"), line(event_id="c", latitude="50"),
             line(event_id="c", latitude="50", longitude="30"),
             line(event_id="c", latitude="50.0", longitude="30")]
    bulk = assert_same(tmp_path, write(tmp_path, lines))
    assert bulk.result.notes == {"duplicate_in_file": 4}


@pytest.mark.parametrize("case", ["blank_lines", "multiline_cell", "bom", "no_final_newline",
                                  "legacy_header", "quote_inside_a_cell"])
def test_same_result_when_the_structure_is_odd_but_readable(tmp_path, case):
    good = [line(event_id=f"s{i}", description="a, b") for i in range(5)]
    good.append(line(event_id="bad", event_date="2024-13-01"))
    header = ",".join(COLUMNS)
    if case == "blank_lines":
        good.insert(2, "")
    elif case == "multiline_cell":
        good[1] = line(event_id="m1", description="two\nlines")
    elif case == "quote_inside_a_cell":  # both readers keep 'q"r' as it is
        good[2] = good[2].replace('"a, b"', 'q"r', 1)
    elif case == "legacy_header":
        header = ",".join(COLUMNS[:-5])
        good = [g.rsplit(",", 5)[0] for g in good]
    path = write(tmp_path, good, header=header)
    if case == "bom":
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    if case == "no_final_newline":
        path.write_bytes(path.read_bytes().rstrip(b"\n"))
    try:
        bulk = assert_same(tmp_path, path)
    except Unsuitable:
        # Rows span lines or a blank line moves them: only the line numbers would differ,
        # and the bulk path refuses rather than report a wrong row.
        assert case in ("blank_lines", "multiline_cell")
        return
    assert [r.field for r in bulk.result.rejections] == ["event_date"]


@pytest.mark.parametrize("case", ["ragged", "short", "stray_cr", "nul", "not_utf8",
                                  "unclosed_quote", "stray_quotes"])
def test_steps_aside_when_duckdb_would_read_the_file_differently(tmp_path, case):
    good = [line(event_id=f"s{i}", description="a, b") for i in range(5)]
    if case == "ragged":
        good[2] += ",extra"
    elif case == "short":
        good[2] = "s9,2024-01-02,,,day,impact"
    elif case == "stray_cr":
        good[1] = line(event_id="m1", description="a\rb")
    elif case == "nul":
        good[1] = line(event_id="m1", description="a\x00b")
    elif case == "unclosed_quote":
        good[3] = good[3] + ',"open'
    elif case == "stray_quotes":  # Python reads '"s2"x' as 's2x'; DuckDB refuses it
        good[2] = good[2].replace("s2,", '"s2"x,', 1)
    path = write(tmp_path, good)
    if case == "not_utf8":
        path.write_bytes(path.read_bytes().replace(b"a, b", b"a\xff b", 1))
    with pytest.raises(Unsuitable):
        bulk_path(path, tmp_path / "bulk.duckdb")
    assert not (tmp_path / "bulk.duckdb").exists()  # nothing opened, nothing written


def _point(lon: float, lat: float) -> bytes:
    return struct.pack("<BIdd", 1, 1, lon, lat)


def test_same_result_on_broken_geoparquet_rows(tmp_path):
    base = {c: "" for c in COLUMNS}
    rows, shapes = [], []
    cases = [
        ({"latitude": 50.5, "longitude": 30.5}, _point(30.5, 50.5)),      # agrees
        ({}, _point(30.5, 50.5)),                                          # fills lat/lon
        ({"latitude": 50.5, "longitude": 30.5}, _point(31.0, 50.5)),       # disagrees
        ({"latitude": 50.5, "longitude": 30.5}, None),                     # no geometry
        ({}, struct.pack("<BII", 1, 2, 0)),                                # a LineString
        ({}, _point(float("nan"), 50.0)),                                  # not numbers
        ({"latitude": float("nan"), "longitude": float("nan")}, None),     # NaN = blank
        ({"latitude": 95.0, "longitude": 30.0}, None),                     # out of range
        ({"event_type": "Strike"}, None),                                  # bad enum
        ({"event_date": "2024-02-30"}, None),                              # bad date
        ({"launched": 3, "destroyed": 2}, None),                           # counts
        ({"origin_candidates": "irn:0.7;RUS:0.3"}, None),                  # normalised
    ]
    for i, (values, shape) in enumerate(cases):
        row = dict(base, event_id=f"p{i}", event_date="2024-01-02", event_type="impact")
        row.update(values)
        rows.append(row)
        shapes.append(shape)
    numbers = {"latitude": pa.float64(), "longitude": pa.float64(),
               **{c: pa.int64() for c in ("launched", "destroyed", "hits", "fatalities",
                                          "injured")}}
    schema = pa.schema([(c, numbers.get(c, pa.string())) for c in COLUMNS])
    table = pa.Table.from_pylist([{c: (None if c in numbers and r[c] == "" else r[c])
                                   for c in COLUMNS} for r in rows], schema=schema)
    table = table.append_column("geometry", pa.array(shapes, pa.binary()))
    buffer = io.BytesIO()
    pq.write_table(table.replace_schema_metadata({"geo": json.dumps(
        {"version": "1.0.0", "primary_column": "geometry",
         "columns": {"geometry": {"encoding": "WKB", "geometry_types": []}}})}), buffer)
    path = tmp_path / "broken.parquet"
    path.write_bytes(buffer.getvalue())
    bulk = assert_same(tmp_path, path)
    assert {r.field for r in bulk.result.rejections} >= {"geometry", "longitude", "latitude",
                                                         "event_type", "event_date"}


def test_nothing_accepted_is_refused_with_the_top_reasons(tmp_path, capsys):
    path = write(tmp_path, [line(event_id=f"x{i}", event_date="someday") for i in range(4)])
    store = tmp_path / "s.duckdb"
    assert main(["import", str(path), "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert "import refused, nothing stored: no row accepted (read 4, rejected 4)" in err
    assert "4× event_date: not an ISO date" in err
    assert not store.exists()


def test_max_rejected_refuses_as_the_python_path(tmp_path, capsys):
    lines = [line(event_id=f"g{i}") for i in range(3)] + [line(event_id="b", country="UK")]
    path = write(tmp_path, lines)
    store = tmp_path / "s.duckdb"
    assert main(["import", str(path), "--store", str(store), "--max-rejected", "10"]) == 2
    bulk_err = capsys.readouterr().err
    assert "25.0% of rows rejected, over --max-rejected 10%" in bulk_err
    assert main(["import", str(path), "--store", str(store), "--max-rejected", "10",
                 "--python-import"]) == 2
    assert capsys.readouterr().err == bulk_err
    assert not store.exists()
    assert main(["import", str(path), "--store", str(store), "--max-rejected", "30"]) == 0
    assert "reader: bulk (DuckDB read_csv)" in capsys.readouterr().out
    assert len(dump(store)) == 3


def test_cli_reimport_is_unchanged_and_python_flag_uses_the_row_reader(tmp_path, capsys):
    path = tmp_path / "cir.csv"
    write_csv(read_events(CIR).events.head(300), path)
    store = tmp_path / "s.duckdb"
    assert main(["import", str(path), "--store", str(store), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["store"]["inserted"] == 300 and first["info"]["reader"].startswith("bulk")
    assert main(["import", str(path), "--store", str(store), "--json",
                 "--python-import"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert "reader" not in again["info"]
    assert again["store"] == first["store"] | {"inserted": 0, "unchanged": 300}


@pytest.mark.postgis
def test_postgis_copy_stores_what_the_duckdb_bulk_path_stores(tmp_path, pg_store):
    path = tmp_path / "cir.csv"
    write_csv(read_events(CIR).events.head(500), path)
    done = import_bulk(path, lambda: pg_store)
    assert done.upserted.inserted == 500
    bulk_path(path, tmp_path / "bulk.duckdb")
    ours = pg_store._query(f"SELECT {select_list(COLUMNS)} FROM events ORDER BY event_id", [])
    con = duckdb.connect(str(tmp_path / "bulk.duckdb"), read_only=True)
    theirs = con.execute(f"SELECT {select_list(COLUMNS)} FROM events ORDER BY event_id").df()
    con.close()
    assert len(ours) == len(theirs) == 500
    for column in COLUMNS:
        left = ours[column].astype(str).tolist()
        right = theirs[column].astype(str).tolist()
        assert left == right, column


def test_stored_events_in_the_windows_of_new_attack_reports_are_recomputed_as_before(tmp_path):
    # CIR impacts first (Python path, into two identical stores), then Air Force attack
    # reports of the same weeks: each path must recompute the same stored impacts.
    cir = read_events(CIR).events
    reports = read_events(AIRFORCE).events
    reports = reports[(reports["event_date"] >= "2022-10-01")
                      & (reports["event_date"] <= "2022-11-15")]
    impacts = cir[(cir["event_date"] >= "2022-10-01") & (cir["event_date"] <= "2022-11-15")]
    for name in ("python", "bulk"):
        store = DuckDBStore(tmp_path / f"{name}.duckdb", snapshot=False)
        store_events(store, impacts.reset_index(drop=True))
        store.close()
    path = tmp_path / "reports.csv"
    write_csv(reports, path)
    python, _ = python_path(path, tmp_path / "python.duckdb")
    bulk = bulk_path(path, tmp_path / "bulk.duckdb")
    assert bulk.plan is not None and len(bulk.plan[0]) == len(impacts)
    assert bulk.result.rejections == python.rejections
    assert dump(tmp_path / "bulk.duckdb") == dump(tmp_path / "python.duckdb")
    assert bulk.attribution.as_dict() == python.summary.as_dict()
    assert bulk.attribution.changed > bulk.attribution.events  # the impacts changed too
