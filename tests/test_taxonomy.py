"""The weapon taxonomy: every label in real files lands in the vocabulary."""

from __future__ import annotations

import csv
import re

import pytest

from geo.settings import DATA_DIR
from geo.taxonomy import (
    CLASSES,
    FAMILIES,
    class_choices,
    class_label,
    expand_class_filter,
    family_of,
    normalise_class,
    normalise_classes,
)


def test_families_partition_the_classes():
    members = [c for ms in FAMILIES.values() for c in ms]
    assert len(members) == len(set(members)) == len(CLASSES)
    assert all(c == c.lower() for c in CLASSES)
    assert set(FAMILIES) == {"drones", "missiles", "bombs", "artillery", "other"}


@pytest.mark.parametrize("label, expected", [
    ("combat drone", "attack drone"),
    ("anti-radiation missile", "air-to-surface missile"),
    ("surface-to-air missile used against ground targets", "surface-to-air missile"),
    ("Anti-air missile", "surface-to-air missile"),  # Bellingcat's "Weapon System"
    ("artillery rocket", "rocket artillery"),
    ("MLRS", "rocket artillery"),
    ("Multiple launch rocket system", "rocket artillery"),
    ("drone", "unspecified drone"),
    ("UAV", "unspecified drone"),
    ("Shelling", "unspecified artillery"),
    ("Cluster munitions", "other"),
    ("intercontinental ballistic missile", "ballistic missile"),
    ("Loitering  Munition", "loitering munition"),
    ("glide bomb", "guided bomb"),
    ("aerial bomb", "unspecified bomb"),
    ("Unknown", ""),
    ("", ""),
    ("thermobaric something", "other"),
])
def test_normalise_class_maps_source_labels(label, expected):
    assert normalise_class(label) == expected


def test_every_bundled_class_label_is_in_the_vocabulary():
    # The catalogue's and the bundled events' own labels, as the files hold them now.
    labels = set()
    for name in ("weapons.csv", "events.csv"):
        with open(DATA_DIR / name, encoding="utf-8-sig", newline="") as handle:
            labels |= {row["weapon_class"] for row in csv.DictReader(handle)}
    for label in labels:
        for part in label.split(";"):
            if part.strip():
                assert normalise_class(part) in CLASSES, part


def test_two_labels_for_one_thing_become_one_class():
    # Regression (issue 9): Bellingcat's "anti-air missile" and the catalogue's
    # "surface-to-air missile used against ground targets" were two classes.
    assert normalise_class("anti-air missile") == normalise_class(
        "surface-to-air missile used against ground targets")


def test_family_of_and_drones_select_shaheds():
    assert family_of("loitering munition") == "drones"
    assert family_of("combat drone") == "drones"
    assert family_of("mortar") == "artillery"
    assert family_of("not in attack reports") == "other"
    assert "loitering munition" in expand_class_filter(["drones"])


def test_expand_class_filter_keeps_plain_classes():
    assert expand_class_filter(["cruise missile"]) == {"cruise missile"}
    assert expand_class_filter([]) == set()
    assert expand_class_filter(["drones", "mortar"]) == set(FAMILIES["drones"]) | {"mortar"}


def test_normalise_classes_joins_several():
    assert normalise_classes("MLRS;artillery rocket; drone") == "rocket artillery;unspecified drone"
    assert normalise_classes("") == ""


def test_class_choices_list_families_before_their_members():
    choices = class_choices()
    assert choices[0] == "drones" and choices[1] == "loitering munition"
    assert set(choices) == set(CLASSES) | set(FAMILIES)


def test_doctests():
    import doctest

    import geo.taxonomy

    assert doctest.testmod(geo.taxonomy).failed == 0


CYRILLIC = re.compile(r"[А-Яа-яІіЇїЄєҐґ]")


def test_every_class_and_family_has_a_ukrainian_label():
    for value in (*CLASSES, *FAMILIES):
        label = class_label(value, "uk")
        assert CYRILLIC.search(label) and label != value, value
    assert len({class_label(c, "uk") for c in CLASSES if c != "other"}) == len(CLASSES) - 1
    assert class_label("guided bomb", "uk") == "керована авіабомба"
    assert class_label("loitering munition", "uk") == "баражуючий боєприпас"
    # English shows the class as stored ("other" is a family slug too: its label "Other").
    assert [class_label(c) for c in CLASSES if c != "other"] == [c for c in CLASSES
                                                                 if c != "other"]
