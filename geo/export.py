"""Exports of the filtered events, one entry point for the app and the CLI.

* data: CSV, GeoJSON, GeoParquet, XLSX in the canonical schema (this module);
* maps: ``png-map``/``svg-map``/``pdf-map`` (:mod:`geo.render_map`), timelines:
  ``png-timeline``/``svg-timeline``/``pdf-timeline`` (:mod:`geo.render_timeline`), the
  ``gif`` animation (:mod:`geo.animate`), all drawn on the server by vl-convert (no browser;
  SVG and PDF keep text as text for print);
* ``html``: a self-contained interactive folium map (:mod:`geo.render_html`).

This module is the only export code that reads the store: it plans (``*_inputs``) and hands
the plan and a :class:`~geo.citation.Context` to pure renderers, which import nothing of it.

Exports are deterministic (same data + filters + export date → same bytes; images → same
pixels) so they can be cited and diffed. CSV and XLSX cells that a spreadsheet would run as
formulas are neutralised with a leading apostrophe (OWASP CSV injection); GeoJSON keeps raw
values (JSON is not executed). Citable links live in :mod:`geo.citation`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import zipfile
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from geo.animate import gif_frame, render_gif, spans_for
from geo.animate import probe_frame as probe_gif
from geo.citation import Context, context
from geo.escape import for_spreadsheet
from geo.filters import Filters
from geo.mapplan import UKRAINE_ZOOM, MapPlan, plan_map
from geo.render import Frame, ImageOptions, check_options
from geo.render_html import map_html
from geo.render_map import (
    frame_for,
    needs_bbox,
    probe_frame,
    render_map_pdf,
    render_map_png,
    render_map_svg,
)
from geo.render_timeline import (
    render_timeline_pdf,
    render_timeline_png,
    render_timeline_svg,
    timeline_bin,
)
from geo.schema import COLUMNS, COUNT_COLUMNS, FLOAT_COLUMNS
from geo.timeline import MEASURES, STACKS, stack_counts

DATA_FORMATS = ("csv", "geojson", "geoparquet", "xlsx")


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


XLSX_CELL_MAX = 32_767  # characters in one cell: Excel's limit, and openpyxl cuts silently
NOTES_SHEET = "notes"


def _xlsx_text(value: str) -> tuple[str, str]:
    """A text cell as the workbook can hold it, and why it differs ('' when it does not)."""
    why = []
    text = for_spreadsheet(value)
    if ILLEGAL_CHARACTERS_RE.search(text):  # XML 1.0 cannot carry them: openpyxl refuses
        text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)
        why.append("control characters replaced by U+FFFD")
    if len(text) > XLSX_CELL_MAX:
        marker = (f" … [cut: {len(value):,} characters, Excel holds {XLSX_CELL_MAX:,}; "
                  "the CSV and GeoJSON exports have the full text]")
        text = text[: XLSX_CELL_MAX - len(marker)] + marker
        why.append(f"cut from {len(value):,} to {XLSX_CELL_MAX:,} characters")
    return text, "; ".join(why)


def xlsx_changes(frame: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(event_id, column, what changed) for each cell the workbook cannot hold as it is."""
    out = []
    for row in records(frame):
        for column, value in row.items():
            if isinstance(value, str):
                why = _xlsx_text(value)[1]
                if why:
                    out.append((str(row["event_id"]), column, why))
    return out


def export_notes(frame: pd.DataFrame, fmt: str) -> list[str]:
    """One-line notes for the export report (today: cells an XLSX could not hold whole)."""
    if fmt != "xlsx":
        return []
    changes = xlsx_changes(frame)
    if not changes:
        return []
    first = ", ".join(f"{event_id} {column}" for event_id, column, _ in changes[:3])
    more = f" and {len(changes) - 3:,} more" if len(changes) > 3 else ""
    return [f"{len(changes):,} XLSX cells could not be kept whole ({first}{more}): they are "
            f"marked in the cell and listed on the '{NOTES_SHEET}' sheet; the CSV and GeoJSON "
            "exports keep the full text"]


def to_geoparquet_bytes(frame: pd.DataFrame) -> bytes:
    """GeoParquet (point geometry, EPSG:4326, the canonical columns, values as stored), read
    back by ``geopandas.read_parquet``; events without coordinates have a null geometry.
    Raw values, like GeoJSON: Parquet is not opened by spreadsheets as formulas."""
    table = pd.DataFrame(records(frame), columns=list(COLUMNS))
    for column in COUNT_COLUMNS:
        table[column] = table[column].astype("Int64")
    for column in FLOAT_COLUMNS:
        table[column] = table[column].astype("float64")
    points = gpd.points_from_xy(table["longitude"], table["latitude"])
    has_point = table["latitude"].notna() & table["longitude"].notna()
    geometry = gpd.GeoSeries([p if ok else None for p, ok in zip(points, has_point,
                                                                  strict=True)],
                             crs="EPSG:4326")
    out = io.BytesIO()
    gpd.GeoDataFrame(table, geometry=geometry).to_parquet(out, index=False)
    return out.getvalue()


