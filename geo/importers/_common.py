"""Shared importer plumbing: the error and result types, CSV reading, row collection.

Kept apart from ``__init__`` so format modules can import it without a cycle.

Two readers live here. :func:`read_csv` is the strict one for our own formats (UTF-8, comma,
RFC 4180). :func:`read_table` is the forgiving one for files analysts actually have (ACLED,
UCDP, generic CSV/XLSX): it detects the encoding (UTF-8 with or without BOM, UTF-16 with a BOM
or by its NUL pattern, else Windows-1251 for Cyrillic-looking bytes or Windows-1252), the
delimiter (``,`` ``;`` tab ``|``), reads XLSX through openpyxl (size-checked before unzipping),
repairs mojibake only when the round trip proves it, and enforces a row limit while reading.

The dirty-value helpers shared by those formats are here too: :class:`DateReader` (decides the
day/month order per column from the data), :func:`parse_coordinate` / :func:`parse_point`,
:func:`settle_points` (null island, lat == lon, range, swapped pairs, oblast and country per
point) and :func:`country_code`.
"""

from __future__ import annotations

import calendar
import codecs
import csv
import hashlib
import io
import math
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from geo.catalogue import with_supplier
from geo.schema import COLUMNS, COUNT_COLUMNS, FLOAT_COLUMNS, Rejection, RowError, normalise_row

csv.field_size_limit(1 << 20)


class InputError(Exception):
    """A file that cannot be read at all; ``str()`` is one line naming file, row and field."""

    def __init__(self, file: str, row: int | None, field: str | None, message: str):
        super().__init__(message)
        self.file, self.row, self.field, self.message = file, row, field, message

    def __str__(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field:
            parts.append(f"field {self.field}")
        parts.append(self.message)
        return ": ".join(parts)


_NUMBER = re.compile(r"\d+")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def _reason_group(rejection: Rejection) -> str:
    reason = _NUMBER.sub("N", _QUOTED.sub("'…'", rejection.reason))
    return f"{rejection.field}: {reason}"


@dataclass
class ImportResult:
    """What one file gave: canonical events plus every rejected row and why.

    Invariant: ``len(events) + len(rejections) == rows_read``.
    """

    format: str
    path: str
    rows_read: int
    events: pd.DataFrame
    rejections: list[Rejection] = field(default_factory=list)
    notes: dict[str, int] = field(default_factory=dict)
    unresolved: dict[str, int] = field(default_factory=dict)
    # (event_id, other event_id, reason): likely the same incident, both rows kept (dedupe.py)
    links: list[tuple[str, str, str]] = field(default_factory=list)
    # Decisions taken for the whole file, in words: encoding, delimiter, date order, mapping.
    info: dict[str, str] = field(default_factory=dict)
    # Generic files: the header as read and the mapping used (field → column), for the editor.
    columns: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)

    def report(self) -> dict:
        """A JSON-able summary (counts, top rejection reasons, first 20 rejected rows)."""
        groups = Counter(_reason_group(r) for r in self.rejections)
        return {
            "format": self.format,
            "file": self.path,
            "read": self.rows_read,
            "accepted": len(self.events),
            "rejected": len(self.rejections),
            "rejections_by_reason": [{"reason": reason, "count": count}
                                     for reason, count in groups.most_common(10)],
            "rejected_rows": [{"row": r.row, "field": r.field, "reason": r.reason}
                              for r in self.rejections[:20]],
            "notes": dict(sorted(self.notes.items())),
            "unresolved": dict(Counter(self.unresolved).most_common(20)),
            "info": dict(self.info),
            "links": len(self.links),
            "linked_pairs": [{"event_id": a, "linked_to": b, "reason": why}
                             for a, b, why in self.links[:20]],
        }

    def report_text(self, file: str | None = None) -> str:
        """Human-readable report; the first line is ``FILE: read N, accepted A, rejected R``."""
        name = file or Path(self.path).name
        lines = [f"{name}: read {self.rows_read}, accepted {len(self.events)}, "
                 f"rejected {len(self.rejections)}", f"  format: {self.format}"]
        groups = Counter(_reason_group(r) for r in self.rejections)
        for reason, count in groups.most_common(10):
            lines.append(f"  rejected {count}× {reason}")
        for rejection in self.rejections[:20]:
            lines.append("  " + rejection.describe(name))
        for key, value in self.info.items():
            lines.append(f"  {key}: {value}")
        for key, count in sorted(self.notes.items()):
            lines.append(f"  note: {key}: {count}")
        for name_, count in Counter(self.unresolved).most_common(10):
            lines.append(f"  unresolved: {name_!r} ×{count}")
        if self.links:
            lines.append(f"  linked as likely the same incident: {len(self.links)} pairs")
            for a, b, why in self.links[:10]:
                lines.append(f"    {a} ~ {b}: {why}")
        return "\n".join(lines)


