"""The canonical event table: columns, allowed values and row validation.

Every importer produces rows in this shape and every export writes it. The column order is a
public contract (README, ``python -m geo convert``): change it only with a migration.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from geo.taxonomy import CLASSES, normalise_classes

COLUMNS: tuple[str, ...] = (
    "event_id",
    "event_date",
    "time_start",
    "time_end",
    "time_precision",
    "event_type",
    "country",
    "admin1",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "weapon_model",
    "weapon_class",
    "weapon_origin",
    "origin_basis",
    "launched",
    "destroyed",
    "hits",
    "fatalities",
    "injured",
    "actor",
    "description",
    "sources",
    "source_dataset",
    "source_id",
    "verification",
    # Attribution (issue 9): who supplied the weapon, and what the evidence suggests when no
    # source states it. Files written before these columns existed still import.
    "weapon_supplier",
    "class_candidates",
    "origin_candidates",
    "supplier_candidates",
    "attribution",
)
# The five attribution columns, and the older header without them (still importable).
ATTRIBUTION_COLUMNS: tuple[str, ...] = COLUMNS[COLUMNS.index("verification") + 1:]
LEGACY_COLUMNS: tuple[str, ...] = COLUMNS[:COLUMNS.index("verification") + 1]
CANDIDATE_COLUMNS = ("class_candidates", "origin_candidates", "supplier_candidates")

TIME_PRECISIONS = ("hour", "day", "week", "month", "year")
EVENT_TYPES = ("impact", "interception", "debris", "attack", "transfer", "other")
GEO_PRECISIONS = ("exact", "settlement", "district", "oblast", "region", "country", "unknown")
ORIGIN_BASES = ("catalogue", "reported", "inferred", "ambiguous", "unknown")
VERIFICATIONS = ("verified", "reported", "unverified")

# Precisions that may be drawn as a point on the map. Coarser ones are shaded areas or
# appear only on the timeline: a field "somewhere in Zaporizhzhia oblast" is never a dot.
POINT_PRECISIONS = ("exact", "settlement", "district")

# Counts are stored as 32-bit integers; no weapon, hit or casualty count comes near this.
MAX_COUNT = 2_147_483_647
COUNT_COLUMNS = ("launched", "destroyed", "hits", "fatalities", "injured")
FLOAT_COLUMNS = ("latitude", "longitude")
# Multi-valued columns are stored as ';'-joined text in files and as lists in the store.
LIST_COLUMNS = ("admin1", "weapon_origin", "weapon_supplier")

ENUMS: dict[str, tuple[str, ...]] = {
    "time_precision": TIME_PRECISIONS,
    "event_type": EVENT_TYPES,
    "geo_precision": GEO_PRECISIONS,
    "origin_basis": ORIGIN_BASES,
    "verification": VERIFICATIONS,
}

_ALPHA3 = re.compile(r"^[A-Z]{3}$")
_ADMIN1 = re.compile(r"^[A-Z]{2}-[0-9A-Z]{1,3}$")
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)


class RowError(ValueError):
    """A row that cannot enter the canonical table; names the field and the reason."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Rejection:
    """One rejected input row: where it was and why."""

    row: int  # 1-based line/record number in the input file (header = line 1 for CSV)
    field: str
    reason: str

    def describe(self, file: str) -> str:
        return f"{file}: row {self.row}: field '{self.field}': {self.reason}"


