"""The Timeline page's controls: bin, measure and stack, read from and written to its link.

The page's own parameters (``per``, ``show``, ``stack``; :class:`geo.timeline.TimelineView`)
sit beside the filters in the URL, so a monthly view of launched weapons stacked by class
family reopens as it was sent. A bad value is named in a visible note, never shown as valid.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.escape import for_markdown
from geo.filters import Filters
from geo.timeline import (
    BINS,
    MEASURES,
    STACKS,
    TimelineView,
    choose_bin,
    default_measure,
    parse_timeline_query,
    stack_counts,
    timeline_query,
)
from ui.page import Page
from ui.state import PAGE_PARAMS, data_version, get_store, t

_KEYS = {"per": "tl_bin", "show": "tl_measure", "stack": "tl_stack"}


@st.cache_data(show_spinner=False, max_entries=64)
def _counts(url: str, version: str, filters: Filters, bin_: str, stack: str) -> pd.DataFrame:
    return stack_counts(get_store(), filters, bin_, stack)


def counts(p: Page, bin_: str, stack: str) -> pd.DataFrame:
    """The stacked aggregate, cached by store URL, data version and filter values."""
    return _counts(p.store.url, data_version(p.store), p.filters, bin_, stack)


def _from_link() -> tuple[TimelineView, list[str]]:
    qp = st.query_params
    return parse_timeline_query({k: qp.get_all(k) for k in PAGE_PARAMS if k in qp})


def controls(p: Page) -> TimelineView:
    """Radios for bin and measure, a select for the stack: initialised from the link on the
    first run of the page, then owned by the widgets."""
    ss = st.session_state
    linked, notes = _from_link()
    for note in notes:
        st.warning(for_markdown(note))
    auto = choose_bin(p.filters.date_from or p.facets.first,
                      p.filters.date_to or p.facets.last)
    if _KEYS["per"] not in ss:
        ss[_KEYS["per"]] = linked.per or auto
    if _KEYS["show"] not in ss:
        # Attack reports count weapons: default to weapons launched when they dominate.
        ss[_KEYS["show"]] = linked.show or default_measure(counts(p, auto, "origin"))
    if _KEYS["stack"] not in ss:
        ss[_KEYS["stack"]] = linked.stack
    c1, c2, c3 = st.columns([3, 2, 2])
    measure = c1.radio(t("timeline.show"), list(MEASURES),
                       format_func=lambda m: t(f"measure.{m}"), horizontal=True,
                       key=_KEYS["show"])
    bin_ = c2.radio(t("timeline.per"), list(BINS), format_func=lambda b: t(f"export.step.{b}"),
                    horizontal=True, key=_KEYS["per"])
    stack = c3.selectbox(t("timeline.stack"), list(STACKS),
                         format_func=lambda s: t(f"stack.label.{s}"), key=_KEYS["stack"],
                         help=t("timeline.stack.help"))
    view = TimelineView(per=bin_, show=measure, stack=stack)
    wanted = timeline_query(view)
    for key in PAGE_PARAMS:  # mirror the choices into the address bar
        if wanted.get(key) and st.query_params.get(key) != wanted[key]:
            st.query_params[key] = wanted[key]
        elif not wanted.get(key) and key in st.query_params:
            del st.query_params[key]
    return view
