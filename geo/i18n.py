"""Ukrainian and English: our own UI strings, our codes' labels, dates and oblast names.

Messages live in ``data/messages.json`` (message id → ``{"en": …, "uk": …}``, with
``{name}`` placeholders). Only our own words are translated: descriptions, place names and
other values from source files are shown as the source wrote them. Oblast names come from
the bundled ``data/oblast_names.csv`` (its first ``uk`` variant per code).
"""

from __future__ import annotations

import csv
import json
import string
from collections.abc import Iterable
from datetime import date
from functools import cache
from pathlib import Path

from geo.settings import DATA_DIR

LANGUAGES = ("en", "uk")
# What the map's script passes to toLocaleString for the counts it writes.
BROWSER_LOCALES = {"en": "en-US", "uk": "uk-UA"}
DEFAULT_LANGUAGE = "en"
MESSAGES_FILE: Path = DATA_DIR / "messages.json"
NAMES_FILE: Path = DATA_DIR / "oblast_names.csv"

# Ukrainian months: genitive after a day number ("30 грудня 2023"), nominative alone
# ("грудень 2023"), short forms as Ukrainian media abbreviate them.
MONTHS_UK_GENITIVE = ("січня", "лютого", "березня", "квітня", "травня", "червня", "липня",
                      "серпня", "вересня", "жовтня", "листопада", "грудня")
MONTHS_UK_NOMINATIVE = ("січень", "лютий", "березень", "квітень", "травень", "червень",
                        "липень", "серпень", "вересень", "жовтень", "листопад", "грудень")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")

COUNTRY_NAMES_UK = {
    "RUS": "Росія", "IRN": "Іран", "PRK": "КНДР", "BLR": "Білорусь", "UKR": "Україна",
    "USA": "США", "GBR": "Велика Британія", "FRA": "Франція", "DEU": "Німеччина",
    "CHN": "Китай", "TUR": "Туреччина", "ISR": "Ізраїль",
}


@cache
def messages() -> dict[str, dict[str, str]]:
    """The catalogue, read once: message id → language → text."""
    with MESSAGES_FILE.open(encoding="utf-8") as fh:
        data = json.load(fh)
    for key, texts in data.items():
        missing = [lang for lang in LANGUAGES if not texts.get(lang)]
        if missing:
            raise ValueError(f"{MESSAGES_FILE.name}: {key!r} has no {', '.join(missing)} text")
    return data


def placeholders(text: str) -> set[str]:
    """``"{n} of {total}"`` → ``{"n", "total"}``."""
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def normalise_language(value: object) -> str | None:
    """``"uk-UA"``, ``"uk"``, ``"UK"`` → ``"uk"``; a language we do not have → None.

    >>> normalise_language("uk-UA"), normalise_language("en_GB"), normalise_language("de")
    ('uk', 'en', None)
    """
    text = str(value or "").strip().lower().replace("_", "-")
    head = text.split("-", 1)[0]
    return head if head in LANGUAGES else None


def language_from_header(header: object) -> str:
    """The first language we have from an ``Accept-Language`` header, else English.

    >>> language_from_header("de-DE,de;q=0.9,uk;q=0.8,en;q=0.7")
    'uk'
    """
    ranked = []
    for i, part in enumerate(str(header or "").split(",")):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        ranked.append((-weight, i, tag))
    for _w, _i, tag in sorted(ranked):
        lang = normalise_language(tag)
        if lang:
            return lang
    return DEFAULT_LANGUAGE


