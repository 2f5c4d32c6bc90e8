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

from functools import lru_cache

from geo.cartography import (
    city_layers,
    credits_layer,
    north_arrow_layers,
    scale_bar_layers,
    title_from_filters,
)
from geo.citation import Context
from geo.i18n import translate
from geo.map_symbols import (
    cell_groups,
    cell_rows,
    cells_layers,
    certainty_texts,
    even_ticks,
    legend_title,
    point_groups,
    point_legend_layers,
    point_rows,
    points_layer,
    precision_labels,
    raw_channel,
    stack_layers,
    stack_rows,
    style_precision_legend,
)
from geo.mapplan import MapPlan, cells, shading
from geo.origins import (
    CERTAINTIES,
    codes_of,
    origin_label,
    sort_groups,
    symbol_style,
)
from geo.render import (
    INK,
    MARGIN,
    Frame,
    ImageOptions,
    caption_lines,
    credit_rows,
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
AREA_LINE = "#555555"

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


def _blend(colour: str, alpha: float, under: str = OBLAST_FILL) -> str:
    """``colour`` at ``alpha`` over ``under``, as an opaque colour. Opaque on purpose: the
    GIF pastes frames drawn on a transparent view, and vl-convert's PNG clamps translucent
    colour channels to their alpha (a half-transparent blue comes out teal)."""
    a = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(under[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(alpha * x + (1 - alpha) * y):02x}"
                         for x, y in zip(a, b, strict=True))


def area_alpha(n: int, top: int) -> float:
    """How strongly an oblast is shaded: linear in its count (even legend steps)."""
    return round(0.1 + 0.5 * min(1.0, n / max(top, 1)), 3)


def area_features(plan: MapPlan, top: int | None = None) -> list[dict]:
    """Shaded oblasts as the app draws them (:func:`geo.mapplan.shading`): the fill is the
    most common origin among the oblast's oblast-level events, stronger with more of them
    (relative to ``top``); the border says how that origin is known (ambiguous: the second
    origin's colour; inferred: dashed)."""
    shades = {s.iso: s for s in shading(plan)}
    top = top or max((s.n for s in shades.values()), default=1)
    out = []
    for iso, geometry in _oblast_geometries():
        if iso not in shades:
            continue
        shade = shades[iso]
        style = symbol_style(shade.group, shade.certainty)
        ring = style["ring"] if shade.certainty != "stated" else AREA_LINE
        dash = [float(x) for x in style["dash"].split()] if style["dash"] else [1, 0]
        fill = _blend(style["fill"], area_alpha(shade.n, top))
        out.append({"type": "Feature", "geometry": geometry,
                    "properties": {"n": shade.n, "fill": fill, "ring": ring,
                                   "dash": dash, "w": round(max(0.8, style["weight"] * 0.8), 2)}})
    return out


def area_groups(plan: MapPlan) -> list[str]:
    return sort_groups(s.group for s in shading(plan))


def area_top(plan: MapPlan) -> int:
    return max((s.n for s in shading(plan)), default=0)


def area_layer(features: list[dict], top: int, lang: str = "en") -> list[dict]:
    """Oblasts filled with the colour of their most common origin, stronger with more
    oblast-level events; and the legend of that ramp (grey squares, even steps)."""
    values = even_ticks(max(top, 1))
    return [
        {"data": {"values": features}, "mark": {"type": "geoshape"},
         "encoding": {"fill": raw_channel("properties.fill"),
                      "stroke": raw_channel("properties.ring"),
                      "strokeDash": raw_channel("properties.dash"),
                      "strokeWidth": raw_channel("properties.w", "quantitative")}},
        # The key only: Vega legends have no fill-opacity channel, so grey squares whose
        # opacity follows the same ramp.
        {"data": {"values": []},
         "mark": {"type": "point", "shape": "square", "filled": True, "fill": "#555555"},
         "encoding": {
             "longitude": {"field": "lon", "type": "quantitative"},
             "latitude": {"field": "lat", "type": "quantitative"},
             "opacity": {"field": "n", "type": "ordinal", "title": legend_title("area", lang),
                         "scale": {"type": "ordinal", "domain": values,
                                   "range": [area_alpha(v, top) for v in values]},
                         "legend": {"values": values, "symbolType": "square",
                                    "symbolSize": 160, "symbolStrokeWidth": 0}}}},
    ]


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
            "labelLimit": frame.right - 46, "titleLimit": frame.right - 24, "rowPadding": 3,
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
        # Raw-valued channels (scale null) and legend-only layers must not share scales.
        "resolve": {"scale": {c: "independent" for c in (
            "color", "fill", "stroke", "size", "opacity", "fillOpacity", "strokeWidth",
            "strokeDash")}},
        "config": {"view": {"stroke": None}, "legend": legend_config(frame)
                   if legends else {"disable": True}},
    }
    return out


