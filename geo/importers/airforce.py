"""Ukrainian Air Force daily attack reports (PetroIvaniuk ``missile_attacks_daily.csv``).

One row = one ``attack`` event: one model (or an "A and B" combination) in one attack window,
with launched/destroyed counts. Rules, decided once and applied to every row:

* **event_id** = ``airforce:`` + hash of (time_start, time_end, model, target, launch_place,
  source), with times normalised (``3:30`` → ``03:30``, spaces stripped). Stable across
  re-imports of a grown file (line numbers are not) and unique in it: the same window, model
  and target is sometimes reported in two different posts, so the post is part of the key.
  ``source_id`` is the same hash.
* **event_date** = the Kyiv-local date of ``time_end``. Reports are published when an attack
  ends and the media cite that morning: the overnight attack 2024-01-01 20:00 → 2024-01-02
  08:00 belongs to the "massive attack of 2 January 2024", as do the missiles of 06:00–09:00.
* **Times** are Kyiv local (Europe/Kyiv, +02:00 winter / +03:00 summer) and written as ISO
  8601 with that offset. ``time_precision`` is ``hour`` when both ends have a time of day,
  else ``day`` (a lone known end is still written to its column).
* **Where** (``target``, items split on `` and ``): an oblast or a city → its ISO code;
  ``south``/``east``/… → ``region``; ``Ukraine`` → ``country``; a Russian oblast (``Kursk
  oblast``) → its ISO 3166-2 ``RU-`` code. ``geo_precision`` is the coarsest item's; an item
  we cannot place makes it ``unknown``. When the target is only ``Ukraine`` or a macro-region
  and ``affected region``/``target_main`` name only oblasts, ``admin1`` lists those oblasts
  and precision is ``oblast`` (the attack reached several oblasts). ``country`` is UKR unless
  every target is in Russia. ``location`` keeps the raw target text; no coordinates.
* **Weapon** via the catalogue (basis ``catalogue`` or ``ambiguous``); an unknown model is
  kept as written with no origin (basis ``unknown``) and counted in ``unresolved``.
* **hits** stays empty: ``num_hit_location`` counts *locations* hit, not munitions that hit;
  it goes into the description with the debris locations and the other counters.
* **actor** = Russia (the Air Force reports Russian attacks). **verification** = reported.
  **sources** = the Facebook post (the file stores ``kpszsu/posts/…`` paths) or the URL.
* Python-repr blobs (``{'south': 30, 'east': NaN}``) are parsed with ``ast.literal_eval``
  after NaN → None, never ``eval``.
"""

from __future__ import annotations

import ast
import re
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from geo.catalogue import load_catalogue
from geo.importers._common import Collector, ImportResult, read_csv, reject_ragged, stable_hash
from geo.oblasts import oblast_for_name

if TYPE_CHECKING:
    from geo.importers import Head

SOURCE_DATASET = "petroivaniuk-missile-attacks"
KYIV = ZoneInfo("Europe/Kyiv")
_REQUIRED = frozenset({"time_start", "time_end", "model", "target", "launched", "destroyed"})
_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_AND = re.compile(r"\s+and\s+")
MACRO_REGIONS = frozenset({"south", "east", "west", "north", "center", "centre", "south-east",
                           "north-east", "south-west", "north-west", "front line", "frontline"})
RUSSIAN_REGIONS = {"kursk": "RU-KRS", "belgorod": "RU-BEL", "bryansk": "RU-BRY",
                   "voronezh": "RU-VOR", "rostov": "RU-ROS", "oryol": "RU-ORL",
                   "krasnodar": "RU-KDA"}
# Cities the Air Force names as targets that the oblast name table does not carry.
CITIES = {"dnipro": "UA-12", "kryvyi rih": "UA-12", "pavlohrad": "UA-12", "kamianske": "UA-12",
          "starokostiantyniv": "UA-68", "kramatorsk": "UA-14", "kolomyia": "UA-26",
          "ochakiv": "UA-48", "kremenchuk": "UA-53", "lutsk": "UA-07", "kharkiv": "UA-63",
          "sumy": "UA-59", "kherson": "UA-65", "vinnytsia": "UA-05", "mykolaiv": "UA-48",
          "zaporizhzhia": "UA-23", "odesa": "UA-51", "poltava": "UA-53", "chernihiv": "UA-74"}
_RANK = {"oblast": 0, "foreign": 0, "region": 1, "country": 2, "unresolved": 3}
_PRECISION = {0: "oblast", 1: "region", 2: "country", 3: "unknown"}
_FB_PATHS = frozenset({"posts", "videos", "photos", "photo", "permalink.php", "reel", "watch"})


