"""Team mode: events in PostgreSQL + PostGIS, shared by every dashboard and CLI user.

The shared SQL in :mod:`geo.store.base` runs here unchanged apart from the dialect hooks:
placeholders are translated for psycopg, array overlap is ``&&`` (GIN-indexed), and map
boxes are pre-filtered with the GiST index on ``geom``. The app creates and migrates the
schema itself (one migration per transaction, serialised by an advisory lock), so a fresh
database only needs ``CREATE EXTENSION postgis`` — and not even that for a superuser.

Connections: opening one costs ~7 ms on loopback (far more over TLS to a managed server)
against ~0.15 ms for a query, so a sized pool keeps them (:mod:`geo.store.pgpool`). Each
call takes its own connection, so Streamlit's threads never share one. With a read URL
(``SALVO_STORE_READ``), reads go to a hot standby and writes to the primary, with
read-your-writes (see :mod:`geo.store.pgpool`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from geo.curation import Change
from geo.schema import COLUMNS, COUNT_COLUMNS, FLOAT_COLUMNS
from geo.store.base import BBox, Store, StoreError, UpsertResult
from geo.store.derived import DERIVED_COLUMNS, POSTGRES_ARRAYS, derived_sql
from geo.store.duckdb import staging_frame
from geo.store.migrations import pending
from geo.store.pgpool import Pool, PoolTimeout, ReadRouter

# Advisory lock keys (arbitrary constants, per database): one for migrations, one that
# serialises imports — exact inserted/updated counts and no deadlocks between two bulk
# upserts that touch the same event_ids in different orders.
MIGRATION_LOCK = 0x5A17_0001
WRITE_LOCK = 0x5A17_0002
POOL_SIZE = 10  # the SALVO_STORE_POOL_SIZE default
ANALYZE_AFTER_ROWS = 1000

# Session settings the results depend on, whatever the server or role defaults are: ISO
# dates from CAST(date AS VARCHAR), floats printed exactly (row hashes, exports), and '\'
# read as a plain character (the shared SQL's ESCAPE '\' clauses).
_SESSION = ("SET datestyle = 'ISO, YMD'; SET extra_float_digits = 3; "
            "SET standard_conforming_strings = on")

_INT32, _INT64, _FLOATS, _DATE, _TIMESTAMPS = (
    {21, 23}, {20}, {700, 701, 1700}, 1082, {1114, 1184}
)
_STAGE_TYPES = {**{c: "INTEGER" for c in COUNT_COLUMNS},
                **{c: "DOUBLE PRECISION" for c in FLOAT_COLUMNS}, "event_date": "DATE"}
T = TypeVar("T")
_DERIVED = DERIVED_COLUMNS


@lru_cache(maxsize=512)
def to_psycopg(sql: str) -> str:
    """``?`` placeholders → ``%s``; literal ``%`` → ``%%`` (psycopg reads ``%`` everywhere).

    A ``?`` inside a quoted literal or identifier is left alone. LIKE wildcards travel as
    bound parameters, so doubling ``%`` in the SQL text never changes a pattern.
    """
    out: list[str] = []
    quote = ""
    for ch in sql:
        if ch == "%":
            out.append("%%")
            continue
        if quote:
            if ch == quote:
                quote = ""  # a doubled quote ('') closes and reopens: same result
        elif ch in ("'", '"'):
            quote = ch
        elif ch == "?":
            out.append("%s")
            continue
        out.append(ch)
    if quote:
        raise ValueError(f"unterminated quote in SQL: {sql[:80]!r}")
    return "".join(out)


def connect_url(url: str) -> str:
    """The libpq form of a store URL (SQLAlchemy's ``postgresql+psycopg://`` accepted)."""
    scheme, sep, rest = url.partition("://")
    if scheme in ("postgresql+psycopg", "postgres"):
        return "postgresql" + sep + rest
    return url


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        params = conninfo_to_dict(connect_url(url))
    except psycopg.ProgrammingError:
        return "postgresql://?"
    user = f"{params['user']}@" if params.get("user") else ""
    host, port, db = params.get("host", ""), params.get("port", ""), params.get("dbname", "")
    return f"postgresql://{user}{host}{':' + str(port) if port else ''}/{db}"


def _column(values: tuple, oid: int) -> pd.Series | pd.api.extensions.ExtensionArray:
    """One result column with the dtype DuckDB's ``.df()`` gives, so callers see no seam."""
    if oid in _INT32 or oid in _INT64:
        wide = oid in _INT64
        if None in values:
            return pd.array(values, dtype="Int64" if wide else "Int32")
        return np.array(values, dtype=np.int64 if wide else np.int32)
    if oid in _FLOATS:
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    if oid == _DATE or oid in _TIMESTAMPS:
        return pd.Series(pd.to_datetime(list(values)), dtype="datetime64[us]")
    if not values:
        return pd.Series([], dtype="str")
    return pd.Series(list(values))  # text: pandas infers its string dtype, as from DuckDB


def _frame(cur: psycopg.Cursor) -> pd.DataFrame:
    description = cur.description or []
    rows = cur.fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in description]
    data = {d.name: _column(values, d.type_code)
            for d, values in zip(description, columns, strict=True)}
    return pd.DataFrame(data, columns=[d.name for d in description])