def split_list(value: object) -> list[str]:
    """Split a ';'-joined multi-value cell into clean items (empty → [])."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return [part.strip() for part in str(value).split(";") if part.strip()]


def join_list(items: list[str] | tuple[str, ...]) -> str:
    """Join items with ';' keeping first-seen order and dropping duplicates."""
    seen: list[str] = []
    for item in items:
        if item and item not in seen:
            seen.append(item)
    return ";".join(seen)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and not value.strip()
    )


def _count(field: str, value: object) -> int | None:
    if _blank(value):
        return None
    try:
        number = float(str(value).strip())
    except ValueError as exc:
        raise RowError(field, f"not a number: {str(value)[:40]!r}") from exc
    if not math.isfinite(number) or number < 0 or number != int(number):
        raise RowError(field, f"not a non-negative whole number: {str(value)[:40]!r}")
    if number > MAX_COUNT:
        raise RowError(field, f"larger than any report states (over {MAX_COUNT:,}): "
                              f"{str(value)[:40]!r}")
    return int(number)


def _coordinate(field: str, value: object, limit: float) -> float | None:
    if _blank(value):
        return None
    try:
        number = float(str(value).strip())
    except ValueError as exc:
        raise RowError(field, f"not a number: {str(value)[:40]!r}") from exc
    if not math.isfinite(number) or abs(number) > limit:
        raise RowError(field, f"out of range (±{limit:g}): {str(value)[:40]!r}")
    return number


def _iso_date(value: object) -> str:
    if _blank(value):
        raise RowError("event_date", "missing")
    text = str(value).strip()
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise RowError("event_date", f"not an ISO date (YYYY-MM-DD): {text[:40]!r}") from exc


def _iso_time(field: str, value: object) -> str:
    if _blank(value):
        return ""
    text = str(value).strip()
    try:
        datetime.fromisoformat(text)
    except ValueError as exc:
        raise RowError(field, f"not an ISO 8601 date-time: {text[:40]!r}") from exc
    return text


def _enum(field: str, value: object, default: str | None = None) -> str:
    if _blank(value):
        if default is None:
            raise RowError(field, "missing")
        return default
    text = str(value).strip().lower()
    if text not in ENUMS[field]:
        raise RowError(field, f"{text[:40]!r} is not one of {', '.join(ENUMS[field])}")
    return text


def _text(value: object) -> str:
    return "" if _blank(value) else str(value).strip()


def normalise_row(raw: dict[str, object]) -> dict[str, object]:
    """Validate one canonical row and return it with typed, normalised values.

    Raises :class:`RowError` naming the first bad field. Unknown keys are ignored.

    >>> row = normalise_row({"event_id": "x1", "event_date": "2023-12-30",
    ...     "event_type": "impact", "weapon_origin": "prk", "sources": "https://a.example/b"})
    >>> row["weapon_origin"], row["geo_precision"], row["verification"]
    ('PRK', 'unknown', 'unverified')
    """
    event_id = _text(raw.get("event_id"))
    if not event_id:
        raise RowError("event_id", "missing")
    row: dict[str, object] = {"event_id": event_id}
    row["event_date"] = _iso_date(raw.get("event_date"))
    row["time_start"] = _iso_time("time_start", raw.get("time_start"))
    row["time_end"] = _iso_time("time_end", raw.get("time_end"))
    row["time_precision"] = _enum("time_precision", raw.get("time_precision"), "day")
    row["event_type"] = _enum("event_type", raw.get("event_type"), "other")

    country = _text(raw.get("country")).upper()
    if country and not _ALPHA3.match(country):
        raise RowError("country", f"not an ISO 3166-1 alpha-3 code: {country[:20]!r}")
    row["country"] = country
    admin1 = [code.upper() for code in split_list(raw.get("admin1"))]
    for code in admin1:
        if not _ADMIN1.match(code):
            raise RowError("admin1", f"not an ISO 3166-2 code: {code[:20]!r}")
    row["admin1"] = join_list(admin1)
    row["location"] = _text(raw.get("location"))

    lat = _coordinate("latitude", raw.get("latitude"), 90)
    lon = _coordinate("longitude", raw.get("longitude"), 180)
    if (lat is None) != (lon is None):
        raise RowError("longitude" if lon is None else "latitude", "only one coordinate given")
    row["latitude"], row["longitude"] = lat, lon
    precision = _enum("geo_precision", raw.get("geo_precision"), "unknown")
    row["geo_precision"] = precision

    row["weapon_model"] = _text(raw.get("weapon_model"))
    row["weapon_class"] = normalise_classes(raw.get("weapon_class"))
    origins = _alpha3_list("weapon_origin", raw.get("weapon_origin"))
    row["weapon_origin"] = join_list(origins)
    basis_default = "unknown" if not origins else ("ambiguous" if len(origins) > 1 else "reported")
    row["origin_basis"] = _enum("origin_basis", raw.get("origin_basis"), basis_default)

    for field in COUNT_COLUMNS:
        row[field] = _count(field, raw.get(field))
    row["actor"] = _text(raw.get("actor"))
    row["description"] = _text(raw.get("description"))
    sources = _text(raw.get("sources")).split()
    row["sources"] = " ".join(sources)
    row["source_dataset"] = _text(raw.get("source_dataset"))
    row["source_id"] = _text(raw.get("source_id"))
    row["verification"] = _enum("verification", raw.get("verification"), "unverified")
    row["weapon_supplier"] = join_list(_alpha3_list("weapon_supplier", raw.get("weapon_supplier")))
    for field in CANDIDATE_COLUMNS:
        row[field] = _candidates(field, raw.get(field))
    row["attribution"] = " ".join(_text(raw.get("attribution")).split())
    return row


def _alpha3_list(field: str, value: object) -> list[str]:
    codes = [code.upper() for code in split_list(value)]
    for code in codes:
        if not _ALPHA3.match(code):
            raise RowError(field, f"not an ISO 3166-1 alpha-3 code: {code[:20]!r}")
    return codes


def _candidates(field: str, value: object) -> str:
    if _blank(value):
        return ""
    try:
        pairs = parse_candidates(str(value))
    except ValueError as exc:
        raise RowError(field, str(exc)) from exc
    seen: set[str] = set()
    for name, share in pairs:
        if field == "class_candidates":
            if name not in CLASSES:
                raise RowError(field, f"{name[:40]!r} is not a weapon class of the vocabulary")
        elif not _ALPHA3.match(name.upper()):
            raise RowError(field, f"not an ISO 3166-1 alpha-3 code: {name[:20]!r}")
        if name.casefold() in seen:
            raise RowError(field, f"{name[:40]!r} appears twice")
        seen.add(name.casefold())
        if not 0 <= share <= 1:
            raise RowError(field, f"share of {name[:40]!r} is not between 0 and 1: {share:g}")
    total = sum(share for _, share in pairs)
    if abs(total - 1) > SHARE_TOLERANCE:
        raise RowError(field, f"shares sum to {total:.2f}, not 1")
    if field != "class_candidates":
        pairs = [(name.upper(), share) for name, share in pairs]
    return format_candidates(pairs)


SHARE_TOLERANCE = 0.01 + 1e-9  # rounding to 2 decimals leaves at most ±0.01


def parse_candidates(text: str | None) -> list[tuple[str, float]]:
    """``value:share`` pairs joined by ';' → [(value, share)], in the order written.

    Raises ``ValueError`` (with a one-line reason) for a malformed pair; empty → [].

    >>> parse_candidates("IRN:0.70; RUS:0.3")
    [('IRN', 0.7), ('RUS', 0.3)]
    >>> parse_candidates("")
    []
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return []
    pairs: list[tuple[str, float]] = []
    for part in str(text).split(";"):
        part = part.strip()
        if not part:
            continue
        name, sep, share_text = part.rpartition(":")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"{part[:40]!r} is not a value:share pair")
        try:
            share = float(share_text.strip())
        except ValueError:
            raise ValueError(f"share of {name[:40]!r} is not a number: "
                             f"{share_text.strip()[:20]!r}") from None
        if not math.isfinite(share):
            raise ValueError(f"share of {name[:40]!r} is not a number: {share_text[:20]!r}")
        pairs.append((name, share))
    return pairs


