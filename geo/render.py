"""Images rendered on the server, without a browser: shared options, captions, vl-convert.

The map (:mod:`geo.render_map`), the timeline (:mod:`geo.render_timeline`) and the
animation (:mod:`geo.animate`) are Vega-Lite specs drawn by ``vl-convert`` (a pip wheel with
an embedded JavaScript engine and fonts): no browser, no network, the same pixels for the
same input. Remote data URLs are refused (``allowed_base_urls=[]``): every spec carries its
data inline, so an accidental URL fails loudly instead of rendering an empty chart.

Every image states what it shows: the filters (with the date range pinned), how many events
match and how they are drawn, the datasets they come from, and the export date. The export
date is a parameter so the same data and filters give the same image.
"""

from __future__ import annotations

import io
import json
import math
import re
import textwrap
from dataclasses import dataclass, replace
from functools import lru_cache

import vl_convert as vlc
from PIL import Image
from shapely.geometry import MultiPolygon, Polygon, box, mapping, shape
from shapely.geometry.polygon import orient

from geo.citation import Context, describe_filters
from geo.filters import View
from geo.i18n import format_date, translate
from geo.mapplan import UKRAINE_CENTER, UKRAINE_ZOOM, basemap_features
from geo.store.base import BBox

IMAGE_FORMATS = ("png-map", "svg-map", "pdf-map", "png-timeline", "svg-timeline",
                 "pdf-timeline", "gif")
STEPS = ("auto", "day", "week", "month")
DEFAULT_SIZE = {"png-map": (1200, 800), "png-timeline": (1200, 600), "gif": (800, 560)}
DEFAULT_SIZE |= {f"{kind}-{what}": DEFAULT_SIZE[f"png-{what}"]
                 for kind in ("svg", "pdf") for what in ("map", "timeline")}
MIN_WIDTH, MIN_HEIGHT, MAX_SIDE = 480, 320, 4000
MIN_SCALE, MAX_SCALE = 0.5, 6.25  # 6.25 = 600 dpi over the 96-pixels-per-inch layout
MAX_PIXELS = 40_000_000  # a PNG/PDF page after scaling (memory of one raster)
CSS_DPI = 96  # layout pixels per inch: --dpi 300 draws every layout pixel 300/96 times
MIN_DPI, MAX_DPI = 72, 600
MAX_GIF_PIXELS = 1600 * 1200  # per frame, after scaling: keeps a 120-frame GIF in memory
MAX_TITLE = 120
MAX_SOURCES_SHOWN = 6
MAX_CAPTION_LINES = 3  # per caption paragraph
EXTENT = (22.0, 44.25, 40.3, 52.45)  # west, south, east, north: Ukraine with Crimea
MARGIN = 12
FOOTER = 18  # one credits line under a map (and 12 pixels per extra line)
CREDIT_SIZE = 10

TITLE_SIZE = 18
CAPTION_SIZE = 12
CAPTION_LINE = 16
CHAR_WIDTH = 0.56  # average glyph width of Liberation Sans, as a share of the font size
INK = "#222222"
MUTED = "#555555"


@dataclass(frozen=True)
class ImageOptions:
    """How an image export looks. Hashable: the app caches exports keyed by it."""

    width: int = 0  # 0 = the format's default (DEFAULT_SIZE)
    height: int = 0
    scale: float = 1.0
    step: str = "auto"  # GIF frame step / timeline bin: auto, day, week, month
    title: str = ""
    measure: str = "events"  # timeline measure (geo.timeline.MEASURES)
    view: View | None = None  # map centre/zoom from a link; None = all of Ukraine
    max_points: int = 2000  # same meaning as the SALVO_MAX_POINTS setting
    max_frames: int = 120
    dpi: int = 0  # PNG: the print resolution written into the file (0 = none stated)
    stack: str = "origin"  # timeline: what the bars are stacked by (geo.timeline.STACKS)
    lang: str = "en"  # language of the title and caption (geo.i18n.LANGUAGES)

    def at_dpi(self, dpi: int) -> ImageOptions:
        """The same layout rendered for print: ``dpi`` stated in the PNG, pixels to match
        (a 1200-pixel-wide map at 300 dpi is 3750 pixels and 12.5 inches wide)."""
        return replace(self, dpi=dpi, scale=round(dpi / CSS_DPI, 4))

    def size(self, fmt: str) -> tuple[int, int]:
        default = DEFAULT_SIZE.get(fmt, DEFAULT_SIZE["png-map"])
        return (self.width or default[0], self.height or default[1])


