"""Map page state: level-of-detail plan from the view, and what a click selected."""

from __future__ import annotations

import math
from dataclasses import replace

import streamlit as st

from geo import settings
from geo.filters import Filters
from geo.maps import UKRAINE_CENTER, UKRAINE_ZOOM, MapPlan, base_map, events_at, layers, plan_map
from geo.store import BBox, Store
from ui.state import current_view, data_version, set_view


@st.cache_data(show_spinner=False, max_entries=64)
def _plan(url: str, version: str, filters: Filters, zoom: int, bbox: BBox | None,
          max_points: int) -> MapPlan:
    from ui.state import get_store

    return plan_map(get_store(), filters, max_points=max_points, zoom=zoom, bbox=bbox)


def _bbox(bounds: object, zoom: object = None) -> BBox | None:
    """The view's box, widened to a 0.1° grid (0.01° from zoom 10: a zoomed-in view is
    narrower than 0.1°), so tiny pans reuse the cached plan and the box always contains
    the whole view (nearest rounding could shrink a zoomed-in view to nothing)."""
    try:
        sw, ne = bounds["_southWest"], bounds["_northEast"]  # type: ignore[index]
        step = 100 if isinstance(zoom, int) and zoom >= 10 else 10
        return BBox(math.floor(sw["lat"] * step) / step, math.floor(sw["lng"] * step) / step,
                    math.ceil(ne["lat"] * step) / step, math.ceil(ne["lng"] * step) / step)
    except (TypeError, KeyError, ValueError, OverflowError):
        return None


def map_state(store: Store, filters: Filters):
    """The plan, the base map, its layers, and the centre/zoom to show."""
    view = current_view()
    zoom = view.zoom or UKRAINE_ZOOM
    center = (view.lat, view.lon) if view.lat is not None else UKRAINE_CENTER
    bbox = st.session_state.get("map_bbox")
    plan = _plan(store.url, data_version(store), filters, zoom, bbox,
                 settings.get("max_points"))
    base = base_map(tiles=settings.get("map_tiles"),
                    attribution=settings.get("map_tiles_attribution"))
    return plan, base, layers(plan), center, zoom


def remember_map(returned: dict | None, plan: MapPlan) -> list[str]:
    """Store zoom/bounds/centre for the next run; return the event ids a click selected."""
    if not returned:
        return _selected()
    view = current_view()
    zoom, center = returned.get("zoom"), returned.get("center")
    if isinstance(zoom, int) and isinstance(center, dict) and "lat" in center:
        new = replace(view, lat=round(center["lat"], 4), lon=round(center["lng"], 4), zoom=zoom)
        if new != view:
            set_view(new)
            view = new
    bbox = _bbox(returned.get("bounds"), returned.get("zoom"))
    if bbox is not None and bbox != st.session_state.get("map_bbox"):
        st.session_state["map_bbox"] = bbox
        if plan.mode == "grid" or plan.kinds.get("point", 0) > plan.shown_points:
            st.rerun()  # the view moved: fetch the right level of detail for it
    clicked = returned.get("last_object_clicked")
    if isinstance(clicked, dict) and "lat" in clicked:
        ids = events_at(plan.points, clicked["lat"], clicked["lng"])
        if ids and ids != st.session_state.get("map_clicked"):
            st.session_state["map_clicked"] = ids
            set_view(replace(view, event=ids[0]))
    return _selected()


def _selected() -> list[str]:
    ids = st.session_state.get("map_clicked")
    if ids:
        return list(ids)
    event = current_view().event
    return [event] if event else []
