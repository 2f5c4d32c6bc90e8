"""The interactive map: a map plan (:mod:`geo.mapplan`) drawn by Leaflet in the browser.

This module never queries the store and holds no JavaScript: it turns a plan into JSON and
hands it to ``static/salvo-map.js`` (``SalvoMap.basemap/points/grid/areas``), which draws
the symbols, badges, popups and labels. Popups and tooltips are assembled there, once, from
pieces escaped here with :func:`geo.escape.for_map`; the JSON goes through
:func:`geo.escape.for_script_json`. Colours and certainty styles come from
:mod:`geo.origins`.

Speed (issue 5): the layers are :class:`LeafletScript` elements — one call to the static
script with its JSON, not ``folium.GeoJson`` (which re-serialises its data and has its
script parsed as a Jinja template on every render, twice under ``st_folium``). The
basemap's JSON is built once per process; shaded oblasts reuse its polygons in the browser.
Repeated texts (types, origin labels, styles) are sent once, as lookup tables.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

import folium
import pandas as pd
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from geo.assets import CSS_LINKS, JS_LINKS, publish
from geo.escape import for_map, for_script_json, link_html, safe_links
from geo.i18n import (
    BROWSER_LOCALES,
    code_label,
    format_number,
    oblast_name,
    short_oblast_name,
    translate,
)
from geo.map_legend import legend_data
from geo.mapplan import (  # noqa: F401 - re-exported for the exporters' existing imports
    CREDITS,
    PRECISION_RADIUS,
    PRECISION_STYLE,
    PRECISION_TEXT,
    UKRAINE_BOUNDS,
    UKRAINE_CENTER,
    UKRAINE_ZOOM,
    MapPlan,
    aggregate_cells,
    basemap_features,
    cells,
    city_labels,
    drawn_unit_names,
    events_at,
    legend_items,
    oblast_labels,
    plan_map,
    shading,
)
from geo.origins import cell_style, certainty_of, origin_label, symbol_style
from geo.schema import parse_candidates
from geo.settings import DATA_DIR

# Label visibility by zoom (the fitted view is 5.75 at 1440 px, 4.75 at 390 px): oblast
# names from 5.75; cities by population tier [people, from zoom], the largest first.
LABEL_ZOOMS = {"oblast_min_zoom": 5.75,
               "city_tiers": [[1_000_000, 4], [700_000, 5.5], [0, 7]]}
def certainty_word(certainty: str, lang: str = "en") -> str:
    """How a symbol's origin is known, as its popup says it (``mapword.<certainty>``).

    >>> certainty_word("likely"), certainty_word("likely", "uk")
    ('likely, inferred', 'ймовірно, виведено')
    """
    return code_label("mapword", certainty, lang)  # a code without a message: as it is


def precision_text(precision: str, lang: str = "en") -> str:
    """What a symbol's position means (``precision.<code>``; unknown codes: blank)."""
    return code_label("precision", precision, lang) if precision in PRECISION_TEXT else ""


class _Text(Element):
    """Finished script text: rendered as it is (never parsed as a Jinja template)."""

    def __init__(self, text: str):
        super().__init__()
        self._text = text

    def render(self, **kwargs) -> str:
        return self._text


class LeafletScript(MacroElement):
    """One call ``var <name> = SalvoMap.<kind>(<parent>, <json>[, <options>]);``.

    The names of the layer and of its map or feature group are only known when the script
    is asked for (st_folium renames both), so the call is written then; the JSON is made
    once. ``get_root().render()`` and st_folium both use :meth:`js`.
    """

    _template = Template("{% macro script(this, kwargs) %}{{ this.js() }}{% endmacro %}")

    def __init__(self, kind: str, data_json: str, options_json: str = "", name: str = "layer"):
        super().__init__()
        self._name = name
        self._kind = kind
        self._args = data_json + ("," + options_json if options_json else "")

    def js(self) -> str:
        return (f"var {self.get_name()}=SalvoMap.{self._kind}("
                f"{self._parent.get_name()},{self._args});")

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        if isinstance(figure, Figure):
            figure.script.add_child(_Text(self.js()), name=self.get_name())


def _rounded(value: object, digits: int) -> object:
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, list):
        return [_rounded(v, digits) for v in value]
    return value


def _shapes(name: str, digits: int, props) -> dict:
    doc = basemap_features(name)
    for feature in doc["features"]:
        feature["properties"] = props(feature["properties"])
        geometry = feature["geometry"]
        geometry["coordinates"] = _rounded(geometry["coordinates"], digits)
    doc.pop("xy_coordinate_resolution", None)
    return doc


