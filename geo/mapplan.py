"""What the map shows for one set of filters and one view: the only map code that queries.

The plan is plain data (frames and lists), drawn by :mod:`geo.maps` in the browser (Leaflet)
and by the exporters on the server, so the app and an exported file always agree.

Level of detail (issue 5): while the matching point events are few (``max_points``) each is
a symbol; above that the view is aggregated into grid cells whose counts add up to exactly
the matching events. Oblast-level events are never drawn as points: they shade their
oblast, in the colour of the oblast's most common origin and drawn by how certain that
origin is (:mod:`geo.origins`). Events known only to a region or the country appear on the
timeline, not the map.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd
from shapely.geometry import shape
from shapely.ops import polylabel

from geo.filters import Filters
from geo.origins import (
    CERTAINTIES,
    certainty_of,
    drawn_group,
    origin_colour,
    origin_label,
    sort_groups,
)
from geo.settings import DATA_DIR
from geo.store.base import BBox, Store

UKRAINE_CENTER = (48.6, 31.3)
UKRAINE_ZOOM = 6
# (south, west), (north, east) of all 27 units in data/oblasts.geojson (Crimea, Zakarpattia
# and Luhansk included); the map fits this box on load (tests/test_maps.py checks it).
UKRAINE_BOUNDS = ((44.38143, 22.13769), (52.37561, 40.22758))

# Symbol radius (px) by location precision: size says how precisely the place is known;
# fill and ring say how the origin is known (certainty).
PRECISION_RADIUS = {"exact": 5, "settlement": 7, "district": 10}
# Kept for the exporters (radius px, fill opacity, stroke weight, dash) until they draw
# certainty from geo.origins.symbol_style.
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
    # Oblast-level events per oblast × origin group × basis (for shading by origin).
    area_origins: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def total(self) -> int:
        return sum(self.kinds.values())


def _pad(bbox: BBox, share: float = 0.5) -> BBox:
    dy, dx = (bbox.north - bbox.south) * share, (bbox.east - bbox.west) * share
    return BBox(bbox.south - dy, bbox.west - dx, bbox.north + dy, bbox.east + dx)


def annotate_points(points: pd.DataFrame) -> pd.DataFrame:
    """Add ``drawn`` (the group whose colour a symbol gets) and ``certainty``."""
    if points.empty:
        return points
    groups = points["origin_group"].astype(str)
    blank = pd.Series("", index=points.index)
    basis = points["origin_basis"] if "origin_basis" in points else blank
    cands = (points["origin_candidates"] if "origin_candidates" in points else blank).fillna("")
    return points.assign(
        drawn=[drawn_group(g, c) for g, c in zip(groups, cands, strict=True)],
        certainty=[certainty_of(g, b, c) for g, b, c in zip(groups, basis, cands, strict=True)],
    )


def plan_map(store: Store, filters: Filters, *, max_points: int, zoom: int | None = None,
             bbox: BBox | None = None) -> MapPlan:
    """Decide points vs aggregation and fetch only what will be drawn (all in the store)."""
    zoom = zoom or UKRAINE_ZOOM
    summary = store.map_summary(filters)
    kinds, areas, area_origins = summary.kinds, summary.areas, summary.area_origins
    empty = pd.DataFrame()

    def points_plan(points: pd.DataFrame) -> MapPlan:
        return MapPlan("points", annotate_points(points), empty, areas, kinds, zoom,
                       len(points), area_origins=area_origins)

    if kinds["point"] <= max_points:
        return points_plan(store.points(filters, max_points))
    view = _pad(bbox) if bbox else None
    grid = store.grid(filters, zoom, view)
    # Every point event falls in one cell: the cells add up to the events in the view.
    in_view = kinds["point"] if view is None else int(grid["n"].sum()) if len(grid) else 0
    if view is not None and in_view <= max_points:
        plan = points_plan(store.points(filters, max_points, view))
        plan.notes.append(
            f"Showing the {plan.shown_points:,} events in and around this view; "
            "pan or zoom out to see others."
        )
        return plan
    plan = MapPlan("grid", empty, grid, areas, kinds, zoom, area_origins=area_origins)
    plan.notes.append(
        f"{in_view:,} events in view: aggregated into numbered circles (over "
        f"{max_points:,} individual symbols). Zoom in to see single events."
    )
    return plan


@dataclass(frozen=True)
class Cell:
    """One aggregated circle: where, how many, and how its events' origins are known."""

    gy: int
    gx: int
    n: int
    lat: float
    lon: float
    dominant: str   # the drawn group with most events (its colour fills the circle)
    certainty: str  # how most of the dominant group's events are known (ties: the weaker)
    # (drawn group, events, ((certainty, events), …)), most events first; certainties in
    # the fixed order of CERTAINTIES.
    parts: tuple[tuple[str, int, tuple[tuple[str, int], ...]], ...]

    @property
    def breakdown(self) -> str:
        return ", ".join(f"{origin_label(g)}: {n:,}" for g, n, _ in self.parts)


