"""Ukraine's 27 first-level units: polygons, name → ISO code, point → unit.

Everything is keyed by ISO 3166-2 code (``UA-05`` … ``UA-77``) because every source spells the
names differently (``Zaporizhia``, ``Zaporiz'ka oblast``, ``Saporischschja``…) and two sources
even swap the GeoNames codes of Kyiv city and Kyiv oblast. Crimea (UA-43) and Sevastopol
(UA-40) are Ukrainian units here, as in international law.

Polygons come from geoBoundaries UKR ADM1 (CC BY 4.0; see ``data/oblasts.PROVENANCE.md``):
points are assigned with ``data/oblasts_lookup.geojson`` (simplified only as far as measured
assignment stays right, coastal waters included), maps draw the lighter, coast-clipped
``data/oblasts.geojson``. Name variants come from ``data/oblast_names.csv``.
"""

from __future__ import annotations

import csv
import difflib
import functools
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geo.settings import DATA_DIR

OBLASTS: dict[str, str] = {
    "UA-05": "Vinnytsia",
    "UA-07": "Volyn",
    "UA-09": "Luhansk",
    "UA-12": "Dnipropetrovsk",
    "UA-14": "Donetsk",
    "UA-18": "Zhytomyr",
    "UA-21": "Zakarpattia",
    "UA-23": "Zaporizhzhia",
    "UA-26": "Ivano-Frankivsk",
    "UA-30": "Kyiv city",
    "UA-32": "Kyiv oblast",
    "UA-35": "Kirovohrad",
    "UA-40": "Sevastopol",
    "UA-43": "Crimea",
    "UA-46": "Lviv",
    "UA-48": "Mykolaiv",
    "UA-51": "Odesa",
    "UA-53": "Poltava",
    "UA-56": "Rivne",
    "UA-59": "Sumy",
    "UA-61": "Ternopil",
    "UA-63": "Kharkiv",
    "UA-65": "Kherson",
    "UA-68": "Khmelnytskyi",
    "UA-71": "Cherkasy",
    "UA-74": "Chernihiv",
    "UA-77": "Chernivtsi",
}

OBLASTS_FILE: Path = DATA_DIR / "oblasts.geojson"  # drawn on maps (coast-clipped, lighter)
LOOKUP_FILE: Path = DATA_DIR / "oblasts_lookup.geojson"  # point → oblast (accurate)
COUNTRIES_FILE: Path = DATA_DIR / "countries.geojson"
NAMES_FILE: Path = DATA_DIR / "oblast_names.csv"

# geoBoundaries includes coastal waters, yet a few harbour and pier points still fall just
# outside. Points this close to an oblast (degrees: ≈3.3 km north-south, ≈2.2 km east-west)
# that lie in no neighbouring country and are no closer than this to one are given to it; near
# a land border an unclaimed point is more likely the neighbour's than ours.
COAST_TOLERANCE = 0.03
# Typo matching: difflib ratio needed (Kharviv/Kharkiv = 0.857). Lower lets Russian oblasts in.
FUZZY_CUTOFF = 0.85
_FUZZY_MIN_LENGTH = 5

