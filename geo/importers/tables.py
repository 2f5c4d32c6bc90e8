"""The one table reader: CSV/TSV in any common encoding and delimiter, or the first XLSX sheet.

Strictness is an option, not a second reader. ``strict=True`` is for our own canonical CSV,
which must stay lossless: comma only, cells exactly as written (no cleaning, no truncation),
any row longer than the header is ragged. The forgiving default is for the files analysts
have: the delimiter is sniffed, control characters are dropped and proven mojibake repaired,
cells are cut to :data:`MAX_CELL_CHARS`, empty trailing cells are ignored. Both decode bytes
the same way (:func:`geo.importers.text.decode_any`), so a Windows-1252 canonical file reads
as the same bytes read as generic do, and the encoding is reported.

Either way a row holding a NUL byte is rejected on its own (``Table.bad``), every row longer
than the header is listed in ``Table.ragged``, and more than ``max_rows`` data rows raise an
:class:`InputError` as soon as the limit is passed. An XLSX is size-checked before it is
unzipped and its rows are counted in the compressed stream before openpyxl parses it;
``head_rows`` reads only the first rows (format detection).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from geo import limits
from geo.importers.errors import InputError
from geo.importers.text import clean_cell, decode_any, header_key, sniff_delimiter
from geo.importers.text import suspect as _suspect

csv.field_size_limit(1 << 20)

MAX_CELL_CHARS = 10_000
XLSX_MAX_RATIO = 150              # … and at most this many times its packed size
XLSX_MAX_SHARED_STRINGS = 64 * 2**20  # openpyxl loads the whole string table up front
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
    bad: list[tuple[int, str, str]] = field(default_factory=list)  # (row, field, reason)
    container: str = ""   # what held the rows when it was not a plain table (geodata)

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
        if self.container:
            info["container"] = self.container
        return info


def read_table(path: Path, name: str, options: ReadOptions | None = None, *,
               strict: bool = False, head_rows: int | None = None) -> Table:
    """Read a CSV/TSV or XLSX file into a :class:`Table` (see the module docstring).

    Row numbers are the line on which a record starts (header = line 1) or the sheet row.
    """
    options = options or ReadOptions()
    data = path.read_bytes()
    if data[:4] == b"PK\x03\x04" and not strict:
        return _read_xlsx(path, name, len(data), options, head_rows)
    text, encoding = decode_any(data, name)
    del data
    if text.startswith("\ufeff"):
        text = text[1:]
    delimiter = "," if strict else sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table = Table([], [], encoding=encoding, delimiter=delimiter)
    add = _add_exact if strict else _add_row
    try:
        header: list[str] | None = None
        while True:
            start = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                break
            if header is None:
                if not any(c.strip() for c in cells):
                    if strict:
                        break
                    continue
                header = [(h if strict else _clean(table, h)).strip() for h in cells]
                table.header = header
                continue
            if strict:
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
            elif not any(c.strip() for c in cells):
                continue
            add(table, name, start, cells, options.max_rows)
            if head_rows is not None and len(table.rows) >= head_rows:
                break
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


def _nul(table: Table, number: int, cells: list[str]) -> bool:
    """Reject a row holding a NUL byte (a binary fragment or a hostile cell), naming the field."""
    for i, cell in enumerate(cells):
        if "\x00" in cell:
            column = table.header[i] if i < len(table.header) else f"column {i + 1}"
            table.bad.append((number, column, "contains a NUL byte (binary data?)"))
            return True
    return False


def _add_exact(table: Table, name: str, number: int, cells: list[str],
               max_rows: int | None) -> None:
    width = len(table.header)
    if len(cells) > width:
        table.ragged.append((number, len(cells)))
    elif not _nul(table, number, cells):
        table.rows.append((number, cells + [""] * (width - len(cells))))
    _check_limit(table, name, number, max_rows)


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
    if _suspect(joined) or len(joined) > MAX_CELL_CHARS:
        if "\x00" in joined and _nul(table, number, cells):
            _check_limit(table, name, number, max_rows)
            return
        cells = [_clean(table, c) for c in cells]
    if len(cells) < width:
        cells = cells + [""] * (width - len(cells))
    table.rows.append((number, cells))
    _check_limit(table, name, number, max_rows)


def _check_limit(table: Table, name: str, number: int, max_rows: int | None) -> None:
    if max_rows is not None and len(table.rows) + len(table.ragged) + len(table.bad) > max_rows:
        raise InputError(name, number, None, f"more than {max_rows:,} data rows (the limit); "
                         "split the file or import it with the command line")


def add_rows(table: Table, name: str, rows, max_rows: int | None) -> None:
    """Add already split rows ((number, cells)) the forgiving way (used by geodata); a row
    with nothing in it is rejected, not skipped (a feature is a row even when empty)."""
    for number, cells in rows:
        if any(c.strip() for c in cells):
            _add_row(table, name, number, cells, max_rows)
        else:
            table.bad.append((number, "row", "empty: no properties and no geometry"))


# ---- XLSX ------------------------------------------------------------------------------------

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


_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?\br:id=\"([^\"]+)\"")
_REL = re.compile(rb"<Relationship\b[^>]*>")


def first_sheet_member(archive: zipfile.ZipFile) -> str | None:
    """The ZIP member of the workbook's first sheet (what openpyxl calls worksheets[0])."""
    try:
        workbook = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    first = _SHEET.search(workbook)
    if not first:
        return None
    for rel in _REL.findall(rels):
        if f'Id="{first.group(1).decode()}"'.encode() in rel:
            target = re.search(rb'Target="([^"]+)"', rel)
            if target:
                path = target.group(1).decode().lstrip("/")
                return path if path.startswith("xl/") else f"xl/{path}"
    return None


