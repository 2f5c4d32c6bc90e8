"""Public sources in the app: sync from the Import page, "data as of" on the Overview, and the
optional scheduled refresh (``SALVO_SYNC_INTERVAL``) run by one app process of several.

The sync itself is :func:`geo.sync.sync`, the same as the command line; this module only
lays it out. Texts from sources and sync messages reach the page through ``st.dataframe``
cells or :func:`geo.escape.for_markdown`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

import pandas as pd
import streamlit as st

from geo import settings
from geo.escape import for_markdown
from geo.sources import SOURCES, SOURCES_BY_NAME, MissingKey, Source, credentials
from geo.store import Store, open_store
from geo.sync import SyncError, run_scheduled, sync
from ui.state import t

log = logging.getLogger("salvo.sync")
SCHEDULER_TICK_SECONDS = 300


def _key_state(source) -> str:
    if not source.keys:
        return t("sync.key.not_needed")
    try:
        credentials(source)
    except MissingKey:
        return t("sync.key.missing")
    return t("sync.key.configured")


def refresh_text(source: Source) -> str:
    """How often a source is synced: ``every 24 h`` or ``manual``."""
    return t("sync.refresh.every", hours=source.refresh_hours) if source.url \
        else t("sync.refresh.manual")


def _headers(frame: pd.DataFrame) -> pd.DataFrame:
    """Our column names in the page's language (messages ``sync.col.<column>``)."""
    return frame.rename(columns={c: t(f"sync.col.{c}") for c in frame.columns})


def sources_table(store: Store) -> pd.DataFrame:
    rows = []
    latest = store.latest_syncs()
    for source in SOURCES:
        last = latest.get(source.name)
        # Titles are the sources' own names; what they provide and their licence terms
        # are our summaries, so they are translated.
        rows.append({
            "source": source.title, "name": source.name,
            "provides": t(f"sync.provides.{source.name}"), "key": _key_state(source),
            "sync": refresh_text(source),
            "last_sync": str(last["finished_at"])[:19].replace("T", " ") if last else "",
            "outcome": str(last["outcome"]) if last else t("sync.never"),
            "rows": int(last["rows_read"]) if last else 0,
            "licence": t(f"sync.licence.{source.name}"),
        })
    return _headers(pd.DataFrame(rows))


def source_panel(store: Store) -> None:
    """The Import page's "Public sources" block (editors and admins only reach it)."""
    st.subheader(t("sync.header"))
    st.caption(t("sync.caption"))
    st.dataframe(sources_table(store), hide_index=True, width="stretch")
    syncable = [s.name for s in SOURCES if s.url]
    col_pick, col_go = st.columns([3, 1])
    name = col_pick.selectbox(t("sync.source"), syncable, key="sync_source",
                              format_func=lambda n: SOURCES_BY_NAME[n].title)
    if col_go.button(t("sync.go"), key="sync_go", width="stretch"):
        bar = st.progress(0.0, text=t("sync.downloading"))

        def progress(done: int, total: int | None) -> None:
            if total:
                bar.progress(min(done / total, 1.0), text=t("sync.mb", mb=f"{done / 1e6:.1f}"))

        try:
            result = sync(store, SOURCES_BY_NAME[name], progress=progress)
        except SyncError as exc:
            bar.empty()
            st.error(for_markdown(str(exc)))
        else:
            bar.empty()
            # The outcome code and the sync's own summary line, as the CLI prints them.
            st.success(for_markdown(f"{name}: {result.outcome} — {result.message}"))
            st.cache_data.clear()  # new events: every cached query is stale
    for source in SOURCES:
        if source.manual:
            st.caption(for_markdown(source.title) + ": " + t(f"sync.manual.{source.name}"))
    history = store.sync_runs(limit=20)
    if not history.empty:
        st.markdown(f"**{t('sync.history')}**")
        st.dataframe(_headers(history[["source", "finished_at", "outcome", "message", "bytes",
                                       "rows_read", "inserted", "updated", "unchanged"]]),
                     hide_index=True, width="stretch")


@st.cache_data(ttl=60, show_spinner=False)
def _latest_good(url: str, _store: Store) -> dict[str, dict]:
    return _store.latest_syncs(good=True)


def data_as_of(store: Store) -> None:
    """One line on the Overview: when each synced source was last fetched."""
    parts = []
    latest = _latest_good(store.url, store)
    for source in SOURCES:
        last = latest.get(source.name)
        if last:
            when = str(last["finished_at"])[:16].replace("T", " ")
            parts.append(f"{source.title}: {when} UTC")
    if parts:
        st.caption(t("sync.as_of", sources=for_markdown(" · ".join(parts))))


def _scheduler(url: str, interval: int) -> None:
    holder = f"{socket.gethostname()}:{os.getpid()}"
    while True:
        try:
            store = open_store(url, snapshot=False)
            try:
                for line in run_scheduled(store, holder, interval):
                    log.info("scheduled sync: %s", line)
            finally:
                store.close()
        except Exception as exc:  # noqa: BLE001 - a background loop must never die
            log.warning("scheduled sync failed: %s", str(exc).splitlines()[0][:200])
        time.sleep(SCHEDULER_TICK_SECONDS)


@st.cache_resource(show_spinner=False)
def start_scheduler(url: str) -> bool:
    """Start this process's refresh thread once, when ``SALVO_SYNC_INTERVAL`` > 0."""
    interval = settings.get("sync_interval")
    if interval <= 0:
        return False
    threading.Thread(target=_scheduler, args=(url, interval), daemon=True,
                     name="salvo-sync").start()
    return True
