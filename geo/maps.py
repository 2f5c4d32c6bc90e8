"""The map: an offline oblast basemap plus event layers chosen by level of detail.

The only module that builds folium objects. Every data string that reaches folium goes
through :func:`geo.escape.for_map` (folium renders through Jinja twice and puts popups in
JS template literals; see docs/security.md), and colours/labels come from fixed tables.

Level of detail (issue 5): while the matching point events are few (``max_points``) each is
a symbol; above that the view is aggregated into grid cells whose counts add up to exactly
the matching events. Oblast-level events are never drawn as points: they shade their
oblast. Events known only to a region or the country appear on the timeline, not the map.

Speed (issue 5): the layers are :class:`LeafletScript` elements — plain Leaflet JavaScript
built once per layer from JSON, not ``folium.GeoJson``. folium's GeoJson re-serialises its
data, walks every coordinate for the map bounds and has its script parsed again as a Jinja
template on every render (and ``st_folium`` renders twice): about a second per rerun for the
oblast basemap alone. The basemap's script is built once per process; shaded oblasts reuse
its polygons instead of sending them again. The JSON is escaped like Jinja's ``tojson``
(``<``, ``>``, ``&``, ``'`` as ``\\u`` escapes) and is never parsed as a template, and every
text in it has gone through :func:`~geo.escape.for_map`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache

import folium
import pandas as pd
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

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
    "text-shadow:0 0 3px #000,0 0 2px #000;pointer-events:none}"
    # Long source URLs would otherwise run past the popup's edge.
    ".leaflet-popup-content a{word-break:break-all}</style>"
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
    kinds, areas = store.map_counts(filters)
    empty = pd.DataFrame()
    if kinds["point"] <= max_points:
        points = store.points(filters, max_points)
        return MapPlan("points", points, empty, areas, kinds, zoom, len(points))
    view = _pad(bbox) if bbox else None
    grid = store.grid(filters, zoom, view)
    # Every point event falls in one cell: the cells add up to the events in the view.
    in_view = kinds["point"] if view is None else int(grid["n"].sum()) if len(grid) else 0
    if view is not None and in_view <= max_points:
        points = store.points(filters, max_points, view)
        plan = MapPlan("points", points, empty, areas, kinds, zoom, len(points))
        plan.notes.append(
            f"Showing the {len(points):,} events in and around this view; "
            "pan or zoom out to see others."
        )
        return plan
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
    neighbours, oblasts = _basemap_scripts(bool(tiles))
    if neighbours:
        LeafletScript(neighbours, "neighbours").add_to(fmap)
    LeafletScript(oblasts, "oblasts").add_to(fmap)
    return fmap


class _Text(Element):
    """Finished script text: rendered as it is (never parsed as a Jinja template)."""

    def __init__(self, text: str):
        super().__init__()
        self._text = text

    def render(self, **kwargs) -> str:
        return self._text


class LeafletScript(MacroElement):
    """A Leaflet layer written as JavaScript once, for ``get_root().render()`` and st_folium.

    ``build(name, parent)`` returns the script, given the JavaScript names of the layer and
    of the map or feature group it belongs to (st_folium renames both, so they are only
    known when the script is asked for). The data is embedded once, as escaped JSON.
    """

    _template = Template("{% macro script(this, kwargs) %}{{ this.js() }}{% endmacro %}")

    def __init__(self, build, name: str = "layer"):
        super().__init__()
        self._name = name
        self._build = build

    def js(self) -> str:
        return self._build(self.get_name(), self._parent.get_name())

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        if isinstance(figure, Figure):
            figure.script.add_child(_Text(self.js()), name=self.get_name())


def js_json(value: object) -> str:
    """Compact JSON safe inside a <script> (the escapes of Jinja's ``tojson``)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("'", "\\u0027").replace("\u2028", "\\u2028")
            .replace("\u2029", "\\u2029"))


def _rounded(value: object, digits: int) -> object:
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, list):
        return [_rounded(v, digits) for v in value]
    return value


def _shapes_json(name: str, digits: int, props) -> str:
    doc = basemap_features(name)
    for feature in doc["features"]:
        feature["properties"] = props(feature["properties"])
        geometry = feature["geometry"]
        geometry["coordinates"] = _rounded(geometry["coordinates"], digits)
    doc.pop("xy_coordinate_resolution", None)
    return js_json(doc)


