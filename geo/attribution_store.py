"""Attribution on a store: ``python -m geo attribute`` and the path every import writes by.

:func:`attribute_store` recomputes a store (or a date range of it) and rewrites only the
rows whose attribution changed. :func:`store_events` is how every import writes: the
file's events are attributed *before* they are stored, with the store's attack reports as
context (so re-importing a file still reports "unchanged"), then the stored events in the
windows of newly imported attack reports are recomputed. Both read and write through a
store that neither hides recent events nor rounds coordinates (:func:`_exact`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd

from geo.attack_reports import text_column
from geo.attribution import OUTPUT_COLUMNS, Summary, attribute
from geo.filters import Filters
from geo.store import open_store
from geo.store.base import Store, UpsertResult


def curated_ids(store: Store) -> frozenset[str]:
    """Ids of the events a curator edited (the store's ``curated`` flag)."""
    # The store has no public accessor for the flag; the query is the same in both dialects.
    frame = store._query("SELECT event_id FROM events WHERE coalesce(curated, false)", [])
    return frozenset(str(v) for v in frame["event_id"])


def _stored(store: Store, f: Filters) -> pd.DataFrame:
    return store.events(f, newest_first=False)


@contextmanager
def _exact(store: Store) -> Iterator[Store]:
    """The store itself, or a private one on the same data when ``store`` hides recent
    events or rounds coordinates (public-instance settings): attribution rewrites whole
    rows, so it must read them exactly as stored, and the caller's store (shared by the
    app's sessions) is never changed, not even for a moment."""
    if not (store.publication_delay_hours or store.coordinate_decimals):
        yield store
        return
    private = open_store(store.url, snapshot=False)
    private.publication_delay_hours, private.coordinate_decimals = 0, 0
    try:
        yield private
    finally:
        private.close()


def _write(store: Store, before: pd.DataFrame, after: pd.DataFrame) -> None:
    changed = np.zeros(len(after), dtype=bool)
    for column in OUTPUT_COLUMNS:
        changed |= text_column(after, column) != text_column(before, column)
    if changed.any():
        store.upsert(after[changed].reset_index(drop=True))


def attribute_store(store: Store, date_from: np.datetime64 | None = None,
                    date_to: np.datetime64 | None = None) -> Summary:
    """Recompute the attribution of every stored event (or those in a date range)."""
    with _exact(store) as exact:
        return _attribute_store(exact, date_from, date_to)


def _attribute_store(store: Store, date_from: np.datetime64 | None,
                     date_to: np.datetime64 | None) -> Summary:
    if date_from is None:
        events = _stored(store, Filters())
        reports = None
    else:
        lo, hi = (pd.Timestamp(d).date() for d in (date_from, date_to))
        events = _stored(store, Filters(date_from=lo, date_to=hi))
        reports = _stored(store, Filters(date_from=lo - pd.Timedelta(days=2),
                                         date_to=hi + pd.Timedelta(days=2), types=("attack",)))
    out, summary = attribute(events, reports=reports, curated=curated_ids(store))
    _write(store, events, out)
    return summary


def store_events(store: Store, events: pd.DataFrame, *,
                 refresh_windows: bool = True) -> tuple[UpsertResult, Summary]:
    """Attribute a file's events with the store's reports as context, store them, then
    (``refresh_windows``) recompute the stored events in the windows of the attack reports
    among them. The app's start-up seeding skips that step: its rows are all stated, so they
    change no other event's evidence."""
    with _exact(store) as exact:
        return _store_events(exact, events, refresh_windows)


def _store_events(store: Store, events: pd.DataFrame,
                  refresh_windows: bool) -> tuple[UpsertResult, Summary]:
    if events.empty:
        return store.upsert(events), Summary()
    days = pd.to_datetime(events["event_date"].astype(str))
    lo, hi = days.min().date(), days.max().date()
    stored = _stored(store, Filters(date_from=lo - pd.Timedelta(days=2),
                                    date_to=hi + pd.Timedelta(days=2), types=("attack",)))
    incoming_reports = events[events["event_type"].astype(str) == "attack"]
    reports = pd.concat([stored[~stored["event_id"].isin(events["event_id"])],
                         incoming_reports], ignore_index=True)
    out, summary = attribute(events, reports=reports, curated=curated_ids(store))
    result = store.upsert(out)
    if refresh_windows and len(incoming_reports):
        report_days = pd.to_datetime(incoming_reports["event_date"].astype(str))
        again = _attribute_store(store, (report_days.min() - pd.Timedelta(days=2)).to_datetime64(),
                                (report_days.max() + pd.Timedelta(days=1)).to_datetime64())
        summary.changed += again.changed
        for family, n in again.gained.items():
            summary.gained[family] = summary.gained.get(family, 0) + n
    return result, summary
