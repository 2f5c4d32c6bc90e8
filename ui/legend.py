"""The map legend, drawn by Streamlit next to the map: every origin drawn, how certain each
symbol is, what size and shading mean, and which certainty the filter uses.

Swatches are small SVG circles drawn with the very styles the map uses
(:func:`geo.origins.symbol_style`); every label goes through :func:`geo.escape.for_html`.
"""

from __future__ import annotations

import streamlit as st

from geo.escape import for_html
from geo.filters import Filters
from geo.i18n import translate
from geo.mapplan import CREDITS, PRECISION_RADIUS, MapPlan, drawn_certainties, drawn_groups
from geo.origins import CERTAINTIES, codes_of, origin_label, symbol_style
from ui.state import language, t

# Legend wording: messages legend.<certainty> (short enough for the legend column; the
# full wording is CERTAINTY_STYLES[...]["label"]) and legend.filter.<certainty>.


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha:g})"


def swatch(group: str, certainty: str, radius: float = 6.0) -> str:
    """A small circle styled like the map symbol: fill, ring colour, ring width and dash
    (CSS, because Streamlit's HTML sanitiser drops inline SVG)."""
    s = symbol_style(group, certainty)
    border = "dotted" if s["dash"] and s["dash"].startswith("1 ") else \
        "dashed" if s["dash"] else "solid"
    weight = max(1.0, min(s["weight"], 3.5))
    size = 2 * radius
    return (f'<span style="display:inline-block;box-sizing:border-box;width:{size:g}px;'
            f'height:{size:g}px;border-radius:50%;flex:none;margin:0 {12 - radius:g}px 0 '
            f'{12 - radius:g}px;background:{_rgba(s["fill"], s["fill_opacity"])};'
            f'border:{weight:g}px {border} {for_html(s["ring"])}"></span>')


def _row(icon: str, text: str, *, muted: bool = False) -> str:
    colour = "opacity:0.6;" if muted else ""  # greyed in light and dark themes alike
    return (f'<div style="{colour}display:flex;align-items:center;gap:2px;margin:2px 0;'
            f'font-size:0.85rem;line-height:1.25">{icon}<span>{for_html(text)}</span></div>')


def _sample(groups: list[str], ambiguous: bool) -> str:
    for g in groups:
        if (len(codes_of(g)) > 1) == ambiguous and g != "unknown":
            return g
    return "RUS;PRK" if ambiguous else "PRK"


def legend_html(plan: MapPlan, filters: Filters, lang: str = "en") -> str:
    def tr(key: str) -> str:
        return translate(key, lang)

    groups = drawn_groups(plan)
    used = set(drawn_certainties(plan))
    origin_rows = [
        _row(swatch(g, "ambiguous" if len(codes_of(g)) > 1 else
                    "unknown" if g == "unknown" else "stated"),
             origin_label(g, lang) + (tr("legend.ambiguous_suffix") if len(codes_of(g)) > 1
                                      else ""))
        for g in groups
    ] or [_row("", tr("legend.none"), muted=True)]
    certainty_rows = []
    for c in CERTAINTIES:
        if c == "unknown":
            continue
        sample = _sample(groups, c == "ambiguous")
        certainty_rows.append(_row(swatch(sample, c), tr(f"legend.{c}"), muted=c not in used))
    size_rows = [_row(swatch("unknown", "unknown", r), text) for r, text in (
        (PRECISION_RADIUS["exact"], tr("legend.exact")),
        (PRECISION_RADIUS["settlement"], tr("legend.settlement")),
        (PRECISION_RADIUS["district"], tr("legend.district")))]
    badge = ('<span style="display:inline-block;min-width:16px;height:16px;border-radius:8px;'
             'background:#1a1a1a;color:#fff;font:700 10px/16px sans-serif;text-align:center;'
             'margin-right:6px;box-shadow:0 0 0 1.5px #fff,0 0 0 2.5px #888">3</span>')
    shade = ('<span style="display:inline-block;width:16px;height:12px;margin-right:6px;'
             f'background:{for_html(symbol_style(_sample(groups, False), "stated")["fill"])};'
             'opacity:.5;border:1px dashed #333"></span>')
    extra = [
        _row(badge, tr("legend.badge")),
        _row(shade, tr("legend.shade")),
    ]
    if plan.mode == "grid":
        extra.append(_row(swatch(_sample(groups, False), "stated", 7),
                          tr("legend.grid")))
    certainty = getattr(filters, "certainty", "possible") or "possible"
    if certainty not in ("stated", "likely", "possible"):
        certainty = "possible"
    return "".join([
        f"<div><b>{for_html(tr('legend.origin'))}</b></div>", *origin_rows,
        f'<div style="margin-top:8px"><b>{for_html(tr("legend.how_known"))}</b> '
        f'<span style="opacity:0.6;font-size:0.8rem">{for_html(tr("legend.grey"))}</span></div>',
        *certainty_rows,
        f'<div style="margin-top:6px;font-size:0.85rem">{for_html(tr("legend.filter_certainty"))} '
        f'<b>{for_html(tr(f"certainty.{certainty}"))}</b> — '
        f'{for_html(tr(f"legend.filter.{certainty}"))}</div>',
        f'<div style="margin-top:8px"><b>{for_html(tr("legend.size"))}</b></div>', *size_rows,
        '<div style="margin-top:8px"></div>', *extra,
        f'<div style="margin-top:8px;font-size:0.75rem;opacity:0.7">{for_html(CREDITS)}</div>',
    ])


def show_legend(plan: MapPlan, filters: Filters) -> None:
    st.html(legend_html(plan, filters, language()))
    kinds = plan.kinds
    st.caption(t("legend.counts", point=f"{kinds['point']:,}", area=f"{kinds['area']:,}",
                 none=f"{kinds['none']:,}"))
