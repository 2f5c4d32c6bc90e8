"""geo.importers.countries: names and codes in the languages sources use → alpha-3."""

from __future__ import annotations

import pytest

from geo.importers.countries import country_code


@pytest.mark.parametrize(("text", "code"), [
    ("Ukraine", "UKR"), ("UA", "UKR"), ("ukr", "UKR"), ("Україна", "UKR"), ("Ucraina", "UKR"),
    ("Украина", "UKR"), ("Russia", "RUS"), ("Russian Federation", "RUS"),
    ("Російська Федерація", "RUS"), ("Russia (Soviet Union)", "RUS"), ("365", "RUS"),
    ("Belaurs", "BLR"), ("Bielorussia", "BLR"), ("Moldova", "MDA"), ("Türkiye", "TUR"),
    ("Turkey", "TUR"), ("Iran", "IRN"), ("North Korea", "PRK"), ("Polska", "POL"),
    ("  Crimea ", "UKR"),
])
def test_country_names_in_many_languages(text, code):
    assert country_code(text) == code


@pytest.mark.parametrize("text", ["", "Kursk Oblast", "Other (type name in cell)", "Donbass",
                                  "Nigeria?"])
def test_no_fuzzy_guesses(text):
    assert country_code(text) == ""


def test_the_shared_cir_countries_resolve():
    values = ["Ukraine", "Russia", "Belarus", "Moldova", "Crimea", "Belaurs", "Russa",
              "ukrain", "ukraine", "Serbia"]
    assert [country_code(v) for v in values] == ["UKR", "RUS", "BLR", "MDA", "UKR", "BLR",
                                                 "RUS", "UKR", "UKR", "SRB"]
