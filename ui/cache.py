"""Cached store reads, keyed by store URL, data version and filter *values* (never frames).

Keys hold no user identity: the same filters give the same rows to everyone, so a shared
cache leaks nothing between sessions (docs/security.md G1/F4).
"""

from __future__ import annotations

import streamlit as st

from geo.filters import Filters
from geo.store import Store
from ui.state import data_version

_ALLOWED = frozenset({"count", "timeline", "events", "count_by_kind", "area_counts"})


@st.cache_data(show_spinner=False, max_entries=256)
def _run(url: str, version: str, method: str, filters: Filters, args: tuple):
    from ui.state import get_store

    return getattr(get_store(), method)(filters, *args)


def query(store: Store, method: str, filters: Filters, *args):
    """``store.<method>(filters, *args)``, cached until the stored data changes."""
    if method not in _ALLOWED:
        raise ValueError(f"not a cacheable store read: {method}")
    return _run(store.url, data_version(store), method, filters, args)
