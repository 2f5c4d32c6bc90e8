"""``python -m geo sources`` and ``python -m geo sync``: public sources from the command line.

Exit status: 0 synced or unchanged; 1 could not fetch (offline, HTTP error, missing or wrong
key, timeout); 2 fetched but the file failed its checks (unreadable, changed schema, row
count collapsed). Every failure prints one line and changes nothing in the store.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from geo.sources import SOURCES, SOURCES_BY_NAME, MissingKey, credentials
from geo.store import open_store
from geo.sync import SyncError, public_url, sync, url_source


def add_parsers(sub: argparse._SubParsersAction, format_names: tuple[str, ...]) -> None:
    src = sub.add_parser("sources", help="list the public sources and their last sync")
    src.add_argument("--store", help="store URL (default: SALVO_STORE or the local file)")
    src.add_argument("--json", action="store_true")

    syn = sub.add_parser(
        "sync", help="fetch a public source (or any URL) and import what changed",
        description="Download a registered public source (see `python -m geo sources`) or "
        "any file on the web, check it and import it through the normal import path. An "
        "unchanged source costs one conditional request and adds nothing.")
    which = syn.add_mutually_exclusive_group(required=True)
    which.add_argument("name", nargs="?", choices=[s.name for s in SOURCES],
                       help="a registered source")
    which.add_argument("--all", action="store_true",
                       help="every source that has a URL and its keys configured")
    which.add_argument("--url", help="any http(s) file: CSV, XLSX, JSON, GeoJSON …")
    syn.add_argument("--format", default="auto", choices=("auto", *format_names),
                     help="with --url: the file's format (default: detected)")
    syn.add_argument("--since", type=date.fromisoformat, metavar="YYYY-MM-DD",
                     help="import only events on or after this date")
    syn.add_argument("--store", help="store URL (default: SALVO_STORE or the local file)")
    syn.add_argument("--json", action="store_true", help="print the sync records as JSON")


def _progress(done: int, total: int | None) -> None:
    if not sys.stderr.isatty():
        return
    if total:
        width = 30
        filled = int(width * done / total)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] "
                         f"{done / 1e6:6.1f} / {total / 1e6:.1f} MB")
    else:
        sys.stderr.write(f"\r{done / 1e6:6.1f} MB")
    sys.stderr.flush()


def cmd_sources(args: argparse.Namespace) -> int:
    store = open_store(args.store, snapshot=False)
    try:
        rows = []
        for source in SOURCES:
            last = store.last_sync(source.name)
            try:
                credentials(source)
                key = "needed: set" if source.keys else "no"
            except MissingKey:
                key = "needed: missing"
            rows.append({
                "name": source.name, "provides": source.provides, "licence": source.licence,
                "key": key, "sync": "manual" if not source.url else
                f"every {source.refresh_hours} h",
                "last_sync": f"{last['finished_at']} {last['outcome']}" if last else "never",
                "rows": int(last["rows_read"]) if last else 0,
            })
    finally:
        store.close()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    headers = ("name", "provides", "key", "sync", "last_sync", "rows", "licence")
    widths = {h: max(len(h), *(len(str(r[h])) for r in rows)) for h in headers[:-1]}
    print("  ".join(h.ljust(widths.get(h, 0)) for h in headers))
    for r in rows:
        print("  ".join(str(r[h]).ljust(widths.get(h, 0)) for h in headers))
    for source in SOURCES:
        if source.manual:
            print(f"{source.name}: manual — {source.manual}")
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    if args.url:
        targets = [url_source(args.url, args.format)]
    elif args.all:
        targets = []
        for source in SOURCES:
            if not source.url:
                continue
            try:
                credentials(source)
            except MissingKey as exc:
                print(f"skipped {exc}", file=sys.stderr)
                continue
            targets.append(source)
    else:
        targets = [SOURCES_BY_NAME[args.name]]
    store = open_store(args.store, snapshot=False)
    worst, records = 0, []
    try:
        for source in targets:
            try:
                result = sync(store, source, since=args.since, progress=_progress)
            except SyncError as exc:
                if sys.stderr.isatty():
                    sys.stderr.write("\n")
                print(str(exc), file=sys.stderr)
                worst = max(worst, exc.code)
                records.append(store.last_sync(source.name))
                continue
            if sys.stderr.isatty():
                sys.stderr.write("\n")
            records.append(result.run)
            if not args.json:
                if result.report is not None:
                    print(result.report.report_text(source.name))
                print(f"{source.name}: {result.outcome}: {result.message} "
                      f"({public_url(store.url)})")
    finally:
        store.close()
    if args.json:
        print(json.dumps(records, indent=2, default=str))
    return worst
