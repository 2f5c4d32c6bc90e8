"""The embedded store: one DuckDB file, safe to share between the dashboard and the CLI.

DuckDB lets one process write a file at a time, and a process that holds the file open
(even read-only) blocks writers in other processes. So the dashboard never keeps the file
open: reads go to a *snapshot* — a private copy of the file, taken while holding a read
lock for the fraction of a second the copy takes, and refreshed when the file changes (a
stat call per rerun) — and writes open the file briefly, retrying while another process
holds the lock. Importing from the CLI while the dashboard is open therefore works, and the
dashboard shows the new events on its next rerun.

The snapshot is a file, not an in-memory table: copying 1M events takes ~0.3 s instead of
several seconds, the dashboard process stays small (DuckDB pages in what queries touch),
and DuckDB's compressed columns are as fast to scan. It also holds ``facet_values``, the
distinct multi-value cells (origins, classes, models, oblasts), so an overlap filter is a
semi-join on a handful of values instead of a list test on every row (issue 5).
"""

from __future__ import annotations

import itertools
import re
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo.curation import Change
from geo.schema import COLUMNS, COUNT_COLUMNS, FLOAT_COLUMNS
from geo.store.base import Store, StoreError, UpsertResult
from geo.store.derived import DERIVED_COLUMNS, DUCKDB_ARRAYS, derived_sql
from geo.store.migrations import pending

LOCK_WAIT_SECONDS = 60.0
_STORE_COLUMNS = (*COLUMNS, *DERIVED_COLUMNS, "row_hash", "status", "imported_at")
# List column → the ';'-joined text column it is derived from (base.derived_sql).
_LIST_SOURCES = {"origins": "weapon_origin", "classes": "weapon_class", "models": "weapon_model",
                 "admin1s": "admin1", "suppliers": "weapon_supplier"}
# Arrays derived from a candidates text (geo.store.derived): their distinct values are
# copied as stored. At 10M events list_has_any(cand_origins, …) on every row was 238 ms of
# each origin filter; the semi-join on ~1.4k distinct texts is a fraction of that.
_DERIVED_SOURCES = {
    "cand_origins": "origin_candidates", "likely_origins": "origin_candidates",
    "cand_classes": "class_candidates", "likely_classes": "class_candidates",
    "likely_families": "class_candidates", "cand_suppliers": "supplier_candidates",
    "likely_suppliers": "supplier_candidates"}
_SEMI_JOINS = {**_LIST_SOURCES, **_DERIVED_SOURCES}


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    # A whole word: "Corrupt … in block at location" is damage, not another process's lock.
    return (re.search(r"\block\b", text) is not None or "conflicting" in text
            or "different configuration" in text)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0].strip() if text else type(exc).__name__


