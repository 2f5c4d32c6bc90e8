"""The legend's content (geo/map_legend.py) and the JSON the map's phone legend is fed
(geo/maps.legend_json): translated, the origins drawn, and data text kept as text."""

from __future__ import annotations

import json

import pandas as pd
from jinja2 import Template

from geo.map_legend import legend_data
from geo.mapplan import MapPlan
from geo.maps import legend_json

HOSTILE = "<img src=x onerror=alert(1)>{{ 7*7 }}{% for x in range(3) %}R{% endfor %}{#c#}"


def plan_of(groups: list[str], certainty: str = "stated") -> MapPlan:
    points = pd.DataFrame({"drawn": groups, "certainty": [certainty] * len(groups)})
    return MapPlan(mode="points", points=points, grid=pd.DataFrame(), areas=pd.DataFrame(),
                   kinds={"point": len(groups), "area": 0, "none": 4}, zoom=6)


def origin_texts(data: dict) -> list[str]:
    return [row["text"] for row in data["sections"][0]["rows"]]


def test_legend_lists_the_drawn_origins_in_english_and_ukrainian():
    plan = plan_of(["PRK", "RUS;PRK"])
    en, uk = legend_data(plan, "likely", "en"), legend_data(plan, "likely", "uk")
    assert origin_texts(en) == ["North Korea (PRK)",
                                "Russia / North Korea (RUS/PRK) — ambiguous"]
    assert origin_texts(uk)[0] == "КНДР (PRK)"
    assert (en["button"], uk["button"]) == ("Legend", "Легенда")
    assert en["sections"][1]["foot"][1] == "likely" and uk["sections"][1]["foot"][1] == "ймовірно"
    assert "2 point events" in en["counts"] and "4" in en["counts"]
    # Certainty styles not drawn on this map are greyed: only "stated" is used here.
    muted = {row["text"]: row["muted"] for row in en["sections"][1]["rows"]}
    assert muted["stated by the source or catalogue"] is False
    assert muted["possible: inferred, weaker evidence (dotted)"] is True


def test_phone_legend_has_the_short_wording():
    plan = plan_of(["PRK"])
    long, short = legend_data(plan, None, "en"), legend_data(plan, None, "en", short=True)
    badge = [d["sections"][3]["rows"][0]["text"] for d in (long, short)]
    assert badge[1] == "events sharing one spot: tap to spread them out"
    assert len(badge[1]) < len(badge[0])
    assert short["sections"][1]["foot"] == ["Filter certainty:", "possible", ""]


def test_no_mapped_events_says_so():
    assert origin_texts(legend_data(plan_of([]), "stated", "en")) == ["No mapped events"]


def test_phone_legend_json_keeps_hostile_text_as_text_and_is_jinja_inert():
    text = legend_json(plan_of(["PRK", HOSTILE]), "possible", "en")
    for pattern in ("{{", "{%", "{#", "<img", "</"):
        assert pattern not in text, pattern
    assert Template(text).render() == text  # a template finds nothing to evaluate
    # The browser gets the very text (set with textContent: shown as written, not run).
    assert f"{HOSTILE} ({HOSTILE})" in origin_texts(json.loads(text))
