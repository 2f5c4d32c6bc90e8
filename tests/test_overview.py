"""The Overview page (app.py) and the README tell a user on a fresh machine what they can do."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def test_overview_never_points_at_the_development_data(tmp_path, monkeypatch):
    """Regression: "Add data" told users to import ../shared/data/…, which only exists in the
    project's development setup."""
    monkeypatch.setenv("SALVO_STORE", str(tmp_path / "overview.duckdb"))
    monkeypatch.setenv("SALVO_SEED_BUNDLED", "true")
    monkeypatch.delenv("SALVO_AUTH_ROLES", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    text = " ".join([*(m.value for m in at.markdown), *(c.value for c in at.code)])
    assert "shared/data" not in text and "../" not in text
    assert "Import" in text and "python -m geo import" in text


def test_readme_keeps_development_paths_in_the_development_section():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    sections = re.split(r"^## ", readme, flags=re.MULTILINE)
    outside = [s.splitlines()[0] for s in sections[1:]
               if "shared/data" in s and not s.startswith("Development")]
    assert outside == []
