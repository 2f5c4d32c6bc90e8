"""The weapon taxonomy: one controlled vocabulary of weapon classes, grouped in families.

Every ``weapon_class`` in the canonical table, the catalogue and the attribution candidates
is one of :data:`CLASSES`. Sources label weapons in their own words ("combat drone",
"anti-air missile", "MLRS", "Cluster munitions"); :func:`normalise_class` maps each label
into the vocabulary once, so one thing is never two classes and the class filter can be
hierarchical: a family slug (``class=drones``) selects all its member classes
(:func:`expand_class_filter`).

``not in attack reports`` is the class for short-range weapons that national attack reports
do not cover (artillery, MLRS, glide bombs, small FPV drones near the front); the
attribution engine uses it as a candidate when an impact cannot be pinned on a reported
long-range weapon.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from geo.i18n import translate

FAMILIES: dict[str, tuple[str, ...]] = {
    "drones": ("loitering munition", "attack drone", "decoy drone", "reconnaissance drone",
               "unspecified drone"),
    "missiles": ("cruise missile", "ballistic missile", "aeroballistic missile",
                 "anti-ship missile", "surface-to-air missile", "air-to-surface missile",
                 "unspecified missile"),
    "bombs": ("guided bomb", "unguided bomb", "unspecified bomb"),
    "artillery": ("tube artillery", "rocket artillery", "mortar", "unspecified artillery"),
    "other": ("not in attack reports", "other"),
}

CLASSES: tuple[str, ...] = tuple(c for members in FAMILIES.values() for c in members)

# Human labels for the family slugs (sidebar, captions).
FAMILY_LABELS: dict[str, str] = {"drones": "Drones", "missiles": "Missiles", "bombs": "Bombs",
                                 "artillery": "Artillery", "other": "Other"}

_FAMILY_OF = {c: family for family, members in FAMILIES.items() for c in members}

# Source labels seen in real files (catalogue, Bellingcat TimeMap "Weapon System", CIR,
# generic sheets) → vocabulary class. Keys are folded (lower case, single spaces, '-' for
# dashes). Labels not listed fall back to the keyword rules below.
_ALIASES: dict[str, str] = {
    # drones
    "combat drone": "attack drone",
    "strike drone": "attack drone",
    "kamikaze drone": "loitering munition",
    "one-way attack drone": "loitering munition",
    "one way attack drone": "loitering munition",
    "loitering munitions": "loitering munition",
    "fpv drone": "attack drone",
    "fpv": "attack drone",
    "decoy": "decoy drone",
    "reconnaissance uav": "reconnaissance drone",
    "surveillance drone": "reconnaissance drone",
    "drone": "unspecified drone",
    "drones": "unspecified drone",
    "uav": "unspecified drone",
    "uavs": "unspecified drone",
    "unmanned aerial vehicle": "unspecified drone",
    # missiles
    "intermediate-range ballistic missile": "ballistic missile",
    "intercontinental ballistic missile": "ballistic missile",
    "short-range ballistic missile": "ballistic missile",
    "tactical ballistic missile": "ballistic missile",
    "anti-radiation missile": "air-to-surface missile",
    "air-launched missile": "air-to-surface missile",
    "guided missile": "unspecified missile",
    "surface-to-air missile used against ground targets": "surface-to-air missile",
    "anti-air missile": "surface-to-air missile",
    "anti-aircraft missile": "surface-to-air missile",
    "air defence missile": "surface-to-air missile",
    "air defense missile": "surface-to-air missile",
    "sam": "surface-to-air missile",
    "anti-ship missile used against ground targets": "anti-ship missile",
    "missile": "unspecified missile",
    "missiles": "unspecified missile",
    "rocket": "unspecified missile",
    # bombs
    "glide bomb": "guided bomb",
    "guided aerial bomb": "guided bomb",
    "kab": "guided bomb",
    "free-fall bomb": "unguided bomb",
    "dumb bomb": "unguided bomb",
    "aerial bomb": "unspecified bomb",
    "air-dropped munitions": "unspecified bomb",
    "bomb": "unspecified bomb",
    "bombs": "unspecified bomb",
    "airstrike": "unspecified bomb",
    # artillery
    "artillery rocket": "rocket artillery",
    "artillery rockets": "rocket artillery",
    "mlrs": "rocket artillery",
    "multiple launch rocket system": "rocket artillery",
    "multiple rocket launcher": "rocket artillery",
    "rocket launcher": "rocket artillery",
    "grad": "rocket artillery",
    "artillery": "unspecified artillery",
    "shelling": "unspecified artillery",
    "shell": "unspecified artillery",
    "shells": "unspecified artillery",
    "artillery shell": "tube artillery",
    "artillery shells": "tube artillery",
    "howitzer": "tube artillery",
    "cannon artillery": "tube artillery",
    "barrel artillery": "tube artillery",
    "mortars": "mortar",
    "mortar shelling": "mortar",
    # other
    "short-range / not in attack reports": "not in attack reports",
    "cluster munitions": "other",
    "cluster munition": "other",
    "munitions": "other",
    "small arms": "other",
    "vehicle mounted weapon": "other",
    "vehicle-mounted weapon": "other",
    "landmine": "other",
    "mine": "other",
}

# Keyword fallbacks, in order: the first that matches decides.
_KEYWORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:decoy)\b"), "decoy drone"),
    (re.compile(r"\b(?:loitering)\b"), "loitering munition"),
    (re.compile(r"\b(?:reconnaissance|recon|surveillance)\b.*\b(?:drone|uav)s?\b"),
     "reconnaissance drone"),
    (re.compile(r"\b(?:drones?|uavs?|unmanned)\b"), "unspecified drone"),
    (re.compile(r"\baeroballistic\b"), "aeroballistic missile"),
    (re.compile(r"\bballistic\b"), "ballistic missile"),
    (re.compile(r"\bcruise\b"), "cruise missile"),
    (re.compile(r"\banti-ship\b"), "anti-ship missile"),
    (re.compile(r"\b(?:surface-to-air|anti-air(?:craft)?|air defen[cs]e)\b"),
     "surface-to-air missile"),
    (re.compile(r"\b(?:air-to-surface|air-to-ground|anti-radiation)\b"),
     "air-to-surface missile"),
    (re.compile(r"\b(?:mlrs|multiple[- ]launch|rocket artillery|artillery rockets?)\b"),
     "rocket artillery"),
    (re.compile(r"\bmortars?\b"), "mortar"),
    (re.compile(r"\b(?:howitzers?|tube artillery|artillery shells?)\b"), "tube artillery"),
    (re.compile(r"\b(?:artillery|shelling)\b"), "unspecified artillery"),
    (re.compile(r"\b(?:guided|glide|gliding)\b.*\bbombs?\b"), "guided bomb"),
    (re.compile(r"\b(?:unguided|free-fall)\b.*\bbombs?\b"), "unguided bomb"),
    (re.compile(r"\bbombs?\b"), "unspecified bomb"),
    (re.compile(r"\b(?:missiles?|rockets?)\b"), "unspecified missile"),
)

_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"})


def _fold(label: object) -> str:
    text = str(label or "").translate(_DASHES).casefold()
    text = re.sub(r"\s*-\s*", "-", text.replace("_", " "))
    return re.sub(r"\s+", " ", text).strip(" .")


def normalise_class(label: object) -> str:
    """The vocabulary class for any source label ('' for an empty or "unknown" label).

    Known labels map through a table, others through keywords; anything else is ``other``.

    >>> normalise_class("Combat drone"), normalise_class("MLRS")
    ('attack drone', 'rocket artillery')
    >>> normalise_class("surface-to-air missile used against ground targets")
    'surface-to-air missile'
    >>> normalise_class("Anti-air missile"), normalise_class("UAV"), normalise_class("Unknown")
    ('surface-to-air missile', 'unspecified drone', '')
    """
    text = _fold(label)
    if not text or text in ("unknown", "n/a", "none", "-"):
        return ""
    if text in _FAMILY_OF:
        return text
    if text in _ALIASES:
        return _ALIASES[text]
    for pattern, cls in _KEYWORDS:
        if pattern.search(text):
            return cls
    return "other"


def normalise_classes(label: object) -> str:
    """:func:`normalise_class` for a ';'-joined cell, first-seen order, no duplicates.

    >>> normalise_classes("cruise missile; combat drone;drone;Cruise Missile")
    'cruise missile;attack drone;unspecified drone'
    """
    out: list[str] = []
    for part in str(label or "").split(";"):
        cls = normalise_class(part)
        if cls and cls not in out:
            out.append(cls)
    return ";".join(out)


def family_of(cls: str) -> str:
    """The family slug of a vocabulary class (labels are normalised first).

    >>> family_of("loitering munition"), family_of("MLRS"), family_of("")
    ('drones', 'artillery', '')
    """
    if not cls:
        return ""
    known = cls if cls in _FAMILY_OF else normalise_class(cls)
    return _FAMILY_OF.get(known, "")


def is_family(value: str) -> bool:
    """True for a family slug (``drones``), false for a class or anything else."""
    return value in FAMILIES


def expand_class_filter(values: Iterable[str]) -> set[str]:
    """Classes selected by a class filter: a family slug selects all its members.

    >>> sorted(expand_class_filter(["bombs", "cruise missile"]))
    ['cruise missile', 'guided bomb', 'unguided bomb', 'unspecified bomb']
    """
    out: set[str] = set()
    for value in values:
        if value in FAMILIES:
            out.update(FAMILIES[value])
        elif value:
            out.add(value)
    return out


def class_key(value: str) -> str:
    """The message id of a class or family label: ``class.cruise_missile``, ``family.drones``."""
    if value in FAMILIES:
        return f"family.{value}"
    return "class." + value.replace(" ", "_")


def class_label(value: str, lang: str = "en") -> str:
    """A class or family as readers of ``lang`` call it; stored values stay English.

    English: the class itself (the vocabulary is English) and the family's label. A value
    outside the vocabulary (an old store, a link) is shown as it is.

    >>> class_label("cruise missile", "uk"), class_label("drones", "uk")
    ('крилата ракета', 'Дрони')
    >>> class_label("cruise missile"), class_label("bombs"), class_label("zeppelin", "uk")
    ('cruise missile', 'Bombs', 'zeppelin')
    """
    if value in FAMILIES:
        return translate(class_key(value), lang) if lang != "en" else FAMILY_LABELS[value]
    if value in _FAMILY_OF and lang != "en":
        return translate(class_key(value), lang)
    return value


def class_choices() -> list[str]:
    """Filter choices in display order: each family slug, then its member classes."""
    out: list[str] = []
    for family, members in FAMILIES.items():
        out.append(family)
        out.extend(members)
    return out
