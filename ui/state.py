"""Shared page state: the store, cached facts, the sidebar filters and the URL.

Filters live in ``st.session_state["filters"]`` (a frozen :class:`~geo.filters.Filters`),
so they survive page switches; widgets are re-initialised from it on each page. The URL is
rewritten from it on every run, and our own navigation links carry it, so a copied URL
reopens the same view (Streamlit's built-in sidebar navigation would drop the query string).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import streamlit as st

from geo import settings
from geo.escape import for_markdown
from geo.filters import (
    CERTAINTIES,
    CERTAINTY_HELP,
    DEFAULT_CERTAINTY,
    Filters,
    View,
    parse_query,
    to_query,
)
from geo.oblasts import OBLASTS
from geo.origins import origin_label
from geo.schema import EVENT_TYPES
from geo.store import Facets, Store, open_store
from geo.taxonomy import CLASSES, FAMILIES, FAMILY_LABELS

PAGES = (
    ("app.py", "Overview"),
    ("pages/1_Map.py", "Map"),
    ("pages/2_Timeline.py", "Timeline"),
    ("pages/3_Events.py", "Events"),
    ("pages/4_Import.py", "Import"),
    ("pages/5_About.py", "About"),
)
MAX_URL_NOTES = 5
_WIDGETS = {
    "origins": "w_origins", "suppliers": "w_suppliers", "classes": "w_classes",
    "models": "w_models",
    "types": "w_types", "oblasts": "w_oblasts",
}


@st.cache_resource(show_spinner=False)
def _open(url: str) -> Store:
    store = open_store(url)
    if settings.get("seed_bundled"):
        _seed(store)
    return store


def _seed(store: Store) -> None:
    from geo.attribution_store import store_events
    from geo.importers import read_events

    result = read_events(str(settings.DATA_DIR / "events.csv"), "canonical")
    # An import like any other: stored with its candidates, so a later `python -m geo
    # attribute` and the next start-up agree (no flip-flop between empty and filled).
    store_events(store, result.events, refresh_windows=False)


def get_store() -> Store:
    """The store named by SALVO_STORE (one shared, thread-safe object per URL)."""
    return _open(settings.get("store"))


@st.cache_data(show_spinner=False, max_entries=16)
def _facets(url: str, version: str) -> Facets:
    return _open(url).facets()


def data_version(store: Store) -> str:
    """The store's data version, read once per rerun (it keys every cached read; asking the
    database for it on each read was most of a cached page's round trips)."""
    ss = st.session_state
    key = (store.url, ss.get("_run_counter"))
    cached = ss.get("_data_version")
    if cached and cached[0] == key:
        return cached[1]
    version = store.version()
    ss["_data_version"] = (key, version)
    return version


def new_run() -> None:
    """Mark the start of a script run (page() calls it first)."""
    st.session_state["_run_counter"] = st.session_state.get("_run_counter", 0) + 1


def get_facets(store: Store) -> Facets:
    """What the store holds, recomputed only when the data changes."""
    return _facets(store.url, data_version(store))


def _query_dict() -> dict[str, list[str]]:
    qp = st.query_params
    return {key: qp.get_all(key) for key in qp.keys()}


def _init_from_url() -> None:
    ss = st.session_state
    if "filters" in ss:
        return
    parsed = parse_query(_query_dict())
    ss["filters"] = parsed.filters
    ss["view"] = parsed.view
    ss["url_notes"] = parsed.notes


def current_view() -> View:
    return st.session_state.get("view", View())


def set_view(view: View) -> None:
    st.session_state["view"] = view
    # The page wrote the URL before the map/table reported the new view: update it now.
    write_url(st.session_state.get("filters", Filters()), view)


def request_dates(start: date, end: date) -> None:
    """Ask the next run to set the date filter (widgets can't change after they render)."""
    st.session_state["pending_dates"] = (start, end)


def _options(counts: dict[str, int], chosen: tuple[str, ...]) -> list[str]:
    return list(counts) + [c for c in chosen if c not in counts]


def _class_options(counts: dict[str, int], chosen: tuple[str, ...]) -> list[str]:
    """Families first (each selects its members), then the classes the store holds."""
    present = [c for c in CLASSES if c in counts]
    return list(FAMILIES) + present + [c for c in chosen if c not in FAMILIES
                                       and c not in present]


def _class_label(value: str, counts: dict[str, int]) -> str:
    if value in FAMILIES:
        return f"{FAMILY_LABELS[value]} (all {len(FAMILIES[value])} classes)"
    return f"{value} · {counts.get(value, 0):,}"


