import ast
import json
import re
from pathlib import Path

import pytest

from geo.assets import publish
from geo.escape import for_map
from geo.filters import Filters
from geo.mapplan import (
    UKRAINE_BOUNDS,
    basemap_features,
    cells,
    city_labels,
    drawn_certainties,
    events_at,
    legend_items,
    oblast_labels,
    plan_map,
    shading,
)
from geo.maps import areas_json, base_map, basemap_url, grid_json, layers, points_json
from geo.origins import origin_colour
from tests.conftest import make_events
from tests.fixtures.payloads import EVALUATED, HOSTILE

ROOT = Path(__file__).resolve().parents[1]


def layer_data(html: str, kind: str):
    """The JSON handed to ``SalvoMap.<kind>(parent, …)`` in a rendered map."""
    match = re.search(rf"=SalvoMap\.{kind}\([A-Za-z0-9_]+,(.*?)\);(var |\n|$)", html)
    assert match is not None, f"no SalvoMap.{kind} call"
    data, _ = json.JSONDecoder().raw_decode(match.group(1))  # options may follow
    return data


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
    data = layer_data(html, "points")
    assert len(data["points"]) == 2
    assert "/app/static/salvo-map.js?v=" in html  # drawn by the static script


def test_switches_to_grid_above_max_points_and_counts_all(store):
    rows = [{"latitude": 47 + (i % 40) * 0.1, "longitude": 25 + (i % 60) * 0.2,
             "geo_precision": "exact", "weapon_origin": "RUS"} for i in range(500)]
    store.upsert(make_events(rows))
    plan = plan_map(store, Filters(), max_points=100)
    assert plan.mode == "grid"
    assert int(plan.grid["n"].sum()) == 500
    assert "aggregated" in " ".join(plan.notes)
    grid = layer_data(render(plan), "grid")
    assert sum(cell[4] for cell in grid["cells"]) == 500
    assert grid["here"] == "{n} events here (aggregated)"


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
    # Points (IRN, PRK) and shaded oblasts (PRK in UA-23, RUS;PRK in UA-30 and UA-32).
    assert labels == ["Iran (IRN)", "North Korea (PRK)", "Russia / North Korea (RUS/PRK)"]


def test_ambiguous_and_inferred_points_never_look_stated(store):
    store.upsert(make_events([
        {"latitude": 50.0, "longitude": 30.0, "geo_precision": "exact",
         "weapon_origin": "PRK", "origin_basis": "reported"},
        {"latitude": 50.1, "longitude": 30.1, "geo_precision": "exact",
         "weapon_origin": "RUS;PRK", "origin_basis": "ambiguous"},
        {"latitude": 50.2, "longitude": 30.2, "geo_precision": "exact",
         "weapon_origin": "PRK", "origin_basis": "inferred"},
    ]))
    plan = plan_map(store, Filters(), max_points=10)
    assert sorted(plan.points["certainty"]) == ["ambiguous", "possible", "stated"]
    assert drawn_certainties(plan) == ["stated", "ambiguous", "possible"]
    data = points_json(plan.points)
    styles = {data["certainty"][p[3][9]]: data["style"][p[2]] for p in data["points"]}
    stated, ambiguous = styles["stated"], styles["ambiguous"]
    possible = styles["possible, inferred"]
    assert (ambiguous["fillColor"], ambiguous["color"]) == (origin_colour("RUS"),
                                                            origin_colour("PRK"))
    assert stated["fillColor"] == possible["color"] == origin_colour("PRK")
    assert possible["dashArray"] and not stated["dashArray"]
    assert possible["fillOpacity"] < stated["fillOpacity"] / 3
    # The popup says it in words too.
    assert {data["certainty"][p[3][9]] for p in data["points"]} == {
        "stated", "ambiguous", "possible, inferred"}


