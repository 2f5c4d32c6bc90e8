"""Credit lines for the bundled basemap and gazetteer data: one place for the wording.

The About page lists them and every exported map carries them in its caption. The licences
(CC BY 4.0 for geoBoundaries and GeoNames) require attribution wherever the data is shown,
including a note that the boundaries were changed (simplified). Full notices and citations
are in ``THIRD_PARTY.md``; provenance of the derived files in ``data/oblasts.PROVENANCE.md``.
"""

from __future__ import annotations

from geo.i18n import translate

CC_BY_4 = "https://creativecommons.org/licenses/by/4.0/"

GEOBOUNDARIES_CITATION = (
    "Runfola, D. et al. (2020) geoBoundaries: A global database of political administrative "
    "boundaries. PLoS ONE 15(4): e0231866. https://doi.org/10.1371/journal.pone.0231866"
)

# (what, credit) in the order shown, as message ids (data/messages.json): "what" says which
# part of the product uses the data. The English texts are the ones the licences' notices in
# THIRD_PARTY.md are written for; the Ukrainian ones translate our words only.
_CREDITS: tuple[tuple[str, str], ...] = (
    ("credits.oblasts", "credits.oblasts.source"),
    ("credits.countries", "credits.countries.source"),
    ("credits.places", "credits.places.source"),
)


def data_credits(lang: str = "en") -> list[str]:
    """One plain-text line per bundled data source the maps and the gazetteer use.

    Plain text (no HTML): callers escape for their sink like any other string.

    >>> data_credits()[0]
    'Oblast boundaries: geoBoundaries (Runfola et al. 2020), CC BY 4.0, simplified'
    >>> data_credits("uk")[0]
    'Межі областей: geoBoundaries (Runfola et al. 2020), CC BY 4.0, спрощено'
    >>> len(data_credits())
    3
    """
    return [f"{translate(what, lang)}: {translate(credit, lang)}" for what, credit in _CREDITS]


def data_credit_line(separator: str = " · ", lang: str = "en") -> str:
    """All credits on one line, for a map caption.

    >>> data_credit_line().startswith("Oblast boundaries: geoBoundaries")
    True
    """
    return separator.join(data_credits(lang))
