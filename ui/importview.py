"""Import page: read an upload within our own limits, map generic columns, report, store.

Limits (``SALVO_UPLOAD_MAX_MB``, ``SALVO_UPLOAD_MAX_ROWS``) are enforced here and in the
reader, not only by Streamlit (AppTest and scripted uploads bypass Streamlit's HTTP limit):
the size before anything is parsed, the row count while reading (the reader stops at the
first row over the limit). The parsed result, not the upload's bytes, is kept in
``st.session_state`` for the current file/format/mapping only.

Every text that came from the file (column names, reasons, place names) reaches the page
through ``st.dataframe`` cells or :func:`geo.escape.for_markdown`, never as raw markdown.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pandas as pd
import streamlit as st

from geo import settings
from geo.attribution import Summary
from geo.attribution_store import store_events
from geo.escape import for_markdown
from geo.filters import Filters
from geo.i18n import translate
from geo.importers import FORMAT_NAMES, ImportResult, InputError, read_events
from geo.importers import FORMATS as FORMAT_LIST
from geo.importers.dedupe import find_cross_source_duplicates
from geo.importers.generic import FIELDS, remember_mapping
from geo.store import Store, StoreError, UpsertResult
from ui.state import language, num, t

FORMATS = ("auto", *FORMAT_NAMES)
# English descriptions (the CLI's); the page shows messages import.format.<name>.
FORMAT_HELP = {f.name: f.description for f in FORMAT_LIST}
UPLOAD_TYPES = ["csv", "tsv", "txt", "json", "geojson", "ndjson", "jsonl", "geojsonl", "xlsx",
                "kml", "kmz", "gpkg", "zip", "parquet", "geoparquet"]
MAPPED_FORMATS = ("generic", "geodata")   # formats whose columns the user maps
DATE_ORDERS = ("auto", "dmy", "mdy", "ymd")  # labels: messages import.order.<order>
NOT_MAPPED = "—"
_STATE = "imp_state"


def format_label(name: str, lang: str) -> str:
    """The format picker's line in ``lang``: the code and what it reads. (The language is
    an argument, not looked up: Streamlit may call a format_func outside the script run.)"""
    if name == "auto":
        return translate("import.format.auto", lang)
    return f"{name}: {translate(f'import.format.{name}', lang)}"[:90]


def read_upload(name: str, data: bytes, fmt: str, *, mapping: dict[str, str] | None = None,
                date_order: str | None = None, progress=None
                ) -> tuple[ImportResult | None, str | None]:
    """Parse uploaded bytes within the size/row limits; returns (result, error message)."""
    limit = settings.get("upload_max_mb") * 1024 * 1024
    if len(data) > limit:
        return None, t("import.too_big", name=name, size=f"{len(data) / 1e6:.1f}",
                       limit=limit // 2**20)
    suffix = Path(name).suffix.lower()[:10] or ".csv"
    # The user's file name never becomes a path: a random temp name, removed right after.
    handle, tmp = tempfile.mkstemp(prefix="salvo-upload-", suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        result = read_events(tmp, fmt, mapping=mapping, date_order=date_order,
                             max_rows=settings.get("upload_max_rows"), progress=progress)
    except InputError as exc:
        message = str(exc).replace(Path(tmp).name, name).replace(tmp, name)
        if "data rows (the limit)" in message:
            message += " (SALVO_UPLOAD_MAX_ROWS)"
        return None, message
    finally:
        os.unlink(tmp)
    result.path = name
    if result.rows_read > settings.get("upload_max_rows"):
        return None, t("import.too_many", name=name, rows=result.rows_read,
                       limit=settings.get('upload_max_rows'))
    return result, None


def _progress_bar():
    bar = st.progress(0.0, text=t("import.reading"))

    def update(done: int, total: int) -> None:
        bar.progress(min(done / max(total, 1), 1.0),
                     text=t("import.read_progress", done=done, total=total))

    return bar, update


def _same_mapping(given: dict[str, str] | None, used: dict[str, str]) -> bool:
    return given is None or {f: c for f, c in given.items() if c} == used


def load(upload, file_key: str, fmt: str, mapping: dict[str, str] | None,
         date_order: str | None) -> tuple[ImportResult | None, str | None]:
    """The parsed upload for these choices; re-read only when the file or a choice changes."""
    cached = st.session_state.get(_STATE)
    if cached and cached["file"] == file_key and cached["date_order"] == date_order:
        result = cached["result"]
        if (result is not None and _same_mapping(mapping, result.mapping)) or (
                result is None and cached["mapping"] == mapping):
            return result, cached["error"]
    bar, update = _progress_bar()
    result, error = read_upload(upload.name, upload.getvalue(), fmt, mapping=mapping,
                                date_order=date_order, progress=update)
    bar.empty()
    st.session_state[_STATE] = {"file": file_key, "mapping": mapping, "date_order": date_order,
                                "result": result, "error": error, "links": None}
    return result, error


def mapping_editor(result: ImportResult, prefix: str
                   ) -> tuple[dict[str, str], str | None, bool]:
    """Column → field choices for a generic file; returns (mapping, date order, remember)."""
    with st.expander(t("import.mapping"), expanded=True):
        st.caption(t("import.mapping.help", none=NOT_MAPPED))
        options = [NOT_MAPPED, *result.columns]
        chosen: dict[str, str] = {}
        cols = st.columns(3)
        for i, field in enumerate(FIELDS):
            current = result.mapping.get(field, NOT_MAPPED)
            index = options.index(current) if current in options else 0
            value = cols[i % 3].selectbox(t(f"import.field.{field}"), options, index=index,
                                          key=f"imp_map_{prefix}_{field}")
            chosen[field] = "" if value == NOT_MAPPED else value
        lang = language()
        order = st.radio(t("import.date_order"), list(DATE_ORDERS),
                         format_func=lambda o: translate(f"import.order.{o}", lang),
                         horizontal=True, key=f"imp_order_{prefix}")
        remember = st.checkbox(t("import.remember"), value=True, key=f"imp_remember_{prefix}")
    given = {f: c for f, c in chosen.items() if c or f in result.mapping}
    return given, None if order == "auto" else order, remember


def _links_with_store(store: Store, result: ImportResult) -> list[tuple[str, str, str]]:
    cached = st.session_state.get(_STATE)
    if cached and cached.get("links") is not None:
        return cached["links"]
    days = pd.to_datetime(result.events["event_date"], errors="coerce").dropna()
    links: list[tuple[str, str, str]] = []
    if len(days):
        first, last = days.min().date(), days.max().date()
        window = Filters(date_from=first - timedelta(days=1), date_to=last + timedelta(days=1))
        existing = store.events(window)
        links = find_cross_source_duplicates(result.events, existing)
    if cached is not None:
        cached["links"] = links
    return links


def show_report(result: ImportResult, name: str, store: Store | None = None) -> None:
    report = result.report()
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(t("import.rows_read"), num(result.rows_read))
    c2.metric(t("import.accepted"), num(len(result.events)))
    c3.metric(t("import.rejected"), num(len(result.rejections)))
    geocoded = sum(v for k, v in result.notes.items()
                   if k.startswith("geocoded_") and k != "geocoded_same_name_ranked")
    c4.metric(t("import.geocoded"), num(geocoded))
    st.caption(t("import.format_file", format=for_markdown(result.format),
                 file=for_markdown(name)))
    # The tables' values are the importer's (English, as the CLI report writes them); their
    # headings and column names are ours.
    if result.info:
        _table("import.decisions", [{"what": k, "decision": v} for k, v in result.info.items()])
    if len(result.events):
        st.markdown(t("import.preview"))
        st.dataframe(result.events.head(20), hide_index=True)
    if result.rejections:
        _table("import.rejected_by_reason", report["rejections_by_reason"])
        _table("import.rejected_first", [{"row": r.row, "field": r.field, "reason": r.reason}
                                         for r in result.rejections[:200]])
    notes = {k: v for k, v in report.get("notes", {}).items() if v}
    if notes:
        _table("import.notes", [{"note": k, "rows": v} for k, v in notes.items()])
    if result.unresolved:
        _table("import.unresolved", [{"name": k, "rows": v} for k, v in
                                     Counter(result.unresolved).most_common(200)])
    links = list(result.links)
    if store is not None and len(result.events):
        links += _links_with_store(store, result)
    if links:
        _table("import.duplicates", [{"event": a, "same_incident_as": b, "why": why}
                                     for a, b, why in links[:500]])


def _table(heading: str, rows: list[dict]) -> None:
    """A report table under its heading, column names in the page's language (messages
    ``import.col.<column>``)."""
    st.markdown(t(heading))
    frame = pd.DataFrame(rows)
    st.dataframe(frame.rename(columns={c: t(f"import.col.{c}") for c in frame.columns}),
                 hide_index=True)


def outcome_text(result: ImportResult) -> str:
    """The verdict in words: nothing usable, a partial file, or every row accepted."""
    top = "; ".join(f"{g['count']}× {g['reason']}"
                    for g in result.report()["rejections_by_reason"][:3])
    rows = result.rows_read
    if not len(result.events):
        return " ".join([t("import.outcome.none", rows=rows),
                         *([t("import.outcome.reasons", top=top)] if top else []),
                         t("import.outcome.check")])
    if result.rejections:
        return " ".join([t("import.outcome.partial", rejected=len(result.rejections),
                           rows=rows), t("import.outcome.reasons", top=top)])
    return t("import.outcome.all", rows=rows)


def add_to_store(store: Store, result: ImportResult) -> tuple[UpsertResult, Summary]:
    """Store the file's events with their attribution (and refresh the events in the
    windows of any attack reports among them), as ``python -m geo import`` does."""
    return store_events(store, result.events)


def import_flow(store: Store, upload, fmt: str) -> None:
    """The whole page body for one uploaded file: read, map, report, store."""
    digest = hashlib.sha256(upload.getvalue()).hexdigest()
    file_key = json.dumps([digest, upload.name, fmt])
    prefix = digest[:10]
    cached = st.session_state.get(_STATE)
    mapping, date_order, remember = None, None, False
    editor_shown = False
    if cached and cached["file"] == file_key and cached["result"] is not None and \
            cached["result"].format in MAPPED_FORMATS:
        mapping, date_order, remember = mapping_editor(cached["result"], prefix)
        editor_shown = True
    result, error = load(upload, file_key, fmt, mapping, date_order)
    if error:
        st.error(for_markdown(error))
        return
    if result.format in MAPPED_FORMATS and not editor_shown:
        mapping, date_order, remember = mapping_editor(result, prefix)
        result, error = load(upload, file_key, fmt, mapping, date_order)
        if error:
            st.error(for_markdown(error))
            return
    show_report(result, upload.name, store)
    verdict = outcome_text(result)
    if not len(result.events):
        st.error(for_markdown(verdict))
        return
    if result.rejections:
        st.warning(for_markdown(verdict))
    if st.button(t("import.add", n=len(result.events)), type="primary"):
        try:
            outcome, attributed = add_to_store(store, result)
        except StoreError as exc:  # disk full, damaged file: the reason in one line
            st.error(for_markdown(str(exc)))
            return
        if result.format in MAPPED_FORMATS and remember:
            unmapped = {f: "" for f in FIELDS if f not in result.mapping}
            remember_mapping(result.columns, unmapped | result.mapping, date_order)
        gained = sum(attributed.gained.values())
        st.success(t("import.stored", inserted=outcome.inserted,
                     updated=outcome.updated, unchanged=outcome.unchanged,
                     rows=result.rows_read, rejected=len(result.rejections),
                     gained=gained))
