"""Page chrome shared by every page: config, access check, navigation, filters, URL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from geo.assets import STATIC_DIR, ensure_static
from geo.filters import Filters
from geo.store import Facets, Store
from ui.access import require_access
from ui.state import (
    PAGE_KEYS,
    get_facets,
    get_store,
    language_switch,
    navigation,
    new_run,
    num,
    sidebar_filters,
    t,
    write_url,
)
from ui.syncview import start_scheduler

# Layout CSS (top band, responsive map height): a static file, not a string in Python.
APP_CSS: Path = STATIC_DIR / "salvo-app.css"


@dataclass
class Page:
    store: Store
    facets: Facets
    filters: Filters
    role: str


@st.cache_resource(show_spinner=False)
def _static_ready() -> bool:
    ensure_static()
    return True


def page(title: str, *, minimum_role: str = "viewer", filters: bool = True) -> Page:
    """Start a page: the access check comes before anything shows data."""
    st.set_page_config(page_title=f"{t(PAGE_KEYS[title]) if title in PAGE_KEYS else title} "
                                  "· Salvo", layout="wide")
    role = require_access(minimum_role)
    st.html(APP_CSS)  # layout only, after the access check like everything else
    new_run()
    _static_ready()
    store = get_store()
    start_scheduler(store.url)  # once per process, and only when SALVO_SYNC_INTERVAL > 0
    facets = get_facets(store)
    nav_box = st.sidebar.container()
    language_switch(st.sidebar.container())  # before any text: it picks the language
    chosen = sidebar_filters(facets) if filters else Filters()
    navigation(chosen, nav_box, role)
    write_url(chosen)
    return Page(store, facets, chosen, role)


def events_metric(page: Page, count: int) -> None:
    """The figure every map/timeline view shows: events matching the filters, and — when an
    origin, supplier or class filter is on — at which certainty they match."""
    f = page.filters
    certain = bool(f.origins or f.suppliers or f.classes)
    name, explained = t(f"certainty.{f.certainty}"), t(f"certainty.{f.certainty}.help")
    note = t("metric.certainty.help", certainty=name, help=explained) if certain else ""
    st.metric(t("metric.events"), num(count),
              help=t("metric.events.help", total=page.facets.total) + note)
    if certain:
        # Our own constant text (no data in it): plain Markdown.
        st.caption(t("metric.certainty", certainty=name, help=explained))
