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
from geo.attribution_store import store_events
from geo.auth import can
from geo.escape import for_markdown
from geo.filters import (
    CERTAINTIES,
    DEFAULT_CERTAINTY,
    Filters,
    View,
    note_text,
    parse_query,
    to_query,
)
from geo.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    format_number,
    language_from_header,
    oblast_name,
    translate,
)
from geo.importers import read_events
from geo.oblasts import OBLASTS
from geo.origins import origin_label
from geo.schema import EVENT_TYPES
from geo.store import Facets, Store, open_store
from geo.taxonomy import CLASSES, FAMILIES, class_label
from ui.cache import data_version, new_run, store_read

__all__ = ["data_version", "new_run"]  # kept here for the pages and views that import them

PAGES = (
    ("app.py", "Overview"),
    ("pages/1_Map.py", "Map"),
    ("pages/2_Timeline.py", "Timeline"),
    ("pages/3_Events.py", "Events"),
    ("pages/4_Import.py", "Import"),
    ("pages/5_About.py", "About"),
)
PAGE_KEYS = {"Overview": "page.overview", "Map": "page.map", "Timeline": "page.timeline",
             "Events": "page.events", "Import": "page.import", "About": "page.about"}
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
    result = read_events(str(settings.DATA_DIR / "events.csv"), "canonical")
    # An import like any other: stored with its candidates, so a later `python -m geo
    # attribute` and the next start-up agree (no flip-flop between empty and filled).
    store_events(store, result.events, refresh_windows=False)


def get_store() -> Store:
    """The store named by SALVO_STORE (one shared, thread-safe object per URL)."""
    return _open(settings.get("store"))


@store_read(max_entries=16)
def _facets(store: Store) -> Facets:
    return store.facets()


def get_facets(store: Store) -> Facets:
    """What the store holds, recomputed only when the data changes."""
    return _facets(store)


def _browser_language() -> str:
    """The reader's language from the browser (its locale, else Accept-Language)."""
    context = st.context
    locale = getattr(context, "locale", None)
    try:
        header = context.headers.get("Accept-Language") if context.headers else None
    except (AttributeError, RuntimeError):  # no request (AppTest, bare script run)
        header = None
    return language_from_header(locale or header)


def _init_language() -> None:
    """Read ``lang`` from the URL once per session; a bad value gets a visible note and the
    browser's language."""
    ss = st.session_state
    if "lang" in ss:
        return
    raw = st.query_params.get_all("lang")
    value = raw[-1] if raw else ""
    if value in LANGUAGES:
        ss["lang"], ss["lang_in_url"] = value, True
        return
    ss["lang"], ss["lang_in_url"] = _browser_language(), False
    if value:
        ss["lang_note"] = translate("lang.note", ss["lang"], value=value[:20],
                                    language=translate(f"lang.{ss['lang']}", ss["lang"]))


def language() -> str:
    """The page's language: ``en`` or ``uk``."""
    _init_language()
    return st.session_state.get("lang", DEFAULT_LANGUAGE)


def t(key: str, **values: object) -> str:
    """Our message ``key`` in the page's language (see ``data/messages.json``)."""
    return translate(key, language(), **values)


def num(value: int) -> str:
    """A count grouped as the page's language writes it ("10,252" / "10 252")."""
    return format_number(value, language())


def language_switch(box) -> str:
    """A small English/Українська choice; a choice made here goes into the URL."""
    _init_language()
    ss = st.session_state
    if "w_lang" in ss:
        ss["w_lang"] = ss["w_lang"]
    else:
        ss["w_lang"] = ss["lang"]
    # Both words always: a reader who cannot read the current language still finds the switch.
    chosen = box.radio(f"{translate('lang.label', 'uk')} / {translate('lang.label', 'en')}",
                       list(LANGUAGES),
                       key="w_lang", horizontal=True,
                       format_func=lambda code: translate(f"lang.{code}", code))
    if chosen != ss["lang"]:
        ss["lang"], ss["lang_in_url"] = chosen, True
    if ss.get("lang_note"):
        box.warning(for_markdown(ss["lang_note"]))
    return ss["lang"]


