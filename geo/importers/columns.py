"""Finding columns: which column of a table holds which canonical field.

Each field is scored against every column by its header (after
:func:`~geo.importers.text.header_key`; names in English, Italian, Spanish, French, German,
Polish, Ukrainian and Russian: ``data``, ``tipo``, ``titolo``, ``luogo``, ``дата``, ``місце``…)
and by its values (≥ 80 % dates; numbers within ±90 that centre on Ukraine's latitudes;
``"lat, lon"`` pairs; http links; catalogue weapon names; oblast names). The best column per
field wins, in a fixed field order, and each column serves one field. Also the value
vocabularies for event types, precisions and verification states.
"""

from __future__ import annotations

import hashlib
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from geo.catalogue import load_catalogue
from geo.importers._common import (
    DateReader,
    header_key,
    parse_coordinate,
    parse_point,
    urls_in,
)
from geo.oblasts import oblast_for_name
from geo.schema import RowError

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
SAMPLE = 200
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
        catalogue = load_catalogue()
        share = _share(values, lambda v: catalogue.resolve(v) or catalogue.infer(v))
        return (share, f"{share:.0%} known weapons") if share >= 0.3 else (0.0, "")
    if field == "admin1":
        share = _share(values, lambda v: re.fullmatch(r"UA-\d\d", v.upper()) or (
            _UNIT_WORD.search(v) and oblast_for_name(v)))
        return (share, f"{share:.0%} oblast names") if share >= 0.6 else (0.0, "")
    if field == "description":
        length = statistics.mean(len(v) for v in values)
        return (0.5, f"free text (avg {length:.0f} chars)") if length >= 40 else (0.0, "")
    if field == "location":
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
    samples = {i: _non_empty([r[i] if i < len(r) else "" for r in rows[:SAMPLE]])
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
