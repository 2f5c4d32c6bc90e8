"""Map page state: level-of-detail plan from the view, the map's opening view, and what a
click selected."""

from __future__ import annotations

import html
import json
import math
from dataclasses import replace

import streamlit as st

from geo import settings
from geo.filters import Filters
from geo.mapplan import UKRAINE_BOUNDS, MapPlan, events_at, plan_map
from geo.maps import Scripts, base_map, basemap_url, layer_scripts, layers_from, legend_layer
from geo.store import BBox, Store
from ui.cache import store_read
from ui.state import current_view, language, set_view

MAP_KEY = "map"
# What st_folium reports back (pages/1_Map.py and bench/payload.py pass the same list).
RETURNED = ["last_object_clicked", "last_object_clicked_popup", "zoom", "bounds", "center"]
CLICK_PREFIX = "salvo:"  # static/salvo-map.js reports clicked event ids as salvo:[…]


@store_read(max_entries=64)
def _plan(store: Store, filters: Filters, zoom: int, bbox: BBox | None,
          max_points: int) -> MapPlan:
    return plan_map(store, filters, max_points=max_points, zoom=zoom, bbox=bbox)


@store_read(max_entries=64)
def _scripts(store: Store, filters: Filters, zoom: int, bbox: BBox | None,
             max_points: int, lang: str) -> Scripts:
    """The layers' JSON (popups in ``lang``) for the same key as the plan: a rerun that
    does not change the filters or the view (a click, an expander, another reader with the
    same filters) sends the cached strings instead of building them again."""
    return layer_scripts(_plan(store, filters, zoom, bbox, max_points), lang)


def _bbox(bounds: object, zoom: object = None) -> BBox | None:
    """The view's box, widened to a 0.1° grid (0.01° from zoom 10: a zoomed-in view is
    narrower than 0.1°), so tiny pans reuse the cached plan and the box always contains
    the whole view (nearest rounding could shrink a zoomed-in view to nothing)."""
    try:
        sw, ne = bounds["_southWest"], bounds["_northEast"]  # type: ignore[index]
        step = 100 if isinstance(zoom, int | float) and zoom >= 10 else 10
        return BBox(math.floor(sw["lat"] * step) / step, math.floor(sw["lng"] * step) / step,
                    math.ceil(ne["lat"] * step) / step, math.ceil(ne["lng"] * step) / step)
    except (TypeError, KeyError, ValueError, OverflowError):
        return None


def holds_ukraine(box: BBox) -> bool:
    """True when the view shows all of Ukraine: the plan for the whole map (no box) is the
    one to draw. The fitted first view reports such a box; taking it for a new view made
    every first visit plan, send and draw the map a second time."""
    (south, west), (north, east) = UKRAINE_BOUNDS
    return box.south <= south and box.west <= west and box.north >= north and box.east >= east


def opening_view() -> tuple[tuple[float, float] | None, int | None]:
    """The centre/zoom to hand to st_folium: the link's view when the map is (re)mounted,
    then the same values on every rerun — st_folium moves the map only when they change,
    so a click or a pan never recentres it. ``(None, None)``: fit Ukraine."""
    if MAP_KEY not in st.session_state:  # a new map iframe: this page was just opened
        view = current_view()
        has_view = view.lat is not None and view.lon is not None and view.zoom
        st.session_state["map_opening"] = ((view.lat, view.lon), view.zoom) if has_view \
            else (None, None)
    return st.session_state.get("map_opening", (None, None))


def map_state(store: Store, filters: Filters):
    """The plan, the base map, its layers (the last one the legend over the map), and the
    opening centre/zoom (None: fit)."""
    center, zoom = opening_view()
    view = current_view()
    plan_zoom = int(view.zoom or zoom or 6)
    bbox = st.session_state.get("map_bbox")
    max_points = settings.get("max_points")
    plan = _plan(store, filters, plan_zoom, bbox, max_points)
    kwargs = {"center": center, "zoom": zoom} if center is not None else {}
    base = base_map(tiles=settings.get("map_tiles"),
                    attribution=settings.get("map_tiles_attribution"),
                    fit=center is None, lang=language(), basemap_src=basemap_url(language()),
                    **kwargs)
    scripts = _scripts(store, filters, plan_zoom, bbox, max_points, language())
    # The legend over the map (a phone's); on a desktop the legend column shows instead.
    legend = legend_layer(plan, getattr(filters, "certainty", None), language())
    return plan, base, [*layers_from(scripts), legend], center, zoom


def clicked_ids(returned: dict, plan: MapPlan) -> list[str] | None:
    """The event ids the map reported for the last click (None: no click reported).

    The browser sends ids it was given; only ids of events in this plan are accepted.
    """
    token = returned.get("last_object_clicked_popup")
    if isinstance(token, str) and token.startswith(CLICK_PREFIX):
        try:
            values = json.loads(token[len(CLICK_PREFIX):])
        except ValueError:
            return None
        known = set(plan.points["event_id"].astype(str)) if not plan.points.empty else set()
        ids = [html.unescape(str(v)) for v in values if isinstance(v, str)]
        return [i for i in ids if i in known] or None
    clicked = returned.get("last_object_clicked")
    if isinstance(clicked, dict) and "lat" in clicked:
        return events_at(plan.points, clicked["lat"], clicked["lng"]) or None
    return None


def remember_map(returned: dict | None, plan: MapPlan) -> list[str]:
    """Store zoom/bounds/centre for the next run and the link; return the selected ids."""
    if not returned:
        return _selected()
    view = current_view()
    zoom, center = returned.get("zoom"), returned.get("center")
    if isinstance(zoom, int | float) and isinstance(center, dict) and "lat" in center:
        new = replace(view, lat=round(center["lat"], 4), lon=round(center["lng"], 4),
                      zoom=int(round(zoom)))
        if new != view:
            set_view(new)
            view = new
    bbox = _bbox(returned.get("bounds"), returned.get("zoom"))
    if bbox is not None:
        wanted = None if holds_ukraine(bbox) else bbox
        if wanted != st.session_state.get("map_bbox"):
            st.session_state["map_bbox"] = wanted
            if plan.mode == "grid" or plan.kinds.get("point", 0) > plan.shown_points:
                st.rerun()  # the view moved: fetch the right level of detail for it
    token = returned.get("last_object_clicked_popup"), returned.get("last_object_clicked")
    if token != st.session_state.get("map_click_token"):
        st.session_state["map_click_token"] = token
        ids = clicked_ids(returned, plan)
        if ids:
            st.session_state["map_clicked"] = ids
            # One event clicked: its id goes in the link. A badge (several): the list.
            set_view(replace(view, event=ids[0] if len(ids) == 1 else ""))
    return _selected()


def _selected() -> list[str]:
    ids = st.session_state.get("map_clicked")
    if ids:
        return list(ids)
    event = current_view().event
    return [event] if event else []