def events_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Canonical rows → a typed frame: counts Int64, coordinates float64, the rest text."""
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for column in COLUMNS:
        if column in COUNT_COLUMNS:
            frame[column] = frame[column].astype("Int64")
        elif column in FLOAT_COLUMNS:
            frame[column] = frame[column].astype("float64")
        else:
            frame[column] = frame[column].fillna("").astype(object)
    return frame


def stable_hash(*parts: object, length: int = 16) -> str:
    """Hex digest of the parts (None/NaN as ''), joined with a unit separator."""
    text = "\x1f".join("" if p is None or (isinstance(p, float) and math.isnan(p)) else str(p)
                       for p in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


class Collector:
    """Accumulates accepted rows, rejections and counters; enforces the row invariant."""

    def __init__(self, fmt: str, path: str):
        self.format, self.path = fmt, path
        self.rows_read = 0
        self.rows: list[dict[str, object]] = []
        self.rejections: list[Rejection] = []
        self.notes: Counter[str] = Counter()
        self.unresolved: Counter[str] = Counter()
        self.links: list[tuple[str, str, str]] = []
        self.info: dict[str, str] = {}
        self._seen: dict[str, tuple[int, dict[str, object]]] = {}

    def reject(self, row: int, field_: str, reason: str) -> None:
        self.rejections.append(Rejection(row, field_, reason))

    def note(self, key: str, count: int = 1) -> None:
        self.notes[key] += count

    def accept(self, row: int, raw: dict[str, object]) -> bool:
        """Validate ``raw`` with :func:`normalise_row`; reject bad rows and in-file repeats."""
        try:
            clean = normalise_row(raw)
        except RowError as exc:
            self.reject(row, exc.field, exc.reason)
            return False
        if self.format not in ("canonical", "geojson"):  # our own formats stay lossless
            clean = with_supplier(clean)  # catalogue weapons: supplier on the event date
        first = self._seen.get(clean["event_id"])
        if first is not None:
            if first[1] == clean:
                self.reject(row, "event_id", f"duplicate of row {first[0]}")
                self.note("duplicate_in_file")
            else:
                self.reject(row, "event_id",
                            f"event_id also used by row {first[0]} with different values")
            return False
        self._seen[clean["event_id"]] = (row, clean)
        self.rows.append(clean)
        return True

    def result(self) -> ImportResult:
        assert len(self.rows) + len(self.rejections) == self.rows_read, "row accounting broken"
        rejections = sorted(self.rejections, key=lambda r: r.row)
        return ImportResult(self.format, self.path, self.rows_read, events_frame(self.rows),
                            rejections, dict(self.notes), dict(self.unresolved),
                            list(self.links), dict(self.info))


@dataclass(frozen=True)
class CsvTable:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (1-based line number, cells padded to the header)
    ragged: list[tuple[int, int]]      # (line number, cell count) of rows longer than header


def decode(data: bytes, name: str) -> str:
    """UTF-8 text (BOM dropped); bad bytes → :class:`InputError` naming the row and field."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        lines = data.split(b"\n")
        header = _cells(lines[0].decode("utf-8-sig", "replace"))
        cells = _cells(lines[line - 1].decode("utf-8", "replace"))
        column = next((i for i, c in enumerate(cells) if "\ufffd" in c), None)
        field_ = header[column] if column is not None and column < len(header) else None
        raise InputError(name, line, field_, f"not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                         "save the file as UTF-8") from None


def _cells(line: str) -> list[str]:
    try:
        return next(csv.reader([line.rstrip("\r")]), [])
    except csv.Error:
        return []


def read_csv(path: Path, name: str) -> CsvTable:
    """Read a comma-separated UTF-8 file with RFC 4180 quoting; blank lines are skipped."""
    text = decode(path.read_bytes(), name)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    ragged: list[tuple[int, int]] = []
    try:
        header = [h.strip() for h in next(reader, [])]
        if not any(header):
            raise InputError(name, 1, None, "the file is empty (no header row)")
        for cells in reader:
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            if len(cells) > len(header):
                ragged.append((reader.line_num, len(cells)))
                continue
            rows.append((reader.line_num, cells + [""] * (len(header) - len(cells))))
    except csv.Error as exc:
        raise InputError(name, reader.line_num, None, f"unreadable CSV: {exc}") from None
    return CsvTable(header, rows, ragged)


def reject_ragged(collector: Collector, table: CsvTable) -> None:
    for line, count in table.ragged:
        collector.rows_read += 1
        collector.reject(line, "row", f"has {count} cells but the header has "
                                      f"{len(table.header)}")


# =============================================================================================
# Forgiving reading: the files analysts actually have
# =============================================================================================

KYIV = ZoneInfo("Europe/Kyiv")
MAX_CELL_CHARS = 10_000
XLSX_MAX_UNPACKED = 200 * 2**20   # bytes an XLSX may unzip to (zip-bomb guard)
XLSX_MAX_RATIO = 150              # … and at most this many times its packed size
PROGRESS_EVERY = 500

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ReadOptions:
    """How to read one file (all optional).

    ``mapping``: canonical field → column header, for generic files. ``max_rows``: stop with an
    :class:`InputError` once the file has more data rows (the upload limit). ``progress``:
    called as ``progress(done, total)`` while rows are processed. ``date_order``: ``dmy``,
    ``mdy`` or ``ymd`` to override the order guessed from the data. ``mappings_file``: where
    generic mappings are remembered (default ``var/mappings.json``).
    """

    mapping: Mapping[str, str] | None = None
    max_rows: int | None = None
    progress: Progress | None = None
    date_order: str | None = None
    mappings_file: Path | None = None


class Ticker:
    """Calls ``progress(done, total)`` every :data:`PROGRESS_EVERY` rows and at the end."""

    def __init__(self, progress: Progress | None, total: int):
        self.progress, self.total = progress, total

    def __call__(self, done: int) -> None:
        if self.progress is not None and (done % PROGRESS_EVERY == 0 or done == self.total):
            self.progress(done, self.total)


def header_key(text: str) -> str:
    """A header as a comparison key: NFKC, casefold, runs of non-alphanumerics → ``_``.

    >>> header_key(" Town / City "), header_key("EVENT_ID_CNTY"), header_key("lat.")
    ('town_city', 'event_id_cnty', 'lat')
    """
    folded = unicodedata.normalize("NFKC", str(text)).casefold().strip()
    return re.sub(r"[\W_]+", "_", folded).strip("_")


@dataclass
class Table:
    """A table read by :func:`read_table`: header as written, rows as (row number, cells)."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    ragged: list[tuple[int, int]] = field(default_factory=list)
    encoding: str = "UTF-8"
    delimiter: str = ","
    repaired: int = 0     # cells whose mojibake was repaired
    truncated: int = 0    # cells cut to MAX_CELL_CHARS

    @property
    def keys(self) -> list[str]:
        return [header_key(h) for h in self.header]

    def index(self, *names: str) -> int | None:
        """Position of the first column whose key is one of ``names`` (keys, see header_key)."""
        keys = self.keys
        for name in names:
            if name in keys:
                return keys.index(name)
        return None

    def column(self, position: int) -> list[str]:
        return [cells[position] for _, cells in self.rows]

    def describe(self) -> dict[str, str]:
        info = {"encoding": self.encoding}
        if self.delimiter:
            info["delimiter"] = {",": "comma", ";": "semicolon", "\t": "tab",
                                 "|": "pipe"}.get(self.delimiter, repr(self.delimiter))
        return info


# ---- text -----------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A UTF-8 lead byte read as Windows-1252/Latin-1 (Â…ï) followed by a continuation byte read
# the same way (0x80–0xBF: Latin-1 controls/symbols or the cp1252 letters in that range).
_CONTINUATION = ("\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
                 "\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a"
                 "\u20ac\u2122")
_MOJIBAKE = re.compile(f"[\u00c2-\u00ef][{_CONTINUATION}]")
_SUSPECT = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|[\u00c2-\u00ef][{_CONTINUATION}]")


def _cp1252_bytes(text: str) -> bytes | None:
    """The bytes a UTF-8→cp1252 misreading came from (cp1252, else Latin-1 for its 5 holes)."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1252")
        except UnicodeEncodeError:
            if ord(ch) > 0xFF:
                return None
            out.append(ord(ch))
    return bytes(out)


