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
    ("xlsx_max_uncompressed_mb", "0"), ("xlsx_max_uncompressed_mb", "1e9"),
    ("json_max_depth", "3"), ("json_max_depth", "100000"), ("import_max_seconds", "-1"),
    ("url_max_chars", "10"), ("url_max_chars", "lots"), ("upload_max_rows", "0"),
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


RESOURCE_BOUNDS = {  # issue 14: every bound a hostile file or link could exhaust
    "upload_max_mb": 20, "upload_max_rows": 200_000, "xlsx_max_uncompressed_mb": 100,
    "json_max_depth": 64, "url_max_chars": 2000, "import_max_seconds": 120,
}


def test_resource_bounds_are_settings_with_defaults_help_and_validation():
    for name, default in RESOURCE_BOUNDS.items():
        setting = settings.SETTINGS_BY_NAME[name]
        assert setting.default == default and len(setting.help) > 30
        assert settings.get(name, {setting.env: str(default)}) == default
        with pytest.raises(SettingError, match=setting.env):
            settings.get(name, {setting.env: "-5"})


def _readme_table() -> dict[str, str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`SALVO_"):
            rows[cells[0].strip("`")] = cells[1].strip("`")
    return rows


def test_readme_configuration_table_lists_exactly_the_settings_with_their_defaults():
    table = _readme_table()
    assert set(table) == {s.env for s in SETTINGS}
    for setting in SETTINGS:
        if setting.name == "store":
            continue  # the default is a path on this machine; the table shows its shape
        default = setting.default
        shown = ("true" if default else "false") if isinstance(default, bool) else str(default)
        assert table[setting.env] == (shown or "empty"), setting.env
