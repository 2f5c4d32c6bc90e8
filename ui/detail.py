"""The event detail panel: every field a reader needs to judge and cite an event."""

from __future__ import annotations

import streamlit as st

from geo.escape import for_markdown, markdown_link, safe_links
from geo.maps import PRECISION_TEXT
from geo.oblasts import OBLASTS
from geo.origins import country_name
from geo.store import Store

BASIS_TEXT = {
    "catalogue": "from our weapon catalogue (the model's designer/supplier)",
    "reported": "stated by the source",
    "inferred": "inferred from the text by keyword — check the source",
    "ambiguous": "ambiguous: the source cannot tell these origins apart",
    "unknown": "unknown",
}


def _origin_text(event: dict) -> str:
    codes = [c for c in (event.get("weapon_origin") or "").split(";") if c]
    if not codes:
        return "unknown"
    return " / ".join(f"{country_name(c)} ({c})" for c in codes)


def _place_text(event: dict) -> str:
    oblasts = [OBLASTS.get(c, c) for c in (event.get("admin1") or "").split(";") if c]
    parts = [event.get("location") or "", ", ".join(oblasts), event.get("country") or ""]
    return " · ".join(p for p in parts if p)


def show_event(event: dict) -> None:
    st.markdown(f"#### {for_markdown(event['event_date'])} · {for_markdown(event['event_type'])}"
                f" · {for_markdown(event.get('weapon_model') or 'weapon not stated')}")
    when = event["event_date"]
    if event.get("time_start"):
        when = f"{event['time_start']} – {event.get('time_end') or '?'}"
    rows = [
        ("When", f"{when} (precision: {event.get('time_precision')})"),
        ("Weapon", f"{event.get('weapon_model') or '—'} · {event.get('weapon_class') or '—'}"),
        ("Origin", f"{_origin_text(event)} — {BASIS_TEXT.get(event.get('origin_basis'), '')}"),
        ("Fired by", event.get("actor") or "not stated"),
        ("Place", _place_text(event) or "not stated"),
        ("Location precision", PRECISION_TEXT.get(event.get("geo_precision"), "")),
        ("Coordinates", f"{event['latitude']:.5f}, {event['longitude']:.5f}"
         if event.get("latitude") is not None else "none (not mapped as a point)"),
        ("Counts", ", ".join(f"{k} {event[k]}" for k in
                             ("launched", "destroyed", "hits", "fatalities", "injured")
                             if event.get(k) is not None) or "none reported"),
        ("Verification", event.get("verification")),
        ("Dataset", f"{event.get('source_dataset')} · {event.get('source_id')} · "
                    f"{event['event_id']}"),
    ]
    st.markdown("\n".join(f"- **{label}:** {for_markdown(value)}" for label, value in rows))
    if event.get("description"):
        st.markdown(for_markdown(event["description"]))
    links = safe_links(event.get("sources"))
    if links:
        st.markdown("**Sources:** " + " · ".join(markdown_link(u) for u in links))
    else:
        st.caption("No web source given.")


def show_events(store: Store, ids: list[str], role: str = "viewer") -> None:
    """Details of the selected events (several can share one map position)."""
    from ui.curate import curation_panel, history_panel

    events = [e for e in (store.get(i) for i in ids[:20]) if e]
    if not events:
        return
    st.subheader("Selected event" if len(events) == 1 else f"{len(events)} events here")
    for event in events:
        with st.container(border=True):
            if event.get("status") not in (None, "active"):
                st.warning(f"This event is {event['status']}: it no longer appears in views "
                           "or exports.")
            show_event(event)
            history_panel(store, event["event_id"])
            curation_panel(store, event, role)
