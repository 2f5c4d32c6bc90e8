"""The event detail panel: every field a reader needs to judge and cite an event — with
the attribution: candidates as small bars, the evidence line, and the attack reports used."""

from __future__ import annotations

import re

import streamlit as st

from geo.curation import STATUSES
from geo.escape import for_html, for_markdown, markdown_link, safe_links
from geo.i18n import oblast_name
from geo.mapplan import PRECISION_TEXT
from geo.oblasts import OBLASTS
from geo.origins import CERTAINTY_STYLES, certainty_of, country_name, origin_colour
from geo.schema import EVENT_TYPES, TIME_PRECISIONS, VERIFICATIONS, parse_candidates
from geo.store import Store
from ui.curate import curation_panel, history_panel
from ui.state import language, t

# How the origin is known: message ids basis.<origin_basis>.
BASIS = ("catalogue", "reported", "inferred", "ambiguous", "unknown")


def _origin_text(event: dict) -> str:
    codes = [c for c in (event.get("weapon_origin") or "").split(";") if c]
    if not codes:
        return t("detail.unknown")
    return " / ".join(f"{country_name(c, language())} ({c})" for c in codes)


def _place_text(event: dict) -> str:
    oblasts = [oblast_name(c, OBLASTS.get(c, c), language())
               for c in (event.get("admin1") or "").split(";") if c]
    parts = [event.get("location") or "", ", ".join(oblasts), event.get("country") or ""]
    return " · ".join(p for p in parts if p)


CLASS_SHADES = ("#4D4D4D", "#7A7A7A", "#A3A3A3", "#C7C7C7", "#E0E0E0")
# "reports: 2024-01-02 00:00–09:00, Kharkiv: …" — the windows of the attack reports used.
_REPORT_DAY = re.compile(r"(?<![\d-])(\d{4}-\d{2}-\d{2}) \d{2}:\d{2}")
# An explicit report id, if the engine writes one ("report salvo-airforce-123").
_REPORT_ID = re.compile(r"\breport(?: id)?[ :#]+([A-Za-z0-9][\w.:-]{2,80})")


def candidates_bar(text: object, kind: str) -> str:
    """A small stacked bar of ``value:share`` candidates with their shares written out
    (escaped HTML for ``st.html``); '' when there are none or the cell is malformed."""
    try:
        pairs = [(v, s) for v, s in parse_candidates(str(text or "")) if s > 0]
    except ValueError:
        return ""
    if not pairs:
        return ""
    segments, words = [], []
    for i, (value, share) in enumerate(pairs):
        name = value if kind == "class" else f"{country_name(value, language())} ({value})"
        colour = CLASS_SHADES[i % len(CLASS_SHADES)] if kind == "class" else origin_colour(value)
        pct = round(100 * share)
        segments.append(f'<span title="{for_html(name)} {pct} %" style="display:inline-block;'
                        f'height:10px;width:{100 * share:.1f}%;background:{colour}"></span>')
        words.append(f"{for_html(name)} {pct} %")
    return ('<div style="display:flex;width:100%;max-width:320px;border:1px solid #999;'
            'border-radius:2px;overflow:hidden;margin:2px 0">' + "".join(segments) + "</div>"
            f'<div style="font-size:0.8rem;color:#444">{" · ".join(words)}</div>')


def report_links(attribution: object) -> tuple[list[str], list[str]]:
    """(report ids, report days) named in the evidence line, in order, without repeats."""
    text = str(attribution or "")
    days = list(dict.fromkeys(_REPORT_DAY.findall(text.split("reports:", 1)[1])
                              if "reports:" in text else []))
    return list(dict.fromkeys(_REPORT_ID.findall(text))), days


def show_attribution(event: dict) -> None:
    """Candidates, evidence and the attack reports behind an inferred weapon."""
    bars = [(label, candidates_bar(event.get(column), kind)) for label, column, kind in (
        (t("detail.cand.origin"), "origin_candidates", "origin"),
        (t("detail.cand.supplier"), "supplier_candidates", "origin"),
        (t("detail.cand.class"), "class_candidates", "class"))]
    bars = [(label, html) for label, html in bars if html]
    evidence = str(event.get("attribution") or "")
    if not bars and not evidence:
        return
    st.markdown(f"**{t('detail.attribution')}**")
    for label, html in bars:
        st.html(f'<div style="font-size:0.85rem;margin-top:4px">{for_html(label)}</div>{html}')
    if evidence:
        st.caption(t("detail.evidence") + " " + for_markdown(evidence))
    ids, days = report_links(evidence)
    for report_id in ids[:5]:
        st.page_link("pages/3_Events.py", label=t("detail.report", id=for_markdown(report_id)),
                     query_params={"event": report_id})
    for day in days[:5]:
        st.page_link("pages/3_Events.py", label=t("detail.reports_of", day=day),
                     query_params={"type": "attack", "from": day, "to": day})


