"""Exports of the filtered events, one entry point for the app and the CLI.

* data: CSV, GeoJSON, GeoParquet, XLSX in the canonical schema (this module);
* images: ``png-map`` (:mod:`geo.render_map`), ``png-timeline`` (:mod:`geo.render_timeline`),
  ``gif`` (:mod:`geo.animate`), rendered on the server by vl-convert, no browser;
* ``html``: a self-contained interactive folium map (this module) that opens offline.

Exports are deterministic (same data + filters + export date → same bytes; images → same
pixels) so they can be cited and diffed. CSV and XLSX cells that a spreadsheet would run as
formulas are neutralised with a leading apostrophe (OWASP CSV injection); GeoJSON keeps raw
values (JSON is not executed); every string in the HTML goes through ``geo.escape.for_map``.

Citable links (:func:`citable_url`) carry every filter and pin ``from``/``to`` to explicit
dates, so a link does not silently change meaning when newer events arrive.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd

from geo.escape import for_map, for_spreadsheet
from geo.filters import Filters, View, to_query
from geo.render import ImageOptions, check_options
from geo.schema import COLUMNS, COUNT_COLUMNS, FLOAT_COLUMNS

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
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

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
    import geopandas as gpd

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
    from openpyxl import Workbook

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


# ---- citable state ------------------------------------------------------------------------
def _day(value: object) -> date | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def store_range(store) -> tuple[date | None, date | None]:
    """First and last date of the events the store shows (active, published), or Nones."""
    where, params = store.where(Filters())
    frame = store._query(
        "SELECT CAST(min(event_date) AS VARCHAR) AS first, CAST(max(event_date) AS VARCHAR) "
        f"AS last FROM events WHERE {where}", params)
    return _day(frame["first"].iloc[0]), _day(frame["last"].iloc[0])


def source_datasets(store, filters: Filters) -> list[str]:
    """The distinct ``source_dataset`` values of the events matching ``filters``, sorted."""
    where, params = store.where(filters)
    frame = store._query(
        f"SELECT DISTINCT source_dataset AS d FROM events WHERE {where} ORDER BY 1", params)
    return [str(v) for v in frame["d"] if v is not None and str(v)]


def pin_dates(filters: Filters, first: date | None, last: date | None) -> Filters:
    """``filters`` with explicit from/to: the filters' own dates, else the store's range.

    A link or caption that says "all dates" changes meaning when newer data arrives; one
    that says 2022-09-28 – 2026-04-05 keeps showing the same events.
    """
    return filters.with_dates(filters.date_from or first, filters.date_to or last)


def citable_query(filters: Filters, view: View | None, first: date | None,
                  last: date | None) -> dict[str, str | list[str]]:
    """URL parameters for a link that keeps its meaning: all filters, dates pinned, view."""
    return to_query(pin_dates(filters, first, last), view)


def citable_url(base: str, filters: Filters, view: View | None, first: date | None,
                last: date | None) -> str:
    """``base`` (the page URL without a query, or '' for a relative link) plus the query."""
    query = urlencode(citable_query(filters, view, first, last), doseq=True)
    return f"{base.split('?', 1)[0].split('#', 1)[0]}?{query}" if query else base


# ---- every format -------------------------------------------------------------------------
FORMATS = ("csv", "geojson", "geoparquet", "xlsx", "png-map", "png-timeline", "gif", "html")
FORMAT_LABELS = {
    "csv": "CSV (events table)",
    "geojson": "GeoJSON (events as features)",
    "geoparquet": "GeoParquet (events as features, for geopandas/QGIS)",
    "xlsx": "Excel workbook (events table)",
    "png-map": "PNG image of the map",
    "png-timeline": "PNG image of the timeline",
    "gif": "GIF animation of the map over time",
    "html": "Interactive map (HTML, works offline)",
}
MEDIA = {
    "csv": ("text/csv", "csv"),
    "geojson": ("application/geo+json", "geojson"),
    "geoparquet": ("application/vnd.apache.parquet", "parquet"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "png-map": ("image/png", "png"),
    "png-timeline": ("image/png", "png"),
    "gif": ("image/gif", "gif"),
    "html": ("text/html", "html"),
}


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
    stem = {"png-map": "map", "png-timeline": "timeline", "gif": "map-animation",
            "html": "map"}.get(fmt, "events")
    return f"salvo-{stem}-{exported_on.isoformat()}.{MEDIA[fmt][1]}"


def export_bytes(store, filters: Filters, fmt: str, *, exported_on: date,
                 options: ImageOptions | None = None) -> Exported:
    """The bytes of one export. Same data, filters, options and date → same bytes
    (data formats and HTML) or the same pixels (images)."""
    options = options or ImageOptions()
    validate(fmt, options)
    if fmt in DATA_FORMATS:
        frame = store.events(filters, newest_first=False)
        return Exported(render(frame, fmt, exported_on=exported_on), fmt, len(frame),
                        tuple(export_notes(frame, fmt)))
    if fmt == "png-map":
        from geo.render_map import render_map_png as make
    elif fmt == "png-timeline":
        from geo.render_timeline import render_timeline_png as make
    elif fmt == "gif":
        from geo.animate import render_gif as make
    else:
        make = map_html
    return Exported(make(store, filters, options, exported_on), fmt, store.count(filters))


def validate(fmt: str, options: ImageOptions) -> None:
    """Raise ``ValueError`` (one line, for people) when ``fmt``/``options`` can't be made."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt in DATA_FORMATS:
        return
    check_options(options, fmt)
    measures = ("events", "launched", "destroyed_share")  # geo.timeline.MEASURES
    if fmt == "png-timeline" and options.measure not in measures:
        raise ValueError(f"measure {options.measure!r}: use one of {', '.join(measures)}")


