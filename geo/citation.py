"""What an export cites: the pinned date range, the source datasets, the data credits, links.

The low-level module every export reads (:mod:`geo.export` plans from the store with it,
the renderers only format a :class:`Context`), so it imports nothing of theirs. Citable
links (:func:`citable_url`) carry every filter and pin ``from``/``to`` to explicit dates,
so a link does not silently change meaning when newer events arrive.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode

import pandas as pd

from geo.credits import data_credits
from geo.filters import Filters, View, describe, to_query
from geo.i18n import format_date, messages, short_oblast_name, translate
from geo.oblasts import OBLASTS
from geo.origins import country_name
from geo.sources import credits_for
from geo.taxonomy import class_label

# Data credits printed on every exported map, one line each (English; :func:`context` gives
# them in the export's language). The basemap's licences (see data/oblasts.PROVENANCE.md):
# Natural Earth asks for no attribution; we credit it anyway.
BASEMAP_CREDITS: tuple[str, ...] = tuple(data_credits())


def credit_lines(datasets: tuple[str, ...] = (), lang: str = "en") -> tuple[str, ...]:
    """The data credits an export prints: the publishers of the events it shows (registered
    public sources, :mod:`geo.sources`, as they name their work), then the bundled basemap
    and gazetteer data in ``lang``."""
    return (*credits_for(datasets), *data_credits(lang))


def _day(value: object) -> date | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def store_range(store) -> tuple[date | None, date | None]:
    """First and last date of the events the store shows (active, published), or Nones."""
    where, params = store.where(Filters())
    frame = store._query(
        "SELECT CAST(min(event_date) AS VARCHAR) AS first, CAST(max(event_date) AS VARCHAR) "
        f"AS last FROM events WHERE {where}", params)
    return _day(frame["first"].iloc[0]), _day(frame["last"].iloc[0])


def source_datasets(store, filters: Filters) -> list[str]:
    """The distinct ``source_dataset`` values of the events matching ``filters``, sorted."""
    where, params = store.where(filters)
    frame = store._query(
        f"SELECT DISTINCT source_dataset AS d FROM events WHERE {where} ORDER BY 1", params)
    return [str(v) for v in frame["d"] if v is not None and str(v)]


def pin_dates(filters: Filters, first: date | None, last: date | None) -> Filters:
    """``filters`` with explicit from/to: the filters' own dates, else the store's range.

    A link or caption that says "all dates" changes meaning when newer data arrives; one
    that says 2022-09-28 – 2026-04-05 keeps showing the same events.
    """
    return filters.with_dates(filters.date_from or first, filters.date_to or last)


def citable_query(filters: Filters, view: View | None, first: date | None,
                  last: date | None) -> dict[str, str | list[str]]:
    """URL parameters for a link that keeps its meaning: all filters, dates pinned, view."""
    return to_query(pin_dates(filters, first, last), view)


def citable_url(base: str, filters: Filters, view: View | None, first: date | None,
                last: date | None, extra: dict[str, str] | None = None) -> str:
    """``base`` (the page URL without a query, or '' for a relative link) plus the query.

    ``extra`` holds a page's own parameters (the timeline's ``per``/``show``/``stack``).
    """
    params = citable_query(filters, view, first, last) | dict(extra or {})
    query = urlencode(params, doseq=True)
    return f"{base.split('?', 1)[0].split('#', 1)[0]}?{query}" if query else base


def _value_text(attr: str, value: str, lang: str) -> str:
    """One filter value as a reader of ``lang`` names it (source values stay as written)."""
    if attr in ("origins", "suppliers") and value != "unknown":
        return country_name(value, lang)
    if attr == "classes":
        return class_label(value, lang)
    if attr == "types" and f"type.{value}" in messages():
        return translate(f"type.{value}", lang)
    if attr == "oblasts":
        return short_oblast_name(value, OBLASTS.get(value, value), lang)
    return value


def describe_filters(filters: Filters, lang: str = "en") -> str:
    """The caption's one-line filter description; English: :func:`geo.filters.describe`.

    >>> describe_filters(Filters(origins=("PRK",), classes=("cruise missile",)), "uk")
    'країна розробки: КНДР; клас: крилата ракета; достовірність: можливо'
    """
    if lang == "en":
        return describe(filters)
    parts: list[str] = []
    if filters.date_from or filters.date_to:
        start = format_date(filters.date_from, lang) if filters.date_from else \
            translate("caption.filter.start", lang)
        end = format_date(filters.date_to, lang) if filters.date_to else \
            translate("caption.filter.latest", lang)
        parts.append(f"{start} – {end}")
    for attr in ("origins", "suppliers", "classes", "models", "types", "oblasts"):
        values = getattr(filters, attr)
        if values:
            parts.append(translate(f"caption.filter.{attr}", lang) + ": "
                         + ", ".join(_value_text(attr, v, lang) for v in values))
    if filters.q:
        parts.append(f'{translate("caption.filter.text", lang)}: "{filters.q}"')
    if filters.origins or filters.suppliers or filters.classes:
        parts.append(f"{translate('caption.filter.certainty', lang)}: "
                     f"{translate(f'certainty.{filters.certainty}', lang)}")
    return "; ".join(parts) if parts else translate("caption.filter.all", lang)


@dataclass(frozen=True)
class Context:
    """What every caption says, computed once per export."""

    filters: Filters  # as requested
    pinned: Filters  # with explicit from/to (the effective range)
    total: int
    sources: tuple[str, ...]
    exported_on: date
    credits: tuple[str, ...] = BASEMAP_CREDITS

    @property
    def first(self) -> date | None:
        return self.pinned.date_from

    @property
    def last(self) -> date | None:
        return self.pinned.date_to


def context(store, filters: Filters, exported_on: date, lang: str = "en") -> Context:
    """The caption facts of one export, read from the store (the renderers never query);
    the credits in ``lang``."""
    first, last = store_range(store)
    datasets = tuple(source_datasets(store, filters))
    return Context(filters, pin_dates(filters, first, last), store.count(filters), datasets,
                   exported_on, credit_lines(datasets, lang))
