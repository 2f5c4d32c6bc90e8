"""Attack reports as evidence: their windows, the oblasts they cover, and the weapons in them.

The Ukrainian Air Force reports one weapon model (or an "A and B" combination) per attack
window with launched/destroyed counts and a target: an oblast list, a macro-region word
(``south``, ``north and center``) or all of Ukraine (``geo.importers.airforce``). This module
turns those rows into an index the attribution engine (:mod:`geo.attribution`) asks "which
reports cover this oblast in these hours, and with what weight".
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from geo.catalogue import Catalogue
from geo.importers.airforce import place
from geo.oblasts import OBLASTS
from geo.taxonomy import normalise_class

DESTROYED_WEIGHT = 0.25
ALL_OBLASTS = frozenset(OBLASTS)
# Our geographic reading of the Air Force's macro-region words (compass sectors of Ukraine);
# the Air Force publishes no map of them.
MACRO_REGIONS: dict[str, frozenset[str]] = {
    "north": frozenset({"UA-30", "UA-32", "UA-74", "UA-59", "UA-18"}),
    "south": frozenset({"UA-51", "UA-48", "UA-65", "UA-23", "UA-43", "UA-40"}),
    "east": frozenset({"UA-63", "UA-14", "UA-09", "UA-12", "UA-23"}),
    "west": frozenset({"UA-46", "UA-07", "UA-56", "UA-61", "UA-26", "UA-21", "UA-77",
                       "UA-68"}),
    "center": frozenset({"UA-05", "UA-71", "UA-35", "UA-53", "UA-32", "UA-30"}),
    "south-east": frozenset({"UA-23", "UA-12", "UA-14", "UA-65"}),
    "north-east": frozenset({"UA-59", "UA-63", "UA-74"}),
    "south-west": frozenset({"UA-51", "UA-05", "UA-77"}),
    "north-west": frozenset({"UA-07", "UA-56", "UA-18"}),
    "front line": frozenset({"UA-63", "UA-14", "UA-09", "UA-23", "UA-65"}),
}
MACRO_REGIONS["centre"] = MACRO_REGIONS["center"]
MACRO_REGIONS["frontline"] = MACRO_REGIONS["front line"]
_HOUR = np.timedelta64(1, "h")
_DAY = 24 * 60  # minutes


@dataclass(frozen=True)
class Weapon:
    label: str
    classes: tuple[str, ...]
    origins: tuple[str, ...]


def text_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.full(len(frame), "", dtype=object)
    return frame[column].astype("string").fillna("").to_numpy(dtype=object)


def _kyiv_hours(values: np.ndarray) -> np.ndarray:
    """ISO date-times (any offset) → Kyiv wall-clock ``datetime64`` (NaT when empty/bad)."""
    parsed = pd.to_datetime(pd.Series(values, dtype="string").replace("", None), utc=True,
                            errors="coerce", format="ISO8601")
    return parsed.dt.tz_convert("Europe/Kyiv").dt.tz_localize(None).to_numpy(
        dtype="datetime64[m]")


def windows(frame: pd.DataFrame, *, reports: bool) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) Kyiv wall-clock per row.

    Reports: both ends known → that window (at least an hour); only the end → the 10 hours
    before it (the file's "→ 08:00" overnight rows); only a date → from 18:00 the evening
    before to the end of the day. Other events: their hours when the precision is ``hour``,
    else their whole Kyiv day.
    """
    day = pd.to_datetime(pd.Series(text_column(frame, "event_date"))).to_numpy(
        dtype="datetime64[m]")
    start = _kyiv_hours(text_column(frame, "time_start"))
    end = _kyiv_hours(text_column(frame, "time_end"))
    if reports:
        only_end = np.isnat(start) & ~np.isnat(end)
        start = np.where(only_end, end - 10 * _HOUR, start)
        end = np.where(~np.isnat(start) & np.isnat(end), start + 10 * _HOUR, end)
        neither = np.isnat(start)
        start = np.where(neither, day - 6 * _HOUR, start)
        end = np.where(neither, day + 24 * _HOUR, end)
        short = (end - start) < _HOUR
        mid = start + (end - start) / 2
        start = np.where(short, mid - _HOUR / 2, start)
        end = np.where(short, mid + _HOUR / 2, end)
        return start, end
    precise = (text_column(frame, "time_precision") == "hour") & ~np.isnat(start)
    end = np.where(np.isnat(end), start + _HOUR, end)
    return (np.where(precise, start - _HOUR, day),
            np.where(precise, end + _HOUR, day + 24 * _HOUR))


