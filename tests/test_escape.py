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
