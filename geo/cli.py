"""Command line: ``python -m geo import|convert|export``.

Bad input never produces a traceback: it exits with status 2 and one line naming the file,
row and field. Status 1 means the store could not be used.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from geo.filters import Filters, parse_query

EXIT_INPUT = 2
EXIT_STORE = 1


def _add_filter_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("filters (same meaning as the dashboard URL parameters)")
    group.add_argument("--from", dest="from_", metavar="YYYY-MM-DD")
    group.add_argument("--to", metavar="YYYY-MM-DD")
    for flag, help_ in (("origin", "weapon origin, ISO alpha-3 (PRK, IRN, RUS) or 'unknown'"),
                        ("class", "weapon class"), ("model", "weapon model"),
                        ("type", "event type"), ("oblast", "ISO 3166-2 code, e.g. UA-23")):
        group.add_argument(f"--{flag}", action="append", default=[], help=f"{help_}; repeatable")
    group.add_argument("--q", default="", help="text search")


def filters_from_args(args: argparse.Namespace) -> tuple[Filters, list[str]]:
    params: dict[str, object] = {
        "origin": args.origin, "class": getattr(args, "class"), "model": args.model,
        "type": args.type, "oblast": args.oblast, "q": args.q,
    }
    if args.from_:
        params["from"] = args.from_
    if args.to:
        params["to"] = args.to
    parsed = parse_query(params)
    return parsed.filters, parsed.notes


def build_parser() -> argparse.ArgumentParser:
    from geo.importers import FORMAT_NAMES

    parser = argparse.ArgumentParser(prog="python -m geo", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    imp = sub.add_parser("import", help="read a file and add its events to the store")
    imp.add_argument("file")
    imp.add_argument("--format", default="auto", choices=("auto", *FORMAT_NAMES))
    imp.add_argument("--store", help="store URL (default: SALVO_STORE or the local file)")
    imp.add_argument("--json", action="store_true", help="print the report as JSON")
    imp.add_argument("--dry-run", action="store_true", help="report only; store nothing")

    conv = sub.add_parser("convert", help="convert a file to the canonical CSV or GeoJSON")
    conv.add_argument("file")
    conv.add_argument("--to", required=True, help="OUT.csv or OUT.geojson")
    conv.add_argument("--format", default="auto", choices=("auto", *FORMAT_NAMES))

    exp = sub.add_parser("export", help="write the filtered events from the store")
    _add_filter_flags(exp)
    exp.add_argument("--format", required=True, choices=("csv", "geojson", "xlsx"))
    exp.add_argument("--out", required=True)
    exp.add_argument("--store")
    return parser


def _cmd_import(args: argparse.Namespace) -> int:
    from geo.importers import read_events
    from geo.store import open_store

    started = time.perf_counter()
    result = read_events(args.file, args.format)
    report = result.report()
    if not args.dry_run and len(result.events):
        store = open_store(args.store, snapshot=False)
        try:
            upserted = store.upsert(result.events)
        finally:
            store.close()
        report["store"] = {"url": store.url, "inserted": upserted.inserted,
                           "updated": upserted.updated, "unchanged": upserted.unchanged}
    elapsed = time.perf_counter() - started  # read + validate + store
    report["seconds"] = round(elapsed, 3)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        print(result.report_text(Path(args.file).name))
        if "store" in report:
            s = report["store"]
            print(f"store: {s['inserted']} new, {s['updated']} updated, "
                  f"{s['unchanged']} unchanged ({s['url']})")
        print(f"took {elapsed:.2f} s ({result.rows_read / max(elapsed, 1e-9):,.0f} rows/s)")
    return 0


def _cmd_convert(args: argparse.Namespace) -> int:
    from geo.importers import read_events, write_csv, write_geojson

    out = Path(args.to)
    if out.suffix.lower() not in (".csv", ".geojson", ".json"):
        print(f"{out}: the output must end in .csv or .geojson", file=sys.stderr)
        return EXIT_INPUT
    result = read_events(args.file, args.format)
    if out.suffix.lower() == ".csv":
        write_csv(result.events, out)
    else:
        write_geojson(result.events, out)
    print(result.report_text(Path(args.file).name))
    print(f"wrote {len(result.events)} events to {out}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from geo.export import export_events
    from geo.store import open_store

    filters, notes = filters_from_args(args)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    store = open_store(args.store, snapshot=False)
    try:
        count = export_events(store, filters, args.format, Path(args.out),
                              exported_on=date.today())
    finally:
        store.close()
    print(f"wrote {count} events to {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from geo.importers import InputError
    from geo.settings import SettingError
    from geo.store import StoreError

    args = build_parser().parse_args(argv)
    handlers = {"import": _cmd_import, "convert": _cmd_convert, "export": _cmd_export}
    try:
        return handlers[args.command](args)
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INPUT
    except (StoreError, SettingError) as exc:
        print(f"store: {exc}", file=sys.stderr)
        return EXIT_STORE
    except OSError as exc:
        print(f"{exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INPUT
