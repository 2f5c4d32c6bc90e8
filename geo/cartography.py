"""What makes an exported map publishable: a title from the filters, a scale bar, a north
arrow and the data credits (Vega-Lite marks at pixel positions of a :class:`Frame`).

All texts are literal mark properties (never expressions or templates), computed here from
fixed tables and the filters' validated values.
"""

from __future__ import annotations

import math
from datetime import date

from geo.filters import Filters
from geo.i18n import format_date, oblast_name, translate
from geo.mapplan import city_labels
from geo.oblasts import OBLASTS
from geo.origins import country_name
from geo.render import CREDIT_SIZE, INK, MUTED, Frame, credit_rows
from geo.taxonomy import class_label

EARTH_RADIUS_KM = 6371.0088
BIG_CITY = 700_000  # as the app: only the largest cities at country scale
CITY_ZOOM = 7  # from this zoom on, every bundled city
NICE_KM = (10, 20, 25, 50, 100, 150, 200, 250, 300, 500, 1000)
MAX_TITLE_ITEMS = 3
ADJECTIVES = {"RUS": "Russian", "IRN": "Iranian", "PRK": "North Korean", "BLR": "Belarusian",
              "UKR": "Ukrainian", "USA": "US", "GBR": "British", "FRA": "French",
              "DEU": "German", "CHN": "Chinese", "TUR": "Turkish", "ISR": "Israeli"}


def _list(items: list[str]) -> str:
    if len(items) > MAX_TITLE_ITEMS:
        items = [*items[:MAX_TITLE_ITEMS], f"{len(items) - MAX_TITLE_ITEMS} more"]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _day(value: date) -> str:
    return f"{value.day} {value.strftime('%b %Y')}"


def _list_uk(items: list[str], word: str = "або") -> str:
    if len(items) > MAX_TITLE_ITEMS:
        items = [*items[:MAX_TITLE_ITEMS], f"ще {len(items) - MAX_TITLE_ITEMS}"]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {word} " + items[-1]


def title_uk(filters: Filters, noun: str = "") -> str:
    """The Ukrainian headline. Names stay in the nominative ("країна розробки — КНДР;
    Харківська область"): a headline built from parts must not decline names it cannot."""
    noun = noun or translate("title.map", "uk")
    parts = []
    if filters.origins:
        known = [country_name(o, "uk") for o in filters.origins if o != "unknown"]
        parts.append("країна розробки — " + (_list_uk(known) if known else "невідома"))
    supplied = [country_name(o, "uk") for o in filters.suppliers if o != "unknown"]
    if supplied:
        parts.append("постачальник — " + _list_uk(supplied))
    # Models as the sources write them; classes and families in our Ukrainian words.
    what = list(filters.models) or [class_label(c, "uk").lower() for c in filters.classes]
    if what:
        parts.append(_list_uk(what, "і"))
    if filters.oblasts:
        parts.append(_list_uk([oblast_name(o, OBLASTS.get(o, o), "uk") for o in filters.oblasts],
                              "і"))
    text = f"{noun}: {'; '.join(parts)}" if parts else noun
    if filters.date_from and filters.date_to:
        text += (f", {format_date(filters.date_from, 'uk')} – "
                 f"{format_date(filters.date_to, 'uk')}")
    elif filters.date_from:
        text += f", від {format_date(filters.date_from, 'uk')}"
    return text


def title_from_filters(filters: Filters, noun: str = "Strikes and impacts",
                       lang: str = "en") -> str:
    """A headline for the selection, e.g. "Strikes and impacts: weapons of North Korean
    origin (KN-23) in Kharkiv, 1 Dec 2023 – 5 Apr 2026".

    ``filters`` should have its dates pinned (:func:`geo.citation.pin_dates`). Origins are
    joined with "or": the filter matches any of them. ``lang="uk"``: :func:`title_uk` (give
    ``noun`` in Ukrainian).
    """
    if lang == "uk":
        return title_uk(filters, "" if noun == "Strikes and impacts" else noun)
    parts = []
    known = [ADJECTIVES.get(o, country_name(o)) for o in filters.origins if o != "unknown"]
    if known:
        joined = known[0] if len(known) == 1 else ", ".join(known[:-1]) + " or " + known[-1]
        parts.append(f"weapons of {joined} origin")
    elif filters.origins:
        parts.append("weapons of unknown origin")
    supplied = [country_name(o) for o in filters.suppliers if o != "unknown"]
    by = f"supplied by {_list(supplied).replace(' and ', ' or ')}" if supplied else ""
    what = list(filters.models) or list(filters.classes)
    if parts:  # "weapons of Iranian origin supplied by Russia (drones)"
        parts += [by] if by else []
        if what:
            parts.append(f"({_list(what)})")
    elif what or by:  # "missiles supplied by North Korea"
        parts.append(" ".join(p for p in (_list(what) if what else "weapons", by) if p))
    if filters.oblasts:
        names = [OBLASTS.get(o, o).replace(" Oblast", "") for o in filters.oblasts]
        parts.append(f"in {_list(names)}")
    text = f"{noun}: {' '.join(parts)}" if parts else noun
    if filters.date_from and filters.date_to:
        text += f", {_day(filters.date_from)} – {_day(filters.date_to)}"
    elif filters.date_from:
        text += f" since {_day(filters.date_from)}"
    return text


