"""Our GeoParquet export read back: the canonical columns plus a WKB Point ``geometry``.

The row-by-row reference reader (the bulk import, :mod:`.native`, reads the same files in
DuckDB and must give the same result). Row numbers are record numbers (1 = first); a Point
fills missing coordinates and must agree with given ones, as in our GeoJSON
(:func:`geo.importers.canonical._merge_geometry`). Any other Parquet file is ``geodata``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from geo.importers._common import Collector, ImportResult, InputError
from geo.importers.canonical import _COLUMN_SET, _LEGACY_SET, _merge_geometry

if TYPE_CHECKING:
    from geo.importers import Head


def parquet_columns(path: Path) -> list[str] | None:
    """The columns of a canonical (Geo)Parquet file, else None."""
    with open(path, "rb") as handle:
        if handle.read(4) != b"PAR1":
            return None
    try:
        names = pq.read_schema(path).names
    except (pa.ArrowException, OSError):
        return None
    columns = [n for n in names if n != "geometry"]
    if len(set(columns)) != len(columns) or set(columns) not in (_COLUMN_SET, _LEGACY_SET):
        return None
    return names


def sniff(head: Head) -> bool:
    """Our own GeoParquet export: a Parquet file whose columns are the canonical ones (plus
    ``geometry``). Any other Parquet is ``geodata``."""
    return head.data[:4] == b"PAR1" and head.path is not None and \
        parquet_columns(head.path) is not None


def wkb_geometry(value: bytes | None) -> dict | None:
    """A WKB geometry as the GeoJSON-like mapping :func:`_merge_geometry` judges."""
    import shapely

    if value is None:
        return None
    try:
        shape = shapely.from_wkb(value)
    except shapely.errors.GEOSException:
        return {"type": "invalid WKB"}
    if shape is None:
        return None
    if shape.geom_type != "Point":
        return {"type": shape.geom_type}
    return {"type": "Point", "coordinates": [] if shape.is_empty else list(shape.coords[0])}


def read(path: Path, name: str) -> ImportResult:
    """The reference reader of our GeoParquet: each record's columns through
    :func:`normalise_row`, its Point geometry as for GeoJSON (row = record number, 1 =
    first). The bulk import (:mod:`.native`) reads the same files in DuckDB."""
    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - any Arrow/IO failure: one line
        raise InputError(name, None, None, f"unreadable Parquet: {str(exc)[:100]}") from None
    out = Collector("geoparquet", str(path))
    names = [n for n in table.column_names if n in _COLUMN_SET]
    geometry = table.column("geometry").to_pylist() if "geometry" in table.column_names \
        else None
    columns = {n: table.column(n).to_pylist() for n in names}
    for i in range(table.num_rows):
        out.rows_read += 1
        raw = {n: columns[n][i] for n in names}
        problem = _merge_geometry(raw, wkb_geometry(geometry[i]) if geometry else None)
        if problem:
            out.reject(i + 1, *problem)
            continue
        out.accept(i + 1, raw)
    return out.result()
