"""The PostGIS store's connections: a sized pool, and the read-standby fallback when the
standby cannot be used (the real standby is in tests/test_scaleout.py)."""

from __future__ import annotations

import logging
import threading
import time

import psycopg
import pytest

from geo.filters import Filters
from geo.store.pgpool import Pool, PoolTimeout, lsn_value
from geo.store.postgis import PostGISStore
from tests.pg import _free_port


class FakeConnection:
    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_pool_never_opens_more_than_its_size_and_reuses_connections():
    opened: list[FakeConnection] = []
    pool = Pool(lambda: opened.append(FakeConnection()) or opened[-1], size=2, wait=5)
    busy = threading.Barrier(2)
    release = threading.Event()
    in_use: list[int] = []
    peak = [0]
    lock = threading.Lock()

    def work(first: bool) -> None:
        with pool.connection():
            with lock:
                in_use.append(1)
                peak[0] = max(peak[0], len(in_use))
            if first:
                busy.wait()
                release.wait(5)
            with lock:
                in_use.pop()

    first = [threading.Thread(target=work, args=(True,)) for _ in range(2)]
    for t in first:
        t.start()
    later = [threading.Thread(target=work, args=(False,)) for _ in range(4)]
    time.sleep(0.1)  # the first two hold both connections
    for t in later:
        t.start()
    time.sleep(0.1)
    release.set()
    for t in first + later:
        t.join(5)
    assert peak[0] == 2
    assert len(opened) == 2  # six calls, two connections
    assert pool.waits >= 1


def test_pool_gives_up_after_its_wait_with_a_clear_error():
    pool = Pool(FakeConnection, size=1, wait=0.2)
    with pool.connection(), pytest.raises(PoolTimeout, match="SALVO_STORE_POOL_SIZE"):
        with pool.connection():
            pass


def test_a_connection_that_raised_is_not_reused():
    opened: list[FakeConnection] = []
    pool = Pool(lambda: opened.append(FakeConnection()) or opened[-1], size=1)
    with pytest.raises(ValueError), pool.connection():
        raise ValueError("query failed")
    with pool.connection() as con:
        assert con is opened[1]
    assert opened[0].closed


def test_wal_positions_compare_as_numbers_not_text():
    assert lsn_value("0/A0000000") > lsn_value("0/9FFFFFFF")
    assert lsn_value("1/0") > lsn_value("0/FFFFFFFF")
    assert lsn_value("16/B374D848") == (0x16 << 32) + 0xB374D848


# ---- with a server -------------------------------------------------------------------------
postgis = pytest.mark.postgis


@postgis
def test_many_threads_share_a_small_pool(pg_url, sample_events):
    store = PostGISStore(pg_url, pool_size=3)
    try:
        store.upsert(sample_events)
        errors: list[Exception] = []
        peak = [0]
        stop = threading.Event()

        def watch() -> None:
            with psycopg.connect(pg_url, autocommit=True) as con:
                while not stop.is_set():
                    n = con.execute("SELECT count(*) FROM pg_stat_activity WHERE "
                                    "application_name = 'salvo' AND datname = "
                                    "current_database()").fetchone()[0]
                    peak[0] = max(peak[0], n)
                    time.sleep(0.01)

        def work() -> None:
            try:
                for _ in range(15):
                    assert store.count(Filters(origins=("PRK",))) == 4
                    store.timeline(Filters(), "week")
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)

        watcher = threading.Thread(target=watch)
        watcher.start()
        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stop.set()
        watcher.join()
        assert errors == []
        assert 1 <= peak[0] <= 3
        assert store._pool.waits > 0  # eight threads did queue for three connections
    finally:
        store.close()


@postgis
@pytest.mark.parametrize("case", ["unreachable", "not a standby"])
def test_reads_fall_back_to_the_primary_with_a_warning(pg_url, sample_events, caplog, case):
    read_url = (f"postgresql://postgres@127.0.0.1:{_free_port()}/nowhere"
                if case == "unreachable" else pg_url)  # the primary itself is no standby
    store = PostGISStore(pg_url, read_url=read_url)
    try:
        with caplog.at_level(logging.WARNING, logger="salvo.store"):
            store.upsert(sample_events)
            assert store.count(Filters()) == 6  # never an error
            assert store.count(Filters(origins=("PRK",))) == 4
        warnings = [r.getMessage() for r in caplog.records if r.name == "salvo.store"]
        assert len(warnings) == 1, warnings  # then the primary, quietly, for a while
        assert "reading from the primary" in warnings[0]
        if case == "not a standby":
            assert "is not a hot standby" in warnings[0]
        assert store._router.standby_reads == 0
    finally:
        store.close()
