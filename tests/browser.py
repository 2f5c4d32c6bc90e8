"""Shared helpers for the real-browser tests: a live ``streamlit run`` server and Chromium.

The fixtures are registered in ``tests/conftest.py`` (``pytest_plugins``):

* ``server`` (session): one Streamlit server on a free loopback port, its own DuckDB file
  seeded with the bundled events on the first page run; stopped by killing its own process
  group only.
* ``browser`` (session): one Debian Chromium (``/usr/bin/chromium``) driven by Playwright;
  ``playwright install`` is never needed.
* ``page`` (function): a fresh context (1400×1000) whose every request to a host other than
  127.0.0.1/localhost is aborted and recorded in ``page.external_requests``; alert/confirm
  dialogs are dismissed and recorded in ``page.dialogs``; uncaught script errors are kept
  in ``page.page_errors``. When a test fails, its page's URL, text and a screenshot (in the
  server's temp dir) are printed with the server's log.
* ``e2e_counts`` (session): expected counts from the server's own store file.

Whether the tests may skip (no Chromium) is decided in conftest: locally they skip, with
``CI`` set they fail. ``SALVO_TEST_CHROMIUM`` names another Chromium binary.
Screenshots for docs/ are written only with ``SALVO_WRITE_SCREENSHOTS=1``.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Debian's chromium; SALVO_TEST_CHROMIUM points elsewhere (and lets the skip policy be tried).
CHROMIUM = Path(os.environ.get("SALVO_TEST_CHROMIUM") or "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
VIEWPORT = {"width": 1400, "height": 1000}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
LOCAL_SCHEMES = {"data", "blob", "about"}
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
SCREENSHOTS = ROOT / "docs" / "screenshots"
START_TIMEOUT = 60.0
TIMEOUT_MS = 45_000  # default wait for one condition (a loaded 2-core CI box is slow)


# ---- the live server ---------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    """A ``streamlit run app.py`` subprocess in its own process group."""

    store_path: Path
    log_dir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    started_in: float = 0.0
    # Extra environment (None removes a variable) and extra `streamlit run` arguments, so
    # the team-mode tests and the browser benchmark start the same server the same way.
    env: dict[str, str | None] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def logs(self) -> str:
        out = []
        for name in ("stdout", "stderr"):
            path = self.log_dir / f"streamlit.{name}"
            text = path.read_text(errors="replace") if path.exists() else ""
            out.append(f"--- server {name} ---\n{text[-8000:]}")
        return "\n".join(out)

    def start(self, timeout: float = START_TIMEOUT) -> LiveServer:
        env = dict(os.environ)
        env.update({
            "SALVO_STORE": str(self.store_path),
            "SALVO_SEED_BUNDLED": "true",
            "SALVO_MAP_TILES": "",  # the offline basemap, whatever the developer's shell says
            # Other people edit the code while tests run: never rerun on a file change.
            "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        })
        env.pop("SALVO_AUTH_ROLES", None)
        for name, value in self.env.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        cmd = [sys.executable, "-m", "streamlit", "run", "app.py",
               "--server.port", str(self.port), "--server.address", "127.0.0.1",
               "--server.headless", "true", *self.args]
        self.log_dir.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        with open(self.log_dir / "streamlit.stdout", "wb") as out, \
                open(self.log_dir / "streamlit.stderr", "wb") as err:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = t0 + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {self.proc.returncode} before "
                                   f"it was healthy\n{self.logs()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as resp:
                    if resp.read().strip() == b"ok":
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"streamlit not healthy at {self.url} after {timeout:.0f} s"
                                   f"\n{self.logs()}")
            time.sleep(0.2)
        self.started_in = time.monotonic() - t0
        return self

    def rss_mb(self) -> float | None:
        """The server's peak resident memory (Linux VmHWM), or None once it is gone."""
        try:
            text = Path(f"/proc/{self.proc.pid}/status").read_text()
        except (OSError, AttributeError):
            return None
        for line in text.splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
        return None

    def stop(self) -> None:
        """Stop our own process group (never anything found by name)."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                proc.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue


# ---- browser contexts --------------------------------------------------------------------

def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or (parts.hostname or "") in LOCAL_HOSTS


def new_page(browser, base_url: str, *, viewport: dict | None = None,
             color_scheme: str = "light"):
    """A page in a fresh context: loopback only (others aborted and recorded), dialogs
    dismissed and recorded. ``viewport``/``color_scheme`` emulate a phone or a dark browser."""
    context = browser.new_context(viewport=viewport or VIEWPORT, base_url=base_url,
                                  color_scheme=color_scheme)
    context.set_default_timeout(TIMEOUT_MS)
    external: list[str] = []

    def route(route):
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            external.append(url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.external_requests = external
    page.dialogs = []
    page.page_errors = []

    def on_dialog(dialog):
        page.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda exc: page.page_errors.append(str(exc)))
    return page


PAGE_LOADS = [0]  # page loads this session: the first one meets a cold server


def goto(page, path_and_query: str):
    """Open ``path_and_query`` (e.g. ``/Map?origin=PRK``) on the live server."""
    PAGE_LOADS[0] += 1
    return page.goto(path_and_query, wait_until="domcontentloaded")


def wait_for_app(page, *, metric: bool = True, timeout: float = TIMEOUT_MS) -> None:
    """Wait until the script run finished (Streamlit's ``data-test-script-state``) and, by
    default, the Events metric is on screen. A Streamlit exception box fails at once, with
    its text (a broken page otherwise shows up as a timeout)."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        state="attached", timeout=timeout)
    errors = page.get_by_test_id("stException")
    if errors.count():
        raise AssertionError(f"Streamlit exception on {page.url}:\n"
                             + "\n".join(errors.all_inner_texts())[:4000])
    if metric:
        events_metric(page).locator('[data-testid="stMetricValue"]').wait_for(
            state="visible", timeout=timeout)


def events_metric(page, label: str = "Events"):
    return page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]',
                         has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")))


