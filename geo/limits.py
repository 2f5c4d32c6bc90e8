"""Resource bounds for imports, as cheap checks the readers call before the expensive work.

The bounds are settings (``geo.settings``: ``upload_max_mb``, ``upload_max_rows``,
``xlsx_max_uncompressed_mb``, ``json_max_depth``, ``import_max_seconds``); this module only
reads them and measures. Every check raises :class:`LimitExceeded`, whose message is one
line naming what was too big and the variable that raises the bound, so a reader can wrap
it as ``InputError(file, row, field, str(exc))`` (issue 14: a 15 MB workbook held a core
for two minutes, 0.4 MB of ``[`` crashed the reader, 18 MB of empty features took 44 s).

>>> limits = Limits(json_depth=3)
>>> json_depth(b'{"a": [1, "]]]]", {"b": []}]}')
4
>>> check_json_depth(b'[[[[]]]]', limits)
Traceback (most recent call last):
...
geo.limits.LimitExceeded: nested 4 levels deep; the limit is 3 (SALVO_JSON_MAX_DEPTH)
"""

from __future__ import annotations

import re
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from geo import settings

MB = 1024 * 1024


class LimitExceeded(ValueError):
    """Input over a resource bound; ``str()`` is one line ending with the setting's name."""


@dataclass(frozen=True)
class Limits:
    """The bounds in force, in base units (bytes, rows, levels, seconds; 0 s = no limit)."""

    upload_bytes: int = 20 * MB
    rows: int = 200_000
    xlsx_bytes: int = 100 * MB
    json_depth: int = 64
    import_seconds: float = 120.0


def current(env: Mapping[str, str] | None = None) -> Limits:
    """The bounds from the settings (``env`` defaults to the process environment)."""
    return Limits(
        upload_bytes=settings.get("upload_max_mb", env) * MB,
        rows=settings.get("upload_max_rows", env),
        xlsx_bytes=settings.get("xlsx_max_uncompressed_mb", env) * MB,
        json_depth=settings.get("json_max_depth", env),
        import_seconds=float(settings.get("import_max_seconds", env)),
    )


def _mb(nbytes: int) -> str:
    return f"{nbytes / MB:,.1f} MB"


def check_upload_size(nbytes: int, limits: Limits) -> None:
    if nbytes > limits.upload_bytes:
        raise LimitExceeded(f"{_mb(nbytes)} is larger than the {_mb(limits.upload_bytes)} "
                            "limit (SALVO_UPLOAD_MAX_MB)")


def check_rows(rows: int, limits: Limits) -> None:
    """Call with the count so far (e.g. every 10,000 rows) to stop as soon as it is over."""
    if rows > limits.rows:
        raise LimitExceeded(f"more than {limits.rows:,} data rows (SALVO_UPLOAD_MAX_ROWS); "
                            "split the file or import it with the command line")


def xlsx_uncompressed_size(source: str | Path | IO[bytes]) -> int:
    """Sum of the uncompressed sizes in the zip directory (no member is decompressed)."""
    with zipfile.ZipFile(source) as book:
        return sum(info.file_size for info in book.infolist())


def check_xlsx(source: str | Path | IO[bytes], limits: Limits) -> None:
    """Refuse a workbook whose parts would unpack to more than the bound (a zip bomb, or
    millions of rows in a small file). A file that is not a zip is left to the reader."""
    try:
        size = xlsx_uncompressed_size(source)
    except (zipfile.BadZipFile, OSError, EOFError):
        return
    if size > limits.xlsx_bytes:
        raise LimitExceeded(f"the workbook unpacks to {_mb(size)}, more than the "
                            f"{_mb(limits.xlsx_bytes)} limit (SALVO_XLSX_MAX_UNCOMPRESSED_MB)")


_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_QUOTE, _CHUNK = ord('"'), 1 << 20
_OPEN = np.frombuffer(b"[{", dtype=np.uint8)
_CLOSE = np.frombuffer(b"]}", dtype=np.uint8)


def json_depth(data: bytes | str) -> int:
    """Deepest nesting of ``[``/``{`` outside strings, in C-speed passes over 1 MB chunks
    (an 18 MB file in a fraction of a second); works on truncated or invalid JSON too."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    raw = _ESCAPE.sub(b"", raw)  # an escaped quote or bracket is not one
    deepest = depth = 0
    inside = 0  # 1 while in a string (odd number of quotes so far)
    for start in range(0, len(raw), _CHUNK):
        chunk = np.frombuffer(raw, dtype=np.uint8, count=min(_CHUNK, len(raw) - start),
                              offset=start)
        quotes = np.cumsum(chunk == _QUOTE, dtype=np.int32)
        outside = ((quotes + inside) & 1) == 0
        steps = (np.isin(chunk, _OPEN) & outside).astype(np.int32)
        steps -= (np.isin(chunk, _CLOSE) & outside).astype(np.int32)
        levels = np.cumsum(steps, dtype=np.int32) + depth
        deepest = max(deepest, int(levels.max()))
        depth = int(levels[-1])
        inside = (inside + int(quotes[-1])) & 1
    return deepest


def check_json_depth(data: bytes | str, limits: Limits) -> None:
    depth = json_depth(data)
    if depth > limits.json_depth:
        raise LimitExceeded(f"nested {depth:,} levels deep; the limit is {limits.json_depth} "
                            "(SALVO_JSON_MAX_DEPTH)")


class Deadline:
    """Wall-time bound of one import: call :meth:`check` between chunks of work."""

    def __init__(self, limits: Limits, clock=time.monotonic):
        self._clock = clock
        self.seconds = limits.import_seconds
        self._start = clock()

    def check(self) -> None:
        if self.seconds and self._clock() - self._start > self.seconds:
            raise LimitExceeded(f"stopped after {self.seconds:,.0f} s (SALVO_IMPORT_MAX_SECONDS)"
                                "; import the file with the command line or raise the limit")
