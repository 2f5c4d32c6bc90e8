"""Attribution on a store: imports attribute what they store, reruns change nothing,
public-instance settings neither leak nor round what is rewritten."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from geo import cli
from geo.attribution_store import attribute_store, store_events
from geo.filters import Filters
from geo.importers import read_events
from geo.schema import parse_candidates
from tests.conftest import AIRFORCE, CIR, make_events
from tests.test_attribution import SHAHED, impact, report


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return pd.concat([read_events(path).events for path in (AIRFORCE, CIR)],
                     ignore_index=True)


def test_store_import_attributes_and_reimport_changes_nothing(store, real, capsys):
    reports = real[real["source_dataset"] == "petroivaniuk-missile-attacks"]
    impacts = real[real["source_dataset"] == "eyes-on-russia-cir"]
    first, summary = store_events(store, impacts)
    assert first.inserted == len(impacts)
    before = store.events(Filters(), newest_first=False)
    store_events(store, reports)  # the reports arrive later: the impacts in their windows
    after = store.events(Filters(), newest_first=False).set_index("event_id")
    gained = after.loc[before["event_id"], "class_candidates"].ne(
        before.set_index("event_id")["class_candidates"])
    assert gained.sum() > 100
    again, _ = store_events(store, impacts)
    assert (again.inserted, again.updated) == (0, 0)
    assert attribute_store(store).changed == 0
    assert cli.main(["attribute", "--store", store.url, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["changed"] == 0 and printed["events"] == len(real)


def test_public_instance_settings_neither_leak_nor_round_what_is_stored(store):
    """Attribution rewrites rows: it must read them unrounded, and never switch off the
    caller's publication delay (the app's store is shared by every session)."""
    store.publication_delay_hours, store.coordinate_decimals = 48, 2
    events = make_events([
        report(event_id="r", event_date="2023-11-11", launched=40, destroyed=0, **SHAHED),
        impact(event_id="t", event_date="2023-11-11", admin1="UA-30", latitude=50.454661,
               longitude=30.523812)])
    store_events(store, events)
    assert attribute_store(store).changed == 0
    assert (store.publication_delay_hours, store.coordinate_decimals) == (48, 2)
    store.publication_delay_hours, store.coordinate_decimals = 0, 0
    row = store.get("t")
    assert (row["latitude"], row["longitude"]) == (50.454661, 30.523812)
    assert parse_candidates(row["class_candidates"])[0][0] == "loitering munition"


def test_cli_import_prints_what_attribution_did(tmp_path, capsys):
    from geo.importers import write_csv

    events = make_events([
        report(event_id="r", event_date="2023-11-11", launched=40, destroyed=0, **SHAHED),
        impact(event_id="t", event_date="2023-11-11", admin1="UA-30", latitude=50.45,
               longitude=30.52, description="дрон влучив у будинок")])
    path = tmp_path / "two.csv"
    write_csv(events, path)
    url = str(tmp_path / "cli.duckdb")
    assert cli.main(["import", str(path), "--store", url]) == 0
    out = capsys.readouterr().out
    assert "attribution: 2 of the file's events have candidates (drones 2)" in out
    assert cli.main(["import", str(path), "--store", url, "--json"]) == 0
    report_json = json.loads(capsys.readouterr().out)
    assert report_json["store"]["unchanged"] == 2  # a re-import changes nothing
    assert report_json["attribution"]["gained_candidates"] == {"drones": 2}
