"""SQL fragments every dialect writes the same way (no store state: plain text builders)."""

from __future__ import annotations


def select_list(columns) -> str:
    """Column list with dates as ISO text, the same in every dialect and every export.

    >>> select_list(["event_id", "event_date"])
    'event_id, CAST(event_date AS VARCHAR) AS event_date'
    """
    return ", ".join("CAST(event_date AS VARCHAR) AS event_date" if c == "event_date" else c
                     for c in columns)


def like_pattern(text: str) -> str:
    """An ``ILIKE … ESCAPE '\\'`` pattern matching ``text`` literally anywhere.

    >>> like_pattern("50%_off")
    '%50\\\\%\\\\_off%'
    """
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def as_double(expr: str) -> str:
    """``expr`` as a float in every dialect (DuckDB sums are HUGEINT, PostgreSQL's bigint or
    numeric): the same frame types whichever store answers."""
    return f"CAST({expr} AS DOUBLE PRECISION)"
