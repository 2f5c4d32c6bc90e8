"""The timeline export: the app's chart (:func:`geo.timeline.build_chart`, no brush) as PNG,
SVG or PDF.

Pure: it draws the stacked aggregate :mod:`geo.export` read (``geo.timeline.stack_counts``)
with the page's bin, measure and stack, and the caption follows the map's rules. The chart
is auto-sized to exactly the requested pixels ("fit" with the padding included).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from geo.cartography import title_from_filters
from geo.citation import Context
from geo.i18n import translate
from geo.render import (
    INK,
    MUTED,
    ImageOptions,
    caption_lines,
    title_params,
    title_text,
    vega_spec,
    vega_to_image,
    vega_to_pdf,
    vega_to_svg,
    wrap_title,
)
from geo.timeline import MEASURES, STACKS, build_chart, choose_bin

TIMELINE_TITLE = "Strike and impact events over time"
STACK_PHRASE = {"origin": "origin", "supplier": "supplier", "family": "class family",
                "class": "weapon class", "model": "weapon model",
                "origin-family": "origin and class family", "origin-class": "origin and class"}


def timeline_bin(options: ImageOptions, first: date | None, last: date | None) -> str:
    return options.step if options.step in ("day", "week", "month") else choose_bin(first, last)


def timeline_title(options: ImageOptions, ctx: Context, bin_: str) -> str:
    """The given title, else one made from the filters, e.g. "Weapons launched per month, by
    origin and class: weapons of Iranian or Russian origin, 28 Sep 2022 – 5 Apr 2026"."""
    if options.title:
        return title_text(options, TIMELINE_TITLE)
    if options.lang == "uk":
        noun = (translate(f"title.timeline.{options.measure}", "uk") + " "
                + translate(f"title.per.{bin_}", "uk"))
        return title_text(options, title_from_filters(ctx.pinned, noun, lang="uk"))
    what = {"events": "Strike and impact events"}.get(options.measure,
                                                       MEASURES[options.measure].split(" (")[0])
    noun = f"{what} per {bin_}, by {STACK_PHRASE.get(options.stack, options.stack)}"
    return title_text(options, title_from_filters(ctx.pinned, noun))


def timeline_spec(counts: pd.DataFrame, ctx: Context, options: ImageOptions, bin_: str
                  ) -> dict:
    """The Vega spec of the timeline image."""
    if options.measure not in MEASURES:
        raise ValueError(f"measure {options.measure!r}: use one of {', '.join(MEASURES)}")
    width, height = options.size("png-timeline")
    what = "weapons launched" if options.measure == "launched" else "events"
    counts_line = (f"{ctx.total:,} events; {what} per {bin_} by "
                   f"{STACKS[options.stack].lower()} (all location precisions, including "
                   "events without a map location).")
    if options.measure != "events":
        counts_line += f" Shown: {MEASURES[options.measure].lower()}."
    if options.lang != "en":
        counts_line = translate("caption.timeline_counts", options.lang, total=ctx.total,
                                stack=translate(f"stack.{options.stack}", options.lang))
    lines = caption_lines(ctx, counts_line, width - 20, lang=options.lang)
    chart = build_chart(counts, options.measure, bin_, brush=False, stack=options.stack,
                        lang=options.lang, legend_columns=3)
    chart = chart.properties(
        width=width, height=height,
        title=title_params(wrap_title(timeline_title(options, ctx, bin_), width - 20), lines),
        autosize={"type": "fit", "contains": "padding"},
        padding={"left": 10, "top": 10, "right": 14, "bottom": 8},
        background="white",
    ).configure_axis(labelColor=INK, titleColor=INK, labelFontSize=11).configure_legend(
        labelColor=INK, titleColor=INK, labelFontSize=11).configure_axisY(
        gridColor="#e4e4e4").configure_axisX(grid=False, labelColor=MUTED)
    return vega_spec(chart.to_dict())


def render_timeline_png(counts: pd.DataFrame, ctx: Context, options: ImageOptions,
                        bin_: str) -> bytes:
    width, height = options.size("png-timeline")
    return vega_to_image(timeline_spec(counts, ctx, options, bin_), width, height,
                         options.scale, options.dpi, options.lang)


def render_timeline_svg(counts: pd.DataFrame, ctx: Context, options: ImageOptions,
                        bin_: str) -> bytes:
    return vega_to_svg(timeline_spec(counts, ctx, options, bin_), options.lang).encode("utf-8")


def render_timeline_pdf(counts: pd.DataFrame, ctx: Context, options: ImageOptions,
                        bin_: str) -> bytes:
    return vega_to_pdf(timeline_spec(counts, ctx, options, bin_), options.lang)
