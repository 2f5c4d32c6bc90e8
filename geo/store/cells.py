"""The aggregated map layer's grid, folded to what the map draws: cell × group × certainty.

The store groups point events by grid cell and by the raw inputs of how their origin is
known (origin group, basis, top candidate) — plain columns every dialect groups the same
way. Here each raw group becomes the colour and certainty a point symbol would have
(:func:`geo.origins.drawn_group`, :func:`geo.origins.certainty_of`, the very functions the
points use), so an aggregated circle and the symbols it stands for never disagree on how
an origin is known (issue 12).
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from geo.origins import certainty_of, drawn_group

GRID_COLUMNS = ("gy", "gx", "origin_group", "drawn", "certainty", "n", "lat", "lon")


def top_candidate(cands: object) -> str:
    """The first ``value:share`` of a candidates text (the stores group by the whole text:
    it has few distinct values, and cutting it in SQL on every row cost more).

    >>> top_candidate("PRK:0.7;RUS:0.3"), top_candidate(None)
    ('PRK:0.7', '')
    """
    return cands.split(";", 1)[0] if isinstance(cands, str) else ""  # NULL: None or NaN


@lru_cache(maxsize=4096)
def _style(group: str, basis: str, top: str) -> tuple[str, str]:
    return drawn_group(group, top), certainty_of(group, basis, top)


def fold_grid(raw: pd.DataFrame) -> pd.DataFrame:
    """``gy, gx, origin_group, origin_basis, origin_candidates, n, sum_lat, sum_lon`` rows →
    one row per cell × origin group × drawn group × certainty with the events' mean position,
    in code-point order of the keys (the same order whichever database answered)."""
    acc: dict[tuple, list] = {}
    for gy, gx, group, basis, cands, n, slat, slon in zip(
            raw["gy"], raw["gx"], raw["origin_group"], raw["origin_basis"],
            raw["origin_candidates"], raw["n"], raw["sum_lat"], raw["sum_lon"], strict=True):
        group = str(group)
        drawn, certainty = _style(group, "" if basis is None else str(basis),
                                  top_candidate(cands))
        slot = acc.setdefault((int(gy), int(gx), group, drawn, certainty), [0, 0.0, 0.0])
        slot[0] += int(n)
        slot[1] += float(slat)
        slot[2] += float(slon)
    keys = sorted(acc)
    return pd.DataFrame({
        "gy": pd.Series([k[0] for k in keys], dtype="int64"),
        "gx": pd.Series([k[1] for k in keys], dtype="int64"),
        "origin_group": pd.Series([k[2] for k in keys], dtype=object),
        "drawn": pd.Series([k[3] for k in keys], dtype=object),
        "certainty": pd.Series([k[4] for k in keys], dtype=object),
        "n": pd.Series([acc[k][0] for k in keys], dtype="int64"),
        "lat": pd.Series([acc[k][1] / acc[k][0] for k in keys], dtype="float64"),
        "lon": pd.Series([acc[k][2] / acc[k][0] for k in keys], dtype="float64"),
    })
