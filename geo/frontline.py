"""How close an event is to the fighting: a documented proxy, because we have no front-line data.

National attack reports (the Ukrainian Air Force's) count missiles and long-range drones; the
artillery, MLRS, glide bombs and small drones that do most of the harm near the front are not
in them. The attribution engine therefore gives the class ``not in attack reports`` a real
share for events near the front or the Russian border. No front-line dataset ships with
Salvo (none is in the shared data), so :func:`proximity` builds a score in [0, 1] from what
is bundled, and says nothing finer than that:

* **Distance to Russia** (``data/countries.geojson``, Natural Earth): ``exp(-km / 25)`` —
  border towns (Sumy, Kharkiv, Chernihiv oblasts) are shelled across the border. Belarus
  counts only while Russian forces attacked from it (until 7 April 2022).
* **Oblasts with a ground front** in a period (:data:`FRONT_PERIODS`, hand-written from
  widely reported dates: the withdrawal from Kyiv/Chernihiv/Sumy oblasts at the start of
  April 2022, the liberation of Kherson city on 11 Nov 2022): the whole oblast scores
  :data:`FRONT_OBLAST_SCORE`. Where inside the oblast the line ran is not known here.
* **Occupied units** (Crimea and Sevastopol throughout, Luhansk oblast from July 2022): 1.0.
  Strikes there are not Russian attacks that Ukrainian reports would count.

Points use their coordinates; events known only to an oblast use the oblast's
representative point; events with neither get 0.
"""

from __future__ import annotations

import functools
import math
from datetime import date

import geopandas as gpd
import numpy as np
import shapely

from geo.oblasts import COUNTRIES_FILE, centroid

BORDER_KM = 25.0
FRONT_OBLAST_SCORE = 0.35
BELARUS_UNTIL = date(2022, 4, 7)
_KM_PER_DEG_LAT = 110.57
_KM_PER_DEG_LON = 111.32 * math.cos(math.radians(48.5))  # Ukraine's middle latitude
# (first day, last day, oblasts with a ground front). Coarse by design; see module doc.
FRONT_PERIODS: tuple[tuple[date, date, frozenset[str]], ...] = (
    (date(2022, 2, 24), date(2022, 4, 6), frozenset({
        "UA-32", "UA-74", "UA-59", "UA-63", "UA-09", "UA-14", "UA-23", "UA-65", "UA-48"})),
    (date(2022, 4, 7), date(2022, 11, 11), frozenset({
        "UA-63", "UA-09", "UA-14", "UA-23", "UA-65", "UA-48", "UA-12"})),
    (date(2022, 11, 12), date(2099, 12, 31), frozenset({
        "UA-63", "UA-09", "UA-14", "UA-23", "UA-65", "UA-12"})),
)
OCCUPIED: tuple[tuple[str, date], ...] = (
    ("UA-43", date(2014, 3, 1)), ("UA-40", date(2014, 3, 1)), ("UA-09", date(2022, 7, 3)))


def _project(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equirectangular km around Ukraine: good to a few per cent over this area."""
    return lon * _KM_PER_DEG_LON, lat * _KM_PER_DEG_LAT


@functools.lru_cache(maxsize=1)
def _borders() -> dict[str, shapely.Geometry]:
    """Russia's and Belarus's outlines near Ukraine, projected to km and prepared."""
    frame = gpd.read_file(COUNTRIES_FILE, engine="pyogrio")
    box = shapely.box(21.0, 43.0, 42.0, 54.0)
    out = {}
    for code in ("RUS", "BLR"):
        geom = frame.loc[frame["iso3"] == code, "geometry"].union_all().intersection(box)
        geom = shapely.transform(geom, lambda xy: np.column_stack(
            _project(xy[:, 0], xy[:, 1])))
        # Distances feed exp(-km / 25): a 1 km simplification changes nothing visible.
        geom = shapely.simplify(shapely.boundary(geom), 1.0)
        shapely.prepare(geom)
        out[code] = geom
    return out


def border_km(lat: np.ndarray, lon: np.ndarray, days: np.ndarray) -> np.ndarray:
    """km to the nearest border Russian forces attacked across on that day (NaN: no point).

    Coordinates are rounded to 0.05° (≈ 5 km) first: events cluster on the same places, so
    each distinct place is measured once, and a few km do not matter at this scale.
    """
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    out = np.full(lat.shape, np.nan)
    ok = np.isfinite(lat) & np.isfinite(lon)
    if not ok.any():
        return out
    grid = np.round(np.column_stack([lat[ok], lon[ok]]) * 20) / 20
    places, inverse = np.unique(grid, axis=0, return_inverse=True)
    x, y = _project(places[:, 1], places[:, 0])
    points = shapely.points(x, y)
    borders = _borders()
    russia = shapely.distance(points, borders["RUS"])
    belarus = shapely.distance(points, borders["BLR"])
    before = np.asarray(days)[ok] <= np.datetime64(BELARUS_UNTIL)
    inv = inverse.ravel()
    out[ok] = np.where(before, np.minimum(russia[inv], belarus[inv]), russia[inv])
    return out


def front_oblast(admin1: str, day: date) -> bool:
    """True when ``admin1`` had a ground front on ``day`` (:data:`FRONT_PERIODS`)."""
    return any(first <= day <= last and admin1 in oblasts
               for first, last, oblasts in FRONT_PERIODS)


def occupied(admin1: str, day: date) -> bool:
    return any(admin1 == code and day >= since for code, since in OCCUPIED)


def proximity(lat: np.ndarray, lon: np.ndarray, admin1: np.ndarray,
              days: np.ndarray) -> np.ndarray:
    """Score in [0, 1] per event: 1 = at the border, in occupied land; 0 = far from both.

    ``admin1`` is each event's first oblast code ('' when none), ``days`` its date
    (``datetime64[D]``). Events without coordinates use their oblast's representative point.
    """
    lat = np.array(lat, dtype=float)
    lon = np.array(lon, dtype=float)
    admin1 = np.asarray(admin1, dtype=object)
    days = np.asarray(days, dtype="datetime64[D]")
    missing = ~(np.isfinite(lat) & np.isfinite(lon))
    for i in np.flatnonzero(missing):
        code = admin1[i]
        if code and str(code).startswith("UA-"):
            try:
                lat[i], lon[i] = centroid(str(code))
            except KeyError:
                pass
    km = border_km(lat, lon, days)
    score = np.where(np.isfinite(km), np.exp(-np.nan_to_num(km, nan=1e9) / BORDER_KM), 0.0)
    keys = {}
    for i, (code, day) in enumerate(zip(admin1, days.astype(object), strict=True)):
        if not code:
            continue
        key = (code, day)
        if key not in keys:
            keys[key] = (1.0 if occupied(code, day) else
                         FRONT_OBLAST_SCORE if front_oblast(code, day) else 0.0)
        score[i] = max(score[i], keys[key])
    return score