def test_grid_circles_show_certainty_like_points(store):
    """Issue 12: aggregated circles kept only the origin, so at low zoom an inferred origin
    looked as solid as a stated one."""
    def at(lat, lon, k, **row):
        return [{"latitude": lat + 0.01 * i, "longitude": lon, "geo_precision": "exact", **row}
                for i in range(k)]
    store.upsert(make_events([
        *at(50.0, 30.0, 3, weapon_origin="PRK", origin_basis="reported"),
        *at(50.0, 30.1, 1, weapon_origin="IRN", origin_basis="inferred",
            origin_candidates="IRN:0.7;RUS:0.3"),
        *at(47.0, 35.0, 3, origin_candidates="PRK:0.6;RUS:0.4"),  # no stated origin
        *at(47.0, 35.1, 1, origin_candidates="RUS:0.4;IRN:0.3;PRK:0.3"),
        *at(45.5, 33.0, 2, weapon_origin="RUS;PRK", origin_basis="ambiguous"),
    ]))
    symbols = plan_map(store, Filters(), max_points=100).points
    plan = plan_map(store, Filters(), max_points=5)
    assert plan.mode == "grid"
    # Every circle counts its events under the colour and certainty their symbols have.
    by_symbol = symbols.groupby(["drawn", "certainty"]).size().to_dict()
    assert plan.grid.groupby(["drawn", "certainty"])["n"].sum().to_dict() == by_symbol
    found = {(round(c.lat), round(c.lon)): c for c in cells(plan.grid)}
    assert {k: (c.dominant, c.certainty, c.n) for k, c in found.items()} == {
        (50, 30): ("PRK", "stated", 4), (47, 35): ("PRK", "likely", 4),
        (46, 33): ("RUS;PRK", "ambiguous", 2)}
    assert drawn_certainties(plan) == ["stated", "ambiguous", "likely"]
    data = grid_json(plan.grid)
    style = {(round(c[0]), round(c[1])): data["styles"][c[3]] for c in data["cells"]}
    stated, likely, ambiguous = style[(50, 30)], style[(47, 35)], style[(46, 33)]
    assert stated["fillColor"] == likely["fillColor"] == likely["color"] == origin_colour("PRK")
    assert likely["dashArray"] and not stated["dashArray"] and not ambiguous["dashArray"]
    assert likely["fillOpacity"] < stated["fillOpacity"] / 3
    assert (ambiguous["fillColor"], ambiguous["color"]) == (origin_colour("RUS"),
                                                            origin_colour("PRK"))
    # The tooltip says how each origin's events are known, in words.
    tips = {(round(c[0]), round(c[1])): [
        (data["labels"][g], n, [(data["certainties"][k], m) for k, m in known])
        for g, n, known in c[5]] for c in data["cells"]}
    assert tips[(47, 35)] == [("North Korea (PRK)", 3, [("likely, inferred", 3)]),
                              ("Russia (RUS)", 1, [("possible, inferred", 1)])]
    assert tips[(50, 30)][1] == ("Iran (IRN)", 1, [("likely, inferred", 1)])


def test_oblasts_are_shaded_by_their_dominant_origin_and_its_certainty(store):
    store.upsert(make_events([
        {"admin1": "UA-63", "geo_precision": "oblast", "weapon_origin": "PRK",
         "origin_basis": "reported"},
        {"admin1": "UA-63", "geo_precision": "oblast", "weapon_origin": "PRK",
         "origin_basis": "reported"},
        {"admin1": "UA-63", "geo_precision": "oblast", "weapon_origin": "RUS",
         "origin_basis": "catalogue"},
        {"admin1": "UA-14", "geo_precision": "oblast", "weapon_origin": "IRN",
         "origin_basis": "inferred"},
        {"admin1": "UA-14;UA-12", "geo_precision": "oblast", "weapon_origin": "RUS;PRK",
         "origin_basis": "ambiguous"},
        {"admin1": "UA-14", "geo_precision": "oblast", "weapon_origin": "IRN",
         "origin_basis": "inferred"},
    ]))
    plan = plan_map(store, Filters(), max_points=10)
    shades = {s.iso: s for s in shading(plan)}
    assert {iso: (s.group, s.certainty, s.n) for iso, s in shades.items()} == {
        "UA-63": ("PRK", "stated", 3), "UA-14": ("IRN", "possible", 3),
        "UA-12": ("RUS;PRK", "ambiguous", 1)}
    # Counts per oblast are the store's own.
    assert dict(zip(plan.areas["iso"], plan.areas["n"], strict=True)) == {
        "UA-12": 1, "UA-14": 3, "UA-63": 3}
    styles = {a[0]: a[2] for a in areas_json(plan)}
    assert styles["UA-63"]["fillColor"] == origin_colour("PRK") and not styles["UA-63"]["dashArray"]
    assert styles["UA-14"]["fillColor"] == origin_colour("IRN") and styles["UA-14"]["dashArray"]
    assert styles["UA-12"]["color"] == origin_colour("PRK")  # the second origin's ring
    assert len({s["fillColor"] for s in styles.values()}) == 3  # no single orange any more
    tips = {a[0]: a[1] for a in areas_json(plan)}
    assert "North Korea (PRK) 2 (stated), Russia (RUS) 1 (stated)" in tips["UA-63"]


def test_fit_box_holds_every_oblast():
    (south, west), (north, east) = UKRAINE_BOUNDS
    lats, lons = [], []

    def walk(coords):
        if isinstance(coords[0], (int, float)):
            lons.append(coords[0])
            lats.append(coords[1])
        else:
            for c in coords:
                walk(c)

    features = basemap_features()["features"]
    assert len(features) == 27
    for feature in features:
        walk(feature["geometry"]["coordinates"])
    assert (south, west, north, east) == pytest.approx(
        (min(lats), min(lons), max(lats), max(lons)), abs=1e-4)


