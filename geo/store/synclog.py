"""The sync log and the scheduler lock, shared by both stores (tables of migration 4).

Each sync of a public source writes one row: when, what was fetched, rows read / added /
changed and the outcome, so the Import page can show the history and the Overview "data as
of". The lock row lets one app process of several run the scheduled refresh: a holder takes
it only when it is free or expired, in one UPDATE that both databases execute atomically.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import UTC, datetime, timedelta

import pandas as pd

SYNC_FIELDS: tuple[str, ...] = (
    "source", "started_at", "finished_at", "url", "outcome", "message", "bytes",
    "rows_read", "accepted", "rejected", "inserted", "updated", "unchanged", "etag",
    "last_modified",
)
OUTCOMES = ("ok", "unchanged", "error")


def utc_stamp(moment: datetime | None = None) -> str:
    """ISO UTC text with microseconds: the sync log and the lock sort and compare on it, so
    two runs within one second still order."""
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SyncLog:
    """Mixed into :class:`geo.store.base.Store`."""

    @abstractmethod
    def _write(self, sql: str, params: list) -> int:
        """Run one writing statement with ``?`` placeholders in its own transaction;
        return the number of rows it changed."""

    @abstractmethod
    def _audit_query(self, sql: str, params: list) -> pd.DataFrame: ...

    def record_sync(self, run: dict) -> None:
        """Append one sync run (keys of :data:`SYNC_FIELDS`; missing ones are empty/0)."""
        if run.get("outcome") not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}")
        values = [run.get(k, 0 if k in ("bytes", "rows_read", "accepted", "rejected",
                                        "inserted", "updated", "unchanged") else "")
                  for k in SYNC_FIELDS]
        marks = ", ".join("?" for _ in SYNC_FIELDS)
        self._write(f"INSERT INTO sync_runs ({', '.join(SYNC_FIELDS)}) VALUES ({marks})",
                    values)

    def sync_runs(self, source: str | None = None, limit: int = 50) -> pd.DataFrame:
        """The newest sync runs first (of one source, or all)."""
        where, params = ("WHERE source = ?", [source]) if source else ("", [])
        return self._audit_query(
            f"SELECT {', '.join(SYNC_FIELDS)} FROM sync_runs {where} "
            f"ORDER BY finished_at DESC, started_at DESC LIMIT {int(limit)}", params)

    def last_sync(self, source: str, *, good: bool = False) -> dict | None:
        """The newest run of ``source`` (``good``: the newest that did not fail)."""
        extra = " AND outcome <> 'error'" if good else ""
        frame = self._audit_query(
            f"SELECT {', '.join(SYNC_FIELDS)} FROM sync_runs WHERE source = ?{extra} "
            "ORDER BY finished_at DESC, started_at DESC LIMIT 1", [source])
        return None if frame.empty else frame.iloc[0].to_dict()

    def latest_syncs(self, *, good: bool = False) -> dict[str, dict]:
        """The newest run of every source in one query (``good``: ignoring failures)."""
        extra = "WHERE outcome <> 'error'" if good else ""
        frame = self._audit_query(
            f"SELECT {', '.join(SYNC_FIELDS)} FROM (SELECT *, row_number() OVER (PARTITION BY "
            f"source ORDER BY finished_at DESC, started_at DESC) AS k FROM sync_runs {extra}) t "
            "WHERE k = 1", [])
        return {str(row["source"]): row for row in frame.to_dict("records")}

    def try_lock(self, name: str, holder: str, seconds: int) -> bool:
        """Take lock ``name`` for ``seconds`` if it is free, expired or already ours."""
        now = datetime.now(UTC)
        until = utc_stamp(now + timedelta(seconds=seconds))
        changed = self._write(
            "UPDATE sync_lock SET holder = ?, until = ? "
            "WHERE name = ? AND (until < ? OR holder = ?)",
            [holder, until, name, utc_stamp(now), holder])
        return changed == 1

    def release_lock(self, name: str, holder: str) -> None:
        self._write("UPDATE sync_lock SET until = '' WHERE name = ? AND holder = ?",
                    [name, holder])
