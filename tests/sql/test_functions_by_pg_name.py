"""Functions and operators resolved by PostgreSQL's names, whatever sqlglot's tree calls
them (version() is not current_version, to_char is not time_to_str, jsonb @> is not
array_contains_all), each checked against a live PostgreSQL: values, column names and, for
bad input, the SQLSTATE."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sql.differential import Differ

FORMAT = [
    "select format(NULL)",
    "select format('Hello')",
    "select format('Hello %s', 'World')",
    "select format('Hello %%')",
    "select format('Hello %s %s', 'World')",
    "select format('Hello %x', 20)",
    "select format('INSERT INTO %I VALUES(%L,%L)', 'mytab', 10, 'Hello')",
    "select format('%s%s%s','Hello', NULL,'World')",
    "select format('INSERT INTO %I VALUES(%L,%L)', 'mytab', 10, NULL)",
    "select format('INSERT INTO %I VALUES(%L,%L)', NULL, 10, 'Hello')",
    "select format('%1$s %3$s', 1, 2, 3)",
    "select format('%1$s %4$s', 1, 2, 3)",
    "select format('%0$s', 'Hello')",
    "select format('%1$', 1)",
    "select format('Hello %s %1$s %s', 'World', 'Hello again')",
    "select format('>>%10s<<', 'Hello')",
    "select format('>>%-10s<<', NULL)",
    "select format('>>%1$-10I<<', 'Hello')",
    "select format('>>%2$*1$L<<', -10, NULL)",
    "select format('>>%*s<<', 10, 'Hello')",
    "select format('%I', 'Mixed Case'), format('%I', 'plain'), format('%L', 'it''s')",
    "select format('%s', 1.50), format('%s', true)",
]

QUOTING = [
    "select quote_literal(''), quote_literal('abc'''), quote_literal(e'\\\\')",
    "select quote_literal(42), quote_nullable(NULL), quote_nullable('a''b')",
    "select quote_ident('select'), quote_ident('Foo'), quote_ident('foo_1'), quote_ident('1x')",
]

REGEXP = [
    "SELECT regexp_replace('1112223333', E'(\\\\d{3})(\\\\d{3})(\\\\d{4})',"
    " E'(\\\\1) \\\\2-\\\\3')",
    "SELECT regexp_replace('AAA   BBB   CCC   ', E'\\\\s+', ' ', 'g')",
    "SELECT regexp_replace('AAA', '^|$', 'Z', 'g')",
    "SELECT regexp_replace('AAA aaa', 'A+', 'Z', 'gi')",
    "SELECT regexp_replace('abc', 'b', '[\\&]')",
    "SELECT regexp_replace('AAA aaa', 'A+', 'Z', 'z')",
    "SELECT regexp_replace('A PostgreSQL function', 'a|e|i|o|u', 'X', 1, 2)",
    "SELECT regexp_replace('A PostgreSQL function', 'a|e|i|o|u', 'X', 1, 0, 'i')",
    "SELECT regexp_count('123123123123123', '(12)3')",
    "SELECT regexp_count('123123123123', '123', 3)",
    "SELECT regexp_count('ABCABCABCABC', 'Abc', 1, 'i')",
    "SELECT regexp_count('123123123123', '123', 0)",
    "SELECT regexp_instr('abcabcabc', 'a.c', 1, 3)",
    "SELECT regexp_instr('1234567890', '(123)(4(56)(78))', 1, 1, 1, 'i', 4)",
    "SELECT regexp_instr('abcabcabc', 'a.c', 1, 1, 0, 'g')",
    "SELECT regexp_instr('abcabcabc', 'a.c', 1, 1, 2)",
    "SELECT regexp_substr('abcabcabc', 'A.C', 1, 2, 'i')",
    "SELECT regexp_substr('1234567890', '(123)(4(56)(78))', 1, 1, 'i', 3)",
    "SELECT regexp_substr('abcabcabc', 'a.c', 0, 1)",
    "SELECT regexp_match('foobarbequebaz', 'bar.*que')",
    "SELECT regexp_match('foobarbequebaz', '(bar)(beque)')",
    "SELECT regexp_match('foobarbequebaz', 'nomatch')",
    "SELECT regexp_matches('foobarbequebazilbarfbonk', $re$(b[^b]+)(b[^b]+)$re$, 'g')",
    "SELECT regexp_matches('foObARbEqUEbAz', $re$(bar)(beque)$re$, 'i')",
    "SELECT regexp_matches('foobarbequebaz', $re$(bar)(.+)?(beque)$re$)",
    "SELECT regexp_matches('foobarbequebaz', $re$barbeque$re$)",
    "SELECT regexp_matches('foobarbequebaz', $re$(bar)(beque)$re$, 'gz')",
    "SELECT regexp_matches('foobarbequebaz', $re$(barbeque$re$)",
    "SELECT regexp_split_to_array('the quick brown fox', $re$\\s+$re$)",
    "SELECT regexp_split_to_array('the quick brown fox', $re$\\s*$re$)",
    "SELECT regexp_split_to_array('123456', '')",
    "SELECT regexp_split_to_array('thE QUick bROWn', 'e', 'i')",
    "SELECT regexp_split_to_array('thE QUick bROWn', 'e', 'g')",
    "SELECT foo, length(foo) FROM regexp_split_to_table('the quick brown', $re$\\s+$re$) AS foo",
    "SELECT regexp_split_to_table('a,b,,c', ',')",
]

STRINGS = [
    "select left('ahoj', 2), left('ahoj', -2), right('ahoj', 2), right('ahoj', -2)",
    "select repeat('Pg', 4), repeat('Pg', -1), reverse('abcde')",
    "select split_part('joeuser@mydatabase','@',2), split_part('a,b,c', ',', -1)",
    "select translate('12345', '143', 'ax'), initcap('hi THOMAS o''neil x-ray 3d')",
    "select lpad('hi', 5, 'xy'), rpad('hi', 5, 'xy'), lpad('hello', 2), rpad('hi', -1)",
    "select concat(1, 2, NULL, 'x'), concat_ws('#', 1, NULL, 'b')",
    "select md5(''), md5('The quick brown fox jumps over the lazy dog.')",
    "select sha224('abc'), sha256('abc'), sha384(''), sha512('abc')",
    "select encode('\\x1234567890abcdef00', 'hex'), decode('1234567890abcdef00', 'hex')",
    "select encode('\\x1234567890abcdef00', 'escape'), encode('abc'::bytea, 'base64')",
    "select decode('YWJj', 'base64'), decode('a\\000b', 'escape')",
    "select encode('abc'::bytea, 'rot13')",
    "SELECT OVERLAY('abcdef' PLACING '45' FROM 4), OVERLAY('babosa' PLACING 'ubb' FROM 2 FOR 4)",
    "select position('ab' in 'xxabab'), strpos('xxabab', 'ab'), starts_with('alphabet', 'alph')",
    "select ascii('x'), ascii(''), chr(65), chr(0)",
    "select to_hex(256), to_hex(-1), length('jose'), octet_length('jos\u00e9')",
    "select unistr('d\\u0061t\\U00000061'), unistr('wrong: \\db99')",
]

NUMBERS = [
    "select width_bucket(5.35, 0.024, 10.06, 5), width_bucket(-1, 0, 10, 5)",
    "select width_bucket(5.0::float8, 0, 10, 4), width_bucket(1, 0, 10, 0)",
    "select scale(1.2300), min_scale(1.2300), trim_scale(1.2300), scale(10::numeric)",
    "select to_number('-34,338,492', '99G999G999'), to_number('5.01-', '9.99S')",
    "select to_char(125, '999'), to_char(-125.8, '999D99S'), to_char(3.14159, '0.99')",
    "select to_char(1234567, '9,999,999'), to_char(12, 'FM0000'), to_char(485, 'RN')",
    "select to_char(timestamp '2010-03-09 13:04:05', 'YYYY-MM-DD HH24:MI:SS')",
    "select to_char(date '2010-03-09', 'Day DD Mon YYYY'), to_char(date '2010-03-09', 'FMMonth')",
    "select to_date('20100309','YYYYMMDD'), to_date('05 Dec 2000', 'DD Mon YYYY')",
    "select to_timestamp('2011-12-18 11:38:01', 'YYYY-MM-DD HH24:MI:SS')::timestamp",
    "select concat(1,2,3,'hello',true, false, to_date('20100309','YYYYMMDD'))",
]

BY_ARGUMENT_TYPES = [
    "select substr('abcdef', 2, 3), substr('abcdef', -1, 3), substring('abcdef' from 3)",
    "SELECT SUBSTRING('1234567890'::bytea FROM 4 FOR 3), substr('string'::bytea, 2)",
    "SELECT SUBSTRING('abcdefg' FROM 'b(.*)f'), SUBSTRING('abcdefg' FROM 'c.e')",
    "SELECT SUBSTRING('foo' FROM 'foo(bar)?') IS NULL AS t",
    "SELECT trim(E'\\\\000'::bytea from E'\\\\000Tom\\\\000'::bytea)",
    "SELECT btrim(E'\\\\000trim\\\\000'::bytea, ''::bytea), rtrim('xaxx', 'x')",
    "select trim(leading 'x' from 'xxaxx'), trim(trailing 'x' from 'xxaxx'), trim('  a ')",
    "select length(42)",
    "select length('ab'::bytea), octet_length('ab'::bytea), length('abc'::char(5))",
    "select 3 || 4.0",
    "select 3 || 'a', 'a' || 3, '\\x01'::bytea || '\\x02'::bytea",
    "select concat(variadic array[1,2,3]), concat_ws(',', variadic array[1,2,3])",
    "select concat_ws(',', variadic NULL::int[]), concat(variadic NULL::int[]) is NULL",
    "select concat_ws(',', variadic 10)",
    "select format('%s, %s', variadic array[true, false]), format('Hello', variadic NULL::int[])",
    "select format('%2$s, %1$s', variadic array['first', 'second'])",
    "select format('>>%*1$s<<', 10, 'Hello')",
    "SELECT regexp_like('Steven', '^Ste(v|ph)en$'), regexp_like('a' || chr(10) || 'd', 'a.d', 'n')",
    "SELECT regexp_like('abc', 'a.c', 'g')",
    "SELECT get_bit('\\x1234567890abcdef00'::bytea, 43), get_byte('\\x1234'::bytea, 1)",
    "SELECT set_bit('\\x1234567890abcdef00'::bytea, 43, 0), set_byte('\\x1234'::bytea, 0, 11)",
    "SELECT get_bit('\\x1234567890abcdef00'::bytea, 99)",
    "SELECT bit_count('\\x1234567890'::bytea)",
]

OTHER = [
    "select random() < 1, random() >= 0",
    "select float8(3), int4('12'), text(5)",
    "select version() like 'PostgreSQL 15.%'",
    "select pg_sleep(0)",
    "select length(gen_random_uuid()::text)",
]

ERRORS = [
    "select no_such_function(1)",
    "select regexp_replace('a', 'a', 'b', 'q')",
    "select regexp_count('a', '(')",
    "select to_number('x', 'zz')",
    "select decode('zz', 'hex')",
    "select encode('a'::bytea, 'nope')",
    "select width_bucket(1, 1, 1, 5)",
]


@pytest.mark.parametrize(
    "sql",
    FORMAT + QUOTING + REGEXP + STRINGS + NUMBERS + BY_ARGUMENT_TYPES + OTHER + ERRORS,
)
def test_function_matches_postgres(differ: Differ, sql: str) -> None:
    differ.check(sql)


OPERATORS = [
    'select \'{"a":1, "b":2}\'::jsonb @> \'{"a":1}\'::jsonb',
    'select \'{"a":1}\'::jsonb <@ \'{"a":1, "b":2}\'::jsonb',
    "select '{\"a\":1, \"b\":2}'::jsonb ? 'a', '[\"a\", \"b\"]'::jsonb ? 'c'",
    "select '{\"a\":1, \"b\":2}'::jsonb ?| array['b', 'x'], '{\"a\":1}'::jsonb ?& array['a', 'x']",
    "select array[1,2,3] @> array[2,3], array[1,2] <@ array[1], array[1,2] && array[2,5]",
    "select '{\"a\":{\"b\":1}}'::jsonb #- '{a,b}'",
    "select 'alphabet' ^@ 'alph', 'alphabet' ^@ 'b'",
    "select 5 & 3, 5 | 3, 5 # 3, ~5, 1 << 4, 256 >> 2",
]


@pytest.mark.parametrize("sql", OPERATORS)
def test_operator_matches_postgres(differ: Differ, sql: str) -> None:
    differ.check(sql)


_text = st.text(alphabet="abcAB' %-1_", max_size=8)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fmt=st.text(alphabet="ab%sIL1$-*5 ", max_size=10), args=st.lists(_text, max_size=3))
def test_format_matches_postgres_on_generated_forms(
    differ: Differ, fmt: str, args: list[str]
) -> None:
    quoted = ", ".join("'" + a.replace("'", "''") + "'" for a in [fmt, *args])
    differ.check(f"select format({quoted})")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    s=st.text(alphabet="abAB1 ", max_size=8),
    pattern=st.sampled_from(["a", "(a)(b)?", "[ab]+", "b*", "A", "^", "(.)\\1"]),
    repl=st.sampled_from(["x", "\\1", "<\\&>", "\\\\", "\\2\\1"]),
    flags=st.sampled_from(["", "g", "i", "gi"]),
)
def test_regexp_replace_matches_postgres(
    differ: Differ, s: str, pattern: str, repl: str, flags: str
) -> None:
    def lit(x: str) -> str:
        return "'" + x.replace("'", "''") + "'"

    differ.check(f"select regexp_replace({lit(s)}, {lit(pattern)}, {lit(repl)}, {lit(flags)})")


_NUM_FORMATS = [
    "9G999G999G999G999G999",
    "9,999,999,999,999,999.999,999",
    "9999999999999999PR",
    "9999999999999999.999PR",
    "9999999999999999S",
    "S9999999999999999",
    "MI9999999999999999",
    "FMS9999999999999999",
    "FM9999999999999999THPR",
    "SG9999999999999999th",
    "0999999999999999",
    "S0999999999999999",
    "FM0999999999999999",
    "FM9999999999999999.000",
    "FM9999999999999999.999",
    "999999SG9999999999",
    "FM9999999999990999.990999999999999",
    "FM999.9",
    "FM999.",
    "foo999",
    "999.99",
    "0.99",
    "99",
    "RN",
    "FMRN",
    "9.999EEEE",
    "MI99.99",
    "99V99",
    "PL999",
]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    value=st.decimals(min_value=-(10**7), max_value=10**7, places=3, allow_nan=False),
    fmt=st.sampled_from(_NUM_FORMATS),
)
def test_number_to_char_matches_postgres(differ: Differ, value: object, fmt: str) -> None:
    differ.check(f"select to_char({value}::numeric, '{fmt}'), to_char({value}::float8, '{fmt}')")


_DATE_FORMATS = [
    "YYYY-MM-DD HH24:MI:SS.US",
    "Day DD Month YYYY",
    "FMDay FMDD FMMonth",
    "DY dy Mon MON mon",
    "HH12:MI AM a.m.",
    "YYYY Q WW IW IYYY DDD D ID J",
    "DDth FMDDth MMTH",
    "CC Y,YYY YY Y RM",
    'YYYY "text" MM',
]


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ts=st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
    fmt=st.sampled_from(_DATE_FORMATS),
)
def test_datetime_to_char_round_trips_with_postgres(
    differ: Differ, ts: dt.datetime, fmt: str
) -> None:
    text = f"{ts.year:04d}-{ts:%m-%d %H:%M:%S.%f}"
    differ.check(
        f"select to_char(timestamp '{text}', '{fmt}'), "
        f"to_timestamp('{text}', 'YYYY-MM-DD HH24:MI:SS.US')::timestamp, "
        f"to_date('{ts.year:04d}{ts:%m%d}', 'YYYYMMDD')"
    )
