"""The canonical row: attribution columns (issue 9) validated and written one way."""

from __future__ import annotations

import doctest

import pytest

import geo.schema
from geo.schema import (
    ATTRIBUTION_COLUMNS,
    COLUMNS,
    RowError,
    format_candidates,
    normalise_row,
    parse_candidates,
)

BASE = {"event_id": "x1", "event_date": "2024-01-02", "event_type": "impact"}


def test_attribution_columns_follow_verification_in_order():
    tail = COLUMNS[COLUMNS.index("verification") + 1:]
    assert tail == ATTRIBUTION_COLUMNS == ("weapon_supplier", "class_candidates",
                                           "origin_candidates", "supplier_candidates",
                                           "attribution")


def test_weapon_class_is_normalised_into_the_vocabulary():
    row = normalise_row({**BASE, "weapon_class": "surface-to-air missile used against ground "
                                                 "targets;anti-air missile;MLRS"})
    assert row["weapon_class"] == "surface-to-air missile;rocket artillery"


def test_supplier_is_a_list_of_alpha3_codes():
    assert normalise_row({**BASE, "weapon_supplier": "rus; irn;RUS"})["weapon_supplier"] == \
        "RUS;IRN"
    with pytest.raises(RowError) as err:
        normalise_row({**BASE, "weapon_supplier": "Russia"})
    assert err.value.field == "weapon_supplier"


def test_candidates_are_rewritten_canonically():
    row = normalise_row({**BASE, "origin_candidates": "rus:0.3; IRN:0.7",
                         "class_candidates": "attack drone:0.5;cruise missile:0.5",
                         "supplier_candidates": ""})
    assert row["origin_candidates"] == "IRN:0.70;RUS:0.30"
    assert row["class_candidates"] == "attack drone:0.50;cruise missile:0.50"
    assert row["supplier_candidates"] == ""


@pytest.mark.parametrize("field, text, reason", [
    ("class_candidates", "drones:1", "not a weapon class"),  # a family is never a candidate
    ("class_candidates", "combat drone:1", "not a weapon class"),
    ("origin_candidates", "Iran:1", "alpha-3"),
    ("origin_candidates", "IRN:0.5;RUS:0.2", "sum to 0.70"),
    ("origin_candidates", "IRN:1.5;RUS:-0.5", "between 0 and 1"),
    ("origin_candidates", "IRN:0.5;irn:0.5", "twice"),
    ("supplier_candidates", "RUS", "value:share"),
    ("supplier_candidates", "RUS:lots", "not a number"),
    ("supplier_candidates", "RUS:nan", "not a number"),
])
def test_bad_candidates_name_the_field(field, text, reason):
    with pytest.raises(RowError) as err:
        normalise_row({**BASE, field: text})
    assert err.value.field == field
    assert reason in err.value.reason


def test_rounding_tolerance_is_one_hundredth():
    assert normalise_row({**BASE, "origin_candidates": "IRN:0.33;RUS:0.33;PRK:0.33"})[
        "origin_candidates"] == "IRN:0.34;PRK:0.33;RUS:0.33"
    with pytest.raises(RowError):
        normalise_row({**BASE, "origin_candidates": "IRN:0.33;RUS:0.33;PRK:0.32"})


def test_format_candidates_sums_to_one_and_sorts_highest_first():
    for weights in ([1, 1, 1], [1, 2, 3, 4, 5, 6, 7], [0.001, 5, 5], [1] * 30):
        text = format_candidates((f"C{i:02d}", w) for i, w in enumerate(weights))
        pairs = parse_candidates(text)
        shares = [s for _, s in pairs]
        assert abs(sum(shares) - 1) < 1e-9
        assert shares == sorted(shares, reverse=True)
        assert all(s > 0 for s in shares)
    assert format_candidates([("IRN", 0.0), ("RUS", 0.0)]) == ""
    assert format_candidates([("IRN", 0.2), ("IRN", 0.2), ("RUS", 0.6)]) == "RUS:0.60;IRN:0.40"


def test_attribution_is_one_line():
    row = normalise_row({**BASE, "attribution": " text: 'Shahed'\n · reports:  x "})
    assert row["attribution"] == "text: 'Shahed' · reports: x"


def test_doctests():
    assert doctest.testmod(geo.schema).failed == 0