def to_xlsx_bytes(frame: pd.DataFrame, *, exported_on: date) -> bytes:
    """An XLSX workbook with one sheet; formula-like text is stored as text, not formulas.

    A text longer than Excel's 32,767 characters per cell is cut with a visible marker, and
    control characters XML cannot carry are replaced; a ``notes`` sheet lists every such
    cell (issue 14, item 7), so nothing is lost silently.
    """
    book = Workbook()
    sheet = book.active
    sheet.title = "events"
    sheet.append(list(COLUMNS))
    changes = []
    for row in records(frame):
        cells = []
        for column, value in row.items():
            if isinstance(value, str):
                value, why = _xlsx_text(value)
                if why:
                    changes.append([str(row["event_id"]), column, why])
            cells.append(value)
        sheet.append(cells)
    for cell in sheet[1]:
        cell.data_type = "s"
    if changes:
        notes = book.create_sheet(NOTES_SHEET)
        notes.append(["event_id", "column", "what changed in this workbook"])
        for change in changes:
            notes.append([for_spreadsheet(v) for v in change])
    stamp = datetime(exported_on.year, exported_on.month, exported_on.day)
    book.properties.created = stamp
    book.properties.modified = stamp
    raw = io.BytesIO()
    book.save(raw)
    return _normalise_zip(raw.getvalue(), stamp)


def _normalise_zip(data: bytes, stamp: datetime) -> bytes:
    """Rewrite a zip with fixed entry timestamps so identical content gives identical bytes.

    openpyxl also stamps ``dcterms:modified`` with the current time when it saves, whatever
    the workbook properties say; that element is set to ``stamp`` here.
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    when = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode("ascii")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in sorted(source.infolist(), key=lambda i: i.filename):
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                 rb"\g<1>" + when + rb"\g<2>", content)
            target.writestr(fixed, content)
    return out.getvalue()


def render(frame: pd.DataFrame, fmt: str, *, exported_on: date) -> bytes:
    if fmt == "csv":
        return to_csv_bytes(frame)
    if fmt == "geojson":
        return to_geojson_bytes(frame)
    if fmt == "xlsx":
        return to_xlsx_bytes(frame, exported_on=exported_on)
    if fmt == "geoparquet":
        return to_geoparquet_bytes(frame)
    raise ValueError(f"unknown data format {fmt!r}; use one of {', '.join(DATA_FORMATS)}")


def export_events(store, filters: Filters, fmt: str, out: Path, *, exported_on: date) -> int:
    """Write the events matching ``filters`` to ``out``; returns how many were written."""
    frame = store.events(filters, newest_first=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(render(frame, fmt, exported_on=exported_on))
    return len(frame)


# ---- every format -------------------------------------------------------------------------
FORMATS = ("csv", "geojson", "geoparquet", "xlsx", "png-map", "svg-map", "pdf-map", "png-timeline",
           "svg-timeline", "pdf-timeline", "gif", "html")
MAP_FORMATS = ("png-map", "svg-map", "pdf-map")
TIMELINE_FORMATS = ("png-timeline", "svg-timeline", "pdf-timeline")
FORMAT_LABELS = {
    "csv": "CSV (events table)",
    "geojson": "GeoJSON (events as features)",
    "geoparquet": "GeoParquet (events as features, for geopandas/QGIS)",
    "xlsx": "Excel workbook (events table)",
    "png-map": "PNG image of the map",
    "svg-map": "SVG of the map (vector, for print and editing)",
    "pdf-map": "PDF of the map (vector, for print)",
    "png-timeline": "PNG image of the timeline",
    "svg-timeline": "SVG of the timeline (vector, for print and editing)",
    "pdf-timeline": "PDF of the timeline (vector, for print)",
    "gif": "GIF animation of the map over time",
    "html": "Interactive map (HTML, works offline)",
}
MEDIA = {
    "csv": ("text/csv", "csv"),
    "geojson": ("application/geo+json", "geojson"),
    "geoparquet": ("application/vnd.apache.parquet", "parquet"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "png-map": ("image/png", "png"),
    "svg-map": ("image/svg+xml", "svg"),
    "pdf-map": ("application/pdf", "pdf"),
    "png-timeline": ("image/png", "png"),
    "svg-timeline": ("image/svg+xml", "svg"),
    "pdf-timeline": ("application/pdf", "pdf"),
    "gif": ("image/gif", "gif"),
    "html": ("text/html", "html"),
}
MAP_RENDERERS = {"png-map": render_map_png, "svg-map": render_map_svg,
                 "pdf-map": render_map_pdf, "html": map_html}
TIMELINE_RENDERERS = {"png-timeline": render_timeline_png, "svg-timeline": render_timeline_svg,
                      "pdf-timeline": render_timeline_pdf}


@dataclass(frozen=True)
class Exported:
    data: bytes
    fmt: str
    events: int  # events matching the filters (all of them are in data exports)
    notes: tuple[str, ...] = ()  # one line each, for the report (geo.export.export_notes)

    @property
    def mime(self) -> str:
        return MEDIA[self.fmt][0]


def file_name(fmt: str, exported_on: date) -> str:
    stem = {"gif": "map-animation", "html": "map"}.get(fmt, fmt.split("-")[-1])
    stem = stem if fmt not in DATA_FORMATS else "events"
    return f"salvo-{stem}-{exported_on.isoformat()}.{MEDIA[fmt][1]}"


# ---- planning: the only export code that reads the store ------------------------------------
def _plan(store, filters: Filters, frame: Frame, options: ImageOptions, max_points: int
          ) -> MapPlan:
    bbox = frame.bbox() if needs_bbox(options) else None
    return plan_map(store, filters, max_points=max_points, zoom=frame.zoom, bbox=bbox)


def map_inputs(store, filters: Filters, options: ImageOptions, exported_on: date
               ) -> tuple[MapPlan, Context]:
    """The plan and caption facts of a static map.

    Laid out once to know the zoom, planned, then laid out with the real caption (its
    length moves the view): planned again only if the view moved.
    """
    ctx = context(store, filters, exported_on, options.lang)
    probe = probe_frame(options)
    plan = _plan(store, filters, probe, options, options.max_points)
    frame, _lines = frame_for(plan, ctx, options)
    if frame.zoom != probe.zoom or (needs_bbox(options) and frame.bbox() != probe.bbox()):
        plan = _plan(store, filters, frame, options, options.max_points)
    return plan, ctx


def html_inputs(store, filters: Filters, options: ImageOptions, exported_on: date
                ) -> tuple[MapPlan, Context]:
    """The interactive map starts at the link's zoom (or all of Ukraine), like the app."""
    view = options.view
    zoom = view.zoom if view and view.zoom else UKRAINE_ZOOM
    return (plan_map(store, filters, max_points=options.max_points, zoom=zoom),
            context(store, filters, exported_on, options.lang))


