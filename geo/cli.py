"""Command line: ``python -m geo import|convert|export|attribute|sources|sync``.

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

from geo import cli_sync, settings
from geo.attribution_store import attribute_store, store_events
from geo.filters import (
    CERTAINTIES,
    CERTAINTY_HELP,
    DEFAULT_CERTAINTY,
    Filters,
    View,
    parse_query,
)
from geo.importers import FORMAT_NAMES, InputError, native, read_events, write_csv, write_geojson
from geo.importers._common import refusal
from geo.importers.generic import parse_map_args, remember_mapping
from geo.settings import SettingError
from geo.store import StoreError, open_store

EXIT_INPUT = 2
EXIT_STORE = 1


def _add_filter_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("filters (same meaning as the dashboard URL parameters)")
    group.add_argument("--from", dest="from_", metavar="YYYY-MM-DD")
    group.add_argument("--to", metavar="YYYY-MM-DD")
    for flag, help_ in (("origin", "weapon origin (design country), ISO alpha-3 (PRK, IRN, "
                                   "RUS) or 'unknown'"),
                        ("supplier", "weapon supplier, ISO alpha-3 or 'unknown'"),
                        ("class", "weapon class or class family (drones, missiles, bombs, "
                                  "artillery, other)"),
                        ("model", "weapon model"),
                        ("type", "event type"), ("oblast", "ISO 3166-2 code, e.g. UA-23")):
        group.add_argument(f"--{flag}", action="append", default=[], help=f"{help_}; repeatable")
    group.add_argument("--q", default="", help="text search")
    group.add_argument("--certainty", choices=CERTAINTIES, default=DEFAULT_CERTAINTY,
                       help="how sure origin/supplier/class must be: "
                       + "; ".join(f"{c}: {CERTAINTY_HELP[c]}" for c in CERTAINTIES))


def filters_from_args(args: argparse.Namespace) -> tuple[Filters, list[str]]:
    params: dict[str, object] = {
        "origin": args.origin, "supplier": args.supplier, "class": getattr(args, "class"),
        "model": args.model, "type": args.type, "oblast": args.oblast, "q": args.q,
        "certainty": args.certainty,
    }
    if args.from_:
        params["from"] = args.from_
    if args.to:
        params["to"] = args.to
    parsed = parse_query(params)
    return parsed.filters, parsed.notes


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m geo", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    imp = sub.add_parser("import", help="read a file and add its events to the store")
    imp.add_argument("file")
    imp.add_argument("--format", default="auto", choices=("auto", *FORMAT_NAMES))
    imp.add_argument("--store", help="store URL (default: SALVO_STORE or the local file)")
    imp.add_argument("--json", action="store_true", help="print the report as JSON")
    imp.add_argument("--dry-run", action="store_true", help="report only; store nothing")
    imp.add_argument("--python-import", action="store_true",
                     help="canonical CSV/GeoParquet: read row by row in Python instead of the "
                     "bulk DuckDB path (same checks and results, slower)")
    _add_map_flag(imp)
    _add_rejected_flag(imp)

    conv = sub.add_parser("convert", help="convert a file to the canonical CSV or GeoJSON")
    conv.add_argument("file")
    conv.add_argument("--to", required=True, help="OUT.csv or OUT.geojson")
    conv.add_argument("--format", default="auto", choices=("auto", *FORMAT_NAMES))
    _add_map_flag(conv)
    _add_rejected_flag(conv)

    att = sub.add_parser(
        "attribute", help="recompute weapon candidates for every stored event",
        description="Recompute class, origin and supplier candidates and the evidence line "
        "for every stored event from its own text and the attack reports of its window "
        "(idempotent; stated and curated values are never changed).")
    att.add_argument("--store", help="store URL (default: SALVO_STORE or the local file)")
    att.add_argument("--json", action="store_true", help="print the summary as JSON")

    exp = sub.add_parser(
        "export", help="write the filtered events: data, map/timeline image, GIF, HTML map",
        description="Write the events matching the filters as data (csv, geojson, geoparquet, "
        "xlsx), a map or timeline image (png-map, png-timeline), an animation (gif) or a "
        "self-contained interactive map (html). Images are rendered without a browser.")
    _add_filter_flags(exp)
    _add_export_flags(exp)
    cli_sync.add_parsers(sub, FORMAT_NAMES)
    return parser


EXPORT_FORMATS = ("csv", "geojson", "geoparquet", "xlsx", "png-map", "svg-map", "pdf-map",
                  "png-timeline", "svg-timeline", "pdf-timeline", "gif", "html")


def _add_export_flags(exp: argparse.ArgumentParser) -> None:
    exp.add_argument("--format", required=True, choices=EXPORT_FORMATS)
    exp.add_argument("--out", required=True, metavar="FILE")
    exp.add_argument("--store")
    exp.add_argument("--exported-on", metavar="YYYY-MM-DD",
                     help="date stated on the export (default: today); fix it to reproduce "
                     "a file byte for byte")
    look = exp.add_argument_group("images, animation and HTML map")
    look.add_argument("--width", type=int, default=0,
                      help="pixels (default: png-map 1200, png-timeline 1200, gif 800)")
    look.add_argument("--height", type=int, default=0,
                      help="pixels (default: png-map 800, png-timeline 600, gif 560)")
    look.add_argument("--scale", type=float, default=1.0,
                      help="pixel density, e.g. 2 for print (the file is width*scale wide)")
    look.add_argument("--dpi", type=int, default=0,
                      help="png: print resolution (72-600); the file states it and has "
                      "width*dpi/96 pixels (overrides --scale)")
    look.add_argument("--step", default="auto", choices=("auto", "day", "week", "month"),
                      help="gif: one frame per step; png-timeline: one bar per step")
    look.add_argument("--title", default="", help="title printed on the image or map")
    look.add_argument("--lang", default="en", choices=("en", "uk"),
                      help="language of the default title: en or uk (Ukrainian)")
    look.add_argument("--measure", default="events",
                      help="timeline: events, launched or destroyed_share")
    look.add_argument("--stack", default="origin",
                      help="timeline: stack bars by origin, supplier, family, class, model, "
                      "origin-family or origin-class")
    for flag in ("lat", "lon", "zoom"):
        look.add_argument(f"--{flag}", help=f"map view {flag} (as in the dashboard URL)")
    look.add_argument("--max-points", type=int, default=0,
                      help="most single symbols before aggregating (default: the "
                      "SALVO_MAX_POINTS setting, as in the app)")
    look.add_argument("--max-frames", type=int, default=120,
                      help="gif: most frames; a finer step is coarsened to fit")


def _add_map_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                        help="generic CSV/XLSX: read COLUMN as canonical FIELD (e.g. "
                        "'Date=event_date'; '=FIELD' unmaps a field); repeatable; remembered "
                        "for files with the same columns")


def _add_rejected_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-rejected", type=float, default=None, metavar="PCT",
                        help="fail (exit 2, nothing stored or written) when more than PCT %% "
                        "of the rows are rejected; a file with no accepted row always fails")


def _read(args: argparse.Namespace):
    """read_events with the --map mapping; a used mapping is remembered (var/mappings.json)."""
    try:
        mapping = parse_map_args(args.map) if args.map else None
    except ValueError as exc:
        raise InputError(Path(args.file).name, None, None, str(exc)) from None
    result = read_events(args.file, args.format, mapping=mapping)
    if mapping and result.format in ("generic", "geodata"):
        unmapped = {field: "" for field, column in mapping.items() if not column}
        saved = remember_mapping(result.columns, unmapped | result.mapping)
        print(f"mapping remembered for these columns in {saved}", file=sys.stderr)
    return result


def _bulk_import(args: argparse.Namespace, started: float) -> int | None:
    """The bulk path (geo.importers.native) for a canonical CSV or GeoParquet; None when
    the file is not one it reads exactly as the Python reader (that one reads it then)."""
    if args.python_import or args.map:
        return None
    path = Path(args.file)
    kind = native.kind_of(path)
    if kind is None or args.format not in ("auto", "canonical" if kind == "csv"
                                           else "geoparquet"):
        return None
    try:
        done = native.import_bulk(
            path, None if args.dry_run else lambda: open_store(args.store, snapshot=False),
            max_rejected=args.max_rejected)
    except native.Unsuitable as why:
        print(f"{path.name}: read by the Python reader: {why}", file=sys.stderr)
        return None
    if done.store is not None:
        done.store.close()
    stored = None
    if done.upserted is not None and done.store is not None and done.attribution is not None:
        stored = (done.store.url, done.upserted, done.attribution)
    return _report_import(args, started, done.result, done.refused, stored)


def _cmd_import(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    status = _bulk_import(args, started)
    if status is not None:
        return status
    result = _read(args)
    refused = refusal(result, args.max_rejected)
    stored = None
    if not refused and not args.dry_run and len(result.events):
        store = open_store(args.store, snapshot=False)
        try:
            upserted, attributed = store_events(store, result.events)
        finally:
            store.close()
        stored = (store.url, upserted, attributed)
    return _report_import(args, started, result, refused, stored)


def _report_import(args: argparse.Namespace, started: float, result, refused: str | None,
                   stored: tuple | None) -> int:
    """Print the import report (text or JSON); exit status 2 for a refused file."""
    report = result.report()
    if refused:
        if args.json:
            print(json.dumps(report | {"refused": refused}, indent=2, default=str))
        else:
            print(result.report_text(Path(args.file).name))
        print(f"{Path(args.file).name}: import refused, nothing stored: {refused}",
              file=sys.stderr)
        return EXIT_INPUT
    if stored is not None:
        url, upserted, attributed = stored
        report["store"] = {"url": _redacted(url), "inserted": upserted.inserted,
                           "updated": upserted.updated, "unchanged": upserted.unchanged}
        report["attribution"] = attributed.as_dict()
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
            print(_attribution_line(report["attribution"], "of the file's events have"))
        print(f"took {elapsed:.2f} s ({result.rows_read / max(elapsed, 1e-9):,.0f} rows/s)")
    return 0


def _attribution_line(summary: dict, verb: str = "events gained") -> str:
    """``attribution: 1,573 events gained candidates (artillery 985, …)`` — by the class
    family of each event's top candidate."""
    gained = summary["gained_candidates"]
    by_family = ", ".join(f"{family} {n:,}" for family, n in gained.items()) or "none"
    return (f"attribution: {sum(gained.values()):,} {verb} candidates ({by_family}); "
            f"{summary['weapons_inferred']:,} weapons inferred from text")


