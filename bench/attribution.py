"""How well attribution guesses a weapon the source does not name, and how fast it runs.

``python -m bench.attribution [--n 100000] [--no-timing]``

**Accuracy** (shared data, real code paths: the importers, then :func:`geo.attribution.attribute`).
The test set is every CIR impact in Ukraine whose own text names a weapon (a catalogue model
or a generic word of exactly one family: "missile strike", "shelling", "drone") and whose
date lies in the period the Air Force reports cover. The CIR file ends on 23 Nov 2022 and the
reports start on 28 Sep 2022, so only those eight weeks can be scored. The text and the
weapon fields are hidden; each method then attributes from what is left (date, place,
oblast, coordinates) plus the attack reports. Scored per method:

* coverage — events given any class candidate;
* top-1 family — the family with the largest summed share is the true one (``not in attack
  reports`` counts as right for a short-range truth: artillery, bombs, small arms); ties 1/k;
* share to truth — the summed share of classes of the true family;
* top-1 origin — for events whose text named a model with one origin;
* front-line rule — of front-line impacts whose truth is artillery/cluster/small arms, the
  share given a long-range class (missiles, drones) with a summed share ≥ 0.8 (target ≤ 10 %).

Two baselines in the same run: the weapon launched most in the reports overlapping the day
(anywhere in Ukraine), and keyword matching alone (:mod:`geo.weapon_text` on what is left).
The bundled curated impacts (``data/events.csv``, 2023–2025, stated weapons with sources)
are scored the same way as a second, tiny set that has origins.

**Timing**: ``--n`` synthetic events (``bench.synth``) in a DuckDB store, ``attribute_store``
twice (the second run must change nothing), against a plain read + rewrite of the same
store measured in the same run.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.synth import synth_events
from geo.attack_reports import ReportIndex, text_column, windows
from geo.attribution import NIAR, attribute
from geo.attribution_store import attribute_store
from geo.catalogue import load_catalogue
from geo.filters import Filters
from geo.frontline import FRONT_OBLAST_SCORE, proximity
from geo.importers import read_events
from geo.schema import parse_candidates
from geo.settings import DATA_DIR
from geo.store.duckdb import DuckDBStore
from geo.taxonomy import family_of
from geo.weapon_text import find_weapons

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
AIRFORCE = SHARED / "petroivaniuk-missile-attacks" / "missile_attacks_daily.csv"
CIR = SHARED / "eyes-on-russia-cir" / "events.csv"
SHORT_RANGE = frozenset({"artillery", "bombs", "other"})
LONG_RANGE = frozenset({"missiles", "drones"})
HIDDEN = {"description": "", "weapon_model": "", "weapon_class": "", "weapon_origin": "",
          "origin_basis": "unknown", "weapon_supplier": "", "class_candidates": "",
          "origin_candidates": "", "supplier_candidates": "", "attribution": ""}


def truth_of(text: str) -> tuple[str, str]:
    """(family, origin) the text itself states: one family only; origin from one model."""
    mentions = find_weapons(text)
    families = {f for m in mentions for f in m.families}
    if len(families) != 1:
        return "", ""
    origins = {m.origins for m in mentions if m.model and not m.ambiguous and m.origins}
    origin = next(iter(origins))[0] if len(origins) == 1 and len(next(iter(origins))) == 1 \
        else ""
    return families.pop(), origin


def test_set(cir: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    first = reports["event_date"].min()
    keep = cir[(cir["event_type"] == "impact") & cir["admin1"].str.startswith("UA-")
               & (cir["event_date"] >= first)].copy()
    truths = [truth_of(t) for t in keep["description"]]
    keep["truth_family"] = [t[0] for t in truths]
    keep["truth_origin"] = [t[1] for t in truths]
    return keep[keep["truth_family"] != ""].reset_index(drop=True)


def hide(events: pd.DataFrame) -> pd.DataFrame:
    out = events.copy()
    for column, value in HIDDEN.items():
        out[column] = value
    return out


def _family_hit(cls: str, truth: str) -> bool:
    return truth in SHORT_RANGE if cls == NIAR else family_of(cls) == truth


def score(classes: list[list[tuple[str, float]]], origins: list[list[tuple[str, float]]],
          truth: pd.DataFrame, front: np.ndarray) -> dict[str, float]:
    fam, share, has = [], [], []
    for pairs, t in zip(classes, truth["truth_family"], strict=True):
        has.append(bool(pairs))
        if not pairs:
            fam.append(0.0)
            share.append(0.0)
            continue
        # Shares summed per family (``not in attack reports`` is its own group), as the
        # certainty filters read a family; ties count 1/k.
        groups: dict[str, float] = {}
        for c, s in pairs:
            group = NIAR if c == NIAR else family_of(c)
            groups[group] = groups.get(group, 0.0) + s
        best = max(groups.values())
        top = [g for g, s in groups.items() if abs(s - best) < 1e-9]
        fam.append(sum((t in SHORT_RANGE) if g == NIAR else g == t for g in top) / len(top))
        share.append(sum(s for c, s in pairs if _family_hit(c, t)))
    fam, share, has = np.array(fam), np.array(share), np.array(has)
    long_range = truth["truth_family"].isin(LONG_RANGE).to_numpy()
    org = []
    for pairs, t in zip(origins, truth["truth_origin"], strict=True):
        if not t:
            continue
        top = [o for o, s in pairs if pairs and s == pairs[0][1]]
        org.append(sum(o == t for o in top) / len(top) if top else 0.0)
    artillery = front & truth["truth_family"].isin(SHORT_RANGE).to_numpy()
    claimed = [sum(s for c, s in pairs if family_of(c) in LONG_RANGE and c != NIAR) >= 0.8
               for pairs, a in zip(classes, artillery, strict=True) if a]
    return {"n": len(truth), "coverage": has.mean(), "top1_family": fam.mean(),
            "share_to_truth": share.mean(), "long_n": int(long_range.sum()),
            "long_coverage": has[long_range].mean() if long_range.any() else float("nan"),
            "long_top1_family": fam[long_range].mean() if long_range.any() else float("nan"),
            "origin_n": len(org), "top1_origin": np.mean(org) if org else float("nan"),
            "front_n": int(artillery.sum()),
            "front_claimed": np.mean(claimed) if claimed else float("nan")}


def _pairs(column: pd.Series) -> list[list[tuple[str, float]]]:
    return [parse_candidates(str(v)) for v in column]


def engine(hidden: pd.DataFrame, reports: pd.DataFrame) -> tuple[list, list]:
    out, _ = attribute(hidden, reports=reports)
    return _pairs(out["class_candidates"]), _pairs(out["origin_candidates"])


def most_launched(hidden: pd.DataFrame, reports: pd.DataFrame) -> tuple[list, list]:
    """The weapon launched most in any report overlapping the event's day, anywhere."""
    index = ReportIndex(reports, load_catalogue())
    start, end = (w.astype("int64") for w in windows(hidden, reports=False))
    classes, origins = [], []
    for s, e in zip(start, end, strict=True):
        best = None
        for day in range(int(s) // 1440, (int(e) - 1) // 1440 + 1):
            for i in index.by_day.get(day, ()):
                row = index.rows[i]
                if min(row[1], e) > max(row[0], s) and (best is None or row[6] > best[6]):
                    best = row
        weapon = best[5][0] if best else None
        classes.append([(weapon.classes[0], 1.0)] if weapon else [])
        origins.append([(o, 1.0 / len(weapon.origins)) for o in weapon.origins]
                       if weapon else [])
    return classes, origins


def keywords(hidden: pd.DataFrame) -> tuple[list, list]:
    classes, origins = [], []
    for text in (" ".join(v) for v in zip(text_column(hidden, "location"),
                                          text_column(hidden, "description"), strict=True)):
        mentions = find_weapons(text)
        cls = [c for m in mentions for c in m.classes]
        org = [o for m in mentions for o in m.origins]
        classes.append([(c, 1.0 / len(cls)) for c in cls])
        origins.append([(o, 1.0 / len(org)) for o in org])
    return classes, origins


def accuracy(rows: list[tuple[str, pd.DataFrame, pd.DataFrame]]) -> list[tuple[str, str, dict]]:
    results = []
    for name, truth, reports in rows:
        hidden = hide(truth)
        days = pd.to_datetime(truth["event_date"]).to_numpy(dtype="datetime64[D]")
        lat = pd.to_numeric(truth["latitude"], errors="coerce").to_numpy(dtype=float)
        lon = pd.to_numeric(truth["longitude"], errors="coerce").to_numpy(dtype=float)
        front = proximity(lat, lon, text_column(truth, "admin1"), days) >= FRONT_OBLAST_SCORE
        for method, (classes, origins) in (
                ("engine", engine(hidden, reports)),
                ("baseline: most launched that day", most_launched(hidden, reports)),
                ("baseline: keywords alone", keywords(hidden))):
            results.append((name, method, score(classes, origins, truth, front)))
    return results


def timing(n: int) -> dict[str, float]:
    events = synth_events(n, seed=5)
    with tempfile.TemporaryDirectory() as tmp:
        store = DuckDBStore(Path(tmp) / "bench.duckdb", snapshot=False)
        store.upsert(events)
        started = time.perf_counter()
        rows = store.events(Filters(), newest_first=False)
        store.upsert(rows.assign(attribution="x"))
        store.upsert(rows)
        baseline = (time.perf_counter() - started) / 2
        started = time.perf_counter()
        first = attribute_store(store)
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        second = attribute_store(store)
        second_s = time.perf_counter() - started
        store.close()
    return {"n": n, "first_s": first_s, "first_changed": first.changed, "second_s": second_s,
            "second_changed": second.changed, "baseline_s": baseline}


def _pct(x: float) -> str:
    return "–" if x != x else f"{100 * x:.0f} %"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--no-timing", action="store_true")
    args = parser.parse_args()
    airforce = read_events(AIRFORCE).events
    reports = airforce[airforce["event_type"] == "attack"]
    cir = test_set(read_events(CIR).events, reports)
    curated = read_events(DATA_DIR / "events.csv").events
    curated = curated[curated["event_type"].isin(["impact", "debris"])].copy()
    truth = curated["weapon_model"].map(
        lambda m: (load_catalogue().resolve(m) or None))
    curated["truth_family"] = [family_of(r.weapon_class.split(";")[0]) if r else ""
                               for r in truth]
    curated["truth_origin"] = [r.origins[0] if r and len(r.origins) == 1 else ""
                               for r in truth]
    print(f"CIR test set: {len(cir)} impacts named a weapon between "
          f"{cir['event_date'].min()} and {cir['event_date'].max()} "
          f"(families: {cir['truth_family'].value_counts().to_dict()})")
    print("| set | method | n | coverage | top-1 family | share to truth | long-range n | "
          "long-range coverage | long-range top-1 family | origin n | top-1 origin | "
          "front-line artillery n | claimed long-range ≥ 0.8 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, method, r in accuracy([("CIR Sep–Nov 2022", cir, reports),
                                     ("curated 2023–25", curated, reports)]):
        print(f"| {name} | {method} | {r['n']} | {_pct(r['coverage'])} | "
              f"{_pct(r['top1_family'])} | {_pct(r['share_to_truth'])} | {r['long_n']} | "
              f"{_pct(r['long_coverage'])} | {_pct(r['long_top1_family'])} | "
              f"{r['origin_n']} | {_pct(r['top1_origin'])} | {r['front_n']} | "
              f"{_pct(r['front_claimed'])} |")
    if not args.no_timing:
        t = timing(args.n)
        print(f"\ntiming, {t['n']:,} synthetic events in DuckDB: attribute_store "
              f"{t['first_s']:.1f} s ({t['first_changed']:,} changed), again "
              f"{t['second_s']:.1f} s ({t['second_changed']:,} changed); plain read + "
              f"rewrite of the store {t['baseline_s']:.1f} s "
              f"(attribution = {t['first_s'] / t['baseline_s']:.1f}× that)")


if __name__ == "__main__":
    main()
