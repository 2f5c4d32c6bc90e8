"""Attribution for the bulk import: the engine on the rows that need it, SQL for the rest.

Every import attributes a file's events before storing them (:mod:`geo.attribution_store`).
The engine's answer for an event it does not infer (a stated weapon, a type it does not
attribute, a curated event) depends only on the event's weapon fields and date, so it is
computed once per distinct combination and joined back in SQL. The events it infers go
through :func:`geo.attribution.attribute` in date chunks, each with the attack reports of
its days (±2, as every import), plus the first and last usable report of the whole set so
the engine sees the same covered period as for the whole file at once. Then, as every
import, stored events in the windows of the file's attack reports are recomputed — here
only those that were stored before and are not in the file (the file's own events were
just computed with the same reports).
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd

from geo.attack_reports import report_area
from geo.attribution import ATTRIBUTED_TYPES, OUTPUT_COLUMNS, STATED_BASES, Summary, attribute
from geo.attribution_store import _exact, _write, curated_ids
from geo.filters import Filters
from geo.importers.native_rules import _WS
from geo.importers.native_rules import load_frame as _load
from geo.schema import COLUMNS
from geo.store.base import Store
from geo.store.sql import select_list
from geo.taxonomy import family_of

CHUNK_ROWS = 100_000  # inferred events per engine call (memory stays flat at any N)
_KEY = ("weapon_model", "weapon_class", "weapon_origin", "origin_basis", "weapon_supplier",
        "event_date")
_REPORT_COLUMNS = ("event_id", "event_date", "event_type", "time_start", "time_end",
                   "time_precision", "launched", "destroyed", "weapon_model", "admin1",
                   "location")
_STATED = ("((weapon_origin <> '' OR weapon_model <> '') AND origin_basis IN ("
           + ", ".join(f"'{b}'" for b in STATED_BASES) + "))")
_TYPES = "event_type IN (" + ", ".join(f"'{t}'" for t in ATTRIBUTED_TYPES) + ")"

__all__ = ["Summary", "attribute_staged", "refresh_windows"]


def _all_reports(con: duckdb.DuckDBPyConnection, store: Store, same_store: bool,
                 lo: date, hi: date) -> None:
    """``sbulk.reports``: the file's attack reports plus the active ones stored in [lo, hi]
    whose event_id is not in the file (what every import joins with)."""
    columns = ", ".join(_REPORT_COLUMNS)
    if same_store:
        stored = (f"SELECT {select_list(_REPORT_COLUMNS)} FROM events WHERE status = 'active' "
                  "AND event_type = 'attack' AND event_date BETWEEN ? AND ?")
        params: list = [lo, hi]
    else:
        with _exact(store) as exact:
            frame = exact.events(Filters(date_from=lo, date_to=hi, types=("attack",)),
                                 newest_first=False)
        _load(con, "sbulk.stored_reports", frame[list(_REPORT_COLUMNS)])
        stored, params = f"SELECT {columns} FROM sbulk.stored_reports", []
    con.execute(f"CREATE TABLE sbulk.reports AS SELECT {columns} FROM ({stored}) s "
                "WHERE event_id NOT IN (SELECT event_id FROM sbulk.good) UNION ALL "
                f"SELECT {select_list(_REPORT_COLUMNS)} FROM sbulk.good "
                "WHERE event_type = 'attack' ORDER BY event_date", params)


def _edges(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The first and last report the engine's index keeps (launched > 0, a weapon, an area
    in Ukraine): their dates bound the period it treats as covered."""
    pairs = con.execute("SELECT DISTINCT admin1, location FROM sbulk.reports "
                        "WHERE launched > 0").fetchall()
    _load(con, "sbulk.areas", pd.DataFrame([p for p in pairs if report_area(*p)],
                                          columns=["admin1", "location"], dtype=object))
    kept = (f"SELECT * FROM sbulk.reports r SEMI JOIN sbulk.areas USING (admin1, location) WHERE "
            f"launched > 0 AND len(list_filter(string_split(weapon_model, ';'), "
            f"lambda x: trim(x, {_WS}) <> '')) > 0")
    return con.execute(f"(SELECT * FROM ({kept}) ORDER BY event_date, event_id LIMIT 1) "
                       f"UNION ALL (SELECT * FROM ({kept}) ORDER BY event_date DESC, "
                       "event_id LIMIT 1)").df()


