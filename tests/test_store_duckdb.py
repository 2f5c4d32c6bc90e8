import subprocess
import sys
import textwrap
from datetime import date

from geo.filters import Filters
from geo.store.base import BBox
from tests.conftest import ROOT, make_events


def test_upsert_is_idempotent_and_counts_changes(store, sample_events):
    first = store.upsert(sample_events)
    assert (first.inserted, first.updated, first.unchanged) == (6, 0, 0)
    again = store.upsert(sample_events)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 6)
    changed = sample_events.copy()
    changed.loc[0, "description"] = "corrected"
    third = store.upsert(changed)
    assert (third.inserted, third.updated, third.unchanged) == (0, 1, 5)
    assert store.count(Filters()) == 6
    assert store.get("t0000")["description"] == "corrected"


def test_filters_match_multi_valued_origins(store, sample_events):
    store.upsert(sample_events)
    assert store.count(Filters(origins=("PRK",))) == 4  # three PRK + the ambiguous RUS;PRK
    assert store.count(Filters(origins=("RUS",))) == 1
    assert store.count(Filters(origins=("unknown",))) == 1
    assert store.count(Filters(origins=("IRN", "unknown"))) == 2
    assert store.count(Filters(oblasts=("UA-32",))) == 1
    assert store.count(Filters(types=("attack",))) == 2
    assert store.count(Filters(models=("KN-23",))) == 4
    assert store.count(Filters(date_from=date(2024, 1, 2), date_to=date(2024, 1, 2))) == 2
    assert store.count(Filters(q="block")) == 1
    assert store.count(Filters(q="100%_")) == 0  # LIKE wildcards are literal


def test_map_kind_never_plots_coarse_locations(store, sample_events):
    store.upsert(sample_events)
    assert store.count_by_kind(Filters()) == {"point": 2, "area": 2, "none": 2}
    points = store.points(Filters(), 100)
    assert set(points["geo_precision"]) <= {"exact", "settlement", "district"}
    areas = store.area_counts(Filters())
    assert dict(zip(areas["iso"], areas["n"], strict=True)) == {"UA-23": 1, "UA-30": 1,
                                                                 "UA-32": 1}


def test_grid_counts_every_point_event_exactly_once(store):
    rows = [{"latitude": 46 + (i % 50) * 0.1, "longitude": 24 + (i % 70) * 0.2,
             "geo_precision": "exact", "weapon_origin": ["RUS", "IRN", "PRK"][i % 3]}
            for i in range(3000)]
    store.upsert(make_events(rows))
    for zoom in (4, 6, 8, 11):
        grid = store.grid(Filters(), zoom)
        assert int(grid["n"].sum()) == 3000
        assert not grid.duplicated(["gy", "gx", "origin_group"]).any()
    box = BBox(47, 25, 49, 30)
    assert int(store.grid(Filters(), 8, box)["n"].sum()) == store.count_points(Filters(), box)


def test_timeline_aggregates_by_period_and_origin(store, sample_events):
    store.upsert(sample_events)
    weekly = store.timeline(Filters(), "month")
    assert int(weekly["events"].sum()) == 6
    jan = weekly[weekly["period"].astype(str).str.startswith("2024-01")]
    assert dict(zip(jan["origin_group"], jan["events"], strict=True)) == {"PRK": 2}


def test_retracted_events_disappear_from_reads(store, sample_events):
    store.upsert(sample_events)
    with store._writer() as con:
        con.execute("UPDATE events SET status = 'retracted' WHERE event_id = 't0003'")
    assert store.count(Filters()) == 5
    # A re-import of the same file keeps the curation decision.
    changed = sample_events.copy()
    changed.loc[3, "description"] = "new text"
    store.upsert(changed)
    assert store.count(Filters()) == 5
    assert store.get("t0003")["status"] == "retracted"


