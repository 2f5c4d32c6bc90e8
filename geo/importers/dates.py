"""Dates as analysts write them: one day/month order per column, decided from the data.

:class:`DateReader` reads ISO dates and date-times, ``DD/MM/YYYY`` or ``MM/DD/YYYY`` (the order
proven by the column, else a stated default, reported as ambiguous), two-digit years
(``26/10/25``), month names, ranges and partial dates (month, year). Times with an offset are
converted to Kyiv local time; naive times are taken as Kyiv time (noted).

pandas' own parser is not used: it infers the format from the first value and either fails the
whole column or, with ``format="mixed"``, silently reads ``03/09/2024`` and ``14/09/2024`` in
different orders (docs/security.md C6).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

KYIV = ZoneInfo("Europe/Kyiv")

_MONTHS = {name: number for number in range(1, 13) for name in (
    calendar.month_name[number].casefold(), calendar.month_abbr[number].casefold())}
_MONTHS["sept"] = 9
_TZ = r"(?P<tz>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)"
_CLOCK = (r"(?:(?:T|\s+|,\s*)(?P<hh>\d{1,2}):(?P<mi>\d{2})(?::(?P<ss>\d{2})(?:[.,]\d{1,9})?)?"
          r"\s*(?P<ampm>[ap]\.?m\.?)?\s*" + _TZ + "?)?")
_ISO_DATE = re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})" + _CLOCK + "$",
                       re.I)
_COMPACT = re.compile(r"^(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)$")
_NUMERIC = re.compile(r"^(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y>\d{4}|\d{2})" + _CLOCK + "$",
                      re.I)
_DAY_MONTH = re.compile(r"^(?P<d>\d{1,2})(?:st|nd|rd|th)?[\s\-./]*(?P<mon>[a-z]{3,9})\.?"
                        r"[\s\-.,/]*(?P<y>\d{4}|\d{2})" + _CLOCK + "$", re.I)
_MONTH_DAY = re.compile(r"^(?P<mon>[a-z]{3,9})\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+"
                        r"(?P<y>\d{4})" + _CLOCK + "$", re.I)
_MONTH_ONLY = re.compile(r"^(?:(?P<mon>[a-z]{3,9})\.?[\s\-,]+(?P<y>\d{4})|(?P<y2>\d{4})-(?P<m2>"
                         r"\d{1,2}))$", re.I)
_YEAR_ONLY = re.compile(r"^(?P<y>(?:19|20)\d{2})$")
_DAY_SPAN = re.compile(r"^(?P<d1>\d{1,2})\s*[-–—]\s*(?P<d2>\d{1,2})\s*(?P<mon>[a-z]{3,9})\.?,?"
                       r"\s+(?P<y>\d{4})$", re.I)
_RANGE_SEP = re.compile(r"\s+(?:-|–|—|to|until|till)\s+|\s*[–—]\s*|\s*/\s*(?=\d{4}-)", re.I)
ORDERS = {"dmy": "day-first (DD/MM/YYYY)", "mdy": "month-first (MM/DD/YYYY)",
          "ymd": "year-first (YYYY-MM-DD)"}


def span_precision(days: int) -> str:
    """time_precision for an event known to lie within ``days`` days after its start."""
    if days <= 0:
        return "day"
    if days <= 6:
        return "week"
    if days <= 31:
        return "month"
    return "year"


@dataclass(frozen=True)
class ParsedDate:
    """A parsed date, range or date-time, with the notes it earned."""

    start: date
    end: date | None = None
    start_time: datetime | None = None   # aware, Europe/Kyiv
    end_time: datetime | None = None
    precision: str = "day"
    notes: tuple[str, ...] = ()

    def fields(self) -> dict[str, str]:
        """Canonical event_date / time_start / time_end / time_precision."""
        out = {"event_date": self.start.isoformat(), "time_precision": self.precision,
               "time_start": "", "time_end": ""}
        if self.start_time is not None:
            out["time_start"] = self.start_time.isoformat()
            if self.end_time is not None:
                out["time_end"] = self.end_time.isoformat()
        elif self.end is not None:
            out["time_start"], out["time_end"] = self.start.isoformat(), self.end.isoformat()
        return out


def _year(text: str, notes: list[str]) -> int:
    if len(text) == 2:
        notes.append("date_two_digit_year")
        value = int(text)
        return 2000 + value if value <= date.today().year % 100 + 1 else 1900 + value
    return int(text)


def _tz(text: str) -> timezone | None:
    if not text:
        return None
    if text.upper() in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


class DateReader:
    """Parses one column's dates with one day/month order decided from the whole column.

    Numeric dates ``A/B/YYYY``: a value with A > 12 proves day-first, B > 12 month-first. If
    the column proves one order, that order is used for every value (values that only fit the
    other are rejected, never silently re-read). If nothing proves either order (every value
    has both parts ≤ 12), ``default`` is used and :attr:`ambiguous` is set so the report says
    so. ``YYYY-MM-DD`` (also with ``/`` or ``.``), ``20240115``, ``15 Jan 2024``,
    ``Jan 15, 2024``, ``Jan 2024``, ``2024`` and ranges (``2024-01-01/2024-01-03``,
    ``1-3 Jan 2024``, ``1 Jan – 3 Feb 2024``) are read in any case.

    Date-times: with an offset or ``Z`` they are converted to Kyiv local time; without, they
    are taken as Kyiv local time (noted). A column whose times are all ``00:00`` without an
    offset is a date column written by a spreadsheet: the times are dropped.
    """

    def __init__(self, values: Iterable[str], *, default: str = "dmy",
                 order: str | None = None, column: str = "date"):
        if default not in ORDERS or (order is not None and order not in ORDERS):
            raise ValueError(f"date order must be one of {', '.join(ORDERS)}")
        self.column = column
        day_first = month_first = numeric = naive_times = midnight = 0
        for value in values:
            text = " ".join(str(value).split())
            match = _NUMERIC.match(text)
            if match:
                numeric += 1
                a, b = int(match["a"]), int(match["b"])
                day_first += a > 12 >= b
                month_first += b > 12 >= a
            match = match or _ISO_DATE.match(text) or _DAY_MONTH.match(text) or \
                _MONTH_DAY.match(text)
            if match and match["hh"] is not None and not match["tz"]:
                naive_times += 1
                midnight += int(match["hh"]) == 0 and int(match["mi"]) == 0 and not int(
                    match["ss"] or 0)
        self.numeric, self.day_first, self.month_first = numeric, day_first, month_first
        self.dates_only = naive_times > 0 and midnight == naive_times
        self.ambiguous = False
        if order is not None:
            self.order, self.decided = order, "given"
        elif day_first and not month_first:
            self.order, self.decided = "dmy", "data"
        elif month_first and not day_first:
            self.order, self.decided = "mdy", "data"
        elif day_first and month_first:
            self.order = "dmy" if day_first >= month_first else "mdy"
            self.decided = "majority"
        else:
            self.order, self.decided = default, "default"
            self.ambiguous = numeric > 0

    def describe(self) -> str:
        """One sentence for the report (empty when the column has no numeric dates)."""
        if not self.numeric:
            return ""
        name = ORDERS[self.order]
        if self.decided == "given":
            return f"{name}, as chosen"
        if self.decided == "data":
            proof = self.day_first if self.order == "dmy" else self.month_first
            return f"{name}: {proof} value(s) can only be read that way"
        if self.decided == "majority":
            other = min(self.day_first, self.month_first)
            return (f"{name} by majority; {other} value(s) only fit the other order and are "
                    "rejected (the column mixes orders: check the file)")
        return (f"AMBIGUOUS: all {self.numeric} numeric dates have day and month ≤ 12; read as "
                f"{name}. Choose the other order if that is wrong.")

    def parse(self, value: str) -> ParsedDate:
        """Parse one cell; ``ValueError`` (with a reason for the report) if it is not a date."""
        text = " ".join(str(value).split())
        if not text:
            raise ValueError("missing")
        notes: list[str] = []
        single = self._single(text, notes)
        if single is not None:
            return single
        span = _DAY_SPAN.match(text)
        if span:
            month = _MONTHS.get(span["mon"].casefold())
            if month is None:
                raise ValueError(f"unknown month in {text[:40]!r}")
            start = date(int(span["y"]), month, int(span["d1"]))
            end = date(int(span["y"]), month, int(span["d2"]))
            return self._range(text, ParsedDate(start), ParsedDate(end), ["date_range"])
        parts = _RANGE_SEP.split(text)
        if len(parts) == 2 and all(parts):
            right = self._single(parts[1], notes)
            left = self._single(parts[0], notes)
            if left is None and right is not None:   # "1 Jan – 3 Feb 2024": borrow the year
                left = self._single(f"{parts[0]} {right.start.year}", notes)
            if left is not None and right is not None:
                return self._range(text, left, right, notes + ["date_range"])
        raise ValueError(f"not a date: {text[:40]!r}")

    def _range(self, text: str, left: ParsedDate, right: ParsedDate,
               notes: list[str]) -> ParsedDate:
        end = right.end or right.start
        if end < left.start:
            raise ValueError(f"range ends before it starts: {text[:40]!r}")
        days = (end - left.start).days
        if left.start_time is not None and right.start_time is not None:
            return ParsedDate(left.start, end, left.start_time, right.start_time,
                              "hour" if days == 0 else span_precision(days), tuple(notes))
        return ParsedDate(left.start, end if days else None, None, None,
                          span_precision(days), tuple(notes))

    def _single(self, text: str, notes: list[str]) -> ParsedDate | None:
        try:
            return self._single_or_raise(text, notes)
        except ValueError as exc:
            if str(exc).startswith("!"):
                raise ValueError(str(exc)[1:]) from None
            return None

    def _single_or_raise(self, text: str, notes: list[str]) -> ParsedDate | None:
        match = _ISO_DATE.match(text)
        if match:
            return self._build(text, int(match["y"]), int(match["m"]), int(match["d"]), match,
                               notes)
        match = _COMPACT.match(text)
        if match:
            return self._build(text, int(match["y"]), int(match["m"]), int(match["d"]), None,
                               notes)
        match = _NUMERIC.match(text)
        if match:
            a, b = int(match["a"]), int(match["b"])
            year = _year(match["y"], notes)
            day, month = (a, b) if self.order in ("dmy", "ymd") else (b, a)
            if month > 12:
                raise ValueError(f"!not a valid {ORDERS[self.order]} date (the column's order):"
                                 f" {text[:40]!r}")
            return self._build(text, year, month, day, match, notes)
        for pattern in (_DAY_MONTH, _MONTH_DAY):
            match = pattern.match(text)
            if match:
                month = _MONTHS.get(match["mon"].casefold())
                if month is None:
                    return None
                return self._build(text, _year(match["y"], notes), month, int(match["d"]),
                                   match, notes)
        match = _MONTH_ONLY.match(text)
        if match:
            year = int(match["y"] or match["y2"])
            month = _MONTHS.get((match["mon"] or "").casefold()) or int(match["m2"] or 0)
            if not 1 <= month <= 12:
                return None
            last = calendar.monthrange(year, month)[1]
            return ParsedDate(date(year, month, 1), date(year, month, last), precision="month",
                              notes=tuple(notes))
        match = _YEAR_ONLY.match(text)
        if match:
            year = int(match["y"])
            return ParsedDate(date(year, 1, 1), date(year, 12, 31), precision="year",
                              notes=tuple(notes))
        return None

    def _build(self, text: str, year: int, month: int, day: int, match: re.Match | None,
               notes: list[str]) -> ParsedDate:
        try:
            day_ = date(year, month, day)
        except ValueError:
            raise ValueError(f"!no such day: {text[:40]!r}") from None
        if match is None or match["hh"] is None:
            return ParsedDate(day_, notes=tuple(notes))
        hour, minute, second = int(match["hh"]), int(match["mi"]), int(match["ss"] or 0)
        if match["ampm"]:
            if not 1 <= hour <= 12:
                raise ValueError(f"!bad 12-hour time: {text[:40]!r}")
            hour = hour % 12 + (12 if match["ampm"].lower().startswith("p") else 0)
        if hour > 23 or minute > 59 or second > 59:
            raise ValueError(f"!bad time of day: {text[:40]!r}")
        zone = _tz(match["tz"] or "")
        if zone is None and self.dates_only:
            return ParsedDate(day_, notes=tuple(notes + ["date_midnight_times_dropped"]))
        moment = datetime(year, month, day, hour, minute, second, tzinfo=zone or KYIV)
        if zone is None:
            notes.append("time_assumed_kyiv_local")
        else:
            notes.append("time_converted_to_kyiv")
            moment = moment.astimezone(KYIV)
        return ParsedDate(moment.date(), None, moment, None, "hour", tuple(notes))