def sniff(head: Head) -> bool:
    return not head.looks_like_json and _REQUIRED <= set(head.header)


def parse_time(text: str) -> tuple[date, datetime | None]:
    """``YYYY-MM-DD`` or ``YYYY-MM-DD H:MM`` (Kyiv local) → (date, aware datetime or None)."""
    match = _TIME.match(" ".join(text.split()))
    if not match:
        raise ValueError(text)
    y, m, d, hh, mm, ss = match.groups()
    day = date(int(y), int(m), int(d))
    if hh is None:
        return day, None
    return day, datetime(day.year, day.month, day.day, int(hh), int(mm), int(ss or 0),
                         tzinfo=KYIV)


def place(item: str) -> tuple[str, str]:
    """(kind, code) for one target item; kind is oblast, foreign, region, country, unresolved."""
    text = " ".join(item.split())
    low = text.casefold()
    if low in ("ukraine", "україна"):
        return "country", ""
    if low in MACRO_REGIONS:
        return "region", ""
    russian = re.match(r"^([a-z]+) oblast\b", low)
    if russian and russian.group(1) in RUSSIAN_REGIONS:
        return "foreign", RUSSIAN_REGIONS[russian.group(1)]
    code = _code(text)
    if not code and "," in text:
        codes = {_code(part) for part in text.split(",")} - {None}
        code = codes.pop() if len(codes) == 1 else None
    return ("oblast", code) if code else ("unresolved", "")


def _code(text: str) -> str | None:
    text = text.strip()
    return oblast_for_name(text) or CITIES.get(text.casefold()) if text else None


def _items(text: str) -> list[str]:
    return [part.strip() for part in _AND.split(text.strip()) if part.strip()]


@lru_cache(maxsize=4096)
def _literal(text: str) -> object:
    """A Python-repr cell (``NaN`` allowed) → value; '' → None; unparsable → ValueError."""
    if not text.strip():
        return None
    return ast.literal_eval(re.sub(r"\b(?:NaN|nan)\b", "None", text.strip()))


def source_url(text: str) -> str:
    """The file's truncated Facebook path (``kpszsu/posts/pfbid…``) → an https URL."""
    value = text.strip().split()[0] if text.strip() else ""
    if not value or re.match(r"^https?://", value, re.IGNORECASE):
        return value
    parts = value.split("/")
    if parts[0] == "watch" or (len(parts) > 1 and parts[1] in _FB_PATHS) or "." not in parts[0]:
        return "https://www.facebook.com/" + value
    return "https://" + value


def _num(text: str) -> str:
    try:
        number = float(text)
    except ValueError:
        return text.strip()
    return str(int(number)) if number == int(number) else f"{number:g}"