def explain(exc: BaseException, path: Path, doing: str) -> str:
    """One line for the operator: what failed, the real reason first (disk full, damaged
    file, permissions), then DuckDB's own words.

    ``doing`` is what was attempted ("saving the import", "opening"). A full disk used to be
    hidden behind "cannot rollback - no transaction is active" (issue 14, item 4) and a
    damaged file behind "cannot open … for writing" even for a read-only export (item 8).
    """
    detail = _first_line(exc)
    lowered = detail.lower()
    if "no space left" in lowered or "disk full" in lowered or "disk is full" in lowered:
        return f"disk full while {doing} {path}: {detail}; free some space and retry"
    if ("not a valid duckdb database" in lowered or "corrupt" in lowered
            or "could not read enough bytes" in lowered or "checksum" in lowered
            or "serializ" in lowered):
        return (f"{path} is damaged or not a DuckDB store ({detail}); restore it from a "
                "backup or point SALVO_STORE/--store at another file")
    if "permission denied" in lowered or "read-only file system" in lowered:
        return f"no permission while {doing} {path}: {detail}"
    if "file too large" in lowered or "i/o error" in lowered or "io error" in lowered:
        return f"I/O error while {doing} {path}: {detail}"
    return f"{doing} {path} failed: {detail}"


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back if a transaction is still open. After a failed COMMIT DuckDB has already
    rolled back, and ROLLBACK would raise "no transaction is active" over the real error."""
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass


def _save_error(exc: duckdb.Error, path: Path, doing: str) -> StoreError:
    return StoreError(explain(exc, path, doing) + " (nothing was saved)")


def staging_frame(events: pd.DataFrame) -> pd.DataFrame:
    """Canonical rows as typed columns ready for SQL (text '' for missing, ints nullable)."""
    missing = [c for c in COLUMNS if c not in events.columns]
    if missing:
        raise ValueError(f"events lack canonical columns: {', '.join(missing)}")
    out = pd.DataFrame(index=range(len(events)))
    for column in COLUMNS:
        values = events[column].reset_index(drop=True)
        if column in COUNT_COLUMNS:
            out[column] = pd.to_numeric(values, errors="raise").astype("Int64")
        elif column in FLOAT_COLUMNS:
            out[column] = pd.to_numeric(values, errors="raise").astype("float64")
        else:
            out[column] = values.astype("string").fillna("")
    return out


def staging_table(events: pd.DataFrame) -> pa.Table:
    """:func:`staging_frame` as an Arrow table, built without pandas' string conversion.

    Same values (text '' for missing, counts int64, coordinates float64 with NaN → null);
    DuckDB scans it without copying. Columns that are not plain text fall back to
    :func:`staging_frame`'s conversion.
    """
    missing = [c for c in COLUMNS if c not in events.columns]
    if missing:
        raise ValueError(f"events lack canonical columns: {', '.join(missing)}")
    arrays = []
    for column in COLUMNS:
        values = events[column]
        if column in COUNT_COLUMNS:
            numbers = pd.to_numeric(values, errors="raise").astype("Int64")
            arrays.append(pa.array(numbers, type=pa.int64(), from_pandas=True))
        elif column in FLOAT_COLUMNS:
            numbers = pd.to_numeric(values, errors="raise").astype("float64")
            arrays.append(pa.array(numbers.to_numpy(), type=pa.float64(), from_pandas=True))
        else:
            try:
                text = pa.array(values.to_numpy(dtype=object), type=pa.string(),
                                from_pandas=True)
            except (pa.ArrowTypeError, pa.ArrowInvalid):
                text = pa.array(values.astype("string").fillna(""), type=pa.string())
            arrays.append(pc.fill_null(text, ""))
    return pa.Table.from_arrays(arrays, names=list(COLUMNS))


def _sorted(stage: pa.Table) -> bool:
    """True when the rows are already in event_date order (ISO dates sort as text)."""
    import numpy as np

    dates = stage.column("event_date").to_numpy()
    return bool(len(dates) < 2 or np.all(dates[1:] >= dates[:-1]))


def hash_sql() -> str:
    parts = ", ".join(f"coalesce(CAST({c} AS VARCHAR), '')" for c in COLUMNS)
    return f"md5(concat_ws(chr(31), {parts}))"


class DuckDBStore(Store):
    """Events in a DuckDB file. ``snapshot=True`` (the app) reads from memory."""

    def __init__(self, path: str | Path, *, snapshot: bool = True):
        self.path = Path(path)
        self.url = f"duckdb:///{self.path}"
        self.snapshot = snapshot
        self._lock = threading.RLock()
        self._mirror: duckdb.DuckDBPyConnection | None = None
        self._mirror_sig: tuple | None = None
        self._mirror_path: Path | None = None
        self._copies: Path | None = None
        self._serial = itertools.count()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._writer():
            pass  # creates the file and applies migrations

    # ---- connections ---------------------------------------------------------------------
    def _signature(self) -> tuple:
        sig = []
        for p in (self.path, Path(str(self.path) + ".wal")):
            try:
                st = p.stat()
                sig.append((st.st_mtime_ns, st.st_size))
            except FileNotFoundError:
                sig.append(None)
        return tuple(sig)

    @contextmanager
    def _writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        with self._lock:
            while True:
                try:
                    con = duckdb.connect(str(self.path))
                    break
                except duckdb.Error as exc:
                    if not _is_lock_error(exc):
                        raise StoreError(explain(exc, self.path, "opening")) from exc
                    if time.monotonic() > deadline:
                        raise StoreError(
                            f"{self.path} is in use by another process (waited "
                            f"{LOCK_WAIT_SECONDS:.0f} s): {_first_line(exc)}") from exc
                    time.sleep(0.2)
            failed = True
            try:
                try:
                    self._migrate(con)
                except duckdb.Error as exc:
                    raise StoreError(explain(exc, self.path, "opening")) from exc
                yield con
                failed = False
            finally:
                try:
                    con.close()
                except duckdb.Error as exc:
                    if not failed:  # never let a close error replace the first one
                        raise StoreError(explain(exc, self.path, "closing")) from exc
            self._mirror_sig = None  # force a snapshot refresh on the next read

    def _migrate(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER, name VARCHAR, "
            "applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)"
        )
        rows = con.execute("SELECT version FROM schema_migrations").fetchall()
        applied = {row[0] for row in rows}
        for migration in pending(applied):
            con.execute("BEGIN")
            for statement in migration.duckdb:
                con.execute(statement)
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                        [migration.version, migration.name])
            con.execute("COMMIT")

    def _reader(self) -> duckdb.DuckDBPyConnection:
        if not self.snapshot:
            return self._open_read_only()
        with self._lock:
            sig = self._signature()
            if self._mirror is None or sig != self._mirror_sig:
                try:
                    fresh = self._load_snapshot()
                except StoreError:
                    if self._mirror is None:
                        raise
                    # A writer holds the file: keep showing the previous snapshot.
                    return self._mirror.cursor()
                self._drop_mirror(close=False)
                (self._mirror, self._mirror_path), self._mirror_sig = fresh, sig
            return self._mirror.cursor()

    def _open_read_only(self) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=True)
            except duckdb.Error as exc:
                if not _is_lock_error(exc) or time.monotonic() > deadline:
                    raise StoreError(explain(exc, self.path, "reading")) from exc
                time.sleep(0.2)

    def _load_snapshot(self) -> tuple[duckdb.DuckDBPyConnection, Path]:
        """Copy the file (and its WAL) while holding a read lock; open the copy."""
        if self._copies is None:
            self._copies = Path(tempfile.mkdtemp(prefix="salvo-snapshot-"))
            weakref.finalize(self, shutil.rmtree, self._copies, ignore_errors=True)
        target = self._copies / f"snapshot-{next(self._serial)}.duckdb"
        lock = duckdb.connect(":memory:")
        deadline = time.monotonic() + 2.0
        try:
            while True:
                try:
                    lock.execute("ATTACH ? AS src (READ_ONLY)", [str(self.path)])
                    break
                except duckdb.Error as exc:
                    if not _is_lock_error(exc) or time.monotonic() > deadline:
                        raise StoreError(explain(exc, self.path, "reading")) from exc
                    time.sleep(0.1)
            # No writer can change the file while it is attached: copy it as it is.
            try:
                shutil.copyfile(self.path, target)
                wal = Path(str(self.path) + ".wal")
                if wal.exists():
                    shutil.copyfile(wal, Path(str(target) + ".wal"))
            except OSError as exc:
                _remove(target)
                doing = f"copying into {self._copies} a snapshot of"
                raise StoreError(explain(exc, self.path, doing)) from exc
        finally:
            lock.close()
        try:
            con = duckdb.connect(str(target))  # private: nobody else opens this copy
            con.execute(
                "CREATE TABLE facet_values AS "
                + " UNION ALL ".join(
                    f"SELECT '{lst}' AS col, v, CASE WHEN v = '' THEN []::VARCHAR[] "
                    f"ELSE string_split(v, ';') END AS items "
                    f"FROM (SELECT DISTINCT {text} AS v FROM events)"
                    for lst, text in _LIST_SOURCES.items())
                # The array is a function of its text: any row's will do (first() per text
                # is ~40 ms at 10M events, a DISTINCT on text and array ~250 ms).
                + "".join(f" UNION ALL SELECT '{lst}' AS col, {text} AS v, first({lst}) AS "
                          f"items FROM events GROUP BY {text}"
                          for lst, text in _DERIVED_SOURCES.items()))
            con.execute("CHECKPOINT")  # nothing left to write when it is closed
        except duckdb.Error as exc:
            _remove(target)
            raise StoreError(explain(exc, self.path, "reading")) from exc
        return con, target

    def _drop_mirror(self, close: bool = True) -> None:
        """Forget the snapshot. On a refresh it is not closed: a query another session
        started on a cursor of it finishes, and DuckDB closes it with the last cursor (the
        copy is unlinked now; its space is freed then)."""
        if self._mirror is not None:
            if close:
                self._mirror.close()
            self._mirror = None
        if self._mirror_path is not None:
            _remove(self._mirror_path)
            self._mirror_path = None

    # ---- Store API ---------------------------------------------------------------------
    def _query(self, sql: str, params: list) -> pd.DataFrame:
        con = self._reader()
        try:
            return con.execute(sql, params).df()
        finally:
            con.close()

    def _overlap(self, column: str) -> str:
        if self.snapshot and column in _SEMI_JOINS:
            # The same test on the few distinct cells, then a semi-join on the text column.
            return (f"{_SEMI_JOINS[column]} IN (SELECT v FROM facet_values WHERE col = "
                    f"'{column}' AND list_has_any(items, ?::VARCHAR[]))")
        return f"list_has_any({column}, ?::VARCHAR[])"

    def _period(self, bin_: str) -> str:
        return f"CAST(date_trunc('{bin_}', event_date) AS DATE)"

    def version(self) -> str:
        return repr(self._signature())

    def upsert(self, events: pd.DataFrame) -> UpsertResult:
        stage = staging_table(events)
        if stage.num_rows == 0:
            return UpsertResult(0, 0, 0)
        ids = stage.column("event_id")
        distinct = pc.count_distinct(ids).as_py()
        source = "incoming"
        if distinct < stage.num_rows:  # first row per event_id by date, as before
            source = ("(SELECT * FROM incoming QUALIFY row_number() OVER "
                      "(PARTITION BY event_id ORDER BY event_date) = 1)")
        order = "" if distinct == stage.num_rows and _sorted(stage) else " ORDER BY event_date"
        with self._writer() as con:
            con.register("incoming", stage)
            try:
                return self._upsert_in(con, source, order, distinct)
            finally:
                con.unregister("incoming")

    def upsert_from(self, con: duckdb.DuckDBPyConnection, table: str) -> UpsertResult:
        """Upsert the canonical rows of ``table``, a relation of ``con`` (this store's
        writer connection, see :meth:`_writer`) with one row per event_id: the bulk
        import's ``INSERT … SELECT`` (:mod:`geo.importers.native`), same rules as
        :meth:`upsert`."""
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        if not rows:
            return UpsertResult(0, 0, 0)
        return self._upsert_in(con, table, " ORDER BY event_date", rows)

    def _upsert_in(self, con: duckdb.DuckDBPyConnection, source: str, order: str,
                   distinct: int) -> UpsertResult:
        columns = ", ".join(COLUMNS)
        derived = derived_sql(DUCKDB_ARRAYS)
        store_columns = ", ".join(_STORE_COLUMNS)
        con.execute("BEGIN")
        try:
            known = con.execute(
                f"SELECT count(*) FROM (SELECT event_id FROM {source} "
                "SEMI JOIN events USING (event_id))").fetchone()[0]
            if not known:
                # Only new events (a first import): one pass, no staging table.
                con.execute(
                    f"INSERT INTO events ({store_columns}) SELECT {columns}, {derived}, "
                    f"{hash_sql()}, 'active', current_timestamp FROM {source} s{order}")
                inserted, updated, unchanged = distinct, 0, 0
            else:
                inserted, updated, unchanged = self._merge(con, source, derived)
            con.execute("COMMIT")
        except Exception as exc:
            _rollback(con)  # the first error is the one to report
            if isinstance(exc, duckdb.Error):
                raise _save_error(exc, self.path, "saving the import to") from exc
            raise
        return UpsertResult(int(inserted), int(updated), int(unchanged))

    @staticmethod
    def _merge(con: duckdb.DuckDBPyConnection, source: str, derived: str) -> tuple:
        """Upsert into a store that already holds some of the incoming event_ids."""
        columns = ", ".join(COLUMNS)
        con.execute(f"CREATE TEMP TABLE stage AS SELECT {columns}, {hash_sql()} AS row_hash "
                    f"FROM {source} s")
        counts = con.execute(
            "SELECT count(*) FILTER (WHERE e.event_id IS NULL), "
            "count(*) FILTER (WHERE e.row_hash <> s.row_hash "
            "AND NOT coalesce(e.curated, false)), "
            "count(*) FILTER (WHERE e.row_hash = s.row_hash OR coalesce(e.curated, false)) "
            "FROM stage s LEFT JOIN events e USING (event_id)"
        ).fetchone()
        # Curation survives a re-import: an updated row keeps its status.
        con.execute(
            "CREATE TEMP TABLE kept AS SELECT e.event_id, e.status FROM events e "
            "JOIN stage s USING (event_id) WHERE e.row_hash <> s.row_hash "
            # An editor's correction outranks the source file's next re-import.
            "AND NOT coalesce(e.curated, false)"
        )
        con.execute("DELETE FROM events WHERE event_id IN (SELECT event_id FROM kept)")
        con.execute(
            f"INSERT INTO events ({', '.join(_STORE_COLUMNS)}) "
            f"SELECT {', '.join('s.' + c for c in COLUMNS)}, {derived}, s.row_hash, "
            "coalesce(k.status, 'active'), current_timestamp FROM stage s "
            "LEFT JOIN kept k USING (event_id) "
            "ANTI JOIN events e ON e.event_id = s.event_id "
            "ORDER BY s.event_date"
        )
        return counts

    def apply_change(self, change: Change) -> None:
        stage = staging_frame(pd.DataFrame([change.row]))
        before, after = change.audit_json()
        derived = derived_sql(DUCKDB_ARRAYS)
        with self._writer() as con:
            con.register("incoming", stage)
            con.execute("BEGIN")
            try:
                con.execute("DELETE FROM events WHERE event_id = ?", [change.event_id])
                con.execute(
                    f"INSERT INTO events ({', '.join(_STORE_COLUMNS)}, curated) "
                    f"SELECT {', '.join(COLUMNS)}, {derived}, {hash_sql()}, ?, "
                    "current_timestamp, true FROM incoming", [change.status])
                con.execute(
                    "INSERT INTO audit_log (event_id, changed_at, actor, action, reason, "
                    "before_json, after_json) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [change.event_id, change.at, change.actor, change.action, change.reason,
                     before, after])
                if change.link_to:
                    con.execute("INSERT INTO event_links VALUES (?, ?, 'duplicate_of', ?, ?, ?)",
                                [change.event_id, change.link_to, change.actor, change.at,
                                 change.reason])
                con.execute("COMMIT")
            except Exception as exc:
                _rollback(con)  # the first error is the one to report
                if isinstance(exc, duckdb.Error):
                    raise _save_error(exc, self.path, "saving the change to") from exc
                raise
            finally:
                con.unregister("incoming")

    def _write(self, sql: str, params: list) -> int:
        with self._writer() as con:
            con.execute("BEGIN")
            try:
                changed = con.execute(sql, params).fetchall()
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
        # DuckDB answers an INSERT/UPDATE with one row holding the count of changed rows.
        return int(changed[0][0]) if changed else 0

    def _audit_query(self, sql: str, params: list) -> pd.DataFrame:
        # Read the file itself: the history must be current the moment a change is saved.
        with self._lock:
            con = self._open_read_only()
            try:
                return con.execute(sql, params).df()
            finally:
                con.close()

    def close(self) -> None:
        with self._lock:
            self._drop_mirror()


def _remove(path: Path) -> None:
    for p in (path, Path(str(path) + ".wal")):
        p.unlink(missing_ok=True)


