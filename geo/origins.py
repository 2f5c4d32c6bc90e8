"""Weapon-origin groups: labels, a colour-vision-safe palette and certainty styles.

An event's *origin group* is its ``weapon_origin`` cell as stored (``PRK``, ``RUS;PRK``) or
``unknown``. Colours come from this fixed table (never from data), so a colour means the same
thing on the map, the timeline and a PNG exported last month.

**Palette.** Based on Okabe & Ito's colour-universal-design set: Russia vermillion, Iran blue,
North Korea gold (a darker Okabe–Ito yellow, so it still shows on the light basemap). The
three stay apart for normal vision and under simulated protanopia, deuteranopia and
tritanopia (Machado, Oliveira & Fernandes 2009, severity 1): the smallest CIELAB ΔE between
any two of them is about 28 (deuteranopia), checked by ``tests/test_origins.py``. Red vs
green — the classic trap the old palette fell into — is not used.

**Certainty** (how an event's origin is known, drawn the same way everywhere; data, not
code, so the Leaflet map, the legend and the PNG/GIF renderers share it):

* ``stated`` — in the event's own field with basis ``catalogue``/``reported``: solid dot;
* ``ambiguous`` — the source cannot tell several origins apart (``RUS;PRK``): the first
  origin's fill inside a thick ring of the second's colour (two colours, never one);
* ``likely`` — inferred, top candidate share ≥ 0.5: hollow, dashed ring, light fill;
* ``possible`` — inferred with a weaker share (or no shares): hollow, dotted thin ring;
* ``unknown`` — no origin at all: grey.

These follow the filter's ``certainty=stated|likely|possible`` rules (see the README).
"""

from __future__ import annotations

import hashlib

from geo import i18n

COUNTRY_NAMES = {
    "RUS": "Russia",
    "IRN": "Iran",
    "PRK": "North Korea",
    "BLR": "Belarus",
    "UKR": "Ukraine",
    "USA": "United States",
    "GBR": "United Kingdom",
    "FRA": "France",
    "DEU": "Germany",
    "CHN": "China",
    "TUR": "Türkiye",
    "ISR": "Israel",
}

FIXED_COLOURS = {
    "RUS": "#D55E00",      # Okabe–Ito vermillion
    "IRN": "#0072B2",      # Okabe–Ito blue
    "PRK": "#E6C700",      # gold (Okabe–Ito yellow #F0E442 darkened for the light basemap)
    # Where two colours cannot be drawn (a bar, a line): its own colour, Okabe–Ito sky blue.
    "RUS;PRK": "#56B4E9",
    "unknown": "#8C8C8C",
}
# For any other group: a stable pick from colours that avoid the fixed ones (Okabe–Ito and
# Paul Tol's muted scheme).
_SPARE = ("#CC79A7", "#009E73", "#882255", "#44AA99", "#999933", "#332288", "#AA4499",
          "#117733", "#661100", "#6699CC")

OUTLINE = "#1A1A1A"   # the thin dark edge of solid symbols: crisp on light and dark ground

CERTAINTIES = ("stated", "ambiguous", "likely", "possible", "unknown")

# How each certainty is drawn. ``ring``: "outline" = the thin dark edge, "second" = the
# colour of the group's second origin, "origin" = the origin's own colour.
CERTAINTY_STYLES: dict[str, dict] = {
    "stated": {"fill_opacity": 0.9, "weight": 1.0, "dash": None, "ring": "outline",
               "label": "stated: the source or our weapon catalogue names it (solid)"},
    "ambiguous": {"fill_opacity": 0.9, "weight": 3.5, "dash": None, "ring": "second",
                  "label": "ambiguous: the source cannot tell these origins apart "
                           "(two colours: fill and ring)"},
    "likely": {"fill_opacity": 0.2, "weight": 2.0, "dash": "5 3", "ring": "origin",
               "label": "likely: inferred, top candidate ≥ 50 % (hollow, dashed)"},
    "possible": {"fill_opacity": 0.0, "weight": 1.5, "dash": "1 3", "ring": "origin",
                 "label": "possible: inferred, weaker evidence (hollow, dotted)"},
    "unknown": {"fill_opacity": 0.7, "weight": 1.0, "dash": None, "ring": "outline",
                "label": "origin unknown (grey)"},
}

STATED_BASES = ("catalogue", "reported")


def country_name(code: str, lang: str = "en") -> str:
    return i18n.country_name(code, COUNTRY_NAMES.get(code, code), lang)


