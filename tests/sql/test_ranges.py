"""Range and multirange types against a live PostgreSQL: text input and output (canonical
``[)`` of discrete ranges, empty, infinite bounds, quoted bounds), constructors, the
operators and functions, ordering (as a column, through an index, as a primary key), arrays
of ranges, casts, catalog rows (pg_type, pg_range) and the errors with their SQLSTATEs.
Hypothesis checks text output and ordering of random int4range/numrange literals."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sql.differential import Differ

LITERALS = [
    "SELECT '[1,5]'::int4range, '(1,5)'::int4range, '(1,2)'::int4range, '[3,3]'::int4range",
    "SELECT ' [ 1 , 5 ) '::int4range, 'EMPTY'::int8range, '(,)'::numrange, '[,3]'::int4range",
    "SELECT '[1.5,2.5]'::numrange, '(1.50,2]'::numrange, '[2,2]'::numrange, '(2,2]'::numrange",
    "SELECT '[2020-01-01,2020-02-01]'::daterange, '(2020-01-01,)'::daterange",
    "SELECT '[2020-01-01 10:00, 2020-01-02)'::tsrange, '[\"2020-01-01 10:00\",)'::tsrange",
    "SELECT '[2020-01-01 10:00+02, 2020-01-02 00:00+00)'::tstzrange",
    "SELECT '{}'::int4multirange, '{[1,3), [2,5), (7,9]}'::int4multirange",
    "SELECT '{[1,2), [2,3), empty}'::nummultirange, ' { [1,2] , (3,4) } '::int8multirange",
    "SELECT '{[2020-01-01,2020-01-05), [2020-01-05,2020-01-09]}'::datemultirange",
    "SELECT '[1,5'::int4range",
    "SELECT '1,5)'::int4range",
    "SELECT '[1,5,6)'::int4range",
    "SELECT '[1,5) x'::int4range",
    "SELECT 'empty x'::int4range",
    "SELECT '[5,1)'::int4range",
    "SELECT '[a,b)'::int4range",
    "SELECT '[1,2147483647]'::int4range",
    "SELECT '{[1,2)'::int4multirange",
    "SELECT '[1,2)'::int4multirange",
    "SELECT '{[1,2) [3,4)}'::int4multirange",
    "SELECT '{[1,2),}'::int4multirange",
    "SELECT '{[1,2)} x'::int4multirange",
]

CONSTRUCTORS = [
    "SELECT int4range(1, 5), int4range(1, 5, '[]'), int4range(1, 5, '()'), int4range(NULL, 5)",
    "SELECT int8range(1, NULL, '(]'), numrange(1.5, 2), numrange(NULL, NULL)",
    "SELECT daterange('2020-01-01', '2020-01-10', '(]'), tsrange('2020-01-01', NULL)",
    "SELECT int4range(5, 1)",
    "SELECT int4range(1, 5, 'x')",
    "SELECT int4range(1, 5, NULL)",
    "SELECT int4range(1, 2147483647, '[]')",
    "SELECT int4multirange(), int4multirange(int4range(1, 3), int4range(2, 6), int4range(8, 9))",
    "SELECT nummultirange(numrange(1, 2), 'empty', numrange(3, 4))",
    "SELECT int4multirange(int4range(1, 3), NULL)",
]

OPERATORS = [
    "SELECT int4range(1, 5) @> 3, int4range(1, 5) @> 5, 3 <@ int4range(1, 5), "
    "int8range(1, 5) @> 4::int8",
    "SELECT int8range(1, 5) @> 4",
    "SELECT numrange(1, 5) @> 5.0, numrange(1, 5, '[]') @> 5.0, daterange('2020-01-01', "
    "'2020-02-01') @> '2020-01-15'::date",
    "SELECT int4range(1, 10) @> int4range(2, 5), int4range(2, 5) <@ int4range(1, 10), "
    "int4range(1, 10) @> 'empty'::int4range, 'empty'::int4range @> int4range(1, 2)",
    "SELECT int4range(1, 5) && int4range(4, 9), int4range(1, 5) && int4range(5, 9), "
    "numrange(1, 5, '[]') && numrange(5, 9)",
    "SELECT int4range(1, 5) << int4range(5, 9), int4range(1, 5) >> int4range(5, 9), "
    "int4range(6, 9) >> int4range(1, 5), int4range(1, 5) << 'empty'::int4range",
    "SELECT int4range(1, 5) &< int4range(2, 9), int4range(1, 5) &< int4range(2, 4), "
    "int4range(3, 5) &> int4range(2, 4), int4range(1, 5) &> int4range(2, 4)",
    "SELECT int4range(1, 5) -|- int4range(5, 9), int4range(1, 5, '[]') -|- int4range(6, 9), "
    "numrange(1, 5) -|- numrange(5, 9), numrange(1, 5) -|- numrange(5, 9, '()')",
    "SELECT int4range(1, 5) + int4range(5, 9), int4range(1, 5) * int4range(3, 9), "
    "int4range(1, 9) - int4range(5, 12), int4range(1, 9) - int4range(0, 3)",
    "SELECT int4range(1, 5) + int4range(7, 9)",
    "SELECT int4range(1, 9) - int4range(3, 5)",
    "SELECT numrange(1, 9) - numrange(1, 9), numrange(1, 9) * numrange(10, 11), "
    "numrange(1, 3) + 'empty'",
    "SELECT int4range(1, 5) = int4range(1, 4, '[]'), int4range(1, 5) < int4range(1, 6), "
    "'empty'::int4range < int4range(1, 2), int4range(NULL, 2) < int4range(1, 2)",
    "SELECT numrange(1, 2, '[]') > numrange(1, 2), numrange(1, 2, '(]') > numrange(1, 2, '[]')",
    "SELECT int4range(1, 5) = int8range(1, 5)",
    "SELECT '{[1,3), [5,7)}'::int4multirange @> 6, '{[1,3), [5,7)}'::int4multirange @> "
    "int4range(5, 6), '{[1,3), [5,7)}'::int4multirange @> '{[1,2), [5,6)}'::int4multirange",
    "SELECT '{[1,3), [5,7)}'::int4multirange && int4range(3, 5), '{[1,3), [5,7)}'::int4multirange"
    " && int4range(2, 5), int4range(1, 2) <@ '{[1,3)}'::int4multirange",
    "SELECT '{[1,3), [5,7)}'::int4multirange + '{[3,5)}', '{[1,3), [5,7)}'::int4multirange - "
    "'{[2,6)}', '{[1,3), [5,7)}'::int4multirange * '{[2,6)}'",
    "SELECT '{[1,3), [5,7)}'::int4multirange << int4range(8, 9), '{[1,3)}'::int4multirange -|- "
    "'{[3,4)}'::int4multirange, '{[1,3), [5,7)}'::int4multirange &< '{[2,6)}'::int4multirange",
    "SELECT '{[1,3)}'::int4multirange < '{[1,3), [4,5)}'::int4multirange, "
    "'{}'::int4multirange = '{}'::int4multirange",
]

FUNCTIONS = [
    "SELECT lower(int4range(1, 5)), upper(int4range(1, 5, '[]')), lower('empty'::int4range), "
    "upper(int4range(1, NULL))",
    "SELECT isempty(int4range(1, 1)), lower_inc(numrange(1, 2)), upper_inc(numrange(1, 2, '[]')),"
    " lower_inf(numrange(NULL, 2)), upper_inf(numrange(NULL, 2)), lower_inc('empty'::numrange)",
    "SELECT lower(numrange(1.5, 2)), upper(daterange('2020-01-01', '2020-01-03', '[]'))",
    "SELECT range_merge(int4range(1, 3), int4range(5, 7)), range_merge('{[1,2), [5,6)}'::"
    "int4multirange), multirange(int4range(1, 3))",
    "SELECT lower('{[1,3), [5,7)}'::int4multirange), upper('{[1,3), [5,7)}'::int4multirange), "
    "isempty('{}'::int4multirange), upper_inf('{[1,)}'::int4multirange)",
    "SELECT pg_typeof(int4range(1, 2)), pg_typeof(lower(int8range(1, 2))), "
    "pg_typeof('{}'::datemultirange)",
    "SELECT int4range(1, 2)::text, '[1,2)'::int4range::int4multirange, '(1,3]'::text::int4range",
    "SELECT ARRAY[int4range(1, 2), 'empty', '(,)'], '{\"[1,2)\",empty}'::int4range[]",
    "SELECT lower(int4range(1, 2), 1)",
]

TABLES = [
    "CREATE TABLE rt (id int PRIMARY KEY, r int4range, n numrange, d daterange, "
    "m int4multirange, rs tstzrange[])",
    "INSERT INTO rt VALUES (1, '[1,5)', '[1.5,2]', '[2020-01-01,2020-02-01)', '{[1,2),[4,5)}', "
    "'{\"[2020-01-01 00:00+00,2020-01-02 00:00+00)\"}'), (2, 'empty', 'empty', NULL, '{}', NULL),"
    " (3, '(,3]', '(,)', '[2020-01-01,)', NULL, '{}'), (4, '[2,3)', '[1.5,2)', "
    "'[2019-12-01,2020-01-01)', '{[0,1)}', NULL), (5, '[1,6)', NULL, NULL, '{[1,2)}', NULL)",
    "SELECT * FROM rt ORDER BY r, id",
    "SELECT id, n FROM rt ORDER BY n DESC NULLS LAST, id",
    "SELECT id, m FROM rt ORDER BY m, id",
    "SELECT id FROM rt WHERE r @> 2 ORDER BY id",
    "SELECT id FROM rt WHERE r && '[4,10)' ORDER BY id",
    "SELECT id FROM rt WHERE d @> '2020-01-15'::date ORDER BY id",
    "CREATE INDEX rt_r ON rt (r)",
    "SELECT id, r FROM rt WHERE r > '[1,5)' ORDER BY r",
    "SELECT id, r FROM rt WHERE r = '[2,2]' ORDER BY id",
    "SELECT r, count(*) FROM rt GROUP BY r ORDER BY r",
    "SELECT DISTINCT r FROM rt ORDER BY r",
    "CREATE TABLE rk (r daterange PRIMARY KEY)",
    "INSERT INTO rk VALUES ('[2020-01-01,2020-01-03)'), ('[2020-01-02,2020-01-03)'), ('empty')",
    "INSERT INTO rk VALUES ('[2020-01-01,2020-01-02]')",
    "SELECT * FROM rk ORDER BY r DESC",
    "UPDATE rt SET r = r * '[2,10)' WHERE id = 1",
    "SELECT r FROM rt WHERE id = 1",
    "SELECT r::text, m::text FROM rt ORDER BY id",
    "SELECT to_jsonb(r), row_to_json(rt)::text FROM rt WHERE id = 1",
]

CATALOG = [
    "SELECT oid, typname, typtype, typcategory, typarray, typinput, typoutput, typreceive, "
    "typsend FROM pg_type WHERE typtype IN ('r', 'm') ORDER BY oid",
    "SELECT rngtypid::regtype, rngsubtype::regtype, rngmultitypid::regtype, rngsubopc, "
    "rngcanonical, rngsubdiff FROM pg_range ORDER BY rngtypid::oid",
    "SELECT t.typname, e.typname FROM pg_type t JOIN pg_type e ON t.typelem = e.oid "
    "WHERE e.typtype IN ('r', 'm') ORDER BY t.oid",
    "SELECT 'int4range'::regtype::oid, 'datemultirange'::regtype::oid, format_type(3904, NULL)",
]


def _check_all(differ: Differ, script: list[str]) -> None:
    bad = []
    for sql in script:
        try:
            differ.check(sql)
        except AssertionError as exc:
            bad.append(str(exc))
    assert not bad, "\n".join(bad)


def test_range_literals_match_postgres(differ: Differ) -> None:
    _check_all(differ, LITERALS)


def test_range_constructors_match_postgres(differ: Differ) -> None:
    _check_all(differ, CONSTRUCTORS)


def test_range_operators_match_postgres(differ: Differ) -> None:
    _check_all(differ, OPERATORS)


def test_range_functions_match_postgres(differ: Differ) -> None:
    _check_all(differ, FUNCTIONS)


def test_range_columns_keys_and_order_match_postgres(differ: Differ) -> None:
    _check_all(differ, TABLES)


def test_range_catalog_rows_match_postgres(differ: Differ) -> None:
    _check_all(differ, CATALOG)


def _literal(lo: int | None, hi: int | None, li: bool, ui: bool) -> str:
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo  # mostly valid ranges (a reversed one is one 22000 among them)
    shown = ("" if lo is None else str(lo), "" if hi is None else str(hi))
    return f"{'[' if li else '('}{shown[0]},{shown[1]}{']' if ui else ')'}"


_BOUND = st.one_of(st.none(), st.integers(-5, 5))
_LIT = st.one_of(
    st.just("empty"), st.builds(_literal, _BOUND, _BOUND, st.booleans(), st.booleans())
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(_LIT, min_size=1, max_size=6), st.sampled_from(["int4range", "numrange"]))
def test_range_text_and_order_match_postgres(differ: Differ, lits: list[str], t: str) -> None:
    values = ", ".join(f"('{x}')" for x in lits)
    differ.check(f"SELECT r::{t}, (r::{t})::text FROM (VALUES {values}) v(r) ORDER BY r::{t}")
    differ.check(
        f"SELECT a.r::{t} && b.r::{t}, a.r::{t} -|- b.r::{t}, a.r::{t} @> b.r::{t}, "
        f"a.r::{t} << b.r::{t}, a.r::{t} &< b.r::{t}, a.r::{t} * b.r::{t}, "
        f"{t.replace('range', 'multirange')}(a.r::{t}, b.r::{t}) "
        f"FROM (VALUES {values}) a(r), (VALUES {values}) b(r) ORDER BY a.r::{t}, b.r::{t}"
    )
