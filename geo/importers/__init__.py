"""Read event files into the canonical table (``geo.schema``), one module per format.

Public API::

    result = read_events("missile_attacks_daily.csv")      # format sniffed from the header
    result.events        # DataFrame, columns exactly geo.schema.COLUMNS
    result.rejections    # [Rejection(row, field, reason)], and always
    len(result.events) + len(result.rejections) == result.rows_read
    print(result.report_text("missile_attacks_daily.csv"))
    write_csv(result.events, "out.csv"); write_geojson(result.events, "out.geojson")

A file that cannot be read at all (not UTF-8, not CSV/JSON, unknown columns) raises
:class:`InputError`, whose message is one line: ``FILE: row R: field F: message``.

Formats live in :data:`FORMATS`, an ordered constant tuple of (name, sniff, reader). To add
one (ACLED, UCDP, a TimeMap JSON, a generic CSV with a column mapping), write a module with a
``sniff(head)`` that looks only at :class:`Head` and a ``read(path, name)`` that returns an
:class:`ImportResult`, then add a :class:`Format` line here; nothing else changes.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from geo.importers import airforce, canonical, cir
from geo.importers._common import CsvTable, ImportResult, InputError, events_frame
from geo.importers.convert import write_csv, write_geojson

__all__ = [
    "FORMATS", "FORMAT_NAMES", "CsvTable", "Format", "Head", "ImportResult", "InputError",
    "detect_format", "events_frame", "read_events", "write_csv", "write_geojson",
]

HEAD_BYTES = 65536


@dataclass(frozen=True)
class Head:
    """What sniffers see: the first bytes of the file and, if it looks like CSV, its header."""

    data: bytes
    header: tuple[str, ...]

    @property
    def looks_like_json(self) -> bool:
        return self.data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


@dataclass(frozen=True)
class Format:
    name: str
    sniff: Callable[[Head], bool]
    read: Callable[[Path, str], ImportResult]
    description: str


FORMATS: tuple[Format, ...] = (
    Format("geojson", canonical.sniff_geojson, canonical.read_geojson,
           "GeoJSON FeatureCollection whose properties are the canonical columns"),
    Format("canonical", canonical.sniff_csv, canonical.read_csv_file,
           "Salvo canonical CSV (header = the canonical columns)"),
    Format("airforce", airforce.sniff, airforce.read,
           "Ukrainian Air Force daily attacks (PetroIvaniuk missile_attacks_daily.csv)"),
    Format("cir", cir.sniff, cir.read,
           "CIR / Bellingcat Russia-Ukraine Monitor Map events.csv"),
)
FORMAT_NAMES: tuple[str, ...] = tuple(f.name for f in FORMATS)
_BY_NAME = {f.name: f for f in FORMATS}


def _head(path: Path, name: str) -> Head:
    try:
        with open(path, "rb") as handle:
            data = handle.read(HEAD_BYTES)
    except OSError as exc:
        raise InputError(name, None, None, f"cannot open: {exc.strerror or exc}") from None
    header: tuple[str, ...] = ()
    first = data.split(b"\n", 1)[0].decode("utf-8-sig", "replace").rstrip("\r")
    try:
        header = tuple(h.strip() for h in next(csv.reader([first]), []))
    except csv.Error:
        header = ()
    return Head(data, header)


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
                     f"{', '.join(FORMAT_NAMES)}")


def read_events(path: str | Path, format: str = "auto") -> ImportResult:  # noqa: A002
    """Read ``path`` in ``format`` (or the sniffed one) into canonical events."""
    path = Path(path)
    name = path.name
    if format == "auto":
        format = detect_format(path)  # noqa: A001
    elif format not in _BY_NAME:
        raise InputError(name, None, None, f"unknown format {format!r}; "
                         f"choose one of {', '.join(FORMAT_NAMES)}")
    try:
        return _BY_NAME[format].read(path, name)
    except OSError as exc:
        raise InputError(name, None, None, f"cannot read: {exc.strerror or exc}") from None
