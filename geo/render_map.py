"""The static map export: the app's map as a Vega-Lite geoshape chart, drawn by vl-convert.

Same rules as the interactive map (:mod:`geo.maps`): the layer plan comes from
:func:`geo.maps.plan_map` with the same ``max_points``, so the counts match the app; only
``exact``/``settlement``/``district`` events with coordinates are symbols (sized and
stroked like the app's circles); oblast-level events shade their oblast; above
``max_points`` the points are aggregated like the app at the equivalent zoom (one numbered
circle per grid cell at the events' mean position, coloured by the most common origin);
colours come from :mod:`geo.origins`.

The layout is explicit (:func:`geo.render.layout`, no auto-fit): the view sits at a known
pixel offset under the title and caption with the legends on the right, with a Mercator
projection computed in Python. That gives an image of exactly the requested size and lets
:mod:`geo.animate` draw the moving layers separately and paste them onto one base frame.
"""

from __future__ import annotations

import math
from functools import lru_cache

import pandas as pd

from geo.cartography import (
    credits_layer,
    north_arrow_layers,
    scale_bar_layers,
    title_from_filters,
)
from geo.citation import Context
from geo.maps import PRECISION_STYLE, MapPlan, aggregate_cells
from geo.origins import origin_colour, origin_label, sort_groups
from geo.render import (
    INK,
    MARGIN,
    Frame,
    ImageOptions,
    caption_lines,
    header_height,
    header_layers,
    layout,
    legend_width,
    shapes,
    title_text,
    vega_spec,
    vega_to_image,
    vega_to_pdf,
    vega_to_svg,
    wrap_title,
)

VL_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # an identifier, never fetched

WATER = "#e4ecf1"
NEIGHBOUR_FILL, NEIGHBOUR_LINE = "#f4f4f4", "#b5b5b5"
OBLAST_FILL, OBLAST_LINE = "#e9e9e4", "#777777"
AREA_FILL, AREA_LINE = "#e6550d", "#a63603"

PRECISIONS = ("exact", "settlement", "district")
PRECISION_LABEL = {
    "exact": "exact point",
    "settlement": "settlement centre",
    "district": "district centre (approx.)",
}
MAP_TITLE = "Strike and impact events by weapon origin"
PRECISION_LEGEND = "Location precision"
ORIGIN_LEGEND = "Weapon origin"
AREA_LEGEND = "Oblast-level events"
CELL_LEGEND = "Most common origin"


def _blend(colour: str, alpha: float, under: str = OBLAST_FILL) -> str:
    """``colour`` at ``alpha`` over ``under``, as the app's translucent fills look."""
    a = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(under[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(alpha * x + (1 - alpha) * y):02x}" for x, y in zip(a, b,
                                                                                    strict=True))


# ---- layers -------------------------------------------------------------------------------
def basemap_layers(frame: Frame) -> list[dict]:
    return [
        {"data": {"values": [{}]},
         "mark": {"type": "rect", "x": 0, "y": 0, "x2": frame.view_w, "y2": frame.view_h,
                  "fill": WATER}},
        {"data": {"values": shapes("countries.geojson", frame)},
         "mark": {"type": "geoshape", "fill": NEIGHBOUR_FILL, "stroke": NEIGHBOUR_LINE,
                  "strokeWidth": 0.8}},
        {"data": {"values": shapes("oblasts.geojson")},
         "mark": {"type": "geoshape", "fill": OBLAST_FILL, "stroke": OBLAST_LINE,
                  "strokeWidth": 0.7}},
    ]


@lru_cache(maxsize=1)
def _oblast_geometries() -> tuple[tuple[str, dict], ...]:
    """(iso, d3-oriented geometry) per oblast, parsed once (treat as read-only)."""
    return tuple((str(f["properties"].get("iso")), f["geometry"])
                 for f in shapes("oblasts.geojson"))


def area_features(areas: pd.DataFrame) -> list[dict]:
    """Oblast shapes with their count of oblast-level events (oblasts we have shapes for)."""
    counts = {} if areas.empty else {str(k): int(v) for k, v in
                                     zip(areas["iso"], areas["n"], strict=True)}
    return [{"type": "Feature", "geometry": geometry, "properties": {"n": counts[iso]}}
            for iso, geometry in _oblast_geometries() if iso in counts]


def area_layer(areas: pd.DataFrame, top: int) -> dict:
    """Oblasts shaded by their oblast-level event count (the app's sqrt opacity ramp)."""
    return {
        "data": {"values": area_features(areas)},
        "mark": {"type": "geoshape", "stroke": AREA_LINE, "strokeWidth": 1,
                 "strokeDash": [3, 3]},
        "encoding": {"color": {
            "field": "properties.n", "type": "quantitative", "title": AREA_LEGEND,
            "scale": {"type": "sqrt", "domain": [0, max(top, 1)], "zero": True,
                      "range": [_blend(AREA_FILL, 0.08), _blend(AREA_FILL, 0.48)]},
            "legend": {"gradientLength": 110, "tickCount": 4, "format": ",d"},
        }},
    }


