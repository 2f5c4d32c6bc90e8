"""Our own formats: the canonical CSV and the canonical GeoJSON, validated by normalise_row.

* CSV: the header holds exactly the canonical columns (any order), or the older set without
  the five attribution columns (``geo.schema.LEGACY_COLUMNS``: those are then empty). Row
  numbers are file lines (header = line 1).
* GeoJSON: a FeatureCollection whose feature ``properties`` are canonical columns. Row
  numbers are feature numbers (1 = first feature). A Point geometry fills missing
  ``latitude``/``longitude``; if both are given they must agree. ``null`` geometry is fine.

Both are lossless with :mod:`geo.importers.convert`: write → read gives the same frame.
The CSV is read column-wise (~50× faster than row by row: a million rows in a few seconds);
:func:`read_csv_rows` is the row-by-row definition it must match exactly.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

from geo.importers._common import (
    Collector,
    ImportResult,
    InputError,
    ReadOptions,
    decode_any,
    read_csv,
    reject_ragged,
)
from geo.importers.geodata import check_depth, count_features
from geo.schema import (
    ATTRIBUTION_COLUMNS,
    COLUMNS,
    COUNT_COLUMNS,
    FLOAT_COLUMNS,
    LEGACY_COLUMNS,
    Rejection,
    RowError,
    _iso_time,
    normalise_row,
)

if TYPE_CHECKING:
    from geo.importers import Head

_COLUMN_SET = frozenset(COLUMNS)
_LEGACY_SET = frozenset(LEGACY_COLUMNS)


def _canonical_header(header: list[str]) -> bool:
    """The canonical columns, or the older ones without the attribution columns."""
    names = frozenset(header)
    return len(names) == len(header) and names in (_COLUMN_SET, _LEGACY_SET)


def sniff_csv(head: Head) -> bool:
    return not head.looks_like_json and frozenset(head.header) in (_COLUMN_SET, _LEGACY_SET)


def sniff_geojson(head: Head) -> bool:
    """Our own GeoJSON: canonical property names (any other GeoJSON is ``geodata``)."""
    return head.looks_like_json and b'"FeatureCollection"' in head.data and all(
        f'"{c}"'.encode() in head.data for c in ("event_id", "event_date", "origin_basis"))


def read_csv_file(path: Path, name: str) -> ImportResult:
    """Read a canonical CSV column-wise (see "The vectorised CSV reader" below).

    Gives exactly what :func:`read_csv_rows` gives (same events, rejections and notes); a
    test compares both on real and hostile files.
    """
    return _read_columnar(path, name)


def check_header(table_header: list[str], name: str) -> None:
    """Raise the one-line :class:`InputError` for a header that is not the canonical one."""
    if not _canonical_header(table_header):
        extra = sorted(set(table_header) - _COLUMN_SET)
        lacking = sorted(_COLUMN_SET - set(table_header))
        raise InputError(name, 1, "header", "not the canonical columns"
                         + (f"; unknown: {', '.join(extra)}" if extra else "")
                         + (f"; missing: {', '.join(lacking)}" if lacking else ""))


def read_csv_rows(path: Path, name: str) -> ImportResult:
    """The reference reader: Python's csv module and :func:`normalise_row` row by row.

    About 8k rows/s; kept as the definition the vectorised reader must match.
    """
    table = read_csv(path, name)
    check_header(table.header, name)
    out = Collector("canonical", str(path))
    if not table.encoding.startswith("UTF-8"):
        out.info["encoding"] = table.encoding
    reject_ragged(out, table)
    for line, cells in table.rows:
        out.rows_read += 1
        out.accept(line, dict(zip(table.header, cells, strict=True)))
    return out.result()


def _number(value: object) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def read_geojson(path: Path, name: str, options: ReadOptions | None = None) -> ImportResult:
    data = path.read_bytes()
    check_depth(data, name)  # json.loads recursed out on 0.4 MB of "[" (issue 14)
    if options is not None and options.max_rows is not None:
        # Count features in a stream first: a document over the limit is refused at the
        # first feature past it instead of being parsed whole (issue 14).
        count_features(data, name, options.max_rows)
    text, _ = decode_any(data, name)
    try:
        doc = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        raise InputError(name, exc.lineno, None, f"not valid JSON: {exc.msg} "
                         f"(column {exc.colno})") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(
            doc.get("features"), list):
        raise InputError(name, None, None, "not a GeoJSON FeatureCollection")
    out = Collector("geojson", str(path))
    for number, feature in enumerate(doc["features"], start=1):
        out.rows_read += 1
        if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
            out.reject(number, "properties", "feature has no properties object")
            continue
        raw = {k: v for k, v in feature["properties"].items() if k in _COLUMN_SET}
        problem = _merge_geometry(raw, feature.get("geometry"))
        if problem:
            out.reject(number, *problem)
            continue
        out.accept(number, raw)
    return out.result()


def _merge_geometry(raw: dict, geometry: object) -> tuple[str, str] | None:
    """Fill lat/lon from a Point; return (field, reason) when geometry and properties clash."""
    if geometry is None:
        return None
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        kind = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        return "geometry", f"only Point geometries are supported, not {str(kind)[:20]!r}"
    coords = geometry.get("coordinates")
    if not isinstance(coords, list) or len(coords) < 2:
        return "geometry", "Point without [lon, lat] coordinates"
    lon, lat = _number(coords[0]), _number(coords[1])
    if lon is None or lat is None or math.isnan(lon) or math.isnan(lat):
        return "geometry", "Point coordinates are not numbers"
    for field, value in (("latitude", lat), ("longitude", lon)):
        given = _number(raw.get(field))
        if given is None:
            raw[field] = value
        elif math.isnan(given) or abs(given - value) > 1e-9:
            return field, f"property {given!r} disagrees with the Point geometry ({value!r})"
    return None


# ---- The vectorised CSV reader -----------------------------------------------------------
#
# Structure. pyarrow splits the file when it is *plain*: valid UTF-8, no NUL, no CR outside
# CRLF line ends, and exactly one record per line, each exactly the header's width. pyarrow's
# parser and the csv module run the same state machine for the excel dialect (a quote opens
# a field only at its start, "" inside quotes is a quote, text after a closing quote and
# stray quotes in unquoted text are kept), so on a plain file record i is on line i + 2 and
# the cells are identical. A cell spanning lines makes pyarrow fail ("out of sync with
# chunker") or give fewer records than lines; then, as for blank, short or long rows and
# stray CRs, the exact Python reader (:func:`read_csv`) splits the file instead.
#
# Validation. A cell takes the fast path only when normalise_row would return it unchanged
# (text without surrounding whitespace, a plain decimal, a whole number, a plain ISO time),
# and low-cardinality columns are judged once per distinct value by normalise_row itself.
# A row with any other cell goes through normalise_row whole, which gives the exact first
# error (or the normalised row). In-file repeats of an event_id are resolved as
# Collector.accept does. tests/test_canonical_fast.py compares both readers.

_WS_CHARS = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
             "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")  # isspace()
# Whitespace other than the space, as an RE2 class (sources are already " ".join(split())).
_INNER_WS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in _WS_CHARS if c != " ") + "]"
_DECIMAL = r"^-?[0-9]{1,3}(?:\.[0-9]{1,17})?$"
_WHOLE = r"^[0-9]{1,9}$"  # always within MAX_COUNT; longer numbers take the checked path
# YYYY-MM-DDTHH:MM[:SS][±HH:MM]; other ISO forms are judged per value.
_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2})?(?:[+-][0-9]{2}:[0-9]{2})?$"

_TEXT = ("location", "weapon_model", "actor", "description", "source_dataset",
         "source_id")
# Few distinct values in real files: normalise_row judges each distinct value once.
_BY_VALUE = ("event_date", "time_precision", "event_type", "country", "admin1",
             "geo_precision", "weapon_class", "weapon_origin", "verification",
             "weapon_supplier", "class_candidates", "origin_candidates", "supplier_candidates")
# Mostly different in every row: converted without looking for repeats.
_DISTINCT = ("event_id", "description", "sources", "source_id", "attribution")
_LIMITS = {"latitude": 90.0, "longitude": 180.0}
_PROBE = {"event_id": "x", "event_date": "2024-01-01"}


def _read_columnar(path: Path, name: str) -> ImportResult:
    import numpy as np

    plain = _plain_table(path.read_bytes())
    if plain is not None:
        cols, n = plain
        lines = np.arange(2, n + 2, dtype=np.int64)
        ragged: list[tuple[int, int]] = []
        bad: list[tuple[int, str, str]] = []
        encoding = "UTF-8"
    else:
        table = read_csv(path, name)  # raises the one-line errors (bytes, CSV, header)
        check_header(table.header, name)
        cols = _columns_of(table)
        lines = np.array([line for line, _ in table.rows], dtype=np.int64)
        ragged, bad, encoding = table.ragged, table.bad, table.encoding
    result = _validate(cols, lines, ragged, str(path), bad)
    if not encoding.startswith("UTF-8"):
        result.info["encoding"] = encoding
    return result


def _plain_table(data: bytes):
    """({column: ChunkedArray of str}, rows) for a plain file (see above), else None."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    raw = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if b"\x00" in raw or (b"\r" in raw and raw.count(b"\r") != raw.count(b"\r\n")):
        return None
    end = raw.find(b"\n")
    try:
        first = (raw if end < 0 else raw[:end]).decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        return None
    if '"' in first:
        return None
    header = [h.strip() for h in first.split(",")]
    if not _canonical_header(header):
        return None  # the exact reader raises the header error
    n_lines = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
    if n_lines == 1:
        return _with_attribution({c: pa.chunked_array([], pa.string()) for c in header}, 0), 0
    try:
        table = pacsv.read_csv(
            pa.py_buffer(raw),
            read_options=pacsv.ReadOptions(skip_rows=1, column_names=header,
                                           block_size=1 << 22),
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in header}, strings_can_be_null=False,
                quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None  # bad UTF-8, a row of the wrong width…: the exact reader decides
    if table.num_rows != n_lines - 1:
        return None  # a cell spanning lines or a skipped blank line
    return _with_attribution({c: table[c] for c in header}, table.num_rows), table.num_rows