def counts_text(plan: MapPlan, ctx: Context, lang: str = "en") -> str:
    k = plan.kinds
    if lang != "en":
        return _counts_text_in(plan, ctx, lang)
    drawn = (f"{k['point']:,} aggregated into numbered circles (size = count, colour = "
             "the most common origin)" if plan.mode == "grid" else
             f"{k['point']:,} as points")
    if plan.mode == "points" and stack_rows(point_rows(plan.points)):
        drawn += " (×N: N events at one place)"
    if plan.mode == "points" and plan.shown_points < k["point"]:
        drawn = f"{plan.shown_points:,} of {k['point']:,} as points (in and around this view)"
    return (f"{ctx.total:,} events: {drawn}, {k['area']:,} shaded by oblast (located only to "
            f"an oblast), {k['none']:,} without a map location (timeline only).")


def _counts_text_in(plan: MapPlan, ctx: Context, lang: str) -> str:
    k = plan.kinds
    if plan.mode == "grid":
        drawn = translate("caption.drawn.grid", lang, n=k['point'])
    elif plan.shown_points < k["point"]:
        drawn = translate("caption.drawn.partial", lang, shown=plan.shown_points,
                          n=k['point'])
    else:
        drawn = translate("caption.drawn.points", lang, n=k['point'])
        if stack_rows(point_rows(plan.points)):
            drawn += translate("caption.drawn.stacked", lang)
    return translate("caption.map_counts", lang, total=ctx.total, drawn=drawn,
                     area=k['area'], none=k['none'])


def origin_breakdown(plan: MapPlan, lang: str = "en") -> tuple[str, ...]:
    if plan.mode != "grid" or plan.grid.empty:
        return ()
    totals = plan.grid.groupby("origin_group")["n"].sum()
    parts = [f"{origin_label(g, lang)} {int(totals[g]):,}" for g in sort_groups(totals.index)]
    return (translate("caption.breakdown", lang, parts="; ".join(parts)),)


def plan_groups(plan: MapPlan) -> list[str]:
    """Origins whose colours the symbols and the shaded oblasts use, one per country (an
    ambiguous RUS;PRK is drawn in both colours: fill and ring), in legend order."""
    groups = point_groups(point_rows(plan.points)) if plan.mode == "points" else []
    return sort_groups([*groups, *(c for g in area_groups(plan) for c in codes_of(g) or
                                   ["unknown"])])


def plan_certainties(plan: MapPlan) -> list[str]:
    """How-known styles drawn by the symbols or circles and the shaded oblasts (fixed
    order)."""
    used = {r["certainty"] for r in point_rows(plan.points)} if plan.mode == "points" else \
        {c.certainty for c in cells(plan.grid)}
    used |= {s.certainty for s in shading(plan)}
    return [c for c in CERTAINTIES if c in used]


