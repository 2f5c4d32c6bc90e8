"""Issue 13: what migration 5's trigram indexes cost (imports) and buy (text search).

``python -m bench.pg_search [--events 100000] [--repeat 5]``

Two databases on one private PostgreSQL cluster (:mod:`tests.pg`), the same synthetic
events (:func:`bench.synth.synth_events`) upserted into each through ``PostGISStore``: in
*baseline* the three trigram indexes are dropped before the import, in *trigram* they stay
(the schema as migrated). Then every search word of the load test is counted
(``store.count(Filters(q=…))``, the real code path) ``--repeat`` times on each database,
alternating, and the medians are compared. Prints a markdown table; nothing runs in CI.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from bench.load_test import SEARCHES
from geo.filters import Filters
from geo.store.migrations import MIGRATIONS
from geo.store.postgis import PostGISStore

TRIGRAM = next(m for m in MIGRATIONS if m.version == 5).postgres[1:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pg_search", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args(argv)
    from bench.synth import synth_events
    from tests import pg

    frame = synth_events(args.events, args.seed)
    cluster = pg.start()
    stores: dict[str, PostGISStore] = {}
    try:
        imports = {}
        for name in ("baseline", "trigram"):
            store = PostGISStore(cluster.new_database(name))
            if name == "baseline":
                for statement in TRIGRAM:
                    store._write(f"DROP INDEX {statement.split()[2]}", [])
            t = time.perf_counter()
            store.upsert(frame)
            imports[name] = time.perf_counter() - t
            stores[name] = store
        rows = []
        for word in SEARCHES:
            times: dict[str, list[float]] = {"baseline": [], "trigram": []}
            counts = set()
            for _ in range(args.repeat):
                for name, store in stores.items():
                    t = time.perf_counter()
                    counts.add(store.count(Filters(q=word)))
                    times[name].append(time.perf_counter() - t)
            assert len(counts) == 1, f"{word!r}: the two databases disagree: {counts}"
            base, trgm = (statistics.median(times[n]) for n in ("baseline", "trigram"))
            rows.append((word, counts.pop(), base, trgm))
    finally:
        for store in stores.values():
            store.close()
        cluster.stop()
    load = os.getloadavg()[0]
    print(f"### Text search at {args.events:,} events (median of {args.repeat}; "
          f"load average {load:.1f}, {os.cpu_count()} CPUs)\n")
    print(f"import: baseline {imports['baseline']:.1f} s, with trigram indexes "
          f"{imports['trigram']:.1f} s ({imports['trigram'] / imports['baseline']:.1f}×)\n")
    print("| q | matches | no trigram index | trigram indexes | ratio |")
    print("|---|---|---|---|---|")
    for word, n, base, trgm in rows:
        print(f"| `{word}` | {n:,} | {base * 1000:.0f} ms | {trgm * 1000:.0f} ms | "
              f"{base / trgm:.1f}× |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
