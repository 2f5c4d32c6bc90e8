"""Issue 5 benchmark: is the dashboard interactive at 10k, 100k and 1M events?

    python -m bench.run                      # N = 10k, 100k, 1M (about 10 minutes)
    python -m bench.run --sizes 10k,100k     # quicker
    python -m bench.run --repeats 9 --keep /tmp/salvo-bench

For each N, in fresh processes (so peak memory is per step and per N):

1. **generate** a canonical CSV of synthetic events (:mod:`bench.synth`) in a temp dir;
2. **import** it through the code path of ``python -m geo import``:
   :func:`geo.importers.read_events` then :meth:`DuckDBStore.upsert` (rows/s, peak RSS);
3. **app**: open the store as the dashboard does (snapshot) and time, as medians of
   ``--repeats`` runs: a filter (``store.count``), the aggregates (weekly timeline + zoom-6
   grid), the map (``plan_map`` + ``base_map`` + ``layers`` + what ``st_folium`` sends, built
   by streamlit-folium itself — see :mod:`bench.payload`), the timeline spec
   (``build_chart(...).to_json()``), and the **full server-side rerun** of
   ``pages/1_Map.py`` and ``pages/2_Timeline.py`` in Streamlit's ``AppTest`` after a filter
   change (a new filter value each time, so every cached read misses); peak RSS = the
   app's memory;

and once, in its own process, the **naive baseline**: one ``folium.CircleMarker`` + popup
per event for 10k events, built and rendered (``get_root().render()``).

Wall-clock times depend on what else the machine runs: the load average is recorded next
to every step, and CPU times (all threads of the process) are reported too. Results go to
``bench/results/latest.json`` (git-ignored) and a markdown table is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}

# Targets of issue 5 (medians, this 2-core machine; docs/benchmarks.md).
TARGETS = {
    "filter_ms": 20, "rerun_ms": 300, "map_bytes": 1_000_000, "timeline_bytes": 300_000,
    "app_rss_mb": 1536, "import_rows_s": 50_000, "naive_ratio": 50,
}


# ---- helpers ---------------------------------------------------------------------------------
def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load() -> float:
    return round(os.getloadavg()[0], 2)


class Clock:
    """Wall and CPU time (CPU: every thread of this process) of a block."""

    def __init__(self):
        self.wall = self.cpu = 0.0

    @contextmanager
    def __call__(self):
        w, c = time.perf_counter(), time.process_time()
        yield self
        self.wall, self.cpu = time.perf_counter() - w, time.process_time() - c


def timed(fn, repeats: int) -> dict:
    """Median wall/CPU milliseconds of ``fn()`` over ``repeats`` runs (after one warm-up)."""
    fn()
    walls, cpus = [], []
    for _ in range(repeats):
        clock = Clock()
        with clock():
            fn()
        walls.append(clock.wall * 1000)
        cpus.append(clock.cpu * 1000)
    return {"ms": round(statistics.median(walls), 1), "cpu_ms": round(statistics.median(cpus), 1),
            "min_ms": round(min(walls), 1), "runs": repeats}


def typical_filter():
    """A typical analyst filter: one year, two origin groups."""
    from geo.filters import Filters

    return Filters(date_from=date(2025, 1, 1), date_to=date(2025, 12, 31),
                   origins=("IRN", "PRK"))


# ---- workers (each runs in a fresh process) ----------------------------------------------------
def work_generate(n: int, out: Path) -> dict:
    from bench.synth import synth_events, write_canonical_csv

    clock = Clock()
    with clock():
        write_canonical_csv(synth_events(n), out)
    return {"seconds": round(clock.wall, 1), "bytes": out.stat().st_size}


def work_import(csv_path: Path, store_path: Path) -> dict:
    """The path of ``python -m geo import FILE --store duckdb:///…``."""
    from geo.importers import read_events
    from geo.store.duckdb import DuckDBStore

    before = load()
    read, write = Clock(), Clock()
    with read():
        result = read_events(csv_path)
    store = DuckDBStore(store_path, snapshot=False)
    with write():
        upserted = store.upsert(result.events)
    store.close()
    rows = result.rows_read
    total = read.wall + write.wall
    return {
        "rows": rows, "accepted": len(result.events), "rejected": len(result.rejections),
        "inserted": upserted.inserted,
        "read_s": round(read.wall, 2), "read_cpu_s": round(read.cpu, 2),
        "upsert_s": round(write.wall, 2), "upsert_cpu_s": round(write.cpu, 2),
        "seconds": round(total, 2), "rows_per_s": round(rows / total),
        "rows_per_cpu_s": round(rows / (read.cpu + write.cpu)),
        "store_mb": round(store_path.stat().st_size / 2**20, 1),
        "peak_rss_mb": round(peak_rss_mb()), "load": [before, load()],
    }


