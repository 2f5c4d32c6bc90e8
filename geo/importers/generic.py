"""Any other CSV/TSV/XLSX: find the columns, let the user confirm them, remember the choice.

**Finding columns** (:func:`suggest_mapping`): each canonical field is scored against every
column by its header (``Date``, ``Дата``, ``lat``, ``Town/City``, ``Weapon system``… after
:func:`~geo.importers._common.header_key`) and by its values (≥ 80 % dates; numbers within
±90 that centre on Ukraine's latitudes; ``"lat, lon"`` pairs; http links; catalogue weapon
names; oblast names). The best column per field wins, in a fixed field order, and each column
serves one field. The report says which field came from which column and why.

**Confirming**: an explicit mapping (the Import page's editor, ``--map COLUMN=FIELD`` on the
command line; ``--map =FIELD`` unmaps a field) overrides, field by field, a mapping remembered
for the same header signature, which overrides the suggestion.

**Remembering** (:func:`remember_mapping`): ``var/mappings.json`` maps a header signature (hash
of the sorted header keys, so column order does not matter) to the confirmed mapping and date
order. Written atomically; nothing is kept in module state.

**Rows**: dates by :class:`~geo.importers._common.DateReader` (order decided per column,
ambiguity reported); an optional time column joins the date; coordinates from two columns or
one ``"lat, lon"`` column; without coordinates the place column is geocoded offline
(:mod:`geo.gazetteer`); weapon model and origin through the catalogue (``catalogue`` when a
weapon cell *is* a model name, ``inferred`` when found in free text, never ``reported``);
``geo_precision`` from a mapped column, else ``exact`` for coordinates with ≥ 4 decimals and
``settlement`` for coarser ones; ``event_type`` from a mapped column, else ``impact`` when the
text speaks of strikes or names a weapon (or when there is no text column at all: noted).

**Ids**: ``gen-<signature>:<id column>`` or, without an id column, derived from the header
signature and the row's date, place and title (:class:`RowIds`): stable across re-imports
(same file → same ids → the store adds nothing), and a row corrected in any other cell keeps
its id, so the corrected version replaces the old one. Identical rows are rejected as
duplicates.

**Geodata** (:func:`read_geodata`): GeoJSON, JSON, NDJSON, KML/KMZ, GeoPackage, Shapefile and
GeoParquet become a table in :mod:`.geodata` and are then read exactly as above.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import statistics
import tempfile
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from geo.importers import geodata
from geo.importers._common import (
    STRIKE_WORDS,
    DateReader,
    ImportResult,
    InputError,
    ReadOptions,
    Stage,
    Table,
    finish,
    header_key,
    parse_coordinate,
    parse_lat_lon,
    parse_point,
    place_and_accept,
    read_table,
    stable_hash,
    table_collector,
    urls_in,
    weapon_fields,
)
from geo.schema import RowError

if TYPE_CHECKING:
    from geo.importers import Head

# Mappable fields, in the order they claim columns, with a label for the mapping editor.
FIELDS: dict[str, str] = {
    "event_date": "date (or range, or date-time)",
    "coordinates": "coordinates in one column ('lat, lon')",
    "latitude": "latitude",
    "longitude": "longitude",
    "event_id": "row id",
    "time": "time of day",
    "location": "place name (geocoded when there are no coordinates)",
    "title": "title / headline (joined to the description)",
    "admin1": "oblast / region",
    "country": "country",
    "weapon_model": "weapon (model name or text)",
    "weapon_class": "weapon class",
    "event_type": "event type",
    "geo_precision": "location precision",
    "launched": "launched (count)",
    "destroyed": "destroyed (count)",
    "hits": "hits (count)",
    "fatalities": "killed (count)",
    "injured": "injured (count)",
    "actor": "actor (who fired)",
    "sources": "source links",
    "description": "description / notes",
    "verification": "verification",
}
REQUIRED = ("event_date",)

_NAMES: dict[str, tuple[str, ...]] = {
    "event_id": ("id", "event_id", "eventid", "uid", "incident_id", "record_id", "entry",
                 "ref", "reference", "case_id", "no", "number", "n"),
    "event_date": ("date", "event_date", "incident_date", "date_of_event", "day", "datetime",
                   "date_time", "when", "data", "дата", "date_utc", "event_day", "reported_date",
                   "start_date", "date_start", "fecha", "datum", "date_evenement", "giorno",
                   "data_evento", "дата_події", "дата_события", "timestamp", "begin",
                   "time_stamp", "date_of_incident", "data_zdarzenia"),
    "time": ("time", "time_of_day", "hour", "час", "время", "local_time"),
    "latitude": ("lat", "latitude", "y", "lat_dd", "lat_wgs84", "широта", "decimal_latitude",
                 "geometry_latitude", "latitudine", "latitud", "breite", "breitengrad"),
    "longitude": ("lon", "lng", "long", "longitude", "x", "lon_dd", "lng_wgs84", "довгота",
                  "долгота", "decimal_longitude", "geometry_longitude", "longitudine",
                  "longitud", "länge", "laengengrad", "längengrad"),
    "coordinates": ("coordinates", "coords", "coord", "latlon", "lat_lon", "lat_long",
                    "lat_lng", "location_coordinates", "geo", "point", "gps", "координати",
                    "координаты", "geolocation_coordinates"),
    "location": ("place", "location", "town", "city", "settlement", "village", "town_city",
                 "city_town", "locality", "place_name", "site", "address", "населений_пункт",
                 "місто", "город", "населенный_пункт", "target", "location_name", "where",
                 "luogo", "località", "localita", "posizione", "lugar", "localidad", "lieu",
                 "ort", "місце", "место", "локація", "локация", "miejsce", "miejscowość",
                 "comune", "città", "citta", "ville", "ciudad", "stadt", "name_of_place"),
    "admin1": ("oblast", "region", "province", "admin1", "state", "область", "oblast_region",
               "adm1", "admin_1", "adm_1", "regione", "provincia", "región", "région",
               "obwód", "регіон", "регион"),
    "country": ("country", "країна", "страна", "country_name", "iso3", "paese", "país",
                "pais", "pays", "land", "nazione", "kraj"),
    "weapon_model": ("weapon", "weapon_model", "weapon_system", "munition", "arms",
                     "arms_munition", "model", "weapon_type", "зброя", "оружие", "type_of_weapon",
                     "munition_type", "system", "arma", "armi", "munizione", "waffe",
                     "arme", "озброєння", "вооружение"),
    "weapon_class": ("weapon_class", "class", "weapon_category", "category_of_weapon"),
    "event_type": ("event_type", "type", "category", "incident_type", "тип", "tipo",
                   "categoria", "categoría", "catégorie", "kategorie", "typ", "тип_події",
                   "категорія", "категория", "tipo_evento"),
    "geo_precision": ("geo_precision", "precision", "location_precision", "accuracy",
                      "geo_accuracy", "geometry_precision", "precisione", "точність"),
    "launched": ("launched", "fired", "number_launched"),
    "destroyed": ("destroyed", "intercepted", "shot_down"),
    "hits": ("hits", "impacts"),
    "fatalities": ("fatalities", "killed", "deaths", "dead", "загиблі", "погибшие",
                   "civilians_killed", "deaths_best", "morti", "vittime", "muertos", "tote",
                   "загинули", "убитые"),
    "injured": ("injured", "wounded", "поранені", "раненые", "civilians_injured", "feriti",
                "heridos", "verletzte", "blessés"),
    "actor": ("actor", "perpetrator", "attacker", "side", "actor1", "responsible",
              "actor_code", "attore", "autore", "täter", "сторона", "виконавець"),
    "sources": ("source", "sources", "url", "link", "links", "source_url", "source_link",
                "джерело", "источник", "evidence", "reference_url", "fonte", "fonti",
                "fuente", "quelle", "посилання", "ссылка", "lien", "enlace", "collegamento"),
    "title": ("title", "titolo", "título", "titulo", "titre", "titel", "headline", "name",
              "назва", "название", "заголовок", "nome", "nombre", "tytuł", "event_name"),
    "description": ("description", "notes", "note", "details", "summary", "text", "comment",
                    "comments", "опис", "описание", "brief_description", "narrative",
                    "descrizione", "descripción", "descripcion", "beschreibung", "dettagli",
                    "note_evento", "commento", "примітки", "примечания"),
    "verification": ("verification", "verified", "status", "confidence", "verifica",
                     "verificato", "stato", "verificación", "перевірка", "проверка",
                     "verifizierung"),
}
_NAME_WORDS: dict[str, tuple[str, ...]] = {   # header words that suggest a field
    "event_date": ("date", "дата"), "latitude": ("lat", "latitude"),
    "longitude": ("lon", "lng", "longitude"), "location": ("place", "town", "city", "location",
                                                           "village", "settlement"),
    "admin1": ("oblast", "region", "province"), "weapon_model": ("weapon", "munition", "arms"),
    "fatalities": ("killed", "fatalit", "dead", "death"), "injured": ("injur", "wound"),
    "sources": ("source", "url", "link"), "description": ("descr", "note", "detail", "summar"),
    "title": ("title", "titol", "headline"),
}
_SAMPLE = 200
_VALUE_FIELDS = frozenset({"event_date", "latitude", "longitude", "coordinates", "sources",
                           "weapon_model", "admin1", "description", "location"})
VERIFICATION = {"verified": "verified", "reported": "reported", "unverified": "unverified",
                "verificato": "verified", "verificata": "verified", "confermato": "verified",
                "confirmed": "verified", "geolocated": "verified", "non verificato":
                "unverified", "non verificata": "unverified", "da verificare": "unverified",
                "підтверджено": "verified", "перевірено": "verified", "не перевірено":
                "unverified", "подтверждено": "verified", "не проверено": "unverified",
                "verificado": "verified", "no verificado": "unverified",
                "verifiziert": "verified", "vérifié": "verified", "true": "verified",
                "yes": "verified", "false": "unverified", "no": "unverified"}
_UNIT_WORD = re.compile(r"(?:\b|_)(?:oblast|obl|oblasti|region|province|область|области|"
                        r"області|обл)\b|^UA-\d\d$", re.IGNORECASE)
SIGNATURE_LENGTH = 8
EVENT_TYPES = {"impact": "impact", "strike": "impact", "hit": "impact", "explosion": "impact",
               "shelling": "impact", "airstrike": "impact", "air strike": "impact",
               "interception": "interception", "intercepted": "interception",
               "shot down": "interception", "shootdown": "interception", "debris": "debris",
               "fragments": "debris", "attack": "attack", "transfer": "transfer",
               "other": "other"}
PRECISIONS = {"exact": "exact", "precise": "exact", "point": "exact", "1": "exact",
              "settlement": "settlement", "town": "settlement", "city": "settlement",
              "village": "settlement", "district": "district", "raion": "district",
              "oblast": "oblast", "region": "region", "admin1": "oblast", "country": "country",
              "unknown": "unknown", "approximate": "settlement"}


def default_mappings_file() -> Path:
    from geo.settings import ROOT

    return ROOT / "var" / "mappings.json"


def signature(header: Sequence[str]) -> str:
    """A header's identity for remembering mappings: order-free, spelling-tolerant."""
    keys = sorted({header_key(h) for h in header if str(h).strip()})
    return hashlib.sha256("\x1f".join(keys).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Suggestion:
    mapping: dict[str, str]        # field → column header
    why: dict[str, str]            # field → "by name" / "by values (93% dates)"


# ---- value tests ---------------------------------------------------------------------------

def _non_empty(values: Sequence[str]) -> list[str]:
    return [v.strip() for v in values if v and v.strip()]


def _share(values: list[str], test) -> float:
    if not values:
        return 0.0
    good = 0
    for value in values:
        try:
            good += bool(test(value))
        except (ValueError, RowError):
            pass
    return good / len(values)


def _numbers(values: list[str]) -> list[float]:
    out = []
    for value in values:
        try:
            number = parse_coordinate(value)
        except ValueError:
            continue
        if number is not None:
            out.append(number)
    return out


def _plausible_pair(text: str) -> bool:
    """A 'lat, lon' cell with both parts in range and decimals (not "50,45" or "3, 4")."""
    lat, lon = parse_point(text)
    return lat is not None and lon is not None and abs(lat) <= 90 and abs(lon) <= 180 and (
        not lat.is_integer() or not lon.is_integer())


def _contradicts(field: str, values: list[str]) -> bool:
    """True when most values cannot be this field at all (a "date" column of words)."""
    if not values:
        return False
    if field == "event_date":
        return _share(values, DateReader(values).parse) < 0.4
    if field in ("latitude", "longitude"):
        limit = 90 if field == "latitude" else 180
        return _share(values, lambda v: abs(parse_coordinate(v) or 999) <= limit) < 0.5
    if field == "coordinates":
        return _share(values, lambda v: None not in parse_point(v)) < 0.5
    return False


def _value_score(field: str, values: list[str]) -> tuple[float, str]:
    """(score 0–1, explanation) of how well a column's values fit a field."""
    if not values:
        return 0.0, ""
    if field == "event_date":
        if all(re.fullmatch(r"\d{1,5}", v) for v in values):
            return 0.0, ""
        reader = DateReader(values)
        share = _share(values, reader.parse)
        return (share, f"{share:.0%} dates") if share >= 0.8 else (0.0, "")
    if field in ("latitude", "longitude"):
        numbers = _numbers(values)
        if len(numbers) < 0.9 * len(values) or all(n.is_integer() for n in numbers):
            return 0.0, ""
        centre = statistics.median(numbers)
        low, high = (43.0, 53.5) if field == "latitude" else (21.0, 41.0)
        if low <= centre <= high:
            return 0.9, f"numbers around {centre:.1f}"
        return 0.0, ""
    if field == "coordinates":
        share = _share(values, _plausible_pair)
        return (share, f"{share:.0%} 'lat, lon' pairs") if share >= 0.8 else (0.0, "")
    if field == "sources":
        share = _share(values, urls_in)
        return (share, f"{share:.0%} links") if share >= 0.5 else (0.0, "")
    if field == "weapon_model":
        from geo.catalogue import load_catalogue

        catalogue = load_catalogue()
        share = _share(values, lambda v: catalogue.resolve(v) or catalogue.infer(v))
        return (share, f"{share:.0%} known weapons") if share >= 0.3 else (0.0, "")
    if field == "admin1":
        from geo.oblasts import oblast_for_name

        share = _share(values, lambda v: re.fullmatch(r"UA-\d\d", v.upper()) or (
            _UNIT_WORD.search(v) and oblast_for_name(v)))
        return (share, f"{share:.0%} oblast names") if share >= 0.6 else (0.0, "")
    if field == "description":
        length = statistics.mean(len(v) for v in values)
        return (0.5, f"free text (avg {length:.0f} chars)") if length >= 40 else (0.0, "")
    if field == "location":
        from geo.oblasts import oblast_for_name

        known = _share(values, lambda v: not _UNIT_WORD.search(v) and oblast_for_name(v))
        if known >= 0.6:
            return 0.6, f"{known:.0%} known town names"
        words = _share(values, lambda v: re.search(r"[^\W\d_]{3}", v) and not urls_in(v)
                       and len(v) <= 80)
        return (0.3, "short place-like text") if words >= 0.9 else (0.0, "")
    return 0.0, ""


def _name_score(field: str, key: str) -> float:
    if key in _NAMES.get(field, ()):
        return 1.0
    parts = key.split("_")
    if any(any(p.startswith(w) for p in parts) for w in _NAME_WORDS.get(field, ())):
        return 0.6
    return 0.0


def suggest_mapping(header: Sequence[str], rows: Sequence[Sequence[str]]) -> Suggestion:
    """Guess which column holds which field from header names and the first rows' values."""
    columns = [(i, str(h)) for i, h in enumerate(header) if str(h).strip()]
    samples = {i: _non_empty([r[i] if i < len(r) else "" for r in rows[:_SAMPLE]])
               for i, _ in columns}
    candidates = []
    for rank, field in enumerate(FIELDS):
        for i, head in columns:
            name = _name_score(field, header_key(head))
            value, reason = (_value_score(field, samples[i]) if field in _VALUE_FIELDS
                             else (0.0, ""))
            if name and not value and _contradicts(field, samples[i]):
                name = name / 3          # the name says date, the values say otherwise
            score = name + value
            if score >= 0.6:
                explanation = " and ".join(p for p in (
                    "by name" if name >= 0.6 else "",
                    f"by values ({reason})" if value else "") if p)
                candidates.append((-score, rank, i, field, explanation))
    # Best pairs first: a column named "lat" goes to latitude even though its values would
    # also pass as something else; ties go to the earlier field, then the earlier column.
    used: set[int] = set()
    mapping: dict[str, str] = {}
    why: dict[str, str] = {}
    for _, _, i, field, explanation in sorted(candidates):
        if i in used or field in mapping:
            continue
        used.add(i)
        mapping[field] = header[i]
        why[field] = explanation
    mapping = {f: mapping[f] for f in FIELDS if f in mapping}
    if "coordinates" in mapping and "latitude" in mapping and "longitude" in mapping:
        mapping.pop("coordinates")
        why.pop("coordinates")
    return Suggestion(mapping, why)


# ---- remembering ---------------------------------------------------------------------------

def _load(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"version": 1, "mappings": {}}
    if not isinstance(doc, dict) or not isinstance(doc.get("mappings"), dict):
        return {"version": 1, "mappings": {}}
    return doc


def recall_mapping(header: Sequence[str], path: Path | None = None) -> dict | None:
    """The remembered ``{"mapping": {...}, "date_order": ...}`` for this header, or None."""
    entry = _load(path or default_mappings_file())["mappings"].get(signature(header))
    if not isinstance(entry, dict) or not isinstance(entry.get("mapping"), dict):
        return None
    known = {str(h) for h in header}
    mapping = {f: c for f, c in entry["mapping"].items()
               if f in FIELDS and isinstance(c, str) and (c in known or c == "")}
    order = entry.get("date_order") if entry.get("date_order") in ("dmy", "mdy", "ymd") else None
    return {"mapping": mapping, "date_order": order}


def remember_mapping(header: Sequence[str], mapping: Mapping[str, str],
                     date_order: str | None = None, path: Path | None = None) -> Path:
    """Save the confirmed mapping for this header signature (atomic replace)."""
    path = path or default_mappings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = _load(path)
    doc["mappings"][signature(header)] = {
        "header": [str(h) for h in header],
        "mapping": {f: c for f, c in mapping.items() if f in FIELDS},
        "date_order": date_order,
        "saved_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }
    handle, tmp = tempfile.mkstemp(prefix=".mappings-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(doc, out, ensure_ascii=False, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def parse_map_args(pairs: Sequence[str]) -> dict[str, str]:
    """``["Date=event_date", "=weapon_model"]`` (command line) → field → column."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise ValueError(f"--map {pair!r}: expected COLUMN=FIELD")
        column, field = pair.rsplit("=", 1)
        field = field.strip()
        if field not in FIELDS:
            raise ValueError(f"--map {pair!r}: unknown field {field!r}; one of "
                             f"{', '.join(FIELDS)}")
        mapping[field] = column.strip()
    return mapping


def resolve_mapping(header: Sequence[str], rows: Sequence[Sequence[str]],
                    given: Mapping[str, str] | None = None,
                    remembered: Mapping[str, str] | None = None
                    ) -> tuple[dict[str, str], dict[str, str]]:
    """The mapping to use (field → column) and, per field, where it came from."""
    suggestion = suggest_mapping(header, rows)
    mapping = dict(suggestion.mapping)
    why = {f: f"suggested {w}".strip() for f, w in suggestion.why.items()}
    by_key = {header_key(h): str(h) for h in header}
    for layer, label in ((remembered or {}, "remembered"), (given or {}, "given")):
        for field, column in layer.items():
            if field not in FIELDS:
                raise ValueError(f"unknown field {field!r}")
            if column == "":
                mapping.pop(field, None)
                why[field] = f"unmapped ({label})"
                continue
            actual = column if column in header else by_key.get(header_key(column))
            if actual is None:
                raise ValueError(f"no column {column!r} for {field}; the columns are "
                                 f"{', '.join(map(str, header))[:200]}")
            for other, col in list(mapping.items()):
                if col == actual and other != field:
                    del mapping[other]
                    why[other] = f"unmapped (column given to {field})"
            mapping[field] = actual
            why[field] = label
    if "latitude" in mapping and "longitude" in mapping:
        mapping.pop("coordinates", None)
    return mapping, {f: why.get(f, "") for f in mapping} | {
        f: w for f, w in why.items() if w.startswith("unmapped")}


# ---- sniffing and reading ------------------------------------------------------------------

def sniff(head: Head) -> bool:
    """A table with a date column and something else to go on (place, coordinates, text)."""
    if head.looks_like_json or len(head.header) < 2 or not head.rows:
        return False
    suggestion = suggest_mapping(head.header, head.rows)
    if "event_date" not in suggestion.mapping:
        return False
    rest = set(suggestion.mapping) - {"event_date", "event_id", "time"}
    return bool(rest)


def _count(text: str) -> str:
    value = text.strip().replace("\u00a0", "").replace(" ", "")
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", value):
        value = value.replace(",", "")
    return value


def _dataset(name: str) -> str:
    stem = Path(name).stem.casefold()
    slug = re.sub(r"[^a-z0-9]+", "-", stem).strip("-")[:40]
    return slug or "generic"


def read(path: Path, name: str, options: ReadOptions | None = None) -> ImportResult:
    """A CSV/TSV/XLSX table of events."""
    options = options or ReadOptions()
    return read_rows(read_table(path, name, options), path, name, options, "generic")


def read_geodata(path: Path, name: str, options: ReadOptions | None = None) -> ImportResult:
    """Any geodata container (:mod:`.geodata`), through the same mapping as a table."""
    options = options or ReadOptions()
    with open(path, "rb") as handle:
        head = handle.read(65536)
    members: tuple[str, ...] = ()
    if head[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(path) as archive:
                members = tuple(archive.namelist()[:1000])
        except zipfile.BadZipFile:
            raise InputError(name, None, None, "a broken ZIP container") from None
    kind = geodata.container(head, members)
    if not kind:
        raise InputError(name, None, None, "not a geodata file (GeoJSON, JSON, NDJSON, KML/KMZ, "
                         "GeoPackage, zipped Shapefile or GeoParquet)")
    table = geodata.read_container(path, name, options, kind)
    return read_rows(table, path, name, options, "geodata")


def read_rows(table: Table, path: Path, name: str, options: ReadOptions,
              fmt: str) -> ImportResult:
    """Map a table's columns (suggested, remembered or given) and read its rows."""
    if len(table.header) < 2:
        raise InputError(name, 1, "header", "only one column: not a table of events (check the "
                         "delimiter)")
    sample = [cells for _, cells in table.rows[:_SAMPLE]]
    memory = recall_mapping(table.header, options.mappings_file)
    try:
        mapping, why = resolve_mapping(table.header, sample, options.mapping,
                                       memory["mapping"] if memory else None)
    except ValueError as exc:
        raise InputError(name, 1, "header", f"mapping: {exc}") from None
    missing = [f for f in REQUIRED if f not in mapping]
    if missing:
        raise InputError(name, 1, "header", "no date column found; map one (e.g. --map "
                         "'Date=event_date'); the columns are "
                         f"{', '.join(map(str, table.header))[:200]}")
    out = table_collector(fmt, path, table)
    sig = signature(table.header)
    out.info["mapping"] = "; ".join(f"{f} ← {mapping[f]!r}" + (f" ({why[f]})" if why.get(f)
                                                                else "") for f in mapping)
    unmapped = sorted(f for f, w in why.items() if w.startswith("unmapped"))
    if unmapped:
        out.info["unmapped"] = ", ".join(unmapped)
    out.info["header_signature"] = sig
    order = options.date_order or (memory or {}).get("date_order")
    pos = {f: table.header.index(c) for f, c in mapping.items()}
    dates = DateReader((cells[pos["event_date"]] for _, cells in table.rows),
                       default="dmy", order=order, column=mapping["event_date"])
    if dates.describe():
        out.info["dates"] = f"column {mapping['event_date']!r}: {dates.describe()}"
    if dates.ambiguous:
        out.note("date_order_ambiguous_assumed_" + dates.order)
    dataset = _dataset(name)
    text_fields = {"description", "title", "weapon_model", "event_type"} & set(mapping)
    ids = RowIds(sig)
    out.info["ids"] = ("from column " + repr(mapping["event_id"]) if "event_id" in mapping
                       else "derived: " + ids.rule)
    stages = [stage for line, cells in table.rows if (stage := _row(
        out, line, cells, pos, mapping, dates, ids, dataset, bool(text_fields))) is not None]
    place_and_accept(out, stages, options.progress, len(table.rows))
    result = finish(out)
    result.columns, result.mapping = list(table.header), dict(mapping)
    return result


def _key_text(text: str) -> str:
    """Text as an id key: NFKC, casefold, single spaces (spelling-preserving otherwise)."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


class RowIds:
    """Stable ids for rows without an id column (see the README, "Stable ids").

    ``gen-<header signature>:<hash of date, place, title>``: the date as read (ISO), the place
    (the place-name cell, else the coordinates rounded to 3 decimals ≈ 100 m, else the oblast
    cell) and the title (else the description's first 200 characters). The row's position and
    every other cell (counts, links, verification, weapon, type, the description when there is
    a title) are not part of the id, so re-importing the file adds nothing and a row whose
    other cells were corrected replaces its old version in the store. Two different rows with
    the same key in one file are told apart by their order among those rows (``~2``, ``~3``);
    an exact repeat of a row keeps the same id and is rejected as a duplicate.
    """

    rule = ("hash of (header signature, date, place or rounded coordinates, title); "
            "corrections of other cells keep the id")

    def __init__(self, sig: str):
        self.sig = sig[:SIGNATURE_LENGTH]
        self._seen: dict[str, list[str]] = {}

    def make(self, date: str, place: str, title: str, content: Sequence[str]) -> str:
        base = stable_hash(self.sig, date, place, title, length=12)
        whole = stable_hash(*content, length=16)
        versions = self._seen.setdefault(base, [])
        if whole in versions:
            index = versions.index(whole)
        else:
            versions.append(whole)
            index = len(versions) - 1
        return f"gen-{self.sig}:{base}" + (f"~{index + 1}" if index else "")


def _place_key(cell, lat: float | None, lon: float | None) -> str:
    if cell("location"):
        return _key_text(cell("location"))
    if lat is not None and lon is not None:
        return f"{round(lat, 3):.3f},{round(lon, 3):.3f}"
    return _key_text(cell("admin1"))


def _row(out, line: int, cells: list[str], pos: dict[str, int], mapping: dict[str, str],
         dates: DateReader, ids: RowIds, dataset: str, has_text: bool) -> Stage | None:
    out.rows_read += 1

    def cell(field: str) -> str:
        i = pos.get(field)
        return cells[i].strip() if i is not None else ""

    when = cell("event_date")
    if cell("time"):
        when = f"{when} {cell('time')}"
    try:
        parsed = dates.parse(when)
    except ValueError as exc:
        out.reject(line, "event_date", f"{exc} (column {mapping['event_date']!r})")
        return None
    for note in parsed.notes:
        out.note(note)
    try:
        if "coordinates" in pos:
            lat, lon = parse_point(cell("coordinates"))
        else:
            lat, lon = parse_lat_lon(cell("latitude"), cell("longitude"))
    except RowError as exc:
        out.reject(line, exc.field, exc.reason)
        return None
    except ValueError as exc:
        out.reject(line, "coordinates", str(exc))
        return None
    key = cell("event_id")
    title = cell("title")
    description = cell("description")
    if key:
        event_id = f"gen-{ids.sig}:{key}"
    else:
        fields = parsed.fields()
        event_id = ids.make(fields["time_start"] or fields["event_date"],
                            _place_key(cell, lat, lon),
                            _key_text(title or description[:200]), cells)
    if title and title.casefold() not in description.casefold():
        description = f"{title} — {description}" if description else title
    weapon_text = cell("weapon_model")
    weapon, note = weapon_fields(description, weapon_text)
    out.note(note)
    if note == "weapon_model_unresolved" and len(weapon_text) <= 60:
        out.unresolved[f"weapon: {weapon_text}"] += 1
    if cell("weapon_class") and not weapon["weapon_class"]:
        weapon["weapon_class"] = cell("weapon_class")
    raw_type = cell("event_type").casefold()
    if raw_type:
        kind = EVENT_TYPES.get(raw_type) or next(
            (v for k, v in EVENT_TYPES.items() if k in raw_type), "other")
    elif has_text:
        kind = "impact" if (STRIKE_WORDS.search(" ".join((description, weapon_text)))
                            or weapon["weapon_model"]) else "other"
    else:
        kind = "impact"
        out.note("event_type_assumed_impact")
    sources = cell("sources")
    links = urls_in(sources)
    leftover = sources
    for link in links:
        leftover = leftover.replace(link, " ")
    leftover = " ".join(leftover.replace(";", " ").split())
    if leftover:
        description = f"{description} (sources: {leftover})".strip()
    if weapon_text and not weapon["weapon_model"] and weapon_text.casefold() not in \
            description.casefold():
        description = f"{description} (weapon: {weapon_text})".strip()
    precision = PRECISIONS.get(cell("geo_precision").casefold(), "")
    if not precision:
        precision = _precision_from_decimals(cell, "coordinates" in pos)
        if lat is not None:
            out.note(f"geo_precision_{precision}_from_decimals")
    admin1_text = cell("admin1")
    admin1_code = _admin1(admin1_text)
    verification = VERIFICATION.get(cell("verification").casefold(), "unverified")
    if cell("verification") and cell("verification").casefold() not in VERIFICATION:
        out.note("verification_unknown_value_read_as_unverified")
    raw = {"event_id": event_id, **parsed.fields(), "event_type": kind,
           "location": cell("location"), "description": description, "actor": cell("actor"),
           "sources": " ".join(links), "source_dataset": dataset, "source_id": key,
           "verification": verification, **weapon}
    for field in ("launched", "destroyed", "hits", "fatalities", "injured"):
        raw[field] = _count(cell(field))
    return Stage(line, raw, lat, lon, precision, place=cell("location"),
                 oblast_name=admin1_text, oblast_code=admin1_code,
                 country=cell("country"))


def _admin1(text: str) -> str | None:
    from geo.oblasts import oblast_for_name

    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"[A-Za-z]{2}-[0-9A-Za-z]{1,3}", text):
        return text.upper()
    return oblast_for_name(text)


def _precision_from_decimals(cell, single: bool) -> str:
    """``exact`` when both coordinates carry ≥ 4 decimals (≈ 10 m), else ``settlement``."""
    text = cell("coordinates") if single else f"{cell('latitude')} ; {cell('longitude')}"
    decimals = [len(m) for m in re.findall(r"\d[.,](\d+)", text)]
    return "exact" if len(decimals) >= 2 and min(decimals) >= 4 else "settlement"
