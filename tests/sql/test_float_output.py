"""Float output against a live PostgreSQL under each extra_float_digits: shortest round-trip
text above 0, ``%.*g`` with 15 (double) or 6 (real) digits plus the setting otherwise."""

from __future__ import annotations

import pytest

from tests.sql.differential import Differ

VALUES = (
    "(1::float8/3), (1e20::float8/7), (2.5e-5::float8/3), (123456.789::float8),"
    " (0.1::float4::float8)"
)


@pytest.mark.parametrize("digits", ["1", "0", "-3", "3"])
def test_float_text_follows_extra_float_digits(differ: Differ, digits: str) -> None:
    differ.check(f"SET extra_float_digits = {digits}")
    differ.check(f"SELECT x, x::float4, x::text FROM (VALUES {VALUES}) v(x)")
    differ.check("SELECT stddev_pop(x), var_samp(x::float4) FROM generate_series(1, 7) x")
