"""The map: an offline oblast basemap plus event layers chosen by level of detail.

The only module that builds folium objects. Every data string that reaches folium goes
through :func:`geo.escape.for_map` (folium renders through Jinja twice and puts popups in
JS template literals; see docs/security.md), and colours/labels come from fixed tables.

Level of detail (issue 5): while the matching point events are few (``max_points``) each is
a symbol; above that the view is aggregated into grid cells whose counts add up to exactly
the matching events. Oblast-level events are never drawn as points: they shade their
oblast. Events known only to a region or the country appear on the timeline, not the map.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache

import folium
import pandas as pd

from geo.assets import CSS_LINKS, JS_LINKS
from geo.escape import for_map, link_html, safe_links
from geo.filters import Filters
from geo.origins import origin_colour, origin_label, sort_groups
from geo.settings import DATA_DIR
from geo.store.base import BBox, Store

UKRAINE_CENTER = (48.6, 31.3)
UKRAINE_ZOOM = 6

# How each precision is drawn: (radius px, fill opacity, stroke weight, dash)
PRECISION_STYLE = {
    "exact": (5, 0.9, 1, None),
    "settlement": (8, 0.35, 2, None),
    "district": (15, 0.15, 2, "4 4"),
}
PRECISION_TEXT = {
    "exact": "exact point",
    "settlement": "settlement centre (impact site not known precisely)",
    "district": "district centre (approximate)",
    "oblast": "oblast only",
    "region": "macro-region only",
    "country": "country only",
    "unknown": "unknown",
}


_MAP_CSS = (
    "<style>.salvo-count-icon{background:none;border:none}"
    ".salvo-count{font:600 11px/16px sans-serif;color:#fff;text-align:center;"
    "text-shadow:0 0 3px #000,0 0 2px #000;pointer-events:none}</style>"
)


@dataclass
class MapPlan:
    """What the map shows for one set of filters and one view."""

    mode: str  # "points" or "grid"
    points: pd.DataFrame
    grid: pd.DataFrame
    areas: pd.DataFrame
    kinds: dict[str, int]
    zoom: int
    shown_points: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.kinds.values())


def _pad(bbox: BBox, share: float = 0.5) -> BBox:
    dy, dx = (bbox.north - bbox.south) * share, (bbox.east - bbox.west) * share
    return BBox(bbox.south - dy, bbox.west - dx, bbox.north + dy, bbox.east + dx)


def plan_map(store: Store, filters: Filters, *, max_points: int, zoom: int | None = None,
             bbox: BBox | None = None) -> MapPlan:
    """Decide points vs aggregation and fetch only what will be drawn (all in the store)."""
    zoom = zoom or UKRAINE_ZOOM
    kinds = store.count_by_kind(filters)
    areas = store.area_counts(filters)
    empty = pd.DataFrame()
    if kinds["point"] <= max_points:
        points = store.points(filters, max_points)
        return MapPlan("points", points, empty, areas, kinds, zoom, len(points))
    view = _pad(bbox) if bbox else None
    in_view = store.count_points(filters, view) if view else kinds["point"]
    if view is not None and in_view <= max_points:
        points = store.points(filters, max_points, view)
        plan = MapPlan("points", points, empty, areas, kinds, zoom, len(points))
        plan.notes.append(
            f"Showing the {len(points):,} events in and around this view; "
            "pan or zoom out to see others."
        )
        return plan
    grid = store.grid(filters, zoom, view)
    plan = MapPlan("grid", empty, grid, areas, kinds, zoom)
    plan.notes.append(
        f"{in_view:,} events in view: aggregated into numbered circles (over "
        f"{max_points:,} individual symbols). Zoom in to see single events."
    )
    return plan


@lru_cache(maxsize=4)
def _geojson_text(name: str) -> str:
    return (DATA_DIR / name).read_text(encoding="utf-8")


def basemap_features(name: str = "oblasts.geojson") -> dict:
    """A fresh copy of a bundled GeoJSON (callers may add properties)."""
    return json.loads(_geojson_text(name))


def base_map(*, center: tuple[float, float] = UKRAINE_CENTER, zoom: int = UKRAINE_ZOOM,
             tiles: str = "", attribution: str = "", local_assets: bool = True) -> folium.Map:
    """The map frame: neighbours and oblasts drawn from bundled data; tiles only if set."""
    fmap = folium.Map(location=list(center), zoom_start=zoom, tiles=None, control_scale=True,
                      min_zoom=4, max_zoom=14, prefer_canvas=False)
    if local_assets:
        # Instance attributes: st_folium and get_root().render() both read these.
        fmap.default_js = list(JS_LINKS)
        fmap.default_css = list(CSS_LINKS)
    fmap.get_root().header.add_child(folium.Element(_MAP_CSS))
    if tiles:
        folium.TileLayer(tiles=tiles, attr=for_map(attribution or "map tiles"),
                         name="tiles").add_to(fmap)
    if (DATA_DIR / "countries.geojson").exists():
        folium.GeoJson(
            basemap_features("countries.geojson"), name="neighbours", control=False,
            style_function=lambda _f: {"fillColor": "#f4f4f4", "color": "#b5b5b5",
                                       "weight": 1, "fillOpacity": 1.0 if not tiles else 0.2},
        ).add_to(fmap)
    oblasts = basemap_features()
    for feature in oblasts["features"]:
        props = feature["properties"]
        props["label"] = for_map(f"{props.get('name', '')} ({props.get('iso', '')})")
    folium.GeoJson(
        oblasts, name="oblasts", control=False,
        style_function=lambda _f: {"fillColor": "#e9e9e4", "color": "#777", "weight": 1,
                                   "fillOpacity": 1.0 if not tiles else 0.25},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False, sticky=False),
    ).add_to(fmap)
    return fmap


def _day(value: object) -> str:
    return str(value)[:10]


def _popup_html(row: pd.Series) -> str:
    origin = origin_label(str(row.get("origin_group", "")))
    parts = [
        f"<b>{for_map(_day(row.get('event_date')))}</b> · {for_map(row.get('event_type'))}",
        f"{for_map(row.get('weapon_model') or 'weapon not stated')} — {for_map(origin)}",
        for_map(row.get("location") or ""),
        f"<i>{for_map(PRECISION_TEXT.get(str(row.get('geo_precision')), ''))}</i> · "
        f"{for_map(row.get('verification'))}",
        source_links_html(str(row.get("sources") or "")),
        f"<small>{for_map(row.get('event_id'))}</small>",
    ]
    return "<br>".join(p for p in parts if p)


def points_layer(points: pd.DataFrame) -> folium.FeatureGroup:
    """One circle per event, coloured by origin group, sized/stroked by precision."""
    group = folium.FeatureGroup(name="events")
    if points.empty:
        return group
    for (origin, precision), rows in points.groupby(["origin_group", "geo_precision"],
                                                      sort=True):
        radius, opacity, weight, dash = PRECISION_STYLE.get(precision, PRECISION_STYLE["exact"])
        colour = origin_colour(str(origin))
        features = []
        for i, (_, row) in enumerate(rows.iterrows()):
            features.append({
                "type": "Feature",
                "id": f"{precision[0]}{i}",
                "geometry": {"type": "Point",
                             "coordinates": [float(row["longitude"]), float(row["latitude"])]},
                "properties": {
                    "t": for_map(f"{_day(row['event_date'])} · {row.get('weapon_model') or ''} · "
                                 f"{row.get('location') or ''}"),
                    "p": _popup_html(row),
                },
            })
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            marker=folium.CircleMarker(radius=radius, color=colour, weight=weight,
                                       fill=True, fill_color=colour, fill_opacity=opacity,
                                       dash_array=dash),
            tooltip=folium.GeoJsonTooltip(fields=["t"], labels=False),
            popup=folium.GeoJsonPopup(fields=["p"], labels=False),
        ).add_to(group)
    return group


def aggregate_cells(grid: pd.DataFrame) -> pd.DataFrame:
    """One row per grid cell: total, dominant origin, breakdown text, mean position."""
    rows = []
    for (gy, gx), part in grid.groupby(["gy", "gx"], sort=True):
        n = int(part["n"].sum())
        ordered = part.sort_values(["n", "origin_group"], ascending=[False, True])
        rows.append({
            "gy": gy, "gx": gx, "n": n,
            "lat": float((part["lat"] * part["n"]).sum() / n),
            "lon": float((part["lon"] * part["n"]).sum() / n),
            "dominant": str(ordered["origin_group"].iloc[0]),
            "breakdown": ", ".join(f"{origin_label(str(o))}: {int(c):,}" for o, c in
                                   zip(ordered["origin_group"], ordered["n"], strict=True)),
        })
    return pd.DataFrame(rows)


def grid_layer(grid: pd.DataFrame, zoom: int) -> folium.FeatureGroup:
    """Aggregated events: one circle per grid cell at the events' mean position, sized by
    count, coloured by the most common origin, with the count written on it."""
    group = folium.FeatureGroup(name="aggregated events")
    if grid.empty:
        return group
    cells = aggregate_cells(grid)
    top = int(cells["n"].max())
    features = []
    for i, cell in enumerate(cells.itertuples(index=False)):
        features.append({
            "type": "Feature", "id": f"g{i}",
            "geometry": {"type": "Point", "coordinates": [round(cell.lon, 5),
                                                          round(cell.lat, 5)]},
            "properties": {
                "t": for_map(f"{cell.n:,} events here (aggregated) — {cell.breakdown}"),
                "r": round(7 + 17 * (cell.n / top) ** 0.5, 1),
                "c": origin_colour(cell.dominant),
            },
        })
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        marker=folium.CircleMarker(radius=8, weight=1.5, color="#ffffff", fill=True,
                                   fill_opacity=0.75),
        style_function=lambda f: {"radius": f["properties"]["r"],
                                  "fillColor": f["properties"]["c"]},
        tooltip=folium.GeoJsonTooltip(fields=["t"], labels=False),
    ).add_to(group)
    # Counts written on the largest circles (bounded: the payload must not grow with N).
    for cell in cells.nlargest(150, "n").itertuples(index=False):
        label = f"{cell.n:,}" if cell.n < 10_000 else f"{cell.n / 1000:.0f}k"
        folium.Marker(
            [round(cell.lat, 5), round(cell.lon, 5)],
            icon=folium.DivIcon(html=f'<div class="salvo-count">{for_map(label)}</div>',
                                icon_size=(40, 16), icon_anchor=(20, 8),
                                class_name="salvo-count-icon"),
            interactive=False,
        ).add_to(group)
    return group


def area_layer(areas: pd.DataFrame) -> folium.FeatureGroup:
    """Oblasts shaded by how many oblast-level events name them."""
    group = folium.FeatureGroup(name="oblast-level events")
    if areas.empty:
        return group
    counts = {str(k): int(v) for k, v in zip(areas["iso"], areas["n"], strict=True)}
    top = max(counts.values())
    shapes = basemap_features()
    features = []
    for feature in shapes["features"]:
        iso = feature["properties"].get("iso")
        if iso not in counts:
            continue
        n = counts[iso]
        feature["properties"] = {
            "t": for_map(f"{feature['properties'].get('name', iso)}: {n:,} event(s) located "
                         "only to this oblast"),
            "s": round(0.08 + 0.4 * (n / top) ** 0.5, 3),
        }
        features.append(feature)
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        style_function=lambda f: {"fillColor": "#e6550d", "color": "#a63603", "weight": 1,
                                  "fillOpacity": f["properties"]["s"], "dashArray": "3 3"},
        tooltip=folium.GeoJsonTooltip(fields=["t"], labels=False),
    ).add_to(group)
    return group


def layers(plan: MapPlan) -> list[folium.FeatureGroup]:
    """The dynamic layers for ``plan`` (areas below symbols)."""
    top = points_layer(plan.points) if plan.mode == "points" else grid_layer(plan.grid, plan.zoom)
    return [area_layer(plan.areas), top]


def legend_items(plan: MapPlan) -> list[tuple[str, str]]:
    """(colour, label) for each origin group on the map, in a stable order."""
    groups = []
    if not plan.points.empty:
        groups.extend(plan.points["origin_group"].astype(str))
    if not plan.grid.empty:
        groups.extend(plan.grid["origin_group"].astype(str))
    return [(origin_colour(g), origin_label(g)) for g in sort_groups(groups)]


def events_at(points: pd.DataFrame, lat: float, lng: float, tolerance: float = 1e-5) -> list[str]:
    """Event ids drawn at a clicked position (several events can share a settlement centre)."""
    if points.empty:
        return []
    near = points[((points["latitude"] - lat).abs() <= tolerance)
                  & ((points["longitude"] - lng).abs() <= tolerance)]
    return [str(v) for v in near["event_id"]]


def source_links_html(sources: str) -> str:
    """Clickable source links for a popup or panel (http(s) only)."""
    return " ".join(link_html(url) for url in safe_links(sources))