def translate(key: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The message ``key`` in ``lang`` with its placeholders filled.

    >>> translate("metric.events", "uk")
    'Події'
    """
    texts = messages().get(key)
    if texts is None:
        raise KeyError(f"no message {key!r} in {MESSAGES_FILE.name}")
    text = texts.get(lang) or texts[DEFAULT_LANGUAGE]
    if not values:
        return text
    return text.format(**{name: format_number(v, lang) if _is_count(v) else v
                          for name, v in values.items()})


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# Ukrainian groups digits with a space (ДСТУ; d3's uk-UA locale too): a no-break space, so a
# number never wraps across lines.
THOUSANDS = {"en": ",", "uk": "\u00a0"}


def format_number(value: int, lang: str = DEFAULT_LANGUAGE) -> str:
    """A whole number as readers of ``lang`` group its digits.

    >>> format_number(10252, "en"), format_number(10252, "uk"), format_number(-999, "uk")
    ('10,252', '10\xa0252', '-999')

    A message's whole-number values are formatted this way by :func:`translate`:

    >>> translate("metric.events.help", "uk", total=1234)
    'із 1\xa0234 у сховищі'
    """
    return f"{value:,}".replace(",", THOUSANDS.get(lang, ","))


def format_date(value: date, lang: str = DEFAULT_LANGUAGE, *, short: bool = False) -> str:
    """A day as readers of ``lang`` write it.

    >>> format_date(date(2023, 12, 30), "uk"), format_date(date(2023, 12, 30), "en", short=True)
    ('30 грудня 2023', '30 Dec 2023')
    """
    if lang == "uk":
        return f"{value.day} {MONTHS_UK_GENITIVE[value.month - 1]} {value.year}"
    month = MONTHS_EN[value.month - 1]
    return f"{value.day} {month[:3] if short else month} {value.year}"


def format_month(value: date, lang: str = DEFAULT_LANGUAGE) -> str:
    """``грудень 2023`` / ``December 2023``."""
    names = MONTHS_UK_NOMINATIVE if lang == "uk" else MONTHS_EN
    return f"{names[value.month - 1]} {value.year}"


@cache
def _oblast_names_uk() -> dict[str, str]:
    names: dict[str, str] = {}
    with NAMES_FILE.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["lang"] == "uk":
                names.setdefault(row["iso"], row["variant"])
    return names


def oblast_name(code: str, english: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The oblast's name in ``lang``: Ukrainian from the bundled names table, else the
    English name given (``geo.oblasts.OBLASTS``)."""
    if lang == "uk":
        return _oblast_names_uk().get(code, english)
    return english


def short_oblast_name(code: str, english: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The name for a map label: ``Харківська``, ``АР Крим``, ``Київ`` (English as given).

    >>> short_oblast_name("UA-63", "Kharkiv", "uk"), short_oblast_name("UA-43", "Crimea", "uk")
    ('Харківська', 'АР Крим')
    """
    if lang != "uk":
        return english
    name = oblast_name(code, english, lang).removesuffix(" область")
    return name.replace("Автономна Республіка ", "АР ")


def country_name(code: str, english: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A country's name in ``lang`` (``english`` is the English one, or the code)."""
    if lang == "uk":
        return COUNTRY_NAMES_UK.get(code, english)
    return english


def code_label(prefix: str, code: object, lang: str = DEFAULT_LANGUAGE) -> str:
    """One of our codes as readers of ``lang`` say it (message ``prefix.code``); a code we
    have no message for (an old store, another tool's value) is shown as it is.

    >>> code_label("type", "impact", "uk"), code_label("type", "zeppelin", "uk")
    ('влучання', 'zeppelin')
    """
    text = "" if code is None else str(code)
    texts = messages().get(f"{prefix}.{text}")
    return (texts.get(lang) or texts[DEFAULT_LANGUAGE]) if texts else text


def label_codes(values: Iterable[object], prefix: str, lang: str = DEFAULT_LANGUAGE) -> list[str]:
    """:func:`code_label` over a column; ``;``-joined codes are labelled one by one."""
    return [" / ".join(code_label(prefix, part, lang) for part in str(v).split(";"))
            if _present(v) else "" for v in values]


def _present(value: object) -> bool:
    """Not None, not NaN (``value != value``: pandas' missing float), not empty."""
    return value is not None and value == value and str(value) != ""


# Table columns holding our codes → the message prefix of their short labels (the Events
# table; files and links keep the codes).
TABLE_CODES = {"event_type": "type", "origin_basis": "table.basis",
               "geo_precision": "table.precision", "verification": "detail.verified"}


def label_table(frame, lang: str = DEFAULT_LANGUAGE):
    """A copy of a pandas frame with its code columns (:data:`TABLE_CODES`) in ``lang``."""
    if lang == DEFAULT_LANGUAGE:
        return frame
    return frame.assign(**{column: label_codes(frame[column], prefix, lang)
                           for column, prefix in TABLE_CODES.items() if column in frame})
