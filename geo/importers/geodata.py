"""Every geodata container through one path: rows of properties plus a point, then ``generic``.

GeoJSON (FeatureCollection, one Feature, a JSON array of Features), JSON arrays of plain
objects (or an object holding one such array), NDJSON / GeoJSON sequences, KML and KMZ
(Google My Maps and most OSINT maps), GeoPackage, a zipped Shapefile and (Geo)Parquet are read
into one :class:`~geo.importers.tables.Table`: one column per property (first-seen order) plus
``geometry_latitude`` / ``geometry_longitude`` from the feature's geometry. That table then
goes through exactly the column detection, mapping, memory and row rules of
:mod:`geo.importers.generic` (so ``data``, ``tipo``, ``дата``, ``місце``, ``titolo``, ``luogo``
are found there, and ``--map`` / the Import page's editor work the same).

Geometry: a Point is the event's point. Any other geometry gives its representative point
(inside the shape) and ``geometry_precision`` ``settlement`` (extent under ~10 km) or
``region``, so the map never shows a polygon's centre as an exact hit; the report counts these.
A null or empty geometry leaves the row to the property columns (coordinates or a place name).
Coordinates are reprojected to WGS 84 when the file states another CRS (a legacy GeoJSON
``crs`` member too); a file without a CRS whose coordinates are not degrees is refused.

Bounds, checked before anything is parsed whole: JSON nesting deeper than
``SALVO_JSON_MAX_DEPTH`` (64 by default) is refused after a linear scan (Python's parser
raised RecursionError on
0.4 MB of ``[``); JSON is streamed (``ijson``), so the row limit stops a document of millions of
features at the first feature over it; OGR/Parquet files report their feature count first;
ZIP containers (KMZ, Shapefile) are size-checked like XLSX and never extracted to disk.
"""

from __future__ import annotations

import io
import json
import math
import re
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from geo import limits
from geo.importers.errors import InputError
from geo.importers.tables import (
    XLSX_MAX_RATIO,
    ReadOptions,
    Table,
    add_rows,
)
from geo.importers.text import decode_any

MAX_COLUMNS = 200          # property names kept (the rest counted in the report)
LAT, LON, PRECISION = "geometry_latitude", "geometry_longitude", "geometry_precision"
OGR_SUFFIXES = {".kml": "KML", ".kmz": "KMZ", ".gpkg": "GeoPackage", ".zip": "Shapefile (zip)",
                ".shp": "Shapefile"}
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')


def container(data: bytes, members: tuple[str, ...] = ()) -> str:
    """The container of a file from its first bytes (and ZIP member names); '' if none."""
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"["):
        return "json"
    if data.startswith(b"PAR1"):
        return "parquet"
    if data.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if b"<kml" in data[:4096] and stripped[:1] == b"<":
        return "kml"
    if members:
        lowered = [m.lower() for m in members]
        if any(m.endswith(".shp") for m in lowered):
            return "shapefile"
        if any(m.endswith(".kml") for m in lowered):
            return "kmz"
    return ""


# ---- cells ---------------------------------------------------------------------------------

def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)[:2000]
    if hasattr(value, "isoformat"):
        return value.isoformat()  # datetimes from GeoPackage/Parquet
    text = str(value)
    return "" if text in ("NaT", "nan", "None") else text


def _point_of(shape) -> tuple[str, str, str, str]:
    """(lat, lon, precision, problem) for a shapely geometry."""
    if shape is None or shape.is_empty:
        return "", "", "", ""
    if shape.geom_type == "Point":
        return repr(float(shape.y)), repr(float(shape.x)), "", ""
    try:
        point = shape.representative_point()
    except Exception:  # noqa: BLE001 - GEOS errors on broken rings
        return "", "", "", f"cannot place a {shape.geom_type}"
    minx, miny, maxx, maxy = shape.bounds
    precision = "settlement" if max(maxx - minx, maxy - miny) <= 0.1 else "region"
    return repr(float(point.y)), repr(float(point.x)), precision, ""


