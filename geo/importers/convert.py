"""Canonical writers: CSV and GeoJSON with deterministic bytes, lossless through the readers.

Same events → same bytes: rows sorted by (event_date, event_id), UTF-8 without BOM, LF line
ends, RFC 4180 quoting, floats in shortest round-trip form (``repr``), counts as integers.

These files are the canonical *interchange* format, so cells are written exactly as stored:
they are NOT neutralised for spreadsheets (a description starting with ``=`` stays as is,
otherwise ``read → write → read`` would not be lossless). Exports meant to be opened in a
spreadsheet go through ``geo.export``, which applies ``geo.escape.for_spreadsheet``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pandas as pd

from geo.schema import COLUMNS, COUNT_COLUMNS, FLOAT_COLUMNS


def _value(column: str, value: object) -> object:
    """A cell as a plain Python value: None for missing numbers, '' for missing text."""
    missing = value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
    if column in COUNT_COLUMNS:
        return None if missing else int(value)  # type: ignore[arg-type]
    if column in FLOAT_COLUMNS:
        return None if missing else float(value)  # type: ignore[arg-type]
    return "" if missing else str(value)


def canonical_records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Rows in writing order (event_date, event_id) as dicts in column order."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"events lack canonical columns: {', '.join(missing)}")
    ordered = frame.sort_values(["event_date", "event_id"], kind="mergesort")
    return [
        {column: _value(column, value) for column, value in zip(COLUMNS, values, strict=True)}
        for values in ordered[list(COLUMNS)].itertuples(index=False, name=None)
    ]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for row in canonical_records(frame):
        writer.writerow([_cell(v) for v in row.values()])
    return buffer.getvalue().encode("utf-8")


def geojson_bytes(frame: pd.DataFrame) -> bytes:
    """A FeatureCollection, one feature per line; ``geometry`` is null without coordinates."""
    lines = []
    for row in canonical_records(frame):
        lat, lon = row["latitude"], row["longitude"]
        geometry = None if lat is None or lon is None else {
            "type": "Point", "coordinates": [lon, lat]}
        feature = {"type": "Feature", "geometry": geometry, "properties": row}
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":"),
                                allow_nan=False))
    body = ",\n".join(lines)
    return ('{"type":"FeatureCollection","features":[\n' + body + ("\n" if lines else "")
            + "]}\n").encode("utf-8")


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write the canonical CSV (not spreadsheet-neutralised: see the module docstring)."""
    Path(path).write_bytes(csv_bytes(frame))


def write_geojson(frame: pd.DataFrame, path: str | Path) -> None:
    """Write the canonical GeoJSON FeatureCollection."""
    Path(path).write_bytes(geojson_bytes(frame))
