"""Events: the filtered events as a table; pick a row to see everything about it."""

from dataclasses import replace

import streamlit as st

from geo import settings
from geo.i18n import label_table
from ui.cache import query
from ui.detail import show_events
from ui.exportview import share_and_export
from ui.page import events_metric, page
from ui.state import current_view, language, set_view, t

# Column → message id: readable, translated headers; the data and exports keep the raw names.
TABLE_COLUMNS = ["event_date", "event_type", "weapon_model", "weapon_origin", "weapon_supplier",
                 "origin_basis", "location", "admin1", "geo_precision", "launched", "destroyed",
                 "fatalities", "verification", "source_dataset", "event_id"]

p = page("Events")
st.title(t("page.events"))
total = query(p.store, "count", p.filters)
events_metric(p, total)

per_page = settings.get("table_page_rows")
pages = max(1, -(-total // per_page))
page_no = st.number_input(t("events.page", pages=pages, rows=per_page),
                          min_value=1, max_value=pages, value=1, step=1, key="ev_page")
frame = query(p.store, "events", p.filters, per_page, (int(page_no) - 1) * per_page)
state = st.dataframe(
    label_table(frame[TABLE_COLUMNS], language()), hide_index=True, on_select="rerun",
    column_config={c: t(f"table.{c}") for c in TABLE_COLUMNS},
    selection_mode="single-row", key="ev_table", width="stretch",
)
rows = state.selection.rows if state is not None else []
if rows:
    chosen = str(frame.iloc[rows[0]]["event_id"])
    if current_view().event != chosen:
        set_view(replace(current_view(), event=chosen))
    show_events(p.store, [chosen], p.role)
elif current_view().event:
    show_events(p.store, [current_view().event], p.role)
else:
    st.caption(t("events.select"))

share_and_export(p, key="events", default="csv")
