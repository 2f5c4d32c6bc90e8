"""Duplicate linking: within a file and across sources; rows are never dropped."""

from __future__ import annotations

from geo.importers.dedupe import find_cross_source_duplicates, find_in_file_duplicates
from tests.conftest import make_events

STRIKE = {"event_type": "impact", "geo_precision": "exact", "country": "UKR",
          "weapon_class": "ballistic missile", "weapon_model": "Iskander-M",
          "weapon_origin": "RUS", "origin_basis": "inferred"}


def ev(event_id, date, lat, lon, dataset, **extra):
    return {**STRIKE, "event_id": event_id, "event_date": date, "latitude": lat,
            "longitude": lon, "source_dataset": dataset, "admin1": "UA-63",
            "location": extra.pop("location", "Kharkiv"), **extra}


def test_same_incident_from_two_sources_is_linked():
    new = make_events([ev("acled:1", "2024-05-25", 49.9935, 36.2304, "acled")])
    stored = make_events([
        ev("cir:9", "2024-05-24", 50.0020, 36.2400, "eyes-on-russia-cir"),      # 1 day, ~1 km
        ev("cir:10", "2024-05-22", 49.9935, 36.2304, "eyes-on-russia-cir"),     # 3 days
        ev("cir:11", "2024-05-25", 49.9935, 36.2304, "eyes-on-russia-cir",
           weapon_class="loitering munition"),                                   # other class
        ev("cir:12", "2024-05-25", 49.0, 37.5, "eyes-on-russia-cir",
           location="Sloviansk"),                                                # far away
        ev("acled:2", "2024-05-25", 49.9935, 36.2304, "acled"),                  # same source
    ])
    links = find_cross_source_duplicates(new, stored)
    assert [(a, b) for a, b, _ in links] == [("acled:1", "cir:9")]
    reason = links[0][2]
    assert "1 day apart" in reason and "km apart" in reason and "ballistic missile" in reason


def test_same_settlement_links_even_when_points_differ():
    new = make_events([ev("ucdp:5", "2024-05-25", 49.9935, 36.2304, "ucdp-ged",
                          geo_precision="settlement")])
    stored = make_events([ev("x:1", "2024-05-25", 49.93, 36.40, "other",
                             geo_precision="settlement")])                       # ~14 km
    links = find_cross_source_duplicates(new, stored)
    assert len(links) == 1 and "same settlement 'Kharkiv'" in links[0][2]


def test_oblast_level_rows_and_reimports_are_not_links():
    new = make_events([ev("a:1", "2024-05-25", 49.9935, 36.2304, "a", geo_precision="oblast")])
    stored = make_events([ev("b:1", "2024-05-25", 49.9935, 36.2304, "b",
                             geo_precision="oblast")])
    assert find_cross_source_duplicates(new, stored) == []
    same = make_events([ev("a:1", "2024-05-25", 49.9935, 36.2304, "a")])
    assert find_cross_source_duplicates(same, same.assign(source_dataset="b")) == []
    assert find_cross_source_duplicates(same.iloc[0:0], same) == []


def test_unknown_weapon_class_only_matches_unknown():
    bare = {"weapon_class": "", "weapon_model": "", "weapon_origin": "",
            "origin_basis": "unknown"}
    new = make_events([ev("a:1", "2024-05-25", 49.9935, 36.2304, "a", **bare)])
    stored = make_events([ev("b:1", "2024-05-25", 49.9935, 36.2304, "b", **bare),
                          ev("b:2", "2024-05-25", 49.9935, 36.2304, "b")])
    links = find_cross_source_duplicates(new, stored)
    assert [(a, b) for a, b, _ in links] == [("a:1", "b:1")]
    assert "both without a weapon class" in links[0][2]


def test_in_file_links_need_the_same_text():
    events = make_events([
        ev("f:1", "2024-05-25", 49.9935, 36.2304, "f", description="Missile hit a mall"),
        ev("f:2", "2024-05-25", 49.9936, 36.2305, "f", description="Missile hit a mall."),
        ev("f:3", "2024-05-25", 49.9935, 36.2304, "f", description="Strike on a printing house"),
        ev("f:4", "2024-05-26", 49.9935, 36.2304, "f", description="Missile hit a mall"),
        ev("f:5", "2024-05-25", 49.9935, 36.2304, "f", description="3 killed by a strike"),
        ev("f:6", "2024-05-25", 49.9935, 36.2304, "f", description="5 killed by a strike"),
    ])
    links = find_in_file_duplicates(events)
    assert [(a, b) for a, b, _ in links] == [("f:2", "f:1")]
    assert links[0][2].startswith("in the same file: same day")


def test_links_against_what_the_store_returns(store):
    from geo.filters import Filters

    store.upsert(make_events([ev("cir:9", "2024-05-24", 50.0020, 36.2400, "eyes-on-russia-cir"),
                              ev("cir:10", "2024-06-30", 50.0020, 36.2400,
                                 "eyes-on-russia-cir")]))
    new = make_events([ev("acled:1", "2024-05-25", 49.9935, 36.2304, "acled")])
    existing = store.events(Filters())
    assert [(a, b) for a, b, _ in find_cross_source_duplicates(new, existing)] == [
        ("acled:1", "cir:9")]
