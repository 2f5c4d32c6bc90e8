"""Ukrainian and English: the catalogue is complete, every key the code uses exists, and the
pages, the legend and the exports speak the language the link asks for."""

import ast
import doctest
import html
import json
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from geo import i18n
from geo.cartography import title_from_filters
from geo.cli import main
from geo.filters import CERTAINTIES, Filters
from geo.mapplan import PRECISION_TEXT
from geo.maps import basemap_shapes_json
from geo.oblasts import OBLASTS
from geo.origins import CERTAINTIES as ORIGIN_CERTAINTIES
from geo.origins import origin_label
from geo.render import STEPS
from geo.schema import ENUMS, EVENT_TYPES, ORIGIN_BASES
from geo.taxonomy import FAMILIES
from geo.timeline import BINS, MEASURES, STACKS
from tests.test_pages import PAGES, run
from tests.test_pages import store_url as store_url  # noqa: F401  (the fixture)
from ui.exportview import SHARPNESS, SLOW

ROOT = Path(__file__).resolve().parents[1]
CYRILLIC = re.compile(r"[А-Яа-яІіЇїЄєҐґ]")
SOURCES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")),
           *sorted((ROOT / "ui").glob("*.py")), *sorted((ROOT / "geo").glob("*.py"))]


def test_doctests():
    assert doctest.testmod(i18n).failed == 0


def test_every_message_has_both_languages_and_the_same_placeholders():
    catalogue = i18n.messages()
    assert len(catalogue) > 50
    for key, texts in catalogue.items():
        assert set(texts) == set(i18n.LANGUAGES), key
        assert texts["en"].strip() and texts["uk"].strip(), key
        assert i18n.placeholders(texts["en"]) == i18n.placeholders(texts["uk"]), key
        if texts["en"] != texts["uk"] and key not in ("lang.en", "lang.uk"):
            assert CYRILLIC.search(texts["uk"]), f"{key}: the Ukrainian text has no Ukrainian"


def _used_keys() -> set[str]:
    """Literal message ids passed to t()/tr()/translate() anywhere in the code, and the
    f-string prefixes (``f"certainty.{c}"``) as ``prefix*``."""
    keys = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in ("t", "tr", "translate"):
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                keys.add(first.value)
            elif isinstance(first, ast.JoinedStr) and isinstance(first.values[0], ast.Constant):
                keys.add(first.values[0].value + "*")
    return keys


def test_every_key_used_in_the_code_is_in_the_catalogue():
    catalogue = i18n.messages()
    used = _used_keys()
    assert "filters.header" in used and "legend.origin" in used
    for key in used:
        if key.endswith("*"):
            assert any(k.startswith(key[:-1]) for k in catalogue), key
        else:
            assert key in catalogue, f"{key!r} is used in the code but has no translation"


def test_every_code_label_we_show_has_a_message():
    """The f-string keys (``t(f"stack.label.{s}")``…) cover every value they are built from."""
    catalogue = i18n.messages()
    families = [*[f"certainty.{c}" for c in CERTAINTIES],
                *[f"certainty.{c}.help" for c in CERTAINTIES],
                *[f"legend.{c}" for c in ORIGIN_CERTAINTIES if c != "unknown"],
                *[f"legend.filter.{c}" for c in CERTAINTIES],
                *[f"family.{f}" for f in FAMILIES], *[f"type.{e}" for e in EVENT_TYPES],
                *[f"measure.{m}" for m in MEASURES], *[f"stack.{s}" for s in STACKS],
                *[f"stack.label.{s}" for s in STACKS], *[f"export.step.{s}" for s in STEPS],
                *[f"title.timeline.{m}" for m in MEASURES], *[f"title.per.{b}" for b in BINS],
                *[f"basis.{b}" for b in ORIGIN_BASES], *[f"precision.{p}" for p in PRECISION_TEXT],
                *[f"lang.{lang}" for lang in i18n.LANGUAGES], *SHARPNESS, *SLOW.values()]
    missing = [key for key in families if key not in catalogue]
    assert not missing, missing


