"""Shared test fixtures: real shared data (required, never skipped) and small frames in code."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from geo.schema import COLUMNS, normalise_row

ROOT = Path(__file__).resolve().parents[1]
# CI clones the repo elsewhere with a copy of shared/ beside it: always a sibling of the repo.
SHARED = ROOT.parent / "shared" / "data"
AIRFORCE = SHARED / "petroivaniuk-missile-attacks" / "missile_attacks_daily.csv"
CIR = SHARED / "eyes-on-russia-cir" / "events.csv"


def pytest_sessionstart(session):
    if not SHARED.is_dir():
        raise pytest.UsageError(f"shared test data not found at {SHARED} (beside the repo)")


def make_events(rows: list[dict]) -> pd.DataFrame:
    """Canonical frame from partial dicts (defaults filled, validated like an import)."""
    full = []
    for i, row in enumerate(rows):
        base = {"event_id": f"t{i:04d}", "event_date": "2024-01-02", "event_type": "impact",
                "verification": "reported"}
        base.update(row)
        full.append(normalise_row(base))
    return pd.DataFrame(full, columns=list(COLUMNS))


@pytest.fixture
def store(tmp_path):
    from geo.store.duckdb import DuckDBStore

    s = DuckDBStore(tmp_path / "test.duckdb")
    yield s
    s.close()


@pytest.fixture
def sample_events() -> pd.DataFrame:
    return make_events([
        {"event_date": "2023-12-30", "admin1": "UA-23", "geo_precision": "oblast",
         "weapon_model": "KN-23", "weapon_class": "ballistic missile", "weapon_origin": "PRK",
         "origin_basis": "reported", "country": "UKR"},
        {"event_date": "2024-01-02", "event_type": "attack", "geo_precision": "country",
         "weapon_model": "KN-23", "weapon_class": "ballistic missile", "weapon_origin": "PRK",
         "country": "UKR", "launched": 3},
        {"event_date": "2024-01-02", "latitude": 49.98, "longitude": 36.25,
         "geo_precision": "settlement", "admin1": "UA-63", "weapon_model": "KN-23",
         "weapon_class": "ballistic missile", "weapon_origin": "PRK", "country": "UKR",
         "location": "Kharkiv"},
        {"event_date": "2024-03-02", "latitude": 46.48, "longitude": 30.74,
         "geo_precision": "exact", "admin1": "UA-51", "weapon_model": "Shahed-136",
         "weapon_class": "loitering munition", "weapon_origin": "IRN", "country": "UKR",
         "description": "drone hit a block", "sources": "https://example.org/a"},
        {"event_date": "2024-08-05", "event_type": "attack", "admin1": "UA-30;UA-32",
         "geo_precision": "oblast", "weapon_model": "Iskander-M;KN-23",
         "weapon_class": "ballistic missile", "weapon_origin": "RUS;PRK",
         "origin_basis": "ambiguous", "launched": 4, "destroyed": 2},
        {"event_date": "2024-09-01", "geo_precision": "unknown"},
    ])



@pytest.fixture
def attributed_events() -> pd.DataFrame:
    """Stated, ambiguous, inferred and candidate-only events (certainty filters, issue 9)."""
    return make_events([
        {"weapon_model": "KN-23", "weapon_class": "ballistic missile", "weapon_origin": "PRK",
         "origin_basis": "reported", "weapon_supplier": "PRK"},                     # a0 stated
        {"weapon_model": "Iskander-M/KN-23", "weapon_class": "ballistic missile",
         "weapon_origin": "RUS;PRK", "origin_basis": "ambiguous"},                  # a1
        {"origin_candidates": "PRK:0.60;RUS:0.40", "supplier_candidates": "PRK:0.6;RUS:0.4",
         "class_candidates": "ballistic missile:0.6;cruise missile:0.4"},           # a2
        {"origin_candidates": "RUS:0.70;PRK:0.30",
         "class_candidates": "cruise missile:0.4;loitering munition:0.3;attack drone:0.3",
         "attribution": "text: 'удар' · reports: 2024-01-02 00:00–09:00"},          # a3
        {"weapon_model": "Shahed-136", "weapon_class": "loitering munition",
         "weapon_origin": "IRN", "origin_basis": "catalogue", "weapon_supplier": "RUS"},  # a4
        {"weapon_model": "Shahed-136", "weapon_class": "loitering munition",
         "weapon_origin": "IRN", "origin_basis": "inferred"},                       # a5
        {},                                                                         # a6
    ]).assign(event_id=lambda f: [f"a{i}" for i in range(len(f))])

# ---- PostgreSQL + PostGIS (tests/pg.py): one server per session, one database per test ----
@pytest.fixture(scope="session")
def pg_cluster():
    from tests import pg

    try:
        cluster = pg.start()
    except pg.Unavailable as exc:
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(f"PostGIS tests must run under CI: {exc}")
        pytest.skip(str(exc))
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster, request):
    """A fresh database (PostGIS created, no Salvo schema yet) for this test."""
    url = pg_cluster.new_database(request.node.name)
    yield url
    pg_cluster.drop_database(url)


@pytest.fixture
def pg_store(pg_url):
    from geo.store.postgis import PostGISStore

    s = PostGISStore(pg_url)
    yield s
    s.close()


os.environ.setdefault("SALVO_SEED_BUNDLED", "true")


# ---- browser tests (fixtures and helpers in tests/browser.py) ------------------------------
# Project rule: `@pytest.mark.browser` tests skip locally when Chromium is missing, but with
# CI set (.ci/run exports CI=true) a missing browser is a failure, never a skip.
pytest_plugins = ("tests.browser",)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _browser_problem() -> str | None:
    import importlib.util

    from tests.browser import CHROMIUM

    if not CHROMIUM.exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "Python package playwright is not installed (pip install -r requirements-dev.txt)"
    return None


def pytest_runtest_setup(item):
    if item.get_closest_marker("browser") is None:
        return
    problem = _browser_problem()
    if problem is None:
        return
    if _in_ci():
        pytest.fail(f"{problem}; CI is set, so browser tests must run", pytrace=False)
    pytest.skip(f"browser test: {problem}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and item.get_closest_marker("browser") is not None:
        item.rep_call = report  # the `page` fixture prints what it saw when a test failed
    return report


def pytest_terminal_summary(terminalreporter):
    from tests.browser import TIMINGS

    if TIMINGS:
        terminalreporter.section("browser timings")
        for label, seconds in TIMINGS:
            terminalreporter.write_line(f"{seconds:6.2f} s  {label}")