def _as_cp1252(data: bytes) -> str:
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in data)


def repair_mojibake(text: str) -> str:
    """UTF-8 that was read as Windows-1252/Latin-1 (``ÐšÐ¸Ñ—Ð²``) → the real text (``Київ``).

    Only when certain: the whole cell must re-encode to bytes that are valid UTF-8, the result
    must map back to exactly the input (round trip) and hold no mojibake pairs any more.
    Anything else is returned unchanged.

    >>> repair_mojibake("ÐšÐ¸Ñ—Ð²"), repair_mojibake("Café"), repair_mojibake("Ã©tÃ© 2024")
    ('Київ', 'Café', 'été 2024')
    """
    if not _MOJIBAKE.search(text):
        return text
    raw = _cp1252_bytes(text)
    if raw is None:
        return text
    try:
        fixed = raw.decode("utf-8")
    except UnicodeDecodeError:
        return text
    if _as_cp1252(fixed.encode("utf-8")) != text or _MOJIBAKE.search(fixed):
        return text
    return fixed


def clean_cell(text: str) -> tuple[str, bool]:
    """(cell without control characters and with mojibake repaired, whether it was repaired).

    Everything else is kept exactly: HTML and template syntax are text, never stripped.
    """
    if not _SUSPECT.search(text):
        return text, False
    text = _CONTROL.sub("", text)
    fixed = repair_mojibake(text)
    return fixed, fixed != text


# ---- bytes → text ---------------------------------------------------------------------------

# cp1251 letters: А–я (0xC0–0xFF) plus Ё ё Є є Ї ї І і Ґ ґ.
_CP1251_LETTERS = re.compile(rb"[\xc0-\xff\xa8\xb8\xaa\xba\xaf\xbf\xb2\xb3\xa5\xb4]{3,}")
_HIGH = re.compile(rb"[\x80-\xff]")


def _looks_cyrillic(data: bytes) -> bool:
    """Cyrillic in cp1251 is words of high bytes; Western cp1252 text has isolated ones."""
    high = len(_HIGH.findall(data[:200_000]))
    runs = sum(len(m) for m in _CP1251_LETTERS.findall(data[:200_000]))
    return high > 0 and runs / high >= 0.5


def decode_any(data: bytes, name: str) -> tuple[str, str]:
    """(text, encoding label): UTF-8 (±BOM), UTF-16 (BOM or NUL pattern), else cp1251/cp1252.

    Binary data (NUL bytes that are not UTF-16) is an :class:`InputError`.
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "UTF-8 with BOM"
        except UnicodeDecodeError:
            data = data[3:]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "UTF-16 with BOM"
        except UnicodeDecodeError:
            raise InputError(name, None, None, "declares UTF-16 (BOM) but is not valid UTF-16"
                             ) from None
    head = data[:4096]
    if head and head.count(0) >= len(head) // 4:
        codec = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        try:
            return data.decode(codec), f"{codec.upper()} without BOM"
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise InputError(name, line, None, "binary data (NUL bytes), not a text table")
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    if _looks_cyrillic(data):
        return data.decode("cp1251", errors="replace"), "Windows-1251 (not UTF-8; guessed)"
    try:
        return data.decode("cp1252"), "Windows-1252 (not UTF-8; guessed)"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1 (not UTF-8; guessed)"


def sniff_delimiter(text: str) -> str:
    """The delimiter among ``,`` ``;`` tab ``|`` that gives the widest consistent table."""
    sample = text[:65536]
    if len(text) > len(sample) and "\n" in sample:
        sample = sample[:sample.rindex("\n")]
    best, best_score = ",", -1.0
    for delimiter in (",", ";", "\t", "|"):
        try:
            rows = []
            for cells in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter):
                if any(c.strip() for c in cells):
                    rows.append(cells)
                if len(rows) >= 60:
                    break
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        body = rows[1:] or rows
        consistent = sum(len(r) == width for r in body) / len(body)
        score = consistent * 1000 + min(width, 999)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def read_table(path: Path, name: str, options: ReadOptions | None = None) -> Table:
    """Read a CSV/TSV (any common encoding and delimiter) or XLSX file into a :class:`Table`.

    Row numbers are the line on which a record starts (header = line 1) or the sheet row.
    Blank rows are skipped; rows longer than the header (with non-empty extra cells) are kept
    in ``ragged`` for the caller to reject. More than ``options.max_rows`` data rows is an
    :class:`InputError`, raised as soon as the limit is passed.
    """
    options = options or ReadOptions()
    data = path.read_bytes()
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(path, name, len(data), options)
    text, encoding = decode_any(data, name)
    del data
    if text.startswith("\ufeff"):
        text = text[1:]
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table = Table([], [], encoding=encoding, delimiter=delimiter)
    try:
        header: list[str] | None = None
        while True:
            start = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                break
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = [_clean(table, h).strip() for h in cells]
                table.header = header
                continue
            _add_row(table, name, start, cells, options.max_rows)
    except csv.Error as exc:
        raise InputError(name, reader.line_num, None, f"unreadable CSV: {exc}") from None
    if not table.header:
        raise InputError(name, 1, None, "the file is empty (no header row)")
    return table


def _clean(table: Table, cell: str) -> str:
    cell, repaired = clean_cell(cell)
    table.repaired += repaired
    if len(cell) > MAX_CELL_CHARS:
        table.truncated += 1
        cell = cell[:MAX_CELL_CHARS]
    return cell


def _add_row(table: Table, name: str, number: int, cells: list[str],
             max_rows: int | None) -> None:
    width = len(table.header)
    if len(cells) > width:
        if any(c.strip() for c in cells[width:]):
            table.ragged.append((number, len(cells)))
            _check_limit(table, name, number, max_rows)
            return
        cells = cells[:width]
    joined = "\n".join(cells)
    if _SUSPECT.search(joined) or len(joined) > MAX_CELL_CHARS:
        cells = [_clean(table, c) for c in cells]
    if len(cells) < width:
        cells = cells + [""] * (width - len(cells))
    table.rows.append((number, cells))
    _check_limit(table, name, number, max_rows)


def _check_limit(table: Table, name: str, number: int, max_rows: int | None) -> None:
    if max_rows is not None and len(table.rows) + len(table.ragged) > max_rows:
        raise InputError(name, number, None, f"more than {max_rows:,} data rows (the limit); "
                         "split the file or import it with the command line")


def _xlsx_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == datetime.min.time() and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _read_xlsx(path: Path, name: str, size: int, options: ReadOptions) -> Table:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile:
        raise InputError(name, None, None, "not a readable XLSX (broken ZIP container)") from None
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise InputError(name, None, None, "a ZIP file but not an XLSX workbook")
    unpacked = sum(i.file_size for i in infos)
    if unpacked > XLSX_MAX_UNPACKED or unpacked > XLSX_MAX_RATIO * max(size, 1):
        raise InputError(name, None, None, f"the workbook unpacks to {unpacked / 2**20:,.0f} MB "
                         "(refused: too large or too compressed)")
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for broken files
        raise InputError(name, None, None, f"unreadable XLSX: {type(exc).__name__}") from None
    table = Table([], [], encoding="XLSX", delimiter="")
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_xlsx_cell(v) for v in values]
            if not any(c.strip() for c in cells):
                continue
            if not table.header:
                while cells and not cells[-1].strip():
                    cells.pop()
                table.header = [_clean(table, h).strip() for h in cells]
                continue
            _add_row(table, name, number, cells, options.max_rows)
        if len(book.worksheets) > 1:
            table.encoding = f"XLSX (first of {len(book.worksheets)} sheets: {sheet.title})"
    finally:
        book.close()
    if not table.header:
        raise InputError(name, 1, None, "the first sheet is empty (no header row)")
    return table


def table_collector(fmt: str, path: Path, table: Table) -> Collector:
    """A :class:`Collector` with the table's reading decisions and repairs already noted."""
    out = Collector(fmt, str(path))
    out.info.update(table.describe())
    if table.repaired:
        out.note("text_mojibake_repaired", table.repaired)
    if table.truncated:
        out.note(f"text_cut_to_{MAX_CELL_CHARS}_chars", table.truncated)
    reject_ragged(out, table)  # type: ignore[arg-type]
    return out


