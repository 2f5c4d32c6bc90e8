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
    badge_at,
    click_in_map,
    count_circle_markers,
    drag,
    events_metric,
    goto,
    map_frame,
    map_view,
    metric,
    new_page,
    oblasts_outside_view,
    plot_area,
    query_of,
    record_timing,
    screenshot,
    settle_map,
    spread_legs,
    wait_for_app,
    wait_for_map,
)

pytestmark = pytest.mark.browser

KHARKIV = (49.98177, 36.25475)  # two bundled KN-23 impacts share this settlement centre
KHARKIV_DATES = ("2024-01-02", "2024-02-07")
KYIV = (50.45466, 30.5238)  # three: two KN-23 and the Kh-101 that hit Okhmatdyt hospital
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
    # One symbol per spot: events sharing a settlement centre are one symbol with a badge.
    points = e2e_counts.store.points(Filters(), 10_000)
    spots = len(set(zip(points["latitude"].round(5), points["longitude"].round(5),
                        strict=True)))
    assert spots < kinds["point"]  # the bundled data has shared spots (Kyiv, Kharkiv)
    expected_paths = OBLASTS + spots + shaded
    settle_map(page, expected_paths)

    paths = frame.locator("path.leaflet-interactive").count()
    assert paths >= expected_paths, (paths, expected_paths)
    assert count_circle_markers(page) == spots
    badges = frame.locator(".salvo-badge")
    assert sorted(badges.all_inner_texts()) == ["2", "3"]
    assert frame.locator("img.leaflet-tile").count() == 0
    scale = frame.locator(".leaflet-control-scale-line")
    assert scale.count() == 1 and re.fullmatch(r"\d+ k?m", scale.inner_text()), \
        scale.all_inner_texts()  # metric only: no miles line
    assert metric(page) == e2e_counts.count(Filters())
    assert page.external_requests == []
    assert page.page_errors == []
    page.wait_for_timeout(300)  # let Leaflet finish painting before the picture
    screenshot(page, "map")


def test_badge_spreads_shared_events_and_a_click_selects_that_event(page):
    """Issue 12: events at one spot are a count badge that spreads them out; clicking one
    puts ITS id in the link and never recentres the map."""
    goto(page, "/Map")
    wait_for_map(page)
    wait_for_app(page)
    before = map_view(page)

    badge = badge_at(page, *KHARKIV)
    assert badge["text"] == "2"
    click_in_map(page, badge)
    # The badge lists both events below the map, and spreads them out on it.
    expect(page.get_by_role("heading", name="2 events here")).to_be_visible(timeout=TIMEOUT_MS)
    main = page.get_by_test_id("stMain")
    for day in KHARKIV_DATES:
        expect(main).to_contain_text(day)
    wait_for_app(page)
    legs = spread_legs(page, *KHARKIV)
    assert len(legs) == 2, legs

    click_in_map(page, legs[0])
    popup = map_frame(page).locator(".leaflet-popup-content")
    expect(popup).to_be_visible()
    text = popup.inner_text()
    assert "North Korea" in text and "KN-23" in text and "(stated)" in text, text
    clicked_id = popup.locator("small").inner_text().strip()
    assert re.fullmatch(r"salvo-curated-\d+", clicked_id), clicked_id
    # That event — not the other one at the same spot — is in the address and the panel.
    expect(page).to_have_url(re.compile(rf"[?&]event={re.escape(clicked_id)}(&|$)"),
                             timeout=TIMEOUT_MS)
    expect(page.get_by_role("heading", name="Selected event")).to_be_visible(
        timeout=TIMEOUT_MS)
    wait_for_app(page)
    expect(main).to_contain_text(clicked_id)
    sources = main.get_by_test_id("stMarkdownContainer").filter(
        has_text=re.compile(r"^\s*Sources:"))
    expect(sources.first.locator('a[href^="https://"]').first).to_be_visible()

    # No recentring: the map is where it was, and the popup stays small.
    after = map_view(page)
    assert (after["lat"], after["lng"], after["zoom"]) == pytest.approx(
        (before["lat"], before["lng"], before["zoom"]), abs=1e-6)
    box = popup.bounding_box()
    assert box["width"] * box["height"] < after["width"] * after["height"] / 6, box
    expect(popup).to_be_visible()  # the rerun after the click did not redraw the layers
    assert page.external_requests == []
    assert page.page_errors == []


