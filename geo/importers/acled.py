"""ACLED export CSV (the columns of the ACLED codebook: ``event_id_cnty, event_date, year,
time_precision, disorder_type, event_type, sub_event_type, actor1, …, latitude, longitude,
geo_precision, source, source_scale, notes, fatalities, tags, timestamp``).

Rules, decided once:

* **event_id** = ``acled:<event_id_cnty>``; ``source_id`` = ``event_id_cnty``;
  ``source_dataset`` = ``acled``; **verification** = ``reported`` (ACLED codes media reports).
* **event_type**: ``Explosions/Remote violence`` (sub-types *Shelling/artillery/missile
  attack*, *Air/drone strike*, *Remote explosive/landmine/IED*, *Grenade*, *Suicide bomb*,
  *Chemical weapon*) → ``impact``; *Strategic developments / Disrupted weapons use* (ACLED's
  code for intercepted missiles and drones) → ``interception``; everything else (battles,
  protests, riots, violence against civilians, other strategic developments) → ``other``.
* **Dates**: ``event_date`` as ``2024-01-15`` or ``15 January 2024``. ``time_precision``
  1/2/3 = ``day``/``week``/``month``. ACLED puts a week-precise event in the middle of its
  week and a month-precise one in the middle of its month: we keep ACLED's date as
  ``event_date`` and write the window (±3 days; the calendar month) to ``time_start``/
  ``time_end``.
* **geo_precision** 1/2/3 → ``settlement`` (ACLED 1: the coordinates of the town itself) /
  ``district`` (2: a nearby town or part of a region) / ``oblast`` (3: the centroid of a larger
  region: kept, but drawn as the oblast, never as a dot).
* **Place**: the point wins. Oblast and country come from point-in-polygon; ACLED's ``admin1``
  is compared (counted in the notes). ACLED spells Kyiv oblast ``Kyiv`` and the city
  ``Kyiv City``, so bare ``Kyiv`` here means UA-32. Points outside Ukraine are kept (a strike
  on Belgorod is RUS, ``admin1`` RU-BEL where the region is known). ``country`` (a name) is
  used only where the point is outside the known country polygons.
* **Weapon**: for impacts and interceptions only, catalogue weapons *mentioned* in ``notes``
  (``origin_basis`` ``inferred``, ``ambiguous`` if the weapon is).
* **actor** = ``actor1``; **fatalities** as given; **description** = sub-event type and
  ``notes`` (HTML or template syntax stays text); ACLED's ``source`` names outlets, not URLs,
  so it is appended to the description and ``sources`` holds only http(s) links found in it.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from geo.importers._common import (
    DateReader,
    ImportResult,
    InputError,
    ReadOptions,
    Stage,
    finish,
    header_key,
    parse_lat_lon,
    place_and_accept,
    read_table,
    table_collector,
    urls_in,
    weapon_fields,
)
from geo.importers.airforce import RUSSIAN_REGIONS
from geo.oblasts import oblast_for_name
from geo.schema import RowError

if TYPE_CHECKING:
    from geo.importers import Head

SOURCE_DATASET = "acled"
REQUIRED = ("event_id_cnty", "event_date", "event_type", "sub_event_type", "latitude",
            "longitude", "geo_precision")
IMPACT_SUBTYPES = frozenset({"shelling/artillery/missile attack", "air/drone strike",
                             "remote explosive/landmine/ied", "grenade", "suicide bomb",
                             "chemical weapon"})
INTERCEPTION_SUBTYPES = frozenset({"disrupted weapons use"})
TIME_PRECISION = {"1": "day", "2": "week", "3": "month"}
GEO_PRECISION = {"1": "settlement", "2": "district", "3": "oblast"}
# ACLED's own admin1 spellings that the oblast table reads differently.
ADMIN1_OVERRIDES = {"kyiv": "UA-32", "kyiv city": "UA-30", "kiev": "UA-32", "kiev city": "UA-30"}


def sniff(head: Head) -> bool:
    keys = {header_key(h) for h in head.header}
    return not head.looks_like_json and set(REQUIRED) <= keys


def event_type(main: str, sub: str) -> str:
    sub = sub.strip().casefold()
    if sub in IMPACT_SUBTYPES or main.strip().casefold() == "explosions/remote violence":
        return "impact"
    if sub in INTERCEPTION_SUBTYPES:
        return "interception"
    return "other"


def admin1_code(name: str, country: str) -> str | None:
    """ISO 3166-2 for ACLED's admin1 (Ukrainian oblasts; Russian border regions)."""
    low = " ".join(name.split()).casefold()
    if not low:
        return None
    if country.casefold() in ("", "ukraine"):
        return ADMIN1_OVERRIDES.get(low) or oblast_for_name(name)
    first = low.split()[0]
    return RUSSIAN_REGIONS.get(first) if country.casefold() == "russia" else None