def _label_names(lang: str) -> dict[str, str]:
    """English map label → the label in ``lang`` (oblast names from the bundled table)."""
    out = {}
    for feature in basemap_features()["features"]:
        props = feature["properties"]
        english = str(props.get("name", "")).removesuffix(" oblast")
        out[english] = short_oblast_name(str(props.get("iso", "")), english, lang)
    return out


@lru_cache(maxsize=2)
def basemap_shapes_json(lang: str = "en") -> str:
    """Oblasts (~10 m), neighbours (~100 m) and labels: ~420 kB, once per process and
    language; city names from the bundled GeoNames table (Ukrainian: its ``name_uk``)."""
    names = _label_names(lang)
    neighbours = None
    if (DATA_DIR / "countries.geojson").exists():
        neighbours = _shapes("countries.geojson", 3, lambda _p: {})
    oblasts = _shapes("oblasts.geojson", 4, lambda p: {
        "iso": p.get("iso", ""),
        "label": for_map(f"{oblast_name(p.get('iso', ''), p.get('name', ''), lang)} "
                         f"({p.get('iso', '')})")})
    return for_script_json({
        "neighbours": neighbours,
        "oblasts": oblasts,
        "labels": {**LABEL_ZOOMS,
                   "oblasts": [[lat, lon, for_map(names.get(name, name))]
                               for lat, lon, name in oblast_labels()],
                   "cities": [[lat, lon, for_map(name), pop]
                              for lat, lon, name, pop in city_labels(lang)]},
    })


@lru_cache(maxsize=2)
def basemap_url(lang: str = "en") -> str | None:
    """Where the browser fetches :func:`basemap_shapes_json` from (None: not servable here,
    send it inline). The live map sends this URL instead of the shapes: the page's every
    rerun then carries a few kB instead of ~0.4 MB, and a returning reader's browser has
    the file cached."""
    return publish(f"basemap-{lang}.json", basemap_shapes_json(lang))


def basemap_json(tiles: bool, lang: str = "en", src: str | None = None) -> str:
    """The basemap call's data: styles, the fit box and credits, with the shapes inline or,
    given ``src``, the URL static/salvo-map.js fetches them from."""
    (south, west), (north, east) = UKRAINE_BOUNDS
    frame = for_script_json({
        # The classes let static/salvo-map.css repaint land and borders in dark mode.
        "neighbour_style": {"className": "salvo-neighbour", "fillColor": "#f4f4f4",
                            "color": "#b5b5b5", "weight": 1,
                            "fillOpacity": 0.2 if tiles else 1.0},
        "oblast_style": {"className": "salvo-oblast", "fillColor": "#e9e9e4", "color": "#777",
                         "weight": 1, "fillOpacity": 0.25 if tiles else 1.0},
        "bounds": [[south, west], [north, east]],
        "credits": for_map(CREDITS),
        "src": src,
    })
    if src:
        return frame
    # Both halves are escaped JSON objects: splice the shapes in as the "shapes" member.
    return frame[:-1] + ',"shapes":' + basemap_shapes_json(lang) + "}"


def base_map(*, center: tuple[float, float] = UKRAINE_CENTER, zoom: int = UKRAINE_ZOOM,
             tiles: str = "", attribution: str = "", local_assets: bool = True,
             fit: bool = True, lang: str = "en", basemap_src: str | None = None) -> folium.Map:
    """The map frame: neighbours, oblasts and labels from bundled data; tiles only if set.

    ``fit``: show all of Ukraine (Crimea, Zakarpattia, Luhansk) at whatever size the map
    has, once, when it loads; otherwise open at ``center``/``zoom`` (a link's view).
    ``basemap_src``: the URL of the shapes (:func:`basemap_url`) for the live map; None
    puts them in the page (exported HTML stands alone).
    """
    fmap = folium.Map(location=list(center), zoom_start=zoom, tiles=None, control_scale=False,
                      min_zoom=3, max_zoom=14, prefer_canvas=False, zoom_snap=0.25,
                      zoom_delta=0.5)
    if local_assets:
        # Instance attributes: st_folium and get_root().render() both read these.
        fmap.default_js = list(JS_LINKS)
        fmap.default_css = list(CSS_LINKS)
    if tiles:
        folium.TileLayer(tiles=tiles, attr=for_map(attribution or "map tiles"),
                         name="tiles").add_to(fmap)
    options = for_script_json({"fit": bool(fit)})
    LeafletScript("basemap", basemap_json(bool(tiles), lang, basemap_src), options,
                  "basemap").add_to(fmap)
    return fmap


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


def _day(value: object) -> str:
    return str(value)[:10]


