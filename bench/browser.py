"""Issue 5 in a real browser: how fast the Map page draws and redraws with N events.

    python -m bench.browser                    # 1M synthetic events (builds the store)
    python -m bench.browser --events 100k
    python -m bench.browser --store var/bench/events_1M.duckdb   # an existing store

Starts ``streamlit run app.py`` on a loopback port against a DuckDB store of N synthetic
events (:mod:`bench.synth`), and drives Debian's Chromium (``/usr/bin/chromium``, through
Playwright's ``executable_path`` — never ``playwright install``). Every request to a host
other than 127.0.0.1 is aborted and counted. After one warm-up visit (the server's caches
and the store snapshot are warm, as on a server in use), it measures:

* **navigation → map drawn**: a new session opens ``/Map``; the clock stops when the map
  iframe has drawn the oblast basemap and the event layer (aggregated circles or symbols).
  Measured for a first visit (a fresh browser profile: Streamlit's scripts, the map
  component and Leaflet are downloaded) and for a returning visitor (same profile, so the
  browser has those files cached — each visit is still a new server session);
* **filter change → map redrawn**: in that session a sidebar filter is changed (event type,
  then weapon origin — each change a filter value not seen before, so the server's caches
  miss); the clock stops when a new event layer has replaced the old one on the map.

Targets (issue 13, 1M events): drawn ≤ 2 s for a first visitor, ≤ 1.2 s for a returning
one, redrawn ≤ 0.5 s. Writes
``bench/results/browser.json`` and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

# One definition of the server, the browser binary and its flags: the browser tests' own.
from tests.browser import CHROMIUM, MAP_IFRAME, LiveServer
from tests.browser import CHROMIUM_FLAGS as FLAGS

ROOT = Path(__file__).resolve().parents[1]
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}
# Issue 13 (1M events, warm server): first visit (empty browser cache), returning visitor
# (cached scripts), filter change.
TARGETS = {"drawn_s": 2.0, "drawn_cached_s": 1.2, "redrawn_s": 0.5}
# Filter changes, each one more option picked in a sidebar multiselect: every step is a
# filter the server has not seen in this run.
CHANGES = [("Event type", "impact"), ("Event type", "attack"), ("Event type", "debris"),
           ("Weapon origin", "Iran"), ("Weapon origin", "North Korea"),
           ("Event type", "interception")]

# The map is drawn: the oblast basemap and an event layer with something in it.
DRAWN_JS = """(selector) => {
    const f = document.querySelector(selector), w = f && f.contentWindow;
    if (!w || !w.map_div || !w.L) return false;
    const groups = (w.feature_group || []).filter(g => w.map_div.hasLayer(g));
    const paths = f.contentDocument.querySelectorAll('path.leaflet-interactive').length;
    return paths >= 27 && groups.some(g => {
        let n = 0; g.eachLayer(l => { n += l.getLayers ? l.getLayers().length : 1; });
        return n > 0; });
}"""
MARK_JS = """(selector) => {
    const w = document.querySelector(selector).contentWindow;
    (w.feature_group || []).forEach(g => { g._salvoOld = true; });
}"""
REDRAWN_JS = """(selector) => {
    const f = document.querySelector(selector), w = f && f.contentWindow;
    if (!w || !w.map_div) return false;
    const fresh = (w.feature_group || []).filter(g => !g._salvoOld && w.map_div.hasLayer(g));
    const stale = (w.feature_group || []).filter(g => g._salvoOld && w.map_div.hasLayer(g));
    return fresh.length > 0 && stale.length === 0;
}"""


def build_store(n: int, path: Path) -> None:
    """Synthetic events into a DuckDB store, in a child process (its memory is not ours)."""
    code = ("import sys; from bench.synth import synth_events; "
            "from geo.store.duckdb import DuckDBStore; "
            "DuckDBStore(sys.argv[2], snapshot=False).upsert(synth_events(int(sys.argv[1])))")
    subprocess.run([sys.executable, "-c", code, str(n), str(path)], cwd=ROOT, check=True)


# Any host but the loopback server fails to resolve. Not Playwright's request routing:
# "enabling routing disables http cache", so a "returning visitor" routed that way downloaded
# every script again (4.8 MB per visit) and measured nothing of the cache.
NO_OTHER_HOSTS = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"


def new_page(browser, base_url: str, blocked: list[str], errors: list[str]):
    """A fresh browser profile (empty cache); requests to other hosts are counted (and fail
    to resolve, see :data:`NO_OTHER_HOSTS`)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=base_url)
    context.set_default_timeout(120_000)

    def seen(request):
        parts = urlsplit(request.url)
        if parts.scheme not in ("data", "blob", "about") and (parts.hostname or "") not in (
                "127.0.0.1", "localhost"):
            blocked.append(request.url)

    context.on("request", seen)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    return page


