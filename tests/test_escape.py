import html

import pytest

from geo.escape import (
    for_map,
    for_markdown,
    for_spreadsheet,
    link_html,
    markdown_link,
    safe_links,
)
from tests.fixtures.payloads import HOSTILE


@pytest.mark.parametrize("payload", HOSTILE)
def test_for_map_round_trips_and_leaves_no_active_characters(payload):
    safe = for_map(payload)
    assert html.unescape(safe) == payload
    for ch in "<>\"'`${}\\":
        assert ch not in safe


@pytest.mark.parametrize("payload, expected", [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("-2+3", "'-2+3"), ("-12.5", "-12.5"), ("+3", "+3"), ("Kyiv", "Kyiv"),
    ("", ""), (None, None), (5, 5),
])
def test_for_spreadsheet_neutralises_formulas_only(payload, expected):
    assert for_spreadsheet(payload) == expected


def test_safe_links_keeps_only_http_urls():
    assert safe_links("https://a.org/x javascript:alert(1) ftp://b http://c.org data:x") == [
        "https://a.org/x", "http://c.org"]
    assert safe_links(None) == []


def test_link_html_escapes_url_and_label():
    out = link_html('https://a.org/"onmouseover=alert(1)')
    assert '"onmouseover' not in out and out.startswith('<a href="https://a.org/&quot;')
    assert link_html("javascript:alert(1)") == "javascript:alert(1)"


@pytest.mark.parametrize("payload", ["[x](javascript:alert(1))", "![img](http://x/y.png)",
                                     "# heading", "$x^2$", "<b>bold</b>", "**strong**"])
def test_for_markdown_disarms_markup(payload):
    out = for_markdown(payload)
    for token in ("[", "]", "(", "#", "$", "<", "*"):
        if token in payload:
            assert "\\" + token in out


def test_markdown_link_encodes_brackets_and_refuses_other_schemes():
    assert markdown_link("https://a.org/x)y") == "[https\\://a\\.org/x\\)y](https://a.org/x%29y)"
    assert "(" not in markdown_link("javascript:alert(1)").replace("\\(", "")


# Issue 14 item 5: these reached CSV/XLSX exports untouched (24 cells each in the review).
FORMULA_GAPS = ["＝1+1", "\ufeff=1+1", "\u200b=1+1", "|cmd' /C calc'!A0", "＋1+1", "－1+1",
                "＠SUM(A1)", "｜cmd", "\u200e\u200f=1", "\u3000=1+1", " =1+1", "\u2060@x",
                "﹦1+1", "-inf"]


@pytest.mark.parametrize("payload", FORMULA_GAPS)
def test_formula_gaps_fullwidth_invisible_prefix_and_pipe_are_neutralised(payload):
    assert for_spreadsheet(payload) == "'" + payload


@pytest.mark.parametrize("payload", ["-12.5", "+3", "-1e5", "Kyiv = capital", "a|b", "'quoted",
                                     "Київ", "\u200bKyiv"])
def test_formula_check_leaves_numbers_and_plain_text_alone(payload):
    assert for_spreadsheet(payload) == payload


def test_formula_gaps_do_not_reach_csv_or_xlsx_exports(store):
    import csv
    import io
    from datetime import date

    from openpyxl import load_workbook

    from geo.export import render
    from geo.filters import Filters
    from tests.conftest import make_events

    store.upsert(make_events([{"description": p, "location": p, "weapon_model": p}
                              for p in FORMULA_GAPS]))
    frame = store.events(Filters(), newest_first=False)
    fields = ("description", "location", "weapon_model")
    rows = list(csv.DictReader(io.StringIO(render(frame, "csv", exported_on=date(2024, 1, 1))
                                           .decode("utf-8"))))
    cells = [row[f] for row in rows for f in fields]
    sheet = load_workbook(io.BytesIO(render(frame, "xlsx", exported_on=date(2024, 1, 1)))).active
    header = [c.value for c in sheet[1]]
    cells += [sheet.cell(row=r, column=header.index(f) + 1).value
              for r in range(2, sheet.max_row + 1) for f in fields]
    assert len(cells) == 2 * 3 * len(FORMULA_GAPS)
    assert all(c.startswith("'") for c in cells), [c for c in cells if not c.startswith("'")]
