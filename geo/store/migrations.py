"""Versioned schema migrations, one list per dialect, applied in order and recorded.

Never edit a migration that has shipped: add a new one. The store records each applied
version in ``schema_migrations`` inside the same transaction as the change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    duckdb: tuple[str, ...]
    postgres: tuple[str, ...]


_CANONICAL_COLUMNS = """
    event_id {text} NOT NULL,
    event_date DATE NOT NULL,
    time_start {text} NOT NULL DEFAULT '',
    time_end {text} NOT NULL DEFAULT '',
    time_precision {text} NOT NULL,
    event_type {text} NOT NULL,
    country {text} NOT NULL DEFAULT '',
    admin1 {text} NOT NULL DEFAULT '',
    location {text} NOT NULL DEFAULT '',
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    geo_precision {text} NOT NULL,
    weapon_model {text} NOT NULL DEFAULT '',
    weapon_class {text} NOT NULL DEFAULT '',
    weapon_origin {text} NOT NULL DEFAULT '',
    origin_basis {text} NOT NULL,
    launched INTEGER,
    destroyed INTEGER,
    hits INTEGER,
    fatalities INTEGER,
    injured INTEGER,
    actor {text} NOT NULL DEFAULT '',
    description {text} NOT NULL DEFAULT '',
    sources {text} NOT NULL DEFAULT '',
    source_dataset {text} NOT NULL DEFAULT '',
    source_id {text} NOT NULL DEFAULT '',
    verification {text} NOT NULL,
    origins {text}[] NOT NULL,
    classes {text}[] NOT NULL,
    models {text}[] NOT NULL,
    admin1s {text}[] NOT NULL,
    origin_group {text} NOT NULL,
    map_kind {text} NOT NULL,
    row_hash {text} NOT NULL,
    status {text} NOT NULL DEFAULT 'active',
    imported_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
