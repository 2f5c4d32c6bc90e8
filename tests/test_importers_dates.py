"""geo.importers.dates: one day/month order per column, decided from the data."""

from __future__ import annotations

from datetime import date

import pytest

from geo.importers.dates import DateReader, span_precision


def test_two_digit_years_day_first_as_in_the_osint_map():
    reader = DateReader(["26/10/25", "03/11/25"])
    assert (reader.order, reader.decided) == ("dmy", "data")
    parsed = reader.parse("03/11/25")
    assert parsed.start == date(2025, 11, 3) and "date_two_digit_year" in parsed.notes


def test_a_column_that_proves_month_first_rejects_day_first_values():
    reader = DateReader(["12/31/2024", "01/02/2024"])
    assert reader.order == "mdy"
    assert reader.parse("01/02/2024").start == date(2024, 1, 2)
    with pytest.raises(ValueError, match="the column's order"):
        reader.parse("31/12/2024")


def test_ambiguous_column_uses_the_default_and_says_so():
    reader = DateReader(["01/02/2024", "03/04/2024"], default="dmy")
    assert reader.ambiguous and "AMBIGUOUS" in reader.describe()
    assert DateReader(["01/02/2024"], order="mdy").parse("01/02/2024").start == date(2024, 1, 2)


def test_offsets_are_converted_to_kyiv_and_naive_times_noted():
    reader = DateReader([])
    before = reader.parse("2024-03-31T00:30Z")       # DST starts at 01:00 UTC that night
    after = reader.parse("2024-03-31T01:30Z")
    assert before.start_time.isoformat() == "2024-03-31T02:30:00+02:00"
    assert after.start_time.isoformat() == "2024-03-31T04:30:00+03:00"
    naive = reader.parse("2024-01-05 14:00")
    assert "time_assumed_kyiv_local" in naive.notes and naive.precision == "hour"


@pytest.mark.parametrize(("text", "start", "end", "precision"), [
    ("1-3 Jan 2024", date(2024, 1, 1), date(2024, 1, 3), "week"),
    ("Jan 2024", date(2024, 1, 1), date(2024, 1, 31), "month"),
    ("2024", date(2024, 1, 1), date(2024, 12, 31), "year"),
    ("2024-01-01/2024-01-20", date(2024, 1, 1), date(2024, 1, 20), "month"),
])
def test_ranges_and_partial_dates(text, start, end, precision):
    parsed = DateReader([]).parse(text)
    assert (parsed.start, parsed.end, parsed.precision) == (start, end, precision)


def test_not_a_date_and_no_such_day_give_reasons():
    with pytest.raises(ValueError, match="not a date"):
        DateReader([]).parse("yesterday")
    with pytest.raises(ValueError, match="no such day"):
        DateReader([]).parse("2024-02-30")
    assert span_precision(0) == "day" and span_precision(40) == "year"
