"""The embedded store: one DuckDB file, safe to share between the dashboard and the CLI.

DuckDB lets one process write a file at a time, and a process that holds the file open
(even read-only) blocks writers in other processes. So the dashboard never keeps the file
open: reads go to an in-memory *snapshot* that is refreshed when the file changes (a stat
call per rerun), and writes open the file briefly, retrying while another process holds
the lock. Importing from the CLI while the dashboard is open therefore works, and the
dashboard shows the new events on its next rerun.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from geo.schema import COLUMNS, COUNT_COLUMNS, FLOAT_COLUMNS
from geo.store.base import Store, StoreError, UpsertResult, derived_sql
from geo.store.migrations import pending

LOCK_WAIT_SECONDS = 60.0
_STORE_COLUMNS = (*COLUMNS, "origins", "classes", "models", "admin1s", "origin_group",
                  "map_kind", "row_hash", "status", "imported_at")


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflicting" in text or "different configuration" in text


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
                    if not _is_lock_error(exc) or time.monotonic() > deadline:
                        raise StoreError(
                            f"cannot open {self.path} for writing: {exc}"
                        ) from exc
                    time.sleep(0.2)
            try:
                self._migrate(con)
                yield con
            finally:
                con.close()
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
                if self._mirror is not None:
                    self._mirror.close()
                self._mirror, self._mirror_sig = fresh, sig
            return self._mirror.cursor()

    def _open_read_only(self) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=True)
            except duckdb.Error as exc:
                if not _is_lock_error(exc) or time.monotonic() > deadline:
                    raise StoreError(f"cannot read {self.path}: {exc}") from exc
                time.sleep(0.2)

    def _load_snapshot(self) -> duckdb.DuckDBPyConnection:
        mem = duckdb.connect(":memory:")
        deadline = time.monotonic() + 2.0
        while True:
            try:
                mem.execute("ATTACH ? AS src (READ_ONLY)", [str(self.path)])
                break
            except duckdb.Error as exc:
                if not _is_lock_error(exc) or time.monotonic() > deadline:
                    mem.close()
                    raise StoreError(f"cannot read {self.path}: {exc}") from exc
                time.sleep(0.1)
        mem.execute("CREATE TABLE events AS SELECT * FROM src.events ORDER BY event_date")
        mem.execute("DETACH src")
        return mem

    # ---- Store API ---------------------------------------------------------------------
    def _query(self, sql: str, params: list) -> pd.DataFrame:
        con = self._reader()
        try:
            return con.execute(sql, params).df()
        finally:
            con.close()

    def _overlap(self, column: str) -> str:
        return f"list_has_any({column}, ?::VARCHAR[])"

    def _period(self, bin_: str) -> str:
        return f"CAST(date_trunc('{bin_}', event_date) AS DATE)"

    def version(self) -> str:
        return repr(self._signature())

    def upsert(self, events: pd.DataFrame) -> UpsertResult:
        stage = staging_frame(events)
        if stage.empty:
            return UpsertResult(0, 0, 0)
        columns = ", ".join(COLUMNS)
        with self._writer() as con:
            con.register("incoming", stage)
            con.execute("BEGIN")
            try:
                con.execute(
                    f"CREATE TEMP TABLE stage AS SELECT {columns}, {hash_sql()} AS row_hash "
                    "FROM (SELECT * FROM incoming QUALIFY row_number() OVER "
                    "(PARTITION BY event_id ORDER BY event_date) = 1)"
                )
                inserted, updated, unchanged = con.execute(
                    "SELECT count(*) FILTER (WHERE e.event_id IS NULL), "
                    "count(*) FILTER (WHERE e.row_hash <> s.row_hash), "
                    "count(*) FILTER (WHERE e.row_hash = s.row_hash) "
                    "FROM stage s LEFT JOIN events e USING (event_id)"
                ).fetchone()
                # Curation survives a re-import: an updated row keeps its status.
                con.execute(
                    "CREATE TEMP TABLE kept AS SELECT e.event_id, e.status FROM events e "
                    "JOIN stage s USING (event_id) WHERE e.row_hash <> s.row_hash"
                )
                con.execute("DELETE FROM events WHERE event_id IN (SELECT event_id FROM kept)")
                derived = derived_sql("string_split({col}, ';')", "[]::VARCHAR[]")
                con.execute(
                    f"INSERT INTO events ({', '.join(_STORE_COLUMNS)}) "
                    f"SELECT {', '.join('s.' + c for c in COLUMNS)}, {derived}, s.row_hash, "
                    "coalesce(k.status, 'active'), current_timestamp FROM stage s "
                    "LEFT JOIN kept k USING (event_id) "
                    "WHERE s.event_id NOT IN (SELECT event_id FROM events) "
                    "ORDER BY s.event_date"
                )
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
            finally:
                con.unregister("incoming")
        return UpsertResult(int(inserted), int(updated), int(unchanged))

    def close(self) -> None:
        with self._lock:
            if self._mirror is not None:
                self._mirror.close()
                self._mirror = None


