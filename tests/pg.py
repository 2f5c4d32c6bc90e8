"""A PostgreSQL + PostGIS server for the `postgis` tests.

``SALVO_TEST_PG_URL`` (an admin URL: it must be allowed to CREATE DATABASE) wins; otherwise a
private throw-away cluster is made from the Debian binaries (initdb in a temp dir, loopback
only, trust auth, fsync off) and stopped at session end. Without either the tests skip —
except under ``CI``, where a missing server is a failure (.ci/run installs the packages).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

PGBIN = Path(os.environ.get("SALVO_TEST_PGBIN", "/usr/lib/postgresql/15/bin"))
POSTGIS_CONTROL = Path("/usr/share/postgresql/15/extension/postgis.control")
TEMPLATE = "salvo_test_template"


class Unavailable(RuntimeError):
    """No server can be had: the caller skips (or fails under CI)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb refuses to run as root; the Debian packages create the `postgres` user.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kwargs)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stdout}\n{out.stderr}")
    return out


@dataclass
class Cluster:
    """A server we can create databases on; ``data`` is set only for our own cluster."""

    admin_url: str
    data: Path | None = None
    root: Path | None = None
    started_in: float = 0.0
    created: list[str] = field(default_factory=list)

    def url(self, database: str) -> str:
        base, _, rest = self.admin_url.rpartition("/")
        query = "?" + rest.split("?", 1)[1] if "?" in rest else ""
        return f"{base}/{database}{query}"

    def _admin(self, *statements: str, database: str | None = None) -> None:
        import psycopg

        url = self.url(database) if database else self.admin_url
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as con:
            for statement in statements:
                con.execute(statement)

    def prepare_template(self) -> None:
        """One database with PostGIS, copied for each test (CREATE EXTENSION costs ~0.3 s)."""
        self._admin(f"DROP DATABASE IF EXISTS {TEMPLATE}", f"CREATE DATABASE {TEMPLATE}")
        self.created.append(TEMPLATE)
        self._admin("CREATE EXTENSION postgis", database=TEMPLATE)

    def new_database(self, label: str = "t") -> str:
        slug = "".join(c for c in label.lower() if c.isalnum())[:30]
        name = f"salvo_{slug}_{uuid.uuid4().hex[:8]}"
        self._admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        self.created.append(name)
        return self.url(name)

    def stop(self) -> None:
        if self.data is None:
            # A server we were given: drop only the databases we made, newest first.
            for name in reversed(self.created):
                try:
                    self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                except Exception:  # noqa: BLE001, S110 - best effort cleanup
                    pass
            return
        subprocess.run(_as_postgres([str(PGBIN / "pg_ctl"), "-D", str(self.data), "-m",
                                     "immediate", "-w", "stop"]),
                       capture_output=True, timeout=60, check=False)
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)


def start() -> Cluster:
    """The server to test against (see the module docstring)."""
    given = os.environ.get("SALVO_TEST_PG_URL", "").strip()
    if given:
        cluster = Cluster(admin_url=given)
        cluster.prepare_template()
        return cluster
    if not (PGBIN / "initdb").exists():
        raise Unavailable(f"PostgreSQL binaries not found in {PGBIN} "
                          "(apt-get install postgresql postgresql-15-postgis-3)")
    if not POSTGIS_CONTROL.exists():
        raise Unavailable(f"PostGIS not installed ({POSTGIS_CONTROL} missing)")
    t0 = time.monotonic()
    # Short path: the Unix socket lives here too and socket paths are limited to ~100 bytes.
    root = Path(tempfile.mkdtemp(prefix="salvo-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data = root / "data"
    _run(_as_postgres([str(PGBIN / "initdb"), "-D", str(data), "-U", "postgres",
                       "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]))
    last_error: Exception | None = None
    for _ in range(3):  # the free port may be taken between probing and binding
        port = _free_port()
        try:
            _run(_as_postgres([
                str(PGBIN / "pg_ctl"), "-D", str(data), "-l", str(root / "pg.log"), "-w",
                "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                      "-c synchronous_commit=off -c full_page_writes=off",
                "start",
            ]))
        except RuntimeError as exc:
            last_error = exc
            continue
        cluster = Cluster(admin_url=f"postgresql://postgres@127.0.0.1:{port}/postgres",
                          data=data, root=root)
        cluster.started_in = time.monotonic() - t0
        cluster.prepare_template()
        return cluster
    shutil.rmtree(root, ignore_errors=True)
    raise RuntimeError(f"could not start PostgreSQL: {last_error}")


@cache
def shared_events() -> tuple[pd.DataFrame, ...]:
    """The real data the store tests use: both shared files and the bundled events."""
    from geo.importers import read_events
    from tests.conftest import AIRFORCE, CIR, ROOT

    frames = []
    for path in (AIRFORCE, CIR, ROOT / "data" / "events.csv"):
        result = read_events(path)
        assert len(result.events) > 0, path
        frames.append(result.events)
    return tuple(frames)
