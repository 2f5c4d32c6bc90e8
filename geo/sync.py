"""Syncing a public source into the store: fetch, check, import, record.

One sync = one conditional download (or, for a paged API, its pages), then the same reader
and upsert as ``python -m geo import``. Nothing reaches the store until the new file has
passed every check: it parses with the source's format, has rows, and its row count has not
collapsed against the last good sync (``SALVO_SYNC_MIN_SHARE``). A failure of any kind —
timeout, HTTP error, a dropped connection, a truncated or changed file — raises
:class:`SyncError` (one line), is recorded in the sync log, and leaves the store and the
previous good copy as they were. Each run, good or not, is one row in ``sync_runs``.
"""

from __future__ import annotations

import base64
import os
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from geo import apis, settings
from geo.attribution_store import store_events
from geo.download import DownloadError, Validators, discard, download, promote
from geo.importers import ImportResult, InputError, read_events
from geo.sources import SOURCES, MissingKey, Source, credentials
from geo.store.base import Store
from geo.store.synclog import utc_stamp

EXIT_NETWORK = 1  # could not fetch: offline, HTTP error, missing/wrong key, timeout
EXIT_DATA = 2  # fetched, but the file failed its checks
LOCK_NAME = "sync"


class SyncError(RuntimeError):
    """A sync that changed nothing; ``str()`` is one line, ``code`` the CLI exit status."""

    def __init__(self, message: str, code: int = EXIT_NETWORK):
        super().__init__(message)
        self.code = code


@dataclass
class SyncResult:
    source: str
    outcome: str  # "ok" or "unchanged"
    message: str
    run: dict
    report: ImportResult | None = None