def _cmd_attribute(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    store = open_store(args.store, snapshot=False)
    try:
        summary = attribute_store(store).as_dict()
    finally:
        store.close()
    summary["seconds"] = round(time.perf_counter() - started, 3)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"attributed {summary['events']:,} events in {_redacted(store.url)}: "
              f"{summary['changed']:,} changed")
        print(_attribution_line(summary))
        print(f"took {summary['seconds']:.2f} s")
    return 0


def _redacted(url: str) -> str:
    """The store URL without a password (it would end up in logs)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def _cmd_convert(args: argparse.Namespace) -> int:
    out = Path(args.to)
    if out.suffix.lower() not in (".csv", ".geojson", ".json"):
        print(f"{out}: the output must end in .csv or .geojson", file=sys.stderr)
        return EXIT_INPUT
    result = _read(args)
    refused = refusal(result, args.max_rejected)
    if refused:
        print(result.report_text(Path(args.file).name))
        print(f"{Path(args.file).name}: convert refused, {out} not written: {refused}",
              file=sys.stderr)
        return EXIT_INPUT
    if out.suffix.lower() == ".csv":
        write_csv(result.events, out)
    else:
        write_geojson(result.events, out)
    print(result.report_text(Path(args.file).name))
    print(f"wrote {len(result.events)} events to {out}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    # Loaded here, not at the top: the export stack (Altair, vl-convert) adds ~0.9 s to every
    # other command (measured: import geo.cli 1.2 s, geo.export 2.1 s). No circle is hidden.
    from geo.export import export_to_file, validate
    from geo.render import ImageOptions

    filters, notes = filters_from_args(args)
    view_params = {k: getattr(args, k) for k in ("lat", "lon", "zoom") if getattr(args, k)}
    parsed_view = parse_query(view_params)
    notes += parsed_view.notes
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    try:
        exported_on = (date.fromisoformat(args.exported_on) if args.exported_on
                       else date.today())
    except ValueError:
        print(f"export: --exported-on {args.exported_on!r} is not a date (use YYYY-MM-DD)",
              file=sys.stderr)
        return EXIT_INPUT
    options = ImageOptions(
        width=args.width, height=args.height, scale=args.scale, step=args.step,
        title=args.title, measure=args.measure, stack=args.stack,
        view=parsed_view.view if view_params and parsed_view.view != View() else None,
        max_points=args.max_points or settings.get("max_points"),
        max_frames=args.max_frames, lang=args.lang,
    )
    if args.dpi:
        options = options.at_dpi(args.dpi)
    try:
        validate(args.format, options)
    except ValueError as exc:  # an option out of range: one line, no traceback
        print(f"export: {exc}", file=sys.stderr)
        return EXIT_INPUT
    started = time.perf_counter()
    # A snapshot: the file is read once into memory, then every query (a GIF makes a few
    # per frame) runs there instead of reopening the file.
    store = open_store(args.store, snapshot=True)
    try:
        result = export_to_file(store, filters, args.format, Path(args.out),
                                exported_on=exported_on, options=options)
    finally:
        store.close()
    elapsed = time.perf_counter() - started
    shape = ""
    if args.format in ("png-map", "png-timeline", "gif"):  # pixels (svg/pdf are vector)
        width, height = options.size(args.format)
        shape = f", {round(width * options.scale)}x{round(height * options.scale)} px"
    print(f"wrote {args.format} to {args.out} ({len(result.data):,} bytes{shape}): "
          f"{result.events:,} events match the filters; took {elapsed:.2f} s")
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {"import": _cmd_import, "convert": _cmd_convert, "export": _cmd_export,
                "attribute": _cmd_attribute, "sources": cli_sync.cmd_sources,
                "sync": cli_sync.cmd_sync}
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
