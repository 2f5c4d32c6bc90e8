"""The symbols and legends of the static map (PNG/SVG/PDF and GIF frames).

Event points sized by location precision and styled by how their origin is known
(:func:`geo.origins.symbol_style`), counts where several share a place, aggregated
numbered circles, and the legend-only layers whose keys read like the map. Only fixed
labels and numbers reach the image, never free text from the data.
"""

from __future__ import annotations

import json
import math

import pandas as pd

from geo.i18n import format_number, translate
from geo.mapplan import aggregate_cells
from geo.origins import (
    CERTAINTIES,
    CERTAINTY_STYLES,
    cell_style,
    certainty_of,
    codes_of,
    drawn_group,
    origin_colour,
    origin_label,
    sort_groups,
    symbol_style,
)
from geo.render import INK

PRECISIONS = ("exact", "settlement", "district")
# Legend titles by kind → message id (data/messages.json); texts in every language there.
_TITLES = {"origin": "legend.origin", "precision": "legend.precision", "area": "legend.area",
           "cell": "legend.cell", "certainty": "legend.how_known"}


def legend_title(kind: str, lang: str = "en") -> str:
    """The title of one legend: ``origin``, ``precision``, ``area``, ``cell``, ``certainty``."""
    return translate(_TITLES[kind], lang)


def precision_labels(lang: str = "en") -> dict[str, str]:
    """Location precision → its key's text, in :data:`PRECISIONS` order."""
    return {p: translate(f"legend.precision.{p}", lang) for p in PRECISIONS}


def certainty_texts(lang: str = "en") -> dict[str, str]:
    """How-known style → its key's text (fixed order of geo.origins.CERTAINTIES)."""
    return {c: translate(f"legend.certainty.{c}", lang) for c in CERTAINTIES}

# Symbol radius by location precision (px), as the app's circles.
POINT_RADIUS = {"exact": 5, "settlement": 8, "district": 13}


def even_ticks(top: int, count: int = 4) -> list[int]:
    """Evenly spaced whole legend values up to ``top``: 6 → [2, 4, 6]; 130 → [50, 100]."""
    raw = max(1, top / count)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    return list(range(step, top + 1, step)) or [top]


def dash_pattern(dash: str) -> list[float]:
    """A Leaflet ``dashArray`` (``"5 3"``) as Vega's ``strokeDash``; solid is ``[1, 0]``.

    >>> dash_pattern("5 3"), dash_pattern("")
    ([5.0, 3.0], [1, 0])
    """
    return [float(x) for x in dash.split()] if dash else [1, 0]


def cell_rows(grid: pd.DataFrame, top: int | None = None, lang: str = "en") -> list[dict]:
    """Aggregated cells as the app draws them: a circle at the events' mean position, radius
    7–24 px by √count (relative to ``top``), colour of the most common origin, drawn by how
    most of its events are known (:func:`geo.origins.cell_style`: an inferred origin is a
    pale circle with a dashed ring, never a solid stated-looking one)."""
    if grid.empty:
        return []
    cells = aggregate_cells(grid)
    top = top or int(cells["n"].max())
    rows = []
    for c in cells.sort_values(["n", "gy", "gx"], ascending=[False, True, True]) \
            .itertuples(index=False):
        style = cell_style(c.dominant, c.certainty)
        rows.append({
            "lon": round(c.lon, 5), "lat": round(c.lat, 5), "n": int(c.n),
            "label": format_number(c.n, lang) if c.n < 10_000 else f"{c.n / 1000:.0f}k",
            "size": round(math.pi * (7 + 17 * min(1.0, c.n / top) ** 0.5) ** 2, 1),
            "origin": origin_label(c.dominant, lang), "certainty": c.certainty,
            "ring": style["color"], "w": style["weight"], "fo": style["fillOpacity"],
            "dash": dash_pattern(style["dashArray"])})
    return rows


def cell_groups(grid: pd.DataFrame) -> list[str]:
    return sort_groups(aggregate_cells(grid)["dominant"]) if not grid.empty else []


