"""Downloading one file over HTTP(S): conditional, resumable, bounded in time and size.

Only the standard library: a sync must work on a machine with nothing but our requirements.
A download never replaces the previous good copy until the caller has checked the new one
(:func:`download` writes ``<dest>.part`` and returns it; :func:`promote` moves it into place),
so a timeout, an HTTP error or a connection dropped halfway leaves the last good copy alone.

Errors are :class:`DownloadError` with one line that names the host and the reason. Secrets
(keys, tokens, passwords) travel only in headers and are never part of a message.
"""

from __future__ import annotations

import http.client
import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

CHUNK = 64 * 1024
USER_AGENT = "salvo-sync/0.1 (+https://github.com/; strike & impact event dashboard)"


class DownloadError(RuntimeError):
    """A download that failed; ``str()`` is one line naming the host and the reason."""

    def __init__(self, message: str, *, status: int | None = None, auth: bool = False):
        super().__init__(message)
        self.status = status
        self.auth = auth  # the server refused our credentials (401/403)


@dataclass(frozen=True)
class Validators:
    """What the server told us about the copy we hold, for a conditional request."""

    etag: str = ""
    last_modified: str = ""


@dataclass
class Fetched:
    """The outcome of one request: ``unchanged`` (304) or a complete ``.part`` file."""

    unchanged: bool
    path: Path | None = None
    bytes: int = 0
    validators: Validators = field(default_factory=Validators)
    resumed_from: int = 0
    requests: int = 1


def host_of(url: str) -> str:
    """The host a message may name (never the path: query strings can carry keys).

    >>> host_of("https://www.kaggle.com/api/v1/datasets/download/a/b?key=secret")
    'www.kaggle.com'
    """
    parts = urlsplit(url)
    return parts.hostname or url.split("/")[0]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        exc = exc.reason if isinstance(exc.reason, BaseException) else exc
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, socket.gaierror):
        return "host not found (offline?)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError | http.client.IncompleteRead
                  | http.client.RemoteDisconnected):
        return "connection dropped before the end of the file"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())[:200]


def download(url: str, dest: Path, *, headers: Mapping[str, str] | None = None,
             validators: Validators | None = None, timeout: float = 20.0,
             deadline_seconds: float = 600.0, max_bytes: int = 500 * 1024 * 1024,
             progress: Callable[[int, int | None], None] | None = None) -> Fetched:
    """GET ``url`` into ``dest.part``; a 304 answer to our validators means unchanged.

    A ``.part`` left by an interrupted run is resumed with a ``Range`` request when the
    server allows it and the file is still the same (``If-Range``); otherwise the download
    restarts from zero. The body must be as long as ``Content-Length`` says (a shorter one
    is a truncated download, an error), no longer than ``max_bytes``, and arrive within
    ``deadline_seconds`` in all (``timeout`` bounds each connect/read, so a server that
    drips bytes cannot hold us forever).
    """
    part = dest.with_name(dest.name + ".part")
    sent = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **(headers or {})}
    have = part.stat().st_size if part.exists() else 0
    resume_key = part.with_name(part.name + ".etag")
    if have and resume_key.exists() and resume_key.read_text():
        sent["Range"] = f"bytes={have}-"
        sent["If-Range"] = resume_key.read_text()
    elif validators and (validators.etag or validators.last_modified):
        if validators.etag:
            sent["If-None-Match"] = validators.etag
        if validators.last_modified:
            sent["If-Modified-Since"] = validators.last_modified
    host = host_of(url)
    started = time.monotonic()
    request = urllib.request.Request(url, headers=sent)  # noqa: S310 - http(s) checked by caller
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return Fetched(unchanged=True, validators=validators or Validators())
        if exc.code == 416 and have:  # our .part is stale or already complete: start over
            part.unlink(missing_ok=True)
            resume_key.unlink(missing_ok=True)
            return download(url, dest, headers=headers, validators=None, timeout=timeout,
                            deadline_seconds=deadline_seconds, max_bytes=max_bytes,
                            progress=progress)
        raise DownloadError(f"{host} answered HTTP {exc.code} {exc.reason}", status=exc.code,
                            auth=exc.code in (401, 403)) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise DownloadError(f"cannot reach {host}: {_reason(exc)}") from None
    with response:
        status = response.status
        got = Validators(response.headers.get("ETag", "") or "",
                         response.headers.get("Last-Modified", "") or "")
        resumed = status == 206 and have > 0
        offset = have if resumed else 0
        length = response.headers.get("Content-Length")
        total = int(length) + offset if length and length.isdigit() else None
        if total is not None and total > max_bytes:
            raise DownloadError(f"{host}: file is {total:,} bytes, over the limit of "
                                f"{max_bytes:,}")
        if got.etag:
            resume_key.write_text(got.etag)
        written = offset
        try:
            with open(part, "ab" if resumed else "wb") as out:
                while True:
                    if time.monotonic() - started > deadline_seconds:
                        raise DownloadError(f"{host}: download took longer than "
                                            f"{deadline_seconds:g} s (partial copy kept for "
                                            "the next try)")
                    chunk = response.read(CHUNK)
                    if not chunk:
                        break
                    written += len(chunk)
                    if written > max_bytes:
                        raise DownloadError(f"{host}: file is over the limit of "
                                            f"{max_bytes:,} bytes")
                    out.write(chunk)
                    if progress:
                        progress(written, total)
        except DownloadError:
            raise
        except (OSError, http.client.HTTPException) as exc:
            raise DownloadError(f"cannot reach {host}: {_reason(exc)} "
                                f"(got {written:,} bytes; partial copy kept)") from None
    if total is not None and written < total:
        raise DownloadError(f"{host}: connection dropped after {written:,} of {total:,} bytes "
                            "(partial copy kept for the next try)")
    resume_key.unlink(missing_ok=True)
    return Fetched(unchanged=False, path=part, bytes=written, validators=got,
                   resumed_from=offset)


def promote(part: Path, dest: Path) -> Path:
    """Make a checked ``.part`` the current copy, keeping the previous one as ``.previous``."""
    if dest.exists():
        os.replace(dest, dest.with_name(dest.name + ".previous"))
    os.replace(part, dest)
    return dest


def discard(part: Path | None) -> None:
    """Drop a downloaded file that failed its checks (the previous good copy stays)."""
    if part is not None:
        part.unlink(missing_ok=True)
        part.with_name(part.name + ".etag").unlink(missing_ok=True)