def _geojson_point(geometry: object) -> tuple[str, str, str, str]:
    if geometry is None:
        return "", "", "", ""
    if not isinstance(geometry, dict):
        return "", "", "", "geometry is not an object"
    if geometry.get("type") == "Point":
        coords = geometry.get("coordinates")
        if not isinstance(coords, list) or len(coords) < 2:
            return "", "", "", "Point without [lon, lat] coordinates"
        return _cell(coords[1]), _cell(coords[0]), "", ""
    import shapely.geometry

    try:
        shape = shapely.geometry.shape(geometry)
    except Exception:  # noqa: BLE001 - any malformed geometry is one row's problem
        return "", "", "", f"unreadable {str(geometry.get('type'))[:20]} geometry"
    return _point_of(shape)


# ---- building the table --------------------------------------------------------------------

class _Builder:
    """Collects (row number, properties, point) and lays them out as a Table."""

    def __init__(self, name: str, max_rows: int | None):
        self.name, self.max_rows = name, max_rows
        self.items: list[tuple[int, dict[str, str], tuple[str, str, str]]] = []
        self.columns: dict[str, None] = {}
        self.bad: list[tuple[int, str, str]] = []
        self.dropped_columns = 0
        self.shapes = 0

    def add(self, number: int, props: dict, point: tuple[str, str, str, str]) -> None:
        if self.max_rows is not None and len(self.items) + len(self.bad) >= self.max_rows:
            raise InputError(self.name, number, None, f"more than {self.max_rows:,} data rows "
                             "(the limit); split the file or import it with the command line")
        lat, lon, precision, problem = point
        if problem:
            self.bad.append((number, "geometry", problem))
            return
        self.shapes += bool(precision)
        cells: dict[str, str] = {}
        for key, value in props.items():
            key = " ".join(str(key).split())[:100]
            if not key:
                continue
            if key not in self.columns:
                if len(self.columns) >= MAX_COLUMNS:
                    self.dropped_columns += 1
                    continue
                self.columns[key] = None
            cells[key] = _cell(value)
        self.items.append((number, cells, (lat, lon, precision)))

    def table(self, label: str, notes: Iterable[str] = ()) -> Table:
        names = list(self.columns)
        geometry = [LAT, LON, PRECISION]
        for i, column in enumerate(geometry):
            while column in self.columns:
                column = "_" + column
            geometry[i] = column
        has_points = any(p[0] for _, _, p in self.items)
        has_shapes = self.shapes > 0
        header = names + (geometry[:2] if has_points else []) + (
            geometry[2:] if has_shapes else [])
        table = Table(header, [], encoding="UTF-8", delimiter="", container=label)
        table.bad.extend(self.bad)

        def rows():
            for number, cells, point in self.items:
                row = [cells.get(n, "") for n in names]
                if has_points:
                    row += [point[0], point[1]]
                if has_shapes:
                    row.append(point[2])
                yield number, row

        add_rows(table, self.name, rows(), None)
        extra = [f"{self.shapes} non-point geometries placed at a representative point"
                 ] if self.shapes else []
        if self.dropped_columns:
            extra.append(f"properties beyond the first {MAX_COLUMNS} names ignored")
        table.container = "; ".join([label, *notes, *extra])
        return table


# ---- JSON ----------------------------------------------------------------------------------

def check_depth(data: bytes, name: str) -> None:
    """Refuse JSON nested deeper than ``SALVO_JSON_MAX_DEPTH``, by a linear scan (strings
    ignored)."""
    bare = _STRING.sub(b'""', data)
    codes = np.frombuffer(bare, dtype=np.uint8)
    brackets = np.flatnonzero((codes == 91) | (codes == 123) | (codes == 93) | (codes == 125))
    if not brackets.size:
        return
    steps = np.where((codes[brackets] == 91) | (codes[brackets] == 123), 1, -1)
    depth = int(np.cumsum(steps).max())
    bound = limits.current().json_depth
    if depth > bound:
        raise InputError(name, None, None, f"JSON nested {depth:,} levels deep (refused: over "
                         f"{bound}, SALVO_JSON_MAX_DEPTH); not a table of events")