def cells_layers(rows: list[dict], groups: list[str], *, legend: bool = True,
                 labels: int = 150, lang: str = "en") -> list[dict]:
    """Numbered circles (largest drawn first, counts written on the biggest ``labels``);
    ``rows`` from :func:`cell_rows` in the same ``lang``."""
    domain = [origin_label(g, lang) for g in groups]
    circles = {
        "data": {"values": rows},
        "mark": {"type": "point", "shape": "circle", "filled": True, "opacity": 1},
        "encoding": {
            "longitude": {"field": "lon", "type": "quantitative"},
            "latitude": {"field": "lat", "type": "quantitative"},
            "size": {"field": "size", "type": "quantitative", "scale": None},
            "fill": scale_channel("origin", domain, [origin_colour(g) for g in groups],
                             legend_title("cell", lang), legend),
            # How the origin is known, as on the live map (geo.origins.cell_style).
            "stroke": raw_channel("ring"), "strokeWidth": raw_channel("w", "quantitative"),
            "fillOpacity": raw_channel("fo", "quantitative"), "strokeDash": raw_channel("dash"),
            "order": {"field": "n", "type": "quantitative", "sort": "descending"},
        },
    }
    text = {"type": "text", "fontSize": 11, "fontWeight": "bold", "baseline": "middle",
            "align": "center"}
    where = {"longitude": {"field": "lon", "type": "quantitative"},
             "latitude": {"field": "lat", "type": "quantitative"},
             "text": {"field": "label", "type": "nominal"}}
    halo = {"data": {"values": rows[:labels]}, "encoding": where,
            "mark": {**text, "fill": None, "stroke": "#000000", "strokeWidth": 3,
                     "strokeOpacity": 0.45, "strokeJoin": "round"}}
    label = {"data": {"values": rows[:labels]}, "encoding": where,
             "mark": {**text, "fill": "#ffffff"}}
    return [circles, halo, label]


def _certainty(row) -> tuple[str, str]:
    """(drawn group, certainty) of one event, as the app decides them (geo.origins)."""
    group = str(row.origin_group)
    basis = getattr(row, "origin_basis", "") or ""
    candidates = getattr(row, "origin_candidates", "") or ""
    return drawn_group(group, candidates), certainty_of(group, basis, candidates)


def point_rows(points: pd.DataFrame) -> list[dict]:
    """Only what a symbol needs (no free text reaches the image): position, size by
    precision, colours and ring by how the origin is known (stated, ambiguous, likely…)."""
    if points.empty:
        return []
    rank = {p: i for i, p in enumerate(reversed(PRECISIONS))}  # big circles underneath
    frame = points.assign(rank_=points["geo_precision"].map(rank).fillna(0))
    frame = frame.sort_values(["rank_", "event_date", "event_id"], kind="stable")
    rows = []
    for r in frame.itertuples(index=False):
        group, certainty = _certainty(r)
        style = symbol_style(group, certainty)
        precision = str(r.geo_precision) if str(r.geo_precision) in PRECISIONS else "exact"
        rows.append({
            "lon": round(float(r.longitude), 5), "lat": round(float(r.latitude), 5),
            "group": group, "certainty": certainty, "fill": style["fill"],
            "ring": style["ring"], "fo": style["fill_opacity"], "w": style["weight"],
            "dash": dash_pattern(style["dash"]),
            "size": round(math.pi * POINT_RADIUS[precision] ** 2, 1), "rank": int(r.rank_)})
    return rows


def scale_channel(field: str, domain: list, values: list, title: str, legend: bool) -> dict:
    # "ordinal": an explicit value per key (Vega-Lite's default for size or width of a
    # nominal field is a "point" scale, which gives NaN for a single key).
    out = {"field": field, "type": "nominal", "title": title,
           "scale": {"type": "ordinal", "domain": domain, "range": values}}
    if not legend:
        out["legend"] = None
    return out


def raw_channel(field: str, kind: str = "nominal") -> dict:
    return {"field": field, "type": kind, "scale": None, "legend": None}


def points_layer(rows: list[dict], *, opacity: float = 1.0) -> dict:
    """Circles like the app's: size = location precision; fill, ring, dash and weight = the
    origin and how it is known (geo.origins.symbol_style): an ambiguous RUS;PRK is two
    colours, an inferred origin hollow, never a stated-looking dot."""
    return {"data": {"values": rows},
            "mark": {"type": "point", "shape": "circle", "filled": True, "opacity": opacity},
            "encoding": {
                "longitude": {"field": "lon", "type": "quantitative"},
                "latitude": {"field": "lat", "type": "quantitative"},
                "fill": raw_channel("fill"), "stroke": raw_channel("ring"),
                "fillOpacity": raw_channel("fo", "quantitative"),
                "strokeWidth": raw_channel("w", "quantitative"), "strokeDash": raw_channel("dash"),
                "size": raw_channel("size", "quantitative"),
                "order": {"field": "rank", "type": "quantitative"}}}


def stack_rows(rows: list[dict]) -> list[dict]:
    """A count for every position several symbols share (they would draw as one dot: the
    app spreads them on click, a printed map says how many)."""
    counts: dict[tuple[float, float], int] = {}
    for r in rows:
        counts[(r["lon"], r["lat"])] = counts.get((r["lon"], r["lat"]), 0) + 1
    return [{"lon": lon, "lat": lat, "label": f"×{n}"} for (lon, lat), n in
            sorted(counts.items()) if n > 1]


