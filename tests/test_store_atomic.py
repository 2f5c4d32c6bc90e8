"""Imports are all-or-nothing, can run side by side, and can be repeated — in both stores.

Each import runs in a subprocess, as the CLI would: killing it with SIGKILL halfway must
leave the store exactly as it was; two at once must both land completely.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from geo.filters import Filters
from geo.store import open_store
from tests.conftest import ROOT
from tests.pg import shared_events

STORES = ["duckdb", pytest.param("postgis", marks=pytest.mark.postgis)]

# Runs one upsert. With PAUSE set it stops right after the rows went into `events`, before
# the commit — the worst moment to die — and says so on stdout.
_SCRIPT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import pandas as pd
    url, data, go, pause = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4] == "1"

    def paused(sql):
        if pause and str(sql).lstrip().startswith("INSERT INTO events"):
            print("PAUSED", flush=True)
            time.sleep(600)

    if url.startswith("duckdb"):
        import duckdb
        import geo.store.duckdb as module

        class Con:  # duckdb's connection type cannot be patched: wrap it
            def __init__(self, real):
                self._real = real
            def execute(self, sql, *args):
                result = self._real.execute(sql, *args)
                paused(sql)
                return result
            def __getattr__(self, name):
                return getattr(self._real, name)

        class Shim:
            def __getattr__(self, name):
                return getattr(duckdb, name)
            @staticmethod
            def connect(*args, **kwargs):
                return Con(duckdb.connect(*args, **kwargs))

        module.duckdb = Shim()
    else:
        import psycopg
        real_execute = psycopg.Connection.execute
        def execute(self, sql, *args, **kwargs):
            result = real_execute(self, sql, *args, **kwargs)
            paused(sql)
            return result
        psycopg.Connection.execute = execute

    from geo.store import open_store
    frame = pd.read_pickle(data)
    while not go.exists():
        time.sleep(0.01)
    store = open_store(url, snapshot=False)
    r = store.upsert(frame)
    store.close()
    print("RESULT", r.inserted, r.updated, r.unchanged, flush=True)
""")


class Import:
    """A store import running in its own process."""

    def __init__(self, url: str, frame: pd.DataFrame, tmp: Path, *, pause: bool = False,
                 go: Path | None = None):
        data = tmp / f"import-{id(self)}.pkl"
        frame.to_pickle(data)
        self.go = go or tmp / f"go-{id(self)}"
        if go is None:
            self.go.touch()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SCRIPT, url, str(data), str(self.go), "1" if pause else "0"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())

    def wait_for(self, word: str, timeout: float = 180) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    break
                continue
            if line.startswith(word):
                return line
        self.proc.kill()
        raise AssertionError(f"no {word} from the import: {self.proc.stderr.read()}")

    def result(self) -> tuple[int, int, int]:
        line = self.wait_for("RESULT")
        assert self.proc.wait(timeout=60) == 0, self.proc.stderr.read()
        inserted, updated, unchanged = (int(x) for x in line.split()[1:])
        return inserted, updated, unchanged


@pytest.fixture(params=STORES)
def store_url(request, tmp_path) -> str:
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'atomic.duckdb'}"
    return request.getfixturevalue("pg_url")


def _rows(url: str) -> pd.DataFrame:
    store = open_store(url, snapshot=False)
    try:
        return store.events(Filters(), newest_first=False)
    finally:
        store.close()


def _frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    airforce, cir, bundled = shared_events()
    return airforce, cir, bundled


def test_import_killed_before_commit_leaves_the_store_as_it_was(store_url, tmp_path):
    airforce, cir, bundled = _frames()
    store = open_store(store_url, snapshot=False)
    store.upsert(pd.concat([airforce, bundled], ignore_index=True))
    version = store.version()
    store.close()
    before = _rows(store_url)

    changed = airforce.copy()
    changed["description"] = changed["description"] + " (revised)"
    big = pd.concat([changed, cir], ignore_index=True)  # updates and new rows
    job = Import(store_url, big, tmp_path, pause=True)
    job.wait_for("PAUSED")
    if store_url.startswith("postgresql"):
        # Readers keep seeing the old data while the import is in flight.
        live = open_store(store_url)
        assert live.count(Filters()) == len(before)
        assert live.version() == version
        live.close()
    job.proc.send_signal(signal.SIGKILL)
    job.proc.wait(timeout=30)

    pd.testing.assert_frame_equal(_rows(store_url), before)
    # Nothing is left locked: the same import now runs and lands completely.
    store = open_store(store_url, snapshot=False)
    try:
        result = store.upsert(big)
        assert (result.inserted, result.updated) == (len(cir), len(airforce))
        assert store.count(Filters()) == len(before) + len(cir)
    finally:
        store.close()


def test_two_imports_at_once_both_land(store_url, tmp_path):
    airforce, cir, bundled = _frames()
    half = len(cir) // 2
    # The overlap (identical rows in both) must be stored once, by whichever commits first.
    first = pd.concat([airforce, cir.iloc[:half], bundled], ignore_index=True)
    second = pd.concat([cir.iloc[half:], bundled, airforce.iloc[:500]], ignore_index=True)
    go = tmp_path / "go"
    jobs = [Import(store_url, frame, tmp_path, go=go) for frame in (first, second)]
    time.sleep(0.5)
    go.touch()  # both start together
    results = [job.result() for job in jobs]

    union = pd.concat([first, second])["event_id"].nunique()
    assert sum(r[0] for r in results) == union  # each event inserted exactly once
    assert sum(r[1] for r in results) == 0
    rows = _rows(store_url)
    assert len(rows) == union and rows["event_id"].is_unique


def test_reimporting_changes_nothing(store_url):
    airforce, _, bundled = _frames()
    frame = pd.concat([airforce, bundled], ignore_index=True)
    store = open_store(store_url, snapshot=False)
    try:
        assert store.upsert(frame).inserted == len(frame)
        before = store.events(Filters(), newest_first=False)
        version = store.version()
        again = store.upsert(frame)
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(frame))
        pd.testing.assert_frame_equal(store.events(Filters(), newest_first=False), before)
        assert store.version() == version  # dashboards keep their caches
    finally:
        store.close()
