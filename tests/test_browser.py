"""The dashboard in a real browser: Debian Chromium + Playwright against `streamlit run`.

One server and one browser for the whole module; each test gets a fresh context whose
requests to any host but the loopback are aborted (and must not happen). Expected numbers
come from the server's own store file. Screenshots for the README are written only with
SALVO_WRITE_SCREENSHOTS=1.
"""

from __future__ import annotations

import re
import time

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # conftest skips (locally) or fails (CI) every browser test then
    expect = None

from geo.filters import Filters
from tests.browser import (
    PAGE_LOADS,
    TIMEOUT_MS,
    click_circle,
    count_circle_markers,
    drag,
    events_metric,
    goto,
    map_frame,
    metric,
    new_page,
    plot_area,
    query_of,
    record_timing,
    screenshot,
    settle_map,
    wait_for_app,
    wait_for_map,
)

pytestmark = pytest.mark.browser

KHARKIV = (49.98177, 36.25475)  # two bundled KN-23 impacts share this settlement centre
KHARKIV_DATES = ("2024-01-02", "2024-02-07")
OBLASTS = 27


def sidebar(page):
    return page.get_by_test_id("stSidebar")


def chips(page, label: str):
    """Selected-value chips of a sidebar multiselect containing ``label``."""
    return sidebar(page).get_by_test_id("stMultiSelectTagsContainer").filter(has_text=label)


def test_overview_loads_offline_with_the_bundled_count(page, e2e_counts):
    cold = PAGE_LOADS[0] == 0
    start = time.monotonic()
    goto(page, "/")
    events_metric(page).wait_for(state="visible")
    elapsed = time.monotonic() - start
    record_timing(f"Overview: navigation → Events metric visible "
                  f"({'cold server, first page load' if cold else 'warm server'})", elapsed)
    wait_for_app(page)

    expected = e2e_counts.count(Filters())
    assert expected >= 20  # the bundled curated events
    assert metric(page) == expected
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert page.external_requests == []
    screenshot(page, "overview")


def test_map_draws_offline_basemap_and_every_point(page, e2e_counts):
    start = time.monotonic()
    goto(page, "/Map")
    frame = wait_for_map(page)
    first_path = time.monotonic() - start
    events_metric(page).wait_for(state="visible")
    record_timing("Map: navigation → first Leaflet path drawn", first_path)
    record_timing("Map: navigation → Events metric visible", time.monotonic() - start)

    kinds = e2e_counts.store.count_by_kind(Filters())
    shaded = len(e2e_counts.store.area_counts(Filters()))
    assert kinds["point"] >= 2 and shaded >= 1
    expected_paths = OBLASTS + kinds["point"] + shaded
    settle_map(page, expected_paths)

    paths = frame.locator("path.leaflet-interactive").count()
    assert paths >= expected_paths, (paths, expected_paths)
    assert count_circle_markers(page) == kinds["point"]  # one symbol per point event
    assert frame.locator("img.leaflet-tile").count() == 0
    assert metric(page) == e2e_counts.count(Filters())
    assert page.external_requests == []
    assert page.page_errors == []
    page.wait_for_timeout(300)  # let Leaflet finish painting before the picture
    screenshot(page, "map")


def test_clicking_a_symbol_opens_popup_and_detail_panel(page):
    goto(page, "/Map")
    wait_for_map(page)
    wait_for_app(page)

    click_circle(page, *KHARKIV)
    popup = map_frame(page).locator(".leaflet-popup-content")
    expect(popup).to_be_visible()
    text = popup.inner_text()
    assert any(d in text for d in KHARKIV_DATES), text
    assert "North Korea" in text and "KN-23" in text

    # The click round-trips to Python: both events at this position are listed below the map.
    heading = page.get_by_role("heading", name="2 events here")
    expect(heading).to_be_visible(timeout=TIMEOUT_MS)
    main = page.get_by_test_id("stMain")
    for day in KHARKIV_DATES:
        expect(main).to_contain_text(day)
    sources = main.get_by_test_id("stMarkdownContainer").filter(
        has_text=re.compile(r"^\s*Sources:"))
    expect(sources.first).to_be_visible()
    links = sources.first.locator('a[href^="https://"]')
    assert links.count() >= 1
    expect(links.first).to_be_visible()
    expect(links.first).to_be_enabled()
    # The selection is part of the address (issue 4: a copied link shows the same event).
    expect(page).to_have_url(re.compile(r"[?&]event=salvo-curated-\d+"))
    assert page.external_requests == []