def gif_inputs(store, filters: Filters, options: ImageOptions, exported_on: date
               ) -> tuple[Context, MapPlan, list[MapPlan]]:
    """The whole range's plan and one cumulative plan per frame (same zoom and view)."""
    ctx = context(store, filters, exported_on, options.lang)
    final = _plan(store, ctx.pinned, probe_gif(ctx, options), options, options.max_points)
    frame, _lines = gif_frame(ctx, options, final.mode)
    final = _plan(store, ctx.pinned, frame, options, options.max_points)
    limit = 0 if final.mode == "grid" else options.max_points
    _step, spans = spans_for(ctx, options)
    first = spans[0][0]
    plans = [_plan(store, replace(ctx.pinned, date_from=first, date_to=end), frame, options,
                   limit) for _start, end in spans]
    return ctx, final, plans


def timeline_inputs(store, filters: Filters, options: ImageOptions, exported_on: date
                    ) -> tuple[pd.DataFrame, Context, str]:
    """The timeline aggregate (stacked as asked), the caption facts and the bin used."""
    ctx = context(store, filters, exported_on, options.lang)
    bin_ = timeline_bin(options, ctx.first, ctx.last)
    return stack_counts(store, filters, bin_, options.stack), ctx, bin_


def export_bytes(store, filters: Filters, fmt: str, *, exported_on: date,
                 options: ImageOptions | None = None) -> Exported:
    """The bytes of one export. Same data, filters, options and date → same bytes
    (data formats, SVG and HTML) or the same pixels (images)."""
    options = options or ImageOptions()
    validate(fmt, options)
    if fmt in DATA_FORMATS:
        frame = store.events(filters, newest_first=False)
        return Exported(render(frame, fmt, exported_on=exported_on), fmt, len(frame),
                        tuple(export_notes(frame, fmt)))
    if fmt in TIMELINE_RENDERERS:
        counts, ctx, bin_ = timeline_inputs(store, filters, options, exported_on)
        data = TIMELINE_RENDERERS[fmt](counts, ctx, options, bin_)
    elif fmt == "gif":
        ctx, final, plans = gif_inputs(store, filters, options, exported_on)
        data = render_gif(ctx, options, final, plans)
    else:
        make = html_inputs if fmt == "html" else map_inputs
        plan, ctx = make(store, filters, options, exported_on)
        data = MAP_RENDERERS[fmt](plan, ctx, options)
    return Exported(data, fmt, ctx.total)


def validate(fmt: str, options: ImageOptions) -> None:
    """Raise ``ValueError`` (one line, for people) when ``fmt``/``options`` can't be made."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt in DATA_FORMATS:
        return
    check_options(options, fmt)
    if fmt in TIMELINE_FORMATS and options.measure not in MEASURES:
        raise ValueError(f"measure {options.measure!r}: use one of {', '.join(MEASURES)}")
    if fmt in TIMELINE_FORMATS and options.stack not in STACKS:
        raise ValueError(f"stack {options.stack!r}: use one of {', '.join(STACKS)}")


def export_to_file(store, filters: Filters, fmt: str, out: Path, *, exported_on: date,
                   options: ImageOptions | None = None) -> Exported:
    result = export_bytes(store, filters, fmt, exported_on=exported_on, options=options)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(result.data)
    tmp.replace(out)  # no half-written file under the final name
    return result
