"""geo.importers.coordinates: numbers from text, and the checks on every point."""

from __future__ import annotations

import math

import pytest

from geo.importers.coordinates import parse_coordinate, parse_lat_lon, parse_point, settle_points
from geo.schema import RowError


@pytest.mark.parametrize(("text", "value"), [
    ("50.45", 50.45), ("50,45", 50.45), (" 49.9 ", 49.9), ("50.45 N", 50.45),
    ("30°31'12\"E", 30 + 31 / 60 + 12 / 3600), ("\u221230.5", -30.5), ("", None),
])
def test_parse_coordinate(text, value):
    got = parse_coordinate(text)
    assert got == value if value is None else math.isclose(got, value)


@pytest.mark.parametrize("text", ["inf", "nan", "fifty", "50°61'N"])
def test_parse_coordinate_refuses_what_is_not_a_coordinate(text):
    with pytest.raises(ValueError):
        parse_coordinate(text)


def test_points_in_one_cell_and_wkt():
    assert parse_point("50.45, 30.52") == (50.45, 30.52)
    assert parse_point("POINT (30.52 50.45)") == (50.45, 30.52)
    with pytest.raises(RowError) as err:
        parse_lat_lon("50.4", "east")
    assert err.value.field == "longitude"


def test_settle_points_rejects_swaps_and_places():
    points = settle_points([(0, 0), (50.0, 50.0), (36.23, 49.99), (49.99, 36.23), (None, 30.0),
                            (95.0, 30.0)])
    assert points.problems[0][1].startswith("null island")
    assert points.problems[1][1].startswith("latitude equals longitude")
    assert points.swapped[2] and points.admin1[2] == "UA-63"       # swapped back into Kharkiv
    assert points.admin1[3] == "UA-63" and points.country[3] == "UKR"
    assert points.problems[4] == ("latitude", "only one coordinate given")
    assert points.swapped[5] == "latitude out of range"             # 95, 30 → 30, 95