def _with_attribution(cols: dict, n: int) -> dict:
    """Empty attribution columns for a file written before they existed."""
    import pyarrow as pa

    for column in ATTRIBUTION_COLUMNS:
        if column not in cols:
            cols[column] = pa.chunked_array([pa.array([""] * n, pa.string())])
    return cols


def _columns_of(table) -> dict:
    import pyarrow as pa

    cells = [c for _, c in table.rows]
    return _with_attribution({h: pa.chunked_array([pa.array([row[i] for row in cells],
                                                             pa.string())])
                              for i, h in enumerate(table.header)}, len(cells))


def _mask(array):
    import numpy as np

    return np.asarray(array.to_numpy(), dtype=bool)


def _encoded(array):
    """(distinct values as an Arrow array, index of each cell's value as numpy)."""
    import pyarrow.compute as pc

    distinct = pc.unique(array)
    return distinct, pc.index_in(array, value_set=distinct).to_numpy(zero_copy_only=False)


def _objects(array, distinct: bool = False):
    """A string array as a numpy object array of str (repeated values share one object;
    ``distinct``: mostly different values, converted directly)."""
    import numpy as np

    if len(array) == 0:
        return np.empty(0, dtype=object)
    if not distinct:
        values, index = _encoded(array)
        if len(values) * 2 <= len(array):
            objects = np.empty(len(values), dtype=object)
            objects[:] = values.to_pylist()
            return objects[index]
    return array.to_numpy()


