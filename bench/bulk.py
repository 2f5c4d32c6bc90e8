"""Issue 13, target 3: ten million events through the bulk import (geo.importers.native).

    python -m bench.bulk                 # N = 10M (generated once into the cache, ~4.5 GB CSV)
    python -m bench.bulk --quick         # N = 1M: the smoke run
    python -m bench.bulk --rows 2000000 --no-app --no-postgis

The synthetic canonical CSV (:func:`bench.synth.write_chunks`, the distributions of
:mod:`bench.synth`) and its GeoParquet twin are written once to ``--cache`` (default
``$SALVO_BULK_CACHE`` or /tmp/salvo-bulk) and reused. Then, each step in a fresh process
(peak RSS is per step):

1. **ceiling**: DuckDB's bare ``read_csv`` of the same file into a table (all VARCHAR);
2. **bulk CSV** and **bulk GeoParquet**: :func:`geo.importers.native.import_bulk` into a
   fresh DuckDB store (rows/s; seconds per phase: read+validate, attribution, store);
3. **baseline**: the Python path of ``python -m geo import --python-import`` (``read_events``
   + ``store_events``) on the first ``--baseline-rows`` rows (default 1M: at 10M it would
   take the better part of an hour), in rows/s;
4. **app**: ``python -m bench.run``'s dashboard step on the bulk-imported store (the
   README's rerun method: Map and Timeline pages under AppTest after a filter change, the
   map payload as st_folium sends it, peak RSS);
5. **PostGIS**: the bulk import into a throw-away cluster (:mod:`tests.pg`): DuckDB ``COPY``
   to CSV, PostgreSQL ``COPY … FROM STDIN``, then the upsert (rows/s of that phase, and of
   the whole import).

Ratios are against the baseline measured in the same run. Nothing here runs in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"import_rows_s": 500_000, "rerun_ms": 300, "map_bytes": 1_000_000,
           "rss_mb": 2048, "postgis_rows_s": 200_000}


def _rss_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _load() -> float:
    return round(os.getloadavg()[0], 1)


def ensure_files(rows: int, cache: Path, parquet: bool = True) -> tuple[Path, Path]:
    """The cached CSV and GeoParquet of ``rows`` synthetic events (made if missing)."""
    from bench.synth import write_chunks

    cache.mkdir(parents=True, exist_ok=True)
    csv_path, twin = cache / f"events_{rows}.csv", cache / f"events_{rows}.parquet"
    if not csv_path.exists():
        part = csv_path.with_suffix(".part")
        write_chunks(rows, part)
        part.replace(csv_path)
    if parquet and not twin.exists():
        part = twin.with_suffix(".part")
        write_geoparquet(csv_path, part)
        part.replace(twin)
    return csv_path, twin


def write_geoparquet(csv_path: Path, out: Path) -> None:
    """The CSV as our GeoParquet export lays it out (canonical columns, counts int64,
    coordinates float64, a WKB Point ``geometry`` with GeoParquet metadata), in batches."""
    import duckdb
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from geo.schema import COLUMNS, COUNT_COLUMNS, FLOAT_COLUMNS

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    typed = ", ".join(
        f"TRY_CAST(nullif({c}, '') AS BIGINT) AS {c}" if c in COUNT_COLUMNS
        else f"TRY_CAST(nullif({c}, '') AS DOUBLE) AS {c}" if c in FLOAT_COLUMNS
        else f"coalesce({c}, '') AS {c}" for c in COLUMNS)
    reader = con.sql(f"SELECT {typed} FROM read_csv('{csv_path}', all_varchar = true)"
                     ).to_arrow_reader(500_000)
    meta = {"version": "1.0.0", "primary_column": "geometry", "columns": {"geometry": {
        "encoding": "WKB", "geometry_types": ["Point"]}}}
    writer = None
    for batch in reader:
        lon = batch.column("longitude").to_numpy(zero_copy_only=False)
        lat = batch.column("latitude").to_numpy(zero_copy_only=False)
        has = ~(np.isnan(lon) | np.isnan(lat))
        wkb = np.zeros((len(lon), 21), dtype=np.uint8)
        wkb[:, 0], wkb[:, 1] = 1, 1
        wkb[:, 5:21] = np.stack([lon, lat], axis=1).astype("<f8").view(np.uint8)
        blobs = [bytes(row) if ok else None for row, ok in zip(wkb, has, strict=True)]
        table = pa.Table.from_batches([batch]).append_column("geometry",
                                                               pa.array(blobs, pa.binary()))
        if writer is None:
            schema = table.schema.with_metadata({"geo": json.dumps(meta)})
            writer = pq.ParquetWriter(out, schema)
        writer.write_table(table.cast(writer.schema))
    if writer is not None:
        writer.close()


# ---- workers (each in a fresh process) --------------------------------------------------------
def work_ceiling(csv_path: Path) -> dict:
    import duckdb

    folder = Path(tempfile.mkdtemp(prefix="salvo-ceiling-"))
    con = duckdb.connect(str(folder / "c.duckdb"))
    con.execute("SET enable_progress_bar = false")
    before, t = _load(), time.perf_counter()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv_path}', all_varchar = true)")
    rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    seconds = time.perf_counter() - t
    con.close()
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()
    return {"rows": rows, "seconds": round(seconds, 1), "rows_per_s": round(rows / seconds),
            "peak_rss_mb": _rss_mb(), "load": [before, _load()]}


def work_bulk(path: Path, store_url: str) -> dict:
    from geo.importers.native import import_bulk
    from geo.store import open_store

    before, t = _load(), time.perf_counter()
    done = import_bulk(path, lambda: open_store(store_url, snapshot=False))
    seconds = time.perf_counter() - t
    done.store.close()
    rows = done.result.rows_read
    phases = {k: round(v, 1) for k, v in done.seconds.items()}
    loaded = phases["stage"] + phases["validate"] + phases["store"]
    return {"rows": rows, "accepted": done.result.accepted,
            "rejected": len(done.result.rejections), "inserted": done.upserted.inserted,
            "seconds": round(seconds, 1), "rows_per_s": round(rows / seconds),
            "phases": phases, "without_attribution_rows_per_s": round(rows / max(loaded, 1e-9)),
            "store_rows_per_s": round(rows / max(phases["store"], 1e-9)),
            "attribution": done.attribution.as_dict(), "peak_rss_mb": _rss_mb(),
            "load": [before, _load()]}


def work_baseline(csv_path: Path, rows: int, store_path: Path) -> dict:
    """``python -m geo import FILE --python-import`` on the first ``rows`` rows."""
    from geo.attribution_store import store_events
    from geo.importers import read_events
    from geo.store.duckdb import DuckDBStore

    head = store_path.with_suffix(".head.csv")
    with open(csv_path, encoding="utf-8") as src, open(head, "w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i > rows:
                break
            dst.write(line)
    before, t = _load(), time.perf_counter()
    result = read_events(head)
    store = DuckDBStore(store_path, snapshot=False)
    store_events(store, result.events)
    seconds = time.perf_counter() - t
    store.close()
    head.unlink()
    return {"rows": result.rows_read, "seconds": round(seconds, 1),
            "rows_per_s": round(result.rows_read / seconds), "peak_rss_mb": _rss_mb(),
            "load": [before, _load()]}


def work_postgis(csv_path: Path) -> dict:
    from tests import pg

    cluster = pg.start()
    try:
        url = cluster.new_database("bulk")
        out = work_bulk(csv_path, url)
        out["copy_ceiling"] = _copy_ceiling(csv_path, url)
        return out
    finally:
        cluster.stop()


def _copy_ceiling(csv_path: Path, url: str) -> dict:
    """PostgreSQL ``COPY … FROM STDIN (FORMAT csv)`` of the same file into a bare TEXT
    table (no index, no conversion): what the COPY alone costs."""
    import psycopg

    from geo.schema import COLUMNS

    with psycopg.connect(url) as con:
        columns = ", ".join(f"{c} TEXT" for c in COLUMNS)
        con.execute(f"CREATE UNLOGGED TABLE copy_ceiling ({columns})")
        t = time.perf_counter()
        with con.cursor().copy("COPY copy_ceiling FROM STDIN (FORMAT csv, HEADER true)") as copy, \
                open(csv_path, "rb") as handle:
            while block := handle.read(1 << 20):
                copy.write(block)
        seconds = time.perf_counter() - t
        rows = con.execute("SELECT count(*) FROM copy_ceiling").fetchone()[0]
    return {"rows": rows, "seconds": round(seconds, 1), "rows_per_s": round(rows / seconds)}


def _child(*args: str) -> dict:
    cmd = [sys.executable, "-m", "bench.bulk", "--worker", *args]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"benchmark step failed: {' '.join(args)}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _app(store: Path, repeats: int) -> dict:
    cmd = [sys.executable, "-m", "bench.run", "--worker", "app", str(store), str(repeats)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit("benchmark step failed: app")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _worker(argv: list[str]) -> None:
    kind, *rest = argv
    if kind == "ceiling":
        result = work_ceiling(Path(rest[0]))
    elif kind == "bulk":
        result = work_bulk(Path(rest[0]), rest[1])
    elif kind == "baseline":
        result = work_baseline(Path(rest[0]), int(rest[1]), Path(rest[2]))
    elif kind == "postgis":
        result = work_postgis(Path(rest[0]))
    else:
        raise SystemExit(f"unknown worker {kind}")
    print(json.dumps(result))


def report(r: dict) -> str:
    base = r["baseline"]["rows_per_s"]
    lines = [f"### Bulk import, N = {r['rows']:,} (load average {r['load'][0]}–{r['load'][1]}, "
             f"{os.cpu_count()} CPUs)", "", "| step | rows/s | seconds | vs baseline | "
             "peak RSS |", "|---|---|---|---|---|"]

    def row(name: str, d: dict, rate: int | None = None) -> None:
        rate = d["rows_per_s"] if rate is None else rate
        lines.append(f"| {name} | {rate:,} | {d['seconds']} | {rate / base:.1f}× | "
                     f"{d['peak_rss_mb']:,} MB |")

    row(f"baseline: Python path, first {r['baseline']['rows']:,} rows", r["baseline"])
    row("ceiling: DuckDB bare read_csv → table", r["ceiling"])
    for name in ("csv", "geoparquet"):
        if name not in r:
            continue
        d = r[name]
        row(f"bulk {name} (read+validate+attribute+store)", d)
        lines.append(f"| bulk {name} without attribution | "
                     f"{d['without_attribution_rows_per_s']:,} | phases {d['phases']} | "
                     f"{d['without_attribution_rows_per_s'] / base:.1f}× | |")
    if "postgis" in r:
        d = r["postgis"]
        row("PostGIS bulk import (whole)", d)
        lines.append(f"| PostGIS COPY + upsert phase | {d['store_rows_per_s']:,} | "
                     f"{d['phases']['store']} | | |")
        c = d["copy_ceiling"]
        lines.append(f"| PostgreSQL bare COPY of the file (TEXT table) | {c['rows_per_s']:,} | "
                     f"{c['seconds']} | | |")
    if "app" in r:
        a = r["app"]
        lines += ["", f"Dashboard on the {r['rows']:,}-event store: Map rerun "
                  f"{a['rerun_map']['ms']:,.0f} ms, Timeline rerun {a['rerun_timeline']['ms']:,.0f}"
                  f" ms (AppTest, medians), map payload {a['map']['bytes']:,} B (typical filter "
                  f"{a['map_typical']['bytes']:,} B), app peak RSS {a['peak_rss_mb']:,} MB."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        _worker(argv[1:])
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.bulk",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true", help="1M rows (smoke run)")
    parser.add_argument("--baseline-rows", type=int, default=1_000_000)
    parser.add_argument("--cache", default=os.environ.get("SALVO_BULK_CACHE", "/tmp/salvo-bulk"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-app", action="store_true")
    parser.add_argument("--no-postgis", action="store_true")
    parser.add_argument("--no-parquet", action="store_true", help="skip the GeoParquet import")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "bulk.json"))
    args = parser.parse_args(argv)
    rows = 1_000_000 if args.quick else args.rows
    cache = Path(args.cache)
    results: dict = {"rows": rows, "load": [_load()], "started": time.strftime("%H:%M:%S")}
    print(f"[bulk] files for {rows:,} rows in {cache}…", file=sys.stderr, flush=True)
    csv_path, parquet = ensure_files(rows, cache, parquet=not args.no_parquet)
    work = Path(tempfile.mkdtemp(prefix="salvo-bulk-bench-"))
    try:
        steps = [("ceiling", ("ceiling", str(csv_path))),
                 ("csv", ("bulk", str(csv_path), str(work / "csv.duckdb"))),
                 ("baseline", ("baseline", str(csv_path), str(min(rows, args.baseline_rows)),
                               str(work / "baseline.duckdb")))]
        if not args.no_parquet:
            steps.insert(2, ("geoparquet", ("bulk", str(parquet), str(work / "parquet.duckdb"))))
        if not args.no_postgis:
            steps.append(("postgis", ("postgis", str(csv_path))))
        for name, step in steps:
            print(f"[bulk] {name}…", file=sys.stderr, flush=True)
            results[name] = _child(*step)
            print(f"[bulk] {name}: {results[name]}", file=sys.stderr, flush=True)
        if not args.no_app:
            print("[bulk] dashboard on the bulk store…", file=sys.stderr, flush=True)
            results["app"] = _app(work / "csv.duckdb", args.repeats)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["load"].append(_load())
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(report(results))
    print(f"\nJSON: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
