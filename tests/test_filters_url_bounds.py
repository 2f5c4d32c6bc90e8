"""Issue 14, item 8: a 100,000-character link parameter loads, bounded, with a clear note."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from geo.filters import MAX_TEXT, MAX_VALUES, bound_query, parse_query
from tests.test_pages import ROOT

KEYS = ["from", "to", "origin", "class", "model", "type", "oblast", "q", "lat", "lon", "zoom",
        "event", "supplier", "certainty", "x" * 300]


def test_hundred_thousand_character_q_loads_with_a_note():
    parsed = parse_query({"q": "a" * 100_000})
    assert parsed.filters.q == "a" * MAX_TEXT
    assert parsed.notes[0] == ("The link was too long: shortened q to 2,000 characters.")


def test_thousands_of_values_in_one_parameter_give_one_note_not_thousands():
    parsed = parse_query({"origin": ",".join(["zz9"] * 3000), "model": "m" * 100_000})
    assert parsed.filters.origins == () and parsed.filters.models == ()
    assert parsed.notes[0].startswith("The link was too long: shortened origin, model to "
                                      "2,000 characters and kept the first 50 values of origin")
    assert len(parsed.notes) <= 1 + MAX_VALUES + 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=20),
                       st.lists(st.text(max_size=3000) | st.just("a," * 4000), max_size=4)
                       | st.text(max_size=5000), max_size=8))
def test_every_url_parameter_is_bounded(params):
    notes: list[str] = []
    bounded = bound_query(params, notes, limit=2000)
    for key, values in bounded.items():
        assert sum(len(v) for v in values) <= 2000, key
    parsed = parse_query(params)  # never raises
    assert len(parsed.filters.q) <= MAX_TEXT
    for attr in ("origins", "classes", "models", "types", "oblasts"):
        assert len(getattr(parsed.filters, attr)) <= MAX_VALUES


def test_hostile_link_page_loads_with_a_few_visible_notes(tmp_path, monkeypatch):
    monkeypatch.setenv("SALVO_STORE", str(tmp_path / "url.duckdb"))
    monkeypatch.setenv("SALVO_SEED_BUNDLED", "true")
    monkeypatch.delenv("SALVO_AUTH_ROLES", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params["q"] = "a" * 100_000
    at.query_params["origin"] = ",".join(["x"] * 3000)
    at.run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert 1 <= len(warnings) <= 6
    assert "too long" in warnings[0] and "more notes about this link" in warnings[-1]