def count_features(data: bytes, name: str, max_rows: int) -> None:
    """Raise the row-limit error at the first feature past ``max_rows`` (streamed)."""
    import ijson

    try:
        for number, _ in enumerate(_stream(data, "features.item"), start=1):
            if number > max_rows:
                raise InputError(name, number, None, f"more than {max_rows:,} data rows (the "
                                 "limit); split the file or import it with the command line")
    except ijson.JSONError:
        return  # the full parse names the JSON error


def _stream(data: bytes, prefix: str) -> Iterator[object]:
    import ijson

    return ijson.items(io.BytesIO(data), prefix, use_float=True)


def _is_feature(item: object) -> bool:
    return isinstance(item, dict) and item.get("type") == "Feature"


def _crs_transformer(data: bytes, name: str):
    """A transformer to WGS 84 for a legacy GeoJSON ``crs`` member (None for WGS 84/none)."""
    match = re.search(rb'"crs"\s*:\s*\{[^{}]*"properties"\s*:\s*\{[^{}]*"name"\s*:\s*"([^"]+)"',
                      data[:65536])
    if not match:
        return None, ""
    crs = match.group(1).decode("utf-8", "replace")
    if re.search(r"CRS84$|EPSG:{1,2}4326$", crs):
        return None, ""
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    try:
        source = CRS.from_user_input(crs)
    except CRSError:
        raise InputError(name, None, "crs", f"unknown CRS {crs[:60]!r}") from None
    return Transformer.from_crs(source, "EPSG:4326", always_xy=True), crs


def _json_rows(data: bytes, name: str) -> tuple[Iterator[tuple[int, object]], str]:
    """(numbered items, label) of a JSON document or a sequence of lines."""
    text_start = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    lines = [line for line in text_start.splitlines() if line.strip()]
    if text_start[:1] == b"{" and len(lines) > 1:
        try:
            first = json.loads(lines[0].lstrip(b"\x1e"))
        except (ValueError, RecursionError):
            first = None
        if isinstance(first, dict):
            return _lines(lines, name), "NDJSON / GeoJSON sequence"
    if text_start[:1] == b"[":
        return enumerate(_stream(text_start, "item"), start=1), "JSON array"
    head = text_start[:65536]
    if re.search(rb'"type"\s*:\s*"FeatureCollection"', head) or b'"features"' in head:
        return enumerate(_stream(text_start, "features.item"), start=1), \
            "GeoJSON FeatureCollection"
    try:
        doc = json.loads(text_start)
    except (ValueError, RecursionError) as exc:
        raise InputError(name, None, None, f"not valid JSON: {str(exc)[:80]}") from None
    if _is_feature(doc):
        return enumerate([doc], start=1), "GeoJSON Feature"
    if isinstance(doc, dict):
        lists = [(k, v) for k, v in doc.items() if isinstance(v, list) and v and all(
            isinstance(x, dict) for x in v[:50])]
        if len(lists) == 1:
            return enumerate(lists[0][1], start=1), f"JSON object, rows under {lists[0][0]!r}"
    raise InputError(name, None, None, "JSON without rows: expected a FeatureCollection, an "
                     "array of objects or one object per line")


def _lines(lines: list[bytes], name: str) -> Iterator[tuple[int, object]]:
    for number, line in enumerate(lines, start=1):
        try:
            yield number, json.loads(line.lstrip(b"\x1e"))
        except (ValueError, RecursionError):
            yield number, ValueError("line is not valid JSON")