def _tooltip(layer: str, field: str, sticky: bool) -> str:
    """Bind a tooltip showing ``properties[field]`` (already escaped HTML) to each feature."""
    return (f"{layer}.bindTooltip(function(l){{var d=L.DomUtil.create('div');"
            f"d.innerHTML=l.feature.properties.{field};return d;}},"
            f"{{sticky:{'true' if sticky else 'false'},className:'foliumtooltip'}});")


@lru_cache(maxsize=2)
def _basemap_scripts(tiles: bool):
    """(neighbours, oblasts) script builders; their JSON is made once per process.

    The oblast layer registers each oblast's polygon in ``window.salvoOblasts`` by ISO code,
    so :func:`area_layer` can shade oblasts without sending their outlines again.
    """
    neighbours = None
    if (DATA_DIR / "countries.geojson").exists():
        # Neighbouring countries are background: 3 decimals (~100 m) are plenty.
        n_data = _shapes_json("countries.geojson", 3, lambda _p: {})
        n_style = js_json({"fillColor": "#f4f4f4", "color": "#b5b5b5", "weight": 1,
                           "fillOpacity": 0.2 if tiles else 1.0})

        def neighbours(name: str, parent: str) -> str:
            return (f"var {name}=L.geoJson({n_data},{{style:function(){{return {n_style};}}}});"
                    f"{name}.addTo({parent});")

    labels = lambda p: {"iso": p.get("iso", ""),  # noqa: E731
                        "label": for_map(f"{p.get('name', '')} ({p.get('iso', '')})")}
    o_data = _shapes_json("oblasts.geojson", 4, labels)  # ~10 m
    o_style = js_json({"fillColor": "#e9e9e4", "color": "#777", "weight": 1,
                       "fillOpacity": 0.25 if tiles else 1.0})

    def oblasts(name: str, parent: str) -> str:
        return (f"var {name}=L.geoJson({o_data},{{style:function(){{return {o_style};}}}});"
                + _tooltip(name, "label", sticky=False)
                + f"window.salvoOblasts={{}};{name}.eachLayer(function(l){{"
                "window.salvoOblasts[l.feature.properties.iso]=l;});"
                f"{name}.addTo({parent});")

    return neighbours, oblasts


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


class _Table:
    """Distinct values numbered in order of first use (repeated texts sent once)."""

    def __init__(self):
        self.values: list = []
        self._index: dict = {}

    def __call__(self, key: object, value: object = None) -> int:
        if key not in self._index:
            self._index[key] = len(self.values)
            self.values.append(key if value is None else value)
        return self._index[key]


# Popup and tooltip of a point, assembled in the browser from the escaped pieces: the same
# HTML as _popup_html (tests/test_payloads.py keeps the two in step), in a third of the bytes.
_POINT_JS = (
    "function(T){var s='\\u00b7';return{"
    "tip:function(v){return v[0]+' '+s+' '+v[2]+' '+s+' '+v[4];},"
    "pop:function(v){return['<b>'+v[0]+'</b> '+s+' '+T.type[v[1]],"
    "(v[2]||'weapon not stated')+' \\u2014 '+T.origin[v[3]],v[4],"
    "'<i>'+T.precision[v[5]]+'</i> '+s+' '+T.verification[v[6]],"
    "v[7].map(function(u){return'<a href=\"'+u+'\" target=\"_blank\" "
    "rel=\"noopener noreferrer nofollow\">'+u+'</a>';}).join(' '),"
    "'<small>'+v[8]+'</small>'].filter(function(p){return p;}).join('<br>');}};}"
)


def point_record(row: dict, tables: dict[str, _Table]) -> list:
    """The escaped pieces of one point's tooltip and popup (see ``_POINT_JS``)."""
    precision, kind = str(row.get("geo_precision")), str(row.get("event_type"))
    verification, origin = str(row.get("verification")), str(row.get("origin_group", ""))
    return [
        for_map(_day(row.get("event_date"))),
        tables["type"](kind, for_map(row.get("event_type"))),
        for_map(row.get("weapon_model") or ""),
        tables["origin"](origin, for_map(origin_label(origin))),
        for_map(row.get("location") or ""),
        tables["precision"](precision, for_map(PRECISION_TEXT.get(precision, ""))),
        tables["verification"](verification, for_map(row.get("verification"))),
        [for_map(url) for url in safe_links(str(row.get("sources") or ""))],
        for_map(row.get("event_id")),
    ]


