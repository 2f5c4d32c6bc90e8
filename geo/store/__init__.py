"""Event stores: an embedded DuckDB file by default, PostgreSQL + PostGIS for teams."""

from __future__ import annotations

from geo import settings
from geo.store.base import BBox, Facets, Store, StoreError, UpsertResult
from geo.store.duckdb import DuckDBStore
from geo.store.postgis import PostGISStore

__all__ = ["BBox", "Facets", "Store", "StoreError", "UpsertResult", "open_store"]


def open_store(url: str | None = None, *, snapshot: bool = True,
               read_url: str | None = None) -> Store:
    """Open the store at ``url`` (default: the ``SALVO_STORE`` setting).

    ``duckdb:///path/file.duckdb`` or a bare path → embedded DuckDB file;
    ``postgresql://…`` → PostgreSQL with PostGIS (team mode). Its reads go to the hot
    standby ``read_url`` (default: the ``SALVO_STORE_READ`` setting; ``""`` = none).
    """
    raw = url if url is not None else settings.get("store")
    try:
        resolved = settings.SETTINGS_BY_NAME["store"].parse(raw)
    except ValueError as exc:
        raise StoreError(f"store URL {raw!r}: {exc}") from exc
    scheme, _, rest = resolved.partition("://")
    store: Store
    if scheme == "duckdb":
        store = DuckDBStore(rest[1:] if rest.startswith("/") and rest[1:2] == "/" else rest,
                            snapshot=snapshot)
    else:
        standby = settings.get("store_read") if read_url is None else read_url
        store = PostGISStore(resolved, read_url=standby or None,
                             pool_size=settings.get("store_pool_size"))
    store.publication_delay_hours = settings.get("publication_delay_hours")
    store.coordinate_decimals = settings.get("coordinate_decimals")
    return store
