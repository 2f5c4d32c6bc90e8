"""Curation on both stores: verify, edit, retract, restore, link — each audited, each atomic."""

import json

import pytest

from geo.curation import CurationError, plan_change
from geo.filters import Filters


@pytest.fixture(params=["duckdb", pytest.param("postgis", marks=pytest.mark.postgis)])
def any_store(request):
    return request.getfixturevalue("store" if request.param == "duckdb" else "pg_store")


def test_plan_change_validates_before_anything_is_written():
    row = {"event_id": "e1", "event_date": "2024-01-02", "event_type": "impact",
           "verification": "reported", "status": "active"}
    with pytest.raises(CurationError, match="reason"):
        plan_change(row, "retract", actor="ed@x.org")
    with pytest.raises(CurationError, match="cannot be edited"):
        plan_change(row, "edit", actor="ed@x.org", reason="x", fields={"event_id": "e2"})
    with pytest.raises(CurationError, match="invalid latitude"):
        plan_change(row, "edit", actor="ed@x.org", reason="x",
                    fields={"latitude": 200, "longitude": 30})
    with pytest.raises(CurationError, match="identity"):
        plan_change(row, "verify", actor="")
    change = plan_change(row, "verify", actor="ed@x.org")
    before, after = change.audit_json()
    assert json.loads(before) == {"verification": "reported"}
    assert json.loads(after) == {"verification": "verified"}


def test_edit_retract_restore_are_audited(any_store, sample_events):
    store = any_store
    store.upsert(sample_events)
    event = store.get("t0003")
    store.apply_change(plan_change(event, "edit", actor="ed@x.org", reason="typo in source",
                                   fields={"description": "drone hit a nine-storey block"}))
    assert store.get("t0003")["description"] == "drone hit a nine-storey block"
    store.apply_change(plan_change(store.get("t0003"), "retract", actor="ed@x.org",
                                   reason="duplicate footage"))
    assert store.count(Filters()) == 5
    assert store.count(Filters(origins=("IRN",))) == 0
    assert store.get("t0003")["status"] == "retracted"  # still in the store
    store.apply_change(plan_change(store.get("t0003"), "restore", actor="admin@x.org",
                                   reason="checked again"))
    assert store.count(Filters()) == 6
    log = store.history("t0003")
    assert list(log["action"]) == ["edit", "retract", "restore"]
    assert list(log["actor"]) == ["ed@x.org", "ed@x.org", "admin@x.org"]
    assert json.loads(log["after"].iloc[1]) == {"status": "retracted"}
    assert json.loads(log["before"].iloc[0])["description"] == "drone hit a block"


def test_an_edit_survives_reimporting_the_source_file(any_store, sample_events):
    store = any_store
    store.upsert(sample_events)
    store.apply_change(plan_change(store.get("t0000"), "edit", actor="ed@x.org",
                                   reason="better location", fields={"location": "field"}))
    changed = sample_events.copy()
    changed.loc[0, "description"] = "source changed too"
    result = store.upsert(changed)
    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 6)
    assert store.get("t0000")["location"] == "field"


def test_linking_a_duplicate_counts_the_incident_once(any_store, sample_events):
    store = any_store
    store.upsert(sample_events)
    store.apply_change(plan_change(store.get("t0002"), "link_duplicate", actor="ed@x.org",
                                   reason="same impact, second source", link_to="t0001"))
    assert store.count(Filters()) == 5
    links = store.links("t0001")
    assert list(links["event_id"]) == ["t0002"] and list(links["relation"]) == ["duplicate_of"]


def test_events_page_retract_flow_in_the_app(tmp_path, monkeypatch):
    """An editor retracts an event from its detail panel; it leaves the table, the log shows it."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from geo.store.duckdb import DuckDBStore

    root = Path(__file__).resolve().parents[1]
    path = tmp_path / "curate.duckdb"
    monkeypatch.setenv("SALVO_STORE", str(path))
    monkeypatch.delenv("SALVO_AUTH_ROLES", raising=False)
    at = AppTest.from_file(str(root / "app.py"), default_timeout=60)
    at.query_params["event"] = "salvo-curated-0005"
    at.switch_page("pages/3_Events.py")
    at.run()
    before = DuckDBStore(path, snapshot=False).count(Filters())
    at.text_input(key="retract_salvo-curated-0005").set_value("test retraction")
    at.button(key="retract_btn_salvo-curated-0005").click().run()
    assert not at.exception
    store = DuckDBStore(path, snapshot=False)
    assert store.count(Filters()) == before - 1
    assert list(store.history("salvo-curated-0005")["actor"]) == ["local user (no sign-in)"]