def export_to_file(store, filters: Filters, fmt: str, out: Path, *, exported_on: date,
                   options: ImageOptions | None = None) -> Exported:
    result = export_bytes(store, filters, fmt, exported_on=exported_on, options=options)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(result.data)
    tmp.replace(out)  # no half-written file under the final name
    return result


# ---- self-contained HTML map --------------------------------------------------------------
def _leaflet_css() -> str:
    """leaflet.css with its images inlined as data: URIs (no relative file lookups)."""
    from geo.assets import vendor_file

    css = vendor_file("leaflet.css").read_text(encoding="utf-8")
    images = vendor_file("images")

    def inline(match: re.Match) -> str:
        path = images / Path(match.group(1)).name
        if not path.is_file():
            return "url(data:,)"
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\(\s*['\"]?images/([\w.-]+)['\"]?\s*\)", inline, css)


def _script(name: str) -> str:
    from geo.assets import vendor_file

    text = vendor_file(name).read_text(encoding="utf-8")
    # Inside <script>, only "</script" (and "<!--") can end or confuse the element.
    return text.replace("</script", "<\\/script").replace("<!--", "<\\!--")


def _legend_html(title: str, lines: list[str], plan) -> str:
    """The legend and caption box; every text through geo.escape.for_map."""
    from geo.maps import legend_items

    swatch = ('<span style="display:inline-block;width:11px;height:11px;border-radius:6px;'
              'margin-right:6px;vertical-align:-1px;background:{}"></span>')
    parts = [f'<div style="color:#444">{for_map(line)}</div>' for line in lines]
    items = legend_items(plan) if plan.mode == "points" else []
    if items:
        parts.append('<div style="font-weight:bold;margin-top:6px">Weapon origin</div>')
        parts += [f"<div>{swatch.format(for_map(c))}{for_map(label)}</div>"
                  for c, label in items]
        parts.append('<div style="font-weight:bold;margin-top:6px">Location precision</div>')
        parts += [f"<div>{for_map(text)}</div>" for text in (
            "● small solid dot: exact point", "◯ ring: settlement centre",
            "◌ large dashed circle: district centre (approximate)")]
    if plan.mode == "grid":
        parts.append('<div style="font-weight:bold;margin-top:6px">Aggregated events</div>')
        parts.append("<div>" + for_map("numbered circle: size = count, colour = the most "
                                       "common origin (hover for the breakdown)") + "</div>")
        parts += [f"<div>{swatch.format(for_map(c))}{for_map(label)}</div>"
                  for c, label in legend_items(plan)]
    if not plan.areas.empty:
        parts.append('<div style="margin-top:6px"><span style="display:inline-block;'
                     'width:14px;height:10px;background:#e6550d;opacity:.45;margin-right:6px">'
                     '</span>' + for_map("shaded oblast: events located only to the oblast")
                     + "</div>")
    # <details>: readers can fold the box away without any script.
    return ('<details open id="salvo-legend" style="position:fixed;left:10px;bottom:44px;'
            "z-index:1000;max-width:380px;max-height:70vh;overflow:auto;"
            "background:rgba(255,255,255,.93);border:1px solid #bbb;border-radius:4px;"
            'padding:6px 10px;font:12px/1.4 sans-serif;color:#222">'
            '<summary style="font-weight:bold;font-size:14px;cursor:pointer">'
            f"{for_map(title)}</summary>" + "".join(parts) + "</details>")


def _stable_ids(root) -> None:
    """Replace folium's random element ids by a counter, so the HTML is reproducible."""
    counter = 0
    stack = [root]
    while stack:
        element = stack.pop(0)
        counter += 1
        element._id = f"{counter:032x}"
        stack.extend(getattr(element, "_children", {}).values())
        for extra in ("header", "html", "script"):
            child = getattr(element, extra, None)
            if child is not None and child is not element and hasattr(child, "_children"):
                stack.append(child)


def map_html(store, filters: Filters, options: ImageOptions, exported_on: date) -> bytes:
    """A self-contained interactive map: Leaflet, jQuery and CSS inlined; no tiles, no CDN."""
    from branca.element import Element

    from geo.maps import UKRAINE_ZOOM, base_map, layers, plan_map
    from geo.render import EXTENT, caption_lines, context, title_text
    from geo.render_map import MAP_TITLE, counts_text, origin_breakdown

    ctx = context(store, filters, exported_on)
    view = options.view
    zoom = (view.zoom if view and view.zoom else UKRAINE_ZOOM)
    plan = plan_map(store, filters, max_points=options.max_points, zoom=zoom)
    lines = caption_lines(ctx, counts_text(plan, ctx), 10**6, extra=origin_breakdown(plan))
    has_centre = view is not None and view.lat is not None and view.lon is not None
    fmap = base_map(center=(view.lat, view.lon) if has_centre else (48.6, 31.3), zoom=zoom,
                    local_assets=False)
    fmap.default_js = []  # inlined below instead of CDN links
    fmap.default_css = []
    for layer in layers(plan):
        layer.add_to(fmap)
    if not has_centre:
        west, south, east, north = EXTENT
        fmap.fit_bounds([[south, west], [north, east]])
    title = title_text(options, MAP_TITLE)
    root = fmap.get_root()
    root.title = for_map(title)
    root.html.add_child(Element(_legend_html(title, lines, plan)), name="salvo_legend")
    _stable_ids(root)
    page = root.render()
    assets = (f"<style>{_leaflet_css()}</style>\n<script>{_script('leaflet.js')}</script>\n"
              f"<script>{_script('jquery.min.js')}</script>\n")
    head_end = page.find("</head>")
    if head_end < 0:
        raise RuntimeError("folium produced HTML without a </head>")
    page = page[:head_end] + assets + page[head_end:]
    return page.encode("utf-8")
