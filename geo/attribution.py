"""Which weapon hit, for events whose source does not say: candidates with shares, and why.

:func:`attribute` takes canonical events (a store's, or a file's plus the store's attack
reports) and returns them with the attribution columns filled (``class_candidates``,
``origin_candidates``, ``supplier_candidates``, ``attribution``; README "Attribution"):

* **Stated weapons** (``weapon_origin``/``weapon_model`` on basis ``catalogue``, ``reported``
  or ``ambiguous``; attack reports): the candidates are the event's own values, several
  split equally (an ambiguous ``RUS;PRK`` → ``RUS:0.50;PRK:0.50``). Nothing else changes.
  So are a bare class on an event that is not attributed (a "Ballistic Missile" report).
* **Own text** (:mod:`geo.weapon_text`): a named model decides (counts weigh several
  models); its weapon is written to empty weapon fields with ``origin_basis = inferred``. A
  generic word ("missile strike", "обстріл") restricts the candidates to its family: the
  report weapons of that family, else the word's own class (``unspecified missile``).
* **Attack reports of the same window** (``event_type = attack``): a report counts for an
  impact when its window overlaps the impact's Kyiv day (or hours) and its area holds the
  impact's oblast. Weight = weapons that got through (launched − destroyed; a destroyed one
  counts ``DESTROYED_WEIGHT``, its debris also does damage) × the share of the report window
  that falls on the impact's day × 1 / the number of oblasts the report covers (an oblast
  list, a macro-region, or all of Ukraine; :mod:`geo.attack_reports`).
  Reconnaissance and decoy drones carry no warhead and weigh 0.
* **Not in attack reports**: artillery, MLRS, glide bombs and small drones near the front are
  not in those reports, so the class ``not in attack reports`` gets the weight
  ``NIAR_BASE + NIAR_FRONT × proximity`` (:func:`geo.frontline.proximity`). It applies only
  within the period the store's reports cover — before it, no report exists to be absent
  from. Its origin is unknown: origin and supplier candidates use the reported weapons only,
  and stay empty when those carry less than :data:`MIN_ORIGIN_MASS` of the weight.

Never touched: events a curator edited (``curated``), any non-empty weapon field, and events
other than impacts, debris and interceptions without a stated weapon (a "military presence"
item is not a strike). The result depends only on the input rows (sorted internally), so a
second run changes nothing.

Running it on a store (``python -m geo attribute``, every import): :mod:`geo.attribution_store`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from geo.attack_reports import (
    ALL_OBLASTS,
    ReportIndex,
    Weapon,
    text_column,
    weapon_of,
    windows,
)
from geo.catalogue import Catalogue, load_catalogue, supplier_for
from geo.frontline import proximity
from geo.schema import format_candidates
from geo.taxonomy import family_of, normalise_class
from geo.weapon_text import Mention, matcher

ATTRIBUTED_TYPES = ("impact", "debris", "interception")
STATED_BASES = ("catalogue", "reported", "ambiguous")
NIAR = "not in attack reports"
NIAR_BASE = 0.05
NIAR_FRONT = 4.0
MIN_ORIGIN_MASS = 0.25
NO_STRIKE_CLASSES = ("reconnaissance drone", "decoy drone")
_NO_STRIKE = frozenset(NO_STRIKE_CLASSES)
OUTPUT_COLUMNS = ("weapon_model", "weapon_class", "weapon_origin", "origin_basis",
                  "weapon_supplier", "class_candidates", "origin_candidates",
                  "supplier_candidates", "attribution")
CANDIDATES = OUTPUT_COLUMNS[5:]  # what the engine writes for every event it looks at


@dataclass
class Summary:
    """What a run did: events looked at, changed, and which gained candidates (by family)."""

    events: int = 0
    changed: int = 0
    gained: dict[str, int] = field(default_factory=dict)
    weapons_inferred: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"events": self.events, "changed": self.changed,
                "gained_candidates": dict(sorted(self.gained.items())),
                "weapons_inferred": self.weapons_inferred}


def _split(values: list[str]) -> list[tuple[str, float]]:
    return [(v, 1.0 / len(values)) for v in values] if values else []


def _stated(row: dict) -> bool:
    return bool(row["weapon_origin"] or row["weapon_model"]) and \
        row["origin_basis"] in STATED_BASES


def _own(row: dict, catalogue: Catalogue) -> tuple[str, str, str]:
    """Candidates of a stated weapon: its own classes, origins and suppliers, split equally."""
    classes = [normalise_class(c) for c in row["weapon_class"].split(";") if c.strip()]
    if not classes and row["weapon_model"]:
        classes = [c for m in row["weapon_model"].split(";")
                   for c in weapon_of(m, catalogue).classes]
    classes = list(dict.fromkeys(c for c in classes if c))
    origins = list(dict.fromkeys(o for o in row["weapon_origin"].split(";") if o))
    suppliers = list(dict.fromkeys(s for s in row.get("weapon_supplier", "").split(";") if s))
    if not suppliers and row["weapon_model"]:
        # Rows stored before suppliers existed: the catalogue's supplier on that date.
        suppliers = [c for c in supplier_for(row["weapon_model"], row["event_date"]).split(";")
                     if c]
    return (format_candidates(_split(classes)), format_candidates(_split(origins)),
            format_candidates(_split(suppliers)))


class _Masses:
    """Weights per weapon class and per origin, with the evidence behind them."""

    def __init__(self, day: str) -> None:
        self.day = day
        self.classes: dict[str, float] = defaultdict(float)
        self.origins: dict[str, float] = defaultdict(float)
        self.suppliers: dict[str, float] = defaultdict(float)
        self.origin_mass = 0.0
        self.total = 0.0

    def add(self, weapon: Weapon, mass: float) -> None:
        if mass <= 0:
            return
        for cls in weapon.classes:
            self.classes[cls] += mass / len(weapon.classes)
        for origin in weapon.origins:
            self.origins[origin] += mass / len(weapon.origins)
        # Who supplied it depends on the date (Shahed: Iran in 2022, Russia later).
        suppliers = [c for c in supplier_for(weapon.label, self.day).split(";") if c]
        for supplier in suppliers:
            self.suppliers[supplier] += mass / len(suppliers)
        self.origin_mass += mass if weapon.origins else 0.0
        self.total += mass

    def add_class(self, cls: str, mass: float) -> None:
        self.classes[cls] += mass
        self.total += mass

    def result(self) -> tuple[str, str, str]:
        classes = format_candidates(self.classes.items())
        if self.total <= 0 or self.origin_mass / self.total < MIN_ORIGIN_MASS:
            return classes, "", ""
        return (classes, format_candidates(self.origins.items()),
                format_candidates(self.suppliers.items()))


def _describe_report(row: tuple, weight: float) -> str:
    start, end, _, _, area, _, launched, destroyed, day, model = row
    first, last = (np.datetime64(t, "m").astype(object) for t in (start, end))
    when = f"{first:%Y-%m-%d %H:%M}–{last:%H:%M}"
    where = "Ukraine" if area == ALL_OBLASTS else f"{len(area)} oblasts" if len(area) > 1 else \
        next(iter(area))
    lost = "" if destroyed is None else f", {destroyed} destroyed"
    return f"{when}, {where}: {launched} {model} launched{lost}"


# Per distinct class tuple, not per report weapon: a 10M-row import asked these millions of
# times, and building the sets each time was a third of the attribution engine (py-spy).
@lru_cache(maxsize=4096)
def _strikes(classes: tuple[str, ...]) -> bool:
    """False for weapons that never strike (reconnaissance, decoys): they carry no mass."""
    return not _NO_STRIKE.issuperset(classes)


@lru_cache(maxsize=4096)
def _families(classes: tuple[str, ...]) -> frozenset[str]:
    return frozenset(family_of(c) for c in classes)


def _from_reports(found: list[tuple], masses: _Masses, keep) -> list[str]:
    """Add report weapons accepted by ``keep`` to ``masses``; evidence for the top three."""
    used = []
    for row, weight in found:
        share = weight / len(row[5])
        strikes = False
        for weapon in row[5]:
            if keep(weapon):
                hit = _strikes(weapon.classes)
                masses.add(weapon, share if hit else 0.0)
                strikes = strikes or hit
        if strikes:
            used.append((weight, row))
    used.sort(key=lambda t: (-t[0], t[1][8], t[1][9]))
    return [_describe_report(row, w) for w, row in used[:3]]


def _evidence(mentions: list[Mention]) -> str:
    return "text: " + ", ".join(m.evidence() for m in mentions[:4])


def _text_models(mentions: list[Mention], row: dict, catalogue: Catalogue) -> list[tuple]:
    """(weapon, count) for models named in the text or in inferred weapon fields."""
    named: dict[str, tuple[Weapon, float]] = {}
    for m in mentions:
        if m.model:
            weapon = Weapon(m.model, m.classes, m.origins)
            old = named.get(m.model, (weapon, 0.0))[1]
            named[m.model] = (weapon, old + (m.count or 1))
    for model in (s for s in row["weapon_model"].split(";") if s.strip()):
        if model not in named:
            named[model] = (weapon_of(model, catalogue), 1.0)
    return list(named.values())


def _target(row: dict, mentions: list[Mention], found: list[tuple] | None, lam: float,
            catalogue: Catalogue) -> tuple[tuple[str, str, str], str, tuple[str, ...] | None]:
    """((class, origin, supplier candidates), attribution, models to write) for one event."""
    masses = _Masses(row["event_date"])
    models = _text_models(mentions, row, catalogue)
    generic = [m for m in mentions if m.generic]
    field_classes = [normalise_class(c) for c in row["weapon_class"].split(";") if c.strip()]
    if models:
        for weapon, count in models:
            masses.add(weapon, count)
        covered = {family_of(c) for w, _ in models for c in w.classes}
        for m in generic:
            for cls in m.classes:
                if family_of(cls) not in covered:
                    masses.add_class(cls, 1.0 / len(m.classes))
        return masses.result(), _evidence(mentions) if mentions else \
            f"fields: {row['weapon_model']}", tuple(w.label for w, _ in models)
    wanted = [c for m in generic for c in m.classes] + field_classes
    parts = [_evidence(mentions)] if mentions else (
        [f"fields: {row['weapon_class']}"] if field_classes else [])
    if wanted:
        families = {family_of(c) for c in wanted}
        specific = {c for c in wanted if not c.startswith("unspecified")}

        def keep(weapon: Weapon) -> bool:
            fams = _families(weapon.classes)
            if fams.isdisjoint(families):
                return False
            tight = {c for c in specific if family_of(c) in fams}
            return not tight or not tight.isdisjoint(weapon.classes)

        evidence = _from_reports(found or [], masses, keep)
        if masses.total <= 0:
            for cls in dict.fromkeys(wanted):
                masses.add_class(cls, 1.0)
        else:
            parts.append("reports: " + "; ".join(evidence))
        return masses.result(), " · ".join(parts), None
    if found is None:
        return ("", "", ""), "", None
    evidence = _from_reports(found, masses, lambda w: True)
    masses.add_class(NIAR, lam)
    share = lam / masses.total
    parts.append("reports: " + "; ".join(evidence) if evidence
                 else "no attack report for this oblast and day")
    parts.append(f"not in attack reports {share:.2f} (front/border proximity "
                 f"{(lam - NIAR_BASE) / NIAR_FRONT:.2f})")
    return masses.result(), " · ".join(parts), None


def _columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    names = ("event_id", "event_date", "event_type", "country", "admin1", "weapon_model",
             "weapon_class", "weapon_origin", "origin_basis", "description",
             *OUTPUT_COLUMNS[4:])
    return {n: text_column(frame, n) for n in names}


def attribute(events: pd.DataFrame, reports: pd.DataFrame | None = None,
              curated: frozenset[str] | set[str] = frozenset(),
              catalogue: Catalogue | None = None) -> tuple[pd.DataFrame, Summary]:
    """``events`` with the attribution columns recomputed (and inferred weapons filled).

    ``reports``: the attack reports to join with (default: those among ``events``).
    ``curated``: event ids a curator set; returned unchanged. Returns a new frame with the
    same rows and index, plus a :class:`Summary`.
    """
    catalogue = catalogue or load_catalogue()
    out = events.copy()
    for column in OUTPUT_COLUMNS:
        if column not in out:
            out[column] = ""
    summary = Summary(events=len(out))
    if out.empty:
        return out, summary
    cols = _columns(out)
    if reports is None:
        reports = out[cols["event_type"] == "attack"]
    index = ReportIndex(reports, catalogue)
    result = {c: cols[c].copy() for c in OUTPUT_COLUMNS}
    blank = np.array([""] * len(out), dtype=object)
    rows = [dict(zip(cols, values, strict=True)) for values in zip(*cols.values(), strict=True)]
    is_curated = np.isin(cols["event_id"], list(curated))
    stated = np.array([_stated(r) for r in rows], dtype=bool)
    target = ~stated & ~is_curated & np.isin(cols["event_type"], ATTRIBUTED_TYPES)
    own_cache: dict[tuple, tuple[str, str, str]] = {}
    for i in np.flatnonzero(stated & ~is_curated):
        key = (rows[i]["weapon_class"], rows[i]["weapon_model"], rows[i]["weapon_origin"],
               rows[i]["weapon_supplier"], "" if rows[i]["weapon_supplier"] else
               rows[i]["event_date"])
        if key not in own_cache:
            own_cache[key] = _own(rows[i], catalogue)
        c, o, s = own_cache[key]
        result["class_candidates"][i], result["origin_candidates"][i] = c, o
        result["supplier_candidates"][i] = s
        result["attribution"][i] = ""
    for column in CANDIDATES:
        result[column] = np.where(~stated & ~is_curated & ~target, blank, result[column])
    # A class the source gives without a model or origin ("Ballistic Missile" reports) is
    # still the event's own value.
    for i in np.flatnonzero(~stated & ~is_curated & ~target & (cols["weapon_class"] != "")):
        (result["class_candidates"][i], result["origin_candidates"][i],
         result["supplier_candidates"][i]) = _own(rows[i], catalogue)
    _attribute_targets(out, rows, np.flatnonzero(target), index, result, summary, catalogue)
    before = {c: cols[c] for c in OUTPUT_COLUMNS}
    changed = np.zeros(len(out), dtype=bool)
    for column in OUTPUT_COLUMNS:
        changed |= result[column] != before[column]
        out[column] = result[column]
    gained = changed & (before["class_candidates"] == "") & (result["class_candidates"] != "")
    for text in result["class_candidates"][gained]:
        family = family_of(text.split(":", 1)[0])
        summary.gained[family] = summary.gained.get(family, 0) + 1
    summary.changed = int(changed.sum())
    return out, summary


def _attribute_targets(frame: pd.DataFrame, rows: list[dict], targets: np.ndarray,
                       index: ReportIndex, result: dict[str, np.ndarray], summary: Summary,
                       catalogue: Catalogue) -> None:
    if not len(targets):
        return
    sub = frame.iloc[targets]
    start, end = (w.astype("int64") for w in windows(sub, reports=False))
    admin1 = np.array([rows[i]["admin1"].split(";")[0] for i in targets], dtype=object)
    days = pd.to_datetime(pd.Series([rows[i]["event_date"] for i in targets])).to_numpy(
        dtype="datetime64[D]")
    lat = pd.to_numeric(sub["latitude"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(sub["longitude"], errors="coerce").to_numpy(dtype=float)
    ukraine = np.array([a.startswith("UA-") for a in admin1], dtype=bool)
    lam = NIAR_BASE + NIAR_FRONT * proximity(lat, lon, np.where(ukraine, admin1, ""), days)
    text = matcher(catalogue)
    mention_cache: dict[str, list[Mention]] = {}
    join_cache: dict[tuple, list[tuple] | None] = {}
    for k, i in enumerate(targets):
        row = rows[i]
        description = row["description"]
        if description not in mention_cache:
            mention_cache[description] = text.find(description)
        key = (int(start[k]), int(end[k]), admin1[k])
        if key not in join_cache:
            join_cache[key] = index.matching(*key) \
                if ukraine[k] and index.covers(days[k]) else None
        candidates, line, models = _target(
            row, mention_cache[description], join_cache[key], float(round(lam[k], 2)),
            catalogue)
        for column, value in zip(CANDIDATES[:3], candidates, strict=True):
            result[column][i] = value
        result["attribution"][i] = line
        if models and not (row["weapon_model"] or row["weapon_class"] or row["weapon_origin"]):
            weapons = [weapon_of(m, catalogue) for m in models]
            result["weapon_model"][i] = ";".join(models)
            result["weapon_class"][i] = ";".join(dict.fromkeys(
                c for w in weapons for c in w.classes))
            result["weapon_origin"][i] = ";".join(dict.fromkeys(
                o for w in weapons for o in w.origins))
            result["weapon_supplier"][i] = ";".join(dict.fromkeys(
                c for m in models for c in supplier_for(m, row["event_date"]).split(";") if c))
            result["origin_basis"][i] = "inferred"
            summary.weapons_inferred += 1
