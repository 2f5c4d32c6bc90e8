"""The weapon catalogue: model names and aliases → weapon class and ORIGIN (design country).

``data/weapons.csv`` is the single source (see ``data/weapons.PROVENANCE.md``). Origin is the
country that *designed* a weapon (Geran-2/Shahed-136 → IRN, Forpost → ISR); who fired it is
the event's ``actor``, never this. Classes pass through :func:`geo.taxonomy.normalise_class`.

Supplier (optional ``supplier`` column): who manufactured or supplied the weapon to the
firing party, **dated**. ``|``-separated periods ``CODES@FROM..TO`` (CODES ``;``-joined
alpha-3, FROM/TO ISO dates, inclusive, either may be empty); a bare ``CODES`` covers all
dates. The first period containing the event date wins; a date no period covers has no
supplier; an empty cell means the supplier is the origin. E.g. Shahed-136:
``IRN@..2022-12-31|RUS@2023-01-01..``. Importers fill ``weapon_supplier`` for the event date
through :func:`with_supplier`.

Name matching (:meth:`Catalogue.resolve`):

* Normalisation: NFKC, Unicode hyphens/dashes → ``-``, casefold, Cyrillic lookalike letters
  → Latin inside tokens that also hold Latin letters or digits (``Х-101``, ``Тu-22К``; a pure
  Cyrillic word such as ``Молнія`` is kept), ``Kh-``/``Х-`` before a number → ``x-``
  (``Kh-101`` ≡ ``X-101`` ≡ ``Х-101``), spaces around ``/`` dropped. The lookup key also
  ignores spaces, hyphens, dots and apostrophes (``S300`` ≡ ``S-300``).
* ``or`` (``або``, ``или``) between two names is a slash (``Iskander-M or KN-23`` ≡
  ``Iskander-M/KN-23``).
* An exact alias match wins. Otherwise the text is split into parts on `` and ``, ``+``,
  ``,``, ``&``, ``;`` and Ukrainian/Russian "and" (``та``, ``і``, ``и``); a part with no alias
  of its own is split on ``/`` into alternatives.
* Every part must resolve, else the result is ``None`` (we never report half a combination).

Basis rule (the ``origin_basis`` of the result):

* A slash means *one* weapon that is either A or B (the Air Force cannot tell them apart).
  If the alternatives have different origins the result is ``ambiguous``: one weapon whose
  origin is uncertain (``Iskander-M/KN-23`` → ``RUS;PRK``, ambiguous).
* ``and`` (``+``, ``,``…) means several different weapons in one report. Their origins are
  unioned in order of appearance and the basis stays ``catalogue``: ``Shahed-136/131 and
  Lancet`` → ``IRN;RUS`` is two known weapons, not doubt about one.
* ``ambiguous`` if any part is ambiguous; else ``catalogue`` if any part has an origin; else
  ``unknown`` (generic labels such as ``Unknown UAV`` or ``Ballistic Missile``).

:meth:`Catalogue.infer` finds catalogue weapons *mentioned* in free text (word-bounded alias
search, longest alias first). Generic labels and aliases shorter than four characters
(``KAB``, ``GBU``, ``TB2``) are exact-match only and never inferred; a mention that names
the struck object rather than the weapon ("Ukrainian S-300 system", "destroyed ... Grad
launcher") is skipped. Callers mark the result's basis ``inferred``.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path

from geo.settings import DATA_DIR
from geo.taxonomy import family_of, normalise_classes

CATALOGUE_PATH = DATA_DIR / "weapons.csv"
CATALOGUE_COLUMNS = ("model", "aliases", "weapon_class", "origin", "origin_basis", "notes")
OPTIONAL_COLUMNS = ("supplier",)
BASES = ("catalogue", "ambiguous", "unknown")
INFER_MIN_ALIAS = 4

_HYPHENS = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u00ad"})
# Cyrillic letters that look like Latin ones (lower case: input is casefolded first).
_LOOKALIKE = str.maketrans("авекмнорстухіј", "abekmhopctyxij")
_LOOKALIKE_SET = frozenset("авекмнорстухіј")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_TOKEN = re.compile(r"[\w\-/]+")
_KH = re.compile(r"(?<![\w])(?:kh|x)\s*-?\s*(?=\d)")
_KEY_DROP = re.compile(r"[\s\-_.'’ʹ`´]+")
_OR = re.compile(r"\s+(?:or|або|или)\s+")
_PART_SPLIT = re.compile(r"\s+(?:and|та|і|и)\s+|\s*[+,&;]\s*")
_TARGET_AFTER = re.compile(
    r"^\s*(?:[\w-]+\s+)?(?:systems?|battery|batteries|launchers?|radars?|positions?|tels?|"
    r"transloaders?|vehicles?|complex(?:es)?|units?|crews?|was destroyed|destroyed)\b")
_TARGET_BEFORE = re.compile(
    r"(?:ukrainian|destroyed|captured|abandoned|damaged)\s+(?:[\w-]+\s+)?$")


def latinise_lookalikes(match: re.Match[str]) -> str:
    """A matched token with Cyrillic lookalike letters (Х-101) in Latin, when it also holds
    Latin letters or digits: a re.sub callback shared by the catalogue and the text matcher."""
    token = match.group(0)
    cyrillic = set(_CYRILLIC.findall(token))
    if cyrillic and cyrillic <= _LOOKALIKE_SET and re.search(r"[0-9a-z]", token):
        return token.translate(_LOOKALIKE)
    return token


def fold(text: object) -> str:
    """Normalise a weapon name or free text for matching (see the module docstring)."""
    s = unicodedata.normalize("NFKC", str(text or "")).translate(_HYPHENS).casefold()
    s = _TOKEN.sub(latinise_lookalikes, s)
    s = _KH.sub("x-", s)
    s = re.sub(r"\s*/\s*", "/", s)
    return re.sub(r"\s+", " ", s).strip()


def key(text: object) -> str:
    """The lookup key: :func:`fold` without spaces, hyphens, dots and apostrophes."""
    return _KEY_DROP.sub("", fold(text))


_ALPHA3 = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class Supply:
    """One period of a supplier cell: ``codes`` supplied from ``start`` to ``end`` (inclusive,
    ``None`` = open)."""

    codes: tuple[str, ...]
    start: date | None = None
    end: date | None = None

    def covers(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


def parse_supply(text: str) -> tuple[Supply, ...]:
    """A supplier cell → periods; ``ValueError`` with a one-line reason when malformed.

    >>> shahed = parse_supply("IRN@..2022-12-31|RUS@2023-01-01..")
    >>> [(s.codes, str(s.start), str(s.end)) for s in shahed]
    [(('IRN',), 'None', '2022-12-31'), (('RUS',), '2023-01-01', 'None')]
    >>> parse_supply("PRK")[0].codes, parse_supply("")
    (('PRK',), ())
    """
    periods: list[Supply] = []
    for part in (p.strip() for p in (text or "").split("|")):
        if not part:
            continue
        codes_text, at, span = part.partition("@")
        codes = tuple(c.strip().upper() for c in codes_text.split(";") if c.strip())
        if not codes or not all(_ALPHA3.match(c) for c in codes):
            raise ValueError(f"{part[:40]!r}: supplier codes must be ';'-joined ISO alpha-3")
        start = end = None
        if at:
            first, dots, last = span.partition("..")
            if not dots:
                raise ValueError(f"{part[:40]!r}: a period is CODES@FROM..TO")
            try:
                start = date.fromisoformat(first.strip()) if first.strip() else None
                end = date.fromisoformat(last.strip()) if last.strip() else None
            except ValueError:
                raise ValueError(f"{part[:40]!r}: FROM and TO must be ISO dates "
                                 "(YYYY-MM-DD)") from None
            if start and end and start > end:
                raise ValueError(f"{part[:40]!r}: the period ends before it starts")
        periods.append(Supply(codes, start, end))
    return tuple(periods)


def _as_day(when: object) -> date | None:
    if isinstance(when, date):
        return when
    try:
        return date.fromisoformat(str(when or "")[:10])
    except ValueError:
        return None


@dataclass(frozen=True)
class Entry:
    model: str
    aliases: tuple[str, ...]
    weapon_class: str
    origins: tuple[str, ...]
    basis: str
    notes: str
    supply: tuple[Supply, ...] = ()
    supplier_text: str = ""

    def supplier_for(self, when: object) -> tuple[str, ...]:
        """Supplier codes on the date ``when`` (ISO text or date); the origin when the
        catalogue gives no supplier; () when no period covers the date (or it is unknown
        and the supplier changed over time)."""
        if not self.supply:
            return self.origins
        day = _as_day(when)
        if day is None:
            distinct = {s.codes for s in self.supply}
            return self.supply[0].codes if len(distinct) == 1 else ()
        for period in self.supply:
            if period.covers(day):
                return period.codes
        return ()


@dataclass(frozen=True)
class Resolution:
    models: tuple[str, ...]
    weapon_class: str
    origins: tuple[str, ...]
    basis: str
    # The catalogue entries behind the result (slash alternatives included): their supplier
    # periods give supplier_for.
    entries: tuple[Entry, ...] = ()

    @property
    def model(self) -> str:
        return ";".join(self.models)

    @property
    def origin(self) -> str:
        return ";".join(self.origins)

    @property
    def families(self) -> tuple[str, ...]:
        """Class families of the weapon classes (``drones``, ``missiles``…), in order."""
        return _unique(family_of(c) for c in self.weapon_class.split(";"))

    def supplier_for(self, when: object) -> str:
        """';'-joined supplier codes on the date ``when`` (union over the entries)."""
        return ";".join(_unique(c for e in self.entries for c in e.supplier_for(when)))


def _unique(items) -> tuple[str, ...]:
    out: list[str] = []
    for item in items:
        if item and item not in out:
            out.append(item)
    return tuple(out)


def _combine(parts: list[Entry], *, alternatives: bool) -> tuple[str, str, tuple, str]:
    """Merge entries: ``alternatives`` (slash) → one model; else several weapons."""
    origins = _unique(o for e in parts for o in e.origins)
    classes = ";".join(_unique(e.weapon_class for e in parts))
    if any(e.basis == "ambiguous" for e in parts) or (
            alternatives and len({e.origins for e in parts if e.origins}) > 1):
        basis = "ambiguous"
    elif origins:
        basis = "catalogue"
    else:
        basis = "unknown"
    model = "/".join(_unique(e.model for e in parts)) if alternatives else ""
    return model, classes, origins, basis


class Catalogue:
    """Weapon entries with alias lookup; build with :func:`load_catalogue`."""

    def __init__(self, entries: list[Entry]):
        self._entries = entries
        self._by_key: dict[str, Entry] = {}
        for entry in entries:
            for alias in (entry.model, *entry.aliases):
                k = key(alias)
                other = self._by_key.get(k)
                if other is not None and other is not entry:
                    raise ValueError(f"alias {alias!r} is used by both {other.model!r} and "
                                     f"{entry.model!r}")
                self._by_key[k] = entry

    @property
    def entries(self) -> list[dict[str, str]]:
        """The catalogue rows (for the About page), in file order."""
        return [{"model": e.model, "aliases": "|".join(e.aliases),
                 "weapon_class": e.weapon_class, "origin": ";".join(e.origins),
                 "supplier": e.supplier_text, "origin_basis": e.basis, "notes": e.notes}
                for e in self._entries]

    def origins(self) -> list[str]:
        """Distinct origin codes in the catalogue, sorted."""
        return sorted({o for e in self._entries for o in e.origins})

    def entry(self, model: str) -> Entry | None:
        """The entry for an exact model name or alias."""
        return self._by_key.get(key(model))

    def resolve(self, model: object) -> Resolution | None:
        """Resolve a reported model string (alias, combination or slash pair), or ``None``."""
        # "A or B" is the slash pair A/B: one weapon, either A or B.
        text = _OR.sub("/", fold(model))
        if not text:
            return None
        whole = self._by_key.get(key(text))
        if whole is not None:
            return Resolution((whole.model,), whole.weapon_class, whole.origins, whole.basis,
                              (whole,))
        models: list[str] = []
        merged: list[Entry] = []
        leaves: list[Entry] = []
        any_ambiguous = False
        for part in (p for p in _PART_SPLIT.split(text) if p and p.strip()):
            entry = self._by_key.get(key(part))
            if entry is not None:
                models.append(entry.model)
                merged.append(entry)
                leaves.append(entry)
                any_ambiguous |= entry.basis == "ambiguous"
                continue
            pieces = [self._by_key.get(key(p)) for p in part.split("/") if p.strip()]
            if len(pieces) < 2 or any(p is None for p in pieces):
                return None
            model, cls, origins, basis = _combine(pieces, alternatives=True)
            leaves.extend(p for p in pieces if p is not None)
            models.append(model)
            merged.append(Entry(model, (), cls, origins, basis, ""))
            any_ambiguous |= basis == "ambiguous"
        if not merged:
            return None
        _, classes, origins, basis = _combine(merged, alternatives=False)
        if any_ambiguous:
            basis = "ambiguous"
        return Resolution(_unique(models), classes, origins, basis, tuple(leaves))

    @cached_property
    def _infer_pattern(self) -> re.Pattern[str]:
        aliases: dict[str, Entry] = {}
        for entry in self._entries:
            if entry.basis == "unknown":
                continue
            for alias in (entry.model, *entry.aliases):
                folded = fold(alias)
                if len(_KEY_DROP.sub("", folded)) >= INFER_MIN_ALIAS:
                    aliases.setdefault(folded, entry)
        self._infer_map = {key(a): e for a, e in aliases.items()}
        parts = []
        for alias in sorted(aliases, key=len, reverse=True):
            tokens = [re.escape(t) for t in re.split(r"[\s\-]+", alias) if t]
            parts.append(r"[\s\-]?".join(tokens))
        return re.compile(r"(?<![\w])(?:" + "|".join(parts) + r")(?![\w]|-\d)")

    def mentions(self, text: object) -> list[tuple[Entry, str]]:
        """Catalogue weapons named in ``text`` as (entry, matched text), in order."""
        folded = fold(text)
        pattern = self._infer_pattern
        found: list[tuple[Entry, str]] = []
        for match in pattern.finditer(folded):
            before, after = folded[max(0, match.start() - 24):match.start()], \
                folded[match.end():match.end() + 24]
            if _TARGET_AFTER.match(after) or _TARGET_BEFORE.search(before):
                continue
            entry = self._infer_map[key(match.group(0))]
            found.append((entry, match.group(0)))
        return found

    def infer(self, text: object) -> Resolution | None:
        """Weapons mentioned in free text as one :class:`Resolution`, or ``None``."""
        entries: list[Entry] = []
        for entry, _ in self.mentions(text):
            if entry not in entries:
                entries.append(entry)
        if not entries:
            return None
        _, classes, origins, basis = _combine(entries, alternatives=False)
        return Resolution(tuple(e.model for e in entries), classes, origins, basis,
                          tuple(entries))


def _read(path: Path) -> list[Entry]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or ()]
        required = [h for h in header if h not in OPTIONAL_COLUMNS]
        if required != list(CATALOGUE_COLUMNS) or len(set(header)) != len(header):
            raise ValueError(f"{path}: header must be {','.join(CATALOGUE_COLUMNS)} "
                             f"(plus optionally {', '.join(OPTIONAL_COLUMNS)})")
        entries = []
        for line, row in enumerate(reader, start=2):
            basis = (row["origin_basis"] or "").strip()
            origins = tuple(o.strip().upper() for o in (row["origin"] or "").split(";")
                            if o.strip())
            if basis not in BASES or (basis == "unknown") != (not origins):
                raise ValueError(f"{path}: row {line}: origin_basis {basis!r} does not fit "
                                 f"origin {row['origin']!r}")
            supplier = (row.get("supplier") or "").strip()
            try:
                supply = parse_supply(supplier)
            except ValueError as exc:
                raise ValueError(f"{path}: row {line}: field 'supplier': {exc}") from None
            entries.append(Entry(
                model=row["model"].strip(),
                aliases=tuple(a.strip() for a in (row["aliases"] or "").split("|") if a.strip()),
                weapon_class=normalise_classes(row["weapon_class"]),
                origins=origins, basis=basis, notes=(row["notes"] or "").strip(),
                supply=supply, supplier_text=supplier))
    return entries


@lru_cache(maxsize=4)
def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """The catalogue from ``data/weapons.csv`` (or ``path``); cached."""
    return Catalogue(_read(Path(path) if path else CATALOGUE_PATH))


@lru_cache(maxsize=65536)
def supplier_for(model: str, when: str) -> str:
    """The catalogue's supplier of ``model`` (a canonical ``weapon_model``) on ``when``.

    '' when the model does not resolve in the catalogue or no period covers the date.
    """
    resolved = load_catalogue().resolve(model) if model else None
    return resolved.supplier_for(when) if resolved is not None else ""


def with_supplier(row: dict[str, object]) -> dict[str, object]:
    """``row`` (canonical, normalised) with ``weapon_supplier`` filled from the catalogue for
    its event date when the source gave none. The one place importers set suppliers."""
    if row.get("weapon_supplier") or not row.get("weapon_model"):
        return row
    supplier = supplier_for(str(row["weapon_model"]), str(row.get("event_date") or ""))
    return {**row, "weapon_supplier": supplier} if supplier else row
