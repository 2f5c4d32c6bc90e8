"""The GIF export: the map over the selected period, events appearing step by step.

Each frame is the map for the *cumulative* range [start, end of the step] — the same plan
(:func:`geo.maps.plan_map`) the app would show for those dates — with this step's points
drawn in full and earlier ones faded, and a date stamp. Legend scales (origin colours, the
oblast and grid ramps) are fixed from the last frame, so a colour means the same count in
every frame.

Rendering: the static part (title, caption, basemap, legends) is drawn once; per frame only
the moving layers are drawn on a transparent view and pasted onto it (same projection, same
pixel offset). Frames are capped at ``max_frames`` (default 120): past that the step gets
coarser (day → week → month → several months). All frames share one palette.
"""

from __future__ import annotations

import io
import json
import math
import re
from datetime import date, timedelta

from PIL import Image

from geo.cartography import city_layers
from geo.citation import Context
from geo.i18n import format_date, format_month, translate
from geo.map_symbols import (
    cell_rows,
    cells_layers,
    point_legend_layers,
    point_rows,
    points_layer,
    style_precision_legend,
)
from geo.mapplan import MapPlan
from geo.origins import sort_groups
from geo.render import (
    INK,
    MARGIN,
    MUTED,
    Frame,
    ImageOptions,
    caption_lines,
    credit_rows,
    header_height,
    header_layers,
    layout,
    vega_spec,
    vega_to_rgba,
    vega_to_svg,
    wrap_title,
)
from geo.render_map import (
    area_features,
    area_layer,
    area_top,
    basemap_layers,
    furniture_layers,
    map_title,
    mask_layers,
    plan_certainties,
    plan_groups,
    spec,
)

FRAME_MS = 300
LAST_FRAME_MS = 2500
# One index stays free: Pillow marks pixels unchanged since the previous frame with it,
# which is what keeps a long animation small.
PALETTE_SIZE = 255
EARLIER_OPACITY = 0.5


