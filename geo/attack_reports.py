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
    """Attack reports indexed by the Kyiv days their windows touch."""

    def __init__(self, frame: pd.DataFrame, catalogue: Catalogue):
        self.by_day: dict[np.datetime64, list[int]] = defaultdict(list)
        self.rows: list[tuple] = []
        if frame.empty:
            self.first = self.last = None
            return
        start, end = windows(frame, reports=True)
        launched = pd.to_numeric(frame["launched"], errors="coerce").to_numpy(dtype=float)
        destroyed = pd.to_numeric(frame["destroyed"], errors="coerce").to_numpy(dtype=float)
        models, admin1, location = (text_column(frame, c) for c in
                                    ("weapon_model", "admin1", "location"))
        ids = text_column(frame, "event_id")
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
            hours = (end[i] - start[i]) / _HOUR
            self.rows.append((start[i], end[i], hours, through, areas[key], weapons,
                              int(launched[i]), None if not math.isfinite(destroyed[i])
                              else int(destroyed[i]), str(frame["event_date"].iloc[i]),
                              models[i]))
            index = len(self.rows) - 1
            day = start[i].astype("datetime64[D]")
            while day <= end[i].astype("datetime64[D]"):
                self.by_day[day].append(index)
                day += np.timedelta64(1, "D")
        dates = [np.datetime64(r[8]) for r in self.rows]
        self.first = min(dates) - np.timedelta64(1, "D") if dates else None
        self.last = max(dates) if dates else None

    def covers(self, day: np.datetime64) -> bool:
        return self.first is not None and self.first <= day <= self.last

    def matching(self, start: np.datetime64, end: np.datetime64, oblast: str) -> list[tuple]:
        """(report, weight) for the reports whose window and area hold the event."""
        found = []
        seen: set[int] = set()
        day = start.astype("datetime64[D]")
        while day <= (end - np.timedelta64(1, "m")).astype("datetime64[D]"):
            for index in self.by_day.get(day, ()):
                if index in seen:
                    continue
                seen.add(index)
                r_start, r_end, hours, through, area, *_ = self.rows[index]
                if oblast not in area:
                    continue
                overlap = (min(r_end, end) - max(r_start, start)) / _HOUR
                if overlap > 0:
                    found.append((self.rows[index], through * overlap / hours / len(area)))
            day += np.timedelta64(1, "D")
        return found


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


