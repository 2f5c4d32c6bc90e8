"""Staging for the bulk import: a canonical CSV or GeoParquet into ``sbulk.raw`` (DuckDB).

``sbulk.raw`` holds ``line`` (the row number the Python readers report: the file line for a
CSV, header = 1; the record number for GeoParquet, 1 = first) and every canonical column
as text ('' for empty; the attribution columns '' for a file written before them).

CSV: DuckDB's ``read_csv`` with the header taken as given, all VARCHAR, strict RFC 4180
quoting. What DuckDB would read differently from the Python reader is sent back to it
(:class:`Unsuitable`): a CR (Python ends a record at a bare CR, DuckDB keeps it in the
cell), a NUL byte (Python rejects that row), invalid UTF-8 (Python decodes other
encodings), a row of the wrong width or a stray quote (DuckDB's strict mode refuses them).
Blank lines and cells spanning lines give the same records in both; they only move the line
numbers, so when a row is rejected the lines are counted, and a file whose records are not
one per line goes to the Python reader for its exact row numbers.

GeoParquet: DuckDB's ``read_parquet``; values are cast to text as Python's ``str`` would
write them, so ``normalise_row`` sees what the Python reader gives it. The WKB point of the
``geometry`` column is decoded with numpy; like GeoJSON, it fills missing coordinates and
must agree with given ones, and any other geometry is judged row by row in Python.
"""

from __future__ import annotations

import mmap
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from geo.importers.canonical import _canonical_header
from geo.importers.geoparquet import parquet_columns
from geo.schema import ATTRIBUTION_COLUMNS, COLUMNS, COUNT_COLUMNS, FLOAT_COLUMNS


class Unsuitable(ValueError):
    """The bulk path would not read this file exactly as the Python reader: use that one."""


def _header(path: Path) -> list[str] | None:
    with open(path, "rb") as handle:
        first = handle.readline(1 << 16)
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    try:
        text = first.decode("utf-8").rstrip("\n")
    except UnicodeDecodeError:
        return None
    if '"' in text or "\r" in text:
        return None
    header = [h.strip() for h in text.split(",")]
    return header if _canonical_header(header) else None


def suitable(path: Path) -> str | None:
    """``csv`` or ``geoparquet`` when the file has a canonical header, else None."""
    try:
        if parquet_columns(path) is not None:
            return "geoparquet"
        return "csv" if _header(path) is not None else None
    except OSError:
        return None


def _text(column: str, present: set[str]) -> str:
    return f"coalesce({column}, '')" if column in present else "''"


