"""The timeline export: the app's chart (:func:`geo.timeline.build_chart`, no brush) as PNG.

The data is the same store aggregate the Timeline page shows (``store.timeline``), the bin
is the page's choice (or :func:`geo.timeline.choose_bin` over the pinned date range), and
the caption follows the map's rules. The chart is auto-sized to exactly the requested
pixels ("fit" with the padding included).
"""

from __future__ import annotations

from datetime import date

from geo.filters import Filters
from geo.render import (
    INK,
    ImageOptions,
    caption_lines,
    context,
    title_params,
    title_text,
    vega_spec,
    vega_to_image,
    vega_to_svg,
)
from geo.timeline import MEASURES, build_chart, choose_bin

TIMELINE_TITLE = "Strike and impact events over time, by weapon origin"


def timeline_bin(options: ImageOptions, first: date | None, last: date | None) -> str:
    return options.step if options.step in ("day", "week", "month") else choose_bin(first, last)


def timeline_spec(store, filters: Filters, options: ImageOptions, exported_on: date) -> dict:
    """The Vega spec of the timeline image."""
    if options.measure not in MEASURES:
        raise ValueError(f"measure {options.measure!r}: use one of {', '.join(MEASURES)}")
    width, height = options.size("png-timeline")
    ctx = context(store, filters, exported_on)
    bin_ = timeline_bin(options, ctx.first, ctx.last)
    frame = store.timeline(filters, bin_)
    counts = (f"{ctx.total:,} events, counted per {bin_} by weapon origin (all location "
              "precisions, including events without a map location).")
    if options.measure != "events":
        counts += f" Shown: {MEASURES[options.measure].lower()}."
    lines = caption_lines(ctx, counts, width - 20)
    chart = build_chart(frame, options.measure, bin_, brush=False)
    chart = chart.properties(
        width=width, height=height,
        title=title_params(title_text(options, TIMELINE_TITLE), lines),
        autosize={"type": "fit", "contains": "padding"},
        padding={"left": 10, "top": 10, "right": 14, "bottom": 8},
        background="white",
    ).configure_axis(labelColor=INK, titleColor=INK).configure_legend(
        labelColor=INK, titleColor=INK, labelFontSize=11)
    return vega_spec(chart.to_dict())


def render_timeline_png(store, filters: Filters, options: ImageOptions,
                        exported_on: date) -> bytes:
    width, height = options.size("png-timeline")
    return vega_to_image(timeline_spec(store, filters, options, exported_on), width, height,
                         options.scale)


def render_timeline_svg(store, filters: Filters, options: ImageOptions,
                        exported_on: date) -> str:
    return vega_to_svg(timeline_spec(store, filters, options, exported_on))
