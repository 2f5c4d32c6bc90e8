"""The "Copy link" and "Export" blocks at the end of the Map, Timeline and Events pages.

Both are lazy expanders: their contents are built only while open (``on_change="rerun"``),
so a page view does not pay for widgets nobody opened — nor the browser for the 1.5 MB
syntax-highlighter bundle ``st.code`` pulls in on a first visit.

Widgets only: links come from :func:`geo.citation.citable_url`, files from
:func:`geo.export.export_bytes`. A file is generated when the button is clicked (deferred
``data=`` callable) through a cache keyed by the store URL, the data version, the filter
*values*, the format and the options, never by frames or by who is asking, so a shared
cache leaks nothing between sessions (docs/security.md G1/F4).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import streamlit as st

from geo import settings
from geo.citation import citable_url, store_range
from geo.export import DATA_FORMATS, FORMAT_LABELS, FORMATS, MEDIA, export_bytes, file_name
from geo.filters import Filters, View
from geo.render import IMAGE_FORMATS, STEPS, ImageOptions
from geo.store import Store
from ui.cache import store_read
from ui.page import Page
from ui.state import current_view, language, t

_SIZES = {
    "map": {"1200 × 800": (1200, 800), "1600 × 1000": (1600, 1000),
                "1000 × 1000": (1000, 1000), "800 × 560": (800, 560)},
    "timeline": {"1200 × 600": (1200, 600), "1600 × 800": (1600, 800),
                     "1000 × 500": (1000, 500), "800 × 560": (800, 560)},
    "gif": {"800 × 560": (800, 560), "1000 × 700": (1000, 700), "640 × 480": (640, 480)},
}
SIZES = {fmt: _SIZES["gif" if fmt == "gif" else fmt.split("-")[1]] for fmt in IMAGE_FORMATS}
# Message ids of the note on how long a format takes.
SLOW = {fmt: "export.slow.image" for fmt in IMAGE_FORMATS}
SLOW["gif"] = "export.slow.gif"
SLOW |= {fmt: "export.slow.vector" for fmt in IMAGE_FORMATS if fmt.startswith(("svg", "pdf"))}
# Pixel density of PNG/GIF exports: (message id of the label, scale, dpi stated in the PNG).
SHARPNESS = {"export.sharp.screen": (1.0, 0), "export.sharp.sharp": (2.0, 0),
             "export.sharp.print": (3.125, 300)}


@store_read(max_entries=32, ttl=3600)
def _export(store: Store, filters: Filters, fmt: str, options: ImageOptions,
            exported_on: date) -> bytes:
    return export_bytes(store, filters, fmt, exported_on=exported_on, options=options).data


@store_read(max_entries=16)
def _range(store: Store) -> tuple[date | None, date | None]:
    return store_range(store)


def page_url() -> str:
    """This page's address without the query (``st.context.url``), or '' (relative)."""
    try:
        url = st.context.url
    except (AttributeError, RuntimeError):
        url = None
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else ""


def copy_link(p: Page, view: View, extra: dict[str, str] | None = None, *,
              key: str = "page") -> None:
    """A link that reopens this view and keeps its meaning as data is added (``extra``:
    the page's own choices, e.g. the timeline's ``per``/``show``/``stack``)."""
    box = st.expander(t("link.header"), key=f"exp_link_{key}", on_change="rerun")
    if not box.open:
        return
    # The range of what the store shows (publication delay applied), as exports state it.
    first, last = _range(p.store)
    lang = language()
    url = citable_url(page_url(), p.filters, view, first, last,
                      dict(extra or {}) | ({"lang": lang} if lang != "en" else {}))
    with box:
        st.code(url, language=None, wrap_lines=True)
        st.caption(t("link.caption"))


def export_block(p: Page, *, key: str, default: str, measure: str = "events",
                 step: str = "auto", stack: str = "origin") -> None:
    """Format choice and a download button; bytes are made (and cached) on click."""
    box = st.expander(t("export.header"), key=f"exp_box_{key}", on_change="rerun")
    if not box.open:
        return
    view = current_view()
    with box:
        fmt = st.selectbox(t("export.format"), FORMATS, index=FORMATS.index(default),
                           format_func=FORMAT_LABELS.get, key=f"exp_fmt_{key}")
        options = ImageOptions(max_points=settings.get("max_points"), measure=measure,
                               step=step if step in STEPS else "auto", stack=stack,
                               lang=language())
        if fmt in IMAGE_FORMATS or fmt == "html":
            title = st.text_input(t("export.title"), max_chars=120, key=f"exp_title_{key}",
                                  placeholder=t("export.title.placeholder"))
            options = replace(options, title=title.strip())
        if fmt in IMAGE_FORMATS:
            c1, c2 = st.columns(2)
            sizes = SIZES[fmt]
            size = c1.selectbox(t("export.size"), list(sizes), key=f"exp_size_{key}_{fmt}")
            options = replace(options, width=sizes[size][0], height=sizes[size][1])
            if not fmt.startswith(("svg", "pdf")):
                choices = list(SHARPNESS) if fmt != "gif" else list(SHARPNESS)[:2]
                sharp = c2.selectbox(t("export.sharpness"), choices, format_func=t,
                                     key=f"exp_scale_{key}_{fmt}")
                scale, dpi = SHARPNESS[sharp]
                options = replace(options, scale=scale, dpi=dpi)
            if fmt == "gif":
                frame_step = st.radio(t("export.frame"), list(STEPS), horizontal=True,
                                      key=f"exp_step_{key}",
                                      format_func=lambda s: t(f"export.step.{s}"),
                                      help=t("export.frame.help"))
                options = replace(options, step=frame_step)
        if fmt not in DATA_FORMATS and "timeline" not in fmt and view.lat is not None:
            if st.checkbox(t("export.view"), value=True,
                           key=f"exp_view_{key}"):
                options = replace(options, view=View(view.lat, view.lon, view.zoom))
        exported_on = date.today()
        store, filters = p.store, p.filters

        def make() -> bytes:
            return _export(store, filters, fmt, options, exported_on)

        st.download_button(t("export.download", format=FORMAT_LABELS[fmt].split(' (')[0]),
                           data=make,
                           file_name=file_name(fmt, exported_on), mime=MEDIA[fmt][0],
                           on_click="ignore", type="primary", key=f"exp_dl_{key}")
        st.caption(t("export.caption") + (" " + t(SLOW[fmt]) if fmt in SLOW else ""))


def share_and_export(p: Page, *, key: str, default: str, measure: str = "events",
                     step: str = "auto", stack: str = "origin",
                     extra: dict[str, str] | None = None) -> None:
    """Both blocks, as the last thing on a page."""
    copy_link(p, current_view(), extra, key=key)
    export_block(p, key=key, default=default, measure=measure, step=step, stack=stack)