def test_translate_fills_placeholders_and_refuses_an_unknown_key():
    assert i18n.translate("metric.events.help", "uk", total="1,234") == "із 1,234 у сховищі"
    with pytest.raises(KeyError, match="no.such"):
        i18n.translate("no.such", "uk")


def test_dates_use_ukrainian_month_names_in_the_right_case():
    assert i18n.format_date(date(2023, 12, 30), "uk") == "30 грудня 2023"
    assert i18n.format_date(date(2024, 3, 1), "uk") == "1 березня 2024"
    assert i18n.format_date(date(2023, 12, 30), "en") == "30 December 2023"
    assert i18n.format_month(date(2024, 1, 5), "uk") == "січень 2024"


def test_every_oblast_has_a_ukrainian_name_from_the_bundled_table():
    for code, english in OBLASTS.items():
        name = i18n.oblast_name(code, english, "uk")
        assert CYRILLIC.search(name), code
        assert i18n.oblast_name(code, english, "en") == english
    assert i18n.oblast_name("UA-23", OBLASTS["UA-23"], "uk") == "Запорізька область"


def test_origin_labels_per_language():
    assert origin_label("PRK", "uk") == "КНДР (PRK)"
    assert origin_label("RUS;PRK", "uk") == "Росія / КНДР (RUS/PRK)"
    assert origin_label("PRK") == "North Korea (PRK)"
    assert origin_label("", "uk") == "Країна розробки невідома"


def test_browser_language_picks_the_first_we_have():
    assert i18n.language_from_header("uk-UA,uk;q=0.9,en;q=0.8") == "uk"
    assert i18n.language_from_header("en-US,en;q=0.9,uk;q=0.8") == "en"
    assert i18n.language_from_header("fr-FR,fr;q=0.9") == "en"
    assert i18n.language_from_header(None) == "en"


HEADINGS_UK = {"app.py": "Salvo", "pages/1_Map.py": "Мапа", "pages/2_Timeline.py": "Хронологія",
               "pages/3_Events.py": "Події", "pages/4_Import.py": "Імпорт подій",
               "pages/5_About.py": "Про Salvo"}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_in_ukrainian(store_url, page):  # noqa: F811
    at = run(page, {"lang": "uk"})
    assert not at.exception, at.exception
    assert at.title[0].value == HEADINGS_UK[page]
    if page not in ("pages/4_Import.py", "pages/5_About.py"):
        assert at.sidebar.header[0].value == "Фільтри"
        assert any(m.label == "Події" for m in at.metric)
    assert not at.sidebar.warning  # a good lang= is no note


def test_ukrainian_legend_on_the_map_page(store_url):  # noqa: F811
    at = run("pages/1_Map.py", {"lang": "uk", "origin": "PRK"})
    assert not at.exception
    html = " ".join(str(getattr(e.proto, "body", "")) for e in at.main if hasattr(e, "proto"))
    assert "Країна розробки зброї" in html and "Weapon origin" not in html
    assert any("На мапі:" in c.value for c in at.caption)


def test_bad_language_is_a_visible_note_and_english(store_url):  # noqa: F811
    at = run("pages/1_Map.py", {"lang": "xx"})
    assert not at.exception
    assert any("lang='xx'" in w.value for w in at.sidebar.warning)
    assert at.title[0].value == "Map"


def test_language_stays_in_the_address_and_the_links(store_url):  # noqa: F811
    at = run("pages/3_Events.py", {"lang": "uk", "origin": "PRK"})
    assert at.query_params["lang"] == ["uk"] or at.query_params["lang"] == "uk"
    links = [link for link in at.sidebar if type(link).__name__ == "PageLink"
             or getattr(getattr(link, "proto", None), "page", "")]
    assert links, "no navigation links"
    assert any("Хронологія" in str(link.proto) and "lang=uk" in str(link.proto)
               for link in links)