def _lang_query() -> dict[str, str]:
    ss = st.session_state
    return {"lang": ss["lang"]} if ss.get("lang_in_url") and "lang" in ss else {}


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
    """The option's text in the page language (the stored value stays the English class)."""
    if value in FAMILIES:
        return t("filters.class.family", family=t(f"family.{value}"), n=len(FAMILIES[value]))
    return f"{class_label(value, language())} · {num(counts.get(value, 0))}"


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
    lang = language()
    bar.header(t("filters.header"))
    picked = ss["w_dates"]
    low = min([first, *[d for d in picked if d]])
    high = max([last, *[d for d in picked if d]])
    dates = bar.date_input(t("filters.dates"), key="w_dates", min_value=low, max_value=high,
                           format="YYYY-MM-DD", help=t("filters.dates.help"))
    origins = bar.multiselect(
        t("filters.origin"), _options(facets.origins, tuple(ss["w_origins"])),
        key="w_origins", placeholder=t("filters.choose"),
        format_func=lambda o: f"{origin_label(o, lang)} · {num(facets.origins.get(o, 0))}",
        help=t("filters.origin.help"))
    supplier_counts = facets.suppliers
    suppliers = bar.multiselect(
        t("filters.supplier"),
        _options({**supplier_counts, **{o: 0 for o in facets.origins
                                        if o not in supplier_counts}},
                 tuple(ss["w_suppliers"])), key="w_suppliers",
        placeholder=t("filters.choose"),
        format_func=lambda o: f"{origin_label(o, lang)} · {num(supplier_counts.get(o, 0))}",
        help=t("filters.supplier.help"))
    certainty = bar.radio(
        t("filters.certainty"), list(CERTAINTIES), key="w_certainty", horizontal=True,
        format_func=lambda c: t(f"certainty.{c}"),
        help=t("filters.certainty.help") + " "
             + " ".join(f"**{t(f'certainty.{c}')}**: {t(f'certainty.{c}.help')}."
                        for c in CERTAINTIES))
    classes = bar.multiselect(
        t("filters.class"), _class_options(facets.classes, tuple(ss["w_classes"])),
        key="w_classes", placeholder=t("filters.choose"),
        format_func=lambda c: _class_label(c, facets.classes),
        help=t("filters.class.help"))
    models = bar.multiselect(t("filters.model"), _options(facets.models, tuple(ss["w_models"])),
                             key="w_models", placeholder=t("filters.choose"))
    types = bar.multiselect(t("filters.type"), list(EVENT_TYPES), key="w_types",
                            placeholder=t("filters.choose"),
                            format_func=lambda e: t(f"type.{e}"))
    oblasts = bar.multiselect(
        t("filters.oblast"), _options(dict.fromkeys(OBLASTS, 0), tuple(ss["w_oblasts"])),
        key="w_oblasts", placeholder=t("filters.choose"),
        format_func=lambda c: f"{oblast_name(c, OBLASTS.get(c, c), lang)} ({c})")
    q = bar.text_input(t("filters.q"), key="w_q", max_chars=120, help=t("filters.q.help"))
    if bar.button(t("filters.reset"), width="stretch"):
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
        st.warning(for_markdown(note_text(note, lang)))
    if len(notes) > MAX_URL_NOTES:
        st.warning(t("filters.more_notes", n=len(notes) - MAX_URL_NOTES))
    return filters


# A page's own URL parameters (the Timeline's bin, measure, stack): the page writes them,
# write_url keeps them as they are.
PAGE_PARAMS = ("per", "show", "stack")


def write_url(filters: Filters, view: View | None = None) -> None:
    """Mirror the state into the address bar (only when it changed, to avoid churn)."""
    wanted = to_query(filters, view if view is not None else current_view())
    wanted |= {k: v for k, v in _query_dict().items() if k in PAGE_PARAMS}
    wanted |= _lang_query()
    if _query_dict() != {k: v if isinstance(v, list) else [v] for k, v in wanted.items()}:
        st.query_params.from_dict(wanted)


def navigation(filters: Filters, box, role: str = "viewer") -> None:
    """Our own page links, carrying the filters in the query string (Import for editors)."""
    query = to_query(filters) | _lang_query()
    box.markdown("### Salvo")
    for path, label in PAGES:
        if label == "Import" and not can(role, "import"):
            continue
        box.page_link(path, label=t(PAGE_KEYS[label]), query_params=query)