def public_url(url: str) -> str:
    """The URL as it may be logged: scheme, host and path; the query may carry keys.

    >>> public_url("https://example.org/a/b.csv?key=secret&x=1")
    'https://example.org/a/b.csv'
    """
    parts = urlsplit(url)
    if not parts.hostname:  # a file-like URL (duckdb:///path): nothing secret but a query
        return url.split("?", 1)[0]
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where downloaded copies live (the last good one per source, for inspection)."""
    env = os.environ if env is None else env
    return Path(env.get("SALVO_SYNC_DIR", settings.ROOT / "var" / "sources"))


def _auth_headers(source: Source, env: Mapping[str, str] | None) -> dict[str, str]:
    if source.access in ("open", "acled-oauth"):  # ACLED: the fetcher asks for a token
        return {}
    keys = credentials(source, env)
    if source.access == "kaggle":
        token = base64.b64encode(
            f"{keys['kaggle_username']}:{keys['kaggle_key']}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    if source.access == "ucdp-token":
        return {"x-ucdp-access-token": keys["ucdp_token"]}
    raise MissingKey(f"{source.name}: unknown access kind {source.access!r}")


def _unzip_if_zip(path: Path, fmt: str) -> Path:
    """Kaggle may answer with a zip: take its one data file (size-checked before reading)."""
    with open(path, "rb") as fh:
        if fh.read(4) != b"PK\x03\x04":
            return path
    limit = settings.get("sync_max_mb") * 1024 * 1024
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist()
                       if not m.is_dir() and m.filename.lower().endswith((".csv", ".json"))]
            if len(members) != 1:
                raise SyncError(f"{path.name}: zip holds {len(members)} data files, expected 1",
                                EXIT_DATA)
            if members[0].file_size > limit:
                raise SyncError(f"{path.name}: zipped file is over the size limit", EXIT_DATA)
            data = archive.read(members[0])
    except zipfile.BadZipFile as exc:
        raise SyncError(f"{path.name}: broken zip file ({exc})", EXIT_DATA) from None
    path.write_bytes(data)
    return path


def _check(source_name: str, result: ImportResult, last: dict | None, min_share: int) -> None:
    if result.rows_read == 0 or len(result.events) == 0:
        reasons = "; ".join(f"{g['count']} × {g['reason']}"
                            for g in result.report()["rejections_by_reason"][:3])
        raise SyncError(f"{source_name}: the new file has {result.rows_read} rows and no "
                        f"usable one{': ' + reasons if reasons else ''}; store unchanged",
                        EXIT_DATA)
    before = int(last["rows_read"]) if last and last.get("rows_read") else 0
    if before and result.rows_read * 100 < before * min_share:
        raise SyncError(f"{source_name}: row count collapsed from {before:,} to "
                        f"{result.rows_read:,} (under {min_share} % of the last good sync); "
                        "store unchanged, previous copy kept", EXIT_DATA)


def sync(store: Store, source: Source, *, since: date | None = None,
         env: Mapping[str, str] | None = None,
         progress: Callable[[int, int | None], None] | None = None) -> SyncResult:
    """Fetch ``source``, check it, import it incrementally and record the run."""
    started = utc_stamp()
    run: dict = {"source": source.name, "started_at": started, "url": public_url(source.url),
                 "outcome": "error", "message": "", "etag": "", "last_modified": ""}
    part: Path | None = None
    keep_part = False
    try:
        if not source.url:
            raise SyncError(f"{source.name}: no automatic sync — {source.manual}")
        if not source.url.startswith(("https://", "http://")):
            raise SyncError(f"{source.name}: only http(s) URLs are fetched")
        headers = _auth_headers(source, env)
        last = store.last_sync(source.name, good=True)
        folder = cache_dir(env) / source.name
        folder.mkdir(parents=True, exist_ok=True)
        dest = folder / ("latest.json" if source.format == "timemap" else "latest.csv")
        timeout = float(settings.get("sync_timeout", env))
        deadline = float(settings.get("sync_max_seconds", env))
        max_bytes = settings.get("sync_max_mb", env) * 1024 * 1024
        if source.api:
            fetch = apis.FETCHERS[source.api]
            try:
                fetched = fetch(source, dest, headers, last, timeout=timeout,
                                deadline=deadline, max_bytes=max_bytes,
                                keys=credentials(source, env))
            except apis.FeedError as exc:
                raise SyncError(f"{source.name}: {exc}", EXIT_DATA) from None
        else:
            validators = None
            if last and dest.exists():  # only when we still hold the copy it describes
                validators = Validators(str(last.get("etag") or ""),
                                        str(last.get("last_modified") or ""))
            try:
                fetched = download(source.url, dest, headers=headers, validators=validators,
                                   timeout=timeout, deadline_seconds=deadline,
                                   max_bytes=max_bytes, progress=progress)
            except DownloadError:
                keep_part = True  # a partial file may be resumed by the next run
                raise
        run["etag"], run["last_modified"] = fetched.validators.etag, \
            fetched.validators.last_modified
        if fetched.unchanged:
            previous = last or {}
            run.update(outcome="unchanged", rows_read=int(previous.get("rows_read") or 0),
                       message="not modified since the last sync; nothing added")
            if not run["etag"]:
                run["etag"] = str(previous.get("etag") or "")
                run["last_modified"] = str(previous.get("last_modified") or "")
            return SyncResult(source.name, "unchanged", run["message"], run)
        part = fetched.path
        assert part is not None
        run["bytes"] = fetched.bytes
        _unzip_if_zip(part, source.format)
        try:
            result = read_events(part, source.format)
        except InputError as exc:
            raise SyncError(f"{source.name}: the downloaded file no longer reads as "
                            f"{source.format} ({exc}); store unchanged", EXIT_DATA) from None
        _check(source.name, result, last, settings.get("sync_min_share", env))
        events = result.events
        if since is not None:
            events = events[events["event_date"].astype(str) >= since.isoformat()]
        # The same path as `python -m geo import`: attributed before it is stored.
        upserted, attributed = store_events(store, events)
        promote(part, dest)
        part = None
        run.update(outcome="ok", rows_read=result.rows_read, accepted=len(result.events),
                   rejected=len(result.rejections), inserted=upserted.inserted,
                   updated=upserted.updated, unchanged=upserted.unchanged,
                   message=f"{upserted.inserted} new, {upserted.updated} changed, "
                           f"{upserted.unchanged} unchanged; weapon candidates for "
                           f"{sum(attributed.gained.values()):,} events")
        return SyncResult(source.name, "ok", run["message"], run, result)
    except (DownloadError, MissingKey) as exc:
        run["message"] = str(exc)
        raise SyncError(str(exc), EXIT_NETWORK) from None
    except SyncError as exc:
        run["message"] = str(exc)
        raise
    except OSError as exc:
        run["message"] = f"{source.name}: {exc.strerror or exc}"
        raise SyncError(run["message"], EXIT_NETWORK) from None
    finally:
        if part is not None and not keep_part:
            discard(part)
        run["finished_at"] = utc_stamp()
        store.record_sync(run)


def url_source(url: str, fmt: str = "auto", name: str = "") -> Source:
    """A one-off source for ``python -m geo sync --url URL`` (any file on the web)."""
    host = urlsplit(url).hostname or "url"
    return Source(name=name or f"url:{host}", title=public_url(url), provides="events",
                  url=url, format=fmt, licence="as stated by its publisher",
                  credit=public_url(url), datasets=(), confirmed="given by the user")


def due(store: Store, interval_hours: int, now: datetime | None = None) -> list[Source]:
    """Sources with a URL whose last run is older than ``interval_hours`` (or never ran)."""
    now = now or datetime.now(UTC)
    out = []
    for source in SOURCES:
        if not source.url:
            continue
        last = store.last_sync(source.name)
        if last is None:
            out.append(source)
            continue
        finished = datetime.fromisoformat(str(last["finished_at"]).replace("Z", "+00:00"))
        age = now - finished
        if age.total_seconds() >= max(interval_hours, 0) * 3600:
            out.append(source)
    return out


def run_scheduled(store: Store, holder: str, interval_hours: int,
                  env: Mapping[str, str] | None = None) -> list[str]:
    """One scheduler pass: if this process gets the store's lock, sync every due source
    whose keys are configured. Returns one line per source tried (for the app's log)."""
    if interval_hours <= 0 or not store.try_lock(LOCK_NAME, holder, seconds=3600):
        return []
    lines = []
    try:
        for source in due(store, interval_hours):
            try:
                credentials(source, env)
            except MissingKey:
                continue  # not configured here: nothing to try
            try:
                lines.append(f"{source.name}: {sync(store, source, env=env).message}")
            except SyncError as exc:
                lines.append(str(exc))
    finally:
        store.release_lock(LOCK_NAME, holder)
    return lines
