"""The bulk import of our own files: canonical CSV and GeoParquet read by DuckDB.

``python -m geo import`` takes this path by itself for a canonical CSV or a canonical
GeoParquet (``--python-import`` forces the row-by-row readers). What it does, all in DuckDB
except where noted:

1. **stage**: DuckDB's ``read_csv`` (every column VARCHAR, strict RFC 4180, no header
   guessing) or ``read_parquet`` into a staging table in a private temporary DuckDB file
   (compressed on disk, so 10M rows do not have to fit in memory; attached as ``sbulk``),
   with each row's number;
2. **validate**: :mod:`.native_rules` accepts the cells ``normalise_row`` would keep as
   they are; every other row goes to ``normalise_row`` in Python, which gives the exact
   first error or the normalised row. In-file repeats of an event_id are resolved as the
   Python reader does. Same refusal as every import: nothing accepted, or more than
   ``--max-rejected`` % rejected, stores nothing;
3. **attribute**: the engine (:func:`geo.attribution.attribute`) runs in Python only on the
   rows it has to infer (no stated weapon, an impact, debris or interception), in date
   chunks with the attack reports of each chunk's days; every other row's candidates depend
   only on its weapon fields and date, so the engine computes them once per distinct
   combination and SQL joins them back;
4. **store**: ``INSERT … SELECT`` into the DuckDB store, or DuckDB ``COPY`` to CSV and
   PostgreSQL ``COPY … FROM STDIN`` into PostGIS, then the same upsert as every import.

A file the staging step cannot read exactly as the Python reader would (another encoding, a
row of the wrong width, a cell spanning lines, a blank line) is read by the Python reader
instead; the report says why (``info['native']``).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from geo.importers import bulk_attribution
from geo.importers._common import ImportResult, refusal
from geo.importers.bulk_stage import Unsuitable, lines_match, stage_csv, stage_parquet, suitable
from geo.importers.canonical import _merge_geometry
from geo.importers.geoparquet import wkb_geometry
from geo.importers.native_rules import (
    BY_VALUE,
    RAW_KEPT,
    fast_checks,
    fast_values,
    judge_values,
)
from geo.importers.native_rules import load_frame as _load
from geo.schema import COLUMNS, COUNT_COLUMNS, FLOAT_COLUMNS, Rejection, RowError, normalise_row
from geo.store.base import Store, UpsertResult
from geo.store.duckdb import DuckDBStore

MEMORY_LIMIT = "1GB"  # DuckDB spills to the temporary file beyond this (peak RSS ≤ 2 GB)
_SLOW_BATCH = 100_000


@dataclass
class BulkImport:
    """What a bulk import did: the read (counts and rejections, no frame) and the write."""

    result: ImportResult
    refused: str | None = None
    upserted: UpsertResult | None = None
    attribution: bulk_attribution.Summary | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    store: Store | None = None
    plan: tuple | None = None  # stored events to recompute afterwards (bulk_attribution)


def kind_of(path: Path) -> str | None:
    """``csv`` or ``geoparquet`` when the bulk path can read the file, else None."""
    return suitable(path)


def _settings(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute(f"SET temp_directory = '{folder / 'spill'}'")
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")


@contextmanager
def _attached(con: duckdb.DuckDBPyConnection, folder: Path) -> Iterator[None]:
    _settings(con, folder)
    con.execute("ATTACH ? AS sbulk", [str(folder / "stage.duckdb")])
    try:
        yield
    finally:
        con.execute("DETACH sbulk")


def import_bulk(path: str | Path, open_store: Callable[[], Store] | None, *,
                max_rejected: float | None = None) -> BulkImport:
    """Read ``path`` (canonical CSV or GeoParquet); unless refused, open the store
    (``open_store()``; None = a dry run) and attribute and store the events.

    Raises :class:`Unsuitable` before anything is stored when the file is not one the bulk
    path reads exactly as the Python reader. The store is opened only after the file has
    been read and accepted, as on the Python path.
    """
    path = Path(path)
    kind = suitable(path)
    if kind is None:
        raise Unsuitable("not a canonical CSV or GeoParquet")
    folder = Path(tempfile.mkdtemp(prefix="salvo-bulk-"))
    try:
        return _run(path, kind, folder, open_store, max_rejected)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(path: Path, kind: str, folder: Path, open_store: Callable[[], Store] | None,
         max_rejected: float | None) -> BulkImport:
    seconds: dict[str, float] = {}
    mark = time.perf_counter()
    con = duckdb.connect(":memory:")
    try:
        with _attached(con, folder):
            source = (stage_csv if kind == "csv" else stage_parquet)(con, path)
            seconds["stage"] = time.perf_counter() - mark
            rows_read, rejections, notes = _validate(con, source, path, kind)
            accepted = con.execute("SELECT count(*) FROM sbulk.good").fetchall()[0][0]
            seconds["validate"] = time.perf_counter() - mark - seconds["stage"]
            result = ImportResult(
                "canonical" if kind == "csv" else "geoparquet", str(path), rows_read,
                pd.DataFrame(columns=list(COLUMNS)), sorted(rejections, key=lambda r: r.row),
                notes, info={"reader": "bulk (DuckDB read_csv)" if kind == "csv"
                             else "bulk (DuckDB read_parquet)"},
                accepted_rows=accepted)
            out = BulkImport(result, refusal(result, max_rejected), seconds=seconds)
            if out.refused or open_store is None:
                return out
            store = open_store()
            out.store = store
            if not isinstance(store, DuckDBStore):
                _write(con, store, out, same_store=False)
    finally:
        con.close()
    if isinstance(store, DuckDBStore):
        with store._writer() as writer, _attached(writer, folder):
            _write(writer, store, out, same_store=True)
    mark = time.perf_counter()
    bulk_attribution.refresh_windows(store, out.attribution, out.plan)
    seconds["refresh"] = time.perf_counter() - mark
    return out


def _write(con: duckdb.DuckDBPyConnection, store: Store, out: BulkImport,
           same_store: bool) -> None:
    """Attribute ``sbulk.good`` and upsert it: INSERT … SELECT into a DuckDB store (``con``
    is its writer), DuckDB COPY → PostgreSQL COPY into PostGIS."""
    seconds = out.seconds
    mark = time.perf_counter()
    out.attribution, out.plan = bulk_attribution.attribute_staged(con, store, same_store)
    seconds["attribute"] = time.perf_counter() - mark
    mark = time.perf_counter()
    if same_store:
        out.upserted = store.upsert_from(con, "sbulk.final")  # type: ignore[attr-defined]
    else:
        csv_path = Path(tempfile.mkdtemp(prefix="salvo-copy-")) / "final.csv"
        try:
            con.execute(f"COPY (SELECT {', '.join(COLUMNS)}, row_number() OVER () AS ord "
                        f"FROM sbulk.final) TO '{csv_path}' (HEADER false)")
            out.upserted = store.upsert_csv(csv_path)  # type: ignore[attr-defined]
        finally:
            shutil.rmtree(csv_path.parent, ignore_errors=True)
    seconds["store"] = time.perf_counter() - mark


def _validate(con: duckdb.DuckDBPyConnection, source: str, path: Path,
              kind: str) -> tuple[int, list[Rejection], dict[str, int]]:
    """One pass over ``source`` → ``sbulk.good`` (normalised and typed); then the rows the
    SQL rules did not accept are judged in Python and replaced by their normalised form or
    removed, and in-file repeats removed. Returns (rows read, rejections, notes)."""
    checks = " AND ".join(f"coalesce({sql}, false)" for c, sql in fast_checks().items()
                          if c not in BY_VALUE)
    values = ", ".join(f"{sql} AS {c}" for c, sql in fast_values().items())
    kept = ", ".join(f"CASE WHEN ok THEN NULL ELSE {c} END AS raw_{c}" for c in RAW_KEPT)
    try:
        con.execute(f"CREATE TABLE sbulk.good AS SELECT line, ok, {values}, {kept}, "
                    "CASE WHEN ok THEN NULL ELSE g_ok END AS raw_g_ok FROM (SELECT *, "
                    f"(coalesce(g_ok, false) AND {checks}) AS ok FROM {source})")
    except duckdb.Error as exc:
        raise Unsuitable(f"DuckDB's reader: {str(exc).splitlines()[0][:160]}") from None
    rows_read = con.execute("SELECT count(*) FROM sbulk.good").fetchall()[0][0]
    for column in BY_VALUE:
        _by_value(con, column)
    rejections, fixed = _judge_slow(con, path, kind)
    if con.execute("SELECT count(*) FROM sbulk.good WHERE NOT ok").fetchall()[0][0]:
        con.execute("DELETE FROM sbulk.good WHERE NOT ok")
    if fixed:
        _load(con, "sbulk.fixed", _typed(fixed))
        con.execute(f"INSERT INTO sbulk.good (line, ok, {', '.join(COLUMNS)}) SELECT line, "
                    f"true, {', '.join(COLUMNS)} FROM sbulk.fixed")
    notes: dict[str, int] = {}
    rejections += _repeats(con, notes)
    if rejections and kind == "csv" and not lines_match(path, rows_read):
        raise Unsuitable("records span lines or blank lines move the row numbers")
    return rows_read, rejections, notes


def _by_value(con: duckdb.DuckDBPyConnection, column: str) -> None:
    """Judge the distinct values of ``column`` with normalise_row: rows with a bad one go
    to the Python judge, a value it writes differently is rewritten."""
    distinct = [r[0] for r in con.execute(
        f"SELECT DISTINCT {column} FROM sbulk.good WHERE ok AND {column} <> ''").fetchall()]
    verdicts = judge_values(column, distinct)
    bad = [v for v, ok, _ in verdicts if not ok]
    changed = [(v, out) for v, ok, out in verdicts if ok and out != v]
    if bad:
        _load(con, "sbulk.bad_values", pd.DataFrame({"v": bad}, dtype=object))
        con.execute(f"UPDATE sbulk.good SET ok = false WHERE {column} IN "
                    "(SELECT v FROM sbulk.bad_values)")
    if changed:
        _load(con, "sbulk.new_values", pd.DataFrame(changed, columns=["v", "out"], dtype=object))
        con.execute(f"UPDATE sbulk.good AS g SET {column} = n.out FROM "
                    f"sbulk.new_values n WHERE g.ok AND g.{column} = n.v")


def _judge_slow(con: duckdb.DuckDBPyConnection, path: Path,
                kind: str) -> tuple[list[Rejection], list[dict[str, object]]]:
    """``normalise_row`` (and, for GeoParquet, the GeoJSON geometry rule) on every row the
    SQL rules did not accept: the exact first error, or the normalised row."""
    rejections: list[Rejection] = []
    fixed: list[dict[str, object]] = []
    cells = ", ".join(f"coalesce(raw_{c}, CAST({c} AS VARCHAR)) AS {c}" if c in RAW_KEPT
                      else c for c in COLUMNS)
    reader = con.sql(f"SELECT line, coalesce(raw_g_ok, true) AS g_ok, {cells} FROM sbulk.good "
                     "WHERE NOT ok ORDER BY line").to_arrow_reader(_SLOW_BATCH)
    shapes = None
    for batch in reader:
        records = batch.to_pylist()
        found: dict[int, object] = {}
        if kind == "geoparquet" and any(not r["g_ok"] for r in records):
            if shapes is None:
                shapes = pq.read_table(path, columns=["geometry"]).column("geometry")
            needed = [r["line"] - 1 for r in records if not r["g_ok"]]
            found = dict(zip(needed, shapes.take(pa.array(needed)).to_pylist(), strict=True))
        for record in records:
            line = int(record.pop("line"))
            plain = record.pop("g_ok")
            if not plain:
                problem = _merge_geometry(record, wkb_geometry(found[line - 1]))
                if problem:
                    rejections.append(Rejection(line, *problem))
                    continue
            try:
                row = normalise_row(record)
            except RowError as exc:
                rejections.append(Rejection(line, exc.field, exc.reason))
                continue
            fixed.append({"line": line, **row})
    return rejections, fixed


def _typed(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["line", *COLUMNS])
    frame["line"] = frame["line"].astype("int64")
    for c in COLUMNS:
        if c in COUNT_COLUMNS:
            frame[c] = frame[c].astype("Int64")
        elif c in FLOAT_COLUMNS:
            frame[c] = frame[c].astype("float64")
        else:
            frame[c] = frame[c].astype(object).where(frame[c].notna(), "")
    return frame


def _repeats(con: duckdb.DuckDBPyConnection, notes: dict[str, int]) -> list[Rejection]:
    """In-file repeats of an event_id, as ``Collector.accept``: the first row (by line)
    stays; a later one is "duplicate of row N" when every value is the same, else
    "event_id also used by row N with different values"."""
    row_hash = "md5(concat_ws(chr(31), " + ", ".join(
        f"coalesce(CAST({c} AS VARCHAR), '\x01')" for c in COLUMNS) + "))"
    repeated = con.execute(
        f"SELECT event_id, line, {row_hash} AS h FROM sbulk.good WHERE event_id IN "
        "(SELECT event_id FROM sbulk.good GROUP BY event_id HAVING count(*) > 1) "
        "ORDER BY event_id, line").fetchall()
    out: list[Rejection] = []
    dropped: list[int] = []
    first: dict[str, tuple[int, str]] = {}
    for event_id, line, digest in repeated:
        kept = first.get(event_id)
        if kept is None:
            first[event_id] = (line, digest)
            continue
        dropped.append(line)
        if kept[1] == digest:
            out.append(Rejection(line, "event_id", f"duplicate of row {kept[0]}"))
            notes["duplicate_in_file"] = notes.get("duplicate_in_file", 0) + 1
        else:
            out.append(Rejection(line, "event_id",
                                 f"event_id also used by row {kept[0]} with different values"))
    if dropped:
        _load(con, "sbulk.dropped", pd.DataFrame({"line": pd.Series(dropped, dtype="int64")}))
        con.execute("DELETE FROM sbulk.good WHERE line IN (SELECT line FROM sbulk.dropped)")
    return out