def _copy_rows(stage: pd.DataFrame) -> Iterator[tuple]:
    """Staging rows as plain Python values (None for missing) for COPY, with input order."""
    columns = []
    for column in COLUMNS:
        series = stage[column]
        if column in COUNT_COLUMNS:
            columns.append([None if pd.isna(v) else int(v) for v in series])
        elif column in FLOAT_COLUMNS:
            columns.append([None if np.isnan(v) else float(v) for v in series])
        else:
            columns.append(series.tolist())
    return zip(*columns, range(len(stage)), strict=True)


def hash_sql() -> str:
    """Content hash of a canonical row, computed by the database from the typed values."""
    parts = ", ".join(f"coalesce(CAST({c} AS TEXT), '')" for c in COLUMNS)
    return f"md5(concat_ws(chr(31), {parts}))"


class PostGISStore(Store):
    """Events in a PostgreSQL database with PostGIS (``postgresql://user@host:port/db``)."""

    def __init__(self, url: str, *, read_url: str | None = None, pool_size: int = POOL_SIZE):
        self.url = url  # the cache key the app reopens the store by: keep it as given
        self.read_url = read_url
        self._conninfo = make_conninfo(connect_url(url), application_name="salvo",
                                       connect_timeout=10)
        self._pool = Pool(lambda: self._connect(self._conninfo), pool_size)
        self._router: ReadRouter | None = None
        self._store_id = ""
        try:
            self._migrate()
            if read_url:
                self._store_id, lsn = self._run(lambda con: con.execute(
                    "SELECT store_id, pg_current_wal_insert_lsn()::text FROM store_meta"
                ).fetchone())
                # A short connect timeout: an unreachable standby must not hold a page up.
                standby = make_conninfo(connect_url(read_url), application_name="salvo",
                                        connect_timeout=3)
                self._router = ReadRouter(Pool(lambda: self._connect_standby(standby),
                                               pool_size), redact(read_url))
                # The migrations just applied (a new database) count as our own writes.
                self._router.wrote(lsn)
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        return f"PostGISStore({redact(self.url)!r})"

    # ---- connections ---------------------------------------------------------------------
    def _connect(self, conninfo: str) -> psycopg.Connection:
        try:
            con = psycopg.connect(conninfo, autocommit=True)
            con.execute(_SESSION)
        except psycopg.Error as exc:
            where = self.url if conninfo == self._conninfo else self.read_url or ""
            raise StoreError(f"cannot connect to PostgreSQL at {redact(where)}: "
                             f"{str(exc).strip()}") from exc
        return con

    def _connect_standby(self, conninfo: str) -> psycopg.Connection:
        """A standby connection, checked to be a hot standby *of this primary* (the same
        store_id, replicated from it): a read URL pointing elsewhere is never read."""
        con = self._connect(conninfo)
        try:
            recovering, store_id = con.execute(
                "SELECT pg_is_in_recovery(), (SELECT store_id FROM store_meta)").fetchone()
        except psycopg.Error as exc:
            con.close()
            raise StoreError(f"{redact(self.read_url or '')}: {str(exc).strip()}") from exc
        if not recovering or store_id != self._store_id:
            con.close()
            raise StoreError(f"{redact(self.read_url or '')} is not a hot standby of "
                             f"{redact(self.url)} (SALVO_STORE_READ)")
        return con

    def _run(self, work: Callable[[psycopg.Connection], T]) -> T:
        """``work(connection)`` on the primary, once more on a fresh connection if the
        first one died (server restart, idle timeout). Safe for writes too: an upsert is
        idempotent and runs in one transaction, so a retry cannot apply anything twice (if
        the connection died during COMMIT, the retry reports the rows as unchanged)."""
        for attempt in (1, 2):
            con: psycopg.Connection | None = None
            try:
                with self._pool.connection() as con:
                    return work(con)
            except PoolTimeout as exc:
                raise StoreError(f"PostgreSQL at {redact(self.url)}: {exc}") from exc
            except psycopg.Error as exc:
                died = isinstance(exc, psycopg.OperationalError) and con is not None \
                    and con.broken
                if attempt == 2 or not died:
                    raise StoreError(f"PostgreSQL at {redact(self.url)}: "
                                     f"{str(exc).strip()}") from exc
        raise AssertionError("unreachable")

    def _run_write(self, work: Callable[[psycopg.Connection], T]) -> T:
        """A write on the primary; with a standby, remember where the primary's WAL was
        after it, so this process's next reads see it (read-your-writes)."""
        if self._router is None:
            return self._run(work)
        router = self._router

        def wrapped(con: psycopg.Connection) -> T:
            try:
                return work(con)
            finally:
                # Also after a failure: part of it may have committed (an upsert's ANALYZE).
                # The insert position (not the write position) covers an asynchronous
                # commit's record that is not yet written out.
                if not con.broken:
                    try:
                        router.wrote(con.execute(
                            "SELECT pg_current_wal_insert_lsn()::text").fetchone()[0])
                    except psycopg.Error:
                        # Where the write ended is unknown: read from the primary a while.
                        # The write's own error (if any) is the one to report.
                        router.hold_primary()

        return self._run(wrapped)

    def _run_read(self, work: Callable[[psycopg.Connection], T]) -> T:
        """A read: on the standby when there is one, it answers and it has replayed our
        writes; otherwise on the primary. A standby failure is logged, never shown."""
        router = self._router
        if router is not None and router.available():
            try:
                with router.standby.connection() as con:
                    if router.caught_up(con):
                        result = work(con)
                        router.standby_reads += 1
                        return result
            except (StoreError, PoolTimeout) as exc:  # cannot connect, or not our standby
                router.failed(exc, retry_later=True)
            except psycopg.OperationalError as exc:  # connection lost, recovery conflict
                router.failed(exc, retry_later=False)
            except psycopg.Error:
                pass  # a bad query: the primary reports it as it would without a standby
            router.primary_reads += 1
        return self._run(work)

    def _write(self, sql: str, params: list) -> int:
        # Autocommit connection: the one statement is its own transaction.
        return self._run_write(lambda con: con.execute(to_psycopg(sql), params).rowcount)

    def close(self) -> None:
        self._pool.close()
        if self._router is not None:
            self._router.standby.close()

    # ---- schema --------------------------------------------------------------------------
    def _migrate(self) -> None:
        def up_to_date(con: psycopg.Connection) -> bool:
            # Checked without locks or DDL first, so a role that may only SELECT (a
            # read-only dashboard) can open an already migrated store.
            if con.execute("SELECT to_regclass('schema_migrations')").fetchone()[0] is None:
                return False
            applied = {r[0] for r in con.execute("SELECT version FROM schema_migrations")}
            return not pending(applied)

        def work(con: psycopg.Connection) -> None:
            if up_to_date(con):
                return
            # Two app instances starting at once must not both run a migration.
            con.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK])
            try:
                con.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY "
                    "KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                )
                applied = {r[0] for r in con.execute("SELECT version FROM schema_migrations")}
                for migration in pending(applied):
                    with con.transaction():
                        for statement in migration.postgres:
                            self._migration_statement(con, statement)
                        con.execute("INSERT INTO schema_migrations (version, name) "
                                    "VALUES (%s, %s)", [migration.version, migration.name])
            finally:
                if not con.broken:
                    con.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK])

        self._run(work)

    def _migration_statement(self, con: psycopg.Connection, statement: str) -> None:
        try:
            con.execute(statement)
        except psycopg.errors.InsufficientPrivilege as exc:
            raise StoreError(
                f"PostgreSQL at {redact(self.url)}: {str(exc).strip()} — a database owner "
                "must run `CREATE EXTENSION postgis;` in this database (docs/team-store.md)"
            ) from exc
        except (psycopg.errors.FeatureNotSupported, psycopg.errors.UndefinedFile) as exc:
            raise StoreError(f"PostGIS is not installed on the server at "
                             f"{redact(self.url)}: {str(exc).strip()}") from exc

    # ---- dialect -------------------------------------------------------------------------
    def _query(self, sql: str, params: list) -> pd.DataFrame:
        return self._run_read(lambda con: _frame(con.execute(to_psycopg(sql), params)))

    def _audit_query(self, sql: str, params: list) -> pd.DataFrame:
        # The audit and sync logs are read where they are written: the primary.
        return self._run(lambda con: _frame(con.execute(to_psycopg(sql), params)))

    def _overlap(self, column: str) -> str:
        return f"{column} && ?::text[]"

    def _period(self, bin_: str) -> str:
        # Via timestamp (not timestamptz) so the session time zone cannot shift a period.
        return f"CAST(date_trunc('{bin_}', event_date::timestamp) AS DATE)"

    def _bbox_clause(self, bbox: BBox | None) -> tuple[str, list]:
        if bbox is None:
            return "", []
        # `&&` on the GiST index narrows the rows fast but compares float4 boxes, so the
        # exact BETWEEN (as in every dialect) decides points near the box edges.
        clause, params = super()._bbox_clause(bbox)
        return (" AND geom && ST_MakeEnvelope(?, ?, ?, ?, 4326)" + clause,
                [bbox.west, bbox.south, bbox.east, bbox.north] + params)

    def version(self) -> str:
        def work(con: psycopg.Connection) -> str:
            row = con.execute("SELECT store_id, version FROM store_meta").fetchone()
            return f"{row[0]}:{row[1]}" if row else "empty"

        return self._run_read(work)

    def upsert(self, events: pd.DataFrame) -> UpsertResult:
        stage = staging_frame(events)
        if stage.empty:
            return UpsertResult(0, 0, 0)
        rows = list(_copy_rows(stage))

        def fill(copy) -> None:
            for row in rows:
                copy.write_row(row)

        return self._upsert_copied(fill, "")

    def upsert_csv(self, path: Path) -> UpsertResult:
        """Upsert a headerless CSV of the canonical columns + an input order column (NULL =
        unquoted empty, '' = quoted empty), streamed to ``COPY … FROM STDIN (FORMAT csv)``:
        the bulk import (:mod:`geo.importers.native`) writes it with DuckDB's ``COPY``.
        Same rules as :meth:`upsert`."""

        def fill(copy) -> None:
            with open(path, "rb") as handle:
                while block := handle.read(1 << 20):
                    copy.write(block)

        return self._upsert_copied(fill, " (FORMAT csv)")

    def _upsert_copied(self, fill: Callable, options: str) -> UpsertResult:
        result = self._run_write(lambda con: self._upsert(con, fill, options))
        if result.inserted + result.updated >= ANALYZE_AFTER_ROWS:
            # Without statistics the planner ignores the GIN/GiST indexes (measured: an
            # origin filter scanned all rows until analysed). Autovacuum would get there
            # within a minute; ANALYZE samples at most 30k rows, so this stays cheap.
            self._run_write(lambda con: con.execute("ANALYZE events"))
        return result

    def apply_change(self, change: Change) -> None:
        row = next(_copy_rows(staging_frame(pd.DataFrame([change.row]))))
        values = ", ".join(f"%s::{_STAGE_TYPES.get(c, 'TEXT')} AS {c}" for c in COLUMNS)
        before, after = change.audit_json()
        derived = derived_sql(POSTGRES_ARRAYS)
        names = ", ".join(COLUMNS)

        def work(con: psycopg.Connection) -> None:
            with con.transaction():
                con.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
                con.execute("DELETE FROM events WHERE event_id = %s", [change.event_id])
                con.execute(
                    f"INSERT INTO events ({names}, {', '.join(_DERIVED)}, row_hash, status, "
                    f"imported_at, curated) SELECT {names}, {derived}, {hash_sql()}, %s, "
                    f"localtimestamp, true FROM (SELECT {values}) s",
                    [change.status, *row[:len(COLUMNS)]])
                con.execute(
                    "INSERT INTO audit_log (event_id, changed_at, actor, action, reason, "
                    "before_json, after_json) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    [change.event_id, change.at, change.actor, change.action, change.reason,
                     before, after])
                if change.link_to:
                    con.execute(
                        "INSERT INTO event_links VALUES (%s, %s, 'duplicate_of', %s, %s, %s)",
                        [change.event_id, change.link_to, change.actor, change.at,
                         change.reason])

        self._run_write(work)

    def _upsert(self, con: psycopg.Connection, fill: Callable, options: str) -> UpsertResult:
        names = ", ".join(COLUMNS)
        typed = ", ".join(f"{c} {_STAGE_TYPES.get(c, 'TEXT')}" for c in COLUMNS)
        with con.transaction():
            con.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
            con.execute(f"CREATE TEMP TABLE salvo_incoming ({typed}, ord INTEGER) "
                        "ON COMMIT DROP")
            # COPY: one round trip for the rows instead of one statement per row.
            with con.cursor().copy(
                    f"COPY salvo_incoming ({names}, ord) FROM STDIN{options}") as copy:
                fill(copy)
            # One row per event_id: the first in input order among the earliest dates.
            con.execute(
                f"CREATE TEMP TABLE salvo_stage ON COMMIT DROP AS SELECT DISTINCT ON "
                f"(event_id) {names}, {hash_sql()} AS row_hash FROM salvo_incoming "
                "ORDER BY event_id, event_date, ord"
            )
            inserted, updated, unchanged = con.execute(
                "SELECT count(*) FILTER (WHERE e.event_id IS NULL), "
                "count(*) FILTER (WHERE e.row_hash <> s.row_hash AND NOT e.curated), "
                "count(*) FILTER (WHERE e.row_hash = s.row_hash OR e.curated) "
                "FROM salvo_stage s LEFT JOIN events e USING (event_id)"
            ).fetchone()
            if inserted or updated:  # a no-op re-import leaves version() alone
                derived = derived_sql(POSTGRES_ARRAYS)
                refreshed = [*COLUMNS[1:], *_DERIVED, "row_hash", "imported_at"]
                con.execute(
                    f"INSERT INTO events ({names}, {', '.join(_DERIVED)}, row_hash, status, "
                    f"imported_at) SELECT {names}, {derived}, row_hash, 'active', "
                    "localtimestamp FROM salvo_stage ORDER BY event_id "
                    "ON CONFLICT (event_id) DO UPDATE SET "
                    + ", ".join(f"{c} = EXCLUDED.{c}" for c in refreshed)
                    # Curation survives a re-import: status is never overwritten here.
                    # An editor's correction outranks the source file's next re-import.
                    + " WHERE events.row_hash <> EXCLUDED.row_hash AND NOT events.curated"
                )
        return UpsertResult(int(inserted), int(updated), int(unchanged))
