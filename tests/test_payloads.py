"""Issue 5: what a rerun sends stays bounded at any N, and aggregated views count every
filtered event exactly once.

Sizes are measured as the app produces them: the map through streamlit-folium's own
``st_folium`` (component call recorded, not sent; :mod:`bench.payload`), the timeline as the
Vega-Lite spec (``Chart.to_json()``). Timings are in ``python -m bench.run``, not here.
"""

from __future__ import annotations

import html
import json
import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import pandas as pd
import pytest

from bench.payload import chart_payload, map_payload
from bench.synth import synth_events
from geo.escape import for_map
from geo.filters import Filters
from geo.mapplan import aggregate_cells, plan_map
from geo.maps import POINT_TABLES, _Table, base_map, layers, point_record
from geo.store.base import BBox
from geo.store.duckdb import DuckDBStore
from geo.timeline import build_chart

MAP_BOUND = 1_000_000       # bytes per rerun, whatever N (issue 5 target)
TIMELINE_BOUND = 300_000    # bytes of the weekly timeline spec
GROWTH = 1.3                # aggregated payload at 200k vs 20k
MAX_POINTS = 2000           # SALVO_MAX_POINTS default

KYIV = BBox(50.3, 30.3, 50.6, 30.8)
EAST = BBox(47.5, 35.0, 50.5, 39.5)
NOWHERE = BBox(10.0, 10.0, 11.0, 11.0)
FILTERS = [
    Filters(),
    Filters(date_from=date(2025, 1, 1), date_to=date(2025, 12, 31), origins=("IRN", "PRK")),
    Filters(origins=("unknown", "RUS")),
    Filters(origins=("PRK",)),  # RUS;PRK events match too
    Filters(oblasts=("UA-63", "UA-14")),
    Filters(types=("attack", "debris"), classes=("ballistic missile",)),
    Filters(models=("Shahed-136/131",), date_to=date(2023, 6, 30)),
    Filters(q="Kharkiv", date_from=date(2026, 1, 1)),  # text search scans: keep it narrow
]


def _store(tmp_path_factory, n: int, seed: int, snapshot: bool = True) -> DuckDBStore:
    path = tmp_path_factory.mktemp(f"payload{n}") / "events.duckdb"
    DuckDBStore(path, snapshot=False).upsert(synth_events(n, seed))
    return DuckDBStore(path, snapshot=snapshot)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    store = _store(tmp_path_factory, 200_000, 7)
    yield store
    store.close()


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    store = _store(tmp_path_factory, 20_000, 8)
    yield store
    store.close()


def national(store) -> tuple[int, dict, object]:
    plan = plan_map(store, Filters(), max_points=MAX_POINTS)
    size, parts = map_payload(base_map(), layers(plan))
    return size, parts, plan


def test_aggregated_map_payload_is_bounded_and_flat_in_n(big, small):
    size_big, parts_big, plan_big = national(big)
    size_small, _, plan_small = national(small)
    assert plan_big.mode == plan_small.mode == "grid"
    assert plan_big.total == 200_000
    assert size_big <= MAP_BOUND
    assert size_big <= GROWTH * size_small, (size_big, size_small)
    # The layers (everything but the fixed basemap) are a small share of it.
    assert parts_big["feature_group"] < 100_000, parts_big


@pytest.mark.parametrize("zoom,bbox", [(5, None), (8, EAST), (11, KYIV), (13, KYIV),
                                       (9, NOWHERE)])
def test_zoomed_views_stay_bounded(big, zoom, bbox):
    plan = plan_map(big, Filters(), max_points=MAX_POINTS, zoom=zoom, bbox=bbox)
    size, _ = map_payload(base_map(), layers(plan), zoom=zoom)
    assert size <= MAP_BOUND, (zoom, bbox, plan.mode, size)


