"""Map: events by origin, certainty and precision over an offline oblast basemap."""

import streamlit as st
from streamlit_folium import st_folium

from ui.detail import show_events
from ui.exportview import share_and_export
from ui.legend import show_legend
from ui.mapview import MAP_KEY, RETURNED, map_state, remember_map
from ui.page import events_metric, page
from ui.state import t

p = page("Map")
st.title(t("page.map"))
plan, base, layers, center, zoom = map_state(p.store, p.filters)
# One container whatever it holds (the certainty caption comes and goes with the filters):
# the map keeps its place in the page, so a filter change redraws it, never remounts it.
with st.container():
    events_metric(p, plan.total)

left, right = st.columns([4, 1])
with left:
    returned = st_folium(
        base, key=MAP_KEY, height=620, use_container_width=True, center=center, zoom=zoom,
        feature_group_to_add=layers, returned_objects=RETURNED,
    )
    for note in plan.notes:
        st.caption(note)
with right:
    show_legend(plan, p.filters)

clicked = remember_map(returned, plan)
if clicked:
    show_events(p.store, clicked, p.role)

share_and_export(p, key="map", default="png-map")