def _certainty_text(event: dict) -> str:
    certainty = certainty_of(event.get("weapon_origin") or "unknown", event.get("origin_basis"),
                             event.get("origin_candidates"))
    if language() != "en":
        return t(f"legend.{certainty}").split(" (")[0] if certainty != "unknown" \
            else t("detail.unknown")
    return CERTAINTY_STYLES[certainty]["label"].split(" (")[0]


def _code(family: str, value: object, codes: tuple[str, ...]) -> str:
    """A code's word in the page's language (``type.impact`` → влучання); a value outside
    the vocabulary as it is."""
    return t(f"{family}.{value}") if value in codes else str(value or "")


def show_event(event: dict) -> None:
    kind = _code("type", event["event_type"], EVENT_TYPES)
    st.markdown(f"#### {for_markdown(event['event_date'])} · {for_markdown(kind)}"
                f" · {for_markdown(event.get('weapon_model') or t('overview.no_weapon'))}")
    when = event["event_date"]
    if event.get("time_start"):
        when = f"{event['time_start']} – {event.get('time_end') or '?'}"
    basis = event.get("origin_basis")
    precision = event.get("geo_precision")
    time_precision = _code("detail.time", event.get("time_precision"), TIME_PRECISIONS)
    rows = [
        (t("detail.when"), f"{when} ({t('detail.precision')}: {time_precision})"),
        (t("detail.weapon"),
         f"{event.get('weapon_model') or '—'} · {event.get('weapon_class') or '—'}"),
        (t("detail.origin"), f"{_origin_text(event)} — "
                             f"{t(f'basis.{basis}') if basis in BASIS else ''}"
                             f" ({t('detail.on_map')}: {_certainty_text(event)})"),
        (t("detail.supplier"), " / ".join(f"{country_name(c, language())} ({c})" for c in
                                          (event.get("weapon_supplier") or "").split(";") if c)
         or t("detail.not_stated")),
        (t("detail.actor"), event.get("actor") or t("detail.not_stated")),
        (t("detail.place"), _place_text(event) or t("detail.not_stated")),
        (t("detail.location_precision"),
         t(f"precision.{precision}") if precision in PRECISION_TEXT else ""),
        (t("detail.coordinates"), f"{event['latitude']:.5f}, {event['longitude']:.5f}"
         if event.get("latitude") is not None else t("detail.no_point")),
        (t("detail.counts"), ", ".join(f"{t(f'count.{k}')} {event[k]}" for k in
                                       ("launched", "destroyed", "hits", "fatalities",
                                        "injured")
                                       if event.get(k) is not None) or t("detail.none_reported")),
        (t("detail.verification"),
         _code("detail.verified", event.get("verification"), VERIFICATIONS)),
        (t("detail.dataset"), f"{event.get('source_dataset')} · {event.get('source_id')} · "
                              f"{event['event_id']}"),
    ]
    st.markdown("\n".join(f"- **{label}:** {for_markdown(value)}" for label, value in rows))
    show_attribution(event)
    if event.get("description"):
        st.markdown(for_markdown(event["description"]))
    links = safe_links(event.get("sources"))
    if links:
        st.markdown(f"**{t('detail.sources')}** " + " · ".join(markdown_link(u) for u in links))
    else:
        st.caption(t("detail.no_source"))


def show_events(store: Store, ids: list[str], role: str = "viewer") -> None:
    """Details of the selected events (several can share one map position)."""
    events = [e for e in (store.get(i) for i in ids[:20]) if e]
    if not events:
        return
    st.subheader(t("detail.selected") if len(events) == 1 else
                 t("detail.here", n=len(events)))
    for event in events:
        with st.container(border=True):
            status = event.get("status")
            if status not in (None, "active"):
                st.warning(t("detail.status", status=_code("detail.status", status, STATUSES)))
            show_event(event)
            history_panel(store, event["event_id"])
            curation_panel(store, event, role)
