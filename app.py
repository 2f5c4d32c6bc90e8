"""Salvo — strike & impact events by weapon origin. Overview page (the entrypoint)."""

import streamlit as st

from geo.escape import for_markdown
from geo.origins import origin_label
from geo.timeline import origin_totals
from ui.cache import query
from ui.page import events_metric, page
from ui.syncview import data_as_of

p = page("Overview")
st.title("Salvo")
st.caption("Strike and impact events by weapon origin — who designed or supplied the weapon, "
           "kept apart from who fired it — with honest location and date precision.")

count = query(p.store, "count", p.filters)
events_metric(p, count)
figures = origin_totals(query(p.store, "timeline", p.filters, "month"))
cols = st.columns(max(1, min(5, len(figures))))
for col, (group, n) in zip(cols, list(figures.items())[:5], strict=False):
    col.metric(origin_label(group), f"{n:,}")

first = p.facets.first.isoformat() if p.facets.first else "—"
last = p.facets.last.isoformat() if p.facets.last else "—"
st.markdown(f"The store holds **{p.facets.total:,}** events from {first} to {last}. "
            "Use the filters on the left; the Map, Timeline and Events pages show the same "
            "selection, and the address bar always holds a link to it.")
data_as_of(p.store)

st.subheader("Latest events")
latest = query(p.store, "events", p.filters, 10)
if latest.empty:
    st.info("No events match the filters.")
else:
    for _, row in latest.iterrows():
        st.markdown(
            f"- **{for_markdown(row['event_date'])}** · {for_markdown(row['event_type'])} · "
            f"{for_markdown(row['weapon_model'] or 'weapon not stated')} "
            f"({for_markdown(origin_label(row['weapon_origin'] or 'unknown'))}) · "
            f"{for_markdown(row['location'] or row['admin1'] or row['country'])}"
        )

st.subheader("Add data")
st.markdown("Upload a file on the **Import** page, or from a terminal:")
st.code("python -m geo import ../shared/data/petroivaniuk-missile-attacks/"
        "missile_attacks_daily.csv\n"
        "python -m geo import ../shared/data/eyes-on-russia-cir/events.csv", language="bash")
st.caption("Formats are detected automatically. Each import prints how many rows were read, "
           "accepted and rejected, and why. Importing the same file twice adds nothing.")