def test_dashboard_snapshot_sees_writes_from_another_process(tmp_path, sample_events):
    """Regression: DuckDB's one-writer lock must not block the CLI while the app is open."""
    from geo.store.duckdb import DuckDBStore

    path = tmp_path / "shared.duckdb"
    app_store = DuckDBStore(path)  # the dashboard's store: reads from a snapshot
    app_store.upsert(sample_events.iloc[:2])
    assert app_store.count(Filters()) == 2  # snapshot loaded, file not held open
    script = textwrap.dedent(f"""
        import sys; sys.path.insert(0, {str(ROOT)!r})
        from tests.conftest import make_events
        from geo.store.duckdb import DuckDBStore
        s = DuckDBStore({str(path)!r}, snapshot=False)
        print(s.upsert(make_events([{{"event_id": "cli-1"}}, {{"event_id": "cli-2"}}])))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert app_store.count(Filters()) == 4  # next rerun shows the new events
    app_store.close()


def test_public_instance_settings_hide_recent_events_and_round_coordinates(tmp_path,
                                                                           monkeypatch):
    from datetime import timedelta

    from geo.store import open_store

    monkeypatch.setenv("SALVO_PUBLICATION_DELAY_HOURS", "48")
    monkeypatch.setenv("SALVO_COORDINATE_DECIMALS", "1")
    store = open_store(str(tmp_path / "public.duckdb"))
    today = date.today()
    store.upsert(make_events([
        {"event_id": "old", "event_date": (today - timedelta(days=10)).isoformat(),
         "latitude": 50.45466, "longitude": 30.5238, "geo_precision": "exact"},
        {"event_id": "new", "event_date": today.isoformat(), "latitude": 49.98,
         "longitude": 36.25, "geo_precision": "exact"},
    ]))
    assert store.count(Filters()) == 1
    assert store.get("new") is None
    assert store.get("old")["latitude"] == 50.5
    assert list(store.points(Filters(), 10)["longitude"]) == [30.5]
    assert list(store.events(Filters())["event_id"]) == ["old"]


def _ids(store, **kwargs) -> list[str]:
    return sorted(store.events(Filters(**kwargs))["event_id"])


def test_certainty_filters_origin_supplier_and_class(store, attributed_events):
    store.upsert(attributed_events)
    # An ambiguous RUS;PRK is not a stated PRK; a 0.6 candidate is likely; 0.3 is possible.
    assert _ids(store, origins=("PRK",), certainty="stated") == ["a0"]
    assert _ids(store, origins=("PRK",), certainty="likely") == ["a0", "a2"]
    assert _ids(store, origins=("PRK",)) == ["a0", "a1", "a2", "a3"]  # possible, the default
    assert _ids(store, origins=("IRN",), certainty="stated") == ["a4"]  # not the inferred a5
    assert _ids(store, origins=("IRN",)) == ["a4", "a5"]
    # "unknown" = no origin at that certainty.
    assert _ids(store, origins=("unknown",), certainty="stated") == ["a1", "a2", "a3", "a5", "a6"]
    assert _ids(store, origins=("unknown",), certainty="likely") == ["a1", "a5", "a6"]
    assert _ids(store, origins=("unknown",)) == ["a6"]
    # Supplier, beside origin: Shahed-136 designed in Iran, supplied from Russia (a4).
    assert _ids(store, suppliers=("RUS",), certainty="stated") == ["a4"]
    assert _ids(store, suppliers=("PRK",), certainty="likely") == ["a0", "a2"]
    assert _ids(store, suppliers=("IRN",)) == []


def test_class_family_selects_its_members_at_each_certainty(store, attributed_events):
    store.upsert(attributed_events)
    # class=drones selects the Shaheds (loitering munition) without naming the class.
    assert _ids(store, classes=("drones",), certainty="stated") == ["a4"]
    # a3's drone classes share 0.3 + 0.3: the family is likely, neither class alone is.
    assert _ids(store, classes=("drones",), certainty="likely") == ["a3", "a4"]
    assert _ids(store, classes=("loitering munition",), certainty="likely") == ["a4"]
    assert _ids(store, classes=("drones",)) == ["a3", "a4", "a5"]
    assert _ids(store, classes=("missiles",), certainty="stated") == ["a0", "a1"]
    assert _ids(store, classes=("missiles",), certainty="likely") == ["a0", "a1", "a2"]
    assert _ids(store, classes=("cruise missile",)) == ["a2", "a3"]


def test_attribution_columns_round_trip_and_facet_suppliers(store, attributed_events):
    store.upsert(attributed_events)
    row = store.get("a3")
    assert row["class_candidates"] == (
        "cruise missile:0.40;attack drone:0.30;loitering munition:0.30")
    assert row["origin_candidates"] == "RUS:0.70;PRK:0.30"
    assert row["attribution"].startswith("text: 'удар'")
    assert store.facets().suppliers == {"PRK": 1, "RUS": 1}
    assert store.upsert(attributed_events).unchanged == len(attributed_events)


def test_a_store_from_before_the_attribution_columns_migrates_in_place(tmp_path,
                                                                       sample_events):
    import duckdb

    from geo.schema import LEGACY_COLUMNS
    from geo.store.duckdb import DuckDBStore, staging_frame
    from geo.store.migrations import MIGRATIONS

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (version INTEGER, name VARCHAR, "
                "applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)")
    for migration in MIGRATIONS[:2]:
        for statement in migration.duckdb:
            con.execute(statement)
        con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                    [migration.version, migration.name])
    # Rows as the previous release wrote them: its derived columns and 27-column hash.
    old = staging_frame(sample_events)[list(LEGACY_COLUMNS)]
    con.register("old", old)
    parts = ", ".join(f"coalesce(CAST({c} AS VARCHAR), '')" for c in LEGACY_COLUMNS)
    con.execute(
        f"INSERT INTO events ({', '.join(LEGACY_COLUMNS)}, origins, classes, models, admin1s, "
        "origin_group, map_kind, row_hash) SELECT *, string_split(weapon_origin, ';'), "
        "string_split(weapon_class, ';'), string_split(weapon_model, ';'), "
        "string_split(admin1, ';'), 'x', 'none', "
        f"md5(concat_ws(chr(31), {parts})) FROM old")
    con.close()

    store = DuckDBStore(path)
    try:
        assert store.get("t0000")["weapon_supplier"] == ""
        assert store.count(Filters(origins=("PRK",), certainty="stated")) == 3
        # The recomputed hash: re-importing the same events changes nothing.
        assert store.upsert(sample_events).unchanged == len(sample_events)
    finally:
        store.close()
