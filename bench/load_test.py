"""Issue 6, "many analysts at once": concurrent Streamlit reruns against PostGIS.

``python -m bench.load_test [--users 20] [--seconds 60] [--events 100000] [--pg-url URL]``

What it does (details and caveats: docs/loadtest.md):

1. a PostgreSQL + PostGIS database: ``--pg-url``, or a private throw-away cluster from
   :mod:`tests.pg` (loopback only, stopped at the end);
2. ``--events`` synthetic events from :func:`bench.synth.synth_events` loaded with
   ``open_store(url).upsert(frame)`` — in a child process, so the memory of building 100k rows
   does not count as server memory;
3. ``--users`` simulated analysts in **this one process** (one Streamlit "server": one
   runtime, shared ``st.cache_data``/``st.cache_resource``), each an
   :class:`~streamlit.testing.v1.AppTest` session (its own session state) driven from its own
   thread: switch between Overview / Map / Timeline / Events and change a sidebar filter
   (``w_origins``, ``w_dates``, ``w_types``, ``w_q``), ``run()``, record the wall time;
4. every rerun: the page raised nothing (``at.exception``) and is the page asked for; its
   "Events" metric is recorded with the filters *that user* set, and after the timed run
   compared with ``store.count(filters)`` through a separate store object — a cache shared
   across users that mixed sessions up shows as a wrong count;
5. the server's RSS (this process), the app's PostgreSQL connections and store calls, and
   the ``st.cache_data`` sizes at the end.

Prints a markdown table and writes JSON (default ``bench/results/loadtest.json``).

AppTest is not safe to drive from several threads out of the box: every ``AppTest.run()``
sets process globals and resets them when it finishes (see :func:`shared_runtime`).
``--raw-apptest`` runs without the fix, to show what goes wrong.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import logging
import os
import platform
import random
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from geo.filters import Filters

ROOT = Path(__file__).resolve().parents[1]
PAGES = {  # name → (script, the title the page shows)
    "Overview": ("app.py", "Salvo"),
    "Map": ("pages/1_Map.py", "Map"),
    "Timeline": ("pages/2_Timeline.py", "Timeline"),
    "Events": ("pages/3_Events.py", "Events"),
}
ORIGINS = ("RUS", "IRN", "PRK", "unknown")  # bench.synth's groups; RUS;PRK rows match both
TYPES = ("impact", "interception", "attack", "debris", "other")
SEARCHES = ("kharkiv", "front line", "school", "odesa", "energy facility", "shahed",
            "no-such-text")
# Per user step: how often the page changes first, then which filter changes.
SWITCH_SHARE = 0.3
ACTIONS = {"origins": 0.35, "dates": 0.25, "types": 0.2, "q": 0.1, "clear": 0.1}
SAMPLE_EVERY = 0.5  # seconds between RSS / pg_stat_activity samples
APP_NAME = "salvo"  # PostGISStore's application_name
CHECK_APP_NAME = "salvo-loadtest"


# ---- database -------------------------------------------------------------------------------
def _load(url: str, n: int, seed: int) -> dict:
    """Child process: synthesise ``n`` events and upsert them (returns timings)."""
    from bench.synth import synth_events
    from geo.store import open_store

    t0 = time.perf_counter()
    frame = synth_events(n, seed)
    t1 = time.perf_counter()
    store = open_store(url)
    result = store.upsert(frame)
    t2 = time.perf_counter()
    total = store.count(Filters())
    store.close()
    return {"synth_s": round(t1 - t0, 2), "upsert_s": round(t2 - t1, 2),
            "inserted": result.inserted, "updated": result.updated,
            "unchanged": result.unchanged, "events_in_store": total}


@contextlib.contextmanager
def database(pg_url: str | None) -> Iterator[tuple[str, str]]:
    """(store URL, description): the given one, or a database on a private cluster."""
    if pg_url:
        yield pg_url, "given (--pg-url)"
        return
    from tests import pg  # the same private-cluster recipe as the PostGIS tests

    cluster = pg.start()
    try:
        note = f"private cluster (started in {cluster.started_in:.1f} s)"
        yield cluster.new_database("load"), note
    finally:
        cluster.stop()  # only ever our own cluster (or our own databases on a given server)


# ---- AppTest in many threads ------------------------------------------------------------------
@contextlib.contextmanager
def shared_runtime() -> Iterator[None]:
    """Let many AppTest sessions run at once in this process, as on one Streamlit server.

    ``AppTest._run`` (streamlit 1.67, testing/v1/app_test.py) per run: sets
    ``Runtime._instance`` to a fresh mock and to ``None`` when done; resets
    ``PagesManager.uses_pages_directory = None``; patches ``config.get_option`` with
    ``mock.patch`` (not re-entrant across threads). With two sessions in flight, one run's
    teardown pulls the runtime out from under the other (``Runtime hasn't been created``),
    or makes the other's script runner see ``uses_pages_directory = None`` and execute
    app.py instead of the page asked for. Here those names, as AppTest's module sees them,
    are swapped for process-wide equivalents, like a real server's: one runtime (media
    files, dataframe sources, component registry) installed once, the pages flag kept, the
    ``global.appTest`` option set once, one script cache (AppTest compiles the page afresh
    on every run; a server compiles each page once — and concurrent compiles trip a CPython
    3.11 thread-safety bug in the ast module: ``SystemError: AST constructor recursion depth
    mismatch``, seen with ``--raw-apptest``), and one discovery of installed components
    (AppTest repeats it in every session's first run: 0.6–0.9 s of CPU each here, which a
    server spends once at start-up). Each session also gets its own
    session id (AppTest gives every session ``"test session id"``, so they would clear each
    other's media-file references in a shared runtime). The app's code runs unchanged.
    """
    from unittest.mock import MagicMock

    import streamlit.testing.v1.app_test as app_test
    from streamlit import config
    from streamlit.components.v2.component_manager import BidiComponentManager
    from streamlit.runtime import Runtime
    from streamlit.runtime.caching.storage.dummy_cache_storage import (
        MemoryCacheStorageManager,
    )
    from streamlit.runtime.dataframe_source_manager import DataframeSourceManager
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1.util import build_mock_config_get_option

    runtime = MagicMock(spec=Runtime)
    runtime.media_file_mgr = MediaFileManager(MemoryMediaFileStorage("/mock/media"))
    runtime.dataframe_source_mgr = DataframeSourceManager()
    runtime.cache_storage_manager = MemoryCacheStorageManager()
    components = BidiComponentManager()
    components.discover_and_register_components(start_file_watching=False)
    runtime.bidi_component_registry = components
    scripts = ScriptCache()

    class AbsorbRuntime:  # AppTest's `Runtime._instance = …` lands here
        _instance = None

    class KeepPagesFlag(PagesManager):  # AppTest's `PagesManager.uses_pages_directory = None`
        pass

    class SharedComponents:  # AppTest's per-session component discovery (0.6–0.9 s each)
        def discover_and_register_components(self, **_kwargs) -> None:
            pass

        def __getattr__(self, name: str):
            return getattr(components, name)

    ids: dict[int, str] = {}
    ids_lock = threading.Lock()
    base_runner = app_test.LocalScriptRunner

    class OwnSessionRunner(base_runner):  # type: ignore[misc,valid-type]
        def __init__(self, script_path, session_state, *args, **kwargs):
            super().__init__(script_path, session_state, *args, **kwargs)
            with ids_lock:  # the AppTest's session state object is one per user
                self._session_id = ids.setdefault(id(session_state), f"user-{len(ids)}")
            self._script_cache = scripts

    @contextlib.contextmanager
    def no_patch(_overrides):
        yield

    saved = {name: getattr(app_test, name) for name in
             ("Runtime", "PagesManager", "LocalScriptRunner", "ScriptCache",
              "BidiComponentManager", "patch_config_options")}
    saved_get_option = config.get_option
    Runtime._instance = runtime
    config.get_option = build_mock_config_get_option({"global.appTest": True})
    app_test.Runtime = AbsorbRuntime
    app_test.PagesManager = KeepPagesFlag
    app_test.LocalScriptRunner = OwnSessionRunner
    app_test.ScriptCache = lambda: scripts
    app_test.BidiComponentManager = SharedComponents
    app_test.patch_config_options = no_patch
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(app_test, name, value)
        config.get_option = saved_get_option
        Runtime._instance = None


# ---- one simulated analyst --------------------------------------------------------------------
@dataclass
class Rerun:
    user: int
    t: float  # start, seconds since the run began
    page: str
    action: str
    seconds: float
    error: str = ""
    wrong: str = ""
    # The Events metric shown and the filters this user had set: checked after the run.
    shown: int | None = None
    filters: Filters | None = None


@dataclass
class Shared:
    """What the user threads report into (each list append is atomic in CPython)."""

    t0: float
    deadline: float
    first: date
    last: date
    reruns: list[Rerun] = field(default_factory=list)
    loadavg_start: tuple[float, float, float] = (0.0, 0.0, 0.0)


def check_counts(url: str, reruns: list[Rerun], workers: int = 2) -> dict:
    """After the timed run: each shown Events metric against ``store.count(filters)``.

    Deferred so the checks add no load during the measurement (done inline, they held the
    users up about half the time). The store is a separate object with its own
    application_name; the data does not change during the run, so the answer is the same.
    """
    from psycopg.conninfo import make_conninfo

    from geo.store import open_store

    store = open_store(url)
    store._conninfo = make_conninfo(store._conninfo, application_name=CHECK_APP_NAME)
    store.close()  # drop the connection opened under the app's name
    todo = [r for r in reruns if r.filters is not None]
    distinct = list(dict.fromkeys(r.filters for r in todo))
    t = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        want = dict(zip(distinct, pool.map(store.count, distinct), strict=True))
    store.close()
    for r in todo:
        if r.shown != want[r.filters]:
            r.wrong = (f"{r.page}: Events {r.shown:,} but store.count = {want[r.filters]:,} "
                       f"for {r.filters}")[:500]
    return {"count_checked": len(todo), "distinct_filters": len(distinct),
            "check_s": round(time.perf_counter() - t, 1)}


def _events_metric(at) -> int | None:
    for metric in at.metric:
        if metric.label == "Events":
            return int(str(metric.value).replace(",", ""))
    return None


def _first_error(at) -> str:
    if not at.exception:
        return ""
    exc = at.exception[0]
    return f"{getattr(exc, 'value', '') or ''}: {getattr(exc, 'message', '')}".strip(": ")


class User:
    def __init__(self, n: int, seed: int, shared: Shared, timeout: float, think: float):
        from streamlit.testing.v1 import AppTest

        self.n, self.shared, self.think = n, shared, think
        self.rng = random.Random(seed * 10_007 + n)  # noqa: S311 - reproducible choices
        self.at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
        self.page = self.rng.choice(list(PAGES))
        # What this user has set: the independent model the metric is checked against.
        self.origins: list[str] = []
        self.types: list[str] = []
        self.q = ""
        self.dates = (shared.first, shared.last)

    def expected(self):
        return Filters(date_from=self.dates[0], date_to=self.dates[1],
                       origins=tuple(self.origins), types=tuple(self.types), q=self.q.strip())

    def _change_filter(self) -> str:
        rng, at = self.rng, self.at
        keys, weights = list(ACTIONS), list(ACTIONS.values())
        action = rng.choices(keys, weights)[0]
        if action == "origins":
            self.origins = sorted(rng.sample(ORIGINS, rng.choice((0, 1, 1, 2))))
            at.multiselect(key="w_origins").set_value(self.origins)
        elif action == "types":
            self.types = sorted(rng.sample(TYPES, rng.choice((0, 1, 2))))
            at.multiselect(key="w_types").set_value(self.types)
        elif action == "dates":
            first, last = self.shared.first, self.shared.last
            span = rng.choice((7, 31, 92, 365, None))
            if span is None:
                self.dates = (first, last)
            else:
                start = first + timedelta(days=rng.randrange(max(1, (last - first).days - span)))
                self.dates = (start, min(last, start + timedelta(days=span)))
            at.date_input(key="w_dates").set_value(self.dates)
        elif action == "q":
            self.q = rng.choice(("", "", *SEARCHES))
            at.text_input(key="w_q").input(self.q)
        else:  # origins and types emptied together, in one rerun
            self.origins, self.types = [], []
            at.multiselect(key="w_origins").set_value([])
            at.multiselect(key="w_types").set_value([])
            action = "clear"
        return action

    def _rerun(self, action: str) -> None:
        shared, at = self.shared, self.at
        start = time.perf_counter()
        error = wrong = ""
        shown = None
        try:
            at.run()
        except Exception as exc:  # timeouts, harness failures: errors too
            error = f"run() raised {type(exc).__name__}: {exc}"
        seconds = time.perf_counter() - start
        if not error:
            error = _first_error(at)
        if not error:
            title = at.title[0].value if len(at.title) else ""
            metric = _events_metric(at)
            if title != PAGES[self.page][1]:
                wrong = f"asked for {self.page}, got page titled {title!r}"
            elif metric is None:
                wrong = f"{self.page}: no Events metric"
            else:
                shown = metric
        shared.reruns.append(Rerun(self.n, round(start - shared.t0, 3), self.page, action,
                                   round(seconds, 4), error[:500], wrong[:500], shown,
                                   self.expected() if shown is not None else None))

    def loop(self) -> None:
        try:
            self.at.switch_page(PAGES[self.page][0])
            self._rerun("open")
            while time.monotonic() < self.shared.deadline:
                if self.rng.random() < SWITCH_SHARE:
                    self.page = self.rng.choice([p for p in PAGES if p != self.page])
                    self.at.switch_page(PAGES[self.page][0])
                    self._rerun("switch")
                    if time.monotonic() >= self.shared.deadline:
                        break
                    self._pause()
                try:
                    action = self._change_filter()
                except (KeyError, ValueError, IndexError) as exc:  # widget missing: page broke
                    self.shared.reruns.append(Rerun(
                        self.n, round(time.perf_counter() - self.shared.t0, 3), self.page,
                        "widget", 0.0, f"widget not found: {type(exc).__name__}: {exc}"))
                    action = "retry"
                self._rerun(action)
                self._pause()
        except Exception:  # never let a thread die silently
            self.shared.reruns.append(Rerun(
                self.n, round(time.perf_counter() - self.shared.t0, 3), self.page, "crash",
                0.0, "user thread crashed: " + traceback.format_exc(limit=3)[-500:]))

    def _pause(self) -> None:
        if self.think:
            time.sleep(self.rng.uniform(0.5, 1.5) * self.think)


# ---- sampling ---------------------------------------------------------------------------------
def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Sampler(threading.Thread):
    """RSS of this process and the app's PostgreSQL connections, every SAMPLE_EVERY s."""

    def __init__(self, url: str, t0: float):
        super().__init__(daemon=True, name="sampler")
        import psycopg

        from geo.store.postgis import connect_url

        self.t0 = t0
        self.con = psycopg.connect(connect_url(url), autocommit=True,
                                   application_name="salvo-loadtest-monitor")
        self.stop_event = threading.Event()
        self.samples: list[tuple[float, float, int, int]] = []  # t, rss MB, conns, active

    def sample(self) -> None:
        total, active = self.con.execute(
            "SELECT count(*), count(*) FILTER (WHERE state = 'active') FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s", [APP_NAME]
        ).fetchone()
        self.samples.append((round(time.perf_counter() - self.t0, 2), round(rss_mb(), 1),
                             int(total), int(active)))

    def run(self) -> None:
        while not self.stop_event.wait(SAMPLE_EVERY):
            with contextlib.suppress(Exception):
                self.sample()

    def finish(self) -> None:
        self.stop_event.set()
        self.join(5)
        self.con.close()


@contextlib.contextmanager
def counting_store_calls() -> Iterator[dict[str, int]]:
    """The app store's calls (each takes a pooled connection), version() calls among them,
    and new connections opened (pool misses). Counting wrappers only: behaviour unchanged."""
    from geo.store.postgis import PostGISStore

    counts = {"calls": 0, "version": 0, "connects": 0}
    lock = threading.Lock()
    originals = {name: getattr(PostGISStore, name) for name in ("_run", "version", "_connect")}

    def counting(name: str, key: str):
        original = originals[name]

        def wrapper(self, *args, **kwargs):
            if CHECK_APP_NAME not in self._conninfo:  # not the checker's store
                with lock:
                    counts[key] += 1
            return original(self, *args, **kwargs)

        return wrapper

    PostGISStore._run = counting("_run", "calls")
    PostGISStore.version = counting("version", "version")
    PostGISStore._connect = counting("_connect", "connects")
    try:
        yield counts
    finally:
        for name, original in originals.items():
            setattr(PostGISStore, name, original)


def cache_stats() -> dict[str, dict]:
    """st.cache_data entries and pickled bytes, by cached function (reads streamlit's
    per-function caches: its public stats provider only gives grouped totals)."""
    from streamlit.runtime.caching.cache_data_api import _data_caches

    with _data_caches._caches_lock:
        caches = [c for per_key in _data_caches._function_caches.values()
                  for c in per_key.values()]
    out: dict[str, dict] = {}
    for cache in caches:
        for stats in cache.get_stats().values():
            for stat in stats:
                entry = out.setdefault(stat.cache_name.rsplit(".", 1)[-1],
                                       {"entries": 0, "bytes": 0})
                entry["entries"] += 1
                entry["bytes"] += int(stat.byte_length)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]["bytes"]))