def points_layer(points: pd.DataFrame) -> folium.FeatureGroup:
    """One circle per event, coloured by origin group, sized/stroked by precision."""
    group = folium.FeatureGroup(name="events")
    if points.empty:
        return group
    tables = {name: _Table() for name in ("style", "type", "origin", "precision",
                                          "verification")}
    features = []
    for row in points.to_dict("records"):
        precision, origin = str(row["geo_precision"]), str(row["origin_group"])
        radius, opacity, weight, dash = PRECISION_STYLE.get(precision, PRECISION_STYLE["exact"])
        colour = origin_colour(origin)
        style = tables["style"]((origin, precision), {
            "radius": radius, "color": colour, "weight": weight, "fill": True,
            "fillColor": colour, "fillOpacity": opacity, "dashArray": dash})
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point",
                         "coordinates": [float(row["longitude"]), float(row["latitude"])]},
            "properties": {"k": style, "v": point_record(row, tables)},
        })
    data = js_json({"type": "FeatureCollection", "features": features})
    lookup = js_json({name: table.values for name, table in tables.items()})

    def build(name: str, parent: str) -> str:
        return (f"var {name}_t={lookup},{name}_f=({_POINT_JS})({name}_t);"
                f"var {name}=L.geoJson({data},{{pointToLayer:function(f,ll){{"
                f"return L.circleMarker(ll,{name}_t.style[f.properties.k]);}}}});"
                f"{name}.bindTooltip(function(l){{var d=L.DomUtil.create('div');"
                f"d.innerHTML={name}_f.tip(l.feature.properties.v);return d;}},"
                "{sticky:true,className:'foliumtooltip'});"
                f"{name}.bindPopup(function(l){{var d=L.DomUtil.create('div');"
                f"d.innerHTML={name}_f.pop(l.feature.properties.v);return d;}},"
                "{className:'foliumpopup'});"
                f"{name}.addTo({parent});")

    LeafletScript(build, "geo_json").add_to(group)
    return group


def aggregate_cells(grid: pd.DataFrame) -> pd.DataFrame:
    """One row per grid cell: total, dominant origin, breakdown text, mean position."""
    if grid.empty:
        return pd.DataFrame([])
    keys = ["gy", "gx"]
    weighted = grid.assign(wlat=grid["lat"] * grid["n"], wlon=grid["lon"] * grid["n"])
    sums = weighted.groupby(keys, sort=True)[["n", "wlat", "wlon"]].sum()
    ordered = grid.sort_values([*keys, "n", "origin_group"],
                               ascending=[True, True, False, True], kind="mergesort")
    parts = [f"{origin_label(str(o))}: {int(c):,}"
             for o, c in zip(ordered["origin_group"], ordered["n"], strict=True)]
    text = ordered.assign(part=parts).groupby(keys, sort=True).agg(
        dominant=("origin_group", "first"), breakdown=("part", ", ".join))
    cells = sums.join(text).reset_index()
    return pd.DataFrame({
        "gy": cells["gy"], "gx": cells["gx"], "n": cells["n"].astype("int64"),
        "lat": cells["wlat"] / cells["n"], "lon": cells["wlon"] / cells["n"],
        "dominant": cells["dominant"].astype(str).astype(object),
        "breakdown": cells["breakdown"].astype(object),
    })