def _filter_sequence(count: int):
    """``count`` different filters (dates and origins): every rerun misses every cache."""
    from geo.filters import Filters

    origins = [(), ("RUS",), ("IRN", "PRK"), ("PRK",), ("IRN",), ("RUS", "unknown")]
    out = []
    for i in range(count):
        start = date(2022, 3, 1) + timedelta(days=17 * (i + 1))
        end = date(2026, 6, 1) - timedelta(days=11 * (i + 1))
        out.append(Filters(date_from=start, date_to=end, origins=origins[i % len(origins)]))
    return out


def _apptest_reruns(page: str, filters, repeats: int) -> dict:
    """Time ``AppTest.run()`` of ``page`` after each filter change (fresh values)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.switch_page(page)
    first = Clock()
    with first():
        at.run()
    if at.exception:
        raise RuntimeError(f"{page}: {at.exception}")
    walls, cpus = [], []
    for f in filters[:repeats]:
        at.date_input(key="w_dates").set_value((f.date_from, f.date_to))
        at.multiselect(key="w_origins").set_value(list(f.origins))
        clock = Clock()
        with clock():
            at.run()
        if at.exception:
            raise RuntimeError(f"{page}: {at.exception}")
        walls.append(clock.wall * 1000)
        cpus.append(clock.cpu * 1000)
    same = Clock()  # a rerun with nothing changed (every read cached)
    with same():
        at.run()
    return {"ms": round(statistics.median(walls), 1), "cpu_ms": round(statistics.median(cpus), 1),
            "min_ms": round(min(walls), 1), "runs": len(walls),
            "first_run_ms": round(first.wall * 1000), "unchanged_rerun_ms": round(same.wall * 1000)}


def work_app(store_path: Path, repeats: int) -> dict:
    """Everything the dashboard does on a rerun, against a store of N events."""
    os.environ["SALVO_STORE"] = str(store_path)
    os.environ["SALVO_SEED_BUNDLED"] = "false"
    os.environ.pop("SALVO_AUTH_ROLES", None)
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    from bench.payload import chart_payload, map_payload
    from geo.filters import Filters
    from geo.maps import base_map, basemap_url, layers, plan_map
    from geo.settings import get as setting
    from geo.store.duckdb import DuckDBStore
    from geo.timeline import build_chart, choose_bin

    out: dict = {"load": [load()]}
    store = DuckDBStore(store_path)
    snap = Clock()
    with snap():
        store._reader().close()  # the snapshot the dashboard reads from
    out["snapshot_load_ms"] = round(snap.wall * 1000)
    facets = Clock()
    with facets():
        facet = store.facets()
    out["facets_ms"] = round(facets.wall * 1000)
    out["events"] = facet.total

    typical, everything = typical_filter(), Filters()
    out["filter"] = timed(lambda: store.count(typical), repeats)
    out["filter"]["matching"] = store.count(typical)
    out["filter_all_dates_origin"] = timed(
        lambda: store.count(Filters(origins=("RUS",))), repeats)
    out["filter_oblast"] = timed(lambda: store.count(Filters(oblasts=("UA-63",))), repeats)
    out["filter_text"] = timed(lambda: store.count(Filters(q="warehouse fire")),
                               max(3, repeats // 2))
    out["aggregate"] = timed(lambda: (store.timeline(everything, "week"),
                                      store.grid(everything, 6)), repeats)
    max_points = setting("max_points")

    def map_path(f):
        plan = plan_map(store, f, max_points=max_points)
        return plan, map_payload(base_map(basemap_src=basemap_url()), layers(plan))

    for name, f in (("map", everything), ("map_typical", typical)):
        out[name] = timed(lambda f=f: map_path(f), repeats)
        plan, (size, parts) = map_path(f)
        out[name].update({"bytes": size, "parts": parts, "mode": plan.mode,
                          "symbols": len(plan.grid) if plan.mode == "grid" else len(plan.points)})
    first, last = facet.first, facet.last
    page_bin = choose_bin(first, last)
    for name, bin_ in (("timeline", "week"), ("timeline_page", page_bin)):
        frame = store.timeline(everything, bin_)
        out[name] = timed(lambda fr=frame, b=bin_: build_chart(fr, "events", b).to_json(),
                          repeats)
        out[name].update({"bytes": chart_payload(build_chart(frame, "events", bin_)),
                          "bin": bin_, "rows": len(frame)})

    # The same work as a rerun after a filter change, without Streamlit: plan + layers +
    # st_folium's generation + timeline aggregate + chart spec.
    sequence = iter(_filter_sequence(200))

    def server_path():
        f = next(sequence)
        plan = plan_map(store, f, max_points=max_points)
        map_payload(base_map(basemap_src=basemap_url()), layers(plan))
        build_chart(store.timeline(f, "week"), "events", "week").to_json()
        store.count(f)

    out["rerun_direct"] = timed(server_path, repeats)
    filters = _filter_sequence(2 * repeats + 2)
    out["rerun_map"] = _apptest_reruns("pages/1_Map.py", filters, repeats)
    out["rerun_timeline"] = _apptest_reruns("pages/2_Timeline.py", filters[repeats:], repeats)
    out["peak_rss_mb"] = round(peak_rss_mb())
    out["load"].append(load())
    store.close()
    return out


def work_naive(n: int) -> dict:
    """The naive map: one CircleMarker with a popup per event, built and rendered."""
    import folium

    from bench.synth import synth_events
    from geo.escape import for_map
    from geo.maps import source_links_html

    def popup_html(row: dict) -> str:  # the naive way: one escaped HTML popup per marker
        return "<br>".join(p for p in (
            f"<b>{for_map(str(row.get('event_date'))[:10])}</b> · "
            f"{for_map(row.get('event_type'))}",
            f"{for_map(row.get('weapon_model') or 'weapon not stated')} — "
            f"{for_map(row.get('origin_group'))}",
            for_map(row.get("location") or ""),
            source_links_html(str(row.get("sources") or "")),
            f"<small>{for_map(row.get('event_id'))}</small>") if p)

    frame = synth_events(3 * n)
    points = frame[frame["latitude"].notna()].head(n).copy()
    points["origin_group"] = points["weapon_origin"].where(points["weapon_origin"] != "",
                                                          "unknown")
    before = load()
    build, render = Clock(), Clock()
    with build():
        fmap = folium.Map(location=[48.6, 31.3], zoom_start=6, tiles=None)
        for row in points.to_dict("records"):
            folium.CircleMarker([row["latitude"], row["longitude"]], radius=5,
                                popup=folium.Popup(popup_html(row), max_width=320),
                                fill=True).add_to(fmap)
    with render():
        html = fmap.get_root().render()
    return {"events": len(points), "build_s": round(build.wall, 2),
            "render_s": round(render.wall, 2), "seconds": round(build.wall + render.wall, 2),
            "cpu_s": round(build.cpu + render.cpu, 2), "bytes": len(html.encode("utf-8")),
            "peak_rss_mb": round(peak_rss_mb()), "load": [before, load()]}


# ---- orchestration ---------------------------------------------------------------------------
def _child(*args: str) -> dict:
    """Run ``python -m bench.run --worker …`` in a fresh process; return its JSON."""
    cmd = [sys.executable, "-m", "bench.run", "--worker", *args]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"benchmark step failed: {' '.join(args)}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _worker(argv: list[str]) -> None:
    kind, *rest = argv
    if kind == "generate":
        result = work_generate(int(rest[0]), Path(rest[1]))
    elif kind == "import":
        result = work_import(Path(rest[0]), Path(rest[1]))
    elif kind == "app":
        result = work_app(Path(rest[0]), int(rest[1]))
    elif kind == "naive":
        result = work_naive(int(rest[0]))
    else:
        raise SystemExit(f"unknown worker {kind}")
    print(json.dumps(result))


def _fmt_ms(entry: dict) -> str:
    return f"{entry['ms']:,.0f} ms" if entry["ms"] >= 10 else f"{entry['ms']:.1f} ms"


def _kb(n: float) -> str:
    return f"{n / 1000:,.0f} kB" if n < 10**6 else f"{n / 10**6:.2f} MB"


def table(results: dict) -> str:
    sizes = [s for s in results["sizes"]]
    r = results["sizes"]
    rows: list[tuple[str, list[str]]] = [
        ("import (read + upsert), rows/s", [
            f"{r[s]['import']['rows_per_s']:,} ({r[s]['import']['seconds']:.1f} s: read "
            f"{r[s]['import']['read_s']:.1f} + upsert {r[s]['import']['upsert_s']:.1f})"
            for s in sizes]),
        ("import, rows per CPU-second", [f"{r[s]['import']['rows_per_cpu_s']:,}" for s in sizes]),
        ("import peak RSS", [f"{r[s]['import']['peak_rss_mb']:,} MB" for s in sizes]),
        ("dashboard snapshot load", [f"{r[s]['app']['snapshot_load_ms']:,} ms" for s in sizes]),
        ("filter: store.count (1 year, 2 origins)",
         [_fmt_ms(r[s]["app"]["filter"]) for s in sizes]),
        ("filter: all dates, 1 origin", [_fmt_ms(r[s]["app"]["filter_all_dates_origin"])
                                         for s in sizes]),
        ("filter: 1 oblast", [_fmt_ms(r[s]["app"]["filter_oblast"]) for s in sizes]),
        ("filter: text search", [_fmt_ms(r[s]["app"]["filter_text"]) for s in sizes]),
        ("aggregate: weekly timeline + grid", [_fmt_ms(r[s]["app"]["aggregate"])
                                               for s in sizes]),
        ("map build+render (all events)", [
            f"{_fmt_ms(r[s]['app']['map'])} ({r[s]['app']['map']['mode']}, "
            f"{r[s]['app']['map']['symbols']:,} symbols)" for s in sizes]),
        ("map payload (all events)", [_kb(r[s]["app"]["map"]["bytes"]) for s in sizes]),
        ("map payload (typical filter)", [
            f"{_kb(r[s]['app']['map_typical']['bytes'])} ({r[s]['app']['map_typical']['mode']})"
            for s in sizes]),
        ("timeline spec (weekly)", [_kb(r[s]["app"]["timeline"]["bytes"]) for s in sizes]),
        ("timeline spec (page's bin)", [
            f"{_kb(r[s]['app']['timeline_page']['bytes'])} ({r[s]['app']['timeline_page']['bin']})"
            for s in sizes]),
        ("full rerun, Map page (AppTest)", [_fmt_ms(r[s]["app"]["rerun_map"]) for s in sizes]),
        ("full rerun, Timeline page (AppTest)", [_fmt_ms(r[s]["app"]["rerun_timeline"])
                                                 for s in sizes]),
        ("rerun work without Streamlit", [_fmt_ms(r[s]["app"]["rerun_direct"]) for s in sizes]),
        ("app peak RSS", [f"{r[s]['app']['peak_rss_mb']:,} MB" for s in sizes]),
        ("load average during the step", [
            f"{r[s]['app']['load'][0]}–{r[s]['app']['load'][1]}" for s in sizes]),
    ]
    lines = ["| | " + " | ".join(f"N = {s}" for s in sizes) + " |",
             "|---|" + "---|" * len(sizes)]
    lines += [f"| {name} | " + " | ".join(cells) + " |" for name, cells in rows]
    naive = results.get("naive")
    if naive:
        lines.append("")
        lines.append(f"Naive baseline ({naive['events']:,} CircleMarkers with popups): build "
                     f"{naive['build_s']:.2f} s + render {naive['render_s']:.2f} s = "
                     f"{naive['seconds']:.2f} s, {_kb(naive['bytes'])} of HTML. "
                     f"Full Map-page rerun at 10k: {results['ratio']['rerun_ms']:,.0f} ms → "
                     f"**{results['ratio']['value']:,.0f}× faster**.")
    return "\n".join(lines)


def verdicts(results: dict) -> list[tuple[str, str, bool]]:
    out = []
    big = results["sizes"].get("1M")
    if big:
        app, imp = big["app"], big["import"]
        out += [
            ("1M filter ≤ 20 ms", f"{app['filter']['ms']} ms", app["filter"]["ms"] <= 20),
            ("1M full rerun ≤ 300 ms (Map page)", f"{app['rerun_map']['ms']} ms",
             app["rerun_map"]["ms"] <= 300),
            ("1M full rerun ≤ 300 ms (Timeline page)", f"{app['rerun_timeline']['ms']} ms",
             app["rerun_timeline"]["ms"] <= 300),
            ("1M map payload ≤ 1 MB", _kb(max(app["map"]["bytes"], app["map_typical"]["bytes"])),
             max(app["map"]["bytes"], app["map_typical"]["bytes"]) <= TARGETS["map_bytes"]),
            ("1M timeline spec ≤ 300 KB", _kb(app["timeline"]["bytes"]),
             app["timeline"]["bytes"] <= TARGETS["timeline_bytes"]),
            ("1M app memory ≤ 1.5 GB", f"{app['peak_rss_mb']} MB",
             app["peak_rss_mb"] <= TARGETS["app_rss_mb"]),
            ("1M import ≥ 50k rows/s", f"{imp['rows_per_s']:,} rows/s",
             imp["rows_per_s"] >= TARGETS["import_rows_s"]),
        ]
    if results.get("ratio"):
        ratio = results["ratio"]["value"]
        out.append(("10k rerun ≥ 50× faster than naive", f"{ratio:,.0f}×", ratio >= 50))
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        _worker(argv[1:])
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10k,100k,1M", help="comma-separated: 10k,100k,1M")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per measurement")
    parser.add_argument("--keep", help="keep the CSVs and stores in this directory")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive baseline")
    parser.add_argument("--json", default=str(RESULTS / "latest.json"))
    args = parser.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown sizes {unknown}; choose from {', '.join(SIZES)}")
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="salvo-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {
        "meta": {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "cpus": os.cpu_count(),
                 "python": platform.python_version(), "machine": platform.machine(),
                 "load_at_start": list(os.getloadavg()), "repeats": args.repeats},
        "targets": TARGETS, "sizes": {},
    }
    try:
        for label in sizes:
            n = SIZES[label]
            csv_path, store_path = work / f"events_{label}.csv", work / f"events_{label}.duckdb"
            print(f"[{label}] generating {n:,} synthetic events…", file=sys.stderr, flush=True)
            if not csv_path.exists():
                _child("generate", str(n), str(csv_path))
            for p in (store_path, Path(str(store_path) + ".wal")):
                p.unlink(missing_ok=True)
            print(f"[{label}] importing…", file=sys.stderr, flush=True)
            imported = _child("import", str(csv_path), str(store_path))
            print(f"[{label}] dashboard…", file=sys.stderr, flush=True)
            app = _child("app", str(store_path), str(args.repeats))
            results["sizes"][label] = {"n": n, "import": imported, "app": app}
        if not args.no_naive:
            print("[naive] 10k CircleMarkers with popups…", file=sys.stderr, flush=True)
            results["naive"] = _child("naive", "10000")
            if "10k" in results["sizes"]:
                rerun = results["sizes"]["10k"]["app"]["rerun_map"]["ms"]
                results["ratio"] = {"naive_s": results["naive"]["seconds"], "rerun_ms": rerun,
                                    "value": round(results["naive"]["seconds"] * 1000 / rerun, 1)}
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    results["meta"]["load_at_end"] = list(os.getloadavg())
    results["verdicts"] = [{"target": t, "measured": m, "met": ok}
                           for t, m, ok in verdicts(results)]
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    print(table(results))
    print()
    print("| target | measured | met |\n|---|---|---|")
    for target, measured, ok in verdicts(results):
        print(f"| {target} | {measured} | {'yes' if ok else '**no**'} |")
    print(f"\nload average at start {results['meta']['load_at_start'][0]:.1f}, at end "
          f"{results['meta']['load_at_end'][0]:.1f} ({os.cpu_count()} CPUs); JSON: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