def read_json(path: Path, name: str, options: ReadOptions) -> Table:
    data = path.read_bytes()
    text, encoding = decode_any(data, name)
    if not encoding.startswith("UTF-8"):
        data = text.encode("utf-8")
    del text
    check_depth(data, name)
    transformer, crs = _crs_transformer(data, name)
    items, label = _json_rows(data, name)
    builder = _Builder(name, options.max_rows)
    import ijson

    try:
        for number, item in items:
            if isinstance(item, Exception):
                builder.bad.append((number, "row", str(item)))
            elif _is_feature(item):
                props = item.get("properties")
                if props is not None and not isinstance(props, dict):
                    builder.bad.append((number, "properties", "not an object"))
                    continue
                point = _geojson_point(item.get("geometry"))
                if transformer is not None and point[0] and point[1]:
                    try:
                        x, y = transformer.transform(float(point[1]), float(point[0]))
                    except (ValueError, TypeError):
                        builder.bad.append((number, "geometry", "coordinates are not numbers"))
                        continue
                    point = (repr(y), repr(x), point[2], point[3])
                builder.add(number, props or {}, point)
            elif isinstance(item, dict):
                builder.add(number, item, ("", "", "", ""))
            else:
                builder.bad.append((number, "row", f"a JSON {type(item).__name__}, not an "
                                    "object"))
    except ijson.JSONError as exc:
        raise InputError(name, None, None, f"not valid JSON: {str(exc)[:80]}") from None
    notes = [f"reprojected from {crs}"] if crs else []
    return builder.table(label, notes)


# ---- OGR containers and Parquet -------------------------------------------------------------