def metric(page, label: str = "Events") -> int:
    """The integer shown by the metric called ``label`` (``1,234`` → 1234)."""
    text = events_metric(page, label).locator('[data-testid="stMetricValue"]').inner_text()
    return int(text.strip().replace(",", ""))


def map_frame(page):
    """The Leaflet map's iframe, for locators."""
    return page.frame_locator(MAP_IFRAME)


def wait_for_map(page, timeout: float = TIMEOUT_MS):
    """Wait for Leaflet to draw its first vector path in the map iframe."""
    frame = map_frame(page)
    frame.locator(".leaflet-container").wait_for(state="attached", timeout=timeout)
    frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=timeout)
    return frame


def settle_map(page, expected_paths: int, timeout: float = TIMEOUT_MS) -> None:
    """Wait until the map drew at least ``expected_paths`` and the reruns it caused ended."""
    page.wait_for_function(
        """([selector, n]) => {
            const f = document.querySelector(selector);
            const d = f && f.contentDocument;
            return !!d && d.querySelectorAll('path.leaflet-interactive').length >= n;
        }""", arg=[MAP_IFRAME, expected_paths],
        timeout=timeout)
    wait_for_app(page)


def map_js_frame(page):
    """The Leaflet map's iframe as a Frame, for ``evaluate`` (Leaflet's ``L``, ``map_div``)."""
    handle = page.locator(MAP_IFRAME).element_handle()
    frame = handle.content_frame()
    assert frame is not None, "map iframe has no content frame"
    return frame


def query_of(url: str) -> dict[str, list[str]]:
    """The query string of ``url`` as ``parse_query`` takes it."""
    return parse_qs(urlsplit(url).query)


