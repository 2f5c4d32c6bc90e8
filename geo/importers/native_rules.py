"""The canonical row rules as DuckDB SQL, for the bulk import (:mod:`geo.importers.native`).

One rule per column says when ``normalise_row`` would return the cell *unchanged* (or what a
blank cell becomes): a canonical file's cells are all of that kind, so DuckDB checks and
types them without Python. A row with any other cell is not judged here: it goes to
``normalise_row`` whole, which gives the exact first error with its wording, or the
normalised row. So SQL never has to reproduce an error message, and never accepts a value
the Python validator would reject or change (tests/test_importers_native.py compares both
on real and broken files). Weapon classes and candidate columns are judged once per
distinct value by ``normalise_row`` itself (:func:`judge_values`), after this pass.
"""

from __future__ import annotations

from geo.importers.canonical import _DECIMAL, _INNER_WS, _TIME, _WHOLE, _WS_CHARS
from geo.schema import (
    CANDIDATE_COLUMNS,
    COLUMNS,
    COUNT_COLUMNS,
    ENUMS,
    FLOAT_COLUMNS,
    RowError,
    normalise_row,
)

_WS = "'" + _WS_CHARS + "'"  # no quote among them
_ALPHA3_LIST = "^[A-Z]{3}(;[A-Z]{3})*$"
_ADMIN1_LIST = "^[A-Z]{2}-[0-9A-Z]{1,3}(;[A-Z]{2}-[0-9A-Z]{1,3})*$"
_DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_TEXT = ("location", "weapon_model", "actor", "description", "source_dataset", "source_id")
_SPACED = ("sources", "attribution")  # Python: " ".join(text.split())
# Judged per distinct value (few values; their rules are the taxonomy's or the share sums).
BY_VALUE = ("weapon_class", *CANDIDATE_COLUMNS)
_DEFAULTS = {"time_precision": "day", "event_type": "other", "geo_precision": "unknown",
             "verification": "unverified"}
_PROBE = {"event_id": "x", "event_date": "2024-01-01"}
# Columns whose normalised value differs from the cell (defaults, numbers): a row the rules
# do not accept keeps these cells as read, for the Python judge.
RAW_KEPT = (*_DEFAULTS, "origin_basis", *COUNT_COLUMNS, *FLOAT_COLUMNS)


def _padded(c: str) -> str:
    return f"({c} <> trim({c}, {_WS}))"


def _blank(c: str) -> str:
    return f"(trim({c}, {_WS}) = '')"


def _no_repeats(c: str) -> str:
    return f"(len(list_distinct(string_split({c}, ';'))) = len(string_split({c}, ';')))"


def _valid_date(c: str) -> str:
    """A plain YYYY-MM-DD that is a real date (year 1–9999, as ``date.fromisoformat``)."""
    return (f"(regexp_matches({c}, '{_DATE}') AND left({c}, 4) <> '0000' "
            f"AND strftime(TRY_CAST({c} AS DATE), '%Y-%m-%d') = {c})")


def _part(c: str, start: int, length: int) -> str:
    return f"TRY_CAST(substr({c}, {start}, {length}) AS INTEGER)"


def _time(c: str) -> str:
    """Empty, or the plain ISO form with valid clock and offset values (as canonical.py)."""
    n = f"length({c})"
    return (f"({c} = '' OR (regexp_matches({c}, '{_TIME}') AND {_valid_date(f'left({c}, 10)')}"
            f" AND {_part(c, 12, 2)} < 24 AND {_part(c, 15, 2)} < 60"
            f" AND ({n} NOT IN (19, 25) OR {_part(c, 18, 2)} < 60)"
            f" AND ({n} < 22 OR ({_part(c, f'{n} - 4', 2)} < 24"
            f" AND {_part(c, f'{n} - 1', 2)} < 60))))")


def _enum(c: str) -> str:
    values = ", ".join(f"'{v}'" for v in ENUMS[c])
    return f"({c} IN ({values}) OR {_blank(c)})"


def _codes(c: str, pattern: str) -> str:
    return f"({c} = '' OR (regexp_matches({c}, '{pattern}') AND {_no_repeats(c)}))"


def fast_checks() -> dict[str, str]:
    """{column: SQL that is true when normalise_row keeps the cell as it is}."""
    checks = {"event_id": f"(event_id <> '' AND NOT {_padded('event_id')})",
              "event_date": _valid_date("event_date"),
              "time_start": _time("time_start"), "time_end": _time("time_end"),
              "country": "(country = '' OR regexp_matches(country, '^[A-Z]{3}$'))",
              "admin1": _codes("admin1", _ADMIN1_LIST),
              "weapon_origin": _codes("weapon_origin", _ALPHA3_LIST),
              "weapon_supplier": _codes("weapon_supplier", _ALPHA3_LIST)}
    for c in ENUMS:
        checks[c] = _enum(c)
    for c in _TEXT:
        checks[c] = f"(NOT {_padded(c)})"
    for c in _SPACED:
        checks[c] = (f"(NOT {_padded(c)} AND NOT regexp_matches({c}, '{_INNER_WS}') "
                     f"AND NOT contains({c}, '  '))")
    for c in COUNT_COLUMNS:
        checks[c] = f"({c} = '' OR regexp_matches({c}, '{_WHOLE}'))"
    coordinate = " AND ".join(
        f"regexp_matches({c}, '{_DECIMAL}') AND abs(TRY_CAST({c} AS DOUBLE)) <= {limit}"
        for c, limit in (("latitude", 90), ("longitude", 180)))
    checks["latitude"] = f"((latitude = '' AND longitude = '') OR ({coordinate}))"
    return checks


def fast_values() -> dict[str, str]:
    """{column: SQL for the normalised value of a cell that passed its fast check}."""
    values = {c: c for c in COLUMNS}
    for c, default in _DEFAULTS.items():
        values[c] = f"CASE WHEN {_blank(c)} THEN '{default}' ELSE {c} END"
    values["origin_basis"] = (
        f"CASE WHEN NOT {_blank('origin_basis')} THEN origin_basis "
        "WHEN weapon_origin = '' THEN 'unknown' "
        "WHEN contains(weapon_origin, ';') THEN 'ambiguous' ELSE 'reported' END")
    for c in COUNT_COLUMNS:
        values[c] = f"TRY_CAST(nullif({c}, '') AS BIGINT)"
    for c in FLOAT_COLUMNS:
        values[c] = f"TRY_CAST(nullif({c}, '') AS DOUBLE)"
    return values


def judge_values(column: str, values: list[str]) -> list[tuple[str, bool, str]]:
    """(value, ok, normalised value) by ``normalise_row`` itself, once per distinct value."""
    out = []
    for value in values:
        try:
            out.append((value, True, str(normalise_row({**_PROBE, column: value})[column])))
        except RowError:
            out.append((value, False, ""))
    return out


def store_types() -> dict[str, str]:
    """DuckDB types of the normalised columns."""
    return {c: "BIGINT" if c in COUNT_COLUMNS else "DOUBLE" if c in FLOAT_COLUMNS
            else "VARCHAR" for c in COLUMNS}


def load_frame(con, table: str, frame) -> None:
    """``CREATE OR REPLACE TABLE table`` from a pandas frame (registered, then dropped)."""
    con.register("_frame", frame)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM _frame")
    finally:
        con.unregister("_frame")