def cell_rows(grid: pd.DataFrame, top: int | None = None) -> list[dict]:
    """Aggregated cells as the app draws them: a circle at the events' mean position, radius
    7–24 px by √count (relative to ``top``), colour of the most common origin."""
    if grid.empty:
        return []
    cells = aggregate_cells(grid)
    top = top or int(cells["n"].max())
    return [{"lon": round(c.lon, 5), "lat": round(c.lat, 5), "n": int(c.n),
             "label": f"{c.n:,}" if c.n < 10_000 else f"{c.n / 1000:.0f}k",
             "size": round(math.pi * (7 + 17 * min(1.0, c.n / top) ** 0.5) ** 2, 1),
             "origin": origin_label(c.dominant)}
            for c in cells.sort_values(["n", "gy", "gx"], ascending=[False, True, True])
            .itertuples(index=False)]


def cell_groups(grid: pd.DataFrame) -> list[str]:
    return sort_groups(aggregate_cells(grid)["dominant"]) if not grid.empty else []


def cells_layers(rows: list[dict], groups: list[str], *, legend: bool = True,
                 labels: int = 150) -> list[dict]:
    """Numbered circles (largest drawn first, counts written on the biggest ``labels``)."""
    domain = [origin_label(g) for g in groups]
    circles = {
        "data": {"values": rows},
        "mark": {"type": "point", "shape": "circle", "filled": True, "fillOpacity": 0.75,
                 "stroke": "#ffffff", "strokeWidth": 1.5},
        "encoding": {
            "longitude": {"field": "lon", "type": "quantitative"},
            "latitude": {"field": "lat", "type": "quantitative"},
            "size": {"field": "size", "type": "quantitative", "scale": None},
            "fill": _channel("origin", domain, [origin_colour(g) for g in groups],
                             CELL_LEGEND, legend),
            "order": {"field": "n", "type": "quantitative", "sort": "descending"},
        },
    }
    text = {"type": "text", "fontSize": 11, "fontWeight": "bold", "baseline": "middle",
            "align": "center"}
    where = {"longitude": {"field": "lon", "type": "quantitative"},
             "latitude": {"field": "lat", "type": "quantitative"},
             "text": {"field": "label", "type": "nominal"}}
    halo = {"data": {"values": rows[:labels]}, "encoding": where,
            "mark": {**text, "fill": None, "stroke": "#000000", "strokeWidth": 3,
                     "strokeOpacity": 0.45, "strokeJoin": "round"}}
    label = {"data": {"values": rows[:labels]}, "encoding": where,
             "mark": {**text, "fill": "#ffffff"}}
    return [circles, halo, label]


def point_rows(points: pd.DataFrame) -> list[dict]:
    """Only what a symbol needs (no free text reaches the image)."""
    if points.empty:
        return []
    rank = {p: i for i, p in enumerate(reversed(PRECISIONS))}  # big circles underneath
    frame = points.assign(rank_=points["geo_precision"].map(rank).fillna(0))
    frame = frame.sort_values(["rank_", "event_date", "event_id"], kind="stable")
    return [{"lon": round(float(r.longitude), 5), "lat": round(float(r.latitude), 5),
             "origin": origin_label(str(r.origin_group)),
             "precision": PRECISION_LABEL.get(str(r.geo_precision), PRECISION_LABEL["exact"]),
             "rank": int(r.rank_)}
            for r in frame.itertuples(index=False)]


def _channel(field: str, domain: list, values: list, title: str, legend: bool) -> dict:
    out = {"field": field, "type": "nominal", "title": title,
           "scale": {"domain": domain, "range": values}}
    if not legend:
        out["legend"] = None
    return out