def _padded(array):
    """Cells with leading or trailing whitespace (the ``str.strip`` set)."""
    import pyarrow.compute as pc

    trimmed = pc.utf8_trim(array, _WS_CHARS)
    return _mask(pc.not_equal(pc.binary_length(trimmed), pc.binary_length(array)))


def _blank(array):
    """Cells that are empty or only whitespace (what normalise_row treats as missing)."""
    import pyarrow.compute as pc

    return _mask(pc.equal(pc.binary_length(pc.utf8_trim(array, _WS_CHARS)), 0))


def _probe(column: str, value: str, **others: str) -> tuple[bool, object]:
    """normalise_row's verdict on one cell (the other fields empty or valid)."""
    try:
        return True, normalise_row({**_PROBE, **others, column: value})[column]
    except RowError:
        return False, None


def _by_value(array, judge):
    """(ok mask, values): ``judge(value) -> (ok, value)`` called once per distinct value."""
    import numpy as np

    distinct, index = _encoded(array)
    verdicts = [judge(v) for v in distinct.to_pylist()]
    good = np.array([v[0] for v in verdicts], dtype=bool)
    mapped = np.empty(len(verdicts), dtype=object)
    mapped[:] = [v[1] for v in verdicts]
    return good[index], mapped[index]


def _judge_rows(values, ok, rows, judge) -> None:
    """Judge the cells at ``rows`` (once per distinct value); store verdicts in place."""
    verdicts: dict[object, tuple[bool, object]] = {}
    for i in rows:
        cell = values[i]
        if cell not in verdicts:
            verdicts[cell] = judge(cell)
        ok[i], values[i] = verdicts[cell]


