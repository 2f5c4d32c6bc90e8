"""Country names and codes → ISO 3166-1 alpha-3, in English and in the languages sources use.

The names come from ``pycountry`` (the ISO 3166-1 list and its translations, kept up to date by
the Debian iso-codes project): official and common English names, alpha-2/alpha-3 codes, and
the translated names in :data:`LANGUAGES` (``Ucraina``, ``Україна``, ``Российская Федерация``).
A short local table adds what ISO does not list: short forms (``Russia``, ``Turkey``), source
typos seen in the shared data (``Belaurs``, ``Russa``, ``ukrain``), ``Crimea`` and UCDP's
Gleditsch–Ward numbers. Anything else gives ``''``: no fuzzy guess (a fuzzy match of
``Georgia`` or ``Niger`` against a misspelling is worse than "unknown").

Measured on the shared CIR file (12 distinct ``country`` values): 10 resolve (the earlier
``localis`` search resolved 8: not the typos ``Belaurs`` and ``Russa``); ``Kursk Oblast`` and
``Other (type name in cell)`` resolve to nothing, as before. Building the index takes ~0.1 s
once per process.
"""

from __future__ import annotations

import gettext
from functools import lru_cache

import pycountry

LANGUAGES = ("uk", "ru", "it", "de", "fr", "es", "pl", "pt", "nl", "ro", "tr", "be")

LOCAL_NAMES = {
    "ukrain": "UKR", "crimea": "UKR", "крим": "UKR", "крым": "UKR",
    "russia": "RUS", "russia (soviet union)": "RUS", "russa": "RUS", "росія": "RUS",
    "россия": "RUS", "belaurs": "BLR", "білорусь": "BLR", "беларусь": "BLR",
    "moldova": "MDA", "turkey": "TUR", "iran": "IRN", "north korea": "PRK", "dprk": "PRK",
    "кндр": "PRK", "syria": "SYR", "united states": "USA", "usa": "USA",
    "united kingdom": "GBR", "uk": "GBR",
}
# UCDP GED country_id (Gleditsch & Ward numbers) for the countries around Ukraine.
GW_CODES = {"369": "UKR", "365": "RUS", "370": "BLR", "290": "POL", "359": "MDA", "360": "ROU",
            "310": "HUN", "317": "SVK", "372": "GEO", "640": "TUR"}


def _key(text: str) -> str:
    return " ".join(str(text).split()).casefold()


@lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    """Casefolded name or code → alpha-3 (English, codes, then translations)."""
    index: dict[str, str] = {}
    translations = []
    for language in LANGUAGES:
        try:
            translations.append(gettext.translation("iso3166-1", pycountry.LOCALES_DIR,
                                                    languages=[language]))
        except OSError:  # a language pycountry does not ship: English still works
            continue
    for country in pycountry.countries:
        alpha3 = country.alpha_3
        names = [country.alpha_2, alpha3, country.name,
                 getattr(country, "common_name", ""), getattr(country, "official_name", "")]
        for name in names:
            if name:
                index.setdefault(_key(name), alpha3)
        for tr in translations:
            for name in names[2:]:
                if name:
                    index.setdefault(_key(tr.gettext(name)), alpha3)
    return index


@lru_cache(maxsize=512)
def country_code(value: str) -> str:
    """ISO alpha-3 for a country name or code; ``''`` when unsure.

    >>> country_code("Ukraine"), country_code("UA"), country_code("Russia (Soviet Union)")
    ('UKR', 'UKR', 'RUS')
    >>> country_code("Ucraina"), country_code("Російська Федерація"), country_code("369")
    ('UKR', 'RUS', 'UKR')
    >>> country_code("Kursk Oblast")
    ''
    """
    text = " ".join(str(value or "").split())
    if not text:
        return ""
    if text in GW_CODES:
        return GW_CODES[text]
    key = text.casefold()
    return LOCAL_NAMES.get(key) or _index().get(key, "")