def points_layer(rows: list[dict], groups: list[str], *, legend: bool = True,
                 opacity: float = 1.0) -> dict:
    """Circles like the app's: colour = origin; size, fill and dash = precision."""
    domain = [origin_label(g) for g in groups]
    colours = [origin_colour(g) for g in groups]
    labels = [PRECISION_LABEL[p] for p in PRECISIONS]
    styles = [PRECISION_STYLE[p] for p in PRECISIONS]  # (radius, fill opacity, weight, dash)
    encoding = {
        "longitude": {"field": "lon", "type": "quantitative"},
        "latitude": {"field": "lat", "type": "quantitative"},
        "fill": _channel("origin", domain, colours, ORIGIN_LEGEND, legend),
        "stroke": _channel("origin", domain, colours, ORIGIN_LEGEND, legend),
        "size": _channel("precision", labels, [round(math.pi * s[0] ** 2, 1) for s in styles],
                         PRECISION_LEGEND, legend),
        "fillOpacity": _channel("precision", labels, [s[1] for s in styles],
                                PRECISION_LEGEND, legend),
        "strokeWidth": _channel("precision", labels, [s[2] for s in styles],
                                PRECISION_LEGEND, legend),
        "strokeDash": _channel("precision", labels,
                               [[float(x) for x in s[3].split()] if s[3] else [1, 0]
                                for s in styles], PRECISION_LEGEND, legend),
        "order": {"field": "rank", "type": "quantitative"},
    }
    return {"data": {"values": rows},
            "mark": {"type": "point", "shape": "circle", "filled": True,
                     "opacity": opacity},
            "encoding": encoding}


def mask_layers(frame: Frame) -> list[dict]:
    """White bands over the margins: shapes that spill out of the view are hidden.

    Cheaper than clipping: an SVG clip path makes the rasteriser mask every clipped group
    (five times slower for this map). Legends and the title are drawn after these.
    """
    w, h, pad = frame.view_w, frame.view_h, frame.padding
    boxes = [(-pad["left"], -pad["top"], w + pad["right"], 0),
             (-pad["left"], h, w + pad["right"], h + pad["bottom"]),
             (-pad["left"], 0, 0, h), (w, 0, w + pad["right"], h)]
    return [{"data": {"values": [{}]},
             "mark": {"type": "rect", "x": x, "y": y, "x2": x2, "y2": y2, "fill": "white"}}
            for x, y, x2, y2 in boxes]


def note_layer(text: str, frame: Frame) -> dict:
    return {"data": {"values": [{}]},
            "mark": {"type": "text", "text": text, "x": frame.view_w / 2, "y": frame.view_h / 2,
                     "align": "center", "fontSize": 14, "color": INK}}


def legend_config(frame: Frame) -> dict:
    return {"orient": "right", "offset": 14, "labelFontSize": 11, "titleFontSize": 12,
            "labelLimit": frame.right - 60, "titleLimit": frame.right - 24, "rowPadding": 3,
            "symbolType": "circle", "titleColor": INK, "labelColor": INK, "zindex": 1}


def spec(frame: Frame, layers: list[dict], *, transparent: bool = False,
         legends: bool = True) -> dict:
    out = {
        "$schema": VL_SCHEMA,
        "width": frame.view_w, "height": frame.view_h,
        "autosize": {"type": "none"},
        "padding": {"left": 0, "top": 0, "right": 0, "bottom": 0} if transparent
        else frame.padding,
        "background": None if transparent else "white",
        "projection": frame.projection(),
        "layer": layers,
        "resolve": {"scale": {"color": "independent"}},
        "config": {"view": {"stroke": None}, "legend": legend_config(frame)
                   if legends else {"disable": True}},
    }
    return out


def style_precision_legend(vega: dict) -> dict:
    """Give the precision legend the symbols' look (Vega-Lite can't: no fillOpacity legend).

    Grey circles whose size, fill opacity, stroke width and dash follow the precision, so the
    key reads like the map: solid dot, pale ring, large dashed circle.
    """
    scales = {s.get("name"): s for s in vega.get("scales", [])}
    fill_scale = next((name for name, s in scales.items()
                       if s.get("domain") == [PRECISION_LABEL[p] for p in PRECISIONS]
                       and s.get("range") == [PRECISION_STYLE[p][1] for p in PRECISIONS]), None)
    for legend in vega.get("legends", []):
        if legend.get("title") != PRECISION_LEGEND:
            continue
        update = legend.setdefault("encode", {}).setdefault("symbols", {}).setdefault("update",
                                                                                       {})
        update["fill"] = {"value": "#555555"}
        update["stroke"] = {"value": "#333333"}
        update["opacity"] = {"value": 1}
        if fill_scale:
            update["fillOpacity"] = {"scale": fill_scale, "field": "value"}
    return vega


def counts_text(plan: MapPlan, ctx: Context) -> str:
    k = plan.kinds
    drawn = (f"{k['point']:,} aggregated into numbered circles (size = count, colour = "
             "the most common origin)" if plan.mode == "grid" else f"{k['point']:,} as points")
    if plan.mode == "points" and plan.shown_points < k["point"]:
        drawn = f"{plan.shown_points:,} of {k['point']:,} as points (in and around this view)"
    return (f"{ctx.total:,} events: {drawn}, {k['area']:,} shaded by oblast (located only to "
            f"an oblast), {k['none']:,} without a map location (timeline only).")


