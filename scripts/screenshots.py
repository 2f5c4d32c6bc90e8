"""Write the README's screenshots (docs/screenshots/*.png) from the live app in Chromium.

    python scripts/screenshots.py                      # all 18 PNGs, about 3 minutes
    python scripts/screenshots.py --only map-390       # names starting with that
    python scripts/screenshots.py --no-airforce        # bundled events only

What it does, offline: imports the Air Force daily reports
(../shared/data/petroivaniuk-missile-attacks/missile_attacks_daily.csv, the development
setup's copy) into a temporary DuckDB store with ``python -m geo import``, starts
``streamlit run app.py`` headless on a free loopback port with that store (the bundled
``data/events.csv`` is seeded on start, as always), and photographs two views at 1440 and
390 px, in a light and a dark browser, in English and Ukrainian:

* ``map-<width>-<scheme>-<lang>.png``: the seed's North-Korea view (MAP below); on a dark
  phone also ``map-390-dark-<lang>-legend.png`` with the legend over the map opened;
* ``timeline-<width>-<scheme>-<lang>.png``: Iranian-designed drones vs Russian cruise
  missiles by month (TIMELINE below).

At 1440 px a screenshot is the screen the reader sees first (the viewport); at 390 px it is
the whole (short) page, up to 2,400 px.
Every request that would leave the machine is refused and makes the run fail. The PNGs are
reduced to a 256-colour palette (flat UI colours survive it; about a third of the size).
The server, its store and its logs are removed at the end; only our own server process
group is stopped.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a file from anywhere: the project's packages

from PIL import Image  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser import (  # noqa: E402 - the same live server and browser as the tests
    CHROMIUM,
    CHROMIUM_FLAGS,
    MAP_IFRAME,
    LiveServer,
    goto,
    new_page,
    wait_for_app,
    wait_for_map,
)

AIRFORCE = ROOT.parent / "shared" / "data" / "petroivaniuk-missile-attacks" / \
    "missile_attacks_daily.csv"
OUT = ROOT / "docs" / "screenshots"
MAP = "/Map?origin=PRK&from=2023-12-01"
TIMELINE = ("/Timeline?origin=IRN&origin=RUS&class=drones&class=cruise+missile"
            "&per=month&stack=origin-family")
SIZES = {1440: {"width": 1440, "height": 900}, 390: {"width": 390, "height": 844}}
SCHEMES = ("light", "dark")
LANGS = ("en", "uk")
MAP_PATHS = 5  # the seed view draws at least this many event symbols and shaded oblasts
MAX_HEIGHT = 2400
# Where the page's last block ends (Streamlit's container adds a tall empty padding below).
PAGE_HEIGHT = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    const blocks = document.querySelector('[data-testid="stMainBlockContainer"]');
    const last = blocks && blocks.firstElementChild;
    return last ? Math.ceil(last.getBoundingClientRect().bottom + main.scrollTop + 32) : 0;
}"""
SCROLL_TOP = """() => document.querySelectorAll('[data-testid="stMain"],'
    + ' [data-testid="stAppViewContainer"]').forEach(e => e.scrollTo(0, 0))"""
WAIT_MS = 120_000  # one condition, on a busy 2-core machine


def shots() -> list[tuple[str, str, int, str, str, bool]]:
    """(file name, path, width, scheme, lang, legend open) for every screenshot."""
    out = []
    for view, path in (("map", MAP), ("timeline", TIMELINE)):
        for width in SIZES:
            for scheme in SCHEMES:
                for lang in LANGS:
                    name = f"{view}-{width}-{scheme}-{lang}"
                    out.append((name, path, width, scheme, lang, False))
                    if view == "map" and width == 390 and scheme == "dark":
                        out.append((f"{name}-legend", path, width, scheme, lang, True))
    return out


def import_airforce(store: Path, source: Path) -> None:
    if not source.exists():
        raise SystemExit(f"{source} not found: pass --airforce FILE or --no-airforce")
    done = subprocess.run([sys.executable, "-m", "geo", "import", str(source), "--format",
                           "airforce", "--store", str(store)], cwd=ROOT, text=True,
                          capture_output=True, check=False)
    print(done.stdout.strip())
    if done.returncode:
        raise SystemExit(f"import failed ({done.returncode}):\n{done.stderr}")


