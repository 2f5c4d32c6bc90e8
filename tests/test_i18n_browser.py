"""The language switch in a real Chromium: ``?lang=uk`` gives the Ukrainian legend and keeps
the language in the link; a bad ``lang`` is a visible note."""

from __future__ import annotations

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the marker's hook reports a missing browser (a failure under CI)
    expect = None

from tests.browser import goto, query_of, wait_for_app

pytestmark = pytest.mark.browser


def test_map_in_ukrainian_shows_the_ukrainian_legend(page):
    goto(page, "/Map?lang=uk&origin=PRK")
    wait_for_app(page, metric=False)
    main = page.get_by_test_id("stMain")
    for text in ("Мапа", "Країна розробки зброї", "КНДР (PRK)", "Як відома країна розробки",
                 "Розмір = точність місця", "Події"):
        expect(main).to_contain_text(text)
    expect(page.get_by_test_id("stSidebar")).to_contain_text("Фільтри")
    assert query_of(page.url).get("lang") == ["uk"]
    assert page.external_requests == []


def test_bad_language_is_a_note_in_english(page):
    goto(page, "/Map?lang=xx")
    wait_for_app(page, metric=False)
    expect(page.get_by_test_id("stSidebar")).to_contain_text("Ignored lang='xx'")
    expect(page.get_by_test_id("stMain")).to_contain_text("Weapon origin")
