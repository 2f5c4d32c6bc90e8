"""The self-contained interactive map export (HTML that opens offline, no tiles, no CDN).

Pure: it draws a :class:`~geo.maps.MapPlan` and a :class:`~geo.citation.Context` that
:mod:`geo.export` read from the store. Leaflet, jQuery and Leaflet's CSS are inlined; every
data string goes through :func:`geo.escape.for_map`; folium's random element ids are
replaced by a counter so the same input gives the same bytes.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from branca.element import Element

from geo.assets import vendor_file
from geo.citation import Context
from geo.escape import for_inline_script, for_map
from geo.i18n import translate
from geo.mapplan import UKRAINE_CENTER, MapPlan, drawn_groups
from geo.maps import base_map, layers
from geo.origins import origin_colour, origin_label
from geo.render import ImageOptions, caption_lines
from geo.render_map import counts_text, map_title, origin_breakdown


def _leaflet_css() -> str:
    """leaflet.css with its images inlined as data: URIs (no relative file lookups)."""
    css = vendor_file("leaflet.css").read_text(encoding="utf-8")
    images = vendor_file("images")

    def inline(match: re.Match) -> str:
        path = images / Path(match.group(1)).name
        if not path.is_file():
            return "url(data:,)"
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\(\s*['\"]?images/([\w.-]+)['\"]?\s*\)", inline, css)


def _script(name: str) -> str:
    return for_inline_script(vendor_file(name).read_text(encoding="utf-8"))


def _legend_items(plan: MapPlan, lang: str) -> list[tuple[str, str]]:
    """(colour, label) for each origin group drawn, labels in ``lang``."""
    return [(origin_colour(g), origin_label(g, lang)) for g in drawn_groups(plan)]


def _legend_html(title: str, lines: list[str], plan, lang: str = "en") -> str:
    """The legend and caption box; every text through geo.escape.for_map."""
    heading = '<div style="font-weight:bold;margin-top:6px">{}</div>'
    swatch = ('<span style="display:inline-block;width:11px;height:11px;border-radius:6px;'
              'margin-right:6px;vertical-align:-1px;background:{}"></span>')
    parts = [f'<div style="color:#444">{for_map(line)}</div>' for line in lines]
    items = _legend_items(plan, lang) if plan.mode == "points" else []
    if items:
        parts.append(heading.format(for_map(translate("legend.origin", lang))))
        parts += [f"<div>{swatch.format(for_map(c))}{for_map(label)}</div>"
                  for c, label in items]
        parts.append(heading.format(for_map(translate("legend.precision", lang))))
        parts += [f"<div>{for_map(translate(f'legend.html.{p}', lang))}</div>"
                  for p in ("exact", "settlement", "district")]
    if plan.mode == "grid":
        parts.append(heading.format(for_map(translate("legend.html.aggregated", lang))))
        parts.append(f"<div>{for_map(translate('legend.html.grid', lang))}</div>")
        parts += [f"<div>{swatch.format(for_map(c))}{for_map(label)}</div>"
                  for c, label in _legend_items(plan, lang)]
    if not plan.areas.empty:
        parts.append('<div style="margin-top:6px">'
                     f"{for_map(translate('legend.html.shade', lang))}</div>")
    # <details>: readers can fold the box away without any script.
    return ('<details open id="salvo-legend" style="position:fixed;left:10px;bottom:44px;'
            "z-index:1000;max-width:380px;max-height:70vh;overflow:auto;"
            "background:rgba(255,255,255,.93);border:1px solid #bbb;border-radius:4px;"
            'padding:6px 10px;font:12px/1.4 sans-serif;color:#222">'
            '<summary style="font-weight:bold;font-size:14px;cursor:pointer">'
            f"{for_map(title)}</summary>" + "".join(parts) + "</details>")


def _stable_ids(root) -> None:
    """Replace folium's random element ids by a counter, so the HTML is reproducible."""
    counter = 0
    stack = [root]
    while stack:
        element = stack.pop(0)
        counter += 1
        element._id = f"{counter:032x}"
        stack.extend(getattr(element, "_children", {}).values())
        for extra in ("header", "html", "script"):
            child = getattr(element, extra, None)
            if child is not None and child is not element and hasattr(child, "_children"):
                stack.append(child)


def map_html(plan: MapPlan, ctx: Context, options: ImageOptions) -> bytes:
    """A self-contained interactive map: Leaflet, jQuery and CSS inlined; no tiles, no CDN."""
    view, lang = options.view, options.lang
    lines = caption_lines(ctx, counts_text(plan, ctx, lang), 10**6, lang=lang,
                          extra=origin_breakdown(plan, lang))
    lines += list(ctx.credits)
    has_centre = view is not None and view.lat is not None and view.lon is not None
    # Without a link's centre the map fits all of Ukraine when it opens, as the app does.
    fmap = base_map(center=(view.lat, view.lon) if has_centre else UKRAINE_CENTER,
                    zoom=plan.zoom, local_assets=False, fit=not has_centre, lang=lang)
    fmap.default_js = []  # inlined below instead of CDN links
    fmap.default_css = []
    for layer in layers(plan, lang):
        layer.add_to(fmap)
    title = map_title(options, ctx)
    root = fmap.get_root()
    root.title = for_map(title)
    root.html.add_child(Element(_legend_html(title, lines, plan, lang)), name="salvo_legend")
    _stable_ids(root)
    page = root.render()
    # Our own stylesheet: nothing in it can end the <style> element (checked by tests).
    own_css = vendor_file("salvo-map.css").read_text(encoding="utf-8")
    assets = (f"<style>{_leaflet_css()}</style>\n<style>{own_css}</style>\n"
              f"<script>{_script('leaflet.js')}</script>\n"
              f"<script>{_script('jquery.min.js')}</script>\n"
              f"<script>{_script('salvo-map.js')}</script>\n")
    head_end = page.find("</head>")
    if head_end < 0:
        raise RuntimeError("folium produced HTML without a </head>")
    page = page[:head_end] + assets + page[head_end:]
    page = page.replace("<html>", f'<html lang="{lang}">', 1)  # for screen readers, search
    return page.encode("utf-8")
