"""Our own formats: the canonical CSV and the canonical GeoJSON, straight through normalise_row.

* CSV: the header holds exactly the canonical columns (any order). Row numbers are file lines
  (header = line 1).
* GeoJSON: a FeatureCollection whose feature ``properties`` are canonical columns. Row
  numbers are feature numbers (1 = first feature). A Point geometry fills missing
  ``latitude``/``longitude``; if both are given they must agree. ``null`` geometry is fine.

Both are lossless with :mod:`geo.importers.convert`: write → read gives the same frame.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

from geo.importers._common import (
    Collector,
    ImportResult,
    InputError,
    decode,
    read_csv,
    reject_ragged,
)
from geo.schema import COLUMNS

if TYPE_CHECKING:
    from geo.importers import Head

_COLUMN_SET = frozenset(COLUMNS)


def sniff_csv(head: Head) -> bool:
    return not head.looks_like_json and frozenset(head.header) == _COLUMN_SET


def sniff_geojson(head: Head) -> bool:
    return head.looks_like_json and b'"FeatureCollection"' in head.data


def read_csv_file(path: Path, name: str) -> ImportResult:
    table = read_csv(path, name)
    if frozenset(table.header) != _COLUMN_SET or len(table.header) != len(COLUMNS):
        extra = sorted(set(table.header) - _COLUMN_SET)
        lacking = sorted(_COLUMN_SET - set(table.header))
        raise InputError(name, 1, "header", "not the canonical columns"
                         + (f"; unknown: {', '.join(extra)}" if extra else "")
                         + (f"; missing: {', '.join(lacking)}" if lacking else ""))
    out = Collector("canonical", str(path))
    reject_ragged(out, table)
    for line, cells in table.rows:
        out.rows_read += 1
        out.accept(line, dict(zip(table.header, cells, strict=True)))
    return out.result()


def _number(value: object) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def read_geojson(path: Path, name: str) -> ImportResult:
    text = decode(path.read_bytes(), name)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(name, exc.lineno, None, f"not valid JSON: {exc.msg} "
                         f"(column {exc.colno})") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(
            doc.get("features"), list):
        raise InputError(name, None, None, "not a GeoJSON FeatureCollection")
    out = Collector("geojson", str(path))
    for number, feature in enumerate(doc["features"], start=1):
        out.rows_read += 1
        if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
            out.reject(number, "properties", "feature has no properties object")
            continue
        raw = {k: v for k, v in feature["properties"].items() if k in _COLUMN_SET}
        problem = _merge_geometry(raw, feature.get("geometry"))
        if problem:
            out.reject(number, *problem)
            continue
        out.accept(number, raw)
    return out.result()


def _merge_geometry(raw: dict, geometry: object) -> tuple[str, str] | None:
    """Fill lat/lon from a Point; return (field, reason) when geometry and properties clash."""
    if geometry is None:
        return None
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        kind = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        return "geometry", f"only Point geometries are supported, not {str(kind)[:20]!r}"
    coords = geometry.get("coordinates")
    if not isinstance(coords, list) or len(coords) < 2:
        return "geometry", "Point without [lon, lat] coordinates"
    lon, lat = _number(coords[0]), _number(coords[1])
    if lon is None or lat is None or math.isnan(lon) or math.isnan(lat):
        return "geometry", "Point coordinates are not numbers"
    for field, value in (("latitude", lat), ("longitude", lon)):
        given = _number(raw.get(field))
        if given is None:
            raw[field] = value
        elif math.isnan(given) or abs(given - value) > 1e-9:
            return field, f"property {given!r} disagrees with the Point geometry ({value!r})"
    return None