def _mapping(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {_num(str(v))}" for k, v in value.items() if v is not None)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


class _Row:
    def __init__(self, header: list[str], cells: list[str]):
        self.cells = {h: c.strip() for h, c in zip(header, cells, strict=True)}

    def __getitem__(self, name: str) -> str:
        return self.cells.get(name, "")


def _locate(row: _Row, out: Collector) -> dict[str, object]:
    items = _items(row["target"])
    placed = [(item, *place(item)) for item in items]
    for item, kind, _ in placed:
        if kind == "unresolved":
            out.unresolved[f"target: {item}"] += 1
            out.note("target_unresolved")
    if not placed:
        out.note("target_missing")
        return {"country": "UKR", "admin1": "", "geo_precision": "country", "location": ""}
    worst = max(_RANK[kind] for _, kind, _ in placed)
    codes = [code for _, _, code in placed if code]
    if worst in (1, 2):
        refined = _affected_oblasts(row, out)
        if refined:
            codes, worst = codes + refined, 0
            out.note("admin1_from_affected_region")
    kinds = {kind for _, kind, _ in placed}
    country = "RUS" if kinds == {"foreign"} else "UKR"
    return {"country": country, "admin1": ";".join(dict.fromkeys(codes)),
            "geo_precision": _PRECISION[worst], "location": " ".join(row["target"].split())}


def _affected_oblasts(row: _Row, out: Collector) -> list[str]:
    """Oblasts named by ``affected region`` and ``target_main`` when they name only oblasts."""
    names: list[str] = []
    try:
        affected = _literal(row["affected region"])
    except (ValueError, SyntaxError):
        out.note("affected_region_unparsed")
        affected = None
    if isinstance(affected, (list, tuple)):
        names += [str(a) for a in affected if a]
    for item in _items(row["target_main"]):
        names += [item] if place(item)[0] == "oblast" else item.split(",")
    codes = []
    for name in (n for n in names if n.strip()):
        kind, code = place(name)
        if kind == "country":
            continue
        if kind != "oblast":
            return []
        codes.append(code)
    return codes


def _describe(row: _Row, out: Collector) -> str:
    launched, destroyed = _num(row["launched"]), _num(row["destroyed"])
    parts = [f"Ukrainian Air Force report: {row['model'] or 'unknown weapon'}"
             + (f", launched {launched}" if launched else "")
             + (f", destroyed {destroyed}" if destroyed else "")]
    if row["launch_place"]:
        parts.append("launched from " + " / ".join(_items(row["launch_place"])))
    simple = (("carrier", "carrier: {}"), ("not_reach_goal", "{} did not reach their targets"),
              ("still_attacking", "{} still in the air at report time"),
              ("is_shahed", "{} of them Shahed-type"),
              ("num_hit_location", "hits recorded at {} locations"),
              ("num_fall_fragment_location", "debris fell at {} locations"),
              ("turbojet", "{} jet-powered drones launched"),
              ("turbojet_destroyed", "{} jet-powered drones destroyed"))
    for column, template in simple:
        if row[column]:
            parts.append(template.format(row[column] if column == "carrier"
                                         else _num(row[column])))
    blobs = (("border_crossing", "crossed the border into"), ("affected region", "affected"),
             ("launched_details", "launched by model"), ("destroyed_details", "destroyed by area"),
             ("launch_place_details", "launch places by model"))
    for column, label in blobs:
        try:
            text = _mapping(_literal(row[column]))
        except (ValueError, SyntaxError):
            out.note(f"{column.replace(' ', '_')}_unparsed")
            text = " ".join(row[column].split())
        if text:
            parts.append(f"{label}: {' '.join(text.split())}")
    if row["target_main"]:
        parts.append(f"main targets: {row['target_main']}")
    return "; ".join(parts) + "."


def read(path: Path, name: str) -> ImportResult:
    table = read_csv(path, name)
    catalogue = load_catalogue()
    resolve = lru_cache(maxsize=None)(catalogue.resolve)
    out = Collector("airforce", str(path))
    reject_ragged(out, table)
    for line, cells in table.rows:
        out.rows_read += 1
        row = _Row(table.header, cells)
        times = {}
        for column in ("time_start", "time_end"):
            try:
                times[column] = parse_time(row[column])
            except ValueError:
                reason = "missing" if not row[column] else \
                    f"not YYYY-MM-DD or YYYY-MM-DD HH:MM: {row[column][:40]!r}"
                out.reject(line, column, reason)
                break
        if len(times) < 2:
            continue
        (start_day, start), (end_day, end) = times["time_start"], times["time_end"]
        if (start and end and end < start) or end_day < start_day:
            out.reject(line, "time_end", "ends before it starts")
            continue
        key_times = [(t.strftime("%Y-%m-%d %H:%M") if t else d.isoformat())
                     for d, t in (times["time_start"], times["time_end"])]
        digest = stable_hash(*key_times, row["model"], " ".join(row["target"].split()),
                             " ".join(row["launch_place"].split()), row["source"])
        resolution = resolve(row["model"]) if row["model"] else None
        if resolution is None:
            out.unresolved[f"model: {row['model']}"] += 1
            out.note("model_unresolved" if row["model"] else "model_missing")
        try:
            if float(row["destroyed"] or 0) > float(row["launched"] or 0):
                out.note("destroyed_exceeds_launched")
        except ValueError:
            pass  # normalise_row names the bad count
        raw = {
            "event_id": f"airforce:{digest}", "event_date": end_day.isoformat(),
            "time_start": start.isoformat() if start else "",
            "time_end": end.isoformat() if end else "",
            "time_precision": "hour" if start and end else "day", "event_type": "attack",
            **_locate(row, out),
            "weapon_model": resolution.model if resolution else row["model"],
            "weapon_class": resolution.weapon_class if resolution else "",
            "weapon_origin": resolution.origin if resolution else "",
            "origin_basis": resolution.basis if resolution else "unknown",
            "launched": row["launched"], "destroyed": row["destroyed"],
            "actor": "Russia", "description": _describe(row, out),
            "sources": source_url(row["source"]), "source_dataset": SOURCE_DATASET,
            "source_id": digest, "verification": "reported",
        }
        out.accept(line, raw)
    return out.result()
