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
from geo.origins import origin_label
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
from geo.taxonomy import class_label, is_family
from geo.timeline import MEASURES, OTHER, STACKS, build_chart, choose_bin, stack_label

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


def _what_label(value: str, lang: str) -> str:
    """A family or class inside a stack label, lower case as in "Росія (RUS) · дрони"."""
    if value == "other":  # the family and the class: "other weapons", as the English
        return translate("family.other.weapons", lang)
    label = class_label(value, lang)
    return label.lower() if is_family(value) else label


def stack_label_in(stack: str, key: str, lang: str) -> str:
    """:func:`geo.timeline.stack_label` in ``lang`` (models stay as the sources write them)."""
    if key == OTHER:
        return translate("timeline.other", lang)
    if stack == "origin":
        return origin_label(key, lang)
    if stack == "supplier":
        known = key and origin_label(key) != origin_label("unknown")
        return origin_label(key, lang) if known else translate("timeline.none.supplier", lang)
    if stack.startswith("origin-"):
        group, _, what = key.partition("|")
        what = " / ".join(_what_label(w, lang) for w in what.split(";") if w)
        return f"{origin_label(group, lang)} · {what or translate('timeline.none.what', lang)}"
    if not key:
        return translate(f"timeline.none.{stack}", lang)
    if stack == "family":
        text = " / ".join(_what_label(w, lang) for w in key.split(";"))
        return text[:1].upper() + text[1:]
    if stack == "class":
        return " / ".join(class_label(c, lang) for c in key.split(";"))
    return key.replace(";", " / ")


def localise_chart(vl: dict, counts: pd.DataFrame, options: ImageOptions, bin_: str) -> dict:
    """The timeline chart's legend labels and axis titles in ``options.lang``.

    :func:`geo.timeline.build_chart` labels in English (the app's page); the export swaps
    each English stack label for its translation in the chart's data and colour domain.
    """
    lang, stack = options.lang, options.stack
    column = "key" if "key" in counts else "origin_group"
    keys = {str(k) for k in counts[column]} if column in counts else set()
    names = {stack_label(stack, k): stack_label_in(stack, k, lang) for k in keys}
    names[OTHER] = translate("timeline.other", lang)
    for rows in vl.get("datasets", {}).values():
        for row in rows:
            for field in ("label", "origin"):
                if row.get(field) in names:
                    row[field] = names[row[field]]
    encoding = vl.get("encoding", {})
    colour = encoding.get("color", {})
    if "domain" in colour.get("scale", {}):
        colour["scale"]["domain"] = [names.get(v, v) for v in colour["scale"]["domain"]]
    colour["title"] = translate(f"stack.label.{stack}", lang)
    encoding.get("x", {})["title"] = translate(f"timeline.axis.{bin_}", lang)
    encoding.get("y", {})["title"] = translate(f"measure.{options.measure}", lang).split(" (")[0]
    encoding.pop("tooltip", None)  # not drawn in an image
    return vl


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
        counts_line = translate("caption.timeline_counts", options.lang, total=f"{ctx.total:,}",
                                stack=translate(f"stack.{options.stack}", options.lang))
    lines = caption_lines(ctx, counts_line, width - 20, lang=options.lang)
    chart = build_chart(counts, options.measure, bin_, brush=False, stack=options.stack)
    chart = chart.properties(
        width=width, height=height,
        title=title_params(wrap_title(timeline_title(options, ctx, bin_), width - 20), lines),
        autosize={"type": "fit", "contains": "padding"},
        padding={"left": 10, "top": 10, "right": 14, "bottom": 8},
        background="white",
    ).configure_axis(labelColor=INK, titleColor=INK, labelFontSize=11).configure_legend(
        labelColor=INK, titleColor=INK, labelFontSize=11).configure_axisY(
        gridColor="#e4e4e4").configure_axisX(grid=False, labelColor=MUTED)
    vl = chart.to_dict()
    return vega_spec(localise_chart(vl, counts, options, bin_) if options.lang != "en" else vl)


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