def scale_km(frame: Frame) -> tuple[float, float]:
    """(kilometres, pixels) of a scale bar about a fifth of the view wide, measured at the
    latitude of the bar (Mercator's scale changes with latitude)."""
    _lon, lat = frame.lonlat(0, frame.view_h)
    km_per_px = EARTH_RADIUS_KM * math.cos(math.radians(lat)) / frame.k
    target = frame.view_w / 5 * km_per_px
    km = max([n for n in NICE_KM if n <= target] or [NICE_KM[0]])
    return km, km / km_per_px


def scale_bar_layers(frame: Frame, lang: str = "en") -> list[dict]:
    """A two-segment bar in the view's bottom-left corner, labelled 0, half and full km."""
    km, px = scale_km(frame)
    x0, y = 14.0, frame.view_h - 16.0
    half = px / 2
    text = {"type": "text", "fontSize": 10, "color": INK, "baseline": "bottom", "y": y - 5}
    bar = [
        {"type": "rect", "x": x0 - 6, "y": y - 22, "x2": x0 + px + 30, "y2": y + 8,
         "fill": "white", "opacity": 0.8, "cornerRadius": 2},
        {"type": "rect", "x": x0, "y": y - 3, "x2": x0 + half, "y2": y + 3, "fill": INK},
        {"type": "rect", "x": x0 + half, "y": y - 3, "x2": x0 + px, "y2": y + 3,
         "fill": "white", "stroke": INK, "strokeWidth": 1},
        {**text, "x": x0, "align": "center", "text": "0"},
        {**text, "x": x0 + half, "align": "center", "text": f"{km / 2:g}"},
        {**text, "x": x0 + px, "align": "left", "dx": -4,
         "text": translate("legend.km", lang, km=f"{km:g}")},
    ]
    return [{"data": {"values": [{}]}, "mark": mark} for mark in bar]


def north_arrow_layers(frame: Frame, lang: str = "en") -> list[dict]:
    """An arrow and "N" ("Пн") in the view's top-right corner (north is up in Web Mercator)."""
    x, y = frame.view_w - 22.0, 12.0
    marks = [
        {"type": "rect", "x": x - 14, "y": y - 6, "x2": x + 14, "y2": y + 42,
         "fill": "white", "opacity": 0.8, "cornerRadius": 2},
        {"type": "text", "x": x, "y": y + 27, "text": translate("legend.north", lang),
         "align": "center",
         "baseline": "top", "fontSize": 12, "fontWeight": "bold", "color": INK},
        # Vega scales a custom symbol path from [-1, 1] to sqrt(size) pixels: 24 px tall.
        {"type": "point", "shape": "M 0 -1 L 0.6 1 L 0 0.55 L -0.6 1 Z", "size": 24 ** 2,
         "x": x, "y": y + 12, "filled": True, "fill": INK, "stroke": INK, "strokeWidth": 0.5,
         "opacity": 1},
    ]
    return [{"data": {"values": [{}]}, "mark": mark} for mark in marks]


def credits_layer(lines: tuple[str, ...], frame: Frame) -> list[dict]:
    """The data credits under the view, left-aligned, wrapped (the layout left room)."""
    rows = credit_rows(lines, frame.width - 2 * frame.left)
    return [{"data": {"values": [{}]},
             "mark": {"type": "text", "text": text, "x": 0, "y": frame.view_h + 5 + 12 * i,
                      "align": "left", "baseline": "top", "fontSize": CREDIT_SIZE,
                      "color": MUTED}} for i, text in enumerate(rows)]


def city_layers(frame: Frame, lang: str = "en") -> list[dict]:
    """Major cities as a dot and a name (bundled GeoNames data), under the event symbols.

    Names come from ``data/cities.csv`` (fixed, reviewed; ``name_uk`` in Ukrainian), never
    from event data."""
    box = frame.bbox()
    rows = [{"lon": lon, "lat": lat, "name": name} for lat, lon, name, pop in city_labels(lang)
            if (pop >= BIG_CITY or frame.zoom >= CITY_ZOOM)
            and box.south <= lat <= box.north and box.west <= lon <= box.east]
    if not rows:
        return []
    where = {"longitude": {"field": "lon", "type": "quantitative"},
             "latitude": {"field": "lat", "type": "quantitative"}}
    text = {"type": "text", "align": "left", "baseline": "middle", "dx": 5, "fontSize": 10}
    return [
        {"data": {"values": rows}, "encoding": where,
         "mark": {"type": "point", "shape": "square", "size": 14, "filled": True,
                  "fill": "#444444", "opacity": 1}},
        {"data": {"values": rows}, "encoding": {**where, "text": {"field": "name"}},
         "mark": {**text, "stroke": "white", "strokeWidth": 2.5, "strokeOpacity": 0.9}},
        {"data": {"values": rows}, "encoding": {**where, "text": {"field": "name"}},
         "mark": {**text, "fill": "#333333"}},
    ]