def dynamic_layers(plan: MapPlan, frame: Frame, lang: str = "en") -> list[dict]:
    """Shaded oblasts, city labels, then numbered circles or event points, for ``plan``;
    then the legends' carrier layers (texts in ``lang``)."""
    layers = []
    if area_top(plan):
        layers += area_layer(area_features(plan), area_top(plan), lang)
    layers += city_layers(frame, lang)
    points = plan.mode == "points" and not plan.points.empty
    if plan.mode == "grid" and not plan.grid.empty:
        layers += cells_layers(cell_rows(plan.grid, lang=lang), cell_groups(plan.grid),
                               lang=lang)
    elif points:
        rows = point_rows(plan.points)
        layers.append(points_layer(rows))
        layers += stack_layers(rows)
    if points or area_top(plan):
        layers += point_legend_layers(plan_groups(plan), plan_certainties(plan),
                                      precision=points, lang=lang)
    elif plan.mode == "grid" and not plan.grid.empty:
        # The circles' origin key is their own; the how-known key is the points' one.
        layers += point_legend_layers([], plan_certainties(plan), precision=False, lang=lang)
    return layers


# ---- the image (pure: a plan and a context in, a spec out) ----------------------------------
def probe_frame(options: ImageOptions, fmt: str = "png-map") -> Frame:
    """A first layout (before the caption is known) to choose the zoom the plan uses."""
    width, height = options.size(fmt)
    return layout(width, height, 120, options.view)


def needs_bbox(options: ImageOptions) -> bool:
    """A link's centre limits the points fetched to the view (as the app does)."""
    return options.view is not None and options.view.lat is not None


def legend_labels(plan: MapPlan, lang: str = "en") -> tuple[list[str], list[str]]:
    """(labels, titles) the legends will show, to size the legend column."""
    groups = plan_groups(plan) + (cell_groups(plan.grid) if plan.mode == "grid" else [])
    labels = [origin_label(g, lang) for g in groups]
    titles = [legend_title("cell" if plan.mode == "grid" else "origin", lang),
              legend_title("certainty", lang)]
    labels += [certainty_texts(lang)[c] for c in plan_certainties(plan)]
    if plan.mode == "points" and not plan.points.empty:
        labels += list(precision_labels(lang).values())
        titles.append(legend_title("precision", lang))
    if not plan.areas.empty:
        titles.append(legend_title("area", lang))
    return labels, titles


def frame_for(plan: MapPlan, ctx: Context, options: ImageOptions) -> tuple[Frame, list[str]]:
    """The layout and caption lines for ``plan`` (the caption's length sets the view)."""
    width, height = options.size("png-map")
    lines = caption_lines(ctx, counts_text(plan, ctx, options.lang), width - 2 * MARGIN,
                          lang=options.lang,
                          extra=origin_breakdown(plan, options.lang))
    right = legend_width(*legend_labels(plan, options.lang))
    rows = len(wrap_title(map_title(options, ctx), width - 2 * MARGIN))
    footer = len(credit_rows(ctx.credits, width - 2 * MARGIN))
    return layout(width, height, header_height(lines, rows), options.view, right,
                  footer), lines


def furniture_layers(frame: Frame, ctx: Context, lang: str = "en") -> list[dict]:
    """Scale bar, north arrow and credits (drawn over the masks, under the legends)."""
    return (scale_bar_layers(frame, lang) + north_arrow_layers(frame, lang)
            + credits_layer(ctx.credits, frame))


def map_title(options: ImageOptions, ctx: Context) -> str:
    return title_text(options, title_from_filters(ctx.pinned, lang=options.lang))


def map_spec(plan: MapPlan, ctx: Context, options: ImageOptions) -> dict:
    """The Vega spec of the static map (compiled from Vega-Lite, legend styled)."""
    frame, lines = frame_for(plan, ctx, options)
    lang = options.lang
    layers = basemap_layers(frame) + dynamic_layers(plan, frame, lang) + mask_layers(frame)
    if plan.kinds["point"] + plan.kinds["area"] == 0:
        layers.append(note_layer(translate("legend.no_location", lang), frame))
    layers += furniture_layers(frame, ctx, lang)
    layers += header_layers(wrap_title(map_title(options, ctx), frame.width - 2 * MARGIN),
                            lines, frame.top)
    return style_precision_legend(vega_spec(spec(frame, layers)), lang)


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