def codes_of(group: str) -> list[str]:
    """``"RUS;PRK"`` → ``["RUS", "PRK"]``; ``unknown``/empty → ``[]``."""
    if not group or group == "unknown":
        return []
    return [c for c in str(group).split(";") if c]


def origin_label(group: str, lang: str = "en") -> str:
    """Human label: ``PRK`` → ``North Korea (PRK)``; ``RUS;PRK`` → ``Russia / North Korea``."""
    codes = codes_of(group)
    if not codes:
        return i18n.translate("origin.unknown", lang)
    if len(codes) == 1:
        return f"{country_name(codes[0], lang)} ({codes[0]})"
    return " / ".join(country_name(c, lang) for c in codes) + f" ({'/'.join(codes)})"


def origin_colour(group: str) -> str:
    """The one colour of a group (bars, lines, legend swatches)."""
    group = group or "unknown"
    if group in FIXED_COLOURS:
        return FIXED_COLOURS[group]
    codes = codes_of(group)
    if len(codes) == 1 and codes[0] in FIXED_COLOURS:
        return FIXED_COLOURS[codes[0]]
    digest = hashlib.sha1(group.encode("utf-8"), usedforsecurity=False).digest()
    return _SPARE[digest[0] % len(_SPARE)]


def sort_groups(groups) -> list[str]:
    """Fixed groups first in a stable order, others alphabetically, unknown last."""
    order = {g: i for i, g in enumerate(FIXED_COLOURS)}
    return sorted(set(groups), key=lambda g: (g == "unknown", order.get(g, 99), g))


def top_share(candidates: object) -> tuple[str, float]:
    """The first ``value:share`` pair of a candidates cell (highest first), or ``("", 0)``."""
    text = "" if candidates is None else str(candidates)
    first = text.split(";", 1)[0].strip()
    value, _, share = first.partition(":")
    try:
        return value.strip(), float(share)
    except ValueError:
        return "", 0.0


def certainty_of(group: str, basis: object, candidates: object = "") -> str:
    """How an event's origin is known, for drawing (see the module docstring).

    >>> certainty_of("PRK", "reported"), certainty_of("RUS;PRK", "ambiguous")
    ('stated', 'ambiguous')
    >>> certainty_of("PRK", "inferred", "PRK:0.7;RUS:0.3"), certainty_of("PRK", "inferred")
    ('likely', 'possible')
    """
    codes = codes_of(group)
    if not codes:
        value, share = top_share(candidates)
        if not value:
            return "unknown"
        return "likely" if share >= 0.5 else "possible"
    if len(codes) > 1 or basis == "ambiguous":
        return "ambiguous"
    if basis in STATED_BASES:
        return "stated"
    value, share = top_share(candidates)
    return "likely" if value == codes[0] and share >= 0.5 else "possible"


def drawn_group(group: str, candidates: object = "") -> str:
    """The group whose colour an event gets: its own, or its top origin candidate's."""
    if codes_of(group):
        return group
    value, _ = top_share(candidates)
    return value or "unknown"


def symbol_style(group: str, certainty: str) -> dict:
    """Fill/ring colours, opacity, weight and dash of one symbol (JSON-able).

    The same numbers drive the Leaflet circles, the legend swatches and the exports.
    """
    style = CERTAINTY_STYLES.get(certainty, CERTAINTY_STYLES["possible"])
    codes = codes_of(group)
    fill = origin_colour(codes[0]) if codes else FIXED_COLOURS["unknown"]
    if style["ring"] == "second":
        ring = origin_colour(codes[1]) if len(codes) > 1 else OUTLINE
    elif style["ring"] == "origin":
        ring = fill
    else:
        ring = OUTLINE
    return {"fill": fill, "ring": ring, "fill_opacity": style["fill_opacity"],
            "weight": style["weight"], "dash": style["dash"]}


def cell_style(group: str, certainty: str) -> dict:
    """Leaflet options of an aggregated circle drawn in ``group``'s colour by how its events'
    origin is known: :func:`symbol_style`, a little lighter so stacked circles stay
    readable; solid ones keep a white edge, inferred ones a dashed/dotted ring in the
    origin's colour. The live map and the exported images draw circles with these."""
    s = symbol_style(group, certainty)
    edge = s["ring"] == OUTLINE
    return {"color": "#ffffff" if edge else s["ring"],
            "weight": 1.5 if edge else max(2.0, s["weight"]), "opacity": 1, "fill": True,
            "fillColor": s["fill"], "fillOpacity": min(0.75, s["fill_opacity"]),
            "dashArray": s["dash"]}