def transferred_kb(page) -> int:
    """kB this page load took from the network (0 for what came from the browser cache)."""
    return round(page.evaluate(
        "() => performance.getEntriesByType('resource').reduce((s, r) => s + r.transferSize, 0)"
        " + performance.getEntriesByType('navigation').reduce((s, r) => s + r.transferSize, 0)"
    ) / 1000)


def wait_idle(page) -> None:
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        state="attached")


def open_map(page) -> float:
    """Seconds from navigation to the map drawn (basemap + event layer)."""
    start = time.monotonic()
    page.goto("/Map", wait_until="commit")
    page.wait_for_function(DRAWN_JS, arg=MAP_IFRAME, polling=20)
    return time.monotonic() - start


def type_option(page, label: str, option: str) -> None:
    """Type ``option`` into the sidebar multiselect called ``label`` (not yet picked)."""
    box = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(
        has_text=label)
    field = box.locator("input")
    field.click()
    field.fill(option)


def change_filter(page, label: str, option: str) -> float:
    """Seconds from a filter change (the Enter that picks the typed option, as a user's click
    on it would) to a new event layer drawn in place of the old one. Typing the option comes
    before the clock starts: it is the user's own time, and Playwright's click/fill round
    trips added 50–200 ms that the dashboard does not cost."""
    wait_idle(page)
    page.wait_for_function(DRAWN_JS, arg=MAP_IFRAME, polling=20)
    page.evaluate(MARK_JS, MAP_IFRAME)
    type_option(page, label, option)
    start = time.monotonic()
    page.keyboard.press("Enter")
    page.wait_for_function(REDRAWN_JS, arg=MAP_IFRAME, polling=20)
    page.wait_for_function(DRAWN_JS, arg=MAP_IFRAME, polling=20)
    elapsed = time.monotonic() - start
    page.keyboard.press("Escape")  # closes the option list before the next change
    return elapsed