def optimise(path: Path) -> int:
    """Rewrite ``path`` as a 256-colour palette PNG; its size in bytes."""
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                              dither=Image.Dither.NONE)
    small.save(path, optimize=True)
    return path.stat().st_size


def photograph(browser, url: str, shot: tuple, out: Path) -> Path:
    name, path, width, scheme, lang, legend_open = shot
    page = new_page(browser, url, viewport=SIZES[width], color_scheme=scheme)
    page.set_default_timeout(WAIT_MS)
    try:
        goto(page, f"{path}&lang={lang}")
        # The Events metric is "Події" in Ukrainian: wait for any metric's value instead.
        wait_for_app(page, metric=False, timeout=WAIT_MS)
        page.locator('[data-testid="stMetricValue"]').first.wait_for(state="visible")
        if path == MAP:
            wait_for_map(page, timeout=WAIT_MS)
            page.wait_for_function(
                """([selector, n]) => {
                    const f = document.querySelector(selector), d = f && f.contentDocument;
                    return !!d && d.querySelectorAll('path.leaflet-interactive').length >= n;
                }""", arg=[MAP_IFRAME, MAP_PATHS], timeout=WAIT_MS)
            wait_for_app(page, metric=False, timeout=WAIT_MS)  # the reruns the map caused
            if legend_open:
                page.frame_locator(MAP_IFRAME).locator(".salvo-maplegend-toggle").click()
        else:
            page.locator(".vega-embed svg, .vega-embed canvas").first.wait_for(
                state="visible", timeout=WAIT_MS)
        if width < 640:
            # A phone's page is short: all of it (the timeline's legend is under the chart).
            # Streamlit scrolls inside its own container, so a "full page" screenshot would
            # be the viewport: the screen is made as tall as the page instead.
            tall = page.evaluate(PAGE_HEIGHT)
            if tall > SIZES[width]["height"]:
                page.set_viewport_size({"width": width, "height": min(tall, MAX_HEIGHT)})
                wait_for_app(page, metric=False, timeout=WAIT_MS)
        page.evaluate(SCROLL_TOP)
        page.mouse.move(0, 0)  # no hover tooltip in the picture
        page.evaluate("() => document.fonts.ready")
        page.wait_for_timeout(1500)  # Leaflet's fit and Vega's first paint settle
        target = out / f"{name}.png"
        page.screenshot(path=str(target), animations="disabled", caret="hide")
        if page.external_requests:
            raise SystemExit(f"{name}: requests left the machine: {page.external_requests[:5]}")
        if page.page_errors:
            raise SystemExit(f"{name}: script errors: {page.page_errors[:3]}")
        return target
    except Exception:
        page.screenshot(path=str(out / f"FAILED-{name}.png"))
        print(f"{name}: failed at {page.url}; FAILED-{name}.png shows the page", file=sys.stderr)
        raise
    finally:
        page.context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--only", default="", help="only the names starting with this")
    parser.add_argument("--airforce", type=Path, default=AIRFORCE)
    parser.add_argument("--no-airforce", action="store_true")
    args = parser.parse_args(argv)
    todo = [s for s in shots() if s[0].startswith(args.only)]
    if not todo:
        raise SystemExit(f"no screenshot name starts with {args.only!r}")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="salvo-shots-") as tmp:
        store = Path(tmp) / "shots.duckdb"
        if not args.no_airforce:
            import_airforce(store, args.airforce)
        server = LiveServer(store_path=store, log_dir=Path(tmp) / "logs")
        server.start(timeout=180)
        t0 = time.monotonic()
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM),
                                             args=CHROMIUM_FLAGS)
                try:
                    for shot in todo:
                        target = photograph(browser, server.url, shot, args.out)
                        print(f"{target.name}  {optimise(target) / 1024:.0f} KiB")
                finally:
                    browser.close()
        except BaseException:
            print(server.logs(), file=sys.stderr)
            raise
        finally:
            server.stop()
    print(f"{len(todo)} screenshots in {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