def stack_layers(rows: list[dict]) -> list[dict]:
    """The shared-position counts as small bold numbers above-right of the symbol."""
    stacks = stack_rows(rows)
    if not stacks:
        return []
    where = {"longitude": {"field": "lon", "type": "quantitative"},
             "latitude": {"field": "lat", "type": "quantitative"},
             "text": {"field": "label", "type": "nominal"}}
    text = {"type": "text", "align": "left", "baseline": "bottom", "dx": 6, "dy": -4,
            "fontSize": 11, "fontWeight": "bold"}
    return [{"data": {"values": stacks}, "encoding": where,
             "mark": {**text, "stroke": "white", "strokeWidth": 3, "strokeJoin": "round"}},
            {"data": {"values": stacks}, "encoding": where, "mark": {**text, "fill": INK}}]


def point_groups(rows: list[dict]) -> list[str]:
    """The origins whose colours the symbols use (both of an ambiguous pair)."""
    codes = {c for r in rows for c in codes_of(r["group"])}
    if any(not codes_of(r["group"]) for r in rows):
        codes.add("unknown")
    return sort_groups(codes)


def point_legend_layers(groups: list[str], certainties: list[str], *, precision: bool = True,
                        lang: str = "en") -> list[dict]:
    """Empty layers that only carry the three legends: origin colours, precision sizes and
    certainty styles (the drawn symbols use raw values, which make no legend)."""
    empty = {"values": []}
    # Opaque keys: a point mark's default opacity (0.7) would tint the swatches.
    mark = {"type": "point", "shape": "circle", "filled": True, "opacity": 1}
    where = {"longitude": {"field": "lon", "type": "quantitative"},
             "latitude": {"field": "lat", "type": "quantitative"}}
    labels = list(precision_labels(lang).values())
    titles = {kind: legend_title(kind, lang) for kind in _TITLES}
    known = [c for c in CERTAINTIES if c in certainties]
    styles = [CERTAINTY_STYLES[c] for c in known]
    layers = [
        {"data": empty, "mark": mark,
         "encoding": {**where, "fill": scale_channel(
             "origin", [origin_label(g, lang) for g in groups],
             [origin_colour(g) for g in groups], titles["origin"], True)}},
    ] if groups else []
    if precision:
        layers.append(
            {"data": empty, "mark": mark,
             "encoding": {**where, "size": scale_channel(
                 "precision", labels, [round(math.pi * POINT_RADIUS[p] ** 2, 1)
                                       for p in PRECISIONS], titles["precision"], True)}})
    if known:
        text = [certainty_texts(lang)[c] for c in known]
        layers.append(
            {"data": empty, "mark": mark,
             "encoding": {**where,
                          # A size scale, though constant: Vega lays the keys out by it.
                          "size": scale_channel("certainty", text, [110] * len(text),
                                           titles["certainty"], True),
                          "strokeWidth": scale_channel("certainty", text,
                                                  [s["weight"] for s in styles],
                                                  titles["certainty"], True),
                          "strokeDash": scale_channel("certainty", text,
                                                 [[float(x) for x in s["dash"].split()]
                                                  if s["dash"] else [1, 0] for s in styles],
                                                 titles["certainty"], True)}})
    return layers


def style_precision_legend(vega: dict, lang: str = "en") -> dict:
    """Give the precision and certainty legends the symbols' look (Vega-Lite makes no
    fill-opacity legend): grey circles sized by precision; certainty keys with the fill
    opacity, ring and dash of their style, so the key reads like the map."""
    opacity = {certainty_texts(lang)[c]: s["fill_opacity"] for c, s in CERTAINTY_STYLES.items()}
    precision_title, certainty_title = legend_title("precision", lang), legend_title(
        "certainty", lang)
    order = [legend_title(k, lang) for k in ("origin", "cell", "certainty", "precision", "area")]
    vega["legends"] = sorted(vega.get("legends", []), key=lambda leg: order.index(
        leg.get("title")) if leg.get("title") in order else len(order))
    for legend in vega.get("legends", []):
        title = legend.get("title")
        if title not in (precision_title, certainty_title):
            continue
        symbols = legend.setdefault("encode", {}).setdefault("symbols", {})
        update = symbols.setdefault("update", {})
        update["fill"] = {"value": "#777777"}
        update["stroke"] = {"value": "#1A1A1A"}
        update["opacity"] = {"value": 1}
        if title == certainty_title:
            # One literal per key (labels are fixed text from geo.origins, not data).
            update["fillOpacity"] = [{"test": f"datum.label === {json.dumps(label)}",
                                      "value": value} for label, value in opacity.items()
                                     ] + [{"value": 0.9}]
        else:
            update["fillOpacity"] = {"value": 0.6}
    return vega
