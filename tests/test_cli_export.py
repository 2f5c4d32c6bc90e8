"""``python -m geo export``: every format from real data, safe cells, notes not tracebacks.

Stores are filled through the CLI's own ``import`` from the bundled ``data/events.csv`` and
the shared Air Force file. Run with ``-s`` to see how long each export took on this machine.
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from geo.cli import main
from geo.filters import Filters
from geo.store.duckdb import DuckDBStore
from tests.conftest import make_events

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
AIRFORCE = SHARED / "petroivaniuk-missile-attacks" / "missile_attacks_daily.csv"
BUNDLED = ROOT / "data" / "events.csv"
FORMATS = ("csv", "geojson", "xlsx", "png-map", "png-timeline", "gif", "html")
ON = "2026-05-01"
TIMINGS: dict[tuple[str, str], tuple[float, int]] = {}


@pytest.fixture(scope="module", autouse=True)
def timing_table():
    yield
    if TIMINGS:
        print("\n\nexport timings on this machine (CLI, one run each, --exported-on fixed)")
        print(f"{'dataset':<10} {'format':<13} {'seconds':>8} {'bytes':>11}")
        for (dataset, fmt), (seconds, size) in TIMINGS.items():
            print(f"{dataset:<10} {fmt:<13} {seconds:>8.2f} {size:>11,}")


def _imported(tmp_path_factory, name: str, source: Path) -> Path:
    path = tmp_path_factory.mktemp(name) / f"{name}.duckdb"
    assert main(["import", str(source), "--store", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    return {"bundled": _imported(tmp_path_factory, "bundled", BUNDLED),
            "airforce": _imported(tmp_path_factory, "airforce", AIRFORCE)}


def export(store: Path, fmt: str, out: Path, *extra: str) -> int:
    return main(["export", "--store", str(store), "--format", fmt, "--out", str(out),
                 "--exported-on", ON, *extra])


@pytest.mark.parametrize("dataset", ["bundled", "airforce"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_from_real_data(stores, dataset, fmt, tmp_path, capsys):
    store = stores[dataset]
    out = tmp_path / f"out.{fmt}"
    started = time.perf_counter()
    assert export(store, fmt, out) == 0
    TIMINGS[(dataset, fmt)] = (time.perf_counter() - started, out.stat().st_size)
    printed = capsys.readouterr().out
    db = DuckDBStore(store, snapshot=True)
    total = db.count(Filters())
    db.close()
    assert f"{total:,} events match" in printed
    data = out.read_bytes()
    if fmt == "csv":
        assert len(list(csv.DictReader(io.StringIO(data.decode("utf-8"))))) == total
    elif fmt == "geojson":
        assert len(json.loads(data)["features"]) == total
    elif fmt == "xlsx":
        from openpyxl import load_workbook

        assert load_workbook(io.BytesIO(data)).active.max_row == total + 1
    elif fmt == "html":
        assert b"L.map(" in data and b"<script src=" not in data
    else:
        image = Image.open(io.BytesIO(data))
        assert image.size == {"png-map": (1200, 800), "png-timeline": (1200, 600),
                              "gif": (800, 560)}[fmt]
        assert np.asarray(image.convert("RGB")).std() > 20
        if fmt == "gif":
            assert 2 <= image.n_frames <= 120


def test_size_scale_step_and_title_flags(stores, tmp_path):
    out = tmp_path / "map.png"
    assert export(stores["bundled"], "png-map", out, "--width", "700", "--height", "500",
                  "--scale", "2", "--title", "KN-23 strikes") == 0
    assert Image.open(out).size == (1400, 1000)
    gif = tmp_path / "a.gif"
    assert export(stores["bundled"], "gif", gif, "--step", "month", "--max-frames", "5",
                  "--width", "640", "--height", "480") == 0
    image = Image.open(gif)
    assert image.size == (640, 480) and image.n_frames <= 5


def test_same_inputs_give_the_same_file(stores, tmp_path):
    for fmt in ("csv", "geojson", "xlsx", "html"):
        a, b = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
        assert export(stores["bundled"], fmt, a, "--origin", "PRK") == 0
        assert export(stores["bundled"], fmt, b, "--origin", "PRK") == 0
        assert a.read_bytes() == b.read_bytes(), fmt


def test_xlsx_from_the_cli_neutralises_formulas(tmp_path):
    from openpyxl import load_workbook

    from geo.importers import write_csv

    payloads = ['=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0",
                "@SUM(1+1)", "-2+3", "=1+1"]
    source = tmp_path / "hostile.csv"
    write_csv(make_events([{"description": p, "location": p} for p in payloads]), source)
    store = tmp_path / "hostile.duckdb"
    assert main(["import", str(source), "--store", str(store)]) == 0
    out = tmp_path / "hostile.xlsx"
    assert export(store, "xlsx", out) == 0
    sheet = load_workbook(out).active
    header = [c.value for c in sheet[1]]
    for column in ("description", "location"):
        cells = [sheet.cell(row=r, column=header.index(column) + 1) for r in range(2, 7)]
        assert sorted(c.value for c in cells) == sorted("'" + p for p in payloads)
        assert all(c.data_type == "s" for c in cells)


def test_unreadable_filters_are_notes_not_tracebacks(stores, tmp_path, capsys):
    out = tmp_path / "map.png"
    assert export(stores["bundled"], "png-map", out, "--from", "yesterday", "--origin", "xx1",
                  "--oblast", "UA-999", "--zoom", "99", "--lat", "north") == 0
    err = capsys.readouterr().err
    assert err.count("note: Ignored") == 5 and "Traceback" not in err
    assert Image.open(out).size == (1200, 800)


def test_supplier_and_certainty_flags_select_like_the_url(stores, tmp_path):
    store = DuckDBStore(stores["airforce"], snapshot=False)
    counts = {}
    for certainty in ("stated", "possible"):
        out = tmp_path / f"{certainty}.csv"
        assert export(stores["airforce"], "csv", out, "--supplier", "PRK", "--class",
                      "missiles", "--certainty", certainty) == 0
        rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
        counts[certainty] = len(rows)
        assert counts[certainty] == store.count(Filters(suppliers=("PRK",),
                                                        classes=("missiles",),
                                                        certainty=certainty))
        assert all("PRK" in r["weapon_supplier"] for r in rows)
    # The 87 ambiguous Iskander-M/KN-23 reports are possible, not stated, North Korean.
    assert counts["possible"] - counts["stated"] == 87
    store.close()


@pytest.mark.parametrize("flags, message", [
    (["--width", "50"], "width must be"),
    (["--scale", "9"], "scale 9.0"),
    (["--exported-on", "soon"], "is not a date"),
    (["--measure", "bogus"], "measure 'bogus'"),
])
def test_bad_options_exit_2_with_one_line(stores, tmp_path, capsys, flags, message):
    fmt = "png-timeline" if "--measure" in flags else "png-map"
    args = ["export", "--store", str(stores["bundled"]), "--format", fmt,
            "--out", str(tmp_path / "x.png"), *flags]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "Traceback" not in err and len(err.splitlines()) == 1
    assert not (tmp_path / "x.png").exists()