# ---- periods ------------------------------------------------------------------------------
def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _starts(first: date, last: date, step: str, months: int = 1) -> list[date]:
    if step == "day":
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]
    if step == "week":  # Monday-aligned, like the store's week bins
        monday = first - timedelta(days=first.weekday())
        return [max(first, monday + timedelta(weeks=i))
                for i in range((last - monday).days // 7 + 1)]
    start = first.replace(day=1)
    count = ((last.year - start.year) * 12 + last.month - start.month) // months + 1
    return [max(first, _add_months(start, i * months)) for i in range(count)]


def periods(first: date, last: date, step: str = "auto", max_frames: int = 120
            ) -> tuple[str, list[tuple[date, date]]]:
    """(step used, [(start, end)…]) covering first..last in at most ``max_frames`` steps."""
    if last < first:
        first, last = last, first
    order = ["day", "week", "month"]
    if step not in order:
        span = (last - first).days
        step = "day" if span <= 45 else "week" if span <= 7 * max_frames else "month"
    months = 1
    starts = _starts(first, last, step)
    while len(starts) > max_frames:
        if step != "month":
            step = order[order.index(step) + 1]
        else:
            total = (last.year - first.year) * 12 + last.month - first.month + 1
            months = math.ceil(total / max_frames)
        starts = _starts(first, last, step, months)
    ends = [s - timedelta(days=1) for s in starts[1:]] + [last]
    label = f"{months} months" if months > 1 else step
    return label, list(zip(starts, ends, strict=True))


def period_label(start: date, end: date, step: str, lang: str = "en") -> str:
    """The frame's date stamp: ISO dates in English (as before), words in Ukrainian."""
    if lang == "en":
        if start == end:
            return start.isoformat()
        if step == "month":
            return start.strftime("%Y-%m")
        return f"{start.isoformat()} – {end.isoformat()}"
    if start == end:
        return format_date(start, lang)
    if step == "month":
        return format_month(start, lang)
    # "12–18 вересня 2023", "28 вересня – 4 жовтня 2023": one year and month said once.
    left = format_date(start, lang).rsplit(" ", 1)[0] if start.year == end.year else \
        format_date(start, lang)
    if start.year == end.year and start.month == end.month:
        return f"{start.day}–{format_date(end, lang)}"
    return f"{left} – {format_date(end, lang)}"


def _day(value: date, lang: str) -> str:
    return value.isoformat() if lang == "en" else format_date(value, lang)


def step_word(step: str, lang: str) -> str:
    """"week" / "тиждень"; "3 months" / "3 міс." (the step :func:`periods` chose)."""
    if lang == "en":
        return step
    if step in ("day", "week", "month"):
        return translate(f"export.step.{step}", lang)
    return translate("caption.gif.months", lang, n=step.split()[0])


# ---- frames -------------------------------------------------------------------------------
STAMP_WIDTH = 300


def stamp_layers(width: int = STAMP_WIDTH) -> list[dict]:
    """A date stamp in the view's top-left corner, its text from the ``stamp`` dataset
    (``width``: the box, wide enough for the longest stamp)."""
    text = {"type": "text", "align": "left", "baseline": "top", "x": 16}
    return [
        {"data": {"name": "stamp"},
         "mark": {"type": "rect", "x": 8, "y": 8, "x2": 8 + width, "y2": 62,
                  "fill": "white", "opacity": 0.88, "cornerRadius": 3}},
        {"data": {"name": "stamp"},
         "mark": {**text, "y": 14, "fontSize": 20, "fontWeight": "bold", "color": INK},
         "encoding": {"text": {"field": "big", "type": "nominal"}}},
        {"data": {"name": "stamp"},
         "mark": {**text, "y": 40, "fontSize": 12, "color": MUTED},
         "encoding": {"text": {"field": "small", "type": "nominal"}}},
    ]


def _named(layer: dict, name: str) -> dict:
    return {**layer, "data": {"name": name}}


def overlay_template(final, frame, top: int, groups: list[str], lang: str = "en",
                     stamp_width: int = STAMP_WIDTH) -> dict:
    """The moving layers as one compiled Vega spec; frames only swap its datasets.

    Compiling Vega-Lite once instead of per frame halves the time of a long animation.
    """
    layers = []
    if top:
        layers.append(_named(area_layer([], top)[0], "areas"))
    if final.mode == "grid" and groups:
        circles, halo, label = cells_layers([], groups, legend=False, lang=lang)
        layers += [_named(circles, "cells"), _named(halo, "labels"), _named(label, "labels")]
    elif groups:
        layers.append(_named(points_layer([], opacity=EARLIER_OPACITY), "earlier"))
        layers.append(_named(points_layer([]), "newest"))
    layers += stamp_layers(stamp_width)
    vl = spec(frame, layers, transparent=True, legends=False)
    vl["datasets"] = {"areas": [], "cells": [], "labels": [], "earlier": [], "newest": [],
                      "stamp": [{"big": "", "small": ""}]}
    return vega_spec(vl)


def fill_template(template: dict, values: dict[str, list]) -> dict:
    data = [{**d, "values": values[d["name"]]} if d.get("name") in values else d
            for d in template.get("data", [])]
    return {**template, "data": data}


def spans_for(ctx: Context, options: ImageOptions) -> tuple[str, list[tuple[date, date]]]:
    """The frames' step and (start, end) periods over the export's pinned range."""
    first = ctx.first or ctx.exported_on
    return periods(first, ctx.last or first, options.step, options.max_frames)


def _counts(ctx: Context, options: ImageOptions, mode: str | None) -> str:
    step, spans = spans_for(ctx, options)
    first = ctx.first or ctx.exported_on
    lang = options.lang
    text = translate("caption.gif.counts", lang, total=ctx.total,
                     step=step_word(step, lang), first=_day(first, lang),
                     last=_day(ctx.last or first, lang), frames=len(spans))
    if mode is None:
        return text
    text += translate("caption.gif.grid" if mode == "grid" else "caption.gif.points", lang)
    return text + translate("caption.gif.shade", lang)


def probe_frame(ctx: Context, options: ImageOptions) -> Frame:
    """A first layout (the caption without the drawing mode) to choose the plan's zoom."""
    width, height = options.size("gif")
    lines = caption_lines(ctx, _counts(ctx, options, None), width, lang=options.lang)
    return layout(width, height, header_height(lines), options.view)


def gif_frame(ctx: Context, options: ImageOptions, mode: str) -> tuple[Frame, list[str]]:
    """The layout and caption of every frame, once the drawing mode is known."""
    width, height = options.size("gif")
    lines = caption_lines(ctx, _counts(ctx, options, mode), width - 2 * MARGIN,
                          lang=options.lang)
    rows = len(wrap_title(map_title(options, ctx), width - 2 * MARGIN))
    footer = len(credit_rows(ctx.credits, width - 2 * MARGIN))
    return layout(width, height, header_height(lines, rows), options.view,
                  footer_rows=footer), lines


def gif_specs(ctx: Context, options: ImageOptions, final: MapPlan, plans: list[MapPlan]):
    """The base spec and one overlay spec per frame (Vega), plus each frame's date stamp.

    ``final`` is the plan of the whole range, ``plans`` the cumulative plan of each step
    (:func:`spans_for`). Returns ``(base, frame_geometry, [(overlay, stamp_text), …])``.
    """
    step, spans = spans_for(ctx, options)
    first = spans[0][0]
    lang = options.lang
    frame, lines = gif_frame(ctx, options, final.mode)
    top = area_top(final)
    grid = final.mode == "grid"
    cell_top = max((r["n"] for r in cell_rows(final.grid)), default=0) if grid else 0
    # Grid: any origin present may be the most common one in some earlier frame.
    groups = sort_groups(final.grid["origin_group"].astype(str)) if grid else plan_groups(final)
    certainties = sorted({c for p in plans for c in plan_certainties(p)})

    base_layers = basemap_layers(frame) + city_layers(frame, lang)
    if top:
        base_layers += area_layer([], top, lang)[1:]  # the key; the shapes move per frame
    if groups:
        base_layers += (cells_layers([], groups, lang=lang)[:1]
                        + point_legend_layers([], certainties, precision=False, lang=lang)
                        if grid else point_legend_layers(groups, certainties, lang=lang))
    elif top:
        base_layers += point_legend_layers(plan_groups(final), certainties, precision=False,
                                           lang=lang)
    base_layers += mask_layers(frame)
    base_layers += furniture_layers(frame, ctx, lang)
    base_layers += header_layers(wrap_title(map_title(options, ctx), frame.width - 2 * MARGIN),
                                 lines, frame.top)
    base = style_precision_legend(vega_spec(spec(frame, base_layers)), lang)

    stamps = [period_label(start, end, step, lang) for start, end in spans]
    # Bold 20 px glyphs are about 0.6 em wide; the box grows for long (Ukrainian) stamps.
    width = max(STAMP_WIDTH, round(max(map(len, stamps)) * 20 * 0.6) + 16)
    template = overlay_template(final, frame, top, groups, lang, width)
    overlays = []
    previous = 0
    for (start, end), plan, stamp in zip(spans, plans, stamps, strict=True):
        values: dict[str, list] = {"areas": area_features(plan, top)}
        if plan.mode == "grid":
            # Circle sizes relative to the last frame's largest cell: comparable over time.
            rows = cell_rows(plan.grid, cell_top, lang)
            values["cells"], values["labels"] = rows, rows[:150]
        elif not plan.points.empty:
            new = plan.points["event_date"].astype(str).str[:10] >= start.isoformat()
            values["earlier"] = point_rows(plan.points[~new])
            values["newest"] = point_rows(plan.points[new])
        unit = step_word("day" if start == end else step, lang)
        values["stamp"] = [{"big": stamp, "small": translate(
            "caption.gif.stamp", lang, n=plan.total - previous, unit=unit,
            total=plan.total, first=_day(first, lang))}]
        previous = plan.total
        overlays.append((fill_template(template, values), stamp))
    return base, frame, overlays


def render_gif(ctx: Context, options: ImageOptions, final: MapPlan, plans: list[MapPlan]
               ) -> bytes:
    scale = options.scale
    width, height = options.size("gif")
    base_spec, frame, overlays = gif_specs(ctx, options, final, plans)
    size = (round(width * scale), round(height * scale))
    base = vega_to_rgba(base_spec, scale)
    base = base.crop((0, 0, *size)) if base.size != size else base
    offset = (round(frame.left * scale), round(frame.top * scale))

    def compose(index: int):
        image = base.copy()
        image.alpha_composite(vega_to_rgba(overlays[index][0], scale), dest=offset)
        return image.convert("RGB")

    # The palette comes from the middle and last frames (the fullest); every frame is then
    # reduced to it as soon as it is drawn, so memory holds 1 byte per pixel per frame.
    middle, last = len(overlays) // 2, len(overlays) - 1
    samples = {middle: compose(middle), last: compose(last)}
    palette = shared_palette(list(samples.values()), _key_colours(base_spec))
    indexed = []
    for index in range(len(overlays)):
        rgb = samples.pop(index) if index in samples else compose(index)
        indexed.append(rgb.quantize(palette=palette, dither=Image.Dither.NONE))
    durations = [FRAME_MS] * (len(indexed) - 1) + [LAST_FRAME_MS]
    out = io.BytesIO()
    indexed[0].save(out, format="GIF", save_all=True, append_images=indexed[1:],
                    duration=durations, loop=0, optimize=True, disposal=1)
    return out.getvalue()


def _key_colours(vega: dict) -> list[str]:
    """Colours that must survive quantisation exactly: every colour literal in the spec."""
    found = re.findall(r'"(#[0-9a-fA-F]{6})"', json.dumps(vega))
    return list(dict.fromkeys(["#ffffff", "#000000", INK, MUTED, *found]))


def shared_palette(samples: list, key_colours: list[str]):
    """One palette for all frames: the spec's own colours first, then an adaptive fill.

    A palette fitted to pixels alone merges small but meaningful areas (legend swatches, a
    few points) into their surroundings; the origin colours must stay exact.
    """
    fixed = [tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in key_colours][:96]
    room = PALETTE_SIZE - len(fixed)
    width, height = samples[0].size
    sheet = Image.new("RGB", (width, height * len(samples)))
    for i, sample in enumerate(samples):
        sheet.paste(sample, (0, i * height))
    adaptive = sheet.quantize(colors=room, method=Image.Quantize.MEDIANCUT)
    flat = adaptive.getpalette()[: 3 * room]
    colours = list(fixed)
    for i in range(0, len(flat), 3):
        rgb = tuple(flat[i:i + 3])
        if rgb not in colours:
            colours.append(rgb)
    palette = Image.new("P", (1, 1))
    palette.putpalette([v for rgb in colours[:PALETTE_SIZE] for v in rgb])
    return palette


def frame_svgs(ctx: Context, options: ImageOptions, final: MapPlan, plans: list[MapPlan],
               limit: int | None = None) -> tuple[str, list[str]]:
    """The base SVG and the overlay SVGs (for tests: their text is searchable)."""
    base_spec, _frame, overlays = gif_specs(ctx, options, final, plans)
    chosen = overlays if limit is None else overlays[:limit]
    return vega_to_svg(base_spec), [vega_to_svg(s) for s, _ in chosen]