# ---- dates -----------------------------------------------------------------------------------

_MONTHS = {name: number for number in range(1, 13) for name in (
    calendar.month_name[number].casefold(), calendar.month_abbr[number].casefold())}
_MONTHS["sept"] = 9
_TZ = r"(?P<tz>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)"
_CLOCK = (r"(?:(?:T|\s+|,\s*)(?P<hh>\d{1,2}):(?P<mi>\d{2})(?::(?P<ss>\d{2})(?:[.,]\d{1,9})?)?"
          r"\s*(?P<ampm>[ap]\.?m\.?)?\s*" + _TZ + "?)?")
_ISO_DATE = re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})" + _CLOCK + "$",
                       re.I)
_COMPACT = re.compile(r"^(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)$")
_NUMERIC = re.compile(r"^(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y>\d{4}|\d{2})" + _CLOCK + "$",
                      re.I)
_DAY_MONTH = re.compile(r"^(?P<d>\d{1,2})(?:st|nd|rd|th)?[\s\-./]*(?P<mon>[a-z]{3,9})\.?"
                        r"[\s\-.,/]*(?P<y>\d{4}|\d{2})" + _CLOCK + "$", re.I)
_MONTH_DAY = re.compile(r"^(?P<mon>[a-z]{3,9})\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+"
                        r"(?P<y>\d{4})" + _CLOCK + "$", re.I)
_MONTH_ONLY = re.compile(r"^(?:(?P<mon>[a-z]{3,9})\.?[\s\-,]+(?P<y>\d{4})|(?P<y2>\d{4})-(?P<m2>"
                         r"\d{1,2}))$", re.I)
_YEAR_ONLY = re.compile(r"^(?P<y>(?:19|20)\d{2})$")
_DAY_SPAN = re.compile(r"^(?P<d1>\d{1,2})\s*[-–—]\s*(?P<d2>\d{1,2})\s*(?P<mon>[a-z]{3,9})\.?,?"
                       r"\s+(?P<y>\d{4})$", re.I)
_RANGE_SEP = re.compile(r"\s+(?:-|–|—|to|until|till)\s+|\s*[–—]\s*|\s*/\s*(?=\d{4}-)", re.I)
ORDERS = {"dmy": "day-first (DD/MM/YYYY)", "mdy": "month-first (MM/DD/YYYY)",
          "ymd": "year-first (YYYY-MM-DD)"}


def span_precision(days: int) -> str:
    """time_precision for an event known to lie within ``days`` days after its start."""
    if days <= 0:
        return "day"
    if days <= 6:
        return "week"
    if days <= 31:
        return "month"
    return "year"


@dataclass(frozen=True)
class ParsedDate:
    """A parsed date, range or date-time, with the notes it earned."""

    start: date
    end: date | None = None
    start_time: datetime | None = None   # aware, Europe/Kyiv
    end_time: datetime | None = None
    precision: str = "day"
    notes: tuple[str, ...] = ()

    def fields(self) -> dict[str, str]:
        """Canonical event_date / time_start / time_end / time_precision."""
        out = {"event_date": self.start.isoformat(), "time_precision": self.precision,
               "time_start": "", "time_end": ""}
        if self.start_time is not None:
            out["time_start"] = self.start_time.isoformat()
            if self.end_time is not None:
                out["time_end"] = self.end_time.isoformat()
        elif self.end is not None:
            out["time_start"], out["time_end"] = self.start.isoformat(), self.end.isoformat()
        return out