# ---- report -----------------------------------------------------------------------------------
def _pct(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    arr = np.asarray(values)
    return {"n": len(values), "p50_s": round(float(np.percentile(arr, 50)), 3),
            "p95_s": round(float(np.percentile(arr, 95)), 3),
            "max_s": round(float(arr.max()), 3), "mean_s": round(float(arr.mean()), 3)}


def summarise(args, db_note: str, load: dict, warm: dict, shared: Shared, sampler: Sampler,
              store_calls: dict, rss: dict, elapsed: float, max_connections: int,
              checks: dict) -> dict:
    reruns = [r for r in shared.reruns if r.action not in ("widget", "crash")]
    timed = [r.seconds for r in reruns]
    errors = [r for r in shared.reruns if r.error]
    wrong = [r for r in shared.reruns if r.wrong]
    first_errors: list[str] = []
    for r in errors:
        if r.error not in first_errors:
            first_errors.append(r.error)
    rss_samples = [s[1] for s in sampler.samples]
    return {
        "config": {
            "users": args.users, "seconds": args.seconds, "events": args.events,
            "seed": args.seed, "think_s": args.think, "timeout_s": args.timeout,
            "mode": "raw AppTest in threads" if args.raw_apptest
            else "threads, one process, shared runtime (bench.load_test.shared_runtime)",
            "database": db_note, "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "streamlit": __import__("streamlit").__version__,
        },
        "load": load,
        "warmup_s": warm,
        "elapsed_s": round(elapsed, 1),
        "reruns": {**_pct(timed), "per_second": round(len(timed) / elapsed, 2),
                   # Share of the users' time spent waiting for a rerun (1.0: never idle).
                   "busy_share": round(sum(timed) / (args.users * elapsed), 2),
                   # Without each session's first page load (all users arrive at once).
                   "after_first": _pct([r.seconds for r in reruns if r.action != "open"]),
                   "by_page": {p: _pct([r.seconds for r in reruns if r.page == p])
                               for p in PAGES},
                   "by_action": {a: _pct([r.seconds for r in reruns if r.action == a])
                                 for a in ("open", "switch", *ACTIONS)}},
        "errors": {"count": len(errors), "distinct": len(first_errors),
                   "first": first_errors[:5]},
        "checks": {**checks, "wrong": len(wrong),
                   "first_wrong": list(dict.fromkeys(r.wrong for r in wrong))[:5]},
        "memory_mb": {**rss, "peak": max(rss_samples, default=float("nan")),
                      "growth": round(rss["end"] - rss["start"], 1)},
        "db": {"max_app_connections": max((s[2] for s in sampler.samples), default=0),
               "max_app_active": max((s[3] for s in sampler.samples), default=0),
               "connections_opened_during_run": store_calls["connects"],
               "store_calls_during_run": store_calls["calls"],
               "version_calls_during_run": store_calls["version"],
               "server_max_connections": max_connections},
        "load_average": {"start": shared.loadavg_start, "end": os.getloadavg()},
        "samples": sampler.samples,
        "reruns_raw": [[r.user, r.t, r.page, r.action, r.seconds, bool(r.error),
                        bool(r.wrong)] for r in shared.reruns],
    }


def rss_series(samples: list, every: float = 10.0) -> str:
    """The RSS samples thinned to one per ``every`` seconds, ``t s: MB``."""
    out, next_t = [], 0.0
    for t, mb, *_ in samples:
        if t >= next_t:
            out.append(f"{t:.0f}: {mb:.0f}")
            next_t = t + every
    return ", ".join(out)


def markdown(res: dict) -> str:
    c, r, m, d = res["config"], res["reruns"], res["memory_mb"], res["db"]
    la = res["load_average"]
    lines = [
        f"### Load test: {c['users']} users × {c['seconds']} s, {c['events']:,} events"
        + (f" — {res['phase']}" if res.get("phase", "as is") != "as is" else ""),
        "",
        "| measure | value |",
        "|---|---|",
        f"| mode | {c['mode']} |",
        f"| database | {c['database']} |",
        f"| load (child process) | synth {res['load']['synth_s']} s, upsert "
        f"{res['load']['upsert_s']} s, {res['load']['events_in_store']:,} events in store |",
        "| warm-up (first run per page, one session) | "
        + ", ".join(f"{k} {v:.2f} s" for k, v in res["warmup_s"].items()) + " |",
        f"| reruns done | {r['n']:,} in {res['elapsed_s']} s ({r['per_second']}/s; users "
        f"waiting on a rerun {r['busy_share']:.0%} of the time) |",
        f"| rerun latency p50 / p95 / max | {r.get('p50_s', '—')} / {r.get('p95_s', '—')} / "
        f"{r.get('max_s', '—')} s |",
        f"| · without each session's first load ({r['after_first']['n']}) | "
        f"{r['after_first'].get('p50_s', '—')} / {r['after_first'].get('p95_s', '—')} / "
        f"{r['after_first'].get('max_s', '—')} s |",
    ]
    for page, s in r["by_page"].items():
        if s["n"]:
            lines.append(f"| · {page} ({s['n']}) p50 / p95 / max | {s['p50_s']} / "
                         f"{s['p95_s']} / {s['max_s']} s |")
    errors = res["errors"]
    lines += [
        f"| errors | {errors['count']} |",
        *[f"| · error | `{e[:160]}` |" for e in errors["first"][:3]],
        f"| Events metric checked against store.count (after the run) | "
        f"{res['checks']['count_checked']:,} reruns, {res['checks']['distinct_filters']:,} "
        f"distinct filters; wrong: {res['checks']['wrong']} |",
        *[f"| · wrong | `{w[:160]}` |" for w in res["checks"]["first_wrong"][:3]],
        f"| server RSS before warm-up / start / end / peak | {m['before_warmup']:.0f} / "
        f"{m['start']:.0f} / {m['end']:.0f} / {m['peak']:.0f} MB |",
        f"| RSS growth during the run | {m['growth']:+.0f} MB |",
        f"| app DB connections: max open / max active | {d['max_app_connections']} / "
        f"{d['max_app_active']} (server max_connections {d['server_max_connections']}) |",
        f"| app store calls / of them version() / new connections opened | "
        f"{d['store_calls_during_run']:,} / {d['version_calls_during_run']:,} / "
        f"{d['connections_opened_during_run']:,} |",
        f"| connection pool size / times a caller waited | "
        f"{res.get('pool', {}).get('size') or 'no bound (4 idle)'} / "
        f"{res.get('pool', {}).get('waits', '—')} |",
        "| RSS every ~10 s (MB) | " + rss_series(res["samples"]) + " |",
        "| st.cache_data at the end | "
        + "; ".join(f"{k}: {v['entries']} entries, {v['bytes'] / 2**20:.1f} MB"
                    for k, v in res.get("caches_at_end", {}).items())
        + " |",
        f"| load average start → end | {la['start'][0]:.1f} → {la['end'][0]:.1f} "
        f"({c['cpus']} CPUs) |",
    ]
    return "\n".join(lines)


# ---- main -------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load_test", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--pg-url", help="an existing PostGIS database (else a private cluster)")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean pause between a user's reruns, seconds (default 0: "
                             "back-to-back, the worst case)")
    parser.add_argument("--timeout", type=float, default=60.0, help="per rerun, seconds")
    parser.add_argument("--raw-apptest", action="store_true",
                        help="drive unmodified AppTest from the threads (shows why not)")
    parser.add_argument("--compare", action="store_true",
                        help="two timed phases on the same server and data: without the "
                             "trigram indexes and with the old connection handling, then "
                             "with both (issue 13)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "loadtest.json")
    args = parser.parse_args(argv)
    import streamlit.testing.v1  # noqa: F401 - streamlit sets its loggers' levels on import

    # AppTest's bookkeeping on this thread (no script context): harmless, and noisy.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(
        logging.ERROR)

    t_begin = time.perf_counter()
    with database(args.pg_url) as (url, db_note):
        print(f"database: {db_note}; loading {args.events:,} events …", flush=True)
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            load = pool.submit(_load, url, args.events, args.seed).result()
        print(f"loaded: {load}", flush=True)

        os.environ["SALVO_STORE"] = url
        os.environ["SALVO_SEED_BUNDLED"] = "false"
        os.environ.pop("SALVO_AUTH_ROLES", None)  # open mode: no sign-in to simulate
        from geo.store import open_store

        probe = open_store(url)
        facets = probe.facets()
        max_connections = int(probe._query("SHOW max_connections", []).iloc[0, 0])
        probe.close()
        gc.collect()
        rss = {"before_warmup": round(rss_mb(), 1)}

        runtime = contextlib.nullcontext() if args.raw_apptest else shared_runtime()
        with runtime, counting_store_calls() as calls:
            # Warm-up: one session opens each page once (imports, first queries, caches).
            from streamlit.testing.v1 import AppTest

            warm: dict[str, float] = {}
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=args.timeout)
            for name, (script, _title) in PAGES.items():
                t = time.perf_counter()
                at.switch_page(script).run()
                warm[name] = round(time.perf_counter() - t, 2)
                if at.exception:
                    print(f"warm-up {name} raised: {_first_error(at)}", file=sys.stderr)
            del at
            gc.collect()
            phases: list[dict] = []
            for phase in (("before", "after") if args.compare else ("as is",)):
                if args.compare:
                    _configure(url, phase)
                phases.append(_timed_phase(args, url, facets, calls, phase))
        results = []
        for ph in phases:
            print(f"checking {len(ph['shared'].reruns):,} reruns' Events metric …", flush=True)
            checks = check_counts(url, ph["shared"].reruns)
            res = summarise(args, db_note, load, warm, ph["shared"], ph["sampler"],
                            ph["store_calls"], {**rss, **ph["rss"]}, ph["elapsed"],
                            max_connections, checks)
            res["phase"] = ph["phase"]
            res["pool"] = ph["pool"]
            res["caches_at_end"] = ph["caches"]
            results.append(res)
        # The app's store (cached resource) keeps its pooled connections: close them before
        # a private cluster goes away.
        with contextlib.suppress(Exception):
            from ui.state import _open

            _open(url).close()

    total = round(time.perf_counter() - t_begin, 1)
    for res in results:
        res["total_wall_s"] = total
        print()
        print(markdown(res))
    out = results[0] if len(results) == 1 else {"phases": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1, default=str) + "\n", encoding="utf-8")
    print(f"\nJSON: {args.out}  (total wall time {total} s)")
    return 1 if any(r["errors"]["count"] or r["checks"]["wrong"] for r in results) else 0


