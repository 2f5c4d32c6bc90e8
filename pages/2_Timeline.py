"""Timeline: events (or weapons launched, or share destroyed) per period, stacked by origin,
supplier, class family, class or model."""

import streamlit as st

from geo.timeline import brushed_dates, build_chart, timeline_query
from ui.cache import query
from ui.exportview import share_and_export
from ui.page import events_metric, page
from ui.state import language, request_dates, t
from ui.timelineview import controls, counts

p = page("Timeline")
st.title(t("page.timeline"))
events_metric(p, query(p.store, "count", p.filters))

view = controls(p)
frame = counts(p, view.per, view.stack)
if frame.empty:
    st.info(t("overview.none"))
else:
    chart = build_chart(frame, view.show, view.per, stack=view.stack, lang=language())
    state = st.altair_chart(chart, key="timeline", on_select="rerun", selection_mode="brush",
                            width="stretch")
    picked = brushed_dates(getattr(state, "selection", None))
    st.caption(t("timeline.brush"))
    if picked and picked != st.session_state.get("tl_applied"):
        st.session_state["tl_applied"] = picked  # a kept brush must not re-apply forever
        request_dates(*picked)
        st.rerun()

share_and_export(p, key="timeline", default="png-timeline", measure=view.show,
                 step=view.per, stack=view.stack, extra=timeline_query(view))
