"""Salvo — strike & impact events by weapon origin. Overview page (the entrypoint)."""

import streamlit as st

from geo.escape import for_markdown
from geo.i18n import format_date
from geo.origins import origin_label
from geo.timeline import origin_totals
from ui.cache import query
from ui.page import events_metric, page
from ui.state import language, num, t
from ui.syncview import data_as_of

p = page("Overview")
st.title("Salvo")
st.caption(t("overview.caption"))
lang = language()

count = query(p.store, "count", p.filters)
events_metric(p, count)
figures = origin_totals(query(p.store, "timeline", p.filters, "month"))
cols = st.columns(max(1, min(5, len(figures))))
for col, (group, n) in zip(cols, list(figures.items())[:5], strict=False):
    col.metric(origin_label(group, lang), num(n))

first = format_date(p.facets.first, lang) if p.facets.first else "—"
last = format_date(p.facets.last, lang) if p.facets.last else "—"
st.markdown(t("overview.holds", total=p.facets.total, first=first, last=last))
data_as_of(p.store)

st.subheader(t("overview.latest"))
latest = query(p.store, "events", p.filters, 10)
if latest.empty:
    st.info(t("overview.none"))
else:
    for _, row in latest.iterrows():
        st.markdown(
            f"- **{for_markdown(row['event_date'])}** · {for_markdown(row['event_type'])} · "
            f"{for_markdown(row['weapon_model'] or t('overview.no_weapon'))} "
            f"({for_markdown(origin_label(row['weapon_origin'] or 'unknown', lang))}) · "
            f"{for_markdown(row['location'] or row['admin1'] or row['country'])}"
        )

st.subheader(t("overview.add"))
st.markdown(t("overview.add.text"))
st.code("python -m geo import path/to/your-events.csv --dry-run   # report only, nothing stored\n"
        "python -m geo import path/to/your-events.csv", language="bash")
st.markdown(t("overview.formats"))
st.caption(t("overview.formats.caption"))