def _group_order(item: tuple[str, int]) -> tuple:
    return (-item[1], item[0] == "unknown", item[0])


def cells(grid: pd.DataFrame) -> list[Cell]:
    """One :class:`Cell` per grid cell of :meth:`Store.grid` rows, in (gy, gx) order.

    Plain Python over the store's already grouped rows (a few hundred to a few thousand):
    a pandas groupby here cost more than the query that made the rows.
    """
    if grid.empty:
        return []
    order = {c: i for i, c in enumerate(CERTAINTIES)}
    acc: dict[tuple[int, int], list] = {}
    for gy, gx, drawn, certainty, n, lat, lon in zip(
            grid["gy"], grid["gx"], grid["drawn"], grid["certainty"], grid["n"], grid["lat"],
            grid["lon"], strict=True):
        n = int(n)
        slot = acc.setdefault((int(gy), int(gx)), [0, 0.0, 0.0, {}])
        slot[0] += n
        slot[1] += float(lat) * n
        slot[2] += float(lon) * n
        known = slot[3].setdefault(str(drawn), {})
        known[str(certainty)] = known.get(str(certainty), 0) + n
    out = []
    for (gy, gx), (n, wlat, wlon, groups) in sorted(acc.items()):
        totals = sorted(((g, sum(c.values())) for g, c in groups.items()), key=_group_order)
        parts = tuple((g, total, tuple(sorted(groups[g].items(), key=lambda kv: order[kv[0]])))
                      for g, total in totals)
        dominant = totals[0][0]
        out.append(Cell(gy, gx, n, wlat / n, wlon / n, dominant,
                        _weakest(groups[dominant]), parts))
    return out


def aggregate_cells(grid: pd.DataFrame) -> pd.DataFrame:
    """:func:`cells` as a frame (gy, gx, n, lat, lon, dominant, certainty, breakdown), for
    the static exporters."""
    rows = cells(grid)
    if not rows:
        return pd.DataFrame([])
    return pd.DataFrame({
        "gy": pd.Series([c.gy for c in rows], dtype="int64"),
        "gx": pd.Series([c.gx for c in rows], dtype="int64"),
        "n": pd.Series([c.n for c in rows], dtype="int64"),
        "lat": pd.Series([c.lat for c in rows], dtype="float64"),
        "lon": pd.Series([c.lon for c in rows], dtype="float64"),
        "dominant": pd.Series([c.dominant for c in rows], dtype=object),
        "certainty": pd.Series([c.certainty for c in rows], dtype=object),
        "breakdown": pd.Series([c.breakdown for c in rows], dtype=object),
    })


@dataclass(frozen=True)
class Shade:
    """One shaded oblast: its dominant origin group and how certain that origin is."""

    iso: str
    n: int
    group: str
    certainty: str
    breakdown: tuple[tuple[str, str, int], ...]  # (group, certainty, events), most first


def _weakest(certainties: dict[str, int]) -> str:
    """The certainty most events of a group in one oblast have (ties: the weaker one)."""
    order = {c: i for i, c in enumerate(CERTAINTIES)}
    return max(certainties, key=lambda c: (certainties[c], order[c]))


def shading(plan: MapPlan) -> list[Shade]:
    """Oblasts shaded by their oblast-level events, coloured by the dominant origin."""
    frame = plan.area_origins
    if frame is None or frame.empty:
        return []
    per: dict[str, dict[str, dict[str, int]]] = {}
    tops = frame["top_candidate"] if "top_candidate" in frame else [""] * len(frame)
    for iso, group, basis, top, n in zip(frame["iso"], frame["origin_group"],
                                         frame["origin_basis"], tops, frame["n"], strict=True):
        certainty = certainty_of(str(group), str(basis), top)
        drawn = drawn_group(str(group), top)
        slot = per.setdefault(str(iso), {}).setdefault(drawn, {})
        slot[certainty] = slot.get(certainty, 0) + int(n)
    shades = []
    for iso in sorted(per):
        groups = per[iso]
        rows = sorted(((g, _weakest(c), sum(c.values())) for g, c in groups.items()),
                      key=lambda r: (-r[2], r[0] == "unknown", r[0]))
        top = rows[0]
        shades.append(Shade(iso, sum(r[2] for r in rows), top[0], top[1], tuple(rows)))
    return shades