def test_title_from_filters_in_ukrainian():
    f = Filters(origins=("PRK",), oblasts=("UA-63",), date_from=date(2023, 12, 30),
                date_to=date(2024, 2, 7))
    title = title_from_filters(f, lang="uk")
    assert "КНДР" in title and "Харківська область" in title
    assert "30 грудня 2023" in title and "7 лютого 2024" in title


@pytest.mark.parametrize("fmt", ["svg-map", "svg-timeline"])
def test_export_with_lang_uk_has_a_ukrainian_title(tmp_path, fmt):
    store = tmp_path / "bundled.duckdb"
    assert main(["import", str(ROOT / "data" / "events.csv"), "--store", str(store)]) == 0
    out = tmp_path / f"out.{fmt}"
    assert main(["export", "--store", str(store), "--format", fmt, "--out", str(out),
                 "--origin", "PRK", "--from", "2023-12-30", "--to", "2024-02-07",
                 "--exported-on", "2026-05-01", "--lang", "uk"]) == 0
    text = html.unescape(out.read_text(encoding="utf-8"))
    assert "країна розробки — КНДР" in text
    assert "30 грудня 2023 – 7 лютого 2024" in text
    assert "weapons of North Korean origin" not in text
    assert "Експортовано із Salvo 1 травня 2026" in text and "Подій:" in text


def test_event_detail_in_ukrainian(store_url):  # noqa: F811
    at = run("pages/3_Events.py", {"lang": "uk", "event": "salvo-curated-0001"})
    assert not at.exception
    text = "\n".join(m.value for m in at.markdown)
    assert "**Країна розробки:** Росія \\(RUS\\)" in text
    assert "**Місце:** Kyiv · Київ" in text  # the source's place name stays as written
    assert "**Кількість:** запущено 6, знищено 6" in text
    assert at.subheader[0].value == "Вибрана подія"


def test_live_map_labels_oblasts_in_ukrainian():
    uk = json.loads(basemap_shapes_json("uk"))
    labels = [name for _lat, _lon, name in uk["labels"]["oblasts"]]
    assert len(labels) == 25 and all(CYRILLIC.search(n) for n in labels), labels
    assert "Харківська" in labels and "АР Крим" in labels
    hover = {f["properties"]["iso"]: f["properties"]["label"] for f in uk["oblasts"]["features"]}
    assert hover["UA-63"] == "Харківська область (UA-63)"
    english = json.loads(basemap_shapes_json())
    assert "Kharkiv" in [name for _lat, _lon, name in english["labels"]["oblasts"]]


def test_events_table_shows_our_codes_in_ukrainian_and_keeps_unknown_values():
    frame = pd.DataFrame({"event_type": ["impact", "attack"],
                          "origin_basis": ["reported", "ambiguous"],
                          "geo_precision": ["exact", None], "verification": ["reported", "x"],
                          "weapon_origin": ["RUS;PRK", "IRN"]})
    shown = i18n.label_table(frame, "uk")
    assert list(shown["event_type"]) == ["влучання", "атака"]
    assert list(shown["origin_basis"]) == ["заявлено", "неоднозначно"]
    assert list(shown["geo_precision"]) == ["точно", ""]
    assert list(shown["verification"]) == ["повідомлено", "x"]
    assert list(shown["weapon_origin"]) == ["RUS;PRK", "IRN"]  # ISO codes stay codes
    assert i18n.label_table(frame, "en") is frame
    assert list(frame["event_type"]) == ["impact", "attack"]  # the data is not changed


def test_every_code_of_a_table_column_has_a_short_label():
    catalogue = i18n.messages()
    for column, prefix in i18n.TABLE_CODES.items():
        for code in ENUMS[column]:
            assert f"{prefix}.{code}" in catalogue, (column, code)
