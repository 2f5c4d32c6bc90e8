"""Shared importer plumbing: the result type, row collection, weapons, placing rows.

Kept apart from ``__init__`` so format modules can import it without a cycle. The pieces that
used to live here have their own modules, re-exported from here for the format modules:
:mod:`.errors` (``InputError``), :mod:`.text` (bytes → text), :mod:`.tables` (the one table
reader, strict or forgiving), :mod:`.dates`, :mod:`.coordinates`, :mod:`.countries`.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from geo import limits
from geo.catalogue import load_catalogue, with_supplier
from geo.gazetteer import load_gazetteer
from geo.importers.coordinates import (  # noqa: F401 - re-exported for the format modules
    Points,
    parse_coordinate,
    parse_lat_lon,
    parse_point,
    settle_points,
)
from geo.importers.countries import GW_CODES, country_code  # noqa: F401
from geo.importers.dates import (  # noqa: F401
    KYIV,
    ORDERS,
    DateReader,
    ParsedDate,
    span_precision,
)
from geo.importers.dedupe import find_in_file_duplicates
from geo.importers.errors import InputError  # noqa: F401
from geo.importers.tables import (  # noqa: F401
    MAX_CELL_CHARS,
    XLSX_MAX_RATIO,
    Progress,
    ReadOptions,
    Table,
    Ticker,
    read_table,
)
from geo.importers.text import (  # noqa: F401
    clean_cell,
    decode_any,
    header_key,
    repair_mojibake,
    sniff_delimiter,
)
from geo.oblasts import OBLASTS, load_oblasts
from geo.schema import COLUMNS, COUNT_COLUMNS, FLOAT_COLUMNS, Rejection, RowError, normalise_row

CsvTable = Table  # the strict reader's table is the same Table (read_table(strict=True))

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
    # The bulk import (native.py) keeps accepted rows in DuckDB: their count, events empty.
    accepted_rows: int | None = None

    @property
    def accepted(self) -> int:
        return len(self.events) if self.accepted_rows is None else self.accepted_rows

    def report(self) -> dict:
        """A JSON-able summary (counts, top rejection reasons, first 20 rejected rows)."""
        groups = Counter(_reason_group(r) for r in self.rejections)
        return {
            "format": self.format,
            "file": self.path,
            "read": self.rows_read,
            "accepted": self.accepted,
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
        lines = [f"{name}: read {self.rows_read}, accepted {self.accepted}, "
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


def refusal(result: ImportResult, max_rejected: float | None) -> str | None:
    """Why a read must not be stored or written (one line with the top reasons), or None.

    No accepted row is always a refusal; more than ``max_rejected`` % rejected is one too.
    """
    rejected = len(result.rejections)
    top = "; ".join(f"{g['count']}× {g['reason']}"
                    for g in result.report()["rejections_by_reason"][:3])
    if not result.accepted:
        return (f"no row accepted (read {result.rows_read}, rejected {rejected})"
                + (f"; top reasons: {top}" if top else ""))
    share = 100 * rejected / max(result.rows_read, 1)
    if max_rejected is not None and share > max_rejected:
        return (f"{share:.1f}% of rows rejected, over --max-rejected {max_rejected:g}%; "
                f"top reasons: {top}")
    return None


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


def read_csv(path: Path, name: str) -> Table:
    """The canonical CSV as a table: :func:`read_table` with ``strict=True``."""
    return read_table(path, name, strict=True)


def reject_ragged(collector: Collector, table: Table) -> None:
    """Count and reject the rows the reader set aside: too many cells, or a NUL byte."""
    for line, count in table.ragged:
        collector.rows_read += 1
        collector.reject(line, "row", f"has {count} cells but the header has "
                                      f"{len(table.header)}")
    for line, field_, reason in table.bad:
        collector.rows_read += 1
        collector.reject(line, field_, reason)


def table_collector(fmt: str, path: Path, table: Table) -> Collector:
    """A :class:`Collector` with the table's reading decisions and repairs already noted."""
    out = Collector(fmt, str(path))
    out.info.update(table.describe())
    if table.repaired:
        out.note("text_mojibake_repaired", table.repaired)
    if table.truncated:
        out.note(f"text_cut_to_{MAX_CELL_CHARS}_chars", table.truncated)
    reject_ragged(out, table)
    return out


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


BORDER_KM = 5.0


@lru_cache(maxsize=1)
def _unit_shapes() -> dict:
    frame = load_oblasts()
    return dict(zip(frame["iso"], frame.geometry, strict=True))


def within_km_of_unit(code: str, lat: float, lon: float, km: float) -> bool:
    """Whether (lat, lon) lies within ``km`` of the unit ``code`` (great-circle distance to
    the nearest point of its polygon; 0 inside it)."""
    import shapely
    from shapely.ops import nearest_points

    shape = _unit_shapes().get(code)
    if shape is None:
        return False
    point = shapely.Point(lon, lat)
    if shape.distance(point) > km / 60:       # cheap reject: > ~1.8 × km at these latitudes
        return False
    near = nearest_points(shape, point)[0]
    p1, p2 = math.radians(lat), math.radians(near.y)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(
        math.radians(near.x - lon) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a)) <= km


def place_and_accept(out: Collector, stages: list[Stage], progress: Progress | None = None,
                     total: int | None = None) -> None:
    """Check and place every staged row, then validate and accept (or reject) it.

    With a point: coordinates are checked (:func:`settle_points`), the oblast and country come
    from the point (the point wins over the source's oblast name; agreements and disagreements
    are counted). Without one: the place text is geocoded offline (:mod:`geo.gazetteer`,
    precision ``settlement``), else the source's oblast gives ``oblast`` precision, else the
    country gives ``country``. Names that did not resolve are listed in ``unresolved``.
    """
    points = settle_points([(s.lat, s.lon) for s in stages])
    tick = Ticker(progress, total if total is not None else len(stages))
    gazetteer = None
    deadline = limits.Deadline(limits.current())
    for i, stage in enumerate(stages):
        tick(i + 1)
        if i % 500 == 0:
            try:
                deadline.check()
            except limits.LimitExceeded as exc:
                raise InputError(Path(out.path).name, stage.line, None, str(exc)) from None
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
            if ukrainian and admin1 != ukrainian and country in ("UKR", "RUS", "BLR", "") and \
                    within_km_of_unit(ukrainian, points.lat[i], points.lon[i], BORDER_KM):
                # The source names its oblast and the point is a few km from that oblast's
                # edge: polygons are not surveyed borders, the source's own unit wins.
                out.note("oblast_stated_kept_near_border")
                admin1, country = ukrainian, "UKR"
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


def finish(out: Collector) -> ImportResult:
    """The collector's result with in-file duplicate links (see :mod:`.dedupe`) added."""

    result = out.result()
    links = find_in_file_duplicates(result.events)
    if links:
        result.links.extend(links)
        result.notes["linked_in_file_as_same_incident"] = len(links)
    return result
