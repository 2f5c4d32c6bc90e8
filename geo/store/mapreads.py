"""The map's reads: point symbols, the aggregated grid, oblast shading, and the counts every
filter change needs first (:meth:`MapReads.map_summary`).

A mixin of :class:`geo.store.base.Store`: it uses the store's ``where``, ``_query``,
``_published``, ``_unnest`` and ``count_by_kind``, and a dialect may override
``_bbox_clause`` (PostGIS uses its spatial index).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from geo.filters import Filters
from geo.store.cells import fold_grid, top_candidate
from geo.store.sql import as_double, select_list

# Columns the map needs for one symbol: no description, so point payloads stay small.
POINT_COLUMNS = (
    "event_id", "event_date", "latitude", "longitude", "geo_precision", "origin_group",
    "weapon_model", "event_type", "location", "verification", "sources",
    # How the origin is known: the map draws stated, ambiguous and inferred origins apart.
    "origin_basis", "origin_candidates",
)


@dataclass(frozen=True)
class BBox:
    south: float
    west: float
    north: float
    east: float


def grid_size(zoom: int) -> float:
    """Grid cell edge in degrees of latitude for a Leaflet zoom level (≈ 40 px on screen).

    >>> grid_size(6) > grid_size(7) > 0
    True
    """
    return max(0.005, 360.0 / (2 ** max(zoom, 1)) / 256 * 40)


@dataclass(frozen=True)
class MapSummary:
    """What every map draw needs whatever it shows (the symbols or grid come after)."""

    kinds: dict[str, int]        # as Store.count_by_kind
    areas: pd.DataFrame          # as Store.area_counts
    area_origins: pd.DataFrame   # as Store.area_origins


def _area_origins(grouped: Iterable[tuple]) -> pd.DataFrame:
    """``(admin1, origin_group, origin_basis, origin_candidates, n)`` rows → one row per
    oblast, origin and top candidate (an ``admin1`` naming several counts in each), in
    code-point order of the keys."""
    rows: dict[tuple[str, str, str, str], int] = {}
    for cell, group, basis, cands, n in grouped:
        top = top_candidate(cands)
        for iso in str(cell).split(";"):  # admin1s is admin1 split on ';' (derived_sql)
            key = (iso, str(group), str(basis), top)
            rows[key] = rows.get(key, 0) + int(n)
    keys = sorted(rows)
    return pd.DataFrame({
        "iso": pd.Series([k[0] for k in keys], dtype=object),
        "origin_group": pd.Series([k[1] for k in keys], dtype=object),
        "origin_basis": pd.Series([k[2] for k in keys], dtype=object),
        "top_candidate": pd.Series([k[3] for k in keys], dtype=object),
        "n": pd.Series([rows[k] for k in keys], dtype="int64"),
    })


def _area_totals(origins: pd.DataFrame) -> pd.DataFrame:
    """Events per oblast (``iso, n``, code-point order as ORDER BY iso in both dialects)."""
    totals: dict[str, int] = {}
    for iso, n in zip(origins["iso"], origins["n"], strict=True):
        totals[iso] = totals.get(iso, 0) + int(n)
    codes = sorted(totals)
    return pd.DataFrame({"iso": pd.Series(codes, dtype=object),
                         "n": pd.Series([totals[c] for c in codes], dtype="int64")})


class MapReads:
    """Map reads shared by every dialect (mixed into Store)."""

    def _bbox_clause(self, bbox: BBox | None) -> tuple[str, list]:
        if bbox is None:
            return "", []
        return (" AND latitude BETWEEN ? AND ? AND longitude BETWEEN ? AND ?",
                [bbox.south, bbox.north, bbox.west, bbox.east])

    def count_points(self, f: Filters, bbox: BBox | None = None) -> int:
        where, params = self.where(f)
        extra, extra_params = self._bbox_clause(bbox)
        frame = self._query(
            f"SELECT count(*) AS n FROM events WHERE {where} AND map_kind = 'point'{extra}",
            params + extra_params,
        )
        return int(frame["n"].iloc[0])

    def points(self, f: Filters, limit: int, bbox: BBox | None = None) -> pd.DataFrame:
        """Point events (newest first), at most ``limit``: the map's symbol layer."""
        where, params = self.where(f)
        extra, extra_params = self._bbox_clause(bbox)
        return self._published(self._query(
            f"SELECT {select_list(POINT_COLUMNS)} FROM events "
            f"WHERE {where} AND map_kind = 'point'{extra} "
            # events.event_date: the DATE column (its index), not the text alias above.
            "ORDER BY events.event_date DESC, event_id LIMIT ?",
            params + extra_params + [int(limit)],
        ))

    def grid(self, f: Filters, zoom: int, bbox: BBox | None = None) -> pd.DataFrame:
        """Point events counted per grid cell, origin group, drawn group and certainty (the
        aggregated map layer: circles show how their origins are known, as symbols do).

        Each event falls in exactly one cell, so the cell counts add up to the number of
        matching point events in the box. The database groups by the raw columns; the
        certainty is worked out per group by the points' own rules (geo.store.cells).
        """
        size = grid_size(zoom)
        where, params = self.where(f)
        extra, extra_params = self._bbox_clause(bbox)
        raw = self._query(
            "SELECT CAST(floor(latitude / ?) AS BIGINT) AS gy, "
            "CAST(floor(longitude / ?) AS BIGINT) AS gx, origin_group, origin_basis, "
            # The whole candidates text, cut to the top one in fold_grid (as area_origins).
            "origin_candidates, count(*) AS n, "
            f"{as_double('sum(latitude)')} AS sum_lat, {as_double('sum(longitude)')} AS sum_lon "
            f"FROM events WHERE {where} AND map_kind = 'point'{extra} GROUP BY 1, 2, 3, 4, 5",
            [size, size * 1.5] + params + extra_params,
        )
        return self._published(fold_grid(raw))

    def area_counts(self, f: Filters) -> pd.DataFrame:
        """Oblast-level events per oblast (an event naming several oblasts counts in each)."""
        where, params = self.where(f)
        return self._query(
            f"SELECT iso, count(*) AS n FROM (SELECT {self._unnest('admin1s')} AS iso "
            f"FROM events WHERE {where} AND map_kind = 'area') t GROUP BY iso ORDER BY iso",
            params,
        )

    def area_origins(self, f: Filters) -> pd.DataFrame:
        """Oblast-level events per oblast, origin group, origin basis and top origin
        candidate (``value:share``; the map shades an oblast in its dominant origin's colour,
        drawn by certainty). An event naming several oblasts counts in each, as in
        :meth:`area_counts`."""
        where, params = self.where(f)
        # Grouped by the whole candidates text (~1.4k distinct values in 10M events) and
        # cut to the top one here: split_part on every row cost more than the grouping.
        frame = self._query(
            "SELECT admin1, origin_group, origin_basis, origin_candidates, count(*) AS n "
            f"FROM events WHERE {where} AND map_kind = 'area' GROUP BY 1, 2, 3, 4",
            params,
        )
        return _area_origins(zip(frame["admin1"], frame["origin_group"],
                                 frame["origin_basis"], frame["origin_candidates"],
                                 frame["n"], strict=True))

    def map_counts(self, f: Filters) -> tuple[dict[str, int], pd.DataFrame]:
        """:meth:`count_by_kind` and :meth:`area_counts` (as :meth:`map_summary`)."""
        summary = self.map_summary(f)
        return summary.kinds, summary.areas

    def map_summary(self, f: Filters) -> MapSummary:
        """Counts by kind and the oblast shading with its totals, from two narrow queries.

        Measured at 10M events (DuckDB, 2 cores): one GROUP BY over kind, oblast, grid cell
        and origin columns cost 604 ms, more than the separate reads (392 ms) — the CASEs
        and the wide key were most of it; counting by kind alone takes 21 ms, and the area
        rows' shading (which also gives each oblast's total) 55 ms.
        """
        kinds = self.count_by_kind(f)
        # No oblast-level events: no second scan.
        origins = self.area_origins(f) if kinds["area"] else _area_origins(())
        return MapSummary(kinds, _area_totals(origins), origins)