def test_timeline_brush_sets_the_date_filter(page, e2e_counts):
    goto(page, "/Timeline")
    wait_for_app(page)
    chart = page.locator(".vega-embed").first
    expect(chart.locator("svg, canvas").first).to_be_visible()
    before = metric(page)
    assert before == e2e_counts.count(Filters())
    assert "from=" not in page.url

    drag(page, plot_area(page), 0.3, 0.55)
    expect(page).to_have_url(re.compile(r"[?&]from=\d{4}-\d\d-\d\d.*[?&]to=\d{4}-\d\d-\d\d"),
                             timeout=TIMEOUT_MS)
    wait_for_app(page)
    query = query_of(page.url)
    expected = e2e_counts.for_query(query)
    expect(events_metric(page).get_by_test_id("stMetricValue")).to_have_text(f"{expected:,}")
    assert metric(page) <= before

    # The sidebar date widget shows the brushed period.
    dates = sidebar(page).get_by_test_id("stDateInput").locator('input[type="date"]')
    shown = dates.evaluate_all("els => els.map(e => e.value)")
    assert shown == [query["from"][0], query["to"][0]], shown
    assert page.external_requests == []


def test_deep_link_restores_filters(page, e2e_counts):
    link = "/Map?origin=PRK&from=2023-12-01&to=2024-01-31"
    goto(page, link)
    wait_for_app(page)
    expected = e2e_counts.for_query(query_of(link))
    assert expected >= 4
    assert metric(page) == expected
    expect(chips(page, "North Korea (PRK)")).to_be_visible()
    assert page.external_requests == []


def test_filters_survive_a_page_switch(page, e2e_counts):
    goto(page, "/?origin=IRN")
    wait_for_app(page)
    expected = e2e_counts.for_query({"origin": ["IRN"]})
    assert 0 < expected < e2e_counts.count(Filters())
    assert metric(page) == expected

    sidebar(page).get_by_role("link", name="Timeline", exact=True).click()
    expect(page).to_have_url(re.compile(r"/Timeline\?(.*&)?origin=IRN"))
    expect(page.get_by_role("heading", name="Timeline", exact=True)).to_be_visible()
    wait_for_app(page)
    expect(events_metric(page).get_by_test_id("stMetricValue")).to_have_text(f"{expected:,}")
    expect(chips(page, "Iran (IRN)")).to_be_visible()
    assert page.external_requests == []


def test_copied_link_reproduces_the_view(page, browser, server):
    goto(page, "/Events?origin=PRK&event=salvo-curated-0005")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Selected event")).to_be_visible()
    first_count = metric(page)
    copied = page.url
    assert "origin=PRK" in copied and "event=salvo-curated-0005" in copied

    other = new_page(browser, server.url)  # a new context: nothing shared but the link
    try:
        other.goto(copied, wait_until="domcontentloaded")
        wait_for_app(other)
        assert metric(other) == first_count
        panel = other.get_by_test_id("stMain")
        expect(other.get_by_role("heading", name="Selected event")).to_be_visible()
        expect(panel).to_contain_text("Zaporizhzhia")
        expect(panel).to_contain_text("salvo-curated-0005")
        assert other.external_requests == []
    finally:
        other.context.close()


def test_hostile_query_parameters_render_safely(page):
    goto(page, "/Map?q=%7B%7B7*7%7D%7D&origin=%3Cscript%3E")
    wait_for_app(page)
    expect(sidebar(page).get_by_text("Ignored origin", exact=False)).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert metric(page) == 0  # the literal text "{{7*7}}" matches nothing
    # The search box holds the text as typed, not a rendered template.
    assert sidebar(page).get_by_role("textbox", name="Text search").input_value() == "{{7*7}}"
    page.wait_for_timeout(500)  # a dialog from injected script would fire on render
    assert page.dialogs == []
    assert page.external_requests == []
