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