@pytest.mark.parametrize("width,height", [(1440, 1000), (390, 844)])
def test_map_fits_all_of_ukraine_at_any_width(browser, server, width, height):
    context = browser.new_context(viewport={"width": width, "height": height},
                                  base_url=server.url)
    try:
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        goto(page, "/Map")
        wait_for_map(page)
        wait_for_app(page)
        view = map_view(page)
        assert view["width"] < width
        outside = oblasts_outside_view(page)
        assert outside.pop("__count") == OBLASTS
        assert outside == {}, (width, view, outside)  # Crimea, Zakarpattia, Luhansk included
        # Labels drawn from bundled data (no tiles): the big cities at every width.
        labels = map_frame(page).locator(".salvo-label-city")
        assert "Kyiv" in labels.all_inner_texts()
        if width >= 1000:
            assert map_frame(page).locator(".salvo-label-oblast").count() >= 20
        screenshot(page, f"map-{width}")
        # Regression: at 390 px Leaflet's focus-on-press scrolled the page between press and
        # release, so a click on a badge was lost.
        click_in_map(page, badge_at(page, *KYIV))
        expect(page.get_by_role("heading", name="3 events here")).to_be_visible(
            timeout=TIMEOUT_MS)
        assert len(spread_legs(page, *KYIV)) == 3
    finally:
        context.close()


def test_legend_shows_each_origin_and_the_certainty_styles(page):
    goto(page, "/Map?origin=PRK")
    wait_for_app(page)
    main = page.get_by_test_id("stMain")
    for text in ("Weapon origin", "North Korea (PRK)", "How the origin is known",
                 "stated by the source", "ambiguous: two origins", "likely: inferred",
                 "possible: inferred", "Filter certainty", "Size = location precision",
                 "GeoNames (CC BY 4.0)"):
        expect(main).to_contain_text(text)
    # The ambiguous RUS;PRK oblast-level report is drawn (shaded) and listed apart.
    expect(main).to_contain_text("Russia / North Korea (RUS/PRK) — ambiguous")
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
    expect(page.get_by_test_id("stMain").get_by_text("Ignored origin", exact=False)
           ).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert metric(page) == 0  # the literal text "{{7*7}}" matches nothing
    # The search box holds the text as typed, not a rendered template.
    assert sidebar(page).get_by_role("textbox", name="Text search").input_value() == "{{7*7}}"
    page.wait_for_timeout(500)  # a dialog from injected script would fire on render
    assert page.dialogs == []
    assert page.external_requests == []


def test_map_script_shows_hostile_text_as_text_in_popups(browser):
    """static/salvo-map.js in real Chromium (no server): popups and tooltips built from the
    escaped pieces show the original text and run nothing (docs/security.md A2–A4)."""
    import pandas as pd

    from geo.assets import vendor_file
    from geo.escape import for_script_json
    from geo.mapplan import annotate_points
    from geo.maps import points_json
    from tests.fixtures.payloads import HOSTILE

    shown = [p for p in HOSTILE if len(p) < 200]
    rows = [{"event_id": f"h{i}", "event_date": "2024-01-02", "latitude": 48.0 + i * 0.1,
             "longitude": 30.0, "geo_precision": "exact", "origin_group": "PRK",
             "origin_basis": "reported", "weapon_model": "KN-23", "event_type": "impact",
             "location": text, "verification": "reported",
             "sources": "https://a.org/x javascript:alert(1)"} for i, text in enumerate(shown)]
    data = for_script_json(points_json(annotate_points(pd.DataFrame(rows))))
    context = browser.new_context()
    try:
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.set_content('<div id="m" style="width:600px;height:400px"></div>')
        page.add_script_tag(path=str(vendor_file("leaflet.js")))
        page.add_script_tag(path=str(vendor_file("salvo-map.js")))
        popups = page.evaluate(
            """(text) => {
                const map = L.map('m').setView([49, 30], 6);
                SalvoMap.points(map, JSON.parse(text));
                const out = [];
                map.eachLayer(l => {
                  if (!(l instanceof L.CircleMarker)) return;
                  l.openPopup();
                  const c = l.getPopup().getElement().querySelector('.leaflet-popup-content');
                  l.closePopup();
                  out.push({text: c.textContent, bad: c.querySelectorAll('img, script').length,
                            links: [...c.querySelectorAll('a')]
                              .map(a => a.href), tip: l.getTooltip().getContent().textContent});
                });
                return out;
            }""", data)
        assert len(popups) == len(shown)
        texts = "\n".join(p["text"] for p in popups)
        for payload in shown:
            assert payload in texts, payload  # the reader sees exactly what the source says
        assert all(p["links"] == ["https://a.org/x"] for p in popups)
        assert all(p["bad"] == 0 for p in popups)  # no element made from the data
        assert page.evaluate("() => window.PWNED") is None
        assert dialogs == []
    finally:
        context.close()
