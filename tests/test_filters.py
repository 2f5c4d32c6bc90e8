from datetime import date

import pytest

from geo.filters import Filters, View, describe, parse_query, to_query


@pytest.mark.parametrize("params, expected", [
    ({}, Filters()),
    ({"origin": "PRK"}, Filters(origins=("PRK",))),
    ({"origin": ["PRK", "irn"]}, Filters(origins=("PRK", "IRN"))),
    ({"origin": "PRK,IRN"}, Filters(origins=("PRK", "IRN"))),
    ({"origin": ["PRK", "PRK"]}, Filters(origins=("PRK",))),
    ({"origin": "unknown"}, Filters(origins=("unknown",))),
    ({"from": "2023-12-01", "to": "2024-01-31"},
     Filters(date_from=date(2023, 12, 1), date_to=date(2024, 1, 31))),
    ({"type": ["impact", "ATTACK"]}, Filters(types=("impact", "attack"))),
    ({"oblast": "ua-23"}, Filters(oblasts=("UA-23",))),
    ({"class": "ballistic missile", "model": "KN-23"},
     Filters(classes=("ballistic missile",), models=("KN-23",))),
    ({"q": "  field  "}, Filters(q="field")),
    ({"supplier": "prk"}, Filters(suppliers=("PRK",))),
    ({"supplier": "unknown", "certainty": "stated"},
     Filters(suppliers=("unknown",), certainty="stated")),
    ({"certainty": "LIKELY"}, Filters(certainty="likely")),
    ({"class": "drones"}, Filters(classes=("drones",))),
    ({"class": ["Missiles", "MLRS"]}, Filters(classes=("missiles", "rocket artillery"))),
    # An old link's catalogue label reaches the vocabulary class.
    ({"class": "surface-to-air missile used against ground targets"},
     Filters(classes=("surface-to-air missile",))),
])
def test_parse_query_accepts_valid_values(params, expected):
    parsed = parse_query(params)
    assert parsed.filters == expected
    assert parsed.notes == []


@pytest.mark.parametrize("params", [
    {"from": "abc"}, {"to": "2024-13-45"}, {"origin": "<script>"}, {"origin": "PRKX"},
    {"type": "explosion"}, {"oblast": "UA-999"}, {"oblast": "Kyiv"}, {"lat": "north"},
    {"zoom": "99"}, {"lon": "1e400"}, {"supplier": "North Korea"}, {"certainty": "sure"},
    {"class": "spaceship"},
])
def test_parse_query_ignores_bad_values_with_a_note(params):
    parsed = parse_query(params)
    assert parsed.filters == Filters()
    assert parsed.view == View()
    assert len(parsed.notes) == 1


def test_parse_query_swaps_reversed_dates():
    parsed = parse_query({"from": "2024-02-01", "to": "2024-01-01"})
    assert parsed.filters.date_from == date(2024, 1, 1)
    assert parsed.filters.date_to == date(2024, 2, 1)
    assert "Swapped" in parsed.notes[0]


def test_parse_query_caps_huge_parameter_lists():
    parsed = parse_query({"origin": [f"A{i:02d}"[:3] for i in range(100)] + ["RUS"] * 3})
    assert len(parsed.filters.origins) <= 50


def test_parse_query_never_raises_on_garbage():
    for garbage in ({"from": ["", None]}, {"origin": [1, 2.5]}, {"q": "x" * 10_000},
                    {"event": "e" * 500}, {"zoom": ["3", "x"]}):
        parse_query(garbage)


def test_round_trip_through_the_url():
    f = Filters(date_from=date(2023, 12, 1), date_to=date(2024, 1, 31), origins=("PRK", "IRN"),
                suppliers=("RUS", "unknown"), classes=("ballistic missile", "drones"),
                models=("KN-23",), types=("impact",), oblasts=("UA-23",), q="field",
                certainty="likely")
    v = View(lat=48.5, lon=35.1, zoom=7, event="salvo-curated-0005")
    parsed = parse_query(to_query(f, v))
    assert parsed.filters == f
    assert parsed.view == v
    assert parsed.notes == []


def test_describe_names_every_filter():
    text = describe(Filters(date_from=date(2024, 1, 1), origins=("PRK",), q="x"))
    assert "2024-01-01 – latest" in text and "origin: PRK" in text and 'text: "x"' in text
    assert describe(Filters()) == "all events"


def test_describe_says_the_certainty_of_origin_supplier_and_class_filters():
    text = describe(Filters(suppliers=("PRK",), certainty="stated"))
    assert "supplier: PRK" in text and "certainty: stated" in text
    assert "certainty: possible" in describe(Filters(classes=("drones",)))
    assert "certainty" not in describe(Filters(q="x", certainty="likely"))


def test_default_certainty_stays_out_of_links_and_is_no_filter():
    assert "certainty" not in to_query(Filters(origins=("PRK",)))
    assert to_query(Filters(certainty="stated"))["certainty"] == "stated"
    assert Filters(certainty="stated").is_empty()


def test_text_search_keeps_its_commas_in_links():
    """Regression: q was split on commas like the list parameters, so links lost them."""
    f = Filters(q="Kharkiv, Shevchenkivskyi")
    assert parse_query(to_query(f)).filters.q == "Kharkiv, Shevchenkivskyi"