def _configure(url: str, phase: str) -> None:
    """``--compare``: *before* = no trigram indexes and the old connection handling (no
    bound, 4 idle kept); *after* = migration 5's indexes and the sized pool. The data
    version is bumped in between, so the second phase starts with cold caches too."""
    import psycopg

    from geo import settings
    from geo.store.migrations import MIGRATIONS
    from geo.store.pgpool import Pool
    from geo.store.postgis import connect_url
    from ui.state import _open

    trigram = next(m for m in MIGRATIONS if m.version == 5).postgres
    with psycopg.connect(connect_url(url), autocommit=True) as con:
        for statement in trigram[1:]:
            name = statement.split()[2]
            con.execute(f"DROP INDEX IF EXISTS {name}")
            if phase == "after":
                con.execute(statement)
        con.execute("ANALYZE events")
        # A statement-level trigger fires even for no rows: a new data version, cold caches.
        con.execute("UPDATE events SET status = status WHERE false")
    store = _open(url)
    store._pool.close()
    size = settings.get("store_pool_size")
    store._pool = (Pool(lambda: store._connect(store._conninfo), None, idle=4)
                   if phase == "before" else
                   Pool(lambda: store._connect(store._conninfo), size))


def _timed_phase(args, url: str, facets, calls: dict, phase: str) -> dict:
    """One timed run of ``--users`` for ``--seconds`` against the warm server."""
    from ui.state import _open

    gc.collect()
    rss = {"start": round(rss_mb(), 1)}
    calls_before = dict(calls)
    pool = _open(url)._pool
    waits_before = pool.waits
    t0 = time.perf_counter()
    shared = Shared(t0=t0, deadline=time.monotonic() + args.seconds,
                    first=facets.first, last=facets.last)
    shared.loadavg_start = os.getloadavg()
    sampler = Sampler(url, t0)
    sampler.sample()
    sampler.start()
    users = [User(i, args.seed, shared, args.timeout, args.think) for i in range(args.users)]
    threads = [threading.Thread(target=u.loop, name=f"user-{u.n}", daemon=True)
               for u in users]
    print(f"[{phase}] {args.users} users for {args.seconds:g} s …", flush=True)
    for thread in threads:
        thread.start()
    for thread in threads:  # the last rerun may overrun the deadline
        thread.join(max(0.0, shared.deadline - time.monotonic()) + args.timeout + 5)
    elapsed = time.perf_counter() - t0
    stuck = [t.name for t in threads if t.is_alive()]
    if stuck:
        print(f"still running after the timeout: {stuck}", file=sys.stderr)
    sampler.sample()
    sampler.finish()
    store_calls = {k: calls[k] - calls_before[k] for k in calls}
    caches = cache_stats()
    rss["end"] = round(sampler.samples[-1][1], 1)
    del users
    gc.collect()
    rss["end_after_gc"] = round(rss_mb(), 1)
    return {"phase": phase, "shared": shared, "sampler": sampler, "store_calls": store_calls,
            "rss": rss, "elapsed": elapsed, "caches": caches,
            "pool": {"size": pool.size, "waits": pool.waits - waits_before}}


if __name__ == "__main__":
    sys.exit(main())