def stage_csv(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """``sbulk.raw`` from a canonical CSV (``line``, the canonical columns as text, ``g_ok``);
    returns its name. One plain scan: numbering rows in the same query as the checks made
    DuckDB buffer the whole file (measured 5× slower at 1M rows)."""
    header = _header(path)
    if header is None:
        raise Unsuitable("not a canonical CSV header")
    with open(path, "rb") as handle:
        size = handle.seek(0, 2)
        if size:
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                for byte, why in ((b"\r", "a CR character"), (b"\x00", "a NUL byte")):
                    if data.find(byte) >= 0:
                        raise Unsuitable(f"the file holds {why}")
    columns = "{" + ", ".join(f"'{h}': 'VARCHAR'" for h in header) + "}"
    quoted = "'" + str(path).replace("'", "''") + "'"
    source = (f"read_csv({quoted}, columns = {columns}, header = false, skip = 1, delim = ',', "
              "quote = '\"', escape = '\"', auto_detect = false, strict_mode = true, "
              "null_padding = false, allow_quoted_nulls = false, max_line_size = 16777216)")
    present = set(header)
    select = ", ".join(f"{_text(c, present)} AS {c}" for c in COLUMNS)
    try:
        con.execute(f"CREATE TABLE sbulk.raw AS SELECT row_number() OVER () + 1 AS line, "
                    f"{select}, true AS g_ok FROM {source}")
    except duckdb.Error as exc:
        raise Unsuitable(f"DuckDB's CSV reader: {str(exc).splitlines()[0][:160]}") from None
    return "sbulk.raw"


def lines_match(path: Path, records: int) -> bool:
    """Whether every record is exactly one line (then line = record number + 1)."""
    count = 0
    with open(path, "rb") as handle:
        size = handle.seek(0, 2)
        if not size:
            return records == 0
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            view = np.frombuffer(data, dtype=np.uint8)
            step = 1 << 28
            for start in range(0, size, step):
                count += int(np.count_nonzero(view[start:start + step] == 10))
            last = view[size - 1]
            del view
    lines = count + (0 if last == 10 else 1)
    return lines - 1 == records


def _geometry(path: Path, rows: int) -> pa.Table:
    """(lon, lat, plain) per record: ``plain`` = a null geometry or a 2-D WKB Point."""
    column = pq.read_table(path, columns=["geometry"]).column("geometry").combine_chunks()
    if pa.types.is_large_binary(column.type):
        column = column.cast(pa.binary())
    if not pa.types.is_binary(column.type):
        raise Unsuitable(f"geometry column of type {column.type}")
    size = pc.binary_length(column).to_numpy(zero_copy_only=False)
    size = np.nan_to_num(size.astype(float), nan=-1).astype(np.int64)
    valid = size >= 0
    lon = np.full(rows, np.nan)
    lat = np.full(rows, np.nan)
    plain = ~valid
    points = np.flatnonzero(size == 21)
    if len(points):
        offsets = column.buffers()[1]
        data = np.frombuffer(column.buffers()[2], dtype=np.uint8)
        start = np.frombuffer(offsets, dtype=np.int32)[column.offset:column.offset + rows + 1]
        begin = start[points]
        head = data[begin[:, None] + np.arange(5)]
        is_point = (head[:, 0] == 1) & (head[:, 1] == 1) & (head[:, 2:].sum(axis=1) == 0)
        coords = data[begin[:, None] + 5 + np.arange(16)].copy().view("<f8")
        good = is_point & np.isfinite(coords).all(axis=1)
        lon[points[good]], lat[points[good]] = coords[good, 0], coords[good, 1]
        plain[points[good]] = True
    missing = np.isnan(lon)
    return pa.table({"g_lon": pa.array(lon, mask=missing), "g_lat": pa.array(lat, mask=missing),
                     "g_plain": plain})


def stage_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """``sbulk.raw`` from a canonical GeoParquet, coordinates filled from the geometry and
    ``g_ok`` false where the geometry needs the Python judge; returns its name."""
    names = parquet_columns(path)
    if names is None:
        raise Unsuitable("not a canonical (Geo)Parquet")
    present = set(names) - {"geometry"}
    kinds = dict(con.execute("SELECT name, type FROM parquet_schema(?)",
                             [str(path)]).fetchall())
    parts = []
    for c in COLUMNS:
        if c not in present:
            parts.append(f"'' AS {c}")
        elif c in COUNT_COLUMNS or c in FLOAT_COLUMNS:
            parts.append(f"{_number_text(c, kinds.get(c, ''))} AS {c}")
        else:
            parts.append(f"coalesce(CAST({c} AS VARCHAR), '') AS {c}")
    try:
        rows = con.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchall()[0][0]
        if "geometry" in names:
            con.register("shape", _geometry(path, rows))
            con.execute("CREATE TABLE sbulk.raw AS SELECT file_row_number + 1 AS line, "
                        f"{', '.join(parts)}, g_lon, g_lat, g_plain FROM read_parquet(?, "
                        "file_row_number = true) POSITIONAL JOIN shape", [str(path)])
            con.unregister("shape")
        else:
            con.execute("CREATE TABLE sbulk.raw AS SELECT file_row_number + 1 AS line, "
                        f"{', '.join(parts)}, NULL::DOUBLE AS g_lon, NULL::DOUBLE AS g_lat, "
                        "true AS g_plain FROM read_parquet(?, file_row_number = true)",
                        [str(path)])
    except duckdb.Error as exc:
        raise Unsuitable(f"DuckDB's Parquet reader: {str(exc).splitlines()[0][:160]}") from None
    _fill_from_geometry(con)
    return "sbulk.raw"


def _number_text(column: str, kind: str) -> str:
    """A numeric Parquet column as the text ``normalise_row`` reads: integers as digits,
    doubles in Python's ``repr`` form (DuckDB prints the shortest round-trip form too), NaN
    as missing (``normalise_row`` treats a float NaN as blank)."""
    if kind.upper() in ("DOUBLE", "FLOAT"):
        return (f"CASE WHEN {column} IS NULL OR isnan({column}) THEN '' "
                f"ELSE CAST({column} AS VARCHAR) END")
    return f"coalesce(CAST({column} AS VARCHAR), '')"


def _fill_from_geometry(con: duckdb.DuckDBPyConnection) -> None:
    """As GeoJSON: a Point fills blank coordinates; a row whose geometry is not a plain
    Point, or disagrees with its coordinates, is marked for the Python judge."""
    con.execute("ALTER TABLE sbulk.raw ADD COLUMN g_ok BOOLEAN")
    con.execute(
        "UPDATE sbulk.raw SET g_ok = g_plain AND (g_lon IS NULL OR ("
        "(latitude = '' OR abs(TRY_CAST(latitude AS DOUBLE) - g_lat) <= 1e-9) AND "
        "(longitude = '' OR abs(TRY_CAST(longitude AS DOUBLE) - g_lon) <= 1e-9)))")
    con.execute(
        "UPDATE sbulk.raw SET latitude = CASE WHEN latitude = '' THEN CAST(g_lat AS VARCHAR) "
        "ELSE latitude END, longitude = CASE WHEN longitude = '' THEN CAST(g_lon AS VARCHAR) "
        "ELSE longitude END WHERE g_ok AND g_lon IS NOT NULL "
        "AND (latitude = '' OR longitude = '')")


__all__ = ["ATTRIBUTION_COLUMNS", "Unsuitable", "lines_match", "stage_csv", "stage_parquet",
           "suitable"]
