"""Filters: what the user selected, parsed from URLs and widgets, turned into SQL.

One :class:`Filters` value travels through the app: the sidebar builds it, the URL encodes
it (:func:`to_query` / :func:`parse_query`), the CLI builds it from flags, and every store
query takes it. Parsing never raises: bad values are dropped with a note the UI shows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date

import pycountry

from geo import settings
from geo.i18n import DEFAULT_LANGUAGE, translate
from geo.oblasts import OBLASTS
from geo.schema import EVENT_TYPES
from geo.taxonomy import CLASSES, FAMILIES, FAMILY_LABELS, normalise_class

MAX_VALUES = 50  # more values in one parameter than any real selection; stops URL abuse
MAX_TEXT = 120

_ALPHA3 = re.compile(r"^[A-Za-z]{3}$")
_ADMIN1 = re.compile(r"^UA-\d{2}$", re.IGNORECASE)

# Special origin/supplier token: events with no origin (supplier) at the chosen certainty.
UNKNOWN_ORIGIN = "unknown"

# How sure an origin, supplier or class must be to match (README "Certainty"), surest first.
CERTAINTIES = ("stated", "likely", "possible")
DEFAULT_CERTAINTY = "possible"
CERTAINTY_HELP = {
    "stated": "only what a source or the catalogue states (an ambiguous RUS;PRK is not PRK)",
    "likely": "stated, or the attribution's top candidate has at least half the share",
    "possible": "stated, ambiguous, inferred, or any candidate share",
}


@dataclass(frozen=True)
class Filters:
    """A selection of events. Empty tuples mean "no restriction"."""

    date_from: date | None = None
    date_to: date | None = None
    origins: tuple[str, ...] = ()
    suppliers: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()  # vocabulary classes and family slugs (geo.taxonomy)
    models: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    oblasts: tuple[str, ...] = ()
    q: str = ""
    certainty: str = DEFAULT_CERTAINTY

    def with_dates(self, start: date | None, end: date | None) -> Filters:
        return replace(self, date_from=start, date_to=end)

    def is_empty(self) -> bool:
        """No restriction (the certainty alone restricts nothing)."""
        return replace(self, certainty=DEFAULT_CERTAINTY) == Filters()


@dataclass(frozen=True)
class View:
    """Map view and selection carried in citable links (issue 4)."""

    lat: float | None = None
    lon: float | None = None
    zoom: int | None = None
    event: str = ""


class Note(str):
    """A note about a link, in English as a plain ``str`` (the CLI prints it, logs keep it),
    that also keeps its message id and values so a page can say it in the reader's language.

    >>> note = Note("note.not_date", name="from", value="abc")
    >>> print(note)
    Ignored from='abc': not a date (use YYYY-MM-DD).
    >>> print(note.text("uk"))
    Пропущено from='abc': це не дата (формат РРРР-ММ-ДД).
    """

    key: str
    values: dict[str, object]

    def __new__(cls, key: str, **values: object) -> Note:
        note = super().__new__(cls, _say(key, DEFAULT_LANGUAGE, values))
        note.key, note.values = key, values
        return note

    def text(self, lang: str) -> str:
        """The note in ``lang`` (values that are notes themselves are translated too)."""
        return _say(self.key, lang, self.values)

    def __reduce__(self):  # session state may pickle it: rebuild from the id, not the text
        return (_note, (self.key, self.values))


def _note(key: str, values: dict[str, object]) -> Note:
    return Note(key, **values)


def _say(key: str, lang: str, values: dict[str, object]) -> str:
    return translate(key, lang, **{k: v.text(lang) if isinstance(v, Note) else v
                                   for k, v in values.items()})


def note_text(note: str, lang: str) -> str:
    """A note from :func:`parse_query` in ``lang`` (any other text as it is)."""
    return note.text(lang) if isinstance(note, Note) else str(note)


@dataclass
class Parsed:
    filters: Filters
    view: View
    notes: list[str] = field(default_factory=list)


# URL parameter → Filters attribute, for the list-valued ones.
_LIST_PARAMS = {
    "origin": "origins",
    "supplier": "suppliers",
    "class": "classes",
    "model": "models",
    "type": "types",
    "oblast": "oblasts",
}


def _values(params: Mapping[str, object], key: str, *, split: bool = True) -> list[str]:
    raw = params.get(key)
    if raw is None:
        return []
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    out: list[str] = []
    for item in items:
        # Accept both repeated keys and comma-joined values (people type those by hand);
        # free text keeps its commas.
        parts = str(item).split(",") if split else [str(item)]
        out.extend(part.strip() for part in parts if part.strip())
    return out


def bound_query(params: Mapping[str, object], notes: list[str],
                limit: int | None = None) -> dict[str, list[str]]:
    """``params`` with each parameter cut to ``limit`` characters (all its values together;
    default: the ``url_max_chars`` setting) and each list parameter to :data:`MAX_VALUES`
    values, with one note for all the cuts — a 100,000-character link must load, say what
    it dropped, and not print a warning per value (issue 14, item 8).

    >>> notes = []
    >>> bounded = bound_query({"q": "x" * 5000, "origin": ",".join(["IRN"] * 80)}, notes,
    ...                       limit=1000)
    >>> len(bounded["q"][0]), len(bounded["origin"])
    (1000, 50)
    >>> print(notes[0])
    The link was too long: shortened q to 1,000 characters and kept the first 50 values of origin.
    """
    limit = settings.get("url_max_chars") if limit is None else limit
    out: dict[str, list[str]] = {}
    cut: list[str] = []
    trimmed: list[str] = []
    for key, raw in params.items():
        name = str(key)
        items = [str(v) for v in (raw if isinstance(raw, (list, tuple)) else [raw])
                 if v is not None]
        if sum(len(item) for item in items) > limit:
            kept, room = [], limit
            for item in items:
                if room <= 0:
                    break
                kept.append(item[:room])
                room -= len(kept[-1])
            items = kept
            cut.append(_short(name))
        if name in _LIST_PARAMS:
            parts = [part for item in items for part in item.split(",") if part.strip()]
            if len(parts) > MAX_VALUES:
                items = parts[:MAX_VALUES]
                trimmed.append(_short(name))
        out[name] = items
    shown: str | Note = ", ".join(cut[:5])
    if len(cut) > 5:
        shown = Note("note.names_more", names=shown, n=len(cut) - 5)
    lists = ", ".join(trimmed)
    if cut and trimmed:
        notes.append(Note("note.link_long.both", names=shown, limit=limit,
                          max=MAX_VALUES, lists=lists))
    elif cut:
        notes.append(Note("note.link_long.cut", names=shown, limit=limit))
    elif trimmed:
        notes.append(Note("note.link_long.trimmed", max=MAX_VALUES, lists=lists))
    return out


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "…"


def _parse_date(value: str, name: str, notes: list[str]) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        notes.append(Note("note.not_date", name=name, value=_short(value)))
        return None


def _valid_item(key: str, value: str) -> str | None:
    if len(value) > MAX_TEXT:
        return None
    if key in ("origin", "supplier"):
        if value.lower() == UNKNOWN_ORIGIN:
            return UNKNOWN_ORIGIN
        # A real country code only: a link's "XXX" must never be shown as an origin.
        code = value.upper()
        return code if _ALPHA3.match(value) and pycountry.countries.get(alpha_3=code) else None
    if key == "class":
        return class_value(value)
    if key == "type":
        return value.lower() if value.lower() in EVENT_TYPES else None
    if key == "oblast":
        code = value.upper()
        return code if _ADMIN1.match(value) and code in OBLASTS else None
    return value


def class_value(value: str) -> str | None:
    """A class filter value: a family slug or a vocabulary class (source labels such as
    "MLRS" are normalised), else ``None``.

    >>> class_value("Drones"), class_value("MLRS"), class_value("nonsense")
    ('drones', 'rocket artillery', None)
    """
    text = value.strip().lower()
    if text in FAMILIES or text in CLASSES:
        return text
    by_label = {label.lower(): slug for slug, label in FAMILY_LABELS.items()}
    if text in by_label:
        return by_label[text]
    cls = normalise_class(text)
    return cls if cls and cls != "other" else None


def parse_query(params: Mapping[str, object]) -> Parsed:
    """Read filters and view from URL query parameters, ignoring bad values with a note.

    >>> p = parse_query({"origin": ["PRK", "xx1"], "from": "2023-12-01", "to": "nope"})
    >>> p.filters.origins, p.filters.date_from.isoformat(), len(p.notes)
    (('PRK',), '2023-12-01', 2)
    >>> p = parse_query({"origin": "XXX", "oblast": "UA-99"})
    >>> p.filters.origins, p.filters.oblasts, len(p.notes)
    ((), (), 2)
    """
    notes: list[str] = []
    params = bound_query(params, notes)  # before any work: every parameter is bounded
    kwargs: dict[str, object] = {}
    for key, name in (("from", "date_from"), ("to", "date_to")):
        values = _values(params, key)
        if values:
            kwargs[name] = _parse_date(values[-1], key, notes)
    start, end = kwargs.get("date_from"), kwargs.get("date_to")
    if isinstance(start, date) and isinstance(end, date) and start > end:
        notes.append(Note("note.swapped"))
        kwargs["date_from"], kwargs["date_to"] = end, start

    for key, attr in _LIST_PARAMS.items():
        accepted: list[str] = []
        for value in _values(params, key):
            item = _valid_item(key, value)
            if item is None:
                notes.append(Note("note.invalid", name=key, value=_short(value)))
            elif item not in accepted:
                accepted.append(item)
        if len(accepted) > MAX_VALUES:
            notes.append(Note("note.kept_first", max=MAX_VALUES, name=key))
            accepted = accepted[:MAX_VALUES]
        kwargs[attr] = tuple(accepted)

    q_values = _values(params, "q", split=False)
    q = " ".join(q_values).strip() if q_values else ""
    if len(q) > MAX_TEXT:
        notes.append(Note("note.q_short", max=MAX_TEXT))
        q = q[:MAX_TEXT]
    kwargs["q"] = q

    certainty = _values(params, "certainty")
    if certainty:
        if certainty[-1].lower() in CERTAINTIES:
            kwargs["certainty"] = certainty[-1].lower()
        else:
            notes.append(Note("note.certainty", value=_short(certainty[-1]),
                              allowed=", ".join(CERTAINTIES)))

    view = _parse_view(params, notes)
    return Parsed(Filters(**kwargs), view, notes)  # type: ignore[arg-type]


def _parse_view(params: Mapping[str, object], notes: list[str]) -> View:
    out: dict[str, object] = {}
    for key, lo, hi, cast in (("lat", -90, 90, float), ("lon", -180, 180, float),
                              ("zoom", 1, 18, int)):
        values = _values(params, key)
        if not values:
            continue
        try:
            number = cast(values[-1])
            if not lo <= number <= hi:
                raise ValueError
            out[key] = number
        except ValueError:
            notes.append(Note("note.out_of_range", name=key, value=_short(values[-1])))
    event = _values(params, "event")
    if event:
        if len(event[-1]) <= MAX_TEXT:
            out["event"] = event[-1]
        else:
            notes.append(Note("note.event_long"))
    return View(**out)  # type: ignore[arg-type]


def to_query(filters: Filters, view: View | None = None) -> dict[str, str | list[str]]:
    """The URL parameters that reproduce ``filters`` (and ``view``); inverse of parse_query."""
    out: dict[str, str | list[str]] = {}
    if filters.date_from:
        out["from"] = filters.date_from.isoformat()
    if filters.date_to:
        out["to"] = filters.date_to.isoformat()
    for key, attr in _LIST_PARAMS.items():
        values = list(getattr(filters, attr))
        if values:
            out[key] = values
    if filters.q:
        out["q"] = filters.q
    if filters.certainty != DEFAULT_CERTAINTY:
        out["certainty"] = filters.certainty
    if view is not None:
        if view.lat is not None and view.lon is not None:
            out["lat"], out["lon"] = f"{view.lat:.4f}", f"{view.lon:.4f}"
        if view.zoom is not None:
            out["zoom"] = str(view.zoom)
        if view.event:
            out["event"] = view.event
    return out


def describe(filters: Filters) -> str:
    """A one-line human caption of the filters (for exports and headings)."""
    parts: list[str] = []
    if filters.date_from or filters.date_to:
        start = filters.date_from.isoformat() if filters.date_from else "start"
        end = filters.date_to.isoformat() if filters.date_to else "latest"
        parts.append(f"{start} – {end}")
    labels = {"origins": "origin", "suppliers": "supplier", "classes": "class",
              "models": "model", "types": "type", "oblasts": "oblast"}
    for f in fields(filters):
        if f.name in labels and getattr(filters, f.name):
            parts.append(f"{labels[f.name]}: {', '.join(getattr(filters, f.name))}")
    if filters.q:
        parts.append(f'text: "{filters.q}"')
    if filters.origins or filters.suppliers or filters.classes:
        # The certainty changes what an origin/supplier/class filter matches: say it.
        parts.append(f"certainty: {filters.certainty}")
    return "; ".join(parts) if parts else "all events"
