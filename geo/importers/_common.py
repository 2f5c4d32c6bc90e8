"""Shared importer plumbing: the error and result types, CSV reading, row collection.

Kept apart from ``__init__`` so format modules can import it without a cycle.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

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
        for key, count in sorted(self.notes.items()):
            lines.append(f"  note: {key}: {count}")
        for name_, count in Counter(self.unresolved).most_common(10):
            lines.append(f"  unresolved: {name_!r} ×{count}")
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
                            rejections, dict(self.notes), dict(self.unresolved))


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
