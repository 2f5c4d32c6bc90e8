"""The map legend, drawn by Streamlit next to the map: every origin drawn, how certain each
symbol is, what size and shading mean, and which certainty the filter uses.

The content is :func:`geo.map_legend.legend_data` (the same data the map's own legend
control shows on a phone, where this column is hidden by static/salvo-app.css). Swatches
are small CSS circles drawn with the very styles the map uses; every label goes through
:func:`geo.escape.for_html`.
"""

from __future__ import annotations

import streamlit as st

from geo.escape import for_html
from geo.filters import Filters
from geo.map_legend import legend_data
from geo.mapplan import CREDITS, MapPlan
from ui.state import language

# The container's key gives it the class `st-key-salvo_legend` (static/salvo-app.css).
CONTAINER_KEY = "salvo_legend"


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha:g})"


def swatch(spec: dict | None) -> str:
    """A swatch of :func:`geo.map_legend.legend_data` as HTML: a circle styled like the map
    symbol (CSS, because Streamlit's HTML sanitiser drops inline SVG), a count badge or a
    shaded square."""
    if not spec:
        return ""
    if "badge" in spec:
        return ('<span style="display:inline-block;min-width:16px;height:16px;'
                'border-radius:8px;background:#1a1a1a;color:#fff;font:700 10px/16px '
                'sans-serif;text-align:center;margin-right:6px;box-shadow:0 0 0 1.5px #fff,'
                f'0 0 0 2.5px #888">{for_html(spec["badge"])}</span>')
    if "shade" in spec:
        return ('<span style="display:inline-block;width:16px;height:12px;margin-right:6px;'
                f'background:{for_html(spec["shade"])};opacity:.5;border:1px dashed #333">'
                '</span>')
    radius = spec["r"]
    dash = spec["dash"]
    border = "dotted" if dash and dash.startswith("1 ") else "dashed" if dash else "solid"
    weight = max(1.0, min(spec["weight"], 3.5))
    size = 2 * radius
    return (f'<span style="display:inline-block;box-sizing:border-box;width:{size:g}px;'
            f'height:{size:g}px;border-radius:50%;flex:none;margin:0 {12 - radius:g}px 0 '
            f'{12 - radius:g}px;background:{_rgba(spec["fill"], spec["fill_opacity"])};'
            f'border:{weight:g}px {border} {for_html(spec["ring"])}"></span>')


def _row(row: dict) -> str:
    colour = "opacity:0.6;" if row["muted"] else ""  # greyed in light and dark themes alike
    return (f'<div style="{colour}display:flex;align-items:center;gap:2px;margin:2px 0;'
            f'font-size:0.85rem;line-height:1.25">{swatch(row["swatch"])}'
            f'<span>{for_html(row["text"])}</span></div>')


def _section(section: dict, first: bool) -> list[str]:
    out = []
    if section["title"]:
        note = (f' <span style="opacity:0.6;font-size:0.8rem">{for_html(section["note"])}'
                '</span>') if section.get("note") else ""
        margin = "" if first else ' style="margin-top:8px"'
        out.append(f"<div{margin}><b>{for_html(section['title'])}</b>{note}</div>")
    else:
        out.append('<div style="margin-top:8px"></div>')
    out.extend(_row(r) for r in section["rows"])
    if section.get("foot"):
        label, value, why = section["foot"]
        out.append(f'<div style="margin-top:6px;font-size:0.85rem">{for_html(label)} '
                   f'<b>{for_html(value)}</b> — {for_html(why)}</div>')
    return out


def _html(data: dict) -> str:
    parts = [p for i, s in enumerate(data["sections"]) for p in _section(s, i == 0)]
    parts.append(f'<div style="margin-top:8px;font-size:0.75rem;opacity:0.7">'
                 f'{for_html(CREDITS)}</div>')
    return "".join(parts)


def legend_html(plan: MapPlan, filters: Filters, lang: str = "en") -> str:
    return _html(legend_data(plan, getattr(filters, "certainty", None), lang))


def show_legend(plan: MapPlan, filters: Filters) -> None:
    data = legend_data(plan, getattr(filters, "certainty", None), language())
    with st.container(key=CONTAINER_KEY):
        st.html(_html(data))
        st.caption(data["counts"])