def click_circle(page, lat: float, lng: float, tolerance: float = 1e-4) -> None:
    """Click, with the mouse, the Leaflet circle marker drawn at (lat, lng).

    The symbol is found through the map object st_folium creates (``map_div``), wherever the
    map is panned; the click lands on its centre pixel, which must belong to a circle at that
    position (several events may share a settlement centre: any of them is fine).
    """
    iframe = page.locator(MAP_IFRAME)
    iframe.scroll_into_view_if_needed()
    spot = map_js_frame(page).evaluate(
        """([lat, lng, tol]) => {
            const hits = [];
            window.map_div.eachLayer(layer => {
                if (!(layer instanceof L.CircleMarker)) return;
                const p = layer.getLatLng();
                if (Math.abs(p.lat - lat) <= tol && Math.abs(p.lng - lng) <= tol)
                    hits.push(layer._path);
            });
            if (!hits.length) return null;
            const r = hits[hits.length - 1].getBoundingClientRect();
            const x = r.left + r.width / 2, y = r.top + r.height / 2;
            return {x, y, onTop: hits.includes(document.elementFromPoint(x, y))};
        }""", [lat, lng, tolerance])
    assert spot is not None, f"no circle marker at {lat}, {lng}"
    assert spot["onTop"], f"the circle at {lat}, {lng} is covered by another shape"
    box = iframe.bounding_box()
    assert box is not None, "map iframe is not on screen"
    page.mouse.click(box["x"] + spot["x"], box["y"] + spot["y"])


def count_circle_markers(page) -> int:
    return map_js_frame(page).evaluate(
        """() => { let n = 0;
                   window.map_div.eachLayer(l => { if (l instanceof L.CircleMarker) n++; });
                   return n; }""")


def plot_area(page) -> dict:
    """Bounding box of the Vega chart's plot area (falls back to the whole chart)."""
    chart = page.locator(".vega-embed").first
    background = chart.locator("svg g.root path.background").first
    if background.count():
        box = background.bounding_box()
        if box and box["width"] > 50 and box["height"] > 20:
            return box
    box = chart.locator("svg, canvas").first.bounding_box()
    assert box is not None, "timeline chart has no box"
    return box


def drag(page, box: dict, start: float, end: float, height: float = 0.5) -> None:
    """Mouse-drag horizontally across ``box`` from ``start`` to ``end`` (shares of width)."""
    y = box["y"] + box["height"] * height
    page.mouse.move(box["x"] + box["width"] * start, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * end, y, steps=12)
    page.mouse.up()


def screenshot(page, name: str) -> Path | None:
    """Save docs/screenshots/<name>.png, only when SALVO_WRITE_SCREENSHOTS=1 (CI keeps the
    tree clean)."""
    if os.environ.get("SALVO_WRITE_SCREENSHOTS") != "1":
        return None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
    return path


# ---- expected numbers from the server's own store ------------------------------------------

class Counts:
    """Counts straight from the server's DuckDB file (opened once, after it was seeded)."""

    def __init__(self, path: Path):
        self.path = path
        self._store = None

    @property
    def store(self):
        if self._store is None:
            from geo.store.duckdb import DuckDBStore

            if not self.path.exists():
                raise AssertionError("the server has not created its store yet: "
                                     "load a page before asking for counts")
            self._store = DuckDBStore(self.path, snapshot=False)
        return self._store

    def count(self, filters=None) -> int:
        from geo.filters import Filters

        return self.store.count(filters if filters is not None else Filters())

    def for_query(self, query: dict) -> int:
        from geo.filters import parse_query

        return self.count(parse_query(query).filters)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


# ---- timings for the summary ---------------------------------------------------------------

TIMINGS: list[tuple[str, float]] = []


def record_timing(label: str, seconds: float) -> None:
    TIMINGS.append((label, seconds))
    print(f"[timing] {label}: {seconds:.2f} s")