"""

# PostgreSQL: keys and codes that the shared SQL sorts and groups by compare byte-wise
# ("C"), as in DuckDB, so results and exports come out in the same order on any server
# locale. Free text keeps the database collation: ILIKE there must fold Cyrillic case.
_PG_BYTE_ORDER = ("event_id", "event_type", "origins", "classes", "models", "admin1s",
                  "origin_group", "map_kind", "status")


def _pg_columns() -> str:
    text = _CANONICAL_COLUMNS.format(text="TEXT")
    for name in _PG_BYTE_ORDER:
        text = re.sub(rf"^(\s*{name} TEXT(\[\])?)", r'\1 COLLATE "C"', text, flags=re.M)
    return text


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "events table",
        duckdb=(
            # No PRIMARY KEY: DuckDB's ART index makes bulk upserts slow and memory-hungry;
            # uniqueness of event_id is kept by the upsert (delete-then-insert in one txn).
            "CREATE TABLE events (" + _CANONICAL_COLUMNS.format(text="VARCHAR") + ")",
        ),
        postgres=(
            # Needs a role allowed to create extensions; on managed services an admin runs
            # it once and this is then a no-op (docs/team-store.md).
            "CREATE EXTENSION IF NOT EXISTS postgis",
            "CREATE TABLE events (" + _pg_columns() + ", PRIMARY KEY (event_id))",
            # The point geometry is derived from the coordinates by the database itself,
            # so no writer can leave it out of step with latitude/longitude.
            "ALTER TABLE events ADD COLUMN geom geometry(Point, 4326) GENERATED ALWAYS AS "
            "(CASE WHEN latitude IS NOT NULL AND longitude IS NOT NULL THEN "
            "ST_SetSRID(ST_MakePoint(longitude, latitude), 4326) END) STORED",
            "CREATE INDEX events_geom_idx ON events USING GIST (geom)",
            "CREATE INDEX events_date_idx ON events (event_date)",
            "CREATE INDEX events_origins_idx ON events USING GIN (origins)",
            "CREATE INDEX events_classes_idx ON events USING GIN (classes)",
            "CREATE INDEX events_models_idx ON events USING GIN (models)",
            "CREATE INDEX events_admin1s_idx ON events USING GIN (admin1s)",
            "CREATE INDEX events_kind_idx ON events (map_kind, status)",
            # version(): one row whose counter every statement that writes events bumps
            # (imports, curation, a manual psql fix alike), so app caches never go stale.
            # store_id tells apart two databases whose counters happen to be equal.
            "CREATE TABLE store_meta (id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id), "
            "store_id TEXT NOT NULL DEFAULT gen_random_uuid()::text, "
            "version BIGINT NOT NULL DEFAULT 0, changed_at TIMESTAMPTZ NOT NULL DEFAULT now())",
            "INSERT INTO store_meta DEFAULT VALUES",
            "CREATE FUNCTION salvo_events_changed() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN UPDATE store_meta SET version = version + 1, changed_at = now(); "
            "RETURN NULL; END $$",
            "CREATE TRIGGER events_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            "ON events FOR EACH STATEMENT EXECUTE FUNCTION salvo_events_changed()",
        ),
    ),
)


MIGRATIONS = (
    *MIGRATIONS,
    Migration(
        2,
        "curation: audit log, duplicate links, curated flag",
        duckdb=(
            # A curated row is never overwritten by a re-import of its source file.
            "ALTER TABLE events ADD COLUMN curated BOOLEAN DEFAULT false",
            "CREATE SEQUENCE audit_log_id",
            "CREATE TABLE audit_log (id BIGINT DEFAULT nextval('audit_log_id'), "
            "event_id VARCHAR NOT NULL, changed_at VARCHAR NOT NULL, "
            "actor VARCHAR NOT NULL, action VARCHAR NOT NULL, reason VARCHAR NOT NULL, "
            "before_json VARCHAR, after_json VARCHAR)",
            "CREATE TABLE event_links (event_id VARCHAR NOT NULL, other_id VARCHAR NOT NULL, "
            "relation VARCHAR NOT NULL, actor VARCHAR NOT NULL, "
            "changed_at VARCHAR NOT NULL, "
            "reason VARCHAR NOT NULL)",
        ),
        postgres=(
            "ALTER TABLE events ADD COLUMN curated BOOLEAN NOT NULL DEFAULT false",
            "CREATE TABLE audit_log (id BIGSERIAL PRIMARY KEY, event_id TEXT NOT NULL, "
            "changed_at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, "
            "reason TEXT NOT NULL, before_json TEXT, after_json TEXT)",
            "CREATE INDEX audit_log_event_idx ON audit_log (event_id, id)",
            "CREATE TABLE event_links (event_id TEXT NOT NULL, other_id TEXT NOT NULL, "
            "relation TEXT NOT NULL, actor TEXT NOT NULL, changed_at TEXT NOT NULL, "
            "reason TEXT NOT NULL)",
            "CREATE INDEX event_links_idx ON event_links (event_id)",
            "CREATE INDEX event_links_other_idx ON event_links (other_id)",
        ),
    ),
)

# Migration 3 (issue 9): the five attribution columns and the arrays the certainty filters
# read (base.derived_sql). Existing rows get empty values, which is what derived_sql gives
# for empty attribution columns, and their row_hash is recomputed over the new column list
# (frozen here, as migrations never change) so an unchanged re-import stays "unchanged".
_V3_TEXT = ("weapon_supplier", "class_candidates", "origin_candidates", "supplier_candidates",
            "attribution")
_V3_ARRAYS = ("suppliers", "cand_classes", "cand_origins", "cand_suppliers", "likely_classes",
              "likely_origins", "likely_suppliers", "likely_families")
_V3_HASHED = (
    "event_id", "event_date", "time_start", "time_end", "time_precision", "event_type",
    "country", "admin1", "location", "latitude", "longitude", "geo_precision", "weapon_model",
    "weapon_class", "weapon_origin", "origin_basis", "launched", "destroyed", "hits",
    "fatalities", "injured", "actor", "description", "sources", "source_dataset", "source_id",
    "verification", *_V3_TEXT,
)


def _v3_hash(text: str) -> str:
    parts = ", ".join(f"coalesce(CAST({c} AS {text}), '')" for c in _V3_HASHED)
    return f"UPDATE events SET row_hash = md5(concat_ws(chr(31), {parts}))"


MIGRATIONS = (
    *MIGRATIONS,
    Migration(
        3,
        "attribution: supplier, candidates, evidence; certainty arrays",
        duckdb=(
            *(f"ALTER TABLE events ADD COLUMN {c} VARCHAR DEFAULT ''" for c in _V3_TEXT),
            *(f"ALTER TABLE events ADD COLUMN {c} VARCHAR[] DEFAULT []::VARCHAR[]"
              for c in _V3_ARRAYS),
            _v3_hash("VARCHAR"),
        ),
        postgres=(
            *(f"ALTER TABLE events ADD COLUMN {c} TEXT NOT NULL DEFAULT ''" for c in _V3_TEXT),
            *(f"ALTER TABLE events ADD COLUMN {c} TEXT[] COLLATE \"C\" NOT NULL DEFAULT '{{}}'"
              for c in _V3_ARRAYS),
            *(f"CREATE INDEX events_{c}_idx ON events USING GIN ({c})"
              for c in ("suppliers", "cand_classes", "cand_origins", "cand_suppliers")),
            _v3_hash("TEXT"),
        ),
    ),
)


MIGRATIONS = (
    *MIGRATIONS,
    Migration(
        4,
        "sync log and scheduler lock",
        duckdb=(
            "CREATE TABLE sync_runs (source VARCHAR NOT NULL, started_at VARCHAR NOT NULL, "
            "finished_at VARCHAR NOT NULL, url VARCHAR NOT NULL, outcome VARCHAR NOT NULL, "
            "message VARCHAR NOT NULL, bytes BIGINT NOT NULL, rows_read BIGINT NOT NULL, "
            "accepted BIGINT NOT NULL, rejected BIGINT NOT NULL, inserted BIGINT NOT NULL, "
            "updated BIGINT NOT NULL, unchanged BIGINT NOT NULL, etag VARCHAR NOT NULL, "
            "last_modified VARCHAR NOT NULL)",
            # One row per lock; times are ISO UTC strings ('' = free), compared as text.
            "CREATE TABLE sync_lock (name VARCHAR NOT NULL, holder VARCHAR NOT NULL, "
            "until VARCHAR NOT NULL)",
            "INSERT INTO sync_lock VALUES ('sync', '', '')",
        ),
        postgres=(
            "CREATE TABLE sync_runs (id BIGSERIAL PRIMARY KEY, source TEXT NOT NULL, "
            "started_at TEXT NOT NULL, finished_at TEXT NOT NULL, url TEXT NOT NULL, "
            "outcome TEXT NOT NULL, message TEXT NOT NULL, bytes BIGINT NOT NULL, "
            "rows_read BIGINT NOT NULL, accepted BIGINT NOT NULL, rejected BIGINT NOT NULL, "
            "inserted BIGINT NOT NULL, updated BIGINT NOT NULL, unchanged BIGINT NOT NULL, "
            "etag TEXT NOT NULL, last_modified TEXT NOT NULL)",
            "CREATE INDEX sync_runs_source_idx ON sync_runs (source, finished_at)",
            "CREATE TABLE sync_lock (name TEXT PRIMARY KEY, holder TEXT NOT NULL, "
            "until TEXT NOT NULL)",
            "INSERT INTO sync_lock VALUES ('sync', '', '')",
        ),
    ),
)


MIGRATIONS = (
    *MIGRATIONS,
    Migration(
        5,
        "trigram indexes for the text search",
        # DuckDB scans its in-memory snapshot (no trigram index there); the version is kept
        # so both dialects share one numbering.
        duckdb=(),
        postgres=(
            # `q` is `ILIKE '%text%'` on these three columns (base.where): without them a
            # search scans every row (300–470 ms per query at 100k events, docs/loadtest.md).
            # pg_trgm ships with PostgreSQL (contrib) and is trusted: a database owner may
            # create it without being a superuser (PostgreSQL 13+).
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            "CREATE INDEX events_description_trgm_idx ON events "
            "USING GIN (description gin_trgm_ops)",
            "CREATE INDEX events_location_trgm_idx ON events USING GIN (location gin_trgm_ops)",
            "CREATE INDEX events_weapon_model_trgm_idx ON events "
            "USING GIN (weapon_model gin_trgm_ops)",
        ),
    ),
)


def pending(applied: set[int]) -> list[Migration]:
    """Migrations not yet applied, in order."""
    return [m for m in MIGRATIONS if m.version not in applied]
