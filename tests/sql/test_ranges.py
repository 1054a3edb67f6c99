"""Range and multirange types against a live PostgreSQL: text input and output (canonical
``[)`` of discrete ranges, empty, infinite bounds, quoted bounds), constructors, the
operators and functions, ordering (as a column, through an index, as a primary key), arrays
of ranges, casts, catalog rows (pg_type, pg_range) and the errors with their SQLSTATEs.
Hypothesis checks text output and ordering of random int4range/numrange literals, and the
binary form (range_send/multirange_send) byte for byte, both ways."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgwire.values import decode_binary, encode_binary
from sql import types as T
from sql.errors import SqlError
from tests.sql.differential import Differ
from tests.sql.pg import connect

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
    "SELECT numrange(1, 'NaN'), numrange('NaN', 'NaN', '[]'), numrange(1, 'NaN') @> 5.0, "
    "'[1,NaN)'::numrange > '[1,2)'::numrange, numrange(1, 'NaN') @> 'NaN'::numeric",
    "SELECT numrange('NaN', 1)",
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
    "SELECT int4range(1, 2)::int8range",
    "SELECT '{[1,2)}'::int4multirange::int4range",
    "SELECT 5::int4range",
    "SELECT range_agg(r), range_intersect_agg(r) FROM (VALUES (int4range(1, 5)), "
    "(int4range(3, 8)), (int4range(10, 12)), (NULL)) v(r)",
    "SELECT range_agg(r), range_intersect_agg(r) FROM (VALUES ('{[1,2), [4,6)}'::"
    "int4multirange), ('{[2,3), [5,9)}')) v(r)",
    "SELECT range_agg(r) FROM (VALUES (numrange(1, 2))) v(r) WHERE false",
    "SELECT range_agg(x) FROM (VALUES (1)) v(x)",
    "SELECT unnest('{[1,2), [5,6)}'::int4multirange), unnest('{}'::datemultirange)",
    "SELECT * FROM unnest('{[1,2), (5,6]}'::nummultirange) WITH ORDINALITY",
]

EXCLUSION = [
    "CREATE TABLE bk (id int, during tsrange, EXCLUDE USING gist (during WITH &&))",
    "INSERT INTO bk VALUES (1, '[2020-01-01 10:00, 2020-01-01 11:00)')",
    "INSERT INTO bk VALUES (2, '[2020-01-01 10:30, 2020-01-01 12:00)')",
    "INSERT INTO bk VALUES (3, '[2020-01-01 11:00, 2020-01-01 12:00)'), (4, 'empty'), "
    "(5, 'empty'), (6, NULL), (7, NULL)",
    "UPDATE bk SET during = '[2020-01-01 09:00, 2020-01-01 10:30)' WHERE id = 3",
    "SELECT id, during FROM bk ORDER BY id",
    "CREATE TABLE bm (m int4multirange, EXCLUDE USING gist (m WITH &&))",
    "INSERT INTO bm VALUES ('{[1,3), [7,9)}'), ('{[3,7)}')",
    "INSERT INTO bm VALUES ('{[0,2)}')",
    "CREATE TABLE bn (r numrange, EXCLUDE USING gist (r WITH -|-))",
    "INSERT INTO bn VALUES ('[1,2)'), ('[3,4)')",
    "INSERT INTO bn VALUES ('[2,3)')",
    "CREATE INDEX bk_g ON bk USING gist (during)",
    "CREATE INDEX bk_s ON bk USING spgist (during)",
    "CREATE INDEX bk_b ON bk USING brin (during)",
    "CREATE INDEX bm_s ON bm USING spgist (m)",
    "SELECT id FROM bk WHERE during && '[2020-01-01 10:30, 2020-01-01 10:40)' ORDER BY id",
    "ALTER TABLE bn ADD CONSTRAINT bn_w EXCLUDE USING gist (r WITH &&) "
    "DEFERRABLE INITIALLY DEFERRED",
    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'x' "
    "ORDER BY conname",
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
    "CREATE TABLE rn (r numrange PRIMARY KEY)",
    "INSERT INTO rn VALUES ('[1,NaN)'), ('[1,2)'), ('[NaN,NaN]'), ('(,NaN]'), ('[1.5,2)')",
    "INSERT INTO rn VALUES ('[1.0,2.00)')",
    "SELECT * FROM rn ORDER BY r",
    "SELECT * FROM rn WHERE r > '[1,3)' ORDER BY r DESC",
    "UPDATE rt SET r = r * '[2,10)' WHERE id = 1",
    "SELECT r FROM rt WHERE id = 1",
    "SELECT r::text, m::text FROM rt ORDER BY id",
    "SELECT to_jsonb(r), row_to_json(rt)::text FROM rt WHERE id = 1",
]

CATALOG = [
    "SELECT oid, typname, typtype, typcategory, typarray, typinput, typoutput, typreceive, "
    "typsend FROM pg_type WHERE typtype IN ('r', 'm') ORDER BY oid",
    "SELECT rngtypid::regtype, rngsubtype::regtype, rngmultitypid::regtype, opc.opcname, "
    "opc.opcdefault, rngcanonical, rngsubdiff FROM pg_range r JOIN pg_opclass opc "
    "ON opc.oid = r.rngsubopc ORDER BY rngtypid::oid",
    "SELECT t.typname, e.typname FROM pg_type t JOIN pg_type e ON t.typelem = e.oid "
    "WHERE e.typtype IN ('r', 'm') ORDER BY t.oid",
    "SELECT 'int4range'::regtype::oid, 'datemultirange'::regtype::oid, format_type(3904, NULL)",
    "CREATE TABLE rc (a int4range, b tstzmultirange, c daterange[])",
    "SELECT column_name, data_type, udt_name FROM information_schema.columns "
    "WHERE table_name = 'rc' ORDER BY ordinal_position",
    "SELECT attname, atttypid::regtype, attlen, attndims FROM pg_attribute "
    "WHERE attrelid = 'rc'::regclass AND attnum > 0 ORDER BY attnum",
]


USER_RANGES = [
    'CREATE TYPE textrange AS RANGE (subtype = text, collation = "C")',
    "CREATE TYPE floatrange AS RANGE (subtype = float8, multirange_type_name = floatmulti)",
    "SELECT textrange('a', 'z'), textrange('a', 'z', '[]'), '[a,\"z z\")'::textrange, "
    "textmultirange(textrange('a', 'b'), textrange('b', 'c'))",
    "SELECT floatmulti(floatrange(1, 2), floatrange(2.5, 3)), floatrange(1, 2) @> 1.5::float8",
    "SELECT t.typname, t.typtype, r.rngsubtype, m.typname, m.typtype FROM pg_range r "
    "JOIN pg_type t ON t.oid = r.rngtypid JOIN pg_type m ON m.oid = r.rngmultitypid "
    "WHERE t.typname IN ('textrange', 'floatrange') ORDER BY t.typname",
    "CREATE TABLE ut (r textrange, m textmultirange)",
    "INSERT INTO ut VALUES ('[a,c)', '{[a,b), [b,c)}'), ('(\"\",a]', '{}')",
    "SELECT r, m FROM ut WHERE r @> 'b'::text ORDER BY r",
    "DROP TYPE textrange CASCADE",
    "SELECT typname FROM pg_type WHERE typname LIKE 'text%range' ORDER BY 1",
    "DROP SCHEMA IF EXISTS rs CASCADE",
    "CREATE SCHEMA rs",
    "CREATE TYPE rs.floatrange AS RANGE (subtype = numeric)",
    'CREATE TYPE "a-b" AS RANGE (subtype = text)',
    'CREATE TYPE "order" AS RANGE (subtype = text)',
    "SELECT to_regtype('rs.floatrange')::text, to_regtype('\"rs\".\"floatmultirange\"')::text,"
    " to_regtype('floatrange')::text, to_regtype('\"a-b\"')::text, "
    "to_regtype('\"order\"')::text",
    "SELECT rs.floatrange(1.5, 2), rs.floatmultirange(rs.floatrange(1, 2))",
    "SELECT r.rngsubtype::regtype::text, opc.opcname, r.rngcollation, r.rngcanonical, "
    "r.rngsubdiff FROM pg_range r JOIN pg_opclass opc ON opc.oid = r.rngsubopc "
    "WHERE r.rngtypid = "
    "to_regtype('rs.floatrange')",
    "DROP SCHEMA rs CASCADE",
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


def test_range_exclusion_constraints_match_postgres(differ: Differ) -> None:
    _check_all(differ, EXCLUSION)


def test_created_range_types_match_postgres(differ: Differ) -> None:
    _check_all(differ, USER_RANGES)


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


_SUB_VALUES = {
    "int4range": st.integers(-(2**31), 2**31 - 2).map(str),
    "int8range": st.integers(-(2**63), 2**63 - 2).map(str),
    "numrange": st.decimals(-(10**6), 10**6, places=3, allow_nan=False).map(str),
    "daterange": st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 30)).map(str),
    "tsrange": st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 30)).map(str),
}


@st.composite
def _typed_literal(draw: Any) -> tuple[str, str]:
    t = draw(st.sampled_from(sorted(_SUB_VALUES)))
    bound = st.one_of(st.none(), _SUB_VALUES[t])

    def one() -> str:
        lo, hi = draw(bound), draw(bound)
        if lo is not None and hi is not None and _sub(t, lo) > _sub(t, hi):
            lo, hi = hi, lo
        quoted = [f'"{x}"' if x is not None else "" for x in (lo, hi)]
        li, ui = draw(st.booleans()), draw(st.booleans())
        return f"{'[' if li else '('}{quoted[0]},{quoted[1]}{']' if ui else ')'}"

    if draw(st.booleans()):  # a multirange of a few
        return t.replace("range", "multirange"), "{" + ",".join(
            one() for _ in range(draw(st.integers(0, 3)))
        ) + "}"
    return t, draw(st.just("empty")) if draw(st.integers(0, 9)) == 0 else one()


def _sub(t: str, text: str) -> Any:
    sub = T.type_by_name(t)
    assert sub is not None and sub.subtype is not None
    return T.parse_text(text, sub.subtype)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_typed_literal())
def test_range_binary_form_matches_postgres(pg_conninfo: str, lit: tuple[str, str]) -> None:
    name, text = lit
    t = T.type_by_name(name)
    assert t is not None
    with connect(pg_conninfo) as conn:
        try:
            cur = conn.execute(f"SELECT '{text}'::{name}".encode(), binary=True)
        except psycopg.Error as exc:
            try:
                T.parse_text(text, t)
            except SqlError as ours:
                assert ours.sqlstate == exc.sqlstate
                return
            raise AssertionError(f"PostgreSQL refused {text!r}: {exc}") from None
        assert cur.pgresult is not None
        theirs = cur.pgresult.get_value(0, 0)
    value = T.parse_text(text, t)
    assert encode_binary(value, t) == theirs
    assert decode_binary(bytes(theirs or b""), t) == value
