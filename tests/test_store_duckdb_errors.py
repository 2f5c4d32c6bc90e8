"""Issue 14, items 4 and 8: a failing disk or a damaged file is reported in one line that
names the real reason, and the store is left as it was."""

from __future__ import annotations

import os
import random
import subprocess
import uuid
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import geo.store.duckdb as module
from geo.cli import EXIT_STORE, main
from geo.filters import Filters
from geo.store import StoreError
from geo.store.duckdb import DuckDBStore
from tests.conftest import make_events

# What DuckDB 1.x said on a real 2 MB tmpfs when the WAL write of a COMMIT hit ENOSPC.
FULL_DISK = ('TransactionContext Error: Failed to commit: Could not write file "{wal}": '
             "No space left on device")


def _batch(n: int, tag: str, text: int = 0) -> pd.DataFrame:
    rng = random.Random(tag)
    return make_events([{"event_id": f"{tag}-{i}", "description": rng.randbytes(text).hex()}
                        for i in range(n)])


class _FailingCommit:
    """A DuckDB connection whose COMMIT fails the way a full disk makes it fail: DuckDB has
    already rolled the transaction back when it raises, so a later ROLLBACK raises too."""

    def __init__(self, real: duckdb.DuckDBPyConnection, wal: str):
        self._real, self._wal = real, wal

    def execute(self, sql, *args):
        if str(sql).strip().upper() == "COMMIT":
            self._real.execute("ROLLBACK")
            raise duckdb.TransactionException(FULL_DISK.format(wal=self._wal))
        return self._real.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._real, name)


def test_full_disk_commit_error_is_not_hidden_by_rollback(tmp_path, monkeypatch):
    path = tmp_path / "full.duckdb"
    store = DuckDBStore(path, snapshot=False)
    store.upsert(_batch(5, "before"))

    class Shim:  # duckdb's connection type cannot be patched: wrap what connect() returns
        def __getattr__(self, name):
            return getattr(duckdb, name)

        @staticmethod
        def connect(*args, **kwargs):
            return _FailingCommit(duckdb.connect(*args, **kwargs), f"{path}.wal")

    monkeypatch.setattr(module, "duckdb", Shim())
    with pytest.raises(StoreError) as caught:
        store.upsert(_batch(7, "after"))
    message = str(caught.value)
    assert message.startswith(f"disk full while saving the import to {path}")
    assert "No space left on device" in message and "nothing was saved" in message
    assert "rollback" not in message.lower() and "\n" not in message
    monkeypatch.undo()
    assert store.count(Filters()) == 5
    store.close()


def _mount_tmpfs(target: Path, size: str) -> bool:
    if os.geteuid() != 0:
        return False
    target.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target)],
                          capture_output=True)
    return done.returncode == 0


def test_full_disk_on_a_real_small_filesystem_says_disk_full(tmp_path):
    mount = tmp_path / "small"
    if not _mount_tmpfs(mount, "2m"):
        pytest.skip("needs root and mount(8) for a size-limited tmpfs; the injected test "
                    "above covers the same path")
    try:
        store = DuckDBStore(mount / "s.duckdb", snapshot=False)
        stored, failure = 0, None
        for i in range(60):
            batch = _batch(20, f"b{i}", text=3000)  # random text: does not compress
            try:
                store.upsert(batch)
            except StoreError as exc:
                failure = str(exc)
                break
            stored += len(batch)
        assert failure is not None, "the 2 MB filesystem never filled up"
        assert failure.startswith("disk full while saving the import to")
        assert "No space left on device" in failure and "\n" not in failure
        assert store.count(Filters()) == stored  # the failed batch left nothing behind
        store.close()
        # Another process sees every committed row too.
        reopened = DuckDBStore(mount / "s.duckdb", snapshot=False)
        assert reopened.count(Filters()) == stored
        reopened.close()
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    noise = random.Random(how).randbytes
    if how == "header":
        data[:4096] = noise(4096)
    elif how == "block":
        middle = len(data) // 3
        data[middle:middle + 50_000] = noise(50_000)
    elif how == "truncated":
        data = data[: len(data) // 2]
    elif how == "not duckdb":
        data = bytearray(b"event_id,event_date\n" * 500)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["header", "block", "truncated", "not duckdb"])
def test_export_on_a_corrupt_store_gives_the_real_reason(tmp_path, capsys, how):
    path = tmp_path / f"{uuid.uuid4().hex}.duckdb"  # a fresh file: DuckDB caches instances
    store = DuckDBStore(path, snapshot=False)
    store.upsert(_batch(400, "seed", text=50))
    store.close()
    _damage(path, how)

    code = main(["export", "--store", str(path), "--format", "csv",
                 "--out", str(tmp_path / "out.csv")])
    err = capsys.readouterr().err.strip()
    assert code == EXIT_STORE
    assert err.count("\n") == 0 and "Traceback" not in err
    assert f"{path} is damaged or not a DuckDB store" in err
    assert "for writing" not in err and "in use by another process" not in err
    assert not (tmp_path / "out.csv").exists()


def test_lock_errors_are_told_apart_from_damage():
    assert module._is_lock_error(duckdb.IOException(
        'IO Error: Could not set lock on file "x.duckdb": Conflicting lock is held'))
    assert not module._is_lock_error(duckdb.Error(
        "Corrupt database file: computed checksum 1 does not match stored checksum 2 in "
        "block at location 12288"))


def test_full_disk_on_the_import_page_shows_the_reason_not_a_traceback(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from geo.schema import COLUMNS
    from tests.test_pages import ROOT

    path = tmp_path / "page.duckdb"
    monkeypatch.setenv("SALVO_STORE", str(path))
    monkeypatch.setenv("SALVO_SEED_BUNDLED", "false")
    monkeypatch.delenv("SALVO_AUTH_ROLES", raising=False)

    class Shim:
        def __getattr__(self, name):
            return getattr(duckdb, name)

        @staticmethod
        def connect(*args, **kwargs):
            return _FailingCommit(duckdb.connect(*args, **kwargs), f"{path}.wal")

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.switch_page("pages/4_Import.py")
    at.run()
    row = {c: "" for c in COLUMNS} | {"event_id": "full-1", "event_date": "2024-05-01",
                                      "event_type": "impact", "verification": "reported"}
    data = ",".join(COLUMNS) + "\n" + ",".join(row[c] for c in COLUMNS) + "\n"
    at.file_uploader(key="imp_file").upload("one.csv", data.encode(), "text/csv").run()
    monkeypatch.setattr(module, "duckdb", Shim())  # the disk fills up now
    next(b for b in at.button if b.label.startswith("Add ")).click().run()
    assert not at.exception
    shown = at.error[0].value.replace("\\", "")
    assert shown.startswith("disk full while saving the import to") and "No space left" in shown
