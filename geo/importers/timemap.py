"""TimeMap JSON exports, e.g. Bellingcat's "Civilian Harm in Ukraine" (ukraine.bellingcat.com).

The export is an array of events (or ``{"events": [...]}``), each like::

    {"id": "CIV0004", "date": "02/24/2022", "latitude": "47.775537", "longitude": "37.239601",
     "location": "Vuhledar", "description": "… Tochka ballistic missile …",
     "sources": [{"id": "src_…", "path": "https://…", "description": "…"}],
     "filters": [{"key": "Type of area affected", "value": "Healthcare"},
                 {"key": "Weapon System", "value": "Cluster munitions"}]}

Rules, decided once:

* Row numbers are event numbers (1 = first event). **event_id** = ``timemap:<id>``
  (``source_id`` = ``id``); ``source_dataset`` = ``bellingcat-civilian-harm``;
  **verification** = ``verified`` (events are published after Bellingcat's geolocation).
* **Dates**: the export writes ``MM/DD/YYYY``; ISO dates (and ranges, and a separate
  ``time`` field) are read too. The day/month order is decided from the whole file; when no
  date proves it, month-first (the export's documented form) is used and reported.
* **Coordinates** are strings; checked like every other source. Without them the
  ``location`` text is geocoded offline (precision ``settlement``); with them precision is
  ``exact`` (Bellingcat geolocates each incident).
* **Weapon**: the "Weapon System" filter is a category (``Cruise missile``, ``Cluster
  munitions``, ``Unknown``) → ``weapon_class`` (lower case; ``Unknown`` → empty). A model is
  inferred from the description and the Weapon System text through the catalogue
  (``origin_basis`` ``inferred``/``ambiguous``), e.g. "Tochka" → Tochka-U, RUS.
* **event_type** = ``impact`` (civilian harm from a weapon), except small arms and
  vehicle-borne weapons (→ ``other``: shooting, not a strike).
* **sources**: the http(s) ``path`` of each source (``HIDDEN`` and other non-links dropped,
  counted); other filters (area type…) are appended to the description.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from geo.importers._common import (
    Collector,
    DateReader,
    ImportResult,
    InputError,
    ReadOptions,
    Stage,
    clean_cell,
    decode_any,
    finish,
    parse_lat_lon,
    place_and_accept,
    urls_in,
    weapon_fields,
)
from geo.schema import RowError

if TYPE_CHECKING:
    from geo.importers import Head

SOURCE_DATASET = "bellingcat-civilian-harm"
WEAPON_KEY = "weapon system"
NOT_STRIKES = ("small arms", "vehicle mounted weapon", "vehicle-mounted weapon", "firearm")


def sniff(head: Head) -> bool:
    data = head.data
    return head.looks_like_json and b'"FeatureCollection"' not in data and \
        b'"latitude"' in data and b'"date"' in data and (
            b'"filters"' in data or b'"sources"' in data)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return ""
    text, _ = clean_cell(str(value))
    return text.strip()


def _events(doc: object, name: str) -> list:
    if isinstance(doc, dict) and isinstance(doc.get("events"), list):
        return doc["events"]
    if isinstance(doc, list):
        return doc
    raise InputError(name, None, None, "not a TimeMap export (expected an array of events or "
                     "an object with an 'events' array)")


def read(path: Path, name: str, options: ReadOptions | None = None) -> ImportResult:
    options = options or ReadOptions()
    text, encoding = decode_any(path.read_bytes(), name)
    try:
        doc = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        raise InputError(name, exc.lineno, None, f"not valid JSON: {exc.msg} "
                         f"(column {exc.colno})") from None
    except RecursionError:
        raise InputError(name, None, None, "JSON nested too deeply") from None
    events = _events(doc, name)
    if options.max_rows is not None and len(events) > options.max_rows:
        raise InputError(name, options.max_rows + 1, None, f"more than {options.max_rows:,} "
                         "events (the limit); split the file or use the command line")
    out = Collector("timemap", str(path))
    out.info["encoding"] = encoding
    dates = DateReader((_text(e.get("date")) for e in events if isinstance(e, dict)),
                       default="mdy", order=options.date_order)
    if dates.describe():
        out.info["dates"] = dates.describe()
    stages: list[Stage] = []
    for number, event in enumerate(events, start=1):
        out.rows_read += 1
        if not isinstance(event, dict):
            out.reject(number, "event", "not a JSON object")
            continue
        stage = _stage(number, event, dates, out)
        if stage is not None:
            stages.append(stage)
    place_and_accept(out, stages, options.progress, len(stages))
    return finish(out)


def _stage(number: int, event: dict, dates: DateReader, out: Collector) -> Stage | None:
    key = _text(event.get("id"))
    if not key:
        out.reject(number, "id", "missing")
        return None
    when = _text(event.get("date"))
    if _text(event.get("time")):
        when = f"{when} {_text(event.get('time'))}"
    try:
        parsed = dates.parse(when)
    except ValueError as exc:
        out.reject(number, "date", str(exc))
        return None
    for note in parsed.notes:
        out.note(note)
    try:
        lat, lon = parse_lat_lon(_text(event.get("latitude")), _text(event.get("longitude")))
    except RowError as exc:
        out.reject(number, exc.field, exc.reason)
        return None
    filters = [f for f in event.get("filters") or [] if isinstance(f, dict)]
    # The published feed (api.json) flattens the filters into array fields instead.
    for flat, label in (("weapon_system", WEAPON_KEY), ("impact", "type of area affected")):
        values = event.get(flat)
        for value in values if isinstance(values, list) else [values]:
            if _text(value):
                filters.append({"key": label, "value": _text(value)})
    system = next((_text(f.get("value")) for f in filters
                   if _text(f.get("key")).casefold() == WEAPON_KEY), "")
    others = [f"{_text(f.get('key'))}: {_text(f.get('value'))}" for f in filters
              if _text(f.get("key")).casefold() != WEAPON_KEY and _text(f.get("value"))]
    description = _text(event.get("description"))
    weapon, note = weapon_fields(description, "" if system.casefold() == "unknown" else system)
    if not weapon["weapon_class"] and system and system.casefold() != "unknown":
        weapon["weapon_class"] = system.casefold()
    out.note(note)
    kind = "other" if system.casefold().startswith(NOT_STRIKES) else "impact"
    paths = [_text(s.get("path")) if isinstance(s, dict) else _text(s)
             for s in event.get("sources") or [] if isinstance(s, dict | str)]
    links = urls_in(*paths)
    if len(links) < len([p for p in paths if p]):
        out.note("source_paths_not_links")
    if others or system:
        description += " [" + "; ".join(([f"Weapon System: {system}"] if system else [])
                                        + others) + "]"
    fields = parsed.fields()
    raw = {"event_id": f"timemap:{key}", **fields, "event_type": kind,
           "location": _text(event.get("location")), "description": description.strip(),
           "sources": " ".join(links), "source_dataset": SOURCE_DATASET, "source_id": key,
           "verification": "verified", **weapon}
    return Stage(number, raw, lat, lon, "exact", place=_text(event.get("location")))