def _about_max_points(store) -> Filters:
    """A date range whose point events are just under MAX_POINTS (the biggest points view)."""
    start = date(2025, 3, 1)
    best = Filters(date_from=start, date_to=start)
    for days in range(1, 120):
        f = Filters(date_from=start, date_to=start + timedelta(days=days))
        if store.count_points(f) > MAX_POINTS:
            break
        best = f
    return best


def test_points_view_at_max_points_is_bounded(big):
    f = _about_max_points(big)
    plan = plan_map(big, f, max_points=MAX_POINTS)
    assert plan.mode == "points" and plan.shown_points > 0.8 * MAX_POINTS
    size, parts = map_payload(base_map(), layers(plan))
    assert size <= MAP_BOUND, size
    assert parts["feature_group"] / plan.shown_points < 400  # bytes per symbol


def test_weekly_timeline_spec_is_bounded(big, small):
    sizes = []
    for store in (big, small):
        frame = store.timeline(Filters(), "week")
        sizes.append(chart_payload(build_chart(frame, "events", "week")))
    assert sizes[0] <= TIMELINE_BOUND, sizes
    assert sizes[0] <= 1.2 * sizes[1], sizes


@pytest.mark.parametrize("f", FILTERS, ids=range(len(FILTERS)))
def test_grid_counts_every_filtered_point_event_once(big, f):
    for zoom, bbox in ((5, None), (6, EAST), (8, None), (11, KYIV), (11, EAST), (9, NOWHERE)):
        grid = big.grid(f, zoom, bbox)
        expected = big.count_points(f, bbox)
        assert int(grid["n"].sum()) == expected, (zoom, bbox)
        assert not grid.duplicated(["gy", "gx", "origin_group"]).any()
        if not grid.empty:
            assert int(aggregate_cells(grid)["n"].sum()) == expected


@pytest.mark.parametrize("f", FILTERS, ids=range(len(FILTERS)))
def test_map_counts_match_the_separate_queries_and_the_total(big, f):
    kinds, areas = big.map_counts(f)
    assert kinds == big.count_by_kind(f)
    pd.testing.assert_frame_equal(areas, big.area_counts(f), check_dtype=False)
    assert sum(kinds.values()) == big.count(f)
    plan = plan_map(big, f, max_points=MAX_POINTS, zoom=8, bbox=EAST)
    assert plan.total == big.count(f)
    if plan.mode == "grid":
        in_view = big.count_points(f, _padded(EAST))
        assert int(plan.grid["n"].sum()) == in_view
        assert f"{in_view:,} events in view: aggregated" in " ".join(plan.notes)


@pytest.mark.parametrize("f", FILTERS, ids=range(len(FILTERS)))
def test_map_summary_counts_every_filtered_event_once(big, f):
    summary = big.map_summary(f)
    assert summary.kinds == big.count_by_kind(f)
    # The oblast totals come from the shading rows, the reference from unnest in SQL.
    pd.testing.assert_frame_equal(summary.areas, big.area_counts(f), check_dtype=False)
    assert int(summary.area_origins["n"].sum()) == int(summary.areas["n"].sum())
    assert set(summary.area_origins["iso"]) == set(summary.areas["iso"])


def _padded(b: BBox) -> BBox:
    dy, dx = (b.north - b.south) / 2, (b.east - b.west) / 2
    return BBox(b.south - dy, b.west - dx, b.north + dy, b.east + dx)


def test_snapshot_filters_match_the_file_read_directly(big):
    """The snapshot's overlap filter (semi-join on distinct cells) = list_has_any per row."""
    direct = DuckDBStore(big.path, snapshot=False)
    try:
        for f in FILTERS[1:-1]:
            assert big.count(f) == direct.count(f) > 0
    finally:
        direct.close()