def grid_layer(grid: pd.DataFrame, zoom: int) -> folium.FeatureGroup:
    """Aggregated events: one circle per grid cell at the events' mean position, sized by
    count, coloured by the most common origin, with the count written on it.

    The tooltip ("1,234 events here (aggregated) — Russia (RUS): 1,000, …") is assembled in
    the browser from the counts per origin; origin labels and colours are sent once.
    """
    group = folium.FeatureGroup(name="aggregated events")
    if grid.empty:
        return group
    cells = aggregate_cells(grid)
    top = int(cells["n"].max())
    labels, colours = _Table(), _Table()
    ordered = grid.sort_values(["gy", "gx", "n", "origin_group"],
                               ascending=[True, True, False, True], kind="mergesort")
    parts: dict[tuple, list] = {}
    for gy, gx, origin, n in zip(ordered["gy"], ordered["gx"], ordered["origin_group"],
                                 ordered["n"], strict=True):
        parts.setdefault((gy, gx), []).append(
            [labels(str(origin), for_map(origin_label(str(origin)))), int(n)])
    features = []
    for cell in cells.itertuples(index=False):
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(cell.lon, 5),
                                                          round(cell.lat, 5)]},
            "properties": {"r": round(7 + 17 * (cell.n / top) ** 0.5, 1),
                           "c": colours(origin_colour(cell.dominant)), "n": int(cell.n),
                           "b": parts[(cell.gy, cell.gx)]},
        })
    # Counts written on the largest circles (bounded: the payload must not grow with N).
    marks = [[round(cell.lat, 5), round(cell.lon, 5),
              for_map(f"{cell.n:,}" if cell.n < 10_000 else f"{cell.n / 1000:.0f}k")]
             for cell in cells.nlargest(150, "n").itertuples(index=False)]
    data = js_json({"type": "FeatureCollection", "features": features})
    base = js_json({"weight": 1.5, "color": "#ffffff", "fill": True, "fillOpacity": 0.75})
    names, fills, marks_json = js_json(labels.values), js_json(colours.values), js_json(marks)

    def build(name: str, parent: str) -> str:
        return (f"var {name}_l={names},{name}_c={fills};"
                f"var {name}=L.geoJson({data},{{pointToLayer:function(f,ll){{"
                f"return L.circleMarker(ll,Object.assign({{}},{base},"
                f"{{radius:f.properties.r,fillColor:{name}_c[f.properties.c]}}));}}}});"
                f"{name}.bindTooltip(function(l){{var p=l.feature.properties,"
                "d=L.DomUtil.create('div');"
                "d.innerHTML=p.n.toLocaleString('en-US')+' events here (aggregated) \\u2014 '"
                f"+p.b.map(function(b){{return {name}_l[b[0]]+': '+"
                "b[1].toLocaleString('en-US');}).join(', ');return d;},"
                "{sticky:true,className:'foliumtooltip'});"
                f"{name}.addTo({parent});"
                f"{marks_json}.forEach(function(c){{L.marker([c[0],c[1]],{{interactive:false,"
                "icon:L.divIcon({html:'<div class=\"salvo-count\">'+c[2]+'</div>',"
                "iconSize:[40,16],iconAnchor:[20,8],className:'salvo-count-icon'})})"
                f".addTo({parent});}});")

    LeafletScript(build, "geo_json").add_to(group)
    return group


def area_layer(areas: pd.DataFrame) -> folium.FeatureGroup:
    """Oblasts shaded by how many oblast-level events name them.

    The outlines come from :func:`base_map`'s oblast layer on the same map (only the codes
    and counts are sent), so a filter change does not resend ~250 kB of polygons.
    """
    group = folium.FeatureGroup(name="oblast-level events")
    if areas.empty:
        return group
    counts = {str(k): int(v) for k, v in zip(areas["iso"], areas["n"], strict=True)}
    top = max(counts.values())
    names = {f["properties"].get("iso"): f["properties"].get("name")
             for f in basemap_features()["features"]}
    shaded = [[iso, for_map(f"{names[iso] or iso}: {n:,} event(s) located only to this "
                            "oblast"), round(0.08 + 0.4 * (n / top) ** 0.5, 3)]
              for iso, n in counts.items() if iso in names]
    data = js_json(shaded)

    def build(name: str, parent: str) -> str:
        return (f"var {name}=L.featureGroup();{data}.forEach(function(a){{"
                "var o=(window.salvoOblasts||{})[a[0]];if(!o)return;"
                "L.polygon(o.getLatLngs(),{fillColor:'#e6550d',color:'#a63603',weight:1,"
                "fillOpacity:a[2],dashArray:'3 3'}).bindTooltip(function(){"
                "var d=L.DomUtil.create('div');d.innerHTML=a[1];return d;},"
                f"{{sticky:true,className:'foliumtooltip'}}).addTo({name});}});"
                f"{name}.addTo({parent});")

    LeafletScript(build, "areas").add_to(group)
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