def run(store: Path, repeats: int, logs: Path) -> dict:
    from playwright.sync_api import sync_playwright

    # The same server the browser tests start, without the bundled seed (given store only).
    server = LiveServer(store, logs, env={"SALVO_SEED_BUNDLED": "false"})
    blocked: list[str] = []
    errors: list[str] = []
    out: dict = {"store": str(store), "load": [round(os.getloadavg()[0], 2)]}
    t0 = time.monotonic()
    server.start(timeout=120)
    out["server_start_s"] = round(time.monotonic() - t0, 2)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM),
                                         args=[*FLAGS, NO_OTHER_HOSTS])
            try:
                warm = new_page(browser, server.url, blocked, errors)
                out["cold_first_map_s"] = round(open_map(warm), 2)  # snapshot, facets, plan
                wait_idle(warm)
                warm.context.close()
                drawn, drawn_kb = [], []
                for _ in range(repeats):
                    page = new_page(browser, server.url, blocked, errors)
                    drawn.append(open_map(page))
                    wait_idle(page)
                    drawn_kb.append(transferred_kb(page))
                    page.context.close()
                page = new_page(browser, server.url, blocked, errors)
                open_map(page)
                wait_idle(page)
                cached, cached_kb = [], []
                for _ in range(repeats):
                    cached.append(open_map(page))
                    wait_idle(page)
                    cached_kb.append(transferred_kb(page))
                page.context.close()
                page = new_page(browser, server.url, blocked, errors)
                open_map(page)
                redrawn = [change_filter(page, label, option)
                           for label, option in CHANGES[:max(repeats, 1)]]
                wait_idle(page)
                shown = page.locator('[data-testid="stMetricValue"]').first.inner_text()
                page.context.close()
            finally:
                browser.close()
    finally:
        out["server_peak_rss_mb"] = server.rss_mb()
        server.stop()
    out.update({
        "drawn_s": round(statistics.median(drawn), 2), "drawn_runs": [round(x, 2) for x in drawn],
        "drawn_cached_s": round(statistics.median(cached), 2),
        "drawn_cached_runs": [round(x, 2) for x in cached],
        "downloaded_kb": statistics.median(drawn_kb),
        "downloaded_cached_kb": statistics.median(cached_kb),
        "redrawn_s": round(statistics.median(redrawn), 2),
        "redrawn_runs": [round(x, 2) for x in redrawn],
        "events_after_changes": shown, "external_requests": len(blocked),
        "page_errors": errors[:5],
    })
    out["load"].append(round(os.getloadavg()[0], 2))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.browser",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--events", default="1M", choices=list(SIZES))
    parser.add_argument("--store", help="use this DuckDB store instead of building one")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "browser.json"))
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        raise SystemExit(f"no Chromium at {CHROMIUM} (apt install chromium; never "
                         "`playwright install`)")
    work = Path(tempfile.mkdtemp(prefix="salvo-browser-bench-"))
    try:
        if args.store:
            store = Path(args.store)
        else:
            store = work / "events.duckdb"
            print(f"building a store of {args.events} synthetic events…", file=sys.stderr)
            build_store(SIZES[args.events], store)
        print("measuring…", file=sys.stderr)
        result = run(store, args.repeats, work / "logs")
        result["events"] = args.events if not args.store else "given store"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["targets"] = TARGETS
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    ok_drawn = result["drawn_s"] <= TARGETS["drawn_s"]
    ok_redrawn = result["redrawn_s"] <= TARGETS["redrawn_s"]
    print(f"| {result['events']} events, warm server | median | runs | target | met |")
    print("|---|---|---|---|---|")
    ok_cached = result["drawn_cached_s"] <= TARGETS["drawn_cached_s"]
    print(f"| navigation → map drawn (first visit) | {result['drawn_s']:.2f} s | "
          f"{result['drawn_runs']} | ≤ {TARGETS['drawn_s']} s | "
          f"{'yes' if ok_drawn else '**no**'} |")
    print(f"| navigation → map drawn (returning visitor) | {result['drawn_cached_s']:.2f} s | "
          f"{result['drawn_cached_runs']} | ≤ {TARGETS['drawn_cached_s']} s | "
          f"{'yes' if ok_cached else '**no**'} |")
    print(f"| filter change → map redrawn | {result['redrawn_s']:.2f} s | "
          f"{result['redrawn_runs']} | ≤ {TARGETS['redrawn_s']} s | "
          f"{'yes' if ok_redrawn else '**no**'} |")
    print(f"\ncold first map (snapshot + facets + plan): {result['cold_first_map_s']} s; "
          f"server peak RSS {result['server_peak_rss_mb']} MB; requests blocked (non-loopback): "
          f"{result['external_requests']}; downloaded per visit: first "
          f"{result['downloaded_kb']:,} kB, returning {result['downloaded_cached_kb']:,} kB; "
          f"page errors: {len(result['page_errors'])}; load "
          f"average {result['load'][0]}–{result['load'][1]}; JSON: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
