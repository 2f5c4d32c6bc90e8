"""geo.limits: the resource-bound checks the importers call (issue 14, "Beyond the fixes")."""

from __future__ import annotations

import doctest
import io
import json
import zipfile

import pytest

import geo.limits
from geo.limits import (
    MB,
    Deadline,
    LimitExceeded,
    Limits,
    check_json_depth,
    check_rows,
    check_upload_size,
    check_xlsx,
    current,
    json_depth,
)


def test_doctests():
    assert doctest.testmod(geo.limits).failed == 0


def test_limits_come_from_the_settings():
    env = {"SALVO_UPLOAD_MAX_MB": "5", "SALVO_UPLOAD_MAX_ROWS": "10",
           "SALVO_XLSX_MAX_UNCOMPRESSED_MB": "7", "SALVO_JSON_MAX_DEPTH": "9",
           "SALVO_IMPORT_MAX_SECONDS": "0"}
    assert current(env) == Limits(upload_bytes=5 * MB, rows=10, xlsx_bytes=7 * MB,
                                  json_depth=9, import_seconds=0.0)
    assert current({}) == Limits()


@pytest.mark.parametrize("doc", [
    {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
        "description": "]]]}}} \\\" [[[", "x": [[1, [2]]]},
        "geometry": {"type": "MultiPolygon", "coordinates": [[[[30.0, 50.0], [31.0, 50.0]]]]}}]},
    [], {}, "plain", [[[[[[[[]]]]]]]],
])
def test_json_depth_matches_the_parsed_structure(doc):
    def depth(value) -> int:
        if isinstance(value, dict):
            return 1 + max((depth(v) for v in value.values()), default=0)
        if isinstance(value, list):
            return 1 + max((depth(v) for v in value), default=0)
        return 0

    assert json_depth(json.dumps(doc).encode()) == depth(doc)


def test_deeply_nested_json_is_refused_before_parsing_with_the_setting_name():
    data = b"[" * 400_000  # the review's 0.4 MB of "[" that raised RecursionError
    with pytest.raises(LimitExceeded, match=r"400,000 levels deep; the limit is 64 "
                                            r"\(SALVO_JSON_MAX_DEPTH\)"):
        check_json_depth(data, Limits())
    check_json_depth(b'{"type": "FeatureCollection", "features": []}', Limits())


def _xlsx(member_bytes: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("xl/worksheets/sheet1.xml", b"<row/>" * (member_bytes // 6))
    return out.getvalue()


def test_workbook_that_unpacks_past_the_bound_is_refused_from_its_directory():
    small = Limits(xlsx_bytes=1 * MB)
    data = _xlsx(3 * MB)
    assert len(data) < MB // 10  # compresses to almost nothing: only the directory tells
    with pytest.raises(LimitExceeded, match=r"unpacks to 3\.0 MB.*"
                                            r"SALVO_XLSX_MAX_UNCOMPRESSED_MB"):
        check_xlsx(io.BytesIO(data), small)
    check_xlsx(io.BytesIO(_xlsx(MB // 2)), small)
    check_xlsx(io.BytesIO(b"not a zip"), small)  # the reader reports the format itself


def test_size_rows_and_wall_time_bounds_name_their_variables():
    with pytest.raises(LimitExceeded, match="SALVO_UPLOAD_MAX_MB"):
        check_upload_size(21 * MB, Limits())
    check_upload_size(20 * MB, Limits())
    with pytest.raises(LimitExceeded, match="more than 10 data rows.*SALVO_UPLOAD_MAX_ROWS"):
        check_rows(11, Limits(rows=10))
    clock = iter([0.0, 5.0, 11.0]).__next__
    deadline = Deadline(Limits(import_seconds=10), clock=clock)
    deadline.check()
    with pytest.raises(LimitExceeded, match="stopped after 10 s.*SALVO_IMPORT_MAX_SECONDS"):
        deadline.check()
    Deadline(Limits(import_seconds=0), clock=iter([0.0, 1e9]).__next__).check()  # 0 = off
