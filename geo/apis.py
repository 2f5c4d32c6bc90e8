"""Paged APIs as one file: each fetcher turns a source's pages into one ``.part`` CSV.

``FETCHERS[name](url, dest, headers, last, *, timeout, deadline, max_bytes, keys)`` returns a
:class:`geo.download.Fetched` like a plain download: ``unchanged`` after one request when
the API says nothing changed since the last good sync, else the path of a CSV the source's
importer reads. Network failures raise :class:`geo.download.DownloadError`; an answer that
is not the documented shape raises :class:`FeedError`.

* UCDP (``ucdp.uu.se/apidocs``): JSON pages ``{TotalCount, TotalPages, Result: [...]}``,
  selected with ``page``; a versioned URL never changes, so an equal ``TotalCount`` means
  unchanged.
* ACLED (acleddata.com API documentation; token exchange as in ACLED's acledR package):
  an OAuth password grant gives a bearer token; ``_format=csv`` pages of ``limit`` rows,
  ``page`` from 1; ``timestamp`` asks only for rows added or changed since the last good
  sync, so an unchanged source answers one empty page.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from geo.download import USER_AGENT, DownloadError, Fetched, Validators, discard, download, host_of
from geo.sources import Source

MAX_PAGES = 10_000


class FeedError(ValueError):
    """An API answered, but not in its documented shape."""


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(params)
    return urlunsplit(parts._replace(query=urlencode(query)))


def _page(url: str, dest: Path, headers: dict[str, str], timeout: float, deadline: float,
          max_bytes: int) -> tuple[bytes, int]:
    scratch = dest.with_name(dest.name + ".page")
    discard(scratch.with_name(scratch.name + ".part"))  # pages are never resumed
    fetched = download(url, scratch, headers=headers, timeout=timeout,
                       deadline_seconds=deadline, max_bytes=max_bytes)
    assert fetched.path is not None
    try:
        return fetched.path.read_bytes(), fetched.bytes
    finally:
        discard(fetched.path)


def _write_csv(dest: Path, records: list[dict]) -> Path:
    fields = list(dict.fromkeys(k for record in records for k in record))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(records)
    out = dest.with_name(dest.name + ".part")
    out.write_text(buffer.getvalue(), encoding="utf-8")
    return out


def fetch_ucdp(source: Source, dest: Path, headers: dict[str, str], last: dict | None, *,
               timeout: float, deadline: float, max_bytes: int,
               keys: dict[str, str]) -> Fetched:
    url = source.url
    records: list[dict] = []
    page, pages, total, requests, size = 0, 1, None, 0, 0
    while page < min(pages, MAX_PAGES):
        body, got = _page(_with_query(url, page=str(page)), dest, headers, timeout, deadline,
                          max_bytes)
        requests += 1
        size += got
        try:
            doc = json.loads(body.decode("utf-8"))
            total = int(doc["TotalCount"]) if total is None else total
            pages = int(doc["TotalPages"])
            batch = doc["Result"]
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise FeedError(f"page {page} is not the documented JSON "
                            f"(TotalCount, TotalPages, Result): {exc}") from None
        if page == 0 and last and last.get("etag") == f"total={total}":
            return Fetched(unchanged=True, requests=1, validators=Validators(f"total={total}"))
        if not isinstance(batch, list):
            raise FeedError(f"page {page}: Result is not a list")
        records.extend(r for r in batch if isinstance(r, dict))
        page += 1
    if not records:
        raise FeedError("the API returned no records")
    return Fetched(unchanged=False, path=_write_csv(dest, records), bytes=size,
                   validators=Validators(f"total={total}"), requests=requests)


def acled_token(token_url: str, email: str, password: str, timeout: float) -> str:
    """Exchange myACLED credentials for a bearer token (OAuth password grant)."""
    form = urllib.parse.urlencode({"username": email, "password": password,
                                   "grant_type": "password", "client_id": "acled"}).encode()
    request = urllib.request.Request(token_url, data=form, headers={  # noqa: S310
        "User-Agent": USER_AGENT, "Content-Type": "application/x-www-form-urlencoded"})
    host = host_of(token_url)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            doc = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"{host} refused the myACLED credentials (HTTP {exc.code})",
                            status=exc.code, auth=True) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"cannot reach {host}: {reason}") from None
    except ValueError:
        raise FeedError("the token endpoint did not answer JSON") from None
    token = doc.get("access_token") if isinstance(doc, dict) else None
    if not token:
        raise FeedError("the token endpoint answered without an access_token")
    return str(token)


def fetch_acled(source: Source, dest: Path, headers: dict[str, str], last: dict | None, *,
                timeout: float, deadline: float, max_bytes: int,
                keys: dict[str, str]) -> Fetched:
    url = source.url
    token = acled_token(source.token_url, keys["acled_email"], keys["acled_password"],
                        timeout)
    auth = {**headers, "Authorization": f"Bearer {token}"}
    limit = int(dict(parse_qsl(urlsplit(url).query)).get("limit", "5000"))
    since = ""
    if last and last.get("started_at"):
        since = datetime.fromisoformat(str(last["started_at"]).replace("Z", "+00:00")) \
            .strftime("%Y-%m-%d")
    header: list[str] | None = None
    rows: list[list[str]] = []
    requests = size = 0
    for page in range(1, MAX_PAGES + 1):
        params = {"page": str(page)} | ({"timestamp": since} if since else {})
        body, got = _page(_with_query(url, **params), dest, auth, timeout, deadline,
                          max_bytes)
        requests += 1
        size += got
        table = list(csv.reader(io.StringIO(body.decode("utf-8-sig", errors="replace"))))
        if not table:
            break
        if header is None:
            header = table[0]
        elif table[0] != header:
            raise FeedError(f"page {page} has other columns than page 1")
        rows.extend(table[1:])
        if len(table) - 1 < limit:
            break
    if header is None or not rows:
        if since:
            return Fetched(unchanged=True, requests=requests)
        raise FeedError("the API returned no rows")
    out = dest.with_name(dest.name + ".part")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    out.write_text(buffer.getvalue(), encoding="utf-8")
    return Fetched(unchanged=False, path=out, bytes=size, requests=requests)


FETCHERS: dict[str, Callable[..., Fetched]] = {"ucdp": fetch_ucdp, "acled": fetch_acled}