def count_sheet_rows(archive: zipfile.ZipFile, member: str, stop: int) -> int:
    """``<row`` elements in a sheet, counted in the decompressed stream without parsing XML;
    stops counting past ``stop``."""
    count, tail = 0, b""
    with archive.open(member) as stream:
        while count <= stop:
            chunk = stream.read(1 << 20)
            if not chunk:
                break
            block = tail + chunk
            count += len(re.findall(rb"<(?:\w+:)?row[\s>]", block))
            tail = block[-8:]
            count -= len(re.findall(rb"<(?:\w+:)?row[\s>]", tail))
    return count


XLSX_UNSIZED_MAX = 8 * 2**20


def _check_dimension(archive: zipfile.ZipFile, member: str, name: str) -> None:
    """openpyxl parses a whole sheet to size it when the sheet has no ``<dimension>`` record
    (every spreadsheet program writes one); refuse a large sheet without it instead."""
    info = archive.getinfo(member)
    if info.file_size <= XLSX_UNSIZED_MAX:
        return
    with archive.open(member) as stream:
        head = stream.read(8192)
    if not re.search(rb"<(?:\w+:)?dimension\b", head):
        raise InputError(name, None, None, f"the first sheet unpacks to "
                         f"{info.file_size / 2**20:,.0f} MB without a size record (refused: "
                         "open and save it again in a spreadsheet program)")


def _read_xlsx(path: Path, name: str, size: int, options: ReadOptions,
               head_rows: int | None = None) -> Table:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = {i.filename for i in infos}
            if "xl/workbook.xml" not in names:
                raise InputError(name, None, None, "a ZIP file but not an XLSX workbook")
            unpacked = sum(i.file_size for i in infos)
            bound = limits.current().xlsx_bytes
            if unpacked > bound or unpacked > XLSX_MAX_RATIO * max(size, 1):
                raise InputError(name, None, None, f"the workbook unpacks to "
                                 f"{unpacked / 2**20:,.0f} MB (refused: too large or too "
                                 "compressed; SALVO_XLSX_MAX_UNCOMPRESSED_MB)")
            strings = next((i.file_size for i in infos if i.filename == "xl/sharedStrings.xml"),
                           0)
            if strings > XLSX_MAX_SHARED_STRINGS:
                raise InputError(name, None, None, f"the workbook's text table unpacks to "
                                 f"{strings / 2**20:,.0f} MB (refused: over "
                                 f"{XLSX_MAX_SHARED_STRINGS // 2**20} MB)")
            member = first_sheet_member(archive)
            if member in names:
                _check_dimension(archive, member, name)
            if options.max_rows is not None and head_rows is None and member in names:
                rows = count_sheet_rows(archive, member, options.max_rows + 1)
                if rows > options.max_rows + 1:
                    raise InputError(name, None, None, f"more than {options.max_rows:,} data "
                                     "rows (the limit); split the file or import it with the "
                                     "command line")
    except zipfile.BadZipFile:
        raise InputError(name, None, None, "not a readable XLSX (broken ZIP container)") from None
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
            if head_rows is not None and len(table.rows) >= head_rows:
                break
        if len(book.worksheets) > 1:
            table.encoding = f"XLSX (first of {len(book.worksheets)} sheets: {sheet.title})"
    finally:
        book.close()
    if not table.header:
        raise InputError(name, 1, None, "the first sheet is empty (no header row)")
    return table