def check_options(options: ImageOptions, fmt: str) -> None:
    """Raise ``ValueError`` with a one-line message when an option is out of range."""
    width, height = options.size(fmt)
    if not (MIN_WIDTH <= width <= MAX_SIDE and MIN_HEIGHT <= height <= MAX_SIDE):
        raise ValueError(f"size {width}x{height}: width must be {MIN_WIDTH}–{MAX_SIDE} and "
                         f"height {MIN_HEIGHT}–{MAX_SIDE} pixels")
    if options.dpi and not MIN_DPI <= options.dpi <= MAX_DPI:
        raise ValueError(f"dpi {options.dpi}: must be between {MIN_DPI} and {MAX_DPI}")
    if not MIN_SCALE <= options.scale <= MAX_SCALE or math.isnan(options.scale):
        raise ValueError(f"scale {options.scale}: must be between {MIN_SCALE} and {MAX_SCALE}")
    if width * height * options.scale ** 2 > MAX_PIXELS:
        raise ValueError(f"{width}x{height} at scale {options.scale} is too large: at most "
                         f"{MAX_PIXELS:,} pixels")
    if fmt == "gif" and width * height * options.scale ** 2 > MAX_GIF_PIXELS:
        raise ValueError(f"a GIF frame of {width}x{height} at scale {options.scale} is too "
                         f"large: at most {MAX_GIF_PIXELS:,} pixels (e.g. 1600x1200 at 1)")
    if options.step not in STEPS:
        raise ValueError(f"step {options.step!r}: use one of {', '.join(STEPS)}")
    if not 2 <= options.max_frames <= 500:
        raise ValueError("max_frames must be between 2 and 500")
    if options.max_points < 1:
        raise ValueError("max_points must be positive")


def title_text(options: ImageOptions, default: str) -> str:
    text = " ".join((options.title or "").split())  # no control characters or line breaks
    if len(text) > MAX_TITLE:
        text = text[: MAX_TITLE - 1] + "…"
    return text or default


def caption_lines(ctx: Context, counts: str, width_px: int, *, extra: tuple[str, ...] = (),
                  lang: str = "en") -> list[str]:
    """The caption under the title, wrapped to ``width_px``: filters, counts, sources, date."""
    sources = list(ctx.sources[:MAX_SOURCES_SHOWN])
    if len(ctx.sources) > MAX_SOURCES_SHOWN:
        sources.append(translate("caption.more", lang, n=len(ctx.sources) - MAX_SOURCES_SHOWN))
    exported = ctx.exported_on.isoformat() if lang == "en" else \
        format_date(ctx.exported_on, lang)
    paragraphs = [
        translate("caption.filters", lang, filters=describe_filters(ctx.pinned, lang)),
        counts,
        *extra,
        translate("caption.data", lang, sources=", ".join(sources) if sources
                  else translate("caption.no_events", lang)),
        translate("caption.exported", lang, date=exported),
    ]
    chars = max(30, int(width_px / (CAPTION_SIZE * CHAR_WIDTH)))
    lines: list[str] = []
    for paragraph in paragraphs:
        # At most three lines each: a long filter list must not push the map off the image.
        lines.extend(textwrap.wrap(paragraph, chars, break_on_hyphens=False,
                                   max_lines=MAX_CAPTION_LINES, placeholder=" …") or [""])
    return lines


TITLE_LINE = TITLE_SIZE + 4
MAX_TITLE_LINES = 2