def sidebar_filters(facets: Facets) -> Filters:
    """Render the shared filter widgets and return the resulting filters."""
    _init_from_url()
    ss = st.session_state
    current: Filters = ss["filters"]
    first, last = facets.first or date(2022, 2, 24), facets.last or date.today()
    # Widget ids include the page, so after a page switch Streamlit would give the same-keyed
    # widget its default; re-assigning the kept value carries it over (and keeps the filters).
    for key in (*_WIDGETS.values(), "w_dates", "w_q", "w_certainty"):
        if key in ss:
            ss[key] = ss[key]
    if "pending_dates" in ss:
        ss["w_dates"] = ss.pop("pending_dates")
    if "w_dates" not in ss:
        ss["w_dates"] = (current.date_from or first, current.date_to or last)
    for attr, key in _WIDGETS.items():
        if key not in ss:
            ss[key] = list(getattr(current, attr))
    if "w_q" not in ss:
        ss["w_q"] = current.q
    if "w_certainty" not in ss:
        ss["w_certainty"] = current.certainty

    bar = st.sidebar
    bar.header("Filters")
    picked = ss["w_dates"]
    low = min([first, *[d for d in picked if d]])
    high = max([last, *[d for d in picked if d]])
    dates = bar.date_input("Dates", key="w_dates", min_value=low, max_value=high,
                           format="YYYY-MM-DD", help="Kyiv local date of the event")
    origins = bar.multiselect(
        "Weapon origin", _options(facets.origins, tuple(ss["w_origins"])), key="w_origins",
        format_func=lambda o: f"{origin_label(o)} · {facets.origins.get(o, 0):,}",
        help="Country that designed the weapon (Shahed-136 → Iran), not who fired it or "
             "who made it. At 'possible' certainty an ambiguous origin (Iskander-M/KN-23) "
             "matches each of its origins.")
    supplier_counts = facets.suppliers
    suppliers = bar.multiselect(
        "Weapon supplier",
        _options({**supplier_counts, **{o: 0 for o in facets.origins
                                        if o not in supplier_counts}},
                 tuple(ss["w_suppliers"])), key="w_suppliers",
        format_func=lambda o: f"{origin_label(o)} · {supplier_counts.get(o, 0):,}",
        help="Country that manufactured or supplied the weapon to the firing party, for "
             "the event's date (Shahed-136: Iran in 2022, Russia later; KN-23: North Korea).")
    certainty = bar.radio(
        "Certainty", list(CERTAINTIES), key="w_certainty", horizontal=True,
        help="Applies to origin, supplier and class. "
             + " ".join(f"**{c}**: {CERTAINTY_HELP[c]}." for c in CERTAINTIES))
    classes = bar.multiselect(
        "Weapon class", _class_options(facets.classes, tuple(ss["w_classes"])),
        key="w_classes", format_func=lambda c: _class_label(c, facets.classes),
        help="A family (Drones, Missiles…) selects all its classes.")
    models = bar.multiselect("Weapon model", _options(facets.models, tuple(ss["w_models"])),
                             key="w_models")
    types = bar.multiselect("Event type", list(EVENT_TYPES), key="w_types")
    oblasts = bar.multiselect(
        "Oblast", _options(dict.fromkeys(OBLASTS, 0), tuple(ss["w_oblasts"])), key="w_oblasts",
        format_func=lambda c: f"{OBLASTS.get(c, c)} ({c})")
    q = bar.text_input("Text search", key="w_q", max_chars=120,
                       help="Searches description, place and weapon model")
    if bar.button("Reset filters", width="stretch"):
        for key in (*_WIDGETS.values(), "w_dates", "w_q", "w_certainty"):
            ss.pop(key, None)
        ss["filters"] = Filters()
        st.rerun()

    start, end = (dates[0], dates[1]) if isinstance(dates, (list, tuple)) and len(dates) == 2 \
        else (current.date_from, current.date_to)
    filters = Filters(
        date_from=None if start == first else start,
        date_to=None if end == last else end,
        origins=tuple(origins), suppliers=tuple(suppliers), classes=tuple(classes),
        models=tuple(models), types=tuple(types), oblasts=tuple(oblasts), q=(q or "").strip(),
        certainty=certainty if certainty in CERTAINTIES else DEFAULT_CERTAINTY,
    )
    # Keep explicit dates from a link even when they equal the data's extent today:
    # a citable link must not silently widen when newer data arrives.
    if current.date_from and start == current.date_from:
        filters = replace(filters, date_from=start)
    if current.date_to and end == current.date_to:
        filters = replace(filters, date_to=end)
    ss["filters"] = filters
    notes = ss.get("url_notes", [])
    # In the page, not the sidebar: on a phone the sidebar is a closed drawer and the note
    # about an ignored link value must be seen.
    for note in notes[:MAX_URL_NOTES]:  # a hostile link must not print a wall of warnings
        st.warning(for_markdown(note))
    if len(notes) > MAX_URL_NOTES:
        st.warning(f"… and {len(notes) - MAX_URL_NOTES:,} more notes about this link.")
    return filters


# A page's own URL parameters (the Timeline's bin, measure, stack): the page writes them,
# write_url keeps them as they are.
PAGE_PARAMS = ("per", "show", "stack")


def write_url(filters: Filters, view: View | None = None) -> None:
    """Mirror the state into the address bar (only when it changed, to avoid churn)."""
    wanted = to_query(filters, view if view is not None else current_view())
    wanted |= {k: v for k, v in _query_dict().items() if k in PAGE_PARAMS}
    if _query_dict() != {k: v if isinstance(v, list) else [v] for k, v in wanted.items()}:
        st.query_params.from_dict(wanted)


def navigation(filters: Filters, box, role: str = "viewer") -> None:
    """Our own page links, carrying the filters in the query string (Import for editors)."""
    from geo.auth import can

    query = to_query(filters)
    box.markdown("### Salvo")
    for path, label in PAGES:
        if label == "Import" and not can(role, "import"):
            continue
        box.page_link(path, label=label, query_params=query)
