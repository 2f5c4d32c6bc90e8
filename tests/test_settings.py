from pathlib import Path

import pytest

from geo import settings
from geo.settings import SETTINGS, SettingError

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_and_env_override():
    assert settings.get("max_points", {}) == 2000
    assert settings.get("max_points", {"SALVO_MAX_POINTS": "50"}) == 50
    assert settings.get("store", {"SALVO_STORE": "/tmp/x.duckdb"}) == "duckdb:////tmp/x.duckdb"


@pytest.mark.parametrize("name, value", [
    ("max_points", "0"), ("max_points", "many"), ("map_tiles", "http://insecure/{z}/{x}/{y}"),
    ("store", "mysql://x"), ("seed_bundled", "perhaps"),
    ("store_read", "duckdb:///x.duckdb"), ("store_pool_size", "0"),
])
def test_invalid_values_name_the_variable(name, value):
    env = {f"SALVO_{name.upper()}": value}
    with pytest.raises(SettingError, match=f"SALVO_{name.upper()}"):
        settings.get(name, env)


def test_store_read_is_empty_or_a_postgresql_url():
    assert settings.get("store_read", {}) == ""
    url = "postgresql://salvo@standby:5432/salvo"
    assert settings.get("store_read", {"SALVO_STORE_READ": f" {url} "}) == url


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert setting.env in readme, f"{setting.env} missing from README configuration table"
