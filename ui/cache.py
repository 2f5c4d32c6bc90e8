"""Cached store reads: one decorator, keyed by store URL, data version and the arguments.

``@store_read()`` turns ``fn(store, *args)`` into a cached read: the key is the store's URL,
its data version (read once per rerun) and the argument *values* — never the store object
or frames — and a miss calls ``fn`` with the very store it was given (not whatever the
global settings name now: a page holding one store never reads another's rows).

Keys hold no user identity: the same filters give the same rows to everyone, so a shared
cache leaks nothing between sessions (docs/security.md G1/F4).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

import streamlit as st

from geo.filters import Filters
from geo.store import Store

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound=Store)

_ALLOWED = frozenset({"count", "timeline", "events", "count_by_kind", "area_counts"})


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


def store_read(*, max_entries: int = 64, ttl: float | None = None
               ) -> Callable[[Callable[Concatenate[S, P], R]], Callable[Concatenate[S, P], R]]:
    """Cache ``fn(store, *args, **kwargs)`` until the store's data changes.

    Arguments must be hashable by Streamlit (dataclasses, tuples, str, dates…). The store
    is passed through unhashed (Streamlit skips ``_``-prefixed parameters).

    >>> callable(store_read(max_entries=4))
    True
    """

    def decorate(fn: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
        def miss(_store: S, url: str, version: str, *args: P.args, **kwargs: P.kwargs) -> R:
            return fn(_store, *args, **kwargs)

        # Streamlit keys a cache by the function's module, name and source: give each
        # decorated read its own name, or every read would share one cache.
        miss.__module__, miss.__qualname__ = fn.__module__, f"{fn.__qualname__}.<cached>"
        cached = st.cache_data(show_spinner=False, max_entries=max_entries, ttl=ttl)(miss)

        @functools.wraps(fn)
        def read(store: S, *args: P.args, **kwargs: P.kwargs) -> R:
            return cached(store, store.url, data_version(store), *args, **kwargs)

        return read

    return decorate


@store_read(max_entries=256)
def _run(store: Store, method: str, filters: Filters, args: tuple) -> object:
    return getattr(store, method)(filters, *args)


def query(store: Store, method: str, filters: Filters, *args: object) -> object:
    """``store.<method>(filters, *args)``, cached until the stored data changes."""
    if method not in _ALLOWED:
        raise ValueError(f"not a cacheable store read: {method}")
    return _run(store, method, filters, args)