def wrap_title(title: str, width_px: int) -> list[str]:
    """The title in at most two lines that fit ``width_px`` (bold glyphs are wider)."""
    chars = max(20, int(width_px / (TITLE_SIZE * 0.6)))
    return textwrap.wrap(title, chars, break_on_hyphens=False, max_lines=MAX_TITLE_LINES,
                         placeholder=" …") or [""]


def header_height(lines: list[str], title_rows: int = 1) -> int:
    """Pixels taken by the title and its caption lines (at scale 1)."""
    return 10 + TITLE_SIZE + TITLE_LINE * (title_rows - 1) + 8 + CAPTION_LINE * len(lines) + 10


def title_params(title: str | list[str], lines: list[str]) -> dict:
    """A Vega-Lite title with the caption as subtitle (for auto-sized charts)."""
    return {
        "text": title, "subtitle": lines, "anchor": "start", "frame": "group",
        "fontSize": TITLE_SIZE, "color": INK, "subtitleFontSize": CAPTION_SIZE,
        "subtitleColor": MUTED, "subtitleLineHeight": CAPTION_LINE, "subtitlePadding": 6,
        "offset": 10, "lineHeight": TITLE_LINE,
    }


def header_layers(title: str | list[str], lines: list[str], top: int) -> list[dict]:
    """Title and caption as text marks at fixed pixels above a view that starts ``top`` down.

    Used where the layout is explicit: a Vega title is placed above the *bounds* of the
    marks, which moves it when shapes spill past the view. Texts are literals, never
    expressions or templates.
    """
    titles = [title] if isinstance(title, str) else title
    rows = [(text, -top + 10 + i * TITLE_LINE, TITLE_SIZE, "bold", INK)
            for i, text in enumerate(titles)]
    below = -top + 10 + TITLE_SIZE + TITLE_LINE * (len(titles) - 1) + 8
    rows += [(line, below + i * CAPTION_LINE, CAPTION_SIZE, "normal", MUTED)
             for i, line in enumerate(lines)]
    return [{"data": {"values": [{}]},
             "mark": {"type": "text", "text": text, "x": 0, "y": y, "align": "left",
                      "baseline": "top", "fontSize": size, "fontWeight": weight, "color": colour}}
            for text, y, size, weight, colour in rows]


# ---- map geometry -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Frame:
    """Pixel layout of a map image (at scale 1) and its Mercator projection."""

    width: int
    height: int
    left: int
    top: int
    right: int
    view_w: int
    view_h: int
    k: float  # projection scale, pixels per radian
    tx: float
    ty: float

    @property
    def padding(self) -> dict:
        return {"left": self.left, "top": self.top, "right": self.right,
                "bottom": self.height - self.top - self.view_h}

    def projection(self) -> dict:
        return {"type": "mercator", "scale": self.k, "translate": [self.tx, self.ty]}

    def lonlat(self, x: float, y: float) -> tuple[float, float]:
        lam = (x - self.tx) / self.k
        phi = 2 * math.atan(math.exp((self.ty - y) / self.k)) - math.pi / 2
        return math.degrees(lam), math.degrees(phi)

    def bbox(self) -> BBox:
        west, north = self.lonlat(0, 0)
        east, south = self.lonlat(self.view_w, self.view_h)
        return BBox(round(south, 4), round(west, 4), round(north, 4), round(east, 4))

    @property
    def zoom(self) -> int:
        """The Leaflet zoom with the same scale (for the grid cell size)."""
        return max(4, min(14, math.floor(math.log2(self.k * 2 * math.pi / 256) + 1e-9)))


def _merc_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _ems(text: str, latin: float) -> float:
    """The width of ``text`` in em: ``latin`` per Latin glyph, 0.1 em more per Cyrillic one."""
    return sum(latin + 0.1 if "\u0400" <= ch <= "\u04ff" else latin for ch in text)


