"""Numeric, float and integer semantics against PostgreSQL: numeric math computed in decimal
precision with PostgreSQL's result scales, NaN and infinities, the errors PostgreSQL raises
(never an internal error), float8 functions and integer operators."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sql.differential import Differ

FUNCTION_VALUES = [
    "SELECT sqrt(4.2::numeric), sqrt(0::numeric), sqrt(2::numeric), sqrt(1e-20::numeric)",
    "SELECT sqrt(12345678901234567890.123::numeric), sqrt('inf'::numeric), sqrt('nan'::numeric)",
    "SELECT ln(4.2::numeric), ln(1::numeric), ln(0.99::numeric), ln(1e100::numeric)",
    "SELECT ln(1.0000001::numeric), ln('inf'::numeric), ln(123456.789::numeric)",
    "SELECT log(4.2::numeric), log10(4.2::numeric), log(2::numeric, 4.2::numeric)",
    "SELECT log(2.0, 64), log(10, 1e-30::numeric), log('inf'::numeric, 2), log(2, 'inf'::numeric)",
    "SELECT exp(1::numeric), exp(-1::numeric), exp(0.5::numeric), exp(100::numeric)",
    "SELECT exp(-5000::numeric), exp('-inf'::numeric), exp('inf'::numeric), exp(1.000::numeric)",
    "SELECT power(2::numeric, 3), power(2.5, 2), power(4.2, -1), power(0::numeric, 0)",
    "SELECT power(2::numeric, 0.5), power(1.1, 100.5), power(-2::numeric, 3), power(8.0, 1.0/3)",
    "SELECT power('inf'::numeric, -2), power('-inf'::numeric, 3), power('-inf'::numeric, 2)",
    "SELECT power(0.5::numeric, 'inf'), power(2::numeric, '-inf'), power('nan'::numeric, 0)",
    "SELECT power(1::numeric, 'nan'), power(-1::numeric, 'inf'), power(0::numeric, 'inf')",
    "SELECT 2.0 ^ 10, 10.0 ^ -3, 2 ^ 0.5, 2 ^ 3 ^ 2",
    "SELECT div(7.5, 2), div(-7.5, 2), mod(7.5, 2), mod(-7.5, 2), 7.5 % -2",
    "SELECT div('inf'::numeric, 2), div(2, 'inf'::numeric), mod('inf'::numeric, 2)",
    "SELECT mod(2.5, 'inf'), mod('-inf'::numeric, 'inf')",
    "SELECT 'inf'::numeric + '-inf'::numeric, 'inf'::numeric * 0, '-inf'::numeric * -2",
    "SELECT 1::numeric / 'inf', 'inf'::numeric / -3, 'nan'::numeric / 0",
    "SELECT 1.234567890123456789012345678901234 * 2.000000000000000000000000001",
    "SELECT 10000000000000000000000000000000001::numeric + 0.0000000000000000000001",
    "SELECT 'inf'::numeric, '-inf'::numeric, '+inf'::numeric, '-Infinity'::numeric, 'NaN'::numeric",
    "SELECT round(2.5), round(-2.5), round(1234.5678, 2), round(1234.5678, -2), round(2.5::float8)",
    "SELECT trunc(1234.5678, 2), trunc(1234.5678, -2), trunc(-2.7), ceil(-2.5), floor(-2.5)",
    "SELECT ceiling(-2.5), ceiling(2.5::float8), pow(2, 3), pow(2.0, 3)",
    "SELECT round(1e-30::numeric * 3, 40), round(12345678901234567890123456789.5)",
    "SELECT scale(1.500), min_scale(1.500), trim_scale(1.500), trim_scale(100), scale(0)",
    "SELECT min_scale(1e100), trim_scale(1e100), trim_scale(-0.000), scale('nan'::numeric)",
    f"SELECT generate_series(1.{'0' * 32}1, 1.{'0' * 32}3, 0.{'0' * 32}1) AS s",
    f"SELECT * FROM generate_series(1.{'0' * 32}1, 1.{'0' * 30}1, 0.{'0' * 31}1)",
    "SELECT gcd(12, 18), lcm(12, 18), gcd(1.5, 2.25), lcm(1.5, 2.25), gcd(0, 0), factorial(20)",
    "SELECT abs(-7.5), abs(-7), sign(-7.5), sign(-3), sign(0::float8), abs('-inf'::numeric)",
    "SELECT sqrt(2), sqrt(2::float8), ln(2), exp(2), power(2, 10), cbrt(27)",
    "SELECT sin(1), cos(1), tan(1), asin(0.5), acos(0.5), atan(1), atan2(1, 2), cot(1)",
    "SELECT sind(30), cosd(60), tand(45), cotd(45), asind(0.5), acosd(0.5), atand(1)",
    "SELECT sinh(1), cosh(1), tanh(1), asinh(1), acosh(2), atanh(0.5), degrees(1), radians(1)",
    "SELECT power('nan'::float8, 0), power(1::float8, 'nan'), power('-inf'::float8, 3)",
    "SELECT 'nan'::float8 / 0, power(-1::float8, 'nan'), 'nan'::float8 * 0",
    "SELECT power(2::float8, '-inf'), power(0.5::float8, '-inf'), exp('-inf'::float8)",
    "SELECT width_bucket(5.35, 0.024, 10.06, 5), width_bucket(5::float8, 0, 10, 4)",
    "SELECT 12 & 10, 12 | 10, 12 # 10, ~12, 1 << 4, -16 >> 2, (-1::int4 << 31)::text",
    "SELECT (-1::int8 << 63)::text, 5::int2 & 3::int2, 7::int8 | 1",
    "SELECT x FROM (VALUES ('nan'::numeric), (1), ('inf'), ('-inf'), ('nan')) t(x) ORDER BY x",
    "SELECT x FROM (VALUES ('nan'::float8), (1), ('-inf'), ('nan')) t(x) ORDER BY x DESC",
    "SELECT x FROM (VALUES ('nan'::numeric), (1), (-1)) t(x) WHERE x = 'nan' OR x > 0",
    "SELECT x FROM (VALUES ('nan'::numeric), (1), (-1)) t(x) WHERE x < 'nan' AND x <> 'nan'",
    "SELECT -1.000000000000000000000000000000000000001, -(2.5 ^ 100)",
    "SELECT sum(x), avg(x) FROM (VALUES (1.0000000000000000000000000000000001), (1)) t(x)",
    "SELECT 1.2345678901234567::float8::numeric, 1.234567891::float4::numeric",
    "SELECT 1e20::float8::numeric, 1e-45::float4",
    "SELECT 123456789012345678::float8::numeric, 1e-7::float8::numeric, 2.5::numeric::int4",
    "SELECT '42'::int2::int8, 'NaN'::float8::numeric, float8(3), int4(2.5), int8(7.5::float4)",
    "SELECT 3.0::float8 * 1e-200, 1e300::float8 + 1e300, '-0'::float8, 0.1::float4 + 0.2::float4",
]

ERRORS = [
    "SELECT ln(0::numeric)",
    "SELECT ln(-1::numeric)",
    "SELECT log(0::numeric)",
    "SELECT log(10::numeric, 0::numeric)",
    "SELECT log(-1::numeric, 10)",
    "SELECT log(1::numeric, 10)",
    "SELECT sqrt(-1::numeric)",
    "SELECT sqrt(-1::float8)",
    "SELECT ln(0::float8)",
    "SELECT ln(-1::float8)",
    "SELECT power(0::numeric, -1)",
    "SELECT power(-2::numeric, 3.3)",
    "SELECT power(0::float8, -1)",
    "SELECT power(-2::float8, 0.5)",
    "SELECT power(10::numeric, 500000)",
    "SELECT power(10::float8, 500)",
    "SELECT exp(10000::numeric)",
    "SELECT exp(1000::float8)",
    "SELECT exp(-1000::float8)",
    "SELECT 1e-200::float8 * 1e-200",
    "SELECT 1e300::float8 * 1e300",
    "SELECT 1::numeric / 0",
    "SELECT 'inf'::numeric / 0",
    "SELECT 1 / 0",
    "SELECT 1::float8 / 0",
    "SELECT 5 % 0",
    "SELECT div(1, 0)",
    "SELECT mod(5::numeric, 0)",
    "SELECT (-2147483648)::int4 / -1",
    "SELECT (-2147483648)::int4 * -1",
    "SELECT abs((-2147483648)::int4)",
    "SELECT abs((-9223372036854775808)::int8)",
    "SELECT -((-32768)::int2)",
    "SELECT 2147483647::int4 + 1",
    "SELECT 40000::int4::int2",
    "SELECT 'abc'::int",
    "SELECT '1.5'::int",
    "SELECT '99999999999'::int4",
    "SELECT 'xyz'::numeric",
    "SELECT 'inf'::numeric(5, 2)",
    "SELECT 123.456::numeric(4, 2)",
    "SELECT 'NaN'::numeric::int4",
    "SELECT 12345678901234567890123456789012345678::numeric::int8",
    "SELECT 1e400::numeric::float8",
    "SELECT 1e-400::numeric::float8",
    "SELECT 1e40::numeric::float4",
    "SELECT 1e40::float8::float4",
    "SELECT 1e-50::float8::float4",
    "SELECT 'inf'::numeric::int8",
    "SELECT asin(2)",
    "SELECT sin('inf'::float8)",
    "SELECT acosh(0.5)",
    "SELECT atanh(2)",
    "SELECT gcd((-2147483648)::int4, 0)",
    "SELECT lcm(2147483647::int4, 2147483646)",
    "SELECT factorial(-1)",
    "SELECT width_bucket(1, 2, 2, 5)",
    "SELECT width_bucket(1, 0, 10, 0)",
    "SELECT 1.5 & 2",
    "SELECT 1.5::float8 % 2",
    "SELECT gcd(1.5::float8, 2)",
    "SELECT log(10::float8, 2)",
    "SELECT length(42)",
    "SELECT upper(1.5)",
    "SELECT substr(1234, 2)",
    "SELECT substring(1234 from 2)",
    "SELECT btrim(now())",
    "SELECT 3 || 4.0",
    "SELECT true || 1",
    "SELECT 1 LIKE 1",
    "SELECT 'a' + 1",
    "SELECT 1 = true",
    "SELECT * FROM generate_series(-100::numeric, 100::numeric, 'nan'::numeric)",
    "SELECT * FROM generate_series('inf'::numeric, 'inf'::numeric, 10::numeric)",
    "SELECT * FROM generate_series(0::numeric, 42::numeric, '-inf'::numeric)",
    "SELECT * FROM generate_series(1, 5, 0)",
    "SELECT generate_series(1.5, 5, 0)",
]

IMPLICIT_OK = [
    "SELECT length('42'), 'x' || 1, 1 || 'x', NULL || 2, '1' + 1, 2.5 * '2', 'ab' LIKE 'a%'",
    "SELECT length('abc'::varchar), upper('x'::char(3)), substr('abcd', 2) AS s, 3 || ''",
]


@pytest.mark.parametrize("sql", FUNCTION_VALUES)
def test_math_values_match_postgres(differ: Differ, sql: str) -> None:
    differ.check(sql)


@pytest.mark.parametrize("sql", ERRORS)
def test_bad_input_raises_postgres_sqlstate(differ: Differ, sql: str) -> None:
    outcome = differ.check(sql)
    assert outcome.sqlstate is not None and outcome.sqlstate != "XX000"


@pytest.mark.parametrize("sql", IMPLICIT_OK)
def test_untyped_literals_take_the_other_sides_type(differ: Differ, sql: str) -> None:
    differ.check(sql)


def test_numeric_columns_round_to_typmod(differ: Differ) -> None:
    differ.check("CREATE TABLE n (a numeric(10, 4), b numeric(3, 1), c numeric)")
    differ.check("INSERT INTO n VALUES (1.23456, 12.35, 'inf'), (-0.00005, -1, 'nan')")
    differ.check("SELECT a, b, c FROM n ORDER BY a")
    differ.check("INSERT INTO n (b) VALUES (99.95)")
    differ.check("INSERT INTO n (a) VALUES ('inf')")
    differ.check("UPDATE n SET a = a * 1000000")
    differ.check("SELECT a + b, a * b, a / b, sqrt(abs(a)), exp(b) FROM n ORDER BY a")


_FIXTURE = [HealthCheck.function_scoped_fixture]
_decimals = st.decimals(
    min_value=Decimal("-1e12"),
    max_value=Decimal("1e12"),
    allow_nan=False,
    allow_infinity=False,
    places=None,
).filter(lambda d: len(d.as_tuple().digits) <= 24 and d.as_tuple().exponent >= -14)  # type: ignore[operator]


@settings(max_examples=60, deadline=None, suppress_health_check=_FIXTURE)
@given(a=_decimals, b=_decimals)
def test_numeric_math_matches_postgres_on_generated_values(
    differ: Differ, a: Decimal, b: Decimal
) -> None:
    x, y = f"'{a}'::numeric", f"'{b}'::numeric"
    differ.check(f"SELECT {x} + {y}, {x} - {y}, {x} * {y}, div({x}, {y} + 0.5), {x} % 7.3")
    differ.check(f"SELECT {x} / nullif({y}, 0), round({x}, 3), trunc({x}, -2), scale({x} * {y})")
    differ.check(f"SELECT sqrt(abs({x})), exp({x} % 50), ln(abs({x}) + 1), log(abs({y}) + 2)")
    differ.check(f"SELECT log(abs({x}) + 2, abs({y}) + 0.5), power(abs({x}) % 100 + 1, {y} % 7)")


_floats = st.floats(allow_nan=False, allow_infinity=False, width=64).filter(lambda f: f != 0)


@settings(max_examples=60, deadline=None, suppress_health_check=_FIXTURE)
@given(a=_floats, b=_floats)
def test_float8_arithmetic_matches_postgres_on_generated_values(
    differ: Differ, a: float, b: float
) -> None:
    x, y = f"'{a!r}'::float8", f"'{b!r}'::float8"
    for expr in (f"{x} + {y}", f"{x} * {y}", f"{x} / {y}", f"sqrt(abs({x}))", f"cbrt({x})"):
        differ.check(f"SELECT {expr}")
    differ.check(f"SELECT '{a!r}'::float4, '{a!r}'::float4 * '{b!r}'::float4")
