"""Layout in a real browser: a 390 px phone, a dark browser, a bad link (issue 12).

Same live server and Chromium as tests/test_browser.py (fixtures in tests/browser.py). The
README's screenshots are written by scripts/screenshots.py (same views, both languages).
"""

from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # conftest skips (locally) or fails (CI) every browser test then
    expect = None

from tests.browser import (
    MAP_IFRAME,
    goto,
    map_frame,
    map_js_frame,
    map_view,
    metric,
    new_page,
    oblasts_outside_view,
    settle_map,
    wait_for_app,
    wait_for_map,
)

pytestmark = pytest.mark.browser

SEED = "/Map?origin=PRK&from=2023-12-01"
SEED_PATHS = 5  # the seed view draws at least this many event symbols and shaded oblasts
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
BAD_LINK = "/Map?origin=XXX&from=2024-13-45&oblast=UA-99"
TIMELINE = ("/Timeline?origin=IRN&origin=RUS&class=drones&class=cruise+missile"
            "&per=month&stack=origin-family")


def luminance(css_colour: str) -> float:
    """0 (black) … 1 (white) for a computed ``rgb(r, g, b)`` / ``rgba(...)`` colour."""
    r, g, b = (int(v) for v in re.findall(r"\d+", css_colour)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def page_background(page) -> str:
    return page.evaluate(
        "() => getComputedStyle(document.querySelector('[data-testid=\"stApp\"]'))"
        ".backgroundColor")


def land_fill(page) -> str:
    """The computed fill of one basemap oblast (CSS in dark mode beats Leaflet's attribute)."""
    return map_js_frame(page).evaluate(
        "() => getComputedStyle(document.querySelector('path.salvo-oblast')).fill")


@pytest.fixture
def open_page(browser, server):
    """new_page with a viewport and colour scheme; closed (and checked offline) after."""
    made = []

    def make(viewport: dict, scheme: str = "light"):
        pg = new_page(browser, server.url, viewport=viewport, color_scheme=scheme)
        made.append(pg)
        return pg

    yield make
    for pg in made:
        external = pg.external_requests
        pg.context.close()
        assert external == [], f"requests left the machine: {external[:5]}"


def open_seed(page) -> None:
    goto(page, SEED)
    wait_for_app(page)
    wait_for_map(page)
    settle_map(page, SEED_PATHS)


@pytest.mark.parametrize("width,scheme", [(1440, "light"), (390, "light"),
                                          (1440, "dark"), (390, "dark")])
def test_seed_map_fits_the_screen_in_light_and_dark(open_page, width, scheme):
    page = open_page(PHONE if width == 390 else DESKTOP, scheme)
    open_seed(page)
    size = page.evaluate("() => ({scroll: document.scrollingElement.scrollWidth,"
                         " inner: innerWidth, main: document.querySelector("
                         "'[data-testid=\"stMain\"]').scrollWidth})")
    assert size["scroll"] <= size["inner"], f"sideways scroll at {width} px: {size}"
    assert size["main"] <= size["inner"], f"the page body is wider than {width} px: {size}"
    outside = oblasts_outside_view(page)
    assert outside.pop("__count") == 27
    assert outside == {}, f"oblasts cut off at {width} px: {outside}"
    background, land = luminance(page_background(page)), luminance(land_fill(page))
    if scheme == "dark":
        assert background < 0.2, f"dark browser, light page: {page_background(page)}"
        assert land < 0.35, f"dark browser, light land on the map: {land_fill(page)}"
    else:
        assert background > 0.9, f"light browser, dark page: {page_background(page)}"
        assert land > 0.8, f"light browser, dark land on the map: {land_fill(page)}"


def inside(inner: dict | None, outer: dict | None) -> bool:
    """Whether box ``inner`` lies within box ``outer`` (page coordinates, 1 px slack)."""
    assert inner is not None and outer is not None, (inner, outer)
    return (inner["x"] >= outer["x"] - 1 and inner["y"] >= outer["y"] - 1
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 1
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 1)


def test_phone_legend_is_a_collapsed_button_over_a_shorter_map(open_page):
    page = open_page(PHONE)
    open_seed(page)
    # The filters wait in Streamlit's sidebar drawer, closed on a phone.
    expect(page.get_by_role("button", name="Expand sidebar")).to_be_visible()
    expect(page.get_by_test_id("stSidebar")).not_to_be_in_viewport()
    # No legend column stacked under the map: the legend is the map's own button.
    expect(page.get_by_test_id("stMain").get_by_text("Weapon origin", exact=True)
           ).to_be_hidden()
    frame_box = page.locator(MAP_IFRAME).bounding_box()
    assert frame_box is not None
    assert frame_box["height"] < PHONE["height"] * 0.6, f"the map fills the phone: {frame_box}"
    frame = map_frame(page)
    button = frame.get_by_role("button", name="Legend")
    panel = frame.get_by_role("region", name="Map legend")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(panel).to_be_hidden()
    assert inside(button.bounding_box(), frame_box), "the Legend button is not over the map"

    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(panel).to_be_visible()
    for text in ("Weapon origin", "North Korea (PRK)", "Russia / North Korea (RUS/PRK)",
                 "How the origin is known", "Size = location precision", "On the map:"):
        expect(panel).to_contain_text(text)
    assert inside(panel.bounding_box(), frame_box), "the open legend spills out of the map"
    # Keyboard: Escape folds it back onto the button, Enter opens it again.
    panel.get_by_text("North Korea (PRK)", exact=True).click()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(panel).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")

    # Leaflet's own size is the frame's (not st_folium's 620 px cut off by a shorter frame),
    # so the fit to Ukraine is what is visible, legend button and all.
    assert abs(map_view(page)["height"] - frame_box["height"]) <= 2, (map_view(page), frame_box)
    outside = oblasts_outside_view(page)
    assert outside.pop("__count") == 27 and outside == {}, outside


def test_phone_legend_follows_a_filter_change_and_stays_open(open_page):
    page = open_page(PHONE)
    open_seed(page)
    frame = map_frame(page)
    frame.get_by_role("button", name="Legend").click()
    panel = frame.get_by_role("region", name="Map legend")
    expect(panel).to_contain_text("Filter certainty: possible")
    page.get_by_role("button", name="Expand sidebar").click()
    page.get_by_test_id("stSidebar").get_by_text("stated", exact=True).click()
    # The layers are redrawn: one legend, with the new certainty, still open.
    expect(panel).to_contain_text("Filter certainty: stated")
    expect(frame.locator(".salvo-maplegend")).to_have_count(1)
    expect(panel).to_be_visible()


def test_phone_legend_in_ukrainian_and_a_dark_browser(open_page):
    page = open_page(PHONE, "dark")
    goto(page, SEED + "&lang=uk")
    wait_for_app(page, metric=False)
    wait_for_map(page)
    frame = map_frame(page)
    button = frame.get_by_role("button", name="Легенда")
    button.focus()
    page.keyboard.press("Enter")
    panel = frame.get_by_role("region", name="Легенда мапи")
    expect(panel).to_be_visible()
    for text in ("Країна розробки зброї", "КНДР (PRK)", "Як відома країна розробки"):
        expect(panel).to_contain_text(text)
    expect(panel).not_to_contain_text("Weapon origin")
    colours = panel.evaluate("p => [getComputedStyle(p).backgroundColor,"
                             " getComputedStyle(p).color]")
    assert luminance(colours[0]) < 0.3 and luminance(colours[1]) > 0.7, colours


def test_desktop_keeps_the_legend_column_beside_the_map(open_page):
    page = open_page(DESKTOP)
    open_seed(page)
    legend = page.get_by_test_id("stMain").get_by_text("Weapon origin", exact=True)
    expect(legend).to_be_visible()
    frame_box, legend_box = page.locator(MAP_IFRAME).bounding_box(), legend.bounding_box()
    assert frame_box is not None and legend_box is not None
    assert legend_box["x"] >= frame_box["x"] + frame_box["width"], "legend not beside the map"
    assert frame_box["y"] <= legend_box["y"] < frame_box["y"] + frame_box["height"] / 4
    # The map's own legend button is for a narrow map only: no second legend here.
    expect(map_frame(page).locator(".salvo-maplegend")).to_be_hidden()


@pytest.mark.parametrize("width", [660, 760])
def test_one_legend_between_phone_and_desktop_regression_two_legends(open_page, width):
    """A 641–800 px window showed the legend column and the map's own legend button at
    once: the map column is narrow there, but the page is not a phone's."""
    page = open_page({"width": width, "height": 900})
    open_seed(page)
    expect(page.get_by_test_id("stMain").get_by_text("Weapon origin", exact=True)) \
        .to_be_visible()
    expect(map_frame(page).locator(".salvo-maplegend")).to_have_count(1)
    expect(map_frame(page).locator(".salvo-maplegend")).to_be_hidden()
    page.set_viewport_size({"width": 390, "height": 844})  # the page becomes a phone's
    expect(map_frame(page).locator(".salvo-maplegend-toggle")).to_be_visible()


def test_bad_link_names_each_ignored_value_and_never_shows_it(open_page, e2e_counts):
    page = open_page(PHONE)  # the sidebar is closed: the note must be in the page itself
    goto(page, BAD_LINK)
    wait_for_app(page)
    main = page.get_by_test_id("stMain")
    for text in ("Ignored origin='XXX'", "Ignored from='2024-13-45'",
                 "Ignored oblast='UA-99'"):
        expect(main.get_by_text(text, exact=False)).to_be_visible()
    # Nothing of the link is applied: every event, and no "XXX" origin chip anywhere.
    assert metric(page) == e2e_counts.count()
    page.set_viewport_size(DESKTOP)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Weapon origin", exact=True)).to_be_visible()
    expect(sidebar.get_by_test_id("stMultiSelectTagsContainer").filter(has_text="XXX")
           ).to_have_count(0)


def test_timeline_of_iranian_drones_and_russian_cruise_missiles(open_page):
    page = open_page(DESKTOP)
    goto(page, TIMELINE)
    wait_for_app(page)
    chart = page.locator(".vega-embed").first
    chart.wait_for(state="visible")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_role("radio", name="month")).to_be_checked()


@pytest.mark.parametrize("path", ["/Timeline", "/Events"])
def test_other_pages_never_scroll_sideways_on_a_phone(open_page, path):
    page = open_page(PHONE, "dark")
    goto(page, path)
    wait_for_app(page)
    size = page.evaluate("() => ({scroll: document.scrollingElement.scrollWidth,"
                         " inner: innerWidth, main: document.querySelector("
                         "'[data-testid=\"stMain\"]').scrollWidth})")
    assert size["scroll"] <= size["inner"], f"sideways scroll on {path}: {size}"
    assert size["main"] <= size["inner"], f"{path} is wider than the phone: {size}"
    assert luminance(page_background(page)) < 0.2