def _year(text: str, notes: list[str]) -> int:
    if len(text) == 2:
        notes.append("date_two_digit_year")
        value = int(text)
        return 2000 + value if value <= date.today().year % 100 + 1 else 1900 + value
    return int(text)


def _tz(text: str) -> timezone | None:
    if not text:
        return None
    if text.upper() in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


class DateReader:
    """Parses one column's dates with one day/month order decided from the whole column.

    Numeric dates ``A/B/YYYY``: a value with A > 12 proves day-first, B > 12 month-first. If
    the column proves one order, that order is used for every value (values that only fit the
    other are rejected, never silently re-read). If nothing proves either order (every value
    has both parts ≤ 12), ``default`` is used and :attr:`ambiguous` is set so the report says
    so. ``YYYY-MM-DD`` (also with ``/`` or ``.``), ``20240115``, ``15 Jan 2024``,
    ``Jan 15, 2024``, ``Jan 2024``, ``2024`` and ranges (``2024-01-01/2024-01-03``,
    ``1-3 Jan 2024``, ``1 Jan – 3 Feb 2024``) are read in any case.

    Date-times: with an offset or ``Z`` they are converted to Kyiv local time; without, they
    are taken as Kyiv local time (noted). A column whose times are all ``00:00`` without an
    offset is a date column written by a spreadsheet: the times are dropped.
    """

    def __init__(self, values: Iterable[str], *, default: str = "dmy",
                 order: str | None = None, column: str = "date"):
        if default not in ORDERS or (order is not None and order not in ORDERS):
            raise ValueError(f"date order must be one of {', '.join(ORDERS)}")
        self.column = column
        day_first = month_first = numeric = naive_times = midnight = 0
        for value in values:
            text = " ".join(str(value).split())
            match = _NUMERIC.match(text)
            if match:
                numeric += 1
                a, b = int(match["a"]), int(match["b"])
                day_first += a > 12 >= b
                month_first += b > 12 >= a
            match = match or _ISO_DATE.match(text) or _DAY_MONTH.match(text) or \
                _MONTH_DAY.match(text)
            if match and match["hh"] is not None and not match["tz"]:
                naive_times += 1
                midnight += int(match["hh"]) == 0 and int(match["mi"]) == 0 and not int(
                    match["ss"] or 0)
        self.numeric, self.day_first, self.month_first = numeric, day_first, month_first
        self.dates_only = naive_times > 0 and midnight == naive_times
        self.ambiguous = False
        if order is not None:
            self.order, self.decided = order, "given"
        elif day_first and not month_first:
            self.order, self.decided = "dmy", "data"
        elif month_first and not day_first:
            self.order, self.decided = "mdy", "data"
        elif day_first and month_first:
            self.order = "dmy" if day_first >= month_first else "mdy"
            self.decided = "majority"
        else:
            self.order, self.decided = default, "default"
            self.ambiguous = numeric > 0

    def describe(self) -> str:
        """One sentence for the report (empty when the column has no numeric dates)."""
        if not self.numeric:
            return ""
        name = ORDERS[self.order]
        if self.decided == "given":
            return f"{name}, as chosen"
        if self.decided == "data":
            proof = self.day_first if self.order == "dmy" else self.month_first
            return f"{name}: {proof} value(s) can only be read that way"
        if self.decided == "majority":
            other = min(self.day_first, self.month_first)
            return (f"{name} by majority; {other} value(s) only fit the other order and are "
                    "rejected (the column mixes orders: check the file)")
        return (f"AMBIGUOUS: all {self.numeric} numeric dates have day and month ≤ 12; read as "
                f"{name}. Choose the other order if that is wrong.")

    def parse(self, value: str) -> ParsedDate:
        """Parse one cell; ``ValueError`` (with a reason for the report) if it is not a date."""
        text = " ".join(str(value).split())
        if not text:
            raise ValueError("missing")
        notes: list[str] = []
        single = self._single(text, notes)
        if single is not None:
            return single
        span = _DAY_SPAN.match(text)
        if span:
            month = _MONTHS.get(span["mon"].casefold())
            if month is None:
                raise ValueError(f"unknown month in {text[:40]!r}")
            start = date(int(span["y"]), month, int(span["d1"]))
            end = date(int(span["y"]), month, int(span["d2"]))
            return self._range(text, ParsedDate(start), ParsedDate(end), ["date_range"])
        parts = _RANGE_SEP.split(text)
        if len(parts) == 2 and all(parts):
            right = self._single(parts[1], notes)
            left = self._single(parts[0], notes)
            if left is None and right is not None:   # "1 Jan – 3 Feb 2024": borrow the year
                left = self._single(f"{parts[0]} {right.start.year}", notes)
            if left is not None and right is not None:
                return self._range(text, left, right, notes + ["date_range"])
        raise ValueError(f"not a date: {text[:40]!r}")

    def _range(self, text: str, left: ParsedDate, right: ParsedDate,
               notes: list[str]) -> ParsedDate:
        end = right.end or right.start
        if end < left.start:
            raise ValueError(f"range ends before it starts: {text[:40]!r}")
        days = (end - left.start).days
        if left.start_time is not None and right.start_time is not None:
            return ParsedDate(left.start, end, left.start_time, right.start_time,
                              "hour" if days == 0 else span_precision(days), tuple(notes))
        return ParsedDate(left.start, end if days else None, None, None,
                          span_precision(days), tuple(notes))

    def _single(self, text: str, notes: list[str]) -> ParsedDate | None:
        try:
            return self._single_or_raise(text, notes)
        except ValueError as exc:
            if str(exc).startswith("!"):
                raise ValueError(str(exc)[1:]) from None
            return None

    def _single_or_raise(self, text: str, notes: list[str]) -> ParsedDate | None:
        match = _ISO_DATE.match(text)
        if match:
            return self._build(text, int(match["y"]), int(match["m"]), int(match["d"]), match,
                               notes)
        match = _COMPACT.match(text)
        if match:
            return self._build(text, int(match["y"]), int(match["m"]), int(match["d"]), None,
                               notes)
        match = _NUMERIC.match(text)
        if match:
            a, b = int(match["a"]), int(match["b"])
            year = _year(match["y"], notes)
            day, month = (a, b) if self.order in ("dmy", "ymd") else (b, a)
            if month > 12:
                raise ValueError(f"!not a valid {ORDERS[self.order]} date (the column's order):"
                                 f" {text[:40]!r}")
            return self._build(text, year, month, day, match, notes)
        for pattern in (_DAY_MONTH, _MONTH_DAY):
            match = pattern.match(text)
            if match:
                month = _MONTHS.get(match["mon"].casefold())
                if month is None:
                    return None
                return self._build(text, _year(match["y"], notes), month, int(match["d"]),
                                   match, notes)
        match = _MONTH_ONLY.match(text)
        if match:
            year = int(match["y"] or match["y2"])
            month = _MONTHS.get((match["mon"] or "").casefold()) or int(match["m2"] or 0)
            if not 1 <= month <= 12:
                return None
            last = calendar.monthrange(year, month)[1]
            return ParsedDate(date(year, month, 1), date(year, month, last), precision="month",
                              notes=tuple(notes))
        match = _YEAR_ONLY.match(text)
        if match:
            year = int(match["y"])
            return ParsedDate(date(year, 1, 1), date(year, 12, 31), precision="year",
                              notes=tuple(notes))
        return None

    def _build(self, text: str, year: int, month: int, day: int, match: re.Match | None,
               notes: list[str]) -> ParsedDate:
        try:
            day_ = date(year, month, day)
        except ValueError:
            raise ValueError(f"!no such day: {text[:40]!r}") from None
        if match is None or match["hh"] is None:
            return ParsedDate(day_, notes=tuple(notes))
        hour, minute, second = int(match["hh"]), int(match["mi"]), int(match["ss"] or 0)
        if match["ampm"]:
            if not 1 <= hour <= 12:
                raise ValueError(f"!bad 12-hour time: {text[:40]!r}")
            hour = hour % 12 + (12 if match["ampm"].lower().startswith("p") else 0)
        if hour > 23 or minute > 59 or second > 59:
            raise ValueError(f"!bad time of day: {text[:40]!r}")
        zone = _tz(match["tz"] or "")
        if zone is None and self.dates_only:
            return ParsedDate(day_, notes=tuple(notes + ["date_midnight_times_dropped"]))
        moment = datetime(year, month, day, hour, minute, second, tzinfo=zone or KYIV)
        if zone is None:
            notes.append("time_assumed_kyiv_local")
        else:
            notes.append("time_converted_to_kyiv")
            moment = moment.astimezone(KYIV)
        return ParsedDate(moment.date(), None, moment, None, "hour", tuple(notes))


