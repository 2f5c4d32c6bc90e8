from datetime import date

import pytest

from geo.filters import Filters
from geo.origins import FIXED_COLOURS
from geo.timeline import brushed_dates, build_chart, choose_bin, origin_totals, shape


def test_choose_bin_keeps_bars_readable():
    assert choose_bin(date(2024, 1, 1), date(2024, 2, 1)) == "day"
    assert choose_bin(date(2023, 1, 1), date(2024, 12, 1)) == "week"
    assert choose_bin(date(2022, 1, 1), date(2026, 1, 1)) == "month"


@pytest.mark.parametrize("measure", ["events", "launched", "destroyed_share"])
def test_chart_spec_has_brush_and_fixed_colours(store, sample_events, measure):
    store.upsert(sample_events)
    frame = store.timeline(Filters(), "week")
    spec = build_chart(frame, measure, "week").to_dict()
    assert spec["params"][0]["name"] == "brush"
    scale = spec["encoding"]["color"]["scale"]
    if "North Korea (PRK)" in scale["domain"]:
        assert scale["range"][scale["domain"].index("North Korea (PRK)")] == FIXED_COLOURS["PRK"]


def test_share_destroyed_uses_attack_reports_only(store, sample_events):
    store.upsert(sample_events)
    data = shape(store.timeline(Filters(), "month"), "destroyed_share")
    assert list(data["value"]) == [0.5]  # 2 of 4 for the one report with both counts


def test_origin_totals(store, sample_events):
    store.upsert(sample_events)
    assert origin_totals(store.timeline(Filters(), "month")) == {
        "PRK": 3, "IRN": 1, "RUS;PRK": 1, "unknown": 1}


@pytest.mark.parametrize("selection, expected", [
    ({"brush": {"yearmonthdate_period": [1704067200000, 1706659200000]}},
     (date(2024, 1, 1), date(2024, 1, 31))),
    ({"brush": {"period": ["2024-02-01T00:00:00", "2024-01-01"]}},
     (date(2024, 1, 1), date(2024, 2, 1))),
    ({"brush": {}}, None), ({}, None), (None, None), ({"brush": {"x": [1]}}, None),
    ({"brush": {"x": ["nope", "x"]}}, None),
])
def test_brushed_dates(selection, expected):
    assert brushed_dates(selection) == expected
