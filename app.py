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
st.markdown(
    "Bring your own files: upload one on the **Import** page (preview the column mapping, read "
    "the report, then add it), or import it from a terminal:"
)
st.code("python -m geo import path/to/your-events.csv --dry-run   # report only, nothing stored\n"
        "python -m geo import path/to/your-events.csv", language="bash")
st.markdown(
    "Exports from ACLED, UCDP GED, CIR's Eyes on Russia map, TimeMap / Bellingcat JSON and the "
    "Ukrainian Air Force daily attack reports (as compiled by Petro Ivaniuk on Kaggle) are read "
    "as their publishers ship them; any other table or map file with dates and places goes "
    "through the generic reader. Download public datasets from their publishers, under their "
    "terms. `python -m geo --help` lists every command, including any that fetch public "
    "sources directly."
)
st.caption("Formats are detected automatically. Each import prints how many rows were read, "
           "accepted and rejected, and why. Importing the same file twice adds nothing.")