def _plain_times(array):
    """Cells in the plain ISO form whose date and clock values are valid."""
    import pyarrow as pa
    import pyarrow.compute as pc

    matched = pc.match_substring_regex(array, _TIME)
    shaped = _mask(matched)
    if not shaped.any():
        return shaped
    cells = pc.filter(array, matched)
    length = pc.binary_length(cells).to_numpy()

    def number(start: int, stop: int, where=None):
        part = pc.utf8_slice_codeunits(cells, start, stop)
        if where is not None:  # cells without this part count as 0
            part = pc.if_else(pa.array(where), part, "0")
        return pc.cast(part, pa.int64()).to_numpy()

    good, _ = _by_value(pc.utf8_slice_codeunits(cells, 0, 10),
                        lambda day: _time("time_start", day))
    good &= (number(11, 13) < 24) & (number(14, 16) < 60)
    seconds = (length == 19) | (length == 25)
    good &= number(17, 19, seconds) < 60
    zone = length >= 22
    good &= (number(-5, -3, zone) < 24) & (number(-2, 100, zone) < 60)
    shaped[shaped] = good
    return shaped


def _validate(cols: dict, lines, ragged: list[tuple[int, int]], path: str,
              set_aside: list[tuple[int, str, str]] = ()) -> ImportResult:
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(lines)
    bad = np.zeros(n, dtype=bool)  # rows normalise_row must judge whole
    out: dict[str, object] = {}

    def keep_unless(column: str, slow) -> None:
        """Cells as they are, except the ``slow`` ones, which normalise_row judges."""
        values = _objects(cols[column], distinct=column in _DISTINCT)
        ok = np.ones(n, dtype=bool)
        _judge_rows(values, ok, np.flatnonzero(slow), lambda v: _probe(column, v))
        bad[~ok] = True
        out[column] = values

    def matches(column: str, pattern: str):
        return _mask(pc.match_substring_regex(cols[column], pattern))

    # Free text: unchanged unless padded with whitespace (sources: single spaces only).
    for column in _TEXT:
        keep_unless(column, _padded(cols[column]))
    for column in ("sources", "attribution"):
        keep_unless(column, _padded(cols[column]) | matches(column, _INNER_WS)
                    | _mask(pc.match_substring(cols[column], "  ")))
    keep_unless("event_id", _blank(cols["event_id"]) | _padded(cols["event_id"]))

    # Few distinct values: normalise_row judges each once.
    for column in _BY_VALUE:
        ok, out[column] = _by_value(cols[column], lambda v, c=column: _probe(c, v))
        bad[~ok] = True

    # origin_basis: a blank one defaults from the origins, so it is judged per origin value.
    ok, given = _by_value(cols["origin_basis"], lambda v: _probe("origin_basis", v))
    default_ok, default = _by_value(
        cols["weapon_origin"], lambda v: _probe("origin_basis", "", weapon_origin=v))
    empty = _blank(cols["origin_basis"])
    out["origin_basis"] = np.where(empty, default, given)
    bad[~np.where(empty, default_ok, ok)] = True

    # Times: empty or plain ISO as they are; anything else judged per value.
    for column in ("time_start", "time_end"):
        array = cols[column]
        slow = ~(_mask(pc.equal(array, "")) | _plain_times(array))
        values = _objects(array)
        ok = np.ones(n, dtype=bool)
        _judge_rows(values, ok, np.flatnonzero(slow), lambda v, c=column: _time(c, v))
        bad[~ok] = True
        out[column] = values

    # Coordinates: plain decimals cast in one go; anything else judged per value.
    missing = {}
    for column, limit in _LIMITS.items():
        array = cols[column]
        empty = _blank(array)
        shaped = pc.match_substring_regex(array, _DECIMAL)
        plain = _mask(shaped)
        values = pc.cast(pc.if_else(shaped, array, "0"), pa.float64()).to_numpy().copy()
        values[empty] = np.nan
        ok = ~(plain & (np.abs(values) > limit))
        other = "longitude" if column == "latitude" else "latitude"
        slow = np.flatnonzero(~plain & ~empty)
        if len(slow):
            cells = np.empty(n, dtype=object)
            cells[slow] = pc.take(array, pa.array(slow)).to_pylist()
            _judge_rows(cells, ok, slow, lambda v, c=column, o=other: _probe(c, v, **{o: "0"}))
            values[slow] = [np.nan if v is None else v for v in cells[slow]]
        bad[~ok] = True
        missing[column] = empty
        out[column] = values
    bad[missing["latitude"] != missing["longitude"]] = True  # only one coordinate given

    # Counts: whole numbers cast in one go; anything else judged per value.
    for column in COUNT_COLUMNS:
        array = cols[column]
        null = _blank(array)
        shaped = pc.match_substring_regex(array, _WHOLE)
        whole = _mask(shaped)
        values = pc.cast(pc.if_else(shaped, array, "0"), pa.int64()).to_numpy().copy()
        ok = np.ones(n, dtype=bool)
        slow = np.flatnonzero(~whole & ~null)
        if len(slow):
            cells = np.empty(n, dtype=object)
            cells[slow] = pc.take(array, pa.array(slow)).to_pylist()
            _judge_rows(cells, ok, slow, lambda v, c=column: _probe(c, v))
            for i in slow[ok[slow]]:
                values[i] = cells[i]  # a whole number (beyond int64 this fails, as before)
        bad[~ok] = True
        out[column] = (values, null)

    # Rows outside the fast path: normalise_row whole (the exact first error, or the row).
    rejections = [Rejection(line, "row", f"has {count} cells but the header has "
                                         f"{len(COLUMNS)}") for line, count in ragged]
    rejections += [Rejection(line, field, reason) for line, field, reason in set_aside]
    accepted = ~bad
    flagged = np.flatnonzero(bad)
    if len(flagged):
        taken = {c: pc.take(cols[c], pa.array(flagged)).to_pylist() for c in COLUMNS}
        for k, i in enumerate(flagged):
            try:
                clean = normalise_row({c: taken[c][k] for c in COLUMNS})
            except RowError as exc:
                rejections.append(Rejection(int(lines[i]), exc.field, exc.reason))
                continue
            accepted[i] = True
            for c in COLUMNS:
                value = clean[c]
                if c in COUNT_COLUMNS:
                    values, null = out[c]
                    null[i] = value is None
                    values[i] = 0 if value is None else value
                elif c in FLOAT_COLUMNS:
                    out[c][i] = np.nan if value is None else value
                else:
                    out[c][i] = value

    # In-file repeats of an event_id, resolved in file order as Collector.accept does.
    notes: dict[str, int] = {}
    keep = np.flatnonzero(accepted)
    if not len(flagged) and pc.count_distinct(cols["event_id"]).as_py() == n:
        repeated = pd.Series(False, index=range(len(keep)))  # every id as read is unique
    else:
        repeated = pd.Series(out["event_id"][keep], dtype=object).duplicated(keep=False)
    if repeated.any():
        seen: dict[str, tuple[int, dict]] = {}
        for i in keep[repeated.to_numpy()]:
            row = _row_dict(out, i)
            first = seen.get(row["event_id"])
            if first is None:
                seen[row["event_id"]] = (int(lines[i]), row)
                continue
            accepted[i] = False
            if first[1] == row:
                reason = f"duplicate of row {first[0]}"
                notes["duplicate_in_file"] = notes.get("duplicate_in_file", 0) + 1
            else:
                reason = f"event_id also used by row {first[0]} with different values"
            rejections.append(Rejection(int(lines[i]), "event_id", reason))
        keep = np.flatnonzero(accepted)

    everything = len(keep) == n
    events = pd.DataFrame(index=pd.RangeIndex(len(keep)))
    for c in COLUMNS:  # one block per column: no copying into a consolidated block
        if c in COUNT_COLUMNS:
            values, null = out[c]
            if not everything:
                values, null = values[keep], null[keep]
            events[c] = pd.arrays.IntegerArray(values.astype(np.int64, copy=False), null)
        else:
            values = out[c] if everything else out[c][keep]
            events[c] = pd.Series(values, dtype="float64" if c in FLOAT_COLUMNS else object,
                                  copy=False)
    return ImportResult("canonical", path, n + len(ragged) + len(set_aside), events,
                        sorted(rejections, key=lambda r: r.row), notes, {})


def _time(column: str, value: str) -> tuple[bool, object]:
    try:
        return True, _iso_time(column, value)
    except RowError:
        return False, None


def _row_dict(out: dict, i: int) -> dict[str, object]:
    import numpy as np

    row: dict[str, object] = {}
    for c in COLUMNS:
        if c in COUNT_COLUMNS:
            values, null = out[c]
            row[c] = None if null[i] else int(values[i])
        elif c in FLOAT_COLUMNS:
            value = out[c][i]
            row[c] = None if np.isnan(value) else float(value)
        else:
            row[c] = out[c][i]
    return row
