"""What the map legend says, as plain data: the one source for the legend column next to the
map (:mod:`ui.legend`, HTML) and the collapsible legend drawn over the map on a phone
(``SalvoMap.legend`` in static/salvo-map.js, fed this as JSON).

Every text is translated here and kept as the plain text it is (the browser sets it with
``textContent``; the HTML column escapes it with :func:`geo.escape.for_html`). Swatches are
the very styles the map draws (:func:`geo.origins.symbol_style`).
"""

from __future__ import annotations

from geo.i18n import translate
from geo.mapplan import PRECISION_RADIUS, MapPlan, drawn_certainties, drawn_groups
from geo.origins import CERTAINTIES, codes_of, origin_label, symbol_style

FILTER_CERTAINTIES = ("stated", "likely", "possible")


def sample_group(groups: list[str], ambiguous: bool) -> str:
    """A drawn group to show a certainty style with (a pair for "ambiguous")."""
    for g in groups:
        if (len(codes_of(g)) > 1) == ambiguous and g != "unknown":
            return g
    return "RUS;PRK" if ambiguous else "PRK"


def circle(group: str, certainty: str, radius: float = 6.0) -> dict:
    """A swatch: the circle the map draws for ``group`` at ``certainty``."""
    return {"r": radius, **symbol_style(group, certainty)}


def _row(swatch: dict | None, text: str, muted: bool = False) -> dict:
    return {"swatch": swatch, "text": text, "muted": muted}


def _certainty_of(group: str) -> str:
    return "ambiguous" if len(codes_of(group)) > 1 else \
        "unknown" if group == "unknown" else "stated"


def legend_data(plan: MapPlan, certainty: str | None, lang: str = "en", *,
                short: bool = False) -> dict:
    """Sections of rows (swatch + text) for ``plan``; ``certainty`` is the filter's.

    ``short``: the wording for the small legend over a phone's map (the longest three
    explanations in fewer words, messages ``maplegend.*``).
    """
    def tr(key: str, **values: object) -> str:
        return translate(key, lang, **values)

    groups = drawn_groups(plan)
    used = set(drawn_certainties(plan))
    origins = [_row(circle(g, _certainty_of(g)),
                    origin_label(g, lang) + (tr("legend.ambiguous_suffix")
                                             if len(codes_of(g)) > 1 else ""))
               for g in groups] or [_row(None, tr("legend.none"), True)]
    known = [_row(circle(sample_group(groups, c == "ambiguous"), c), tr(f"legend.{c}"),
                  c not in used)
             for c in CERTAINTIES if c != "unknown"]
    sizes = [_row(circle("unknown", "unknown", PRECISION_RADIUS[p]), tr(f"legend.{p}"))
             for p in ("exact", "settlement", "district")]
    fill = symbol_style(sample_group(groups, False), "stated")["fill"]
    extra = [_row({"badge": "3"}, tr("maplegend.badge") if short else tr("legend.badge")),
             _row({"shade": fill}, tr("maplegend.shade") if short else tr("legend.shade"))]
    if plan.mode == "grid":
        extra.append(_row(circle(sample_group(groups, False), "stated", 7),
                          tr("maplegend.grid") if short else tr("legend.grid")))
    chosen = certainty if certainty in FILTER_CERTAINTIES else "possible"
    kinds = plan.kinds
    return {
        "button": tr("maplegend.button"),
        "label": tr("maplegend.label"),
        "sections": [
            {"title": tr("legend.origin"), "rows": origins},
            {"title": tr("legend.how_known"), "note": tr("legend.grey"), "rows": known,
             "foot": [tr("legend.filter_certainty"), tr(f"certainty.{chosen}"),
                      "" if short else tr(f"legend.filter.{chosen}")]},
            {"title": tr("legend.size"), "rows": sizes},
            {"title": "", "rows": extra},
        ],
        "counts": tr("legend.counts", point=kinds.get('point', 0),
                     area=kinds.get('area', 0), none=kinds.get('none', 0)),
    }
