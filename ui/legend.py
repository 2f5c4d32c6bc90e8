"""The map legend, drawn by Streamlit next to the map (origin colours and precision rules)."""

from __future__ import annotations

import streamlit as st

from geo.escape import for_html
from geo.maps import MapPlan, legend_items


def show_legend(plan: MapPlan) -> None:
    rows = [
        f'<div><span style="display:inline-block;width:12px;height:12px;border-radius:6px;'
        f'background:{colour};margin-right:6px"></span>{for_html(label)}</div>'
        for colour, label in legend_items(plan)
    ]
    st.markdown("**Weapon origin**")
    st.html("".join(rows) or "<div>No mapped events</div>")
    st.markdown("**Precision**")
    st.html(
        '<div>● small solid dot: exact point</div>'
        '<div>◯ ring: settlement centre</div>'
        '<div>◌ large dashed circle: district centre</div>'
        '<div><span style="background:#e6550d;opacity:.6">&nbsp;&nbsp;&nbsp;</span> '
        'shaded oblast: located only to the oblast</div>'
        # A drawn badge, not a character: Chromium on Debian (fonts-liberation, DejaVu) has
        # no glyph for circled digits such as ⓷ and drew an empty box.
        '<div><span style="display:inline-block;width:15px;height:15px;border-radius:8px;'
        'background:#1f5fb4;color:#fff;font:600 9px/15px sans-serif;text-align:center">'
        '3</span> numbered circle: aggregated events — size = count, colour = the most '
        'common origin among them</div>'
    )
    kinds = plan.kinds
    st.caption(
        f"On the map: {kinds['point']:,} point events, {kinds['area']:,} oblast-level. "
        f"Timeline only (region/country precision): {kinds['none']:,}."
    )