_APOSTROPHES = str.maketrans("", "", "'’‘ʹʼ´`")
_PARENTHESES = re.compile(r"\([^)]*\)")
_NON_WORD = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    """Casefold and strip accents and apostrophes (NFKD, so й → и and ї → і on both sides)."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain.casefold().translate(_APOSTROPHES)


_UNIT_WORDS = frozenset(map(_fold, ("oblast", "oblasti", "obl", "region", "obwód", "область",
                                    "області", "обл", "области")))
_COUNTRY_WORDS = frozenset(map(_fold, ("Ukraine", "Ukraina", "Україна", "Украина")))


def _tokens(text: str) -> tuple[list[str], bool]:
    """Normalised name tokens, and whether the text carried a unit word (oblast, region…)."""
    plain = _PARENTHESES.sub(" ", _fold(str(text)))
    tokens = _NON_WORD.sub(" ", plain).split()
    kept: list[str] = []
    qualified = False
    for token in tokens:
        if token in _UNIT_WORDS or _is_unit_typo(token):
            qualified = True
        elif token not in _COUNTRY_WORDS:
            kept.append(token)
    return kept, qualified


def _is_unit_typo(token: str) -> bool:
    """``Obalst``, ``Olast``, ``oblas``: misspelt 'oblast' is still a unit word, not a name."""
    return len(token) >= 4 and difflib.SequenceMatcher(None, token, "oblast").ratio() >= 0.8


def normalise_name(text: str) -> str:
    """Fold a place name to a comparison key: case, accents, apostrophes and unit words gone.

    Apostrophes vanish rather than split (``Zaporiz'ka`` = ``Zaporizka``) and a trailing
    ``, Ukraine`` is dropped, because sources add or omit both at random.

    >>> normalise_name("  Kharkivs’ka  Oblast’, ")
    'kharkivska'
    >>> normalise_name("Oblast Donezk")
    'donezk'
    """
    return " ".join(_tokens(text)[0])


@functools.lru_cache(maxsize=1)
def _name_index() -> tuple[dict[str, str], dict[str, str]]:
    """Two key → ISO maps from the variants table: bare names, and names given with a unit word.

    They are kept apart for one reason: bare "Kyiv" is the city (UA-30) while "Kyiv oblast" is
    the surrounding oblast (UA-32). A key that maps to two codes within one map is a table bug.
    """
    bare: dict[str, str] = {}
    with_unit: dict[str, str] = {}
    with NAMES_FILE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            iso, variant = row["iso"].strip(), row["variant"]
            if iso not in OBLASTS:
                raise ValueError(f"{NAMES_FILE.name}: unknown code {iso!r} for {variant!r}")
            tokens, qualified = _tokens(variant)
            key = " ".join(tokens)
            if not key:
                raise ValueError(f"{NAMES_FILE.name}: {variant!r} has no name left")
            index = with_unit if qualified else bare
            if index.setdefault(key, iso) != iso:
                raise ValueError(f"{NAMES_FILE.name}: {variant!r} is both {index[key]} and {iso}")
    return bare, with_unit


def _exact(key: str, qualified: bool) -> str | None:
    """Bare text only matches bare variants (bare "Kiyv" must not become Kyiv *oblast*);
    text with a unit word prefers unit variants, then any name ("Lemberg oblast")."""
    bare, with_unit = _name_index()
    if qualified:
        return with_unit.get(key) or bare.get(key)
    return bare.get(key)


def _fuzzy(key: str) -> str | None:
    """The one unit whose variants resemble ``key`` closely; None if zero or several do."""
    if len(key) < _FUZZY_MIN_LENGTH:
        return None
    bare, with_unit = _name_index()
    candidates = {**bare, **with_unit}
    matcher = difflib.SequenceMatcher(b=key)
    hits: set[str] = set()
    for variant, iso in candidates.items():
        matcher.set_seq1(variant)
        # The cheap upper bounds first: ratio() itself is the slow part.
        if min(matcher.real_quick_ratio(), matcher.quick_ratio()) >= FUZZY_CUTOFF:
            if matcher.ratio() >= FUZZY_CUTOFF:
                hits.add(iso)
    return hits.pop() if len(hits) == 1 else None


@functools.lru_cache(maxsize=8192)
def oblast_for_name(text: str) -> str | None:
    """ISO 3166-2 code of the unit a free-text name refers to, or None if unsure.

    Order: exact match on the normalised name; then, for ``"place, region"`` text, the parts
    (accepted only if every part that resolves agrees, so a list such as
    ``"Kryvyi Rih, Kharkiv, Vinnytsia"`` gives None); then, if the text carries a unit word
    (oblast, region, область…), a strict typo match that must point at a single unit. Non-units
    (``Donbass``, ``Black Sea``, Russian oblasts) give None: callers must not invent a unit.

    >>> oblast_for_name("Kyiv"), oblast_for_name("Kyiv oblast"), oblast_for_name("Kharviv Oblast")
    ('UA-30', 'UA-32', 'UA-63')
    """
    if not isinstance(text, str) or not text.strip():
        return None
    tokens, qualified = _tokens(text)
    key = " ".join(tokens)
    if not key:
        return None
    found = _exact(key, qualified)
    if found:
        return found
    parts = [part for part in text.split(",") if part.strip()]
    if len(parts) > 1:
        codes = {code for code in map(oblast_for_name, parts) if code}
        return codes.pop() if len(codes) == 1 else None
    # Typo matching only for text that says it is a unit: bare words are too often places
    # named after an oblast (Chernihivka is a town in Zaporizhzhia oblast, not Chernihiv).
    return _fuzzy(key) if qualified else None


@functools.lru_cache(maxsize=1)
def load_oblasts() -> gpd.GeoDataFrame:
    """The 27 units (iso, name, name_uk, geometry) in EPSG:4326, sorted by ISO code.

    These are the accurate polygons points are assigned with (coastal waters included); maps
    draw :data:`OBLASTS_FILE` instead. Cached for the process: treat the returned frame as
    read-only (copy before changing it).
    """
    frame = gpd.read_file(LOOKUP_FILE, engine="pyogrio")
    frame = frame[["iso", "name", "name_uk", "geometry"]].set_crs("EPSG:4326", allow_override=True)
    return frame.sort_values("iso", ignore_index=True)


class _Index:
    """Prepared polygons plus their bounds: point-in-polygon on raw x/y arrays, no Points built."""

    def __init__(self, codes: Sequence[str], geoms: np.ndarray):
        self.codes = list(codes)
        self.geoms = np.asarray(geoms, dtype=object)
        shapely.prepare(self.geoms)
        self.bounds = shapely.bounds(self.geoms)
        self.tree = shapely.STRtree(self.geoms)

    def locate(self, x: np.ndarray, y: np.ndarray, todo: np.ndarray) -> np.ndarray:
        """Code of the polygon holding each point where ``todo`` is set ('' elsewhere)."""
        out = np.full(x.shape, "", dtype="<U5")
        free = todo.copy()
        for code, geom, (minx, miny, maxx, maxy) in zip(
            self.codes, self.geoms, self.bounds, strict=True
        ):
            cand = np.flatnonzero(free & (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy))
            if cand.size:
                hit = cand[shapely.intersects_xy(geom, x[cand], y[cand])]
                out[hit] = code
                free[hit] = False
        return out


@functools.lru_cache(maxsize=1)
def _oblast_index() -> _Index:
    frame = load_oblasts()
    return _Index(frame["iso"].tolist(), frame.geometry.to_numpy())


@functools.lru_cache(maxsize=1)
def _coast_band() -> shapely.Geometry:
    """Ukraine grown by COAST_TOLERANCE, prepared: a cheap filter before the costly nearest.

    Built from a simplified outline grown by the simplification's tolerance too, so it still
    holds every point within COAST_TOLERANCE; buffering the full outline would take seconds.
    """
    outline = shapely.simplify(load_oblasts().union_all(), _BAND_SIMPLIFY)
    band = shapely.buffer(outline, COAST_TOLERANCE + _BAND_SIMPLIFY)
    shapely.prepare(band)
    return band


_BAND_SIMPLIFY = 0.005


@functools.lru_cache(maxsize=1)
def _edges() -> tuple[shapely.STRtree, np.ndarray]:
    """Every ring segment of every unit in a tree, with its unit's code.

    The nearest unit to a point outside all units is the owner of the nearest segment. Asking
    the tree of whole polygons instead measures the distance to each candidate polygon in
    full: ten times slower with the detailed lookup polygons.
    """
    frame = load_oblasts()
    rings, unit = shapely.get_parts(shapely.boundary(frame.geometry.to_numpy()),
                                    return_index=True)
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[:-1] == ring[1:]
    segments = shapely.linestrings(np.stack([xy[:-1][same], xy[1:][same]], axis=1))
    codes = frame["iso"].to_numpy(dtype="<U5")[unit[ring[:-1][same]]]
    return shapely.STRtree(segments), codes


@functools.lru_cache(maxsize=1)
def _country_index() -> _Index:
    frame = gpd.read_file(COUNTRIES_FILE, engine="pyogrio")
    return _Index(frame["iso3"].tolist(), frame.geometry.to_numpy())


def _lookup(lat: object, lon: object) -> tuple[np.ndarray, np.ndarray]:
    """Oblast code and neighbour alpha-3 per point ('' where none); one pass serves both."""
    y = np.asarray(lat, dtype=float).ravel()
    x = np.asarray(lon, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"lat and lon differ in length: {y.size} != {x.size}")
    finite = np.isfinite(x) & np.isfinite(y)
    oblasts = _oblast_index()
    oblast = oblasts.locate(x, y, finite)
    country = _country_index().locate(x, y, finite & (oblast == ""))
    # Off-shore, or in the thin gap a simplified shoreline leaves: nearest unit within tolerance.
    stray = np.flatnonzero(finite & (oblast == "") & (country == ""))
    if stray.size:
        stray = stray[shapely.intersects_xy(_coast_band(), x[stray], y[stray])]
    if stray.size:
        near_neighbour, _ = _country_index().tree.query(
            shapely.points(x[stray], y[stray]), predicate="dwithin", distance=COAST_TOLERANCE)
        stray = np.delete(stray, near_neighbour)
    if stray.size:
        tree, codes = _edges()
        points = shapely.points(x[stray], y[stray])
        pos, nearest = tree.query_nearest(points, max_distance=COAST_TOLERANCE)
        # Ties (a point equidistant from two units) keep the first; both are equally right.
        pos, first = np.unique(pos, return_index=True)
        oblast[stray[pos]] = codes[nearest[first]]
    return oblast, country


def oblasts_for_points(lat: object, lon: object) -> np.ndarray:
    """ISO code of the unit each point lies in ('' outside Ukraine or for missing coordinates).

    Vectorised (100k points ≈ 0.1 s). Points in the sea within :data:`COAST_TOLERANCE` of a
    unit get that unit; points inside a neighbouring country, or that close to one, never do.
    """
    return _lookup(lat, lon)[0]


def countries_for_points(lat: object, lon: object) -> np.ndarray:
    """ISO alpha-3 per point: 'UKR' in any unit (Crimea included), else the neighbour, else ''.

    Only countries around Ukraine are known (see ``data/countries.geojson``); farther points
    and open sea give ''.
    """
    oblast, country = _lookup(lat, lon)
    return np.where(oblast != "", "UKR", country)


@functools.cache
def centroid(iso: str) -> tuple[float, float]:
    """(lat, lon) of a point inside the unit, for placing its label.

    A representative point, not the centroid, so it is inside even for Kyiv oblast (which has
    Kyiv city as a hole). Never use it as an event location: that would fake precision.
    """
    frame = load_oblasts()
    match = frame.loc[frame["iso"] == iso, "geometry"]
    if match.empty:
        raise KeyError(f"unknown oblast code {iso!r}")
    point = match.iloc[0].representative_point()
    return round(point.y, 5), round(point.x, 5)