def _source_pairs(sources: str) -> list[list[str]]:
    """[[escaped url, escaped host], …] for the http(s) sources (the popup shows hosts)."""
    return [[for_map(url), for_map(urlsplit(url).hostname or url)]
            for url in safe_links(sources)]


POINT_TABLES = ("style", "type", "origin", "certainty", "precision", "verification")


def point_record(row: dict, tables: dict[str, _Table], lang: str = "en") -> list:
    """The escaped pieces of one point's tooltip and popup (assembled in salvo-map.js), our
    own words in ``lang``; the source's words (model, place, sources) as they came."""
    precision, kind = str(row.get("geo_precision")), str(row.get("event_type"))
    verification = str(row.get("verification"))
    group = str(row.get("drawn") or row.get("origin_group") or "unknown")
    certainty = str(row.get("certainty") or certainty_of(group, row.get("origin_basis")))
    return [
        for_map(_day(row.get("event_date"))),
        tables["type"](kind, for_map(code_label("type", row.get("event_type"), lang))),
        for_map(row.get("weapon_model") or ""),
        tables["origin"](group, for_map(origin_label(group, lang))),
        for_map(row.get("location") or ""),
        tables["precision"](precision, for_map(precision_text(precision, lang))),
        tables["verification"](verification, for_map(
            code_label("detail.verified", row.get("verification"), lang))),
        _source_pairs(str(row.get("sources") or "")),
        for_map(row.get("event_id")),
        tables["certainty"](certainty, for_map(certainty_word(certainty, lang))),
        for_map(candidates_text(row.get("origin_candidates"), lang)),
    ]


def candidates_text(cell: object, lang: str = "en") -> str:
    """``PRK:0.7;RUS:0.3`` → ``candidates: PRK 70 %, RUS 30 %`` (what inferred rests on).

    >>> candidates_text("PRK:0.7;RUS:0.3", "uk")
    'кандидати: PRK 70 %, RUS 30 %'
    """
    if cell is None or (isinstance(cell, float) and cell != cell):
        return ""
    try:
        pairs = parse_candidates(str(cell))
    except ValueError:
        return ""
    listed = ", ".join(f"{v} {round(100 * s)} %" for v, s in pairs)
    return translate("map.candidates", lang, list=listed) if pairs else ""


def leaflet_style(group: str, certainty: str, radius: float) -> dict:
    """Leaflet ``circleMarker`` options for one symbol."""
    s = symbol_style(group, certainty)
    return {"radius": radius, "color": s["ring"], "weight": s["weight"], "fill": True,
            "fillColor": s["fill"], "fillOpacity": s["fill_opacity"], "opacity": 1,
            "dashArray": s["dash"]}


def points_json(points: pd.DataFrame, lang: str = "en") -> dict:
    """The points layer's data: lookup tables and one compact record per event."""
    tables = {name: _Table() for name in POINT_TABLES}
    items = []
    for row in points.to_dict("records"):
        precision = str(row["geo_precision"])
        group = str(row.get("drawn") or row.get("origin_group") or "unknown")
        certainty = str(row.get("certainty") or certainty_of(group, row.get("origin_basis")))
        radius = PRECISION_RADIUS.get(precision, PRECISION_RADIUS["exact"])
        style = tables["style"]((group, certainty, radius),
                                leaflet_style(group, certainty, radius))
        items.append([round(float(row["latitude"]), 5), round(float(row["longitude"]), 5),
                      style, point_record(row, tables, lang)])
    return {**{name: table.values for name, table in tables.items()}, "points": items,
            "none": translate("map.no_weapon", lang), "sources": translate("detail.sources", lang),
            "here": translate("map.here_points", lang)}


def grid_json(grid: pd.DataFrame, lang: str = "en") -> dict:
    """Aggregated cells: position, radius, style (dominant origin's colour, drawn by how
    most of its events are known), count and the per-origin breakdown with certainties
    (labels, words and styles sent once); counts written on the largest."""
    found = cells(grid)
    top = max(c.n for c in found)
    labels, words, styles = _Table(), _Table(), _Table()
    rows = []
    for c in found:
        parts = [[labels(g, for_map(origin_label(g, lang))), n,
                  [[words(k, for_map(certainty_word(k, lang))), m] for k, m in known]]
                 for g, n, known in c.parts]
        style = styles((c.dominant, c.certainty), cell_style(c.dominant, c.certainty))
        rows.append([round(c.lat, 5), round(c.lon, 5), round(7 + 17 * (c.n / top) ** 0.5, 1),
                     style, c.n, parts])
    # Counts written on the largest circles (bounded: the payload must not grow with N).
    largest = sorted(found, key=lambda c: (-c.n, c.gy, c.gx))[:150]
    marks = [[round(c.lat, 5), round(c.lon, 5),
              for_map(format_number(c.n, lang) if c.n < 10_000 else f"{c.n / 1000:.0f}k")]
             for c in largest]
    return {"cells": rows, "labels": labels.values, "certainties": words.values,
            "styles": styles.values, "marks": marks, "here": translate("map.here_grid", lang),
            "locale": BROWSER_LOCALES.get(lang, BROWSER_LOCALES["en"])}