# ---- coordinates -----------------------------------------------------------------------------

_DECIMAL = re.compile(r"^(?P<h1>[NSEW])?\s*(?P<num>[+-]?\d+(?:[.,]\d+)?)\s*°?\s*(?P<h2>[NSEW])?$",
                      re.I)
_DMS = re.compile(r"^(?P<h1>[NSEW])?\s*(?P<deg>[+-]?\d+(?:[.,]\d+)?)\s*[°º]\s*"
                  r"(?:(?P<min>\d+(?:[.,]\d+)?)\s*['′’]\s*)?"
                  r"(?:(?P<sec>\d+(?:[.,]\d+)?)\s*(?:[\"″”]|''|′′)\s*)?(?P<h2>[NSEW])?$", re.I)
_WKT_POINT = re.compile(r"^POINT\s*Z?\s*\(\s*(?P<x>\S+)\s+(?P<y>\S+)(?:\s+\S+)?\s*\)$", re.I)


def parse_coordinate(value: object) -> float | None:
    """One coordinate from text: ``50.45``, ``"50,45"`` (decimal comma), ``50.45 N``,
    ``50°27'N``, ``30°31'12"E``. Empty → None; anything else (``inf``, ``nan``, words) →
    ``ValueError`` with the reason."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip().replace("\u2212", "-")
    if not text:
        return None
    match = _DECIMAL.match(text)
    if match:
        number = float(match["num"].replace(",", "."))
    else:
        match = _DMS.match(text)
        if not match:
            raise ValueError(f"not a number: {text[:40]!r}")
        degrees = float(match["deg"].replace(",", "."))
        minutes = float((match["min"] or "0").replace(",", "."))
        seconds = float((match["sec"] or "0").replace(",", "."))
        if minutes >= 60 or seconds >= 60:
            raise ValueError(f"bad minutes/seconds: {text[:40]!r}")
        number = math.copysign(abs(degrees) + minutes / 60 + seconds / 3600, degrees or 1)
    hemisphere = (match["h1"] or match["h2"] or "").upper()
    if match["h1"] and match["h2"]:
        raise ValueError(f"two hemisphere letters: {text[:40]!r}")
    if hemisphere in ("S", "W"):
        number = -abs(number)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {text[:40]!r}")
    return number


def parse_point(value: object) -> tuple[float | None, float | None]:
    """A single ``"lat, lon"`` cell (also ``lat;lon``, ``lat lon``, ``"50,45, 30,52"``,
    ``geo:lat,lon``, ``(lat, lon)``, or WKT ``POINT (lon lat)``) → (lat, lon)."""
    text = str(value or "").strip()
    if not text:
        return None, None
    wkt = _WKT_POINT.match(text)
    if wkt:
        return parse_coordinate(wkt["y"]), parse_coordinate(wkt["x"])
    text = re.sub(r"^geo:", "", text, flags=re.I).strip("()[]{} ")
    if ";" in text:
        parts = text.split(";")
    elif text.count(",") == 1:
        parts = text.split(",")
    elif text.count(",") in (2, 3) and re.search(r",\s", text):
        parts = re.split(r",\s+", text)
    else:
        parts = text.split()
    if len(parts) != 2:
        raise ValueError(f"not a 'lat, lon' pair: {text[:40]!r}")
    return parse_coordinate(parts[0]), parse_coordinate(parts[1])


@dataclass
class Points:
    """Settled coordinates per row (NaN where none or rejected) and what was found there."""

    lat: np.ndarray
    lon: np.ndarray
    admin1: np.ndarray     # ISO 3166-2 of the oblast holding the point ('' outside Ukraine)
    country: np.ndarray    # alpha-3 of the point ('' where unknown)
    problems: list[tuple[str, str] | None]
    swapped: list[str]     # '' or why lat/lon were swapped

    def has_point(self, i: int) -> bool:
        return bool(np.isfinite(self.lat[i]))


def settle_points(pairs: list[tuple[float | None, float | None]]) -> Points:
    """Check (lat, lon) pairs and place them, vectorised.

    Rejected (``problems[i]`` = (field, reason)): only one coordinate, null island ``(0, 0)``,
    ``lat == lon`` (a copy error), out of range. Swapped (``swapped[i]`` says why): a latitude
    beyond ±90 whose longitude fits, or a pair that lies outside Ukraine while the swapped pair
    lies in it. Points outside Ukraine are kept, with their country from the polygons of the
    neighbouring countries (``''`` farther away).
    """
    from geo.oblasts import countries_for_points, oblasts_for_points

    n = len(pairs)
    lat, lon = np.full(n, np.nan), np.full(n, np.nan)
    problems: list[tuple[str, str] | None] = [None] * n
    swapped = [""] * n
    for i, (a, b) in enumerate(pairs):
        if a is None and b is None:
            continue
        if a is None or b is None:
            problems[i] = ("latitude" if a is None else "longitude", "only one coordinate given")
            continue
        if a == 0 and b == 0:
            problems[i] = ("latitude", "null island (0, 0): coordinates missing")
            continue
        if a == b:
            problems[i] = ("longitude", "latitude equals longitude (copy error)")
            continue
        if 90 < abs(a) <= 180 and abs(b) <= 90:
            a, b = b, a
            swapped[i] = "latitude out of range"
        if abs(a) > 90:
            problems[i] = ("latitude", f"out of range (±90): {a:g}")
            continue
        if abs(b) > 180:
            problems[i] = ("longitude", f"out of range (±180): {b:g}")
            continue
        lat[i], lon[i] = a, b
    admin1 = oblasts_for_points(lat, lon).astype(object)
    country = countries_for_points(lat, lon).astype(object)
    candidates = np.flatnonzero(np.isfinite(lat) & (admin1 == "") & (np.abs(lon) <= 90))
    if candidates.size:
        flipped = oblasts_for_points(lon[candidates], lat[candidates])
        for i, code in zip(candidates[flipped != ""], flipped[flipped != ""], strict=True):
            lat[i], lon[i] = lon[i], lat[i]
            admin1[i], country[i] = str(code), "UKR"
            swapped[i] = "the swapped pair lies in Ukraine"
    return Points(lat, lon, admin1, country, problems, swapped)


# ---- names, links, weapons ------------------------------------------------------------------

COUNTRY_NAMES = {
    "ukraine": "UKR", "україна": "UKR", "украина": "UKR", "ukrain": "UKR", "crimea": "UKR",
    "russia": "RUS", "russian federation": "RUS", "russia (soviet union)": "RUS",
    "росія": "RUS", "россия": "RUS", "belarus": "BLR", "poland": "POL", "moldova": "MDA",
    "republic of moldova": "MDA", "romania": "ROU", "hungary": "HUN", "slovakia": "SVK",
    "georgia": "GEO", "turkey": "TUR", "türkiye": "TUR", "lithuania": "LTU", "latvia": "LVA",
    "estonia": "EST", "finland": "FIN", "bulgaria": "BGR", "kazakhstan": "KAZ", "syria": "SYR",
    "iran": "IRN", "north korea": "PRK", "united states": "USA", "united kingdom": "GBR",
}
# UCDP GED country_id (Gleditsch & Ward numbers) for the countries around Ukraine.
GW_CODES = {"369": "UKR", "365": "RUS", "370": "BLR", "290": "POL", "359": "MDA", "360": "ROU",
            "310": "HUN", "317": "SVK", "372": "GEO", "640": "TUR"}



@lru_cache(maxsize=512)
def country_code(value: str) -> str:
    """ISO alpha-3 for a country name or code (``Ukraine``, ``UA``, ``Russia (Soviet Union)``,
    a UCDP/Gleditsch-Ward number); ``''`` when unsure."""
    text = " ".join(str(value or "").split())
    if not text:
        return ""
    if text in GW_CODES:
        return GW_CODES[text]
    low = text.casefold()
    if low in COUNTRY_NAMES:
        return COUNTRY_NAMES[low]
    if len(text) in (2, 3) and text.isalpha():
        import localis

        found = localis.countries.lookup(text.upper())
        return found.alpha3 if found is not None else ""
    import localis

    hits = localis.countries.search(text, limit=1)
    if hits and hits[0][1] >= 0.95:
        return hits[0][0].alpha3
    return ""


_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"')\],;]+", re.IGNORECASE)


def urls_in(*texts: str) -> list[str]:
    """The http(s) URLs in free text, in order, without duplicates or trailing punctuation."""
    found: list[str] = []
    for text in texts:
        for url in _URL_IN_TEXT.findall(text or ""):
            url = url.rstrip(".:!?")
            if url not in found:
                found.append(url)
    return found


def weapon_fields(text: str, model: str = "") -> tuple[dict[str, str], str]:
    """Weapon columns from a model cell (``catalogue``) or else free text (``inferred``).

    Returns (fields, note key). A model cell that resolves in the catalogue gives the
    catalogue's basis (``catalogue``/``ambiguous``/``unknown`` for generic labels such as
    "Cruise Missile"). Otherwise weapons *mentioned* in the model cell and ``text`` are
    inferred: basis ``inferred`` (``ambiguous`` if the inferred weapon is). Never ``reported``.
    """
    fields, note = _weapon_fields(text, model)
    return dict(fields), note


@lru_cache(maxsize=8192)
def _weapon_fields(text: str, model: str) -> tuple[tuple[tuple[str, str], ...], str]:
    fields, note = _weapon_lookup(text, model)
    return tuple(fields.items()), note


def _weapon_lookup(text: str, model: str) -> tuple[dict[str, str], str]:
    from geo.catalogue import load_catalogue

    catalogue = load_catalogue()
    empty = {"weapon_model": "", "weapon_class": "", "weapon_origin": "", "origin_basis": "unknown"}
    resolved = catalogue.resolve(model) if model.strip() else None
    if resolved is not None:
        fields = {"weapon_model": resolved.model, "weapon_class": resolved.weapon_class,
                  "weapon_origin": resolved.origin, "origin_basis": resolved.basis}
        if resolved.basis != "unknown":
            return fields, f"weapon_{resolved.basis}"
        empty = fields  # a generic label: keep its class, still look for a model in the text
    inferred = catalogue.infer(" | ".join(t for t in (model, text) if t))
    if inferred is None or not inferred.origins:
        if model.strip() and resolved is None:
            return empty, "weapon_model_unresolved"
        return empty, "weapon_unknown" if resolved is None else "weapon_generic_label"
    basis = "ambiguous" if inferred.basis == "ambiguous" else "inferred"
    return {"weapon_model": inferred.model, "weapon_class": inferred.weapon_class,
            "weapon_origin": inferred.origin, "origin_basis": basis}, f"weapon_{basis}"


STRIKE_WORDS = re.compile(
    r"\b(?:strik\w*|struck|shell\w*|explo\w*|missiles?|rockets?|bomb\w*|airstrikes?|drones?|"
    r"artillery|mortars?|hit|hits|hitting|shahed\w*|glide bombs?|ballistic|cruise)\b",
    re.IGNORECASE)


def compare_admin1(out: Collector, named: str | None, from_point: str, name: str) -> None:
    """Count whether an oblast *name* agrees with the oblast of the *point* (the point wins)."""
    if not name.strip():
        return
    if named is None:
        if from_point:
            out.note("oblast_name_unresolved")
            out.unresolved[f"oblast: {name}"] += 1
        return
    if not from_point:
        return
    out.note("oblast_name_agrees_with_point" if named == from_point
             else "oblast_name_disagrees_with_point")


# ---- staging: place every row the same way ---------------------------------------------------

@dataclass
class Stage:
    """One parsed input row waiting for its place: canonical fields plus what locates it.

    ``point_precision`` is the precision the source claims for its coordinates; ``place`` is
    text to geocode when there are none; ``oblast_name``/``oblast_code`` is the source's own
    first-level unit (the code may be a non-Ukrainian ISO 3166-2 such as ``RU-BEL``).
    """

    line: int
    raw: dict[str, object]
    lat: float | None = None
    lon: float | None = None
    point_precision: str = "exact"
    place: str = ""
    oblast_name: str = ""
    oblast_code: str | None = None
    country: str = ""


def place_and_accept(out: Collector, stages: list[Stage], progress: Progress | None = None,
                     total: int | None = None) -> None:
    """Check and place every staged row, then validate and accept (or reject) it.

    With a point: coordinates are checked (:func:`settle_points`), the oblast and country come
    from the point (the point wins over the source's oblast name; agreements and disagreements
    are counted). Without one: the place text is geocoded offline (:mod:`geo.gazetteer`,
    precision ``settlement``), else the source's oblast gives ``oblast`` precision, else the
    country gives ``country``. Names that did not resolve are listed in ``unresolved``.
    """
    from geo.oblasts import OBLASTS

    points = settle_points([(s.lat, s.lon) for s in stages])
    tick = Ticker(progress, total if total is not None else len(stages))
    gazetteer = None
    for i, stage in enumerate(stages):
        tick(i + 1)
        problem = points.problems[i]
        if problem is not None:
            out.reject(stage.line, *problem)
            continue
        raw = stage.raw
        named_country = country_code(stage.country) if stage.country else ""
        if points.swapped[i]:
            out.note("coordinates_swapped")
            out.note(f"coordinates_swapped: {points.swapped[i]}")
        if points.has_point(i):
            admin1, country = str(points.admin1[i]), str(points.country[i])
            ukrainian = stage.oblast_code if stage.oblast_code in OBLASTS else None
            compare_admin1(out, ukrainian, admin1, stage.oblast_name if (
                ukrainian or not stage.oblast_code) and named_country in ("", "UKR") else "")
            if not admin1 and stage.oblast_code and stage.oblast_code not in OBLASTS:
                admin1 = stage.oblast_code          # e.g. RU-BEL for a strike on Belgorod
            if not country:
                country = named_country
                out.note("country_from_name" if country else "country_unknown")
            elif named_country and named_country != country:
                out.note("country_name_disagrees_with_point")
            if country != "UKR":
                out.note("point_outside_ukraine")
            raw.update(latitude=float(points.lat[i]), longitude=float(points.lon[i]),
                       admin1=admin1, country=country, geo_precision=stage.point_precision)
        else:
            match = None
            if stage.place.strip():
                if gazetteer is None:
                    from geo.gazetteer import load_gazetteer

                    gazetteer = load_gazetteer()
                hint = stage.oblast_code if stage.oblast_code in OBLASTS else None
                match = gazetteer.resolve(stage.place, hint)
                if match is None:
                    out.unresolved[f"place: {stage.place.strip()[:80]}"] += 1
                    out.note("place_unresolved")
            if match is not None:
                out.note(f"geocoded_{match.how}")
                if match.ranked:
                    out.note("geocoded_same_name_ranked")
                raw.update(latitude=match.place.lat, longitude=match.place.lon,
                           admin1=match.place.admin1, country=match.place.country,
                           geo_precision=match.precision)
            elif stage.oblast_code:
                raw.update(admin1=stage.oblast_code, geo_precision="oblast",
                           country=named_country or ("UKR" if stage.oblast_code in OBLASTS
                                                     else ""))
            else:
                raw.update(country=named_country,
                           geo_precision="country" if named_country else "unknown")
        out.accept(stage.line, raw)


def parse_lat_lon(lat: object, lon: object) -> tuple[float | None, float | None]:
    """Two coordinate cells → floats; a bad one raises :class:`RowError` naming its field."""
    try:
        lat_value = parse_coordinate(lat)
    except ValueError as exc:
        raise RowError("latitude", str(exc)) from None
    try:
        lon_value = parse_coordinate(lon)
    except ValueError as exc:
        raise RowError("longitude", str(exc)) from None
    return lat_value, lon_value


def finish(out: Collector) -> ImportResult:
    """The collector's result with in-file duplicate links (see :mod:`.dedupe`) added."""
    from geo.importers.dedupe import find_in_file_duplicates

    result = out.result()
    links = find_in_file_duplicates(result.events)
    if links:
        result.links.extend(links)
        result.notes["linked_in_file_as_same_incident"] = len(links)
    return result
