"""UCDP Georeferenced Event Dataset (GED) CSV (codebook columns ``id, relid, year,
active_year, code_status, type_of_violence, conflict_dset_id, …, side_a, side_b, …,
source_article, source_office, source_date, source_headline, source_original, where_prec,
where_coordinates, where_description, adm_1, adm_2, latitude, longitude, geom_wkt,
priogrid_gid, country, country_id, region, event_clarity, date_prec, date_start, date_end,
deaths_a, deaths_b, deaths_civilians, deaths_unknown, best, high, low``).

Rules, decided once:

* **event_id** = ``ucdp:<id>``; ``source_id`` = ``id``; ``source_dataset`` = ``ucdp-ged``;
  **verification** = ``reported``.
* **Dates**: ``event_date`` = ``date_start`` (the earliest possible day), ``time_start``/
  ``time_end`` = ``date_start``/``date_end`` when they differ. ``date_prec`` → precision:
  1 day → ``day``; 2 (2–6 days) → ``week``; 3 (month) → ``month``; 4 (2–6 months) and
  5 (year) → ``year`` (our coarsest unit). Without a code, the span decides.
* **where_prec** → ``geo_precision``: 1 exact → ``exact``; 2 within ~25 km of a known point →
  ``district``; 3 second-order unit (raion) → ``district``; 4 first-order unit → ``oblast``;
  5 linear/area feature → ``region``; 6 country → ``country``; 7 international waters or
  airspace → ``unknown``. Coarse points (4–7) are kept but never drawn as dots.
* **Place**: the point wins (oblast and country by point-in-polygon; ``adm_1`` compared and
  counted). ``location`` = ``where_coordinates`` (the named place of the coordinates).
* **event_type**: UCDP records deadly events of organised violence, not strikes as such:
  ``impact`` when the headline/description speaks of shelling, strikes, missiles, drones,
  bombs or artillery (or names a catalogue weapon), else ``other``.
* **fatalities** = ``best``; **actor** = ``side_a`` as written (``Government of Russia
  (Soviet Union)``); **weapon** inferred from the headline and description
  (``origin_basis`` ``inferred``/``ambiguous``).
* **sources**: the http(s) URLs in ``source_article`` (which mostly holds outlet names and
  dates); **description** = dyad, headline, ``where_description`` and the outlets.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from geo.importers._common import (
    STRIKE_WORDS,
    DateReader,
    ImportResult,
    InputError,
    ReadOptions,
    Stage,
    finish,
    header_key,
    parse_lat_lon,
    parse_point,
    place_and_accept,
    read_table,
    span_precision,
    table_collector,
    urls_in,
    weapon_fields,
)
from geo.oblasts import oblast_for_name
from geo.schema import RowError

if TYPE_CHECKING:
    from geo.importers import Head

SOURCE_DATASET = "ucdp-ged"
REQUIRED = ("id", "date_start", "where_prec", "type_of_violence", "best", "side_a")
WHERE_PRECISION = {"1": "exact", "2": "district", "3": "district", "4": "oblast", "5": "region",
                   "6": "country", "7": "unknown"}
DATE_PRECISION = {"1": "day", "2": "week", "3": "month", "4": "year", "5": "year"}
VIOLENCE = {"1": "state-based conflict", "2": "non-state conflict", "3": "one-sided violence"}


def sniff(head: Head) -> bool:
    keys = {header_key(h) for h in head.header}
    return not head.looks_like_json and set(REQUIRED) <= keys and (
        "where_prec" in keys and "date_prec" in keys)


def _code(text: str) -> str:
    text = text.strip()
    return text[:-2] if text.endswith(".0") else text


def read(path: Path, name: str, options: ReadOptions | None = None) -> ImportResult:
    options = options or ReadOptions()
    table = read_table(path, name, options)
    missing = [c for c in REQUIRED if table.index(c) is None]
    if missing:
        raise InputError(name, 1, "header", f"not a UCDP GED file: missing {', '.join(missing)}")
    out = table_collector("ucdp", path, table)
    keys = ("id", "type_of_violence", "conflict_name", "dyad_name", "side_a", "side_b",
            "source_article", "source_office", "source_headline", "source_original",
            "where_prec", "where_coordinates", "where_description", "adm_1", "adm_2",
            "latitude", "longitude", "geom_wkt", "country", "country_id", "event_clarity",
            "date_prec", "date_start", "date_end", "best", "deaths_civilians")
    pos = {key: table.index(key) for key in keys}

    def cell(cells: list[str], key: str) -> str:
        i = pos[key]
        return cells[i].strip() if i is not None else ""

    starts = DateReader((cells[pos["date_start"]] for _, cells in table.rows),
                        default="dmy", order=options.date_order, column="date_start")
    if starts.describe():
        out.info["dates"] = starts.describe()
    stages: list[Stage] = []
    for line, cells in table.rows:
        out.rows_read += 1
        key = _code(cell(cells, "id"))
        if not key:
            out.reject(line, "id", "missing")
            continue
        try:
            first = starts.parse(cell(cells, "date_start"))
            last = starts.parse(cell(cells, "date_end")) if cell(cells, "date_end") else first
        except ValueError as exc:
            out.reject(line, "date_start", str(exc))
            continue
        if last.start < first.start:
            out.reject(line, "date_end", "ends before date_start")
            continue
        span = (last.start - first.start).days
        precision = DATE_PRECISION.get(_code(cell(cells, "date_prec")))
        if precision is None:
            precision = span_precision(span)
            out.note("date_prec_missing_span_used")
        try:
            lat, lon = parse_lat_lon(cell(cells, "latitude"), cell(cells, "longitude"))
            if lat is None and lon is None and cell(cells, "geom_wkt"):
                lat, lon = parse_point(cell(cells, "geom_wkt"))
                out.note("point_from_geom_wkt")
        except (RowError, ValueError) as exc:
            field = exc.field if isinstance(exc, RowError) else "geom_wkt"
            out.reject(line, field, exc.reason if isinstance(exc, RowError) else str(exc))
            continue
        where = _code(cell(cells, "where_prec"))
        point_precision = WHERE_PRECISION.get(where, "unknown")
        if where not in WHERE_PRECISION:
            out.note("where_prec_code_unknown")
        headline = cell(cells, "source_headline")
        where_text = cell(cells, "where_description")
        text = " ".join((headline, where_text))
        weapon, note = weapon_fields(text)
        kind = "impact" if (STRIKE_WORDS.search(text) or weapon["weapon_model"]) else "other"
        if kind == "other" and weapon["weapon_model"]:
            weapon, note = {}, "weapon_unknown"
        out.note(note)
        parts = [cell(cells, "dyad_name") or cell(cells, "conflict_name")]
        violence = VIOLENCE.get(_code(cell(cells, "type_of_violence")))
        if violence:
            parts[0] = f"{parts[0]} ({violence})" if parts[0] else violence
        parts += [headline, where_text]
        outlets = "; ".join(p for p in (cell(cells, "source_original"),
                                        cell(cells, "source_office")) if p)
        description = ". ".join(p.rstrip(". ") for p in parts if p)
        if outlets:
            description += f" (sources: {outlets})"
        if _code(cell(cells, "event_clarity")) == "2":
            description += " [UCDP event clarity: low]"
        raw = {
            "event_id": f"ucdp:{key}", "event_date": first.start.isoformat(),
            "time_start": first.start.isoformat() if span else "",
            "time_end": last.start.isoformat() if span else "",
            "time_precision": precision, "event_type": kind,
            "location": cell(cells, "where_coordinates"),
            "fatalities": _code(cell(cells, "best")), "actor": cell(cells, "side_a"),
            "description": description, "sources": " ".join(urls_in(cell(cells,
                                                                           "source_article"))),
            "source_dataset": SOURCE_DATASET, "source_id": key, "verification": "reported",
            **weapon,
        }
        adm1 = cell(cells, "adm_1")
        stages.append(Stage(line, raw, lat, lon, point_precision,
                            place=cell(cells, "where_coordinates"), oblast_name=adm1,
                            oblast_code=oblast_for_name(adm1) if adm1 else None,
                            country=cell(cells, "country") or _code(cell(cells, "country_id"))))
    place_and_accept(out, stages, options.progress)
    return finish(out)