# ---- fixtures ------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    live = LiveServer(store_path=tmp / "e2e.duckdb", log_dir=tmp)
    live.start()
    record_timing("streamlit server start → /_stcore/health ok", live.started_in)
    yield live
    live.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def explain_failure(page, server: LiveServer, name: str) -> None:
    """Print what a failed browser test saw (shown under "Captured stdout teardown")."""
    try:
        shot = server.log_dir / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.png"
        page.screenshot(path=str(shot))
        print(f"url: {page.url}\nscreenshot: {shot}")
        print("page text:\n" + page.locator("body").inner_text(timeout=5000)[:3000])
    except Exception as exc:  # the page may be gone; the logs still help
        print(f"(no screenshot: {exc})")
    print(server.logs())


@pytest.fixture
def page(browser, server, request):
    pg = new_page(browser, server.url)
    yield pg
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        explain_failure(pg, server, request.node.name)
    pg.context.close()
    if pg.external_requests:  # a safety net for every browser test
        pytest.fail(f"requests left the machine: {pg.external_requests[:5]}", pytrace=False)


@pytest.fixture(scope="session")
def e2e_counts(server):
    counts = Counts(server.store_path)
    yield counts
    counts.close()


# ---- the Salvo map layers (static/salvo-map.js) --------------------------------------------

def map_view(page) -> dict:
    """Centre, zoom and pixel size of the Leaflet map."""
    return map_js_frame(page).evaluate(
        """() => { const m = window.map_div, c = m.getCenter(), s = m.getSize();
                   return {lat: c.lat, lng: c.lng, zoom: m.getZoom(), width: s.x,
                           height: s.y}; }""")


def oblasts_outside_view(page) -> dict:
    """{ISO code: why} for every basemap oblast not wholly inside the visible map."""
    return map_js_frame(page).evaluate(
        """() => { const m = window.map_div, view = m.getBounds(), out = {}; let n = 0;
                   m.eachLayer(l => {
                     const p = l.feature && l.feature.properties;
                     if (!p || !p.iso || !l.getBounds) return;
                     n++;
                     if (!view.contains(l.getBounds())) out[p.iso] = l.getBounds().toBBoxString();
                   });
                   out.__count = n; return out; }""")


def badge_at(page, lat: float, lng: float, tolerance: float = 1e-4):
    """Screen position and text of the count badge drawn for the spot (lat, lng)."""
    spot = map_js_frame(page).evaluate(
        """([lat, lng, tol]) => {
            let hit = null;
            window.map_div.eachLayer(l => {
              if (!(l instanceof L.Marker) || !l._icon) return;
              const b = l._icon.querySelector('.salvo-badge'), p = l.getLatLng();
              if (b && Math.abs(p.lat - lat) <= tol && Math.abs(p.lng - lng) <= tol) {
                const r = b.getBoundingClientRect();
                hit = {x: r.left + r.width / 2, y: r.top + r.height / 2, text: b.textContent};
              }
            });
            return hit; }""", [lat, lng, tolerance])
    assert spot is not None, f"no count badge at {lat}, {lng}"
    return spot


def click_in_map(page, spot: dict) -> None:
    """Mouse click at a point given in the map iframe's coordinates."""
    box = page.locator(MAP_IFRAME).bounding_box()
    assert box is not None, "map iframe is not on screen"
    page.mouse.click(box["x"] + spot["x"], box["y"] + spot["y"])


def spread_legs(page, lat: float, lng: float, radius_deg: float = 2.0) -> list[dict]:
    """Screen positions of the circles a spread-out badge drew around (lat, lng)."""
    return map_js_frame(page).evaluate(
        """([lat, lng, rad]) => {
            const out = [];
            window.map_div.eachLayer(l => {
              if (!(l instanceof L.CircleMarker)) return;
              const p = l.getLatLng(), d = Math.hypot(p.lat - lat, p.lng - lng);
              if (d > 1e-6 && d < rad) {
                const r = l._path.getBoundingClientRect();
                out.push({x: r.left + r.width / 2, y: r.top + r.height / 2});
              }
            });
            return out; }""", [lat, lng, radius_deg])
