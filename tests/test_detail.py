"""Event detail: candidates as small bars, the evidence line and the attack reports used."""

from __future__ import annotations

import re

from geo.escape import for_html
from geo.origins import origin_colour
from tests.fixtures.payloads import HOSTILE
from ui.detail import candidates_bar, report_links


def test_candidates_bar_shows_each_share_in_the_origin_colour():
    bar = candidates_bar("PRK:0.7;RUS:0.3", "origin")
    assert "width:70.0%" in bar and "width:30.0%" in bar
    assert origin_colour("PRK") in bar and origin_colour("RUS") in bar
    assert "North Korea (PRK) 70 %" in bar and "Russia (RUS) 30 %" in bar


def test_class_candidates_use_grey_shades_and_class_names():
    bar = candidates_bar("ballistic missile:0.6;not in attack reports:0.4", "class")
    assert "ballistic missile 60 %" in bar and "not in attack reports 40 %" in bar


def test_no_bar_for_empty_or_malformed_cells():
    for cell in ("", None, float("nan"), "PRK", "PRK:x", ":0.5"):
        assert candidates_bar(cell, "origin") == ""


def test_hostile_candidate_values_stay_text():
    tags = candidates_bar("x:1.0", "class").count("<")
    for payload in HOSTILE:
        value = payload.replace(":", "").replace(";", "")[:60].strip()
        if not value:
            continue
        bar = candidates_bar(f"{value}:1.0", "class")
        assert bar.count("<") == tags, payload  # no markup from the data
        assert for_html(value) in bar


def test_report_days_and_ids_come_from_the_evidence_line():
    line = ("text: 'Shahed' · reports: 2024-01-02 00:00–09:00, Kharkiv: 10 KN-23/Iskander-M "
            "launched, 0 destroyed; 2024-01-01 22:00–23:30, 3 oblasts: 40 Shahed-136 launched")
    ids, days = report_links(line)
    assert ids == [] and days == ["2024-01-02", "2024-01-01"]
    ids, _ = report_links("reports: report salvo-airforce-0042 · report salvo-airforce-0042")
    assert ids == ["salvo-airforce-0042"]
    assert report_links("") == ([], []) and report_links(None) == ([], [])
    # A date in the text part is not a report.
    assert report_links("text: 'attack of 2024-02-03 10:00'") == ([], [])
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", d) for d in days)