def origin_breakdown(plan: MapPlan) -> tuple[str, ...]:
    if plan.mode != "grid" or plan.grid.empty:
        return ()
    totals = plan.grid.groupby("origin_group")["n"].sum()
    parts = [f"{origin_label(g)} {int(totals[g]):,}" for g in sort_groups(totals.index)]
    return ("Aggregated points by origin: " + "; ".join(parts) + ".",)


def plan_groups(plan: MapPlan) -> list[str]:
    return sort_groups(plan.points["origin_group"].astype(str)) if not plan.points.empty else []


def dynamic_layers(plan: MapPlan) -> list[dict]:
    """Shaded oblasts, then numbered circles or event points, for ``plan``."""
    layers = []
    if not plan.areas.empty:
        layers.append(area_layer(plan.areas, int(plan.areas["n"].max())))
    if plan.mode == "grid":
        if not plan.grid.empty:
            layers += cells_layers(cell_rows(plan.grid), cell_groups(plan.grid))
    elif not plan.points.empty:
        layers.append(points_layer(point_rows(plan.points), plan_groups(plan)))
    return layers


# ---- the image (pure: a plan and a context in, a spec out) ----------------------------------
def probe_frame(options: ImageOptions, fmt: str = "png-map") -> Frame:
    """A first layout (before the caption is known) to choose the zoom the plan uses."""
    width, height = options.size(fmt)
    return layout(width, height, 120, options.view)


def needs_bbox(options: ImageOptions) -> bool:
    """A link's centre limits the points fetched to the view (as the app does)."""
    return options.view is not None and options.view.lat is not None


def legend_labels(plan: MapPlan) -> tuple[list[str], list[str]]:
    """(labels, titles) the legends will show, to size the legend column."""
    groups = cell_groups(plan.grid) if plan.mode == "grid" else plan_groups(plan)
    labels = [origin_label(g) for g in groups]
    titles = [CELL_LEGEND if plan.mode == "grid" else ORIGIN_LEGEND]
    if plan.mode == "points" and not plan.points.empty:
        labels += list(PRECISION_LABEL.values())
        titles.append(PRECISION_LEGEND)
    if not plan.areas.empty:
        titles.append(AREA_LEGEND)
    return labels, titles


def frame_for(plan: MapPlan, ctx: Context, options: ImageOptions) -> tuple[Frame, list[str]]:
    """The layout and caption lines for ``plan`` (the caption's length sets the view)."""
    width, height = options.size("png-map")
    lines = caption_lines(ctx, counts_text(plan, ctx), width - 2 * MARGIN,
                          extra=origin_breakdown(plan))
    right = legend_width(*legend_labels(plan))
    rows = len(wrap_title(map_title(options, ctx), width - 2 * MARGIN))
    return layout(width, height, header_height(lines, rows), options.view, right), lines


def furniture_layers(frame: Frame, ctx: Context) -> list[dict]:
    """Scale bar, north arrow and credits (drawn over the masks, under the legends)."""
    return scale_bar_layers(frame) + north_arrow_layers(frame) + credits_layer(ctx.credits,
                                                                               frame)


def map_title(options: ImageOptions, ctx: Context) -> str:
    return title_text(options, title_from_filters(ctx.pinned))


def map_spec(plan: MapPlan, ctx: Context, options: ImageOptions) -> dict:
    """The Vega spec of the static map (compiled from Vega-Lite, legend styled)."""
    frame, lines = frame_for(plan, ctx, options)
    layers = basemap_layers(frame) + dynamic_layers(plan) + mask_layers(frame)
    if plan.kinds["point"] + plan.kinds["area"] == 0:
        layers.append(note_layer("No events with a map location match these filters.", frame))
    layers += furniture_layers(frame, ctx)
    layers += header_layers(wrap_title(map_title(options, ctx), frame.width - 2 * MARGIN),
                            lines, frame.top)
    return style_precision_legend(vega_spec(spec(frame, layers)))


def render_map_png(plan: MapPlan, ctx: Context, options: ImageOptions) -> bytes:
    width, height = options.size("png-map")
    return vega_to_image(map_spec(plan, ctx, options), width, height, options.scale,
                         options.dpi)


def render_map_svg(plan: MapPlan, ctx: Context, options: ImageOptions) -> bytes:
    """The same image as SVG, its text as text (searchable, editable in print layout)."""
    return vega_to_svg(map_spec(plan, ctx, options)).encode("utf-8")


def render_map_pdf(plan: MapPlan, ctx: Context, options: ImageOptions) -> bytes:
    """The same image as a vector PDF for print."""
    return vega_to_pdf(map_spec(plan, ctx, options))