def attribute_staged(con: duckdb.DuckDBPyConnection, store: Store,
                     same_store: bool) -> tuple[Summary, tuple | None]:
    """``sbulk.good`` → ``sbulk.final`` (attributed) ; returns the summary and what
    :func:`refresh_windows` needs afterwards."""
    if same_store:
        con.execute("CREATE TABLE sbulk.curated AS SELECT DISTINCT event_id FROM events "
                    "WHERE coalesce(curated, false)")
    else:
        _load(con, "sbulk.curated",
              pd.DataFrame({"event_id": sorted(curated_ids(store))}, dtype=object))
    con.execute(f"CREATE TABLE sbulk.flags AS SELECT line, event_id IN (SELECT event_id FROM "
                f"sbulk.curated) AS cur, NOT {_STATED} AND {_TYPES} AS target FROM sbulk.good")
    summary = Summary(events=con.execute("SELECT count(*) FROM sbulk.good").fetchall()[0][0])
    _own(con)
    lo, hi = (date.fromisoformat(str(d)[:10]) for d in con.execute(
        "SELECT min(event_date), max(event_date) FROM sbulk.good").fetchall()[0])
    margin = timedelta(days=2)
    _all_reports(con, store, same_store, lo - margin, hi + margin)
    _targets(con, _edges(con), summary)
    keys = " AND ".join(f"o.{k} = g.{k}" for k in _KEY)
    picked = ", ".join(
        f"CASE WHEN f.cur THEN g.{c} WHEN f.target THEN t.{c} ELSE o.o_{c} END AS {c}"
        if c in OUTPUT_COLUMNS else f"g.{c}" for c in COLUMNS)
    before = ", ".join(f"g.{c} AS old_{c}" for c in OUTPUT_COLUMNS)
    # What changed and which events gained candidates, in the same pass (no second join).
    differs = " OR ".join(f"old_{c} IS DISTINCT FROM {c}" for c in OUTPUT_COLUMNS)
    con.execute(f"CREATE TABLE sbulk.final AS SELECT line, {', '.join(COLUMNS)}, "
                f"({differs}) AS changed, (old_class_candidates = '' AND class_candidates "
                f"<> '') AS gained FROM (SELECT g.line, {picked}, {before} FROM sbulk.good g "
                "JOIN sbulk.flags f USING (line) LEFT JOIN sbulk.target_out t USING (line) "
                f"LEFT JOIN sbulk.own_out o ON {keys})")
    summary.changed = con.execute("SELECT count(*) FROM sbulk.final WHERE changed"
                                  ).fetchall()[0][0]
    for top, n in con.execute(
            "SELECT split_part(class_candidates, ':', 1), count(*) FROM sbulk.final "
            "WHERE gained GROUP BY 1").fetchall():
        family = family_of(top)
        summary.gained[family] = summary.gained.get(family, 0) + n
    return summary, _refresh_plan(con, store, same_store)


def _own(con: duckdb.DuckDBPyConnection) -> None:
    """``sbulk.own_out``: the engine's answer per distinct weapon fields + date, for the
    events it does not infer (asked as type ``other``, which it never infers)."""
    keys = con.execute(f"SELECT DISTINCT {', '.join(_KEY)} FROM sbulk.good JOIN sbulk.flags "
                       "USING (line) WHERE NOT target AND NOT cur").df()
    frame = keys.copy()
    frame["event_date"] = frame["event_date"].astype(str).str[:10]
    for column in COLUMNS:
        if column not in frame:
            frame[column] = ""
    frame["event_id"] = [f"key-{i}" for i in range(len(frame))]
    frame["event_type"] = "other"
    for column in ("launched", "destroyed", "hits", "fatalities", "injured"):
        frame[column] = pd.array([None] * len(frame), dtype="Int64")
    frame["latitude"] = frame["longitude"] = float("nan")
    out, _ = attribute(frame, reports=frame.iloc[:0])
    own = keys.copy()
    for column in OUTPUT_COLUMNS:
        own[f"o_{column}"] = out[column].astype(object).to_numpy()
    _load(con, "sbulk.own_out", own)


