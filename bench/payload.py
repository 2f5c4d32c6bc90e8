"""What a rerun sends to the browser, measured without a Streamlit server.

* :func:`map_payload` runs ``streamlit_folium.st_folium`` itself — the very call
  ``pages/1_Map.py`` makes, with the same arguments — with its component function replaced
  by one that records the arguments instead of sending them. Its size is the JSON of those
  arguments: the map script, header and html, and the feature-group script with the layers.
* :func:`chart_payload` is the Vega-Lite spec of the timeline (``Chart.to_json()``).

Used by ``bench/run.py`` and by ``tests/test_payloads.py``.
"""

from __future__ import annotations

import json
import logging
import warnings
from contextlib import contextmanager

import folium

# The same arguments as pages/1_Map.py.
ST_FOLIUM_ARGS = {
    "key": "map", "height": 620, "use_container_width": True,
    "returned_objects": ["last_object_clicked", "last_object_clicked_popup", "zoom", "bounds",
                         "center"],
}


@contextmanager
def _quiet():
    """st_folium outside a Streamlit run logs 'missing ScriptRunContext' warnings."""
    names = [n for n in logging.root.manager.loggerDict if n.startswith("streamlit")]
    names.append("streamlit.runtime.scriptrunner_utils.script_run_context")
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def st_folium_args(fmap: folium.Map, layers: list, *, center=(48.6, 31.3),
                   zoom: int = 6) -> dict:
    """The arguments ``st_folium`` would hand to its frontend for this map and layers."""
    import streamlit_folium

    captured: dict = {}

    def record(**kwargs):
        captured.update(kwargs)
        return kwargs.get("default")

    original = streamlit_folium._component_func
    streamlit_folium._component_func = record
    try:
        with _quiet():
            streamlit_folium.st_folium(fmap, center=center, zoom=zoom,
                                       feature_group_to_add=layers, **ST_FOLIUM_ARGS)
    finally:
        streamlit_folium._component_func = original
    return captured


def payload_bytes(args: dict) -> int:
    """Size of the JSON the component arguments become on the websocket."""
    sent = {k: v for k, v in args.items() if not callable(v)}
    return len(json.dumps(sent, default=str).encode("utf-8"))


def map_payload(fmap: folium.Map, layers: list, **kwargs) -> tuple[int, dict]:
    """(bytes, {part: bytes}) of what st_folium sends for ``fmap`` + ``layers``."""
    args = st_folium_args(fmap, layers, **kwargs)
    parts = {k: len(v.encode("utf-8")) for k, v in args.items()
             if isinstance(v, str) and k in ("script", "header", "html", "feature_group")}
    return payload_bytes(args), parts


def chart_payload(chart) -> int:
    """Bytes of the timeline's Vega-Lite spec (data inlined)."""
    return len(chart.to_json().encode("utf-8"))
