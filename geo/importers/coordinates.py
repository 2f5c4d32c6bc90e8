"""Coordinates from text, and the checks every point goes through before it is placed.

:func:`parse_coordinate` reads one number (decimal comma, hemisphere letters, degrees-minutes-
seconds); :func:`parse_point` a ``"lat, lon"`` cell or WKT ``POINT``; :func:`settle_points`
rejects null island, ``lat == lon`` and out-of-range values, swaps pairs that only make sense
swapped, and finds the oblast and country of each point (vectorised, :mod:`geo.oblasts`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from geo.oblasts import countries_for_points, oblasts_for_points
from geo.schema import RowError

_DECIMAL = re.compile(r"^(?P<h1>[NSEW])?\s*(?P<num>[+-]?\d+(?:[.,]\d+)?)\s*°?\s*(?P<h2>[NSEW])?$",
                      re.I)
_DMS = re.compile(r"^(?P<h1>[NSEW])?\s*(?P<deg>[+-]?\d+(?:[.,]\d+)?)\s*[°º]\s*"
                  r"(?:(?P<min>\d+(?:[.,]\d+)?)\s*['′’]\s*)?"
                  r"(?:(?P<sec>\d+(?:[.,]\d+)?)\s*(?:[\"″”]|''|′′)\s*)?(?P<h2>[NSEW])?$", re.I)
_WKT_POINT = re.compile(r"^POINT\s*Z?\s*\(\s*(?P<x>\S+)\s+(?P<y>\S+)(?:\s+\S+)?\s*\)$", re.I)


def parse_coordinate(value: object) -> float | None:
    """One coordinate from text: ``50.45``, ``"50,45"`` (decimal comma), ``50.45 N``,
    ``50°27'N``, ``30°31'12"E``. Empty → None; anything else (``inf``, ``nan``, words) →
    ``ValueError`` with the reason."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip().replace("\u2212", "-")
    if not text:
        return None
    match = _DECIMAL.match(text)
    if match:
        number = float(match["num"].replace(",", "."))
    else:
        match = _DMS.match(text)
        if not match:
            raise ValueError(f"not a number: {text[:40]!r}")
        degrees = float(match["deg"].replace(",", "."))
        minutes = float((match["min"] or "0").replace(",", "."))
        seconds = float((match["sec"] or "0").replace(",", "."))
        if minutes >= 60 or seconds >= 60:
            raise ValueError(f"bad minutes/seconds: {text[:40]!r}")
        number = math.copysign(abs(degrees) + minutes / 60 + seconds / 3600, degrees or 1)
    hemisphere = (match["h1"] or match["h2"] or "").upper()
    if match["h1"] and match["h2"]:
        raise ValueError(f"two hemisphere letters: {text[:40]!r}")
    if hemisphere in ("S", "W"):
        number = -abs(number)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {text[:40]!r}")
    return number


def parse_point(value: object) -> tuple[float | None, float | None]:
    """A single ``"lat, lon"`` cell (also ``lat;lon``, ``lat lon``, ``"50,45, 30,52"``,
    ``geo:lat,lon``, ``(lat, lon)``, or WKT ``POINT (lon lat)``) → (lat, lon)."""
    text = str(value or "").strip()
    if not text:
        return None, None
    wkt = _WKT_POINT.match(text)
    if wkt:
        return parse_coordinate(wkt["y"]), parse_coordinate(wkt["x"])
    text = re.sub(r"^geo:", "", text, flags=re.I).strip("()[]{} ")
    if ";" in text:
        parts = text.split(";")
    elif text.count(",") == 1:
        parts = text.split(",")
    elif text.count(",") in (2, 3) and re.search(r",\s", text):
        parts = re.split(r",\s+", text)
    else:
        parts = text.split()
    if len(parts) != 2:
        raise ValueError(f"not a 'lat, lon' pair: {text[:40]!r}")
    return parse_coordinate(parts[0]), parse_coordinate(parts[1])


@dataclass
class Points:
    """Settled coordinates per row (NaN where none or rejected) and what was found there."""

    lat: np.ndarray
    lon: np.ndarray
    admin1: np.ndarray     # ISO 3166-2 of the oblast holding the point ('' outside Ukraine)
    country: np.ndarray    # alpha-3 of the point ('' where unknown)
    problems: list[tuple[str, str] | None]
    swapped: list[str]     # '' or why lat/lon were swapped

    def has_point(self, i: int) -> bool:
        return bool(np.isfinite(self.lat[i]))


def settle_points(pairs: list[tuple[float | None, float | None]]) -> Points:
    """Check (lat, lon) pairs and place them, vectorised.

    Rejected (``problems[i]`` = (field, reason)): only one coordinate, null island ``(0, 0)``,
    ``lat == lon`` (a copy error), out of range. Swapped (``swapped[i]`` says why): a latitude
    beyond ±90 whose longitude fits, or a pair that lies outside Ukraine while the swapped pair
    lies in it. Points outside Ukraine are kept, with their country from the polygons of the
    neighbouring countries (``''`` farther away).
    """
    n = len(pairs)
    lat, lon = np.full(n, np.nan), np.full(n, np.nan)
    problems: list[tuple[str, str] | None] = [None] * n
    swapped = [""] * n
    for i, (a, b) in enumerate(pairs):
        if a is None and b is None:
            continue
        if a is None or b is None:
            problems[i] = ("latitude" if a is None else "longitude", "only one coordinate given")
            continue
        if a == 0 and b == 0:
            problems[i] = ("latitude", "null island (0, 0): coordinates missing")
            continue
        if a == b:
            problems[i] = ("longitude", "latitude equals longitude (copy error)")
            continue
        if 90 < abs(a) <= 180 and abs(b) <= 90:
            a, b = b, a
            swapped[i] = "latitude out of range"
        if abs(a) > 90:
            problems[i] = ("latitude", f"out of range (±90): {a:g}")
            continue
        if abs(b) > 180:
            problems[i] = ("longitude", f"out of range (±180): {b:g}")
            continue
        lat[i], lon[i] = a, b
    admin1 = oblasts_for_points(lat, lon).astype(object)
    country = countries_for_points(lat, lon).astype(object)
    candidates = np.flatnonzero(np.isfinite(lat) & (admin1 == "") & (np.abs(lon) <= 90))
    if candidates.size:
        flipped = oblasts_for_points(lon[candidates], lat[candidates])
        for i, code in zip(candidates[flipped != ""], flipped[flipped != ""], strict=True):
            lat[i], lon[i] = lon[i], lat[i]
            admin1[i], country[i] = str(code), "UKR"
            swapped[i] = "the swapped pair lies in Ukraine"
    return Points(lat, lon, admin1, country, problems, swapped)


def parse_lat_lon(lat: object, lon: object) -> tuple[float | None, float | None]:
    """Two coordinate cells → floats; a bad one raises :class:`RowError` naming its field."""
    try:
        lat_value = parse_coordinate(lat)
    except ValueError as exc:
        raise RowError("latitude", str(exc)) from None
    try:
        lon_value = parse_coordinate(lon)
    except ValueError as exc:
        raise RowError("longitude", str(exc)) from None
    return lat_value, lon_value