def test_labels_come_from_bundled_data():
    oblasts = {name for _, _, name in oblast_labels()}
    assert {"Zakarpattia", "Luhansk", "Crimea", "Kharkiv"} <= oblasts
    assert "Kyiv city" not in oblasts and len(oblasts) == 25  # Kyiv/Sevastopol: city labels
    cities = [c[2] for c in city_labels()]
    assert cities[0] == "Kyiv" and {"Uzhhorod", "Luhansk", "Simferopol", "Kherson"} <= set(cities)
    assert len(cities) == len(set(cities)) >= 25
    html = base_map().get_root().render()
    basemap = layer_data(html, "basemap")
    assert "GeoNames (CC BY 4.0)" in basemap["credits"]
    assert len(basemap["shapes"]["labels"]["cities"]) == len(cities)


def test_live_map_sends_the_basemap_url_and_serves_the_same_shapes():
    """Issue 13: the live map's every rerun carried the ~0.4 MB basemap; now it names a
    static file (cached by the browser) holding exactly the shapes an export inlines."""
    url = basemap_url("uk")
    assert url is not None and url.startswith("/app/static/generated/basemap-uk-")
    live = base_map(lang="uk", basemap_src=url).get_root().render()
    data = layer_data(live, "basemap")
    assert data["src"] == url and "shapes" not in data
    assert len(live) < 20_000  # the frame, the styles and the links only
    served = ROOT / "static" / url.removeprefix("/app/static/").split("?")[0]
    inline = layer_data(base_map(lang="uk").get_root().render(), "basemap")["shapes"]
    assert json.loads(served.read_text(encoding="utf-8")) == inline
    assert len(inline["oblasts"]["features"]) == 27


def test_basemap_falls_back_to_inline_when_static_is_read_only(tmp_path):
    blocked = tmp_path / "static"
    blocked.write_text("a file where the folder should be")  # unwritable, even for root
    assert publish("basemap-en.json", "{}", blocked / "generated") is None
    data = layer_data(base_map(basemap_src=None).get_root().render(), "basemap")
    assert data["src"] is None and len(data["shapes"]["oblasts"]["features"]) == 27


def test_no_javascript_in_python_sources():
    """The map's JavaScript lives in static/salvo-map.js only (issue 12, item 6)."""
    js = re.compile(r"function\s*\(|=>|\bL\.(geoJson|circleMarker|marker|polygon|DomUtil)\b|"
                    r"\.bindTooltip|\.addTo\(|innerHTML")
    offenders = []
    for path in [*ROOT.glob("geo/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("pages/*.py")]:
        if path.name in ("export.py", "render.py", "animate.py"):  # the exporters' own
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and js.search(node.value) and not node.value.lstrip().startswith(
                        ("\"\"\"", "Draw", "The ")):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_live_map_popups_speak_ukrainian_regression_english_popups(store):
    """The map's own words in its popups, tooltips and oblast tips follow the language
    (they stayed English while the rest of a Ukrainian page was translated); the source's
    words — model, place — stay as the source wrote them."""
    store.upsert(make_events([
        {"latitude": 50.0, "longitude": 30.0, "geo_precision": "settlement",
         "event_type": "impact", "verification": "verified", "weapon_model": "KN-23",
         "weapon_origin": "PRK", "origin_basis": "reported", "location": "Kyiv"},
        {"latitude": 50.2, "longitude": 30.2, "geo_precision": "exact", "event_type": "debris",
         "weapon_model": "", "origin_candidates": "PRK:0.7;RUS:0.3"},
        {"admin1": "UA-63", "geo_precision": "oblast", "weapon_origin": "IRN",
         "origin_basis": "reported"},
    ]))
    plan = plan_map(store, Filters(), max_points=10)
    uk = points_json(plan.points, "uk")
    assert set(uk["type"]) == {"влучання", "уламки"}
    assert "центр населеного пункту (точне місце влучання невідоме)" in uk["precision"]
    assert "перевірено" in uk["verification"]
    assert set(uk["certainty"]) == {"заявлено", "ймовірно, виведено"}
    assert "КНДР (PRK)" in uk["origin"]
    assert (uk["none"], uk["sources"]) == ("зброю не зазначено", "Джерела:")
    records = [p[3] for p in uk["points"]]
    assert {r[2] for r in records} == {"KN-23", ""} and "Kyiv" in {r[4] for r in records}
    assert "кандидати: PRK 70 %, RUS 30 %" in {r[10] for r in records}
    tip = areas_json(plan, "uk")[0][1]
    assert tip.startswith("Харківська область: подій, відомих лише до області, 1 — Іран (IRN)")
    grid = grid_json(plan_map(store, Filters(), max_points=1).grid, "uk")
    assert "заявлено" in grid["certainties"] and grid["locale"] == "uk-UA"
    assert grid["here"] == "Подій тут: {n} (згруповано)"  # salvo-map.js puts the count in
    # English stays what it was.
    en = points_json(plan.points)
    assert set(en["type"]) == {"impact", "debris"} and en["none"] == "weapon not stated"