def _window(day: date, precision: str) -> tuple[str, str]:
    if precision == "week":
        return (day - timedelta(days=3)).isoformat(), (day + timedelta(days=3)).isoformat()
    if precision == "month":
        first = day.replace(day=1)
        nxt = (first + timedelta(days=32)).replace(day=1)
        return first.isoformat(), (nxt - timedelta(days=1)).isoformat()
    return "", ""


def read(path: Path, name: str, options: ReadOptions | None = None) -> ImportResult:
    options = options or ReadOptions()
    table = read_table(path, name, options)
    missing = [c for c in REQUIRED if table.index(c) is None]
    if missing:
        raise InputError(name, 1, "header", f"not an ACLED export: missing {', '.join(missing)}")
    out = table_collector("acled", path, table)
    pos = {key: table.index(key) for key in (
        "event_id_cnty", "event_date", "time_precision", "event_type", "sub_event_type",
        "actor1", "country", "admin1", "admin2", "location", "latitude", "longitude",
        "geo_precision", "source", "notes", "fatalities", "civilian_targeting")}

    def cell(cells: list[str], key: str) -> str:
        i = pos[key]
        return cells[i].strip() if i is not None else ""

    dates = DateReader((cells[pos["event_date"]] for _, cells in table.rows),
                       default="dmy", order=options.date_order)
    if dates.describe():
        out.info["dates"] = dates.describe()
    stages: list[Stage] = []
    for line, cells in table.rows:
        out.rows_read += 1
        key = cell(cells, "event_id_cnty")
        if not key:
            out.reject(line, "event_id_cnty", "missing")
            continue
        try:
            parsed = dates.parse(cell(cells, "event_date"))
        except ValueError as exc:
            out.reject(line, "event_date", str(exc))
            continue
        code = cell(cells, "time_precision")
        precision = TIME_PRECISION.get(code)
        if precision is None:
            out.note("time_precision_code_unknown" if code else "time_precision_missing")
            precision = parsed.precision
        start, end = _window(parsed.start, precision)
        try:
            lat, lon = parse_lat_lon(cell(cells, "latitude"), cell(cells, "longitude"))
        except RowError as exc:
            out.reject(line, exc.field, exc.reason)
            continue
        geo_code = cell(cells, "geo_precision")
        point_precision = GEO_PRECISION.get(geo_code, "district")
        if geo_code not in GEO_PRECISION:
            out.note("geo_precision_code_unknown")
        main, sub = cell(cells, "event_type"), cell(cells, "sub_event_type")
        kind = event_type(main, sub)
        notes, source = cell(cells, "notes"), cell(cells, "source")
        weapon = {}
        if kind in ("impact", "interception"):
            weapon, note = weapon_fields(notes)
            out.note(note)
        description = f"{sub or main}: {notes}" if notes else (sub or main)
        if cell(cells, "civilian_targeting"):
            description += " [civilian targeting]"
        if source:
            description += f" (sources: {source})"
        country_name = cell(cells, "country")
        admin1_name = cell(cells, "admin1")
        raw = {
            "event_id": f"acled:{key}", "event_date": parsed.start.isoformat(),
            "time_start": start, "time_end": end, "time_precision": precision,
            "event_type": kind, "location": cell(cells, "location"),
            "fatalities": cell(cells, "fatalities"), "actor": cell(cells, "actor1"),
            "description": description, "sources": " ".join(urls_in(source)),
            "source_dataset": SOURCE_DATASET, "source_id": key, "verification": "reported",
            **weapon,
        }
        stages.append(Stage(line, raw, lat, lon, point_precision,
                            place=", ".join(p for p in (cell(cells, "location"),
                                                        cell(cells, "admin2")) if p),
                            oblast_name=admin1_name,
                            oblast_code=admin1_code(admin1_name, country_name),
                            country=country_name))
    place_and_accept(out, stages, options.progress)
    return finish(out)
