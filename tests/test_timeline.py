import html
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import vl_convert

from geo.filters import Filters
from geo.origins import FIXED_COLOURS
from geo.timeline import (
    MAX_STACKS,
    TimelineView,
    brushed_dates,
    build_chart,
    choose_bin,
    default_measure,
    origin_totals,
    parse_timeline_query,
    shape,
    stack_counts,
    timeline_query,
)
from tests.conftest import make_events

ROOT = Path(__file__).resolve().parents[1]


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


# ---- stacks, axes and the page's link (issues 9 and 12) -------------------------------------
def test_parse_timeline_query_keeps_good_values_and_notes_bad_ones():
    view, notes = parse_timeline_query({"per": ["month"], "show": "launched",
                                        "stack": "origin-family"})
    assert view == TimelineView(per="month", show="launched", stack="origin-family")
    assert notes == []
    assert timeline_query(view) == {"per": "month", "show": "launched", "stack": "origin-family"}
    view, notes = parse_timeline_query({"per": "fortnight", "show": "<b>x</b>", "stack": "zz"})
    assert view == TimelineView()
    assert len(notes) == 3 and "per='fortnight'" in notes[0] and "day, week, month" in notes[0]


def test_stacks_by_family_split_drones_from_missiles_and_add_up(store):
    store.upsert(make_events([
        {"event_date": "2024-01-02", "event_type": "attack", "weapon_origin": "IRN",
         "weapon_class": "loitering munition", "weapon_model": "Shahed-136", "launched": 40},
        {"event_date": "2024-01-02", "event_type": "attack", "weapon_origin": "RUS",
         "weapon_class": "cruise missile", "weapon_model": "Kh-101", "launched": 6},
        {"event_date": "2024-02-10", "event_type": "attack", "weapon_origin": "RUS",
         "weapon_class": "attack drone", "weapon_model": "Lancet", "launched": 3},
        {"event_date": "2024-02-11", "event_type": "impact", "weapon_origin": ""},
    ]))
    frame = stack_counts(store, Filters(), "month", "origin-family")
    data = shape(frame, "launched", "month", "origin-family")
    got = {(str(r.period)[:7], r.label): r.value for r in data.itertuples()}
    assert got == {("2024-01", "Iran (IRN) · drones"): 40.0,
                   ("2024-01", "Russia (RUS) · missiles"): 6.0,
                   ("2024-02", "Russia (RUS) · drones"): 3.0}
    by_family = stack_counts(store, Filters(), "month", "family")
    assert by_family["events"].sum() == 4  # every event once, whatever the stack
    assert set(shape(by_family, "events", "month", "family")["label"]) == {
        "Drones", "Missiles", "Class not stated"}
    # Mostly attack reports: the page shows weapons launched, not rows.
    assert default_measure(store.timeline(Filters(), "month")) == "launched"


def test_many_stacks_fold_into_other():
    rows = [{"period": "2024-01-01", "key": f"M{i}", "events": 10 - i, "launched": None,
             "destroyed": None, "launched_known": None, "reports": 0} for i in range(12)]
    data = shape(pd.DataFrame(rows), "events", "month", "model")
    assert len(set(data["label"])) == MAX_STACKS and "Other" in set(data["label"])
    assert data["value"].sum() == sum(10 - i for i in range(12))


def test_count_axis_has_whole_ticks_and_dates_name_the_year(store, sample_events):
    store.upsert(sample_events)
    spec = build_chart(store.timeline(Filters(), "month"), "events", "month").to_dict()
    y, x = spec["encoding"]["y"]["axis"], spec["encoding"]["x"]["axis"]
    assert y["format"] == ",d" and y["tickMinStep"] == 1  # no 0.5, 1.5, 2.5 ticks
    assert x["format"] == "%b %Y" and x["labelOverlap"] == "greedy"
    assert x["labelSeparation"] >= 8  # no "November December 2025"


def test_timeline_page_reopens_its_link_and_notes_bad_values(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("SALVO_STORE", str(tmp_path / "tl.duckdb"))
    monkeypatch.setenv("SALVO_SEED_BUNDLED", "true")
    monkeypatch.delenv("SALVO_AUTH_ROLES", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in {"per": "month", "show": "launched", "stack": "origin-family",
                       "origin": "PRK"}.items():
        at.query_params[key] = value
    at.switch_page("pages/2_Timeline.py")
    at.session_state["exp_link_timeline"] = True  # the Copy link block opened
    at.run()
    assert not at.exception, at.exception
    assert at.radio(key="tl_bin").value == "month"
    assert at.radio(key="tl_measure").value == "launched"
    assert at.selectbox(key="tl_stack").value == "origin-family"
    link = next(c.value for c in at.code if "origin=PRK" in c.value)
    assert "per=month" in link and "show=launched" in link and "stack=origin-family" in link
    at.radio(key="tl_bin").set_value("week").run()
    assert at.query_params["per"] in ("week", ["week"])  # the address bar follows

    bad = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    bad.query_params["per"] = "fortnight"
    bad.switch_page("pages/2_Timeline.py")
    bad.run()
    assert not bad.exception, bad.exception
    assert any("per='fortnight'" in w.value for w in bad.warning)
    assert bad.radio(key="tl_bin").value in ("day", "week", "month")


def test_app_chart_in_ukrainian_has_ukrainian_axes_stacks_and_month_names(store, sample_events):
    """The app's own chart was English with lang=uk ("Weapons launched", "Month starting",
    "May 2023") while the page around it was Ukrainian."""
    store.upsert(sample_events)
    frame = stack_counts(store, Filters(), "month", "origin-family")
    spec = build_chart(frame, "events", "month", stack="origin-family", lang="uk").to_dict()
    enc = spec["encoding"]
    assert enc["x"]["title"] == "Місяць" and enc["y"]["title"] == "Події"
    assert enc["color"]["title"] == "Країна розробки · група класів"
    assert "КНДР (PRK) · ракети" in enc["color"]["scale"]["domain"]
    locale = spec["config"]["locale"]
    assert locale["time"]["shortMonths"][4] == "трав." and locale["number"]["thousands"] == "\xa0"
    english = build_chart(frame, "events", "month", stack="origin-family").to_dict()
    assert english["encoding"]["x"]["title"] == "Month starting"
    assert "North Korea (PRK) · missiles" in english["encoding"]["color"]["scale"]["domain"]
    assert "locale" not in english.get("config", {})


def test_phone_chart_shortens_its_y_title_regression_title_ran_off_the_top(store, sample_events):
    """On a phone Streamlit squeezes the plot to ~120 px and "Запущено засобів ураження"
    ran off the top of the chart, cut mid-word; now Vega shortens it to the plot's height."""
    store.upsert(sample_events)
    frame = stack_counts(store, Filters(), "month", "origin-family")

    def y_title(plot_height: int) -> str:
        spec = build_chart(frame, "launched", "month", stack="origin-family", lang="uk").to_dict()
        spec["width"], spec["height"] = 360, plot_height  # as Streamlit sizes it
        svg = vl_convert.vegalite_to_svg(spec)
        titles = re.findall(r'<g class="mark-text role-axis-title"[^>]*>.*?<text[^>]*>([^<]*)<',
                            svg, flags=re.S)
        return html.unescape(titles[1])  # x axis first, then y

    assert y_title(110).endswith("…") and y_title(110).startswith("Запущено")
    assert y_title(320) == "Запущено засобів ураження"
