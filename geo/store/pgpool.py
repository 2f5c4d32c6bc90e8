"""Connections for the PostGIS store: a sized pool, and reads routed to a hot standby.

**Pool.** At most ``size`` connections are open at once per server (N app processes ×
``SALVO_STORE_POOL_SIZE`` is what the database must allow); a caller that finds them all
busy waits for one, up to ``wait`` seconds. Every connection is kept for reuse, so a busy
process stops opening and closing connections (the load test saw 4 new connections a
second with the old 4-idle list). A connection that raised is dropped, not reused. Written
here rather than with ``psycopg_pool`` because a failed connect must surface *at once*: the
standby fallback below depends on it, and psycopg_pool retries in the background while the
caller waits for its timeout.

**Standby reads.** With ``SALVO_STORE_READ`` set, reads go to a streaming-replication hot
standby and everything else (imports, curation, the audit log, the sync log, migrations) to
the primary. *Read-your-writes*: after each write this process remembers the primary's WAL
insert position; until the standby has replayed past it, reads go to the primary. The first
read that finds the standby caught up clears the mark, so reads return to the standby as
soon as it can answer them, and nobody ever waits for replication. If the standby cannot be
reached (or is not a standby of this primary), reads use the primary, a warning is logged,
and the standby is tried again after ``STANDBY_RETRY_S``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg

log = logging.getLogger("salvo.store")

POOL_WAIT_S = 30.0
STANDBY_RETRY_S = 30.0


class PoolTimeout(RuntimeError):
    """Every pooled connection stayed busy for the whole wait."""


class Pool:
    """Up to ``size`` open connections (``None``: no bound), up to ``idle`` kept for reuse
    (default: all of them). ``connect()`` opens one; its errors propagate unchanged."""

    def __init__(self, connect: Callable[[], psycopg.Connection], size: int | None,
                 idle: int | None = None, wait: float = POOL_WAIT_S):
        self._connect = connect
        self.size = size
        self._slots = threading.BoundedSemaphore(size) if size else None
        self._max_idle = idle if idle is not None else (size or 0)
        self._wait = wait
        self._idle: list[psycopg.Connection] = []
        self._lock = threading.Lock()
        self.waits = 0  # times a caller found every connection busy (for the load test)

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A connection for one call; on error it is closed rather than reused."""
        if self._slots is not None and not self._slots.acquire(blocking=False):
            self.waits += 1
            if not self._slots.acquire(timeout=self._wait):
                raise PoolTimeout(f"all {self.size} connections stayed busy for "
                                  f"{self._wait:g} s (SALVO_STORE_POOL_SIZE)")
        try:
            with self._lock:
                con = self._idle.pop() if self._idle else None
            if con is None or con.closed:
                con = self._connect()
            try:
                yield con
            except BaseException:
                con.close()
                raise
            with self._lock:
                if len(self._idle) < self._max_idle and not con.closed:
                    self._idle.append(con)
                    con = None
            if con is not None:
                con.close()
        finally:
            if self._slots is not None:
                self._slots.release()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for con in idle:
            con.close()


def lsn_value(text: str) -> int:
    """A WAL position (``'16/B374D848'``) as a number, for comparing two of them."""
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


class ReadRouter:
    """Decides, per read, whether the standby may answer it (see the module docstring)."""

    def __init__(self, standby: Pool, where: str):
        self.standby = standby
        self._where = where  # redacted URL, for log messages
        self._written = 0  # primary WAL position after our last write (0: none pending)
        self._down_until = 0.0
        self._lock = threading.Lock()
        self.standby_reads = 0
        self.primary_reads = 0

    def wrote(self, lsn: str) -> None:
        value = lsn_value(lsn)
        with self._lock:
            self._written = max(self._written, value)

    def hold_primary(self) -> None:
        """Read from the primary for the next STANDBY_RETRY_S (a write whose WAL position
        could not be read)."""
        self._down_until = time.monotonic() + STANDBY_RETRY_S

    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    def caught_up(self, con: psycopg.Connection) -> bool:
        """True if the standby has replayed this process's last write (one round trip
        while a write is pending, none otherwise)."""
        pending = self._written
        if not pending:
            return True
        row = con.execute("SELECT pg_last_wal_replay_lsn()::text").fetchone()
        replayed = lsn_value(row[0]) if row and row[0] else 0
        if replayed < pending:
            return False
        with self._lock:
            if self._written == pending:
                self._written = 0
        return True

    def failed(self, exc: BaseException, *, retry_later: bool) -> None:
        """A standby read failed: this one goes to the primary; ``retry_later`` (it could
        not be reached at all) sends every read there for the next STANDBY_RETRY_S."""
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if retry_later:
            self._down_until = time.monotonic() + STANDBY_RETRY_S
            log.warning("read standby %s unavailable, reading from the primary for %g s: %s",
                        self._where, STANDBY_RETRY_S, first)
        else:
            log.warning("read on standby %s failed, read from the primary instead: %s",
                        self._where, first)
