"""Synthetic canonical events with realistic distributions, for benchmarks and payload tests.

Deterministic for a given (n, seed); vectorised, so 1M rows take a few seconds.

* dates 2022-02-24 … 2026-06-30, the daily rate rising ~3× over the period, a third with an
  hour-precision ``time_start``;
* 20 weapon models taken from ``data/weapons.csv`` with their catalogue class, origin and
  basis: five origin groups RUS, IRN, PRK, the ambiguous RUS;PRK (Iskander-M/KN-23) and
  unknown (no model / an unidentified drone);
* places: clusters around 20 cities plus a band along the front line, with mixed
  precisions — exact points, settlement centres (many events on one coordinate), district
  centres, oblast-only rows (some naming two oblasts), macro-region and country-only rows;
* descriptions of 80–300 characters with commas (so the CSV needs quoting), 1–2 source URLs.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from geo.schema import ATTRIBUTION_COLUMNS, COLUMNS, COUNT_COLUMNS, FLOAT_COLUMNS
from geo.settings import DATA_DIR
from geo.taxonomy import normalise_classes

# name, lat, lon, ISO 3166-2, weight
CITIES = (
    ("Kyiv", 50.4547, 30.5238, "UA-30", 10),
    ("Kharkiv", 49.9935, 36.2304, "UA-63", 14),
    ("Odesa", 46.4857, 30.7438, "UA-51", 8),
    ("Dnipro", 48.4647, 35.0462, "UA-12", 6),
    ("Zaporizhzhia", 47.8388, 35.1396, "UA-23", 9),
    ("Kherson", 46.6354, 32.6169, "UA-65", 10),
    ("Mykolaiv", 46.9750, 31.9946, "UA-48", 5),
    ("Sumy", 50.9077, 34.7981, "UA-59", 7),
    ("Kramatorsk", 48.7230, 37.5563, "UA-14", 6),
    ("Sloviansk", 48.8528, 37.6053, "UA-14", 4),
    ("Pokrovsk", 48.2826, 37.1758, "UA-14", 5),
    ("Kostiantynivka", 48.5277, 37.7069, "UA-14", 4),
    ("Nikopol", 47.5712, 34.3964, "UA-12", 6),
    ("Kryvyi Rih", 47.9105, 33.3918, "UA-12", 3),
    ("Chernihiv", 51.4982, 31.2893, "UA-74", 2),
    ("Lviv", 49.8397, 24.0297, "UA-46", 1),
    ("Poltava", 49.5883, 34.5514, "UA-53", 2),
    ("Bila Tserkva", 49.7968, 30.1311, "UA-32", 2),
    ("Vinnytsia", 49.2331, 28.4682, "UA-05", 1),
    ("Kupiansk", 49.7106, 37.6156, "UA-63", 5),
)
# Front line vertices (lat, lon, oblast of the segment that starts here).
FRONT = (
    (50.35, 36.95, "UA-63"), (49.85, 37.75, "UA-63"), (49.05, 38.05, "UA-14"),
    (48.55, 37.95, "UA-14"), (48.15, 37.45, "UA-14"), (47.75, 36.85, "UA-23"),
    (47.50, 35.90, "UA-23"), (47.40, 35.30, "UA-23"), (46.95, 34.10, "UA-65"),
    (46.75, 33.40, "UA-65"), (46.45, 32.30, "UA-65"),
)
OBLAST_WEIGHTS = {"UA-14": 10, "UA-23": 8, "UA-63": 8, "UA-59": 6, "UA-65": 6, "UA-12": 5,
                  "UA-09": 3, "UA-48": 2, "UA-51": 3, "UA-30": 2, "UA-32": 2, "UA-74": 1,
                  "UA-53": 1, "UA-46": 1, "UA-05": 1}
# Catalogue model → relative frequency. Five origin groups: RUS, IRN, PRK, RUS;PRK, unknown.
MODELS = {
    "Shahed-136/131": 30, "Shahed-136": 6, "Geran-3": 3, "Mohajer-6": 1,
    "Kh-101": 5, "Kalibr": 4, "Kh-47M2 Kinzhal": 2, "Iskander-M": 4, "Iskander-K": 1,
    "S-300": 6, "Kh-22": 1, "Kh-59": 2, "KAB": 8, "Gerbera": 5, "Lancet": 4, "Grad": 3,
    "Iskander-M/KN-23": 3, "KN-23": 2, "KN-25": 1, "Unknown UAV": 6,
}
PRECISIONS = {"exact": 34, "settlement": 26, "district": 10, "oblast": 18, "region": 3,
              "country": 9}
EVENT_TYPES = {"impact": 48, "interception": 20, "attack": 16, "debris": 10, "other": 6}
VERIFICATIONS = {"reported": 60, "unverified": 30, "verified": 10}
FIRST, LAST = date(2022, 2, 24), date(2026, 6, 30)

_WORDS = ("residential", "building", "damaged", "strike", "overnight", "regional",
          "administration", "reported", "windows", "infrastructure", "energy", "facility",
          "debris", "fell", "near", "warehouse", "fire", "emergency", "services", "roof",
          "private", "houses", "shelter", "district", "school", "power", "line", "civilian",
          "vehicle", "garage", "field", "crater", "air", "defence", "shot", "down", "drone")


def _weights(table: dict) -> tuple[list, np.ndarray]:
    keys = list(table)
    w = np.array([table[k] for k in keys], dtype=float)
    return keys, w / w.sum()


def _catalogue() -> dict[str, tuple[str, str, str]]:
    with open(DATA_DIR / "weapons.csv", encoding="utf-8", newline="") as handle:
        rows = {r["model"]: (normalise_classes(r["weapon_class"]), r["origin"], r["origin_basis"])
                for r in csv.DictReader(handle)}
    missing = [m for m in MODELS if m not in rows]
    if missing:
        raise RuntimeError(f"models not in data/weapons.csv: {missing}")
    return rows


def synth_events(n: int, seed: int = 5, start: int = 0) -> pd.DataFrame:
    """``n`` canonical rows (already valid: what a canonical CSV holds), typed like an import.

    ``start`` numbers the rows from there (ids ``syn-0000000`` + start…), so chunks generated
    with different seeds and starts make one file of unique events (:func:`write_chunks`)."""
    rng = np.random.default_rng(seed)
    out: dict[str, object] = {}

    # Dates: density rising ~3x over the period (∝ 1 + 2x; inverse CDF below).
    span = (LAST - FIRST).days + 1
    x = (np.sqrt(1 + 8 * rng.random(n)) - 1) / 2
    day = np.minimum((x * span).astype(int), span - 1)
    dates = np.datetime64(FIRST.isoformat()) + day.astype("timedelta64[D]")
    order = np.argsort(dates, kind="stable")
    dates = dates[order]
    out["event_date"] = np.datetime_as_string(dates, unit="D").astype(object)
    hour = rng.integers(0, 24, n)
    minute = rng.integers(0, 12, n) * 5
    timed = rng.random(n) < 0.33
    times = np.char.add(np.char.add(out["event_date"].astype(str), "T"),
                        np.char.add(np.char.zfill(hour.astype(str), 2),
                                    np.char.add(":", np.char.zfill(minute.astype(str), 2))))
    times = np.char.add(times, ":00+02:00")
    out["time_start"] = np.where(timed, times, "").astype(object)
    out["time_end"] = np.full(n, "", dtype=object)
    out["time_precision"] = np.where(timed, "hour", "day").astype(object)

    keys, p = _weights(EVENT_TYPES)
    etype = np.array(keys, dtype=object)[rng.choice(len(keys), n, p=p)]
    out["event_type"] = etype

    # Places.
    keys, p = _weights(PRECISIONS)
    precision = np.array(keys, dtype=object)[rng.choice(len(keys), n, p=p)]
    is_point = np.isin(precision, ["exact", "settlement", "district"])
    city_w = np.array([c[4] for c in CITIES], float)
    city = rng.choice(len(CITIES), n, p=city_w / city_w.sum())
    clat = np.array([c[1] for c in CITIES])[city]
    clon = np.array([c[2] for c in CITIES])[city]
    ciso = np.array([c[3] for c in CITIES], dtype=object)[city]
    cname = np.array([c[0] for c in CITIES], dtype=object)[city]
    lat = clat.copy()
    lon = clon.copy()
    exact = precision == "exact"
    lat[exact] += rng.normal(0, 0.06, exact.sum())
    lon[exact] += rng.normal(0, 0.09, exact.sum())
    district = precision == "district"
    lat[district] += rng.choice([-0.3, -0.15, 0.15, 0.3], district.sum())
    lon[district] += rng.choice([-0.4, -0.2, 0.2, 0.4], district.sum())
    # A third of the exact points are along the front line instead of near a city.
    front = exact & (rng.random(n) < 0.35)
    seg = rng.integers(0, len(FRONT) - 1, front.sum())
    t = rng.random(front.sum())
    a = np.array([f[:2] for f in FRONT])
    flat = a[seg, 0] + t * (a[seg + 1, 0] - a[seg, 0]) + rng.normal(0, 0.08, front.sum())
    flon = a[seg, 1] + t * (a[seg + 1, 1] - a[seg, 1]) + rng.normal(0, 0.12, front.sum())
    lat[front], lon[front] = flat, flon
    fiso = np.array([f[2] for f in FRONT], dtype=object)[seg]
    lat = np.round(lat, 5)
    lon = np.round(lon, 5)

    okeys, op = _weights(OBLAST_WEIGHTS)
    oblast = np.array(okeys, dtype=object)[rng.choice(len(okeys), n, p=op)]
    second = np.array(okeys, dtype=object)[rng.choice(len(okeys), n, p=op)]
    two = (precision == "oblast") & (rng.random(n) < 0.08) & (second != oblast)
    admin1 = np.where(is_point, ciso, "").astype(object)
    admin1[front] = fiso
    admin1 = np.where(precision == "oblast", oblast, admin1)
    admin1 = np.where(two, oblast + ";" + second, admin1).astype(object)
    out["country"] = np.full(n, "UKR", dtype=object)
    out["admin1"] = admin1
    location = np.where(precision == "settlement", cname,
                        np.where(exact, "near " + cname, np.where(district, cname + " district",
                                                                  "")))
    location = np.where(front, "front line", location)
    location = np.where(precision == "region", "southern Ukraine", location)
    out["location"] = location.astype(object)
    out["latitude"] = np.where(is_point, lat, np.nan)
    out["longitude"] = np.where(is_point, lon, np.nan)
    out["geo_precision"] = precision

    # Weapons from the catalogue.
    cat = _catalogue()
    mkeys, mp = _weights(MODELS)
    model = np.array(mkeys, dtype=object)[rng.choice(len(mkeys), n, p=mp)]
    no_model = rng.random(n) < 0.04
    out["weapon_model"] = np.where(no_model, "", model).astype(object)
    klass = np.array([cat[m][0] for m in mkeys], dtype=object)
    origin = np.array([cat[m][1] for m in mkeys], dtype=object)
    basis = np.array([cat[m][2] for m in mkeys], dtype=object)
    code = pd.Categorical(model, categories=mkeys).codes
    out["weapon_class"] = np.where(no_model, "", klass[code]).astype(object)
    out["weapon_origin"] = np.where(no_model, "", origin[code]).astype(object)
    out["origin_basis"] = np.where(no_model, "unknown", basis[code]).astype(object)

    attack = etype == "attack"
    launched = np.where(attack, rng.integers(1, 80, n), -1)
    destroyed = np.where(attack & (rng.random(n) < 0.8),
                         np.floor(launched * rng.uniform(0.5, 1.0, n)), -1).astype(int)
    fat = np.where((etype == "impact") & (rng.random(n) < 0.2), rng.poisson(1.2, n), -1)
    inj = np.where((etype == "impact") & (rng.random(n) < 0.3), rng.poisson(3.0, n), -1)
    for name, values in (("launched", launched), ("destroyed", destroyed), ("hits", None),
                         ("fatalities", fat), ("injured", inj)):
        if values is None:
            out[name] = pd.array([pd.NA] * n, dtype="Int64")
        else:
            out[name] = pd.array(np.where(values < 0, 0, values), dtype="Int64")
            out[name][values < 0] = pd.NA
    out["actor"] = np.where(rng.random(n) < 0.9, "Russia", "").astype(object)

    # Descriptions: 4,096 sentences of 12–41 words, each row's made unique by its number.
    words = np.array(_WORDS, dtype=object)
    lengths = rng.integers(12, 42, 4096)
    picks = rng.integers(0, len(words), (4096, 42))
    pool = [" ".join(words[picks[i, :6]]) + ", " + " ".join(words[picks[i, 6:lengths[i]]])
            for i in range(4096)]
    desc = [f"{pool[j]} (report {i})." for i, j in enumerate(rng.integers(0, 4096, n), start)]
    out["description"] = np.array(desc, dtype=object)
    number = np.arange(start, start + n)
    ids = np.char.add("syn-", np.char.zfill(number.astype(str), 7)).astype(object)
    two_src = rng.random(n) < 0.3
    src = np.char.add("https://news.example.org/2024/item/", number.astype(str))
    src2 = np.char.add(np.char.add(src, " https://t.example.net/ch/"),
                       rng.integers(1, 10**6, n).astype(str))
    out["sources"] = np.where(two_src, src2, src).astype(object)
    out["source_dataset"] = np.full(n, "synthetic", dtype=object)
    out["source_id"] = ids.copy()
    keys, p = _weights(VERIFICATIONS)
    out["verification"] = np.array(keys, dtype=object)[rng.choice(len(keys), n, p=p)]
    out["event_id"] = ids
    for column in ATTRIBUTION_COLUMNS:  # no attribution in synthetic rows
        out[column] = np.full(n, "", dtype=object)

    frame = pd.DataFrame({
        c: (pd.Series(out[c], dtype="Int64") if c in COUNT_COLUMNS
            else pd.Series(out[c], dtype="float64") if c in FLOAT_COLUMNS
            else pd.Series(out[c], dtype=object))
        for c in COLUMNS})
    return frame


def write_canonical_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """A canonical CSV (header = canonical columns; minimal RFC 4180 quoting; LF)."""
    path = Path(path)
    frame[list(COLUMNS)].to_csv(path, index=False, lineterminator="\n", encoding="utf-8",
                                quoting=csv.QUOTE_MINIMAL)
    return path


def write_chunks(n: int, path: str | Path, chunk: int = 1_000_000, seed: int = 5) -> Path:
    """A canonical CSV of ``n`` rows written ``chunk`` rows at a time (10M rows never sit in
    memory at once). Each chunk spans the whole period, so the file is not in date order."""
    path = Path(path)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        for k, first in enumerate(range(0, n, chunk)):
            frame = synth_events(min(chunk, n - first), seed=seed + k, start=first)
            frame[list(COLUMNS)].to_csv(handle, index=False, header=k == 0,
                                        lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return path