def legend_width(labels: list[str], titles: list[str]) -> int:
    """Pixels the legend column needs for these labels (symbol + text) and titles."""
    # Measured on Liberation Sans: bold 12 px titles ≈ 0.55 em per glyph, 11 px labels
    # ≈ 0.47 em; a label also has its symbol in front.
    # Cyrillic lower case is wider there (ж, ш, м, д): about 0.6 em.
    widest = max([_ems(t, 0.55) * 12 + 4 for t in titles] +
                 [_ems(t, 0.5) * 11 + 24 for t in labels] + [110])
    return int(widest) + 14 + MARGIN  # legend offset and the image's right margin


def credit_rows(credits: tuple[str, ...], width_px: int) -> list[str]:
    """The data credits joined and wrapped to ``width_px``: never cut (the licences ask
    for the attribution in full)."""
    chars = max(40, int(width_px / (CREDIT_SIZE * 0.5)))
    return textwrap.wrap(" · ".join(credits), chars, break_on_hyphens=False) or [""]


def layout(width: int, height: int, header: int, view=None, right: int | None = None,
           footer_rows: int = 1) -> Frame:
    """Where the view goes and which projection fills it.

    Without a view the projection fits Ukraine; with a link's centre/zoom it uses Leaflet's
    scale at that zoom (256·2^zoom pixels around the world), centred like the app.
    ``right`` is the legend column (sized to its labels: no empty band at the right);
    a line of credits sits under the view.
    """
    right = min(max(width // 3, 160), max(160, right or min(270, max(180, width // 4))))
    view_w = width - MARGIN - right
    footer = FOOTER + 12 * (footer_rows - 1)
    view_h = max(80, height - header - MARGIN - footer)
    top = height - MARGIN - footer - view_h
    if view is not None and (view.zoom is not None or view.lat is not None):
        lat, lon = (view.lat, view.lon) if view.lat is not None and view.lon is not None \
            else UKRAINE_CENTER
        k = 256 * 2 ** (view.zoom or UKRAINE_ZOOM) / (2 * math.pi)
        cx, cy = math.radians(lon), _merc_y(lat)
    else:
        west, south, east, north = EXTENT
        k = 0.97 * min(view_w / math.radians(east - west),
                       view_h / (_merc_y(north) - _merc_y(south)))
        cx, cy = math.radians((west + east) / 2), (_merc_y(south) + _merc_y(north)) / 2
    return Frame(width, height, MARGIN, top, right, view_w, view_h, k,
                 view_w / 2 - k * cx, view_h / 2 + k * cy)


def _orient(geom):
    """d3-geo draws the *outside* of a counter-clockwise ring: make exteriors clockwise."""
    if isinstance(geom, Polygon):
        return orient(geom, sign=-1.0)
    if isinstance(geom, MultiPolygon):
        return MultiPolygon([orient(p, sign=-1.0) for p in geom.geoms])
    parts = [_orient(g) for g in getattr(geom, "geoms", [])]
    polys = [p for g in parts if g is not None
             for p in (g.geoms if isinstance(g, MultiPolygon) else [g])]
    return MultiPolygon(polys) if polys else None


@lru_cache(maxsize=16)
def _shapes_json(name: str, clip: tuple[float, float, float, float] | None) -> str:
    """Bundled polygons, oriented for d3 and (for neighbours) cut to the area drawn."""
    out = []
    for feature in basemap_features(name)["features"]:
        geom = shape(feature["geometry"])
        if clip is not None:
            geom = geom.intersection(box(*clip))
        geom = _orient(geom) if not geom.is_empty else None
        if geom is None or geom.is_empty:
            continue
        out.append({"type": "Feature", "properties": feature.get("properties") or {},
                    "geometry": mapping(geom)})
    return json.dumps(out)


def shapes(name: str, frame: Frame | None = None) -> list[dict]:
    clip = None
    if frame is not None:
        b = frame.bbox()
        dx, dy = (b.east - b.west) * 0.2 + 1, (b.north - b.south) * 0.2 + 1
        clip = (round(b.west - dx, 1), round(b.south - dy, 1), round(b.east + dx, 1),
                round(b.north + dy, 1))
    return json.loads(_shapes_json(name, clip))


# ---- vl-convert ---------------------------------------------------------------------------
def vega_spec(vl_spec: dict) -> dict:
    """Compile a Vega-Lite spec to Vega (to adjust what Vega-Lite cannot express)."""
    return vlc.vegalite_to_vega(vl_spec)


# vl-convert's d3 locale for dates on axes ("січ. 2024"); numbers keep one style everywhere.
TIME_LOCALES = {"en": "en-US", "uk": "uk-UA"}


def vega_to_image(spec: dict, width: int, height: int, scale: float, dpi: int = 0,
                  lang: str = "en") -> bytes:
    """PNG bytes of a Vega spec, exactly ``width*scale`` × ``height*scale`` pixels, RGB."""
    raw = vlc.vega_to_png(spec, scale=scale, allowed_base_urls=[],
                          time_format_locale=TIME_LOCALES.get(lang, "en-US"))
    image = Image.open(io.BytesIO(raw))
    return png_bytes(exact_size(image, round(width * scale), round(height * scale)), dpi)


def vega_to_svg(spec: dict, lang: str = "en") -> str:
    """SVG text of a Vega spec, deterministic: the renderer numbers clip paths with a
    per-process counter (clip1 in one run, clip8 in the next); they are renumbered."""
    svg = vlc.vega_to_svg(spec, allowed_base_urls=[],
                          time_format_locale=TIME_LOCALES.get(lang, "en-US"))
    names: dict[str, str] = {}
    for found in re.findall(r'\bid="([A-Za-z_-]+?)(\d+)"', svg):
        names.setdefault("".join(found), f"{found[0]}{len(names) + 1}")
    if not names:
        return svg
    pattern = re.compile(r'(id="|url\(#|href="#)(' + "|".join(map(re.escape, names)) +
                         r')(?=[")])')
    return pattern.sub(lambda m: m.group(1) + names[m.group(2)], svg)


def vega_to_pdf(spec: dict, lang: str = "en") -> bytes:
    """A vector PDF of a Vega spec (text stays text, with embedded fonts)."""
    return vlc.vega_to_pdf(spec, allowed_base_urls=[],
                           time_format_locale=TIME_LOCALES.get(lang, "en-US"))


def vega_to_rgba(spec: dict, scale: float):
    """A PIL RGBA image of a Vega spec (transparent where nothing is drawn).

    vl-convert writes *premultiplied* colour into its PNG (a white pixel at 88 % opacity
    comes out as 224,224,224,224), which composited as-is turns translucent marks grey.
    Reading the bytes as Pillow's premultiplied mode ("RGBa") and converting divides the
    colour back by alpha.
    """
    raw = vlc.vega_to_png(spec, scale=scale, allowed_base_urls=[])
    image = Image.open(io.BytesIO(raw)).convert("RGBA")
    return Image.frombytes("RGBa", image.size, image.tobytes()).convert("RGBA")


def exact_size(image, width: int, height: int):
    """``image`` flattened on white and padded/cropped to exactly ``width`` × ``height``.

    Vega lays out to the pixel, so this is a guard against an off-by-one in rounding, not a
    resize: pixels are never scaled.
    """
    image = image.convert("RGBA")
    canvas = Image.new("RGBA", (width, height), (255, 255, 255, 255))
    canvas.alpha_composite(image.crop((0, 0, min(width, image.width),
                                       min(height, image.height))))
    return canvas.convert("RGB")


def png_bytes(image, dpi: int = 0) -> bytes:
    """Deterministic PNG encoding (no timestamps or text chunks; a pHYs chunk for ``dpi``)."""
    out = io.BytesIO()
    extra = {"dpi": (dpi, dpi)} if dpi else {}
    image.save(out, format="PNG", optimize=False, compress_level=6, **extra)
    return out.getvalue()
