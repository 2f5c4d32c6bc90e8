"""Attribution gives the same candidates on DuckDB and PostGIS, and a rerun changes nothing."""

from __future__ import annotations

import pytest

from geo.attribution import OUTPUT_COLUMNS
from geo.attribution_store import attribute_store, store_events
from geo.filters import Filters
from geo.store.duckdb import DuckDBStore
from geo.store.postgis import PostGISStore
from tests.pg import shared_events

pytestmark = pytest.mark.postgis


def test_both_stores_attribute_the_same(pg_cluster, tmp_path):
    duck = DuckDBStore(tmp_path / "parity.duckdb")
    url = pg_cluster.new_database("attribution")
    post = PostGISStore(url)
    try:
        for frame in shared_events():
            assert store_events(duck, frame)[0] == store_events(post, frame)[0]
        columns = ["event_id", *OUTPUT_COLUMNS]
        a = duck.events(Filters(), newest_first=False)[columns].reset_index(drop=True)
        b = post.events(Filters(), newest_first=False)[columns].reset_index(drop=True)
        assert a.equals(b)
        assert (a["class_candidates"] != "").sum() > 4000
        assert attribute_store(duck).as_dict() == attribute_store(post).as_dict()
        assert attribute_store(post).changed == 0
        for certainty in ("stated", "likely", "possible"):
            f = Filters(origins=("IRN",), certainty=certainty)
            assert duck.count(f) == post.count(f)
    finally:
        duck.close()
        post.close()
        pg_cluster.drop_database(url)
