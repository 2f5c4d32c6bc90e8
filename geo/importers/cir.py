"""CIR / Bellingcat Russia-Ukraine Monitor Map (``events.csv``, 2022).

Each row is one open-source item (video, photo, post) that CIR's volunteers located. Rules:

* **Identity**: ``source_id`` = ``entry``; ``event_id`` = ``cir:`` + entry. Entries repeat:
  a row identical to an earlier one is rejected as "duplicate of row N"; when one entry
  labels rows with different content, every such row gets ``~`` + a content hash
  (``cir:UW0104~3f2a1c``), stable across re-imports, counted in ``entry_reused``. A row with
  no entry gets ``cir:row~`` + content hash (``entry_missing``).
* **Date**: ``date`` (ISO) unless the title's leading ``DD/MM/YYYY`` disagrees — then the title
  wins (``date_from_title``); an empty ``date`` also takes the title's. A date later than the
  source post itself (tweet IDs carry their post time) cannot be right: if putting the post's
  year in fixes it, we do (``date_year_corrected``: the ``2023``/``2024`` typos), else the date
  is kept and counted (``date_after_source_post``). No date at all → rejected.
* **Where**: lat/lon are checked (range, ``lat == lon`` copy errors, 0,0) and are the truth:
  ``admin1`` = point-in-polygon, ``country`` = the point's country, falling back to the
  typo-ridden ``country`` column only for points beyond the known neighbours. The
  ``province`` text is compared with the point and counted (``oblast_name_agrees_with_point``
  / ``..._disagrees_...`` / ``..._unresolved``), never used to place. ``geo_precision`` is
  ``exact`` when a geolocation link backs the point, else ``settlement`` (the item was placed
  at the named town). ``location`` = town/city, else district or province.
* **What**: ``impact`` for the groups "Bombing or Explosion" and "Civilian Infrastructure
  Damage"; ``other`` for presence, firing positions, graves and arrests; the remaining groups
  (casualties, losses, munitions, battles, other) are ``impact`` only when the text says
  strike/shelling/explosion/missile/rocket/bomb/hit/damage, else ``other``.
* **Weapon**: only for impacts, by :meth:`Catalogue.infer` on ``arms/munition`` + title +
  description, with ``origin_basis`` ``inferred`` (``ambiguous`` if the inferred weapon is).
* **actor** = Russia or Ukraine only when the text says so outright ("Russian missile
  strike", "Ukrainian shelling"); else empty. **verification** = ``verified``: the map
  published items after CIR's verification. **sources** = link and geolocation (http(s) only).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from geo.catalogue import load_catalogue
from geo.importers._common import Collector, ImportResult, read_csv, reject_ragged, stable_hash
from geo.oblasts import countries_for_points, oblast_for_name, oblasts_for_points

if TYPE_CHECKING:
    from geo.importers import Head

SOURCE_DATASET = "eyes-on-russia-cir"
_REQUIRED = frozenset({"entry", "date", "event_group", "title", "lat", "lon"})
_TITLE_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})")
_TWEET = re.compile(r"(?:twitter|x)\.com/[^/\s]+/status(?:es)?/(\d{8,20})", re.IGNORECASE)
_TWITTER_EPOCH_MS = 1288834974657
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
_IMPACT_GROUPS = ("bombing or explosion", "civilian infrastructure damage")
_OTHER_GROUPS = ("russian military presence", "russian firing positions", "mass grave",
                 "detentions or arrests", "russian allies presence")
_IMPACT_WORDS = re.compile(r"\b(?:strik\w*|struck|shell\w*|explo\w*|missiles?|rockets?|bomb\w*|"
                           r"airstrikes?|hits?|hitting|damage\w*)\b", re.IGNORECASE)
# "<Russian|Ukrainian> [up to two words] strike/shelling/…": the side that fired, when the
# words in between are not a place or a target ("Ukrainian positions after shelling").
_ACTOR = re.compile(
    r"\b(russian|ukrainian)\s+(?:(?!(?:positions?|city|town|village|civilians?|homes?|houses?|"
    r"buildings?|after|by|on|in|of|at|near|from|for|the|a|an)\b)[\w-]+\s+){0,2}"
    r"(?:strikes?|attacks?|shelling|airstrikes?|bombing|bombardment)\b", re.IGNORECASE)
COUNTRY_COLUMN = {"ukraine": "UKR", "ukrain": "UKR", "crimea": "UKR", "russia": "RUS",
                  "russa": "RUS", "russian federation": "RUS", "belarus": "BLR", "belaurs": "BLR",
                  "moldova": "MDA", "transnistria": "MDA", "kursk oblast": "RUS",
                  "georgia": "GEO", "kazakhstan": "KAZ", "syria": "SYR"}


def sniff(head: Head) -> bool:
    return not head.looks_like_json and _REQUIRED <= set(head.header)


def _post_date(url: str) -> date | None:
    match = _TWEET.search(url or "")
    if not match:
        return None
    millis = (int(match.group(1)) >> 22) + _TWITTER_EPOCH_MS
    return datetime.fromtimestamp(millis / 1000, tz=UTC).date()


def _clean_url(url: str) -> str:
    """Tweet links lose their tracking query (``?s=20&t=…``): same post, same text."""
    return url.split("?", 1)[0].split("#", 1)[0] if _TWEET.search(url) else url


def _title_date(title: str) -> date | None:
    match = _TITLE_DATE.match(title)
    if not match:
        return None
    try:
        return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    except ValueError:
        return None


def _event_date(cells: dict[str, str], out: Collector) -> date | None:
    try:
        given = date.fromisoformat(cells["date"]) if cells["date"] else None
    except ValueError:
        given = None
    titled = _title_date(cells["title"])
    chosen = given
    if titled and titled != given:
        chosen = titled
        out.note("date_from_title" if given else "date_missing_used_title")
    if chosen is None:
        return None
    posts = [d for d in (_post_date(cells["link"]), _post_date(cells["geolocation"])) if d]
    if posts and chosen > min(posts) + timedelta(days=1):
        posted = min(posts)
        try:
            fixed = chosen.replace(year=posted.year)
        except ValueError:
            fixed = None
        if fixed and fixed <= posted + timedelta(days=1):
            out.note("date_year_corrected")
            return fixed
        out.note("date_after_source_post")
    return chosen


def _coordinates(cells: dict[str, str]) -> tuple[float | None, float | None, tuple | None]:
    """(lat, lon, problem) where problem is (field, reason) for a row to reject."""
    texts = cells["lat"], cells["lon"]
    if not texts[0] and not texts[1]:
        return None, None, None
    try:
        lat, lon = float(texts[0]), float(texts[1])
    except ValueError:
        bad = "latitude" if not _is_float(texts[0]) else "longitude"
        value = texts[0] if bad == "latitude" else texts[1]
        return None, None, (bad, f"not a number: {value[:40]!r}")
    if not -90 <= lat <= 90:
        return None, None, ("latitude", f"out of range (±90): {texts[0][:40]!r}")
    if not -180 <= lon <= 180:
        return None, None, ("longitude", f"out of range (±180): {texts[1][:40]!r}")
    if lat == 0 and lon == 0:
        return None, None, ("latitude", "null island (0, 0): coordinates missing")
    if lat == lon:
        return None, None, ("longitude", "latitude equals longitude (copy error)")
    return lat, lon, None


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _event_type(group: str, text: str) -> str:
    low = group.casefold()
    if low.startswith(_IMPACT_GROUPS):
        return "impact"
    if low.startswith(_OTHER_GROUPS):
        return "other"
    return "impact" if _IMPACT_WORDS.search(text) else "other"


def _actor(text: str) -> str:
    sides = {m.group(1).casefold() for m in _ACTOR.finditer(text)}
    return {"russian": "Russia", "ukrainian": "Ukraine"}[sides.pop()] if len(sides) == 1 else ""


def read(path: Path, name: str) -> ImportResult:
    table = read_csv(path, name)
    out = Collector("cir", str(path))
    reject_ragged(out, table)
    catalogue = load_catalogue()
    wanted = ("entry", "date", "event_group", "title", "brief description", "lat", "lon",
              "country", "province", "district", "town/city", "arms/munition", "link",
              "geolocation", "violence level")
    rows = []
    for line, cells in table.rows:
        named = dict(zip(table.header, cells, strict=True))
        clean = {c: (named.get(c) or "").strip() for c in wanted}
        clean["link"], clean["geolocation"] = _clean_url(clean["link"]), \
            _clean_url(clean["geolocation"])
        rows.append((line, clean, tuple(clean.values())))
    contents: dict[str, set[str]] = {}
    for _, cells, raw in rows:
        contents.setdefault(cells["entry"], set()).add(stable_hash(*raw))

    staged = []
    for line, cells, raw in rows:
        out.rows_read += 1
        day = _event_date(cells, out)
        if day is None:
            out.reject(line, "event_date", "missing (no date and no DD/MM/YYYY in the title)")
            continue
        lat, lon, problem = _coordinates(cells)
        if problem:
            out.reject(line, *problem)
            continue
        staged.append((line, cells, stable_hash(*raw), day, lat, lon))

    lats = np.array([np.nan if s[4] is None else s[4] for s in staged], dtype=float)
    lons = np.array([np.nan if s[5] is None else s[5] for s in staged], dtype=float)
    admin1s, countries = oblasts_for_points(lats, lons), countries_for_points(lats, lons)

    for (line, cells, digest, day, lat, lon), admin1, country in zip(
            staged, admin1s, countries, strict=True):
        entry = cells["entry"]
        if not entry:
            event_id = f"cir:row~{digest[:10]}"
            out.note("entry_missing")
        elif len(contents[entry]) > 1:
            event_id = f"cir:{entry}~{digest[:6]}"
            out.note("entry_reused")
        else:
            event_id = f"cir:{entry}"
        column_country = COUNTRY_COLUMN.get(cells["country"].casefold().strip(" ,"), "")
        country = str(country)
        if not country and column_country:
            country = column_country
            out.note("country_from_column")
        elif country and column_country and country != column_country:
            out.note("country_column_disagrees_with_point")
        if lat is not None and not admin1:
            out.note("point_outside_ukraine")
        _compare_province(cells["province"], str(admin1), out)

        title = re.sub(r"^\s*\d{1,2}/\d{1,2}/\d{4}\s*-?\s*", "", cells["title"])
        text = " ".join((cells["event_group"], title, cells["brief description"]))
        event_type = _event_type(cells["event_group"], text)
        weapon = None
        if event_type == "impact":
            weapon = catalogue.infer(" | ".join((cells["arms/munition"], title,
                                                 cells["brief description"])))
        basis = "unknown"
        if weapon is not None:
            basis = "ambiguous" if weapon.basis == "ambiguous" else (
                "inferred" if weapon.origins else "unknown")
            out.note(f"weapon_{basis}")
        brief = cells["brief description"]
        description = title if not brief or brief.casefold() in title.casefold() else (
            f"{title}. {brief}" if title and title.casefold() not in brief.casefold() else brief)
        if cells["arms/munition"] and not _URL.match(cells["arms/munition"]):
            description += f" (arms/munition: {cells['arms/munition']})"
        sources = [u for u in (cells["link"], cells["geolocation"]) if _URL.match(u)]
        raw_row = {
            "event_id": event_id, "event_date": day.isoformat(), "time_precision": "day",
            "event_type": event_type, "country": country, "admin1": str(admin1),
            "location": cells["town/city"] or cells["district"] or cells["province"],
            "latitude": lat, "longitude": lon,
            "geo_precision": ("exact" if _URL.match(cells["geolocation"]) else "settlement")
            if lat is not None else "unknown",
            "weapon_model": weapon.model if weapon else "",
            "weapon_class": weapon.weapon_class if weapon else "",
            "weapon_origin": weapon.origin if weapon else "", "origin_basis": basis,
            "actor": _actor(text), "description": description,
            "sources": " ".join(dict.fromkeys(sources)), "source_dataset": SOURCE_DATASET,
            "source_id": entry, "verification": "verified",
        }
        out.accept(line, raw_row)
    return out.result()


def _compare_province(province: str, admin1: str, out: Collector) -> None:
    if not province.strip(" ,"):
        out.note("province_empty")
        return
    named = oblast_for_name(province)
    if named is None and not admin1:
        out.note("province_outside_ukraine")
    elif named is None:
        out.note("oblast_name_unresolved")
        out.unresolved[f"province: {province}"] += 1
    elif not admin1:
        out.note("oblast_name_but_point_outside_ukraine")
    elif named == admin1:
        out.note("oblast_name_agrees_with_point")
    else:
        out.note("oblast_name_disagrees_with_point")