def area_style(group: str, certainty: str, share: float) -> dict:
    """Polygon options for a shaded oblast: fill = dominant origin, opacity = how many
    events (``share`` of the busiest oblast), border = certainty (ring colour and dash)."""
    s = symbol_style(group, certainty)
    strength = 0.55 if s["dash"] else 1.0  # inferred origins shade lighter
    opacity = round((0.08 + 0.32 * share ** 0.5) * strength, 3)
    return {"fillColor": s["fill"], "fillOpacity": opacity,
            "color": s["ring"] if certainty != "stated" else s["fill"],
            "weight": max(1.0, s["weight"]), "dashArray": s["dash"] or None, "opacity": 0.9}


def areas_json(plan: MapPlan, lang: str = "en") -> list:
    names = drawn_unit_names()  # once per process: this runs on every map rerun
    shades = [s for s in shading(plan) if s.iso in names]
    if not shades:
        return []
    top = max(s.n for s in shades)
    out = []
    for s in shades:
        parts = ", ".join(f"{origin_label(g, lang)} {format_number(n, lang)} "
                          f"({certainty_word(c, lang)})" for g, c, n in s.breakdown)
        text = translate("map.area_tip", lang, name=oblast_name(s.iso, names[s.iso] or s.iso, lang),
                         n=s.n, parts=parts)
        out.append([s.iso, for_map(text), area_style(s.group, s.certainty, s.n / top)])
    return out


Scripts = tuple[tuple[str, str, str], ...]


def layer_scripts(plan: MapPlan, lang: str = "en") -> Scripts:
    """(feature group, ``SalvoMap`` call, JSON or '' for an empty layer) of each dynamic
    layer, areas below symbols: plain strings, so the app can cache them per filter.

    Points: one symbol per event (colour = origin, fill/ring = certainty, size = precision;
    events sharing a spot are one symbol with a badge that spreads them out). Grid: one
    circle per cell at its events' mean position, sized by count, in the main origin's
    colour drawn by how its events are known, the count written on it. Areas: oblasts
    shaded by their oblast-level events; the outlines come from the basemap already in the
    browser, so a filter change does not resend ~250 kB of polygons.
    """
    areas = areas_json(plan, lang)
    if plan.mode == "points":
        top = ("events", "points",
               for_script_json(points_json(plan.points, lang)) if not plan.points.empty else "")
    else:
        top = ("aggregated events", "grid",
               for_script_json(grid_json(plan.grid, lang)) if not plan.grid.empty else "")
    return (("oblast-level events", "areas", for_script_json(areas) if areas else ""), top)


def layers_from(scripts: Scripts) -> list[folium.FeatureGroup]:
    """The feature groups st_folium adds to the map, from :func:`layer_scripts`."""
    out = []
    for name, kind, data in scripts:
        group = folium.FeatureGroup(name=name)
        if data:
            LeafletScript(kind, data, name=kind).add_to(group)
        out.append(group)
    return out


def layers(plan: MapPlan, lang: str = "en") -> list[folium.FeatureGroup]:
    """The dynamic layers for ``plan`` (areas below symbols)."""
    return layers_from(layer_scripts(plan, lang))


def legend_json(plan: MapPlan, certainty: str | None, lang: str = "en") -> str:
    """The phone legend's JSON. Its texts stay plain (salvo-map.js sets them with
    ``textContent``, never as HTML); ``{{``, ``{%`` and ``{#`` are written as ``\\u007b…``
    so the script stays inert should a Jinja template ever see it (JSON itself never has a
    brace after a brace, so every such pair is inside a string)."""
    text = for_script_json(legend_data(plan, certainty, lang, short=True))
    return re.sub(r"\{(?=[{%#])", r"\\u007b", text)


def legend_layer(plan: MapPlan, certainty: str | None, lang: str = "en") -> folium.FeatureGroup:
    """The collapsible legend over the map (shown on a narrow map only, see salvo-map.css);
    a layer, so it follows the filters like the symbols do."""
    group = folium.FeatureGroup(name="legend")
    LeafletScript("legend", legend_json(plan, certainty, lang), name="legend").add_to(group)
    return group


def source_links_html(sources: str) -> str:
    """Clickable source links for a popup or panel (http(s) only)."""
    return " ".join(link_html(url) for url in safe_links(sources))
