"""A PostgreSQL + PostGIS server for the `postgis` tests.

``SALVO_TEST_PG_URL`` (an admin URL: it must be allowed to CREATE DATABASE) wins; otherwise a
private throw-away cluster is made from the Debian binaries (initdb in a temp dir, loopback
only, trust auth, fsync off) and stopped at session end. Without either the tests skip —
except under ``CI``, where a missing server is a failure (.ci/run installs the packages).
"""

from __future__ import annotations

import hashlib
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
# Initialised clusters, reused across sessions (see _pristine); safe to delete at any time.
CACHE = Path(os.environ.get("SALVO_TEST_PG_CACHE",
                            Path(tempfile.gettempdir()) / "salvo-test-pg-cache"))


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
    template: str = TEMPLATE

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
        self._admin(f"DROP DATABASE IF EXISTS {self.template}",
                    f"CREATE DATABASE {self.template}")
        self.created.append(self.template)
        self._admin("CREATE EXTENSION postgis", database=self.template)

    def new_database(self, label: str = "t") -> str:
        slug = "".join(c for c in label.lower() if c.isalnum())[:30]
        name = f"salvo_{slug}_{uuid.uuid4().hex[:8]}"
        self._admin(f"CREATE DATABASE {name} TEMPLATE {self.template}")
        self.created.append(name)
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a database made by :meth:`new_database` (frees RAM/disk as tests go)."""
        name = url.rsplit("/", 1)[1].split("?", 1)[0]
        if name in self.created:
            self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            self.created.remove(name)

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


def _launch(data: Path, root: Path) -> Cluster:
    """Start the cluster in ``data`` on a free loopback port; socket and log in ``root``."""
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
        return Cluster(admin_url=f"postgresql://postgres@127.0.0.1:{port}/postgres",
                       data=data, root=root)
    raise RuntimeError(f"could not start PostgreSQL: {last_error}")


def _scratch() -> Path | None:
    """Where throw-away clusters live: RAM (/dev/shm) when there is room, else the temp dir.

    The disk here is slow under load (copying the 50 MB cluster took 1–7 s), and nothing
    in a test cluster needs to survive the session.
    """
    shm = Path("/dev/shm")
    try:
        if shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 2 << 30:
            return shm
    except OSError:
        pass
    return None


def _private_dir(prefix: str, parent: Path | None = None) -> Path:
    # Short paths: the Unix socket lives here too, and socket paths are limited to ~100 bytes.
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent or _scratch()))
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")
    return path


def _pristine() -> Path:
    """A stopped data directory with the PostGIS template database, built once per machine.

    initdb + CREATE EXTENSION postgis take 1.5 s on an idle machine and over 9 s on a busy
    one; copying the result takes a fraction of that. The cache key covers the server and
    PostGIS versions, and a directory appears only once complete (atomic rename).
    """
    version = _run([str(PGBIN / "postgres"), "--version"]).stdout.strip()
    key = hashlib.sha1(f"{version}|{POSTGIS_CONTROL.read_text()}|{TEMPLATE}|2".encode())
    target = CACHE / f"pg-{key.hexdigest()[:12]}"
    if (target / "PG_VERSION").exists():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    build = _private_dir("build-", CACHE)  # same file system: the rename below is atomic
    try:
        data = build / "data"
        _run(_as_postgres([str(PGBIN / "initdb"), "-D", str(data), "-U", "postgres",
                           "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
                           # 1 MB WAL segments: a 2 MB copy instead of 32 MB per session.
                           "--wal-segsize=1"]))
        cluster = _launch(data, build)
        try:
            cluster.prepare_template()
        finally:
            _run(_as_postgres([str(PGBIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w",
                               "stop"]))
        (data / "postmaster.opts").unlink(missing_ok=True)
        try:
            data.rename(target)
        except OSError:
            pass  # another session finished first: use theirs
        for stale in CACHE.glob("pg-*"):
            if stale != target:
                shutil.rmtree(stale, ignore_errors=True)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return target


def start() -> Cluster:
    """The server to test against (see the module docstring)."""
    given = os.environ.get("SALVO_TEST_PG_URL", "").strip()
    if given:
        # A shared server: a template of our own, so concurrent sessions never collide.
        cluster = Cluster(admin_url=given, template=f"{TEMPLATE}_{uuid.uuid4().hex[:8]}")
        cluster.prepare_template()
        return cluster
    if not (PGBIN / "initdb").exists():
        raise Unavailable(f"PostgreSQL binaries not found in {PGBIN} "
                          "(apt-get install postgresql postgresql-15-postgis-3)")
    if not POSTGIS_CONTROL.exists():
        raise Unavailable(f"PostGIS not installed ({POSTGIS_CONTROL} missing)")
    t0 = time.monotonic()
    pristine = _pristine()
    root = _private_dir("salvo-pg-")
    data = root / "data"
    # cp -a keeps the postgres ownership and the 0700 mode the server insists on.
    _run(["cp", "-a", str(pristine), str(data)])
    try:
        cluster = _launch(data, root)
    except RuntimeError:
        shutil.rmtree(root, ignore_errors=True)
        raise
    cluster.created.append(TEMPLATE)
    cluster.started_in = time.monotonic() - t0
    return cluster


def start_standby(primary: Cluster, timeout: float = 60.0) -> Cluster:
    """A streaming-replication hot standby of our own cluster ``primary``, on another
    loopback port: ``pg_basebackup -R`` (the copy plus ``standby.signal`` and
    ``primary_conninfo``), then started; it accepts read-only connections when this returns.
    The private cluster's ``pg_hba.conf`` (initdb, trust) already admits replication from
    127.0.0.1, and PostgreSQL 15's defaults (``wal_level=replica``, ten WAL senders,
    ``hot_standby=on``) are all a standby needs."""
    if primary.data is None:
        raise Unavailable("a standby needs the private test cluster (SALVO_TEST_PG_URL is set)")
    port = primary.admin_url.rsplit(":", 1)[1].split("/", 1)[0]
    root = _private_dir("salvo-sb-")
    data = root / "data"
    try:
        _run(_as_postgres([str(PGBIN / "pg_basebackup"), "-D", str(data), "-R",
                           "-X", "stream", "-c", "fast", "--no-sync", "-h", "127.0.0.1",
                           "-p", port, "-U", "postgres"]))
        standby = _launch(data, root)
    except RuntimeError:
        shutil.rmtree(root, ignore_errors=True)
        raise
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(standby.admin_url, connect_timeout=5) as con:
                if con.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                    return standby
                raise RuntimeError("the new server is not in recovery (no standby.signal?)")
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                standby.stop()
                raise
            time.sleep(0.2)


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
