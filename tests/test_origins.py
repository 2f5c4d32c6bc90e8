"""The origin palette stays readable for colour-blind readers; certainty is never hidden.

Colour-vision deficiency is simulated with the matrices of Machado, Oliveira & Fernandes
(2009, "A Physiologically-based Model for Simulation of Color Vision Deficiency", IEEE TVCG
15(6)), severity 1.0, applied in linear sRGB; distances are CIELAB ΔE*ab (D65).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from geo.origins import (
    CERTAINTIES,
    CERTAINTY_STYLES,
    FIXED_COLOURS,
    certainty_of,
    drawn_group,
    origin_colour,
    origin_label,
    symbol_style,
)

MACHADO = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}
VISIONS = [None, *MACHADO]
MIN_DELTA_E = 25       # clearly different symbols on a map (≈ 2.3 is "just noticeable")
BASEMAP = "#E9E9E4"    # the offline oblast fill


def _linear(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ np.clip(linear, 0, 1)
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > 0.008856, np.cbrt(t), 7.787 * t + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a: str, b: str, vision: str | None = None) -> float:
    la, lb = _linear(a), _linear(b)
    if vision:
        m = np.array(MACHADO[vision])
        la, lb = m @ la, m @ lb
    return float(np.linalg.norm(_lab(la) - _lab(lb)))


def test_simulator_matches_the_published_behaviour():
    # Red and green, distinct to normal vision, collapse under deuteranopia: the trap the
    # old palette (#d62728 vs #2ca02c) fell into.
    assert delta_e("#D62728", "#2CA02C") > 70
    assert delta_e("#D62728", "#2CA02C", "deuteranopia") < 20
    # Identity: a colour is at distance 0 from itself in every vision.
    assert all(delta_e("#0072B2", "#0072B2", v) == pytest.approx(0) for v in VISIONS)


@pytest.mark.parametrize("vision", VISIONS)
def test_russia_iran_north_korea_stay_apart(vision):
    main = [FIXED_COLOURS[c] for c in ("RUS", "IRN", "PRK")]
    for a, b in itertools.combinations(main, 2):
        assert delta_e(a, b, vision) >= MIN_DELTA_E, (a, b, vision)


@pytest.mark.parametrize("vision", VISIONS)
def test_every_fixed_colour_differs_from_the_others_and_the_basemap(vision):
    colours = list(FIXED_COLOURS.values())
    for a, b in itertools.combinations(colours, 2):
        assert delta_e(a, b, vision) >= 20, (a, b, vision)
    for colour in colours:
        assert delta_e(colour, BASEMAP, vision) >= 20, (colour, vision)


def test_ambiguous_group_never_looks_like_a_stated_one():
    stated = symbol_style("PRK", certainty_of("PRK", "reported"))
    both = symbol_style("RUS;PRK", certainty_of("RUS;PRK", "ambiguous"))
    assert certainty_of("RUS;PRK", "ambiguous") == "ambiguous"
    assert certainty_of("RUS;PRK", "catalogue") == "ambiguous"  # two codes: never stated
    # Two colours on one symbol: Russia's fill inside a North-Korea ring.
    assert (both["fill"], both["ring"]) == (origin_colour("RUS"), origin_colour("PRK"))
    assert both["ring"] != stated["ring"] and both["weight"] > 2 * stated["weight"]
    assert origin_label("RUS;PRK") != origin_label("PRK")


def test_inferred_origins_are_hollow_and_dashed():
    stated = symbol_style("PRK", "stated")
    for certainty in ("likely", "possible"):
        style = symbol_style("PRK", certainty)
        assert style["dash"] and not stated["dash"]
        assert style["fill_opacity"] <= stated["fill_opacity"] / 3
    assert symbol_style("PRK", "likely")["dash"] != symbol_style("PRK", "possible")["dash"]


@pytest.mark.parametrize("group,basis,candidates,expected", [
    ("PRK", "catalogue", "", "stated"),
    ("PRK", "reported", "PRK:1.0", "stated"),
    ("PRK", "inferred", "PRK:0.5;RUS:0.5", "likely"),
    ("PRK", "inferred", "PRK:0.4;RUS:0.35;IRN:0.25", "possible"),
    ("PRK", "inferred", "RUS:0.6;PRK:0.4", "possible"),  # the drawn origin is not the top one
    ("PRK", "inferred", "", "possible"),
    ("PRK", "unknown", "", "possible"),
    ("RUS;PRK", "ambiguous", "", "ambiguous"),
    ("unknown", "unknown", "", "unknown"),
    ("unknown", "unknown", "IRN:0.8;RUS:0.2", "likely"),
    ("unknown", "unknown", "IRN:0.3;RUS:0.3;PRK:0.4", "possible"),
    ("unknown", "unknown", "garbage", "unknown"),
])
def test_certainty_follows_the_filter_rules(group, basis, candidates, expected):
    assert certainty_of(group, basis, candidates) == expected


def test_an_origin_taken_from_candidates_gets_the_candidates_colour():
    assert drawn_group("unknown", "IRN:0.8;RUS:0.2") == "IRN"
    assert drawn_group("PRK", "IRN:0.8") == "PRK"  # the event's own field wins
    assert drawn_group("unknown", "") == "unknown"


def test_every_certainty_has_a_style_and_a_label():
    assert set(CERTAINTY_STYLES) == set(CERTAINTIES)
    assert all(style["label"] for style in CERTAINTY_STYLES.values())
    assert len({(s["fill_opacity"], s["dash"], s["weight"]) for s in
                CERTAINTY_STYLES.values() if s["ring"] != "outline"}) == 3
