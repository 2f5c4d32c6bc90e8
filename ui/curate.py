"""Curation controls on an event's detail, and its audit history (shown to everyone)."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from geo.auth import can
from geo.curation import CurationError, plan_change
from geo.escape import for_markdown
from geo.schema import EVENT_TYPES, GEO_PRECISIONS, ORIGIN_BASES, VERIFICATIONS
from geo.store import Store
from ui.access import current_actor
from ui.state import t

_TEXT_FIELDS = ("location", "weapon_model", "weapon_class", "weapon_origin", "admin1",
                "description", "sources")


def _edit_form(store: Store, event: dict) -> None:
    key = f"edit_{event['event_id']}"
    with st.form(key):
        fields: dict[str, object] = {}
        for name in _TEXT_FIELDS:
            fields[name] = st.text_input(_label(name), value=str(event.get(name) or ""),
                                         key=f"{key}_{name}")
        # Values stay the canonical codes (what the store and the CLI take); labels say what
        # each field is, with its column name for editors who know the schema.
        c1, c2, c3 = st.columns(3)
        fields["event_type"] = c1.selectbox(_label("event_type"), EVENT_TYPES,
                                            index=EVENT_TYPES.index(event["event_type"]))
        fields["geo_precision"] = c2.selectbox(_label("geo_precision"), GEO_PRECISIONS,
                                               index=GEO_PRECISIONS.index(event["geo_precision"]))
        fields["origin_basis"] = c3.selectbox(_label("origin_basis"), ORIGIN_BASES,
                                              index=ORIGIN_BASES.index(event["origin_basis"]))
        fields["verification"] = c1.selectbox(_label("verification"), VERIFICATIONS,
                                              index=VERIFICATIONS.index(event["verification"]))
        lat = c2.text_input(_label("latitude"), value="" if event.get("latitude") is None
                            else str(event["latitude"]))
        lon = c3.text_input(_label("longitude"), value="" if event.get("longitude") is None
                            else str(event["longitude"]))
        fields["latitude"], fields["longitude"] = lat or None, lon or None
        reason = st.text_input(t("curate.reason"), key=f"{key}_reason")
        if st.form_submit_button(t("curate.save")):
            changed = {k: v for k, v in fields.items()
                       if str(v or "") != str(event.get(k) if event.get(k) is not None else "")}
            _apply(store, event, "edit", reason, fields=changed)


def _label(field: str) -> str:
    return t("curate.field", name=t(f"curate.field.{field}"), column=field)


def _apply(store: Store, event: dict, action: str, reason: str, **kwargs) -> None:
    try:
        store.apply_change(plan_change(event, action, actor=current_actor(), reason=reason,
                                       **kwargs))
    except CurationError as exc:
        st.error(for_markdown(str(exc)))
        return
    st.success(t(f"curate.saved.{action}"))
    st.rerun()


def curation_panel(store: Store, event: dict, role: str) -> None:
    """Verify / edit / retract / restore / link — for editors and admins only."""
    if not can(role, "curate"):
        return
    event_id = event["event_id"]
    with st.expander(t("curate.header")):
        status = event.get("status") or "active"
        if status != "active":
            st.warning(t("curate.hidden", status=status))
            reason = st.text_input(t("curate.restore.reason"), key=f"restore_{event_id}")
            if st.button(t("curate.restore"), key=f"restore_btn_{event_id}"):
                _apply(store, event, "restore", reason)
            return
        if event.get("verification") != "verified" and st.button(
                t("curate.verify"), key=f"verify_{event_id}"):
            _apply(store, event, "verify", "")
        _edit_form(store, event)
        reason = st.text_input(t("curate.retract.reason"), key=f"retract_{event_id}")
        if st.button(t("curate.retract"), key=f"retract_btn_{event_id}"):
            _apply(store, event, "retract", reason)
        other = st.text_input(t("curate.duplicate.of"), key=f"dup_{event_id}")
        dup_reason = st.text_input(t("curate.duplicate.reason"), key=f"dup_reason_{event_id}")
        if st.button(t("curate.duplicate"), key=f"dup_btn_{event_id}"):
            if other and store.get(other) is None:
                st.error(t("curate.duplicate.unknown"))
            else:
                _apply(store, event, "link_duplicate", dup_reason, link_to=other.strip())


def history_panel(store: Store, event_id: str) -> None:
    """Who changed what, when and why — the event's audit log and duplicate links."""
    log = store.history(event_id)
    links = store.links(event_id)
    if log.empty and links.empty:
        return
    with st.expander(t("curate.history", n=len(log))):
        if not log.empty:
            rows = []
            for item in log.itertuples(index=False):
                rows.append({"when": item.changed_at, "who": item.actor, "action": item.action,
                             "reason": item.reason,
                             "before": _short(item.before), "after": _short(item.after)})
            st.dataframe(_headers(pd.DataFrame(rows)), hide_index=True)
        if not links.empty:
            st.dataframe(_headers(links), hide_index=True)


def _headers(frame: pd.DataFrame) -> pd.DataFrame:
    """Column names in the page's language (messages ``curate.col.<column>``); the cells
    are the audit log as written."""
    return frame.rename(columns={c: t(f"curate.col.{c}") for c in frame.columns})


def _short(text: object) -> str:
    try:
        data = json.loads(str(text))
    except (TypeError, ValueError):
        return ""
    return "; ".join(f"{k}={v}" for k, v in data.items())[:300]