def format_candidates(pairs: Iterable[tuple[str, float]]) -> str:
    """Candidate pairs as the canonical text: shares scaled to sum 1, rounded to 2
    decimals, highest first (ties by value), values whose share rounds to 0 dropped; the
    rounding remainder goes to the top value so the written shares sum to exactly 1.

    >>> format_candidates([("RUS", 1), ("IRN", 2)])
    'IRN:0.67;RUS:0.33'
    >>> format_candidates([("a", 1), ("b", 1), ("c", 1)])
    'a:0.34;b:0.33;c:0.33'
    >>> format_candidates([])
    ''
    """
    merged: dict[str, float] = {}
    for name, share in pairs:
        if share > 0 and math.isfinite(share):
            merged[name] = merged.get(name, 0.0) + float(share)
    total = sum(merged.values())
    if not merged or total <= 0:
        return ""
    cents = {name: round(share / total * 100) for name, share in merged.items()}
    ranked = sorted(merged, key=lambda name: (-merged[name], name))
    cents = {name: cents[name] for name in ranked if cents[name] > 0}
    if not cents:
        cents = {ranked[0]: 100}
    top = next(iter(cents))
    cents[top] += 100 - sum(cents.values())
    ordered = sorted(cents, key=lambda name: (-cents[name], ranked.index(name)))
    return ";".join(f"{name}:{cents[name] / 100:.2f}" for name in ordered)


def is_web_url(text: str) -> bool:
    """True for absolute http(s) URLs: the only links the app renders as clickable."""
    return bool(_URL.match(text or ""))
