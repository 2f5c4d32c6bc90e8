"""The PostgreSQL + PostGIS store: the DuckDB store's contract, plus what a server adds
(migrations on a shared database, connections across threads, a data version for caches).

The first tests need no server; the rest are marked ``postgis`` (tests/pg.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import date

import psycopg
import pytest

from geo.filters import Filters
from geo.store import StoreError, open_store
from geo.store.base import BBox
from geo.store.migrations import MIGRATIONS
from geo.store.postgis import PostGISStore, connect_url, redact, to_psycopg
from tests.conftest import ROOT, make_events
from tests.pg import _free_port


# ---- no server needed ----------------------------------------------------------------------
def test_placeholders_become_psycopg_and_percent_is_literal():
    assert to_psycopg("a = ? AND b IN (?, ?)") == "a = %s AND b IN (%s, %s)"
    # `?` inside literals and identifiers is text; `%` anywhere must be doubled for psycopg.
    assert to_psycopg("x = '?' AND \"we?ird\" = ? AND y LIKE '5%'") == (
        "x = '?' AND \"we?ird\" = %s AND y LIKE '5%%'")
    assert to_psycopg("d ILIKE ? ESCAPE '\\' OR e = ?") == "d ILIKE %s ESCAPE '\\' OR e = %s"
    assert to_psycopg("s = 'it''s ?' AND t = ?") == "s = 'it''s ?' AND t = %s"
    with pytest.raises(ValueError, match="unterminated"):
        to_psycopg("x = 'open ?")


def test_urls_are_normalised_and_passwords_never_shown():
    assert connect_url("postgresql+psycopg://u@h/db") == "postgresql://u@h/db"
    assert connect_url("postgres://u@h/db") == "postgresql://u@h/db"
    assert redact("postgresql://alice:s3cret@db.example:6543/salvo") == (
        "postgresql://alice@db.example:6543/salvo")
    assert redact("postgresql://db.example/salvo?user=bob&password=s3cret") == (
        "postgresql://bob@db.example/salvo")
    store = PostGISStore.__new__(PostGISStore)  # no server: only the URL matters here
    store.url = "postgresql://alice:s3cret@db.example/salvo"
    assert "s3cret" not in repr(store)


def test_unreachable_server_is_a_store_error_without_the_password():
    url = f"postgresql://alice:s3cret@127.0.0.1:{_free_port()}/salvo"
    with pytest.raises(StoreError, match="cannot connect") as info:
        open_store(url)
    assert "s3cret" not in str(info.value)


# ---- with a server -------------------------------------------------------------------------
postgis = pytest.mark.postgis


@postgis
def test_open_store_selects_postgis_and_migrates_once(pg_url):
    store = open_store(pg_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        assert isinstance(store, PostGISStore)
        with psycopg.connect(pg_url) as con:
            rows = con.execute("SELECT version, name FROM schema_migrations "
                               "ORDER BY version").fetchall()
            assert rows == [(m.version, m.name) for m in MIGRATIONS]
            indexes = {r[0]: r[1] for r in con.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'events'")}
        assert "USING gist (geom)" in indexes["events_geom_idx"]
        assert "USING gin (origins)" in indexes["events_origins_idx"]
        assert "(event_date)" in indexes["events_date_idx"]
    finally:
        store.close()
    again = PostGISStore(pg_url)  # reopening applies nothing twice
    again.close()
    with psycopg.connect(pg_url) as con:
        assert con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(
            MIGRATIONS)


@postgis
def test_app_instances_starting_together_migrate_once(pg_url):
    errors: list[Exception] = []

    def start() -> None:
        try:
            PostGISStore(pg_url).close()
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with psycopg.connect(pg_url) as con:
        assert con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(
            MIGRATIONS)


@postgis
def test_upsert_is_idempotent_and_counts_changes(pg_store, sample_events):
    first = pg_store.upsert(sample_events)
    assert (first.inserted, first.updated, first.unchanged) == (6, 0, 0)
    again = pg_store.upsert(sample_events)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 6)
    changed = sample_events.copy()
    changed.loc[0, "description"] = "corrected"
    third = pg_store.upsert(changed)
    assert (third.inserted, third.updated, third.unchanged) == (0, 1, 5)
    assert pg_store.count(Filters()) == 6
    assert pg_store.get("t0000")["description"] == "corrected"


@postgis
def test_duplicate_ids_in_one_import_keep_the_first(pg_store):
    frame = make_events([{"event_id": "dup", "description": "first"},
                         {"event_id": "dup", "description": "second"},
                         {"event_id": "other"}])
    result = pg_store.upsert(frame)
    assert (result.inserted, result.total) == (2, 2)
    assert pg_store.get("dup")["description"] == "first"


@postgis
def test_awkward_text_round_trips_exactly(pg_store):
    text = "tab\there\nnew line \\N back\\slash 'quote' \"dq\" 100% _x_ ? Київ ☢ \u00a0"
    frame = make_events([{"event_id": "odd", "description": text, "location": "Запоріжжя",
                          "latitude": 47.123456789012345, "longitude": 35.1,
                          "geo_precision": "exact"}])
    pg_store.upsert(frame)
    row = pg_store.get("odd")
    assert row["description"] == text.strip()
    assert row["location"] == "Запоріжжя"
    assert row["latitude"] == 47.123456789012345
    assert pg_store.count(Filters(q="100%")) == 1
    assert pg_store.count(Filters(q="київ")) == 1  # ILIKE folds Cyrillic case
    assert pg_store.upsert(frame).unchanged == 1  # the stored hash matches the same input


@postgis
def test_filters_match_multi_valued_origins(pg_store, sample_events):
    pg_store.upsert(sample_events)
    assert pg_store.count(Filters(origins=("PRK",))) == 4
    assert pg_store.count(Filters(origins=("RUS",))) == 1
    assert pg_store.count(Filters(origins=("unknown",))) == 1
    assert pg_store.count(Filters(origins=("IRN", "unknown"))) == 2
    assert pg_store.count(Filters(oblasts=("UA-32",))) == 1
    assert pg_store.count(Filters(types=("attack",))) == 2
    assert pg_store.count(Filters(models=("KN-23",))) == 4
    assert pg_store.count(Filters(date_from=date(2024, 1, 2), date_to=date(2024, 1, 2))) == 2
    assert pg_store.count(Filters(q="block")) == 1
    assert pg_store.count(Filters(q="100%_")) == 0


@postgis
def test_map_kind_never_plots_coarse_locations(pg_store, sample_events):
    pg_store.upsert(sample_events)
    assert pg_store.count_by_kind(Filters()) == {"point": 2, "area": 2, "none": 2}
    points = pg_store.points(Filters(), 100)
    assert set(points["geo_precision"]) <= {"exact", "settlement", "district"}
    areas = pg_store.area_counts(Filters())
    assert dict(zip(areas["iso"], areas["n"], strict=True)) == {"UA-23": 1, "UA-30": 1,
                                                                 "UA-32": 1}
    with psycopg.connect(pg_store.url) as con:  # the database derives the geometry
        wkt = con.execute("SELECT ST_AsText(geom) FROM events WHERE event_id = 't0003'"
                          ).fetchone()[0]
    assert wkt == "POINT(30.74 46.48)"


@postgis
def test_grid_and_box_count_every_point_exactly_once(pg_store):
    rows = [{"latitude": 46 + (i % 50) * 0.1, "longitude": 24 + (i % 70) * 0.2,
             "geo_precision": "exact", "weapon_origin": ["RUS", "IRN", "PRK"][i % 3]}
            for i in range(3000)]
    pg_store.upsert(make_events(rows))
    for zoom in (4, 6, 8, 11):
        grid = pg_store.grid(Filters(), zoom)
        assert int(grid["n"].sum()) == 3000
        assert not grid.duplicated(["gy", "gx", "origin_group"]).any()
    box = BBox(47, 25, 49, 30)
    assert int(pg_store.grid(Filters(), 8, box)["n"].sum()) == pg_store.count_points(
        Filters(), box)


@postgis
def test_box_edges_are_exact_despite_the_float4_index(pg_store):
    # The GiST index compares float4 boxes; points a hair outside must still be excluded.
    eps = 1e-9
    rows = [{"event_id": name, "latitude": lat, "longitude": lon, "geo_precision": "exact"}
            for name, lat, lon in (("on-edge", 47.0, 25.0), ("inside", 48.0, 27.0),
                                   ("south", 47.0 - eps, 27.0), ("east", 48.0, 30.0 + eps),
                                   ("north", 49.0 + 1e-7, 27.0))]
    pg_store.upsert(make_events(rows))
    box = BBox(47.0, 25.0, 49.0, 30.0)
    assert set(pg_store.points(Filters(), 10, box)["event_id"]) == {"on-edge", "inside"}
    assert pg_store.count_points(Filters(), box) == 2


@postgis
def test_timeline_aggregates_by_period_and_origin(pg_store, sample_events):
    pg_store.upsert(sample_events)
    monthly = pg_store.timeline(Filters(), "month")
    assert int(monthly["events"].sum()) == 6
    jan = monthly[monthly["period"].astype(str).str.startswith("2024-01")]
    assert dict(zip(jan["origin_group"], jan["events"], strict=True)) == {"PRK": 2}
    weekly = pg_store.timeline(Filters(), "week")
    assert set(weekly["period"].dt.day_of_week) == {0}  # ISO weeks start on Monday


@postgis
def test_retracted_events_disappear_and_survive_reimport(pg_store, sample_events):
    pg_store.upsert(sample_events)
    with psycopg.connect(pg_store.url) as con:
        con.execute("UPDATE events SET status = 'retracted' WHERE event_id = 't0003'")
    assert pg_store.count(Filters()) == 5
    changed = sample_events.copy()
    changed.loc[3, "description"] = "new text"
    assert pg_store.upsert(changed).updated == 1
    assert pg_store.count(Filters()) == 5
    assert pg_store.get("t0003")["status"] == "retracted"
    assert pg_store.get("t0003")["description"] == "new text"


@postgis
def test_version_changes_with_every_write_and_only_then(pg_store, sample_events):
    v0 = pg_store.version()
    pg_store.upsert(sample_events)
    v1 = pg_store.version()
    assert v1 != v0
    pg_store.upsert(sample_events)  # nothing changed: caches stay valid
    assert pg_store.version() == v1
    changed = sample_events.copy()
    changed.loc[1, "launched"] = 5
    pg_store.upsert(changed)
    v2 = pg_store.version()
    assert v2 != v1
    with psycopg.connect(pg_store.url) as con:  # curation or a manual fix, outside the app
        con.execute("UPDATE events SET status = 'retracted' WHERE event_id = 't0001'")
    assert pg_store.version() != v2


@postgis
def test_threads_share_a_store_without_sharing_connections(pg_store, sample_events):
    pg_store.upsert(sample_events)
    results: list[int] = []
    errors: list[Exception] = []

    def work() -> None:
        try:
            for _ in range(25):
                results.append(pg_store.count(Filters(origins=("PRK",))))
                pg_store.timeline(Filters(), "week")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results == [4] * 200
    assert len(pg_store._pool._idle) <= pg_store._pool.size


@postgis
def test_a_dropped_connection_is_replaced(pg_store, sample_events):
    pg_store.upsert(sample_events)
    with psycopg.connect(pg_store.url, autocommit=True) as con:  # e.g. a server restart
        con.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'salvo' AND pid <> pg_backend_pid()")
    assert pg_store.count(Filters()) == 6
    assert pg_store.upsert(sample_events).unchanged == 6


@postgis
def test_cli_imports_and_exports_through_postgis(pg_url, tmp_path):
    bundled = ROOT / "data" / "events.csv"
    run = [sys.executable, "-m", "geo"]
    out = subprocess.run([*run, "import", str(bundled), "--store", pg_url, "--json"],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["store"]["inserted"] > 0
    target = tmp_path / "out.csv"
    out = subprocess.run([*run, "export", "--format", "csv", "--out", str(target),
                          "--store", pg_url, "--origin", "PRK"],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    store = PostGISStore(pg_url)
    try:
        assert len(target.read_text().splitlines()) == store.count(Filters(origins=("PRK",))) + 1
    finally:
        store.close()


@postgis
def test_least_privilege_roles(pg_cluster, pg_url, sample_events):
    """An owner role (no superuser) migrates once PostGIS exists; a SELECT-only role reads."""
    import uuid

    tag = uuid.uuid4().hex[:6]
    owner, importer, reader = (f"salvo_{r}_{tag}" for r in ("owner", "importer", "reader"))
    db = pg_url.rsplit("/", 1)[1]
    bare = pg_cluster.url(f"salvo_bare_{uuid.uuid4().hex[:6]}")
    with psycopg.connect(pg_cluster.admin_url, autocommit=True) as con:
        con.execute(f"CREATE ROLE {owner} LOGIN")
        con.execute(f"CREATE ROLE {importer} LOGIN")
        con.execute(f"CREATE ROLE {reader} LOGIN")
        con.execute(f"ALTER DATABASE {db} OWNER TO {owner}")
        con.execute(f"CREATE DATABASE {bare.rsplit('/', 1)[1]} OWNER {owner} "
                    "TEMPLATE template0")  # no PostGIS in this one
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute(f"GRANT CREATE ON SCHEMA public TO {owner}")

    def as_role(url: str, role: str) -> str:
        return url.replace("postgres@", f"{role}@", 1)

    try:
        store = PostGISStore(as_role(pg_url, owner))
        store.upsert(sample_events)
        store.close()
        with psycopg.connect(as_role(pg_url, owner), autocommit=True) as con:
            con.execute(f"GRANT SELECT ON events, store_meta, schema_migrations TO {reader}")
            con.execute(f"GRANT SELECT, INSERT, UPDATE ON events TO {importer}")
            con.execute(f"GRANT SELECT, UPDATE ON store_meta TO {importer}")
            con.execute(f"GRANT SELECT ON schema_migrations TO {importer}")
        imports = PostGISStore(as_role(pg_url, importer))  # the documented grants suffice
        try:
            big = make_events([{"event_id": f"imp-{i}"} for i in range(1200)])  # + ANALYZE
            assert imports.upsert(big).inserted == 1200
            changed = sample_events.copy()
            changed.loc[0, "description"] = "edited by the importer"
            assert imports.upsert(changed).updated == 1
        finally:
            imports.close()
        readonly = PostGISStore(as_role(pg_url, reader))
        try:
            assert readonly.count(Filters()) == 1206
            assert readonly.version()
            with pytest.raises(StoreError, match="permission denied"):
                readonly.upsert(make_events([{"event_id": "new"}]))
        finally:
            readonly.close()
        with pytest.raises(StoreError, match="CREATE EXTENSION postgis"):
            PostGISStore(as_role(bare, owner))
    finally:
        with psycopg.connect(pg_cluster.admin_url, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {bare.rsplit('/', 1)[1]} WITH (FORCE)")
            con.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
            for role in (owner, importer, reader):
                con.execute(f"DROP ROLE {role}")


CERTAINTY_FILTERS = [
    Filters(origins=("PRK",), certainty=c) for c in ("stated", "likely", "possible")
] + [
    Filters(origins=("unknown",), certainty=c) for c in ("stated", "likely", "possible")
] + [
    Filters(suppliers=("PRK", "RUS"), certainty=c) for c in ("stated", "likely", "possible")
] + [
    Filters(classes=("drones",), certainty=c) for c in ("stated", "likely", "possible")
] + [
    Filters(classes=("missiles", "loitering munition"), certainty="likely"),
    Filters(suppliers=("unknown",), certainty="likely"),
    Filters(origins=("IRN",), suppliers=("RUS",), classes=("drones",), certainty="stated"),
]


@postgis
def test_certainty_filters_match_duckdb(pg_store, store, attributed_events):
    pg_store.upsert(attributed_events)
    store.upsert(attributed_events)
    for f in CERTAINTY_FILTERS:
        assert list(pg_store.events(f)["event_id"]) == list(store.events(f)["event_id"]), f
    assert sorted(pg_store.events(CERTAINTY_FILTERS[1])["event_id"]) == ["a0", "a2"]
    assert sorted(pg_store.events(CERTAINTY_FILTERS[10])["event_id"]) == ["a3", "a4"]
    assert pg_store.facets() == store.facets()
    assert pg_store.get("a3") == {**store.get("a3")}
    assert pg_store.upsert(attributed_events).unchanged == len(attributed_events)


@postgis
def test_a_store_from_before_the_attribution_columns_migrates_in_place(pg_url):
    from geo.store.postgis import _SESSION

    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute(_SESSION)
        con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT "
                    "NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
        for migration in MIGRATIONS[:2]:
            for statement in migration.postgres:
                con.execute(statement)
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                        [migration.version, migration.name])
        con.execute(
            "INSERT INTO events (event_id, event_date, time_precision, event_type, "
            "geo_precision, weapon_origin, origin_basis, verification, origins, classes, "
            "models, admin1s, origin_group, map_kind, row_hash) VALUES ('m1', '2024-01-02', "
            "'day', 'impact', 'unknown', 'PRK', 'reported', 'reported', '{PRK}', '{}', '{}', "
            "'{}', 'PRK', 'none', 'from the previous release')")
    store = PostGISStore(pg_url)
    try:
        assert store.get("m1")["weapon_supplier"] == ""
        assert store.count(Filters(origins=("PRK",), certainty="stated")) == 1
        again = make_events([{"event_id": "m1", "weapon_origin": "PRK"}])
        assert store.upsert(again).unchanged == 1  # the hash was recomputed in place
    finally:
        store.close()