def report_area(admin1: str, location: str) -> frozenset[str]:
    """Oblasts a report covers: its oblast list plus any macro-region words; else Ukraine."""
    codes = {c for c in admin1.split(";") if c.startswith("UA-")}
    for item in location.split(" and "):
        word = " ".join(item.split()).casefold()
        if word in MACRO_REGIONS:
            codes |= MACRO_REGIONS[word]
        elif word:
            kind, code = place(item)
            if kind == "oblast" and code.startswith("UA-"):
                codes.add(code)
    if any(c.startswith("RU-") for c in admin1.split(";")) and not codes:
        return frozenset()
    return frozenset(codes) or ALL_OBLASTS


class ReportIndex:
    """Attack reports indexed by the Kyiv days their windows touch (times in minutes)."""

    def __init__(self, frame: pd.DataFrame, catalogue: Catalogue):
        self.by_day: dict[int, list[int]] = defaultdict(list)
        self.rows: list[tuple] = []
        self.first = self.last = None
        if frame.empty:
            return
        start, end = (w.astype("int64") for w in windows(frame, reports=True))
        launched = pd.to_numeric(frame["launched"], errors="coerce").to_numpy(dtype=float)
        destroyed = pd.to_numeric(frame["destroyed"], errors="coerce").to_numpy(dtype=float)
        models, admin1, location, ids, dates = (text_column(frame, c) for c in (
            "weapon_model", "admin1", "location", "event_id", "event_date"))
        areas: dict[tuple[str, str], frozenset[str]] = {}
        for i in np.argsort(ids, kind="stable"):
            if not math.isfinite(launched[i]) or launched[i] <= 0:
                continue
            lost = destroyed[i] if math.isfinite(destroyed[i]) else 0.0
            through = max(launched[i] - lost, 0.0) + DESTROYED_WEIGHT * min(lost, launched[i])
            key = (admin1[i], location[i])
            if key not in areas:
                areas[key] = report_area(*key)
            if not areas[key]:
                continue  # a target in Russia
            weapons = [weapon_of(m, catalogue) for m in models[i].split(";") if m.strip()]
            if not weapons:
                continue
            self.rows.append((int(start[i]), int(end[i]), (end[i] - start[i]) / 60.0, through,
                              areas[key], weapons, int(launched[i]),
                              None if not math.isfinite(destroyed[i]) else int(destroyed[i]),
                              dates[i], models[i]))
            for day in range(int(start[i]) // _DAY, int(end[i]) // _DAY + 1):
                self.by_day[day].append(len(self.rows) - 1)
        if self.rows:
            days = sorted(r[8] for r in self.rows)
            self.first = np.datetime64(days[0]) - np.timedelta64(1, "D")
            self.last = np.datetime64(days[-1])

    def covers(self, day: np.datetime64) -> bool:
        """True when ``day`` is inside the period the reports cover."""
        return self.first is not None and self.first <= day <= self.last

    def matching(self, start: int, end: int, oblast: str) -> list[tuple]:
        """(report, weight) for the reports whose window (minutes) and area hold the event."""
        found = []
        seen: set[int] = set()
        for day in range(start // _DAY, (end - 1) // _DAY + 1):
            for index in self.by_day.get(day, ()):
                if index in seen:
                    continue
                seen.add(index)
                row = self.rows[index]
                if oblast not in row[4]:
                    continue
                overlap = (min(row[1], end) - max(row[0], start)) / 60.0
                if overlap > 0:
                    found.append((row, row[3] * overlap / row[2] / len(row[4])))
        return found


@lru_cache(maxsize=4096)
def weapon_of(model: str, catalogue: Catalogue) -> Weapon:
    entry = catalogue.entry(model)
    if entry is None:
        resolved = catalogue.resolve(model)
        cls = resolved.weapon_class if resolved else ""
        origins = resolved.origins if resolved else ()
    else:
        cls, origins = entry.weapon_class, entry.origins
    classes = tuple(dict.fromkeys(normalise_class(c) for c in cls.split(";") if c)) or (
        "other",)
    return Weapon(model.strip(), classes, tuple(origins))


