"""Round trips of the values db9 holds beyond Python's own types: far dates and timestamps
(day numbers <-> calendar dates, text out and back in), bit strings through their binary
form, and timetz through its binary fields."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from sql import bits, far_dates, timetz

_PG_DAYS = st.integers(min_value=-1_721_425, max_value=2_145_031_948)


@given(_PG_DAYS)
def test_day_numbers_and_calendar_dates_round_trip(ordinal: int) -> None:
    year, month, day = far_dates._civil(ordinal)
    assert far_dates.ordinal_of(year, month, day) == ordinal
    if 1 <= ordinal <= dt.date.max.toordinal():
        assert dt.date.fromordinal(ordinal) == dt.date(year, month, day)


@given(_PG_DAYS)
def test_a_dates_text_reads_back_as_the_same_date(ordinal: int) -> None:
    value = far_dates.date_of(ordinal)
    text = value.isoformat() if isinstance(value, dt.date) else far_dates.format_date(value)
    again = far_dates.parse_far(text, "date", dt.UTC)
    assert again is None or again == value  # None: a near date, read by the ordinary parser


@given(st.integers(min_value=-211_813_488_000_000_000, max_value=9_224_318_015_999_999_999))
def test_a_timestamps_text_reads_back_as_the_same_timestamp(micros: int) -> None:
    value = far_dates.timestamp_of(micros, True)
    if isinstance(value, far_dates.FarTimestamp):
        text = far_dates.format_timestamp(value, dt.UTC)
        assert far_dates.parse_far(text, "timestamptz", dt.UTC) == value
    assert far_dates.micros_of(value) == micros


@given(st.text(alphabet="01", max_size=80))
def test_bit_strings_round_trip_through_binary(value: str) -> None:
    data = bits.send(value)
    assert bits.recv(int.from_bytes(data[:4], "big"), data[4:]) == value


@given(
    st.integers(min_value=0, max_value=86_400_000_000 - 1),
    st.integers(min_value=-(15 * 3600 + 59 * 60), max_value=15 * 3600 + 59 * 60),
)
def test_timetz_round_trips_through_its_binary_fields(micros: int, west: int) -> None:
    value = timetz.make(micros, west)
    assert (timetz.local_micros(value), timetz.west_seconds(value)) == (micros, west)
