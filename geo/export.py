"""Data exports of the filtered events: CSV, GeoJSON, XLSX in the canonical schema.

Exports are deterministic (same data + filters → same bytes) so they can be cited and
diffed. CSV and XLSX cells that a spreadsheet would run as formulas are neutralised with a
leading apostrophe (OWASP CSV injection); GeoJSON keeps raw values (JSON is not executed).
"""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from geo.escape import for_spreadsheet
from geo.filters import Filters
from geo.schema import COLUMNS, COUNT_COLUMNS, FLOAT_COLUMNS

DATA_FORMATS = ("csv", "geojson", "xlsx")


def _cell(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars → plain Python
        return value.item()
    return value


def records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Canonical rows as plain Python dicts, in column order."""
    out = []
    for values in frame[list(COLUMNS)].itertuples(index=False, name=None):
        row = {}
        for column, value in zip(COLUMNS, values, strict=True):
            value = _cell(value)
            if column in COUNT_COLUMNS and value is not None:
                value = int(value)
            elif column in FLOAT_COLUMNS and value is not None:
                value = float(value)
            row[column] = value
        out.append(row)
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """Spreadsheet-safe canonical CSV (UTF-8, LF, RFC 4180 quoting)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in records(frame):
        writer.writerow(["" if v is None else for_spreadsheet(_text(v)) for v in row.values()])
    return buffer.getvalue().encode("utf-8")


def _text(value: object) -> str:
    if isinstance(value, float):
        return repr(value) if value != int(value) or abs(value) >= 1e15 else f"{value:.1f}"
    return str(value)


def to_geojson_bytes(frame: pd.DataFrame) -> bytes:
    """A FeatureCollection; events without coordinates get ``"geometry": null``."""
    features = []
    for row in records(frame):
        lat, lon = row["latitude"], row["longitude"]
        geometry = None
        if lat is not None and lon is not None:
            geometry = {"type": "Point", "coordinates": [lon, lat]}
        features.append({"type": "Feature", "geometry": geometry, "properties": row})
    doc = {"type": "FeatureCollection", "features": features}
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def to_xlsx_bytes(frame: pd.DataFrame, *, exported_on: date) -> bytes:
    """An XLSX workbook with one sheet; formula-like text is stored as text, not formulas."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "events"
    sheet.append(list(COLUMNS))
    for row in records(frame):
        cells = []
        for value in row.values():
            safe = for_spreadsheet(value) if isinstance(value, str) else value
            cells.append(safe)
        sheet.append(cells)
    for cell in sheet[1]:
        cell.data_type = "s"
    stamp = datetime(exported_on.year, exported_on.month, exported_on.day)
    book.properties.created = stamp
    book.properties.modified = stamp
    raw = io.BytesIO()
    book.save(raw)
    return _normalise_zip(raw.getvalue(), stamp)


def _normalise_zip(data: bytes, stamp: datetime) -> bytes:
    """Rewrite a zip with fixed entry timestamps so identical content gives identical bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in sorted(source.infolist(), key=lambda i: i.filename):
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def render(frame: pd.DataFrame, fmt: str, *, exported_on: date) -> bytes:
    if fmt == "csv":
        return to_csv_bytes(frame)
    if fmt == "geojson":
        return to_geojson_bytes(frame)
    if fmt == "xlsx":
        return to_xlsx_bytes(frame, exported_on=exported_on)
    raise ValueError(f"unknown data format {fmt!r}; use one of {', '.join(DATA_FORMATS)}")


def export_events(store, filters: Filters, fmt: str, out: Path, *, exported_on: date) -> int:
    """Write the events matching ``filters`` to ``out``; returns how many were written."""
    frame = store.events(filters, newest_first=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(render(frame, fmt, exported_on=exported_on))
    return len(frame)
