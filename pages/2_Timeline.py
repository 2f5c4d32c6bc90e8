"""Timeline: events (or weapons launched, or share destroyed) per period by weapon origin."""

import streamlit as st

from geo.timeline import MEASURES, brushed_dates, build_chart, choose_bin
from ui.cache import query
from ui.exportview import share_and_export
from ui.page import events_metric, page
from ui.state import request_dates

p = page("Timeline")
st.title("Timeline")
events_metric(p, query(p.store, "count", p.filters))

c1, c2 = st.columns([3, 2])
measure = c1.radio("Show", list(MEASURES), format_func=MEASURES.get, horizontal=True,
                   key="tl_measure")
auto = choose_bin(p.filters.date_from or p.facets.first, p.filters.date_to or p.facets.last)
bin_ = c2.radio("Per", ["day", "week", "month"], index=["day", "week", "month"].index(auto),
                horizontal=True, key="tl_bin")

frame = query(p.store, "timeline", p.filters, bin_)
if frame.empty:
    st.info("No events match the filters.")
else:
    chart = build_chart(frame, measure, bin_)
    state = st.altair_chart(chart, key="timeline", on_select="rerun", selection_mode="brush",
                            width="stretch")
    picked = brushed_dates(getattr(state, "selection", None))
    st.caption("Drag across the chart to set the date filter to that period. "
               "Events without a map location are included here.")
    if picked and picked != st.session_state.get("tl_applied"):
        st.session_state["tl_applied"] = picked  # a kept brush must not re-apply forever
        request_dates(*picked)
        st.rerun()

share_and_export(p, key="timeline", default="png-timeline", measure=measure, step=bin_)