@lru_cache(maxsize=4)
def _geojson_text(name: str) -> str:
    return (DATA_DIR / name).read_text(encoding="utf-8")


def basemap_features(name: str = "oblasts.geojson") -> dict:
    """A fresh copy of a bundled GeoJSON (callers may add properties)."""
    return json.loads(_geojson_text(name))


@lru_cache(maxsize=1)
def drawn_unit_names() -> dict[str, str]:
    """ISO code → name of each unit in the drawn basemap (parsed once per process)."""
    return {f["properties"].get("iso"): f["properties"].get("name")
            for f in basemap_features()["features"]}


# Oblast units whose label would repeat a city label drawn on the same spot.
_NO_OBLAST_LABEL = {"UA-30", "UA-40"}  # Kyiv city, Sevastopol


@lru_cache(maxsize=1)
def oblast_labels() -> tuple[tuple[float, float, str], ...]:
    """(lat, lon, name) per oblast, placed at its pole of inaccessibility (inside the
    polygon, away from its edges), from the bundled outlines."""
    out = []
    for feature in basemap_features()["features"]:
        props = feature["properties"]
        if props.get("iso") in _NO_OBLAST_LABEL:
            continue
        geom = shape(feature["geometry"])
        if geom.geom_type == "MultiPolygon":
            geom = max(geom.geoms, key=lambda g: g.area)
        point = polylabel(geom, tolerance=0.01)
        name = str(props.get("name", "")).removesuffix(" oblast")
        out.append((round(point.y, 3), round(point.x, 3), name))
    return tuple(out)


@lru_cache(maxsize=2)
def city_labels(lang: str = "en") -> tuple[tuple[float, float, str, int], ...]:
    """(lat, lon, name, population) of the bundled major cities (data/cities.csv,
    GeoNames CC BY 4.0), largest first. ``lang="uk"``: the GeoNames Ukrainian name
    (``name_uk``, see scripts/build_cities.py), the English one where it has none."""
    path = DATA_DIR / "cities.csv"
    if not path.exists():
        return ()
    column = "name_uk" if lang == "uk" else "name"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [(float(r["latitude"]), float(r["longitude"]), r.get(column) or r["name"],
                 int(r["population"])) for r in csv.DictReader(fh)]
    return tuple(sorted(rows, key=lambda r: -r[3]))


# One short line: a longer one wrapped over the scale bar at 1440 px (full wording: About).
CREDITS = "geoBoundaries (CC BY 4.0) · Natural Earth · GeoNames (CC BY 4.0)"


def legend_items(plan: MapPlan) -> list[tuple[str, str]]:
    """(colour, label) for each origin group on the map, in a stable order."""
    return [(origin_colour(g), origin_label(g)) for g in drawn_groups(plan)]


def drawn_groups(plan: MapPlan) -> list[str]:
    """Every origin group drawn (symbols, aggregated circles, shaded oblasts)."""
    groups: list[str] = []
    if not plan.points.empty:
        col = "drawn" if "drawn" in plan.points else "origin_group"
        groups.extend(plan.points[col].astype(str))
    if not plan.grid.empty:
        groups.extend(plan.grid["drawn"].astype(str))  # every group a tooltip names
    groups.extend(s.group for s in shading(plan))
    return sort_groups(groups)


def drawn_certainties(plan: MapPlan) -> list[str]:
    """The certainty styles the map uses, in the fixed order of :data:`CERTAINTIES`."""
    used: set[str] = set()
    if not plan.points.empty and "certainty" in plan.points:
        used.update(plan.points["certainty"].astype(str))
    used.update(s.certainty for s in shading(plan))
    # Aggregated circles are drawn in their dominant group's most common certainty.
    used.update(c.certainty for c in cells(plan.grid))
    return [c for c in CERTAINTIES if c in used]


def events_at(points: pd.DataFrame, lat: float, lng: float, tolerance: float = 1e-5) -> list[str]:
    """Event ids drawn at a clicked position (several events can share a settlement centre)."""
    if points.empty:
        return []
    near = points[((points["latitude"] - lat).abs() <= tolerance)
                  & ((points["longitude"] - lng).abs() <= tolerance)]
    return [str(v) for v in near["event_id"]]