def test_area_counts_count_an_event_in_every_oblast_it_names(big):
    """Documented: an oblast-level event naming two oblasts shades (and counts in) both, so
    the oblast totals add up to more than the number of oblast-level events."""
    f = Filters()
    areas = big.area_counts(f)
    cells = big._query("SELECT admin1 FROM events WHERE status = 'active' AND "
                       "map_kind = 'area'", [])["admin1"]
    assert big.count_by_kind(f)["area"] == len(cells)
    mentions = cells.str.split(";").explode().value_counts()
    assert (cells.str.contains(";")).any()
    assert int(areas["n"].sum()) == int(mentions.sum()) > len(cells)
    assert dict(zip(areas["iso"], areas["n"], strict=True)) == mentions.to_dict()


def test_point_records_hold_only_escaped_text():
    """The popup is assembled once, in static/salvo-map.js, from these pieces: each is the
    escaped text (for_map), so the browser shows the original and evaluates nothing."""
    from tests.fixtures.payloads import HOSTILE

    frame = synth_events(300, 3)
    frame["origin_group"] = frame["weapon_origin"].where(frame["weapon_origin"] != "", "unknown")
    for i, text in enumerate(HOSTILE):
        frame.loc[i, "location"] = text
        frame.loc[i + 30, "weapon_model"] = text[:80]
        frame.loc[i + 60, "sources"] = f"https://a.org/{text[:30]} javascript:x https://b.org/?q=1&b"
    tables = {name: _Table() for name in POINT_TABLES}
    for row in frame.to_dict("records"):
        record = point_record(row, tables)
        assert record[0] == for_map(str(row["event_date"])[:10])
        assert record[2] == for_map(row["weapon_model"] or "")
        assert record[4] == for_map(row["location"] or "")
        assert record[8] == for_map(row["event_id"])
        for url, host in record[7]:  # http(s) only; javascript: dropped
            assert url.startswith("https://")
            assert html.unescape(host) == urlsplit(html.unescape(url)).hostname
        texts = [record[0], record[2], record[4], record[8], *(u for pair in record[7]
                                                                for u in pair)]
        for text in texts:
            assert not re.search(r"[<>`${}\\]", text), text
    for table in tables.values():
        for value in table.values:
            if isinstance(value, str):
                assert not re.search(r"[<>`${}\\]", value), value


def test_map_script_keeps_data_as_escaped_json(big):
    f = _about_max_points(big)
    args_size, parts = map_payload(base_map(), layers(plan_map(big, f, max_points=MAX_POINTS)))
    assert args_size > 0 and parts["feature_group"] > 0
    fmap = base_map()
    for layer in layers(plan_map(big, f, max_points=MAX_POINTS)):
        layer.add_to(fmap)
    text = fmap.get_root().render()
    data = re.search(r"=SalvoMap\.points\([A-Za-z0-9_]+,(\{.*?\})\);", text)
    assert data is not None
    parsed = json.loads(data.group(1))
    assert parsed["points"] and "<" not in data.group(1)


def test_view_box_always_contains_the_view():
    from ui.mapview import _bbox

    bounds = {"_southWest": {"lat": 49.971, "lng": 36.201},
              "_northEast": {"lat": 50.019, "lng": 36.279}}
    for zoom in (6, 10, 13, 14):
        box = _bbox(bounds, zoom)
        assert box.south <= 49.971 and box.north >= 50.019
        assert box.west <= 36.201 and box.east >= 36.279
        assert box.north > box.south and box.east > box.west
    assert _bbox({"_southWest": {"lat": None, "lng": None},
                  "_northEast": {"lat": None, "lng": None}}, 6) is None


def test_fitted_first_view_is_not_planned_twice():
    """The fitted view's bounds (all of Ukraine) mean the whole-map plan the page already
    drew, not a new view to fetch and redraw."""
    from ui.mapview import _bbox, holds_ukraine

    fitted = {"_southWest": {"lat": 43.9, "lng": 19.8}, "_northEast": {"lat": 52.9, "lng": 42.6}}
    assert holds_ukraine(_bbox(fitted, 5.75))
    kharkiv = {"_southWest": {"lat": 49.0, "lng": 35.0}, "_northEast": {"lat": 51.0, "lng": 38.0}}
    assert not holds_ukraine(_bbox(kharkiv, 8))