def _check_zip(path: Path, name: str) -> list[str]:
    """The member names of a ZIP container, once its unpacked size is known to be sane."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile:
        raise InputError(name, None, None, "a broken ZIP container") from None
    unpacked = sum(i.file_size for i in infos)
    if unpacked > limits.current().xlsx_bytes or \
            unpacked > XLSX_MAX_RATIO * max(path.stat().st_size, 1):
        raise InputError(name, None, None, f"the archive unpacks to {unpacked / 2**20:,.0f} MB "
                         "(refused: too large or too compressed)")
    return [i.filename for i in infos]


def _to_wgs84(frame, name: str, label: str):
    notes: list[str] = []
    if frame.crs is None:
        bounds = frame.total_bounds if len(frame) else np.zeros(4)
        if np.isfinite(bounds).all() and (abs(bounds[[0, 2]]).max() > 180 or
                                          abs(bounds[[1, 3]]).max() > 90):
            raise InputError(name, None, "crs", f"{label} without a CRS and its coordinates "
                             "are not degrees; save it with its CRS")
        notes.append("no CRS stated: read as WGS 84 degrees")
    elif not frame.crs.equals("EPSG:4326"):
        notes.append(f"reprojected from {frame.crs.to_string()[:40]}")
        try:
            frame = frame.to_crs("EPSG:4326")
        except Exception as exc:  # noqa: BLE001 - pyproj raises several types
            raise InputError(name, None, "crs", f"cannot reproject from "
                             f"{frame.crs.to_string()[:40]}: {str(exc)[:60]}") from None
    return frame, notes


def read_ogr(path: Path, name: str, options: ReadOptions, kind: str) -> Table:
    """KML/KMZ, GeoPackage or zipped Shapefile: every layer, through pyogrio."""
    import pyogrio

    label = {"kml": "KML", "kmz": "KMZ", "gpkg": "GeoPackage",
             "shapefile": "Shapefile (zip)"}[kind]
    source = str(path)
    if kind in ("kmz", "shapefile"):
        members = _check_zip(path, name)
        # The member inside, read in place (never extracted to disk); the braces let GDAL open
        # an archive whatever its name ends with (uploads get a temporary name).
        inner = next(m for m in members if m.lower().endswith(
            ".kml" if kind == "kmz" else ".shp"))
        source = f"/vsizip/{{{path}}}/{inner}"
    try:
        with warnings.catch_warnings():  # "non conformant file extension": names are ours
            warnings.simplefilter("ignore", RuntimeWarning)
            layers = [str(row[0]) for row in pyogrio.list_layers(source)]
            total = sum(int(pyogrio.read_info(source, layer=layer)["features"])
                        for layer in layers)
    except Exception as exc:  # noqa: BLE001 - GDAL errors come as several types
        raise InputError(name, None, None, f"unreadable {label}: {str(exc)[:100]}") from None
    if options.max_rows is not None and total > options.max_rows:
        raise InputError(name, None, None, f"more than {options.max_rows:,} data rows (the "
                         "limit); split the file or import it with the command line")
    builder = _Builder(name, options.max_rows)
    notes: list[str] = []
    number = 0
    for layer in layers:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                frame = pyogrio.read_dataframe(source, layer=layer)
        except Exception as exc:  # noqa: BLE001
            raise InputError(name, None, None, f"unreadable {label} layer {layer[:40]!r}: "
                             f"{str(exc)[:80]}") from None
        frame, crs_notes = _to_wgs84(frame, name, label)
        notes += [n for n in crs_notes if n not in notes]
        if kind in ("kml", "kmz") and "id" in frame.columns and frame["id"].fillna("").astype(
                str).str.fullmatch(rf"(?:{re.escape(layer)}\.\d+)?").all():
            # OGR writes <Placemark id="layer.N">: a position, not an id (ids must survive a
            # reordered file), so the rows get derived ids instead.
            positional = frame["id"].fillna("").astype(str).ne("").any()
            frame = frame.drop(columns=["id"])
            if positional and "placemark ids that are positions (layer.N) ignored" not in notes:
                notes.append("placemark ids that are positions (layer.N) ignored")
        _add_frame(builder, frame, number, layer if len(layers) > 1 else "")
        number += len(frame)
    if len(layers) > 1:
        notes.append(f"{len(layers)} layers, read as one table (column 'layer')")
    return builder.table(label, notes)


def _add_frame(builder: _Builder, frame, start: int, layer: str) -> None:
    columns = [c for c in frame.columns if c != frame.geometry.name]
    geometries = frame.geometry.to_numpy()
    records = frame[columns].to_dict("records") if columns else [{}] * len(frame)
    for i, (props, shape) in enumerate(zip(records, geometries, strict=True), start=1):
        if layer:
            props = {"layer": layer, **props}
        builder.add(start + i, props, _point_of(shape))


def read_parquet(path: Path, name: str, options: ReadOptions) -> Table:
    """GeoParquet (geometry column + CRS metadata) or a plain Parquet table."""
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
    except Exception as exc:  # noqa: BLE001 - pyarrow raises ArrowInvalid/OSError
        raise InputError(name, None, None, f"unreadable Parquet: {str(exc)[:100]}") from None
    if options.max_rows is not None and meta.num_rows > options.max_rows:
        raise InputError(name, None, None, f"more than {options.max_rows:,} data rows (the "
                         "limit); split the file or import it with the command line")
    builder = _Builder(name, options.max_rows)
    geo_meta = meta.metadata and b"geo" in meta.metadata
    try:
        if geo_meta:
            import geopandas

            frame = geopandas.read_parquet(path)
        else:
            import pandas as pd

            frame = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow/geopandas raise many types
        raise InputError(name, None, None, f"unreadable Parquet: {str(exc)[:100]}") from None
    if geo_meta:
        frame, notes = _to_wgs84(frame, name, "GeoParquet")
        _add_frame(builder, frame, 0, "")
        return builder.table("GeoParquet", notes)
    for i, props in enumerate(frame.to_dict("records"), start=1):
        builder.add(i, props, ("", "", "", ""))
    return builder.table("Parquet (no geometry column)")


def read_container(path: Path, name: str, options: ReadOptions, kind: str) -> Table:
    """The table of a geodata file of a known container kind (see :func:`container`)."""
    if kind == "json":
        return read_json(path, name, options)
    if kind == "parquet":
        return read_parquet(path, name, options)
    return read_ogr(path, name, options, kind)