def _chunks(con: duckdb.DuckDBPyConnection) -> list[tuple[date, date]]:
    days = [(date.fromisoformat(d), n) for d, n in con.execute(
        "SELECT event_date, count(*) FROM sbulk.targets GROUP BY 1 ORDER BY 1").fetchall()]
    out: list[tuple[date, date]] = []
    first, rows = None, 0
    for day, n in days:
        if first is None:
            first = day
        rows += n
        if rows >= CHUNK_ROWS:
            out.append((first, day))
            first, rows = None, 0
    if first is not None:
        out.append((first, days[-1][0]))
    return out


def _targets(con: duckdb.DuckDBPyConnection, edges: pd.DataFrame, summary: Summary) -> None:
    """``sbulk.target_out``: the engine's output for the events it infers, chunk by chunk."""
    names = ", ".join(f"{c} VARCHAR" for c in OUTPUT_COLUMNS)
    con.execute(f"CREATE TABLE sbulk.target_out (line BIGINT, {names})")
    margin = timedelta(days=2)
    # The inferred events once, in date order: each chunk then reads its own days instead of
    # joining the whole file again (at 10M rows that join per chunk made this quadratic).
    con.execute(f"CREATE TABLE sbulk.targets AS SELECT line, {select_list(COLUMNS)} FROM "
                "sbulk.good JOIN sbulk.flags USING (line) WHERE target ORDER BY event_date")
    for first, last in _chunks(con):
        events = con.execute(
            "SELECT * FROM sbulk.targets WHERE event_date BETWEEN ? AND ?",
            [str(first), str(last)]).df()
        reports = pd.concat([con.execute(
            "SELECT * FROM sbulk.reports WHERE event_date BETWEEN ? AND ?",
            [str(first - margin), str(last + margin)]).df(), edges], ignore_index=True)
        reports = reports.drop_duplicates("event_id", keep="first")
        out, part = attribute(events, reports=reports)
        summary.weapons_inferred += part.weapons_inferred
        con.register("_result", out[["line", *OUTPUT_COLUMNS]])
        con.execute("INSERT INTO sbulk.target_out SELECT * FROM _result")
        con.unregister("_result")


def _refresh_plan(con: duckdb.DuckDBPyConnection, store: Store,
                  same_store: bool) -> tuple | None:
    """Stored events (not in the file) in the windows of the file's attack reports."""
    span = con.execute("SELECT min(event_date), max(event_date) FROM sbulk.good "
                       "WHERE event_type = 'attack'").fetchall()[0]
    if span[0] is None:
        return None
    lo = date.fromisoformat(str(span[0])[:10]) - timedelta(days=2)
    hi = date.fromisoformat(str(span[1])[:10]) + timedelta(days=1)
    if same_store:
        ids = con.execute("SELECT event_id FROM events WHERE status = 'active' AND event_date "
                          "BETWEEN ? AND ? AND event_id NOT IN (SELECT event_id FROM sbulk.good)",
                          [lo, hi]).df()
    else:
        _load(con, "sbulk.stored_ids", store._query(
            "SELECT event_id FROM events WHERE status = 'active' AND event_date BETWEEN ? AND ?",
            [lo, hi]))
        ids = con.execute("SELECT event_id FROM sbulk.stored_ids WHERE event_id NOT IN "
                          "(SELECT event_id FROM sbulk.good)").df()
    return (list(ids["event_id"]), lo, hi) if len(ids) else None


def refresh_windows(store: Store, summary: Summary | None, plan: tuple | None) -> None:
    """Recompute the stored events of :func:`_refresh_plan` with the reports now stored."""
    if plan is None or summary is None:
        return
    ids, lo, hi = plan
    with _exact(store) as exact:
        parts = []
        for start in range(0, len(ids), 10_000):
            batch = ids[start:start + 10_000]
            parts.append(exact._query(
                f"SELECT {select_list(COLUMNS)} FROM events WHERE status = 'active' AND "
                f"event_id IN ({', '.join('?' * len(batch))})", batch))
        events = pd.concat(parts, ignore_index=True)
        reports = exact.events(Filters(date_from=lo - timedelta(days=2),
                                       date_to=hi + timedelta(days=2), types=("attack",)),
                               newest_first=False)
        out, again = attribute(events, reports=reports, curated=curated_ids(exact))
        _write(exact, events, out)
    summary.changed += again.changed
    for family, n in again.gained.items():
        summary.gained[family] = summary.gained.get(family, 0) + n
