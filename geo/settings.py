"""Settings: declared once, each with a default, a help text and a validator.

Values come from environment variables named ``SALVO_<NAME>`` (upper case). The README's
configuration table is generated from :data:`SETTINGS` and a test checks it stays in sync.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.auth import ROLES, parse_roles

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "data"


class SettingError(ValueError):
    """A setting has a value that fails its validator."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[str], Any]

    @property
    def env(self) -> str:
        return f"SALVO_{self.name.upper()}"


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError("must be a positive whole number")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError("must be zero or a positive whole number")
    return value


def _int_between(low: int, high: int) -> Callable[[str], int]:
    """A whole number in ``low..high``: the bounds keep a typo from disabling a guard."""

    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise ValueError(f"must be a whole number from {low:,} to {high:,}")
        return value

    return parse


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("must be true or false")


def _tiles(text: str) -> str:
    text = text.strip()
    if text and text.lower() != "none" and not text.startswith("https://"):
        raise ValueError("must be empty/none or an https:// tile URL template")
    return "" if text.lower() == "none" else text


def _text(text: str) -> str:
    return text.strip()


def _percent(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 100:
        raise ValueError("must be a whole number from 1 to 100")
    return value


def _roles(text: str) -> str:
    parse_roles(text)  # raises ValueError naming the bad entry
    return text.strip()


def _role(text: str) -> str:
    role = text.strip().lower()
    if role not in ROLES:
        raise ValueError(f"must be one of {', '.join(ROLES)}")
    return role


def _store_url(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValueError("must not be empty")
    if "://" not in text:
        # A bare path means a DuckDB file: the common case on a laptop.
        return "duckdb:///" + str(Path(text).expanduser().resolve())
    scheme = text.split("://", 1)[0]
    if scheme not in ("duckdb", "postgresql", "postgres", "postgresql+psycopg"):
        raise ValueError("scheme must be duckdb://, postgresql:// (or a file path)")
    return text


def _read_url(text: str) -> str:
    text = text.strip()
    if text and text.split("://", 1)[0] not in ("postgresql", "postgres", "postgresql+psycopg"):
        raise ValueError("must be empty or a postgresql:// URL of a hot standby")
    return text


SETTINGS: tuple[Setting, ...] = (
    Setting("store", f"duckdb:///{ROOT / 'var' / 'salvo.duckdb'}",
            "Where events live: a DuckDB file (`duckdb:///path` or a bare path) or "
            "`postgresql://user@host:port/db` for team mode.", _store_url),
    Setting("store_read", "",
            "Team mode: `postgresql://…` of a streaming-replication hot standby that serves "
            "the reads (writes, curation and the audit log stay on `store`; a process reads "
            "its own writes). Empty = everything on `store`.", _read_url),
    Setting("store_pool_size", 10,
            "Most PostgreSQL connections one app process opens to each server (primary, "
            "standby); processes × this must stay under the server's `max_connections`.",
            _positive_int),
    Setting("seed_bundled", True,
            "Load the bundled `data/events.csv` into an empty store on first start.", _bool),
    Setting("max_points", 2000,
            "Most individual event symbols drawn on the map; above it the map aggregates.",
            _positive_int),
    Setting("map_tiles", "",
            "Tile URL template for online use (empty = offline oblast basemap, no requests).",
            _tiles),
    Setting("map_tiles_attribution", "",
            "Attribution shown with `map_tiles` (required by most tile providers).", _text),
    Setting("upload_max_mb", 20, "Largest file the Import page accepts, in MB.", _positive_int),
    Setting("upload_max_rows", 200_000, "Most rows the Import page reads from one file.",
            _positive_int),
    # Resource bounds (issue 14): each is refused with a message naming its variable. The
    # importers read them through geo.limits; the URL bound is applied in geo.filters.
    Setting("xlsx_max_uncompressed_mb", 100,
            "Largest uncompressed size of an XLSX workbook an import opens, in MB (read from "
            "the zip directory before any sheet is parsed).", _int_between(1, 10_000)),
    Setting("json_max_depth", 64,
            "Deepest nesting of arrays/objects an imported JSON/GeoJSON file may have "
            "(checked before parsing; GeoJSON needs about 8).", _int_between(4, 500)),
    Setting("import_max_seconds", 120,
            "Longest one file import may take (wall time) before it is stopped with a "
            "message; 0 = no limit (the command line on a big file).", _non_negative_int),
    Setting("url_max_chars", 2000,
            "Longest URL parameter (all its values together, in characters); a longer one is "
            "shortened with a note the page shows.", _int_between(100, 100_000)),
    Setting("table_page_rows", 500, "Rows shown per page in the Events table.", _positive_int),
    Setting("coordinate_decimals", 0,
            "Round published coordinates to this many decimals (0 = no rounding). For public "
            "instances.", _non_negative_int),
    Setting("publication_delay_hours", 0,
            "Hide events newer than this many hours (0 = show all). For public instances.",
            _non_negative_int),
    Setting("auth_roles", "",
            "Team mode allow-list: `alice@x.org=admin,@x.org=viewer` (e-mail or @domain = "
            "viewer/editor/admin; an exact e-mail beats its domain). Needs the `[auth]` secrets. "
            "Empty = no sign-in (see `open_role`).", _roles),
    Setting("sync_timeout", 20,
            "Seconds a source may take to connect or to send the next piece of a download "
            "before `python -m geo sync` gives up (the store is left as it was).",
            _positive_int),
    Setting("sync_max_seconds", 600,
            "Longest a whole download may take, in seconds (stops servers that trickle).",
            _positive_int),
    Setting("sync_max_mb", 500, "Largest file a sync downloads, in MB.", _positive_int),
    Setting("sync_min_share", 50,
            "A sync whose file has fewer rows than this percentage of the last good sync's is "
            "refused as a collapsed source (1-100).", _percent),
    Setting("sync_interval", 0,
            "Hours between scheduled refreshes of the public sources by the app (0 = off). "
            "With several app processes only one runs it (a lock in the store).",
            _non_negative_int),
    Setting("kaggle_username", "",
            "Kaggle user name for the `airforce` source (or `kaggle_username` under "
            "`[sources]` in secrets.toml). Never logged.", _text),
    Setting("kaggle_key", "",
            "Kaggle API key for the `airforce` source (or `kaggle_key` under `[sources]` in "
            "secrets.toml). Never logged.", _text),
    Setting("acled_email", "",
            "myACLED e-mail for the `acled` source (or `acled_email` under `[sources]` in "
            "secrets.toml).", _text),
    Setting("acled_password", "",
            "myACLED password for the `acled` source (or `acled_password` under `[sources]` "
            "in secrets.toml). Never logged.", _text),
    Setting("ucdp_token", "",
            "UCDP API access token for the `ucdp` source (or `ucdp_token` under `[sources]` "
            "in secrets.toml). Never logged.", _text),
    Setting("open_role", "admin",
            "Role everyone gets when `auth_roles` is empty (no sign-in): `admin` for the person "
            "at the keyboard (local use), `viewer` for a public read-only instance.", _role),
)

SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}


def get(name: str, env: Mapping[str, str] | None = None) -> Any:
    """Return the value of setting ``name`` from ``env`` (default: ``os.environ``)."""
    setting = SETTINGS_BY_NAME[name]
    source = os.environ if env is None else env
    raw = source.get(setting.env)
    if raw is None:
        return setting.default
    try:
        return setting.parse(raw)
    except ValueError as exc:
        raise SettingError(f"{setting.env}={raw!r}: {exc}") from exc


def describe() -> list[dict[str, str]]:
    """Rows for the README/About configuration table."""
    return [
        {"variable": s.env, "default": str(s.default), "help": s.help} for s in SETTINGS
    ]
