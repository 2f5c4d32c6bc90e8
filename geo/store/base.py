"""What every store does, written once: SQL for filters, counts, timelines and map layers.

A store holds the canonical events plus a few derived columns computed *in the database*
when rows arrive (arrays for multi-valued fields, the origin group, how the event may be
mapped). Every read takes a :class:`~geo.filters.Filters` and runs as SQL with bound
parameters, so the app never pulls the whole table to filter it (issue 5). Dialects differ
only in the handful of methods marked "dialect" below.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pandas as pd

from geo.curation import Change
from geo.filters import UNKNOWN_ORIGIN, Filters
from geo.schema import COLUMNS
from geo.store.derived import LIKELY_SHARE, derived_sql  # noqa: F401 - re-exported
from geo.store.mapreads import BBox, MapReads  # noqa: F401 - BBox re-exported
from geo.store.sql import as_double, like_pattern, select_list
from geo.store.synclog import SyncLog
from geo.taxonomy import FAMILIES, expand_class_filter

# A value in the event's own field counts as *stated* only on this basis (certainty filters).
_STATED = "origin_basis IN ('catalogue', 'reported')"

BINS = ("day", "week", "month")


class StoreError(RuntimeError):
    """The store could not be reached or used; the message says what to do."""


@dataclass(frozen=True)
class UpsertResult:
    inserted: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged


@dataclass(frozen=True)
class Facets:
    """What is in the store: used to fill the sidebar and to explain empty results."""

    total: int
    first: date | None
    last: date | None
    origins: dict[str, int]
    classes: dict[str, int]
    models: dict[str, int]
    types: dict[str, int]
    oblasts: dict[str, int]
    # Codes stated in the events' weapon_supplier (candidates are not counted here).
    suppliers: dict[str, int] = field(default_factory=dict)


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


class Store(MapReads, SyncLog, ABC):
    """An event store. Subclasses provide connections and the dialect hooks."""

    url: str
    # Public-instance safeguards (settings SALVO_PUBLICATION_DELAY_HOURS and
    # SALVO_COORDINATE_DECIMALS); 0 = off. Applied to every read, so no view or export
    # can show what a setting hides.
    publication_delay_hours: int = 0
    coordinate_decimals: int = 0

    # ---- dialect -----------------------------------------------------------------------
    @abstractmethod
    def _query(self, sql: str, params: list) -> pd.DataFrame:
        """Run a read query with ``?`` placeholders and return a frame."""

    @abstractmethod
    def _overlap(self, column: str) -> str:
        """SQL that is true when array ``column`` shares an item with a bound list."""

    @abstractmethod
    def _period(self, bin_: str) -> str:
        """SQL for the start date of the day/week/month containing ``event_date``."""

    @abstractmethod
    def upsert(self, events: pd.DataFrame) -> UpsertResult:
        """Insert or update canonical rows atomically, keyed by ``event_id``."""

    @abstractmethod
    def version(self) -> str:
        """A token that changes whenever the stored events change (for cache keys)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    # ---- shared SQL --------------------------------------------------------------------
    def where(self, f: Filters) -> tuple[str, list]:
        """The WHERE clause (without the keyword) and parameters for ``f``."""
        clauses = ["status = 'active'"]
        params: list = []
        if self.publication_delay_hours:
            cutoff = datetime.now(UTC) - timedelta(hours=self.publication_delay_hours)
            clauses.append("event_date < ?")  # a date-only event may be later that day
            params.append(cutoff.date())
        if f.date_from:
            clauses.append("event_date >= ?")
            params.append(f.date_from)
        if f.date_to:
            clauses.append("event_date <= ?")
            params.append(f.date_to)
        for attr, plain, pairs in (("origins", "weapon_origin", "origin_candidates"),
                                   ("suppliers", "weapon_supplier", "supplier_candidates")):
            values = getattr(f, attr)
            if values:
                clause, more = self._who_clause(values, f.certainty, plain, attr,
                                                f"likely_{attr}", f"cand_{attr}", pairs)
                clauses.append(clause)
                params.extend(more)
        if f.classes:
            clause, more = self._class_clause(f.classes, f.certainty)
            clauses.append(clause)
            params.extend(more)
        for attr, column in (("models", "models"), ("oblasts", "admin1s")):
            values = list(getattr(f, attr))
            if values:
                clauses.append(self._overlap(column))
                params.append(values)
        if f.types:
            clauses.append("event_type IN (" + ", ".join("?" for _ in f.types) + ")")
            params.extend(f.types)
        if f.q:
            pattern = like_pattern(f.q)
            clauses.append(
                "(description ILIKE ? ESCAPE '\\' OR location ILIKE ? ESCAPE '\\' "
                "OR weapon_model ILIKE ? ESCAPE '\\' OR event_id = ?)"
            )
            params.extend([pattern, pattern, pattern, f.q])
        return " AND ".join(clauses), params

    def _who_clause(self, values: tuple[str, ...], certainty: str, plain: str, column: str,
                    likely: str, candidates: str, pairs: str) -> tuple[str, list]:
        """Origin or supplier filter at a certainty (README "Certainty").

        *stated*: the code is in the event's own field and the basis is catalogue/reported
        (an ambiguous ``RUS;PRK`` states neither); *likely*: stated, or a candidate with share
        ≥ 0.5; *possible*: in the field (any basis) or among the candidates. ``unknown``
        selects the events with no code at that certainty.
        """
        known = [v for v in values if v != UNKNOWN_ORIGIN]
        parts: list[str] = []
        params: list = []
        if known:
            if certainty == "possible":
                parts.append(f"{self._overlap(column)} OR {self._overlap(candidates)}")
                params += [known, known]
            else:
                parts.append(f"({self._overlap(column)} AND {_STATED})")
                params.append(known)
                if certainty == "likely":
                    parts.append(self._overlap(likely))
                    params.append(known)
        if UNKNOWN_ORIGIN in values:
            if certainty == "possible":
                parts.append(f"{plain} = '' AND {pairs} = ''")
            else:
                none = f"NOT ({plain} <> '' AND {_STATED})"
                if certainty == "likely":
                    none += f" AND cardinality({likely}) = 0"
                parts.append(none)
        return "(" + " OR ".join(f"({p})" for p in parts) + ")", params

    def _class_clause(self, values: tuple[str, ...], certainty: str) -> tuple[str, list]:
        """Class filter at a certainty: a family slug selects its member classes.

        *stated*: a selected class is in the event's own field and the basis is not
        ``inferred``; *likely*: stated, or a selected class with share ≥ 0.5, or a selected
        family whose classes' shares sum to ≥ 0.5; *possible*: in the field or the candidates.
        """
        classes = sorted(expand_class_filter(values))
        if certainty == "possible":
            return (f"({self._overlap('classes')} OR {self._overlap('cand_classes')})",
                    [classes, classes])
        clause = f"({self._overlap('classes')} AND origin_basis <> 'inferred')"
        params: list = [classes]
        if certainty == "likely":
            clause += f" OR {self._overlap('likely_classes')}"
            params.append(classes)
            families = [v for v in values if v in FAMILIES]
            if families:
                clause += f" OR {self._overlap('likely_families')}"
                params.append(families)
        return f"({clause})", params

    def count(self, f: Filters) -> int:
        where, params = self.where(f)
        frame = self._query(f"SELECT count(*) AS n FROM events WHERE {where}", params)
        return int(frame["n"].iloc[0])

    def count_by_kind(self, f: Filters) -> dict[str, int]:
        """How many matching events are points, oblast areas, or not mappable."""
        where, params = self.where(f)
        frame = self._query(
            f"SELECT map_kind, count(*) AS n FROM events WHERE {where} GROUP BY map_kind",
            params,
        )
        out = {"point": 0, "area": 0, "none": 0}
        out.update({str(k): int(n) for k, n in zip(frame["map_kind"], frame["n"], strict=True)})
        return out

    def facets(self) -> Facets:
        # The same visibility rules as every read (retractions, publication delay).
        where, params = self.where(Filters())
        base = f"FROM events WHERE {where}"
        head = self._query(
            f"SELECT count(*) AS n, min(event_date) AS first, max(event_date) AS last {base}",
            params,
        )
        total = int(head["n"].iloc[0])
        first = head["first"].iloc[0] if total else None
        last = head["last"].iloc[0] if total else None

        def tally(expr: str) -> dict[str, int]:
            frame = self._query(
                f"SELECT v, count(*) AS n FROM (SELECT {expr} AS v {base}) t "
                "WHERE v IS NOT NULL AND v <> '' GROUP BY v ORDER BY n DESC, v", params
            )
            return {str(v): int(n) for v, n in zip(frame["v"], frame["n"], strict=True)}

        origins = tally(self._unnest("origins"))
        unknown = self._query(f"SELECT count(*) AS n {base} AND weapon_origin = ''", params)
        if int(unknown["n"].iloc[0]):
            origins[UNKNOWN_ORIGIN] = int(unknown["n"].iloc[0])
        return Facets(
            total=total,
            first=_as_date(first),
            last=_as_date(last),
            origins=origins,
            suppliers=tally(self._unnest("suppliers")),
            classes=tally(self._unnest("classes")),
            models=tally(self._unnest("models")),
            types=tally("event_type"),
            oblasts=tally(self._unnest("admin1s")),
        )

    def _unnest(self, column: str) -> str:
        return f"unnest({column})"

    def timeline(self, f: Filters, bin_: str = "week") -> pd.DataFrame:
        """Counts per period and origin group: events, weapons launched and destroyed."""
        if bin_ not in BINS:
            raise ValueError(f"bin must be one of {BINS}")
        where, params = self.where(f)
        period = self._period(bin_)
        return self._query(
            f"SELECT {period} AS period, origin_group, count(*) AS events, "
            f"{as_double('sum(launched)')} AS launched, "
            f"{as_double('sum(destroyed)')} AS destroyed, "
            # Share destroyed only over reports that give both counts (unknown ≠ zero).
            f"{as_double('sum(CASE WHEN destroyed IS NOT NULL THEN launched END)')} "
            "AS launched_known, "
            f"{as_double('sum(CASE WHEN launched IS NOT NULL THEN 1 ELSE 0 END)')} AS reports "
            f"FROM events WHERE {where} GROUP BY 1, 2 ORDER BY 1, 2",
            params,
        )

    def events(self, f: Filters, limit: int | None = None, offset: int = 0,
               newest_first: bool = True) -> pd.DataFrame:
        """Canonical rows matching ``f``; oldest first (stable) for exports."""
        where, params = self.where(f)
        # Qualified: a bare event_date would sort by the select list's text alias.
        order = ("events.event_date DESC, event_id" if newest_first
                 else "events.event_date, event_id")
        sql = f"SELECT {select_list(COLUMNS)} FROM events WHERE {where} ORDER BY {order}"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params = params + [int(limit), int(offset)]
        return self._published(self._query(sql, params))

    @abstractmethod
    def apply_change(self, change: Change) -> None:
        """Write one curation change and its audit row in a single transaction."""

    def history(self, event_id: str) -> pd.DataFrame:
        """The audit log of one event, oldest first (who, when, what, why, before/after)."""
        return self._audit_query(
            "SELECT changed_at, actor, action, reason, before_json AS before, "
            "after_json AS after FROM audit_log "
            "WHERE event_id = ? ORDER BY id", [event_id])

    def links(self, event_id: str) -> pd.DataFrame:
        """Duplicate links touching one event, in either direction."""
        return self._audit_query(
            "SELECT event_id, other_id, relation, actor, changed_at, reason FROM event_links "
            "WHERE event_id = ? OR other_id = ? ORDER BY changed_at", [event_id, event_id])

    def _audit_query(self, sql: str, params: list) -> pd.DataFrame:
        """Read the curation tables (a dialect may keep them outside its read path)."""
        return self._query(sql, params)

    def _published(self, frame: pd.DataFrame) -> pd.DataFrame:
        if self.coordinate_decimals and not frame.empty:
            for column in ("latitude", "longitude", "lat", "lon"):
                if column in frame:
                    frame[column] = frame[column].round(self.coordinate_decimals)
        return frame

    def get(self, event_id: str) -> dict | None:
        frame = self._published(self._query(
            f"SELECT {select_list(COLUMNS)}, status FROM events WHERE event_id = ?", [event_id]
        ))
        if frame.empty:
            return None
        if self.publication_delay_hours:
            cutoff = datetime.now(UTC) - timedelta(hours=self.publication_delay_hours)
            if str(frame["event_date"].iloc[0]) >= cutoff.date().isoformat():
                return None
        return {k: (None if _missing(v) else v) for k, v in frame.iloc[0].items()}


def _as_date(value: object) -> date | None:
    if value is None or _missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
