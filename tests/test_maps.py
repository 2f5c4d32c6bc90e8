import re

import pytest

from geo.escape import for_map
from geo.filters import Filters
from geo.maps import base_map, events_at, layers, legend_items, plan_map
from tests.conftest import make_events
from tests.fixtures.payloads import EVALUATED, HOSTILE


def render(plan) -> str:
    fmap = base_map()
    for layer in layers(plan):
        layer.add_to(fmap)
    return fmap.get_root().render()


def test_map_uses_no_cdn_and_no_tiles(store, sample_events):
    store.upsert(sample_events)
    html = render(plan_map(store, Filters(), max_points=100))
    assert not re.search(r'(src|href)="https?://', html)
    assert "tileLayer" not in html and "openstreetmap" not in html
    assert "/app/static/vendor/leaflet.js" in html and "/app/static/vendor/leaflet.css" in html


def test_points_mode_draws_each_point_event(store, sample_events):
    store.upsert(sample_events)
    plan = plan_map(store, Filters(), max_points=100)
    assert plan.mode == "points" and plan.shown_points == 2
    html = render(plan)
    assert html.count('"type": "Point"') == 2 or html.count('"type":"Point"') == 2
    assert "L.circleMarker" in html or "L.CircleMarker" in html


def test_switches_to_grid_above_max_points_and_counts_all(store):
    rows = [{"latitude": 47 + (i % 40) * 0.1, "longitude": 25 + (i % 60) * 0.2,
             "geo_precision": "exact", "weapon_origin": "RUS"} for i in range(500)]
    store.upsert(make_events(rows))
    plan = plan_map(store, Filters(), max_points=100)
    assert plan.mode == "grid"
    assert int(plan.grid["n"].sum()) == 500
    assert "aggregated" in " ".join(plan.notes)
    assert "events here (aggregated)" in render(plan)


def test_zoomed_in_view_with_few_points_shows_points_again(store):
    rows = [{"latitude": 47 + (i % 40) * 0.1, "longitude": 25 + (i % 60) * 0.2,
             "geo_precision": "exact"} for i in range(500)]
    store.upsert(make_events(rows))
    from geo.store.base import BBox

    plan = plan_map(store, Filters(), max_points=100, zoom=12, bbox=BBox(47.0, 25.0, 47.05, 25.1))
    assert plan.mode == "points" and 0 < plan.shown_points <= 100


@pytest.mark.parametrize("payload", HOSTILE)
@pytest.mark.parametrize("field", ["description", "location", "weapon_model", "sources",
                                   "event_id"])
def test_hostile_text_is_never_evaluated_on_the_map(store, payload, field):
    row = {"latitude": 50.4, "longitude": 30.5, "geo_precision": "exact", "admin1": "UA-30",
           field: payload if field != "event_id" else payload[:100] or "x"}
    if field == "sources":
        row["sources"] = "https://a.org/" + payload.replace(" ", "")[:200]
    store.upsert(make_events([row, {**row, "geo_precision": "oblast", "latitude": None,
                                    "longitude": None, "event_id": "area-1"}]))
    html = render(plan_map(store, Filters(), max_points=100))
    for pattern in EVALUATED:
        assert not re.search(pattern, html), pattern
    # No raw markup or template syntax from the data survives (tojson writes < as \u003c).
    for raw in ("<img", "<script>alert", "{{ 7", "{{7", "{{{", "{%", "{#", "${globalThis",
                "\\u003cimg", "\\u003cscript\\u003ealert"):
        assert raw not in html, raw
    if field in ("location", "weapon_model") and len(payload) < 200 and payload.isascii():
        # Kept as text: its escaped form is in the page (tojson writes & as \u0026).
        assert for_map(payload).replace("&", "\\u0026") in html


def test_click_finds_all_events_at_a_settlement_centre(store):
    store.upsert(make_events([
        {"latitude": 50.45466, "longitude": 30.5238, "geo_precision": "settlement"},
        {"latitude": 50.45466, "longitude": 30.5238, "geo_precision": "settlement"},
        {"latitude": 49.98, "longitude": 36.25, "geo_precision": "exact"},
    ]))
    plan = plan_map(store, Filters(), max_points=10)
    assert sorted(events_at(plan.points, 50.45466, 30.5238)) == ["t0000", "t0001"]
    assert events_at(plan.points, 10.0, 10.0) == []


def test_legend_lists_origins_on_the_map(store, sample_events):
    store.upsert(sample_events)
    labels = [label for _, label in legend_items(plan_map(store, Filters(), max_points=100))]
    assert labels == ["Iran (IRN)", "North Korea (PRK)"]
