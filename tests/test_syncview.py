"""The Import page's public-sources block and the Overview's "data as of", with AppTest and a
loopback server standing in for the Bellingcat feed (see tests/test_sync.py)."""

from __future__ import annotations

import dataclasses

from geo import sources
from tests.test_pages import run, store_url  # noqa: F401 - the fixture is used by name
from tests.test_sync import Route, Server, _bellingcat_json


def test_editor_syncs_from_the_import_page_and_sees_history(store_url, monkeypatch,  # noqa: F811
                                                            tmp_path):
    server = Server()
    try:
        server.routes["/api.json"] = Route(_bellingcat_json(15))
        feed = dataclasses.replace(sources.SOURCES_BY_NAME["bellingcat"],
                                   url=server.url("/api.json"))
        monkeypatch.setitem(sources.SOURCES_BY_NAME, "bellingcat", feed)
        monkeypatch.setenv("SALVO_SYNC_DIR", str(tmp_path / "sources"))
        at = run("pages/4_Import.py")
        assert not at.exception
        table = at.dataframe[0].value
        assert set(table["name"]) >= {"airforce", "bellingcat", "ucdp", "acled", "cir"}
        at.selectbox(key="sync_source").select("bellingcat")
        at.button(key="sync_go").click().run()
        assert not at.exception
        assert "15 new" in at.success[0].value
        history = at.dataframe[-1].value
        assert list(history["outcome"]) == ["ok"] and list(history["inserted"]) == [15]
        overview = run("app.py")
        assert any("Data as of" in c.value and "Bellingcat" in c.value
                   for c in overview.caption)
    finally:
        server.close()


def test_failed_sync_on_the_page_is_one_error_line(store_url, monkeypatch, tmp_path):  # noqa: F811
    server = Server()
    try:
        server.routes["/api.json"] = Route(b"", status=503)
        feed = dataclasses.replace(sources.SOURCES_BY_NAME["bellingcat"],
                                   url=server.url("/api.json"))
        monkeypatch.setitem(sources.SOURCES_BY_NAME, "bellingcat", feed)
        monkeypatch.setenv("SALVO_SYNC_DIR", str(tmp_path / "sources"))
        at = run("pages/4_Import.py")
        at.selectbox(key="sync_source").select("bellingcat")
        at.button(key="sync_go").click().run()
        assert not at.exception
        assert "HTTP 503" in at.error[0].value and not at.success
    finally:
        server.close()


def test_about_page_credits_every_public_source(store_url):  # noqa: F811
    at = run("pages/5_About.py")
    assert not at.exception
    table = next(d.value for d in at.dataframe if "credit" in d.value.columns)
    assert set(table["credit"]) == {s.credit for s in sources.SOURCES}
