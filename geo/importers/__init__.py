"""Read event files into the canonical table (``geo.schema``), one module per format.

Public API::

    result = read_events("missile_attacks_daily.csv")      # format sniffed from the header
    result.events        # DataFrame, columns exactly geo.schema.COLUMNS
    result.rejections    # [Rejection(row, field, reason)], and always
    len(result.events) + len(result.rejections) == result.rows_read
    print(result.report_text("missile_attacks_daily.csv"))
    write_csv(result.events, "out.csv"); write_geojson(result.events, "out.geojson")

    # any other CSV/XLSX: columns found by name and by value; override with a mapping
    read_events("mine.xlsx", "generic", mapping={"event_date": "Date", "location": "Town"})

A file that cannot be read at all (binary, not CSV/JSON/XLSX, unknown columns, over the row
limit) raises :class:`InputError`, whose message is one line: ``FILE: row R: field F: message``.

Formats live in :data:`FORMATS`, an ordered constant tuple; the first whose ``sniff(head)``
accepts the file wins (``generic`` is last: it accepts any table with a date column and a
place or coordinates). Older readers take ``(path, name)``; readers with
``takes_options=True`` take ``(path, name, ReadOptions)`` and honour the row limit, progress
callback, mapping and date order while reading. To add a format, write a module with
``sniff`` and ``read`` and add a :class:`Format` line here; nothing else changes.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from geo.importers import (
    acled,
    airforce,
    canonical,
    cir,
    generic,
    geodata,
    geoparquet,
    timemap,
    ucdp,
)
from geo.importers._common import (
    CsvTable,
    ImportResult,
    InputError,
    Progress,
    ReadOptions,
    decode_any,
    events_frame,
    read_table,
    sniff_delimiter,
)
from geo.importers.convert import write_csv, write_geojson

__all__ = [
    "FORMATS", "FORMAT_NAMES", "CsvTable", "Format", "Head", "ImportResult", "InputError",
    "ReadOptions", "detect_format", "events_frame", "read_events", "write_csv",
    "write_geojson",
]

HEAD_BYTES = 65536
HEAD_ROWS = 200


@dataclass(frozen=True)
class Head:
    """What sniffers see: the first bytes of the file and, if it is a table, its header and
    first rows (any encoding and delimiter; the first sheet of an XLSX)."""

    data: bytes
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...] = ()
    members: tuple[str, ...] = ()   # ZIP member names (XLSX, KMZ, zipped Shapefile)
    path: Path | None = None        # for sniffers that read a footer (Parquet's schema)

    @property
    def looks_like_json(self) -> bool:
        return self.data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")

    @property
    def is_xlsx(self) -> bool:
        return self.data[:4] == b"PK\x03\x04" and "xl/workbook.xml" in self.members


@dataclass(frozen=True)
class Format:
    name: str
    sniff: Callable[[Head], bool]
    read: Callable[..., ImportResult]
    description: str
    takes_options: bool = False


def geodata_sniff(head: Head) -> bool:
    """Any geodata container not claimed by a more specific format before it."""
    return bool(geodata.container(head.data, head.members)) and not head.is_xlsx


FORMATS: tuple[Format, ...] = (
    Format("geojson", canonical.sniff_geojson, canonical.read_geojson,
           "GeoJSON FeatureCollection whose properties are the canonical columns",
           takes_options=True),
    Format("canonical", canonical.sniff_csv, canonical.read_csv_file,
           "Salvo canonical CSV (header = the canonical columns)"),
    Format("geoparquet", geoparquet.sniff, geoparquet.read,
           "Salvo GeoParquet export (columns = the canonical columns + geometry)"),
    Format("airforce", airforce.sniff, airforce.read,
           "Ukrainian Air Force daily attacks (PetroIvaniuk missile_attacks_daily.csv)"),
    Format("cir", cir.sniff, cir.read,
           "CIR / Bellingcat Russia-Ukraine Monitor Map events.csv"),
    Format("acled", acled.sniff, acled.read,
           "ACLED export CSV (codebook columns: event_id_cnty, event_date, sub_event_type…)",
           takes_options=True),
    Format("ucdp", ucdp.sniff, ucdp.read,
           "UCDP GED CSV (id, relid, where_prec, date_prec, best…)", takes_options=True),
    Format("timemap", timemap.sniff, timemap.read,
           "TimeMap / Bellingcat 'Civilian Harm in Ukraine' JSON export", takes_options=True),
    Format("geodata", geodata_sniff, generic.read_geodata,
           "any GeoJSON / JSON array / NDJSON, KML/KMZ, GeoPackage, zipped Shapefile or "
           "GeoParquet: properties mapped to fields as for generic tables", takes_options=True),
    Format("generic", generic.sniff, generic.read,
           "any other CSV/TSV/XLSX: date, place or coordinates, weapon found by column names "
           "and values; confirm or change the mapping", takes_options=True),
)
FORMAT_NAMES: tuple[str, ...] = tuple(f.name for f in FORMATS)
_BY_NAME = {f.name: f for f in FORMATS}


def _table_head(data: bytes) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """Header and first rows of a text table from its first bytes ((), () if not a table)."""
    try:
        text, _ = decode_any(data, "")
    except InputError:
        return (), ()
    text = text.lstrip("\ufeff")
    if len(data) >= HEAD_BYTES and "\n" in text:
        text = text[:text.rindex("\n")]
    delimiter = sniff_delimiter(text)
    rows: list[tuple[str, ...]] = []
    try:
        for cells in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if any(c.strip() for c in cells):
                rows.append(tuple(c.strip() for c in cells))
            if len(rows) > HEAD_ROWS:
                break
    except csv.Error:
        pass
    if not rows:
        return (), ()
    return rows[0], tuple(rows[1:])


def _xlsx_head(path: Path) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """Header and first rows of the first sheet: only HEAD_ROWS rows are parsed (issue 14: a
    15 MB workbook of 3M rows was read whole just to detect its format)."""
    try:
        table = read_table(path, path.name, ReadOptions(max_rows=None), head_rows=HEAD_ROWS)
    except InputError:
        return (), ()
    return tuple(table.header), tuple(tuple(c.strip() for c in cells)
                                      for _, cells in table.rows[:HEAD_ROWS])


def _head(path: Path, name: str) -> Head:
    try:
        with open(path, "rb") as handle:
            data = handle.read(HEAD_BYTES)
    except OSError as exc:
        raise InputError(name, None, None, f"cannot open: {exc.strerror or exc}") from None
    members: tuple[str, ...] = ()
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(path) as archive:
                members = tuple(archive.namelist()[:1000])
        except zipfile.BadZipFile:
            members = ()
    if "xl/workbook.xml" in members:
        header, rows = _xlsx_head(path)
    elif data[:4] == b"PK\x03\x04" or geodata.container(data):
        header, rows = (), ()
    else:
        header, rows = _table_head(data)
    return Head(data, header, rows, members, path)


def detect_format(path: str | Path) -> str:
    """The name of the first format whose sniffer accepts the file; else :class:`InputError`."""
    path = Path(path)
    head = _head(path, path.name)
    if not head.data.strip():
        raise InputError(path.name, 1, None, "the file is empty")
    for fmt in FORMATS:
        if fmt.sniff(head):
            return fmt.name
    shown = ", ".join(h for h in head.header[:8] if h)[:160] or "none"
    raise InputError(path.name, 1, "header", f"unknown format: columns ({shown}) match none of "
                     f"{', '.join(FORMAT_NAMES)} (generic needs a date column and a place or "
                     "coordinates)")


def _mapped_format(path: Path) -> str:
    """With an explicit mapping: geodata for a geodata container, else the generic table."""
    head = _head(path, path.name)
    return "geodata" if geodata_sniff(head) else "generic"


def read_events(path: str | Path, format: str = "auto", *,  # noqa: A002
                mapping: Mapping[str, str] | None = None, max_rows: int | None = None,
                progress: Progress | None = None, date_order: str | None = None,
                mappings_file: Path | None = None) -> ImportResult:
    """Read ``path`` in ``format`` (or the sniffed one) into canonical events.

    ``mapping`` (canonical field → column) implies the generic reader when ``format`` is
    ``auto``. ``max_rows`` is enforced while reading where the reader supports it and checked
    afterwards otherwise; ``progress(done, total)`` is called as rows are processed.
    """
    path = Path(path)
    name = path.name
    if format == "auto":
        format = (_mapped_format(path) if mapping  # noqa: A001
                  else detect_format(path))
    elif format not in _BY_NAME:
        raise InputError(name, None, None, f"unknown format {format!r}; "
                         f"choose one of {', '.join(FORMAT_NAMES)}")
    fmt = _BY_NAME[format]
    try:
        if fmt.takes_options:
            options = ReadOptions(mapping=mapping, max_rows=max_rows, progress=progress,
                                  date_order=date_order, mappings_file=mappings_file)
            result = fmt.read(path, name, options)
        else:
            result = fmt.read(path, name)
            if progress is not None:
                progress(result.rows_read, result.rows_read)
    except OSError as exc:
        raise InputError(name, None, None, f"cannot read: {exc.strerror or exc}") from None
    if max_rows is not None and result.rows_read > max_rows:
        raise InputError(name, None, None, f"more than {max_rows:,} data rows (the limit); "
                         "split the file or import it with the command line")
    return result
