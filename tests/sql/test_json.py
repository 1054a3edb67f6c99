"""json and jsonb against PostgreSQL 15: the operators by PostgreSQL's names (-> ->> #> #>>
@> <@ ? ?| ?& || - #-), the json_*/jsonb_* functions (scalar and set-returning, in FROM and
in a select list), input and output (json keeps its text, jsonb normalises; 'null'::jsonb is
a JSON null, not SQL NULL) and the errors of bad input. Hypothesis draws JSON documents,
keys, indexes and paths; db9 must answer as PostgreSQL does, rows or SQLSTATE."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sql.differential import Differ

KEYS = st.sampled_from(["a", "b", "k", "aa", "0", "1", "", "é", "a b"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.sampled_from(["1.5", "-0.25", "1e3", "100000000000000000000"]).map(
        lambda s: json.loads(s, parse_float=lambda x: _Raw(x), parse_int=lambda x: _Raw(x))
    ),
    st.text(alphabet='ab "\\é\n', max_size=4),
)


class _Raw(str):
    """A number written as it was drawn (1e3, 1.5), not as Python would print it."""


def _dump(v: object, spaced: bool) -> str:
    sep, colon = (", ", ": ") if spaced else (",", ":")
    if isinstance(v, _Raw):
        return str(v)
    if isinstance(v, dict):
        return "{" + sep.join(json.dumps(k) + colon + _dump(x, spaced) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + sep.join(_dump(x, spaced) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)


DOCS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=10,
)
STEPS = st.one_of(KEYS, st.integers(-3, 3).map(str))


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _path(steps: list[str]) -> str:
    return _lit("{" + ",".join('"' + s.replace('"', '\\"') + '"' for s in steps) + "}")


@st.composite
def operator_query(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["json", "jsonb"]))
    doc = f"{_lit(_dump(draw(DOCS), draw(st.booleans())))}::{kind}"
    shape = draw(st.integers(0, 9))
    if shape == 0:
        return f"SELECT {doc} -> {_lit(draw(KEYS))}, {doc} ->> {_lit(draw(KEYS))}"
    if shape == 1:
        i = draw(st.integers(-4, 4))
        return f"SELECT {doc} -> {i}, {doc} ->> {i}"
    if shape == 2:
        p = _path(draw(st.lists(STEPS, max_size=3)))
        return f"SELECT {doc} #> {p}, {doc} #>> {p}"
    if shape == 3:
        return f"SELECT {kind}_typeof({doc}), {doc}::text"
    if shape == 4:
        return f"SELECT * FROM {kind}_array_elements({doc})"
    if shape == 5:
        return f"SELECT * FROM {kind}_each_text({doc})"
    other = _lit(_dump(draw(DOCS), False))
    if shape == 6:
        return f"SELECT {doc}::jsonb @> {other}, {doc}::jsonb <@ {other}"
    if shape == 7:
        return f"SELECT {doc}::jsonb || {other}, {doc}::jsonb - {_lit(draw(KEYS))}"
    if shape == 8:
        keys = ",".join(draw(st.lists(KEYS.filter(lambda k: k and " " not in k), max_size=3)))
        return (
            f"SELECT {doc}::jsonb ? {_lit(draw(KEYS))}, {doc}::jsonb ?| '{{{keys}}}', "
            f"{doc}::jsonb ?& '{{{keys}}}'"
        )
    p = _path(draw(st.lists(STEPS, max_size=3)))
    return (
        f"SELECT {doc}::jsonb #- {p}, jsonb_set({doc}, {p}, '[9]'), "
        f"jsonb_strip_nulls({doc}), {kind}_extract_path_text({doc}, 'a', '0')"
    )


@settings(
    max_examples=int(os.environ.get("DB9_SQL_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(query=operator_query())
def test_generated_json_operators_match_postgres(differ: Differ, query: str) -> None:
    differ.check(query)


CASES = [
    # operators by PostgreSQL's names, with keys, indexes and paths
    """SELECT '{"a":{"k":2}}'::jsonb #> '{a,k}', '{"a":{"k":2}}'::jsonb #>> '{a,k}'""",
    """SELECT '{"a": [1, 2]}'::json -> 'a', '{"a": [1,  2]}'::json #> '{a}'""",
    """SELECT '[1,2,3]'::jsonb -> -1, '[1,2,3]'::json -> -4, '[1,2,3]'::json ->> 0""",
    """SELECT '{"a":"x\\u00e9"}'::json ->> 'a', '{"a":null}'::jsonb -> 'a'""",
    """SELECT ('{"a":null}'::jsonb -> 'a') IS NULL, '{"a":null}'::jsonb ->> 'a' IS NULL""",
    """SELECT '{"f2":{"f3":1},"f4":{"f5":99,"f6":"stringy"}}'::json#>array['f4','f6']""",
    """SELECT '[1,[2,3]]'::jsonb #> '{1,-1}', '[1,[2,3]]'::jsonb #> '{x}'""",
    """SELECT '{"a":1,"b":[1,2,{"c":3}]}'::jsonb @> '{"b":[{"c":3}]}'""",
    """SELECT '[1,[2]]'::jsonb @> '[[2]]', '[1,[2]]'::jsonb @> '2'""",
    """SELECT '{"a":[1]}'::jsonb @> '{"a":1}'""",
    """SELECT '1'::jsonb <@ '[1]', '"a"'::jsonb @> '"a"', '[1,"1"]'::jsonb @> '["1"]'""",
    """SELECT '["a","b"]'::jsonb ? 'a', '{"a":1}'::jsonb ?& array['a','b'], '"a"'::jsonb ? 'a'""",
    """SELECT '[1,2]'::jsonb || '3', '{"a":1}'::jsonb || '[2]', '{"a":1}'::jsonb || '{"a":2}'""",
    """SELECT '["a","b",1]'::jsonb - 'a', '{"a":1,"b":2}'::jsonb - '{a,b}'::text[]""",
    """SELECT '[1,2,3]'::jsonb - 1, '{"a":[1,2]}'::jsonb #- '{a,-1}'""",
    # input and output
    """SELECT 'null'::jsonb, 'null'::jsonb IS NULL, '{"b":1,"a":2,"aa":3,"a":4}'::jsonb""",
    """SELECT '{"b":1, "a":2}'::json, '  [1 ,2]  '::json, '1.50'::jsonb, '1e3'::jsonb""",
    """SELECT '"\\u00e9\\ud83d\\ude00"'::jsonb, '"\\u00e9"'::json""",
    # functions
    """SELECT json_typeof('{"a":1}'), jsonb_typeof('null'), json_typeof('-1.5')""",
    """SELECT json_array_length('[1,[2,3]]'), jsonb_array_length('[]')""",
    """SELECT json_extract_path('{"f2":{"f3":1},"f4":{"f5":99,"f6":"stringy"}}','f4','f6')""",
    """SELECT json_extract_path_text('{"f2":{"f3":1},"f4":[5,6]}','f4','1')""",
    """SELECT jsonb_extract_path('{"a":{"b":[1,2]}}', 'a', 'b', '0')""",
    """SELECT json_strip_nulls('{"a":null,"b":[1,null,{"c":null}]}'), jsonb_strip_nulls('null')""",
    """SELECT jsonb_set('{"a":[1,2]}', '{a,0}', '"x"'), jsonb_set('{"a":1}', '{b}', '2', false)""",
    """SELECT jsonb_set('[1,2]', '{-5}', '0'), jsonb_set('[1,2]', '{9}', '0')""",
    """SELECT jsonb_insert('{"a":[1,2]}', '{a,1}', '9'), jsonb_insert('[1]', '{0}', '0', true)""",
    """SELECT jsonb_pretty('{"a":[1,{"b":null}],"c":{}}')""",
    """SELECT to_json(1.5), to_json('x'::text), to_json(array[1,2]), to_jsonb(true)""",
    """SELECT to_json(timestamp '2014-05-28 12:22:35.614298'), to_jsonb(date '2020-01-02')""",
    """SELECT array_to_json(array[[1,2],[3,4]]), array_to_json(array['a','b'], true)""",
    """SELECT json_build_object('a',1,'b',array[1,2]), jsonb_build_array(1,'x',null)""",
    """SELECT json_build_object(), json_build_array()""",
    """SELECT $$''$$::json, $${"a":1}$$::jsonb, json '{"x": 3, "y": [1,2,3]}'""",
    """SELECT json_build_array('a', 1.2, true, null, json '{"x": 3,  "y": [1,2]}')""",
    """SELECT json_build_array(VARIADIC '{{1,4},{2,5}}'::int[])""",
    """SELECT json_build_array(VARIADIC '{}'::text[])""",
    """SELECT json_build_object(VARIADIC '{a,1,b,2}'::text[]), jsonb_build_object(1, 2)""",
    """SELECT json_extract_path('{"f2":["f3",1]}','f2',1::text)""",
    """SELECT json_extract_path_text('{"a":[1]}','a',0::text)""",
    """SELECT json_object('{a,1,b,2,3,NULL,"d e f","a b c"}'), jsonb_object('{{a,1},{b,2}}')""",
    """SELECT json_object('{a,b,"d e f"}','{1,2,"a b c"}'), json_object('{}')""",
    """SELECT jsonb_object('{}', '{}'), jsonb_object('{a,b}', '{1,NULL}')""",
    """SELECT json_object('{a,b,c}')""",
    """SELECT json_object('{{a},{b}}')""",
    """SELECT json_object('{{{a,b},{c,d}},{{b,c},{d,e}}}')""",
    """SELECT json_object('{a,b,c}', '{1,2}')""",
    """SELECT json_object('{a,NULL}', '{1,2}')""",
    """SELECT json_build_object('{a,b}'::text[], 1)""",
    """SELECT json_build_object(json '{"a":1}', 3)""",
    # set-returning functions, in FROM and in a select list
    """SELECT * FROM json_each('{"a":1,"b":[1, 2],"c":null}')""",
    """SELECT * FROM jsonb_each_text('{"a":1,"b":"x","c":null}')""",
    """SELECT * FROM json_array_elements('[1,{"a":2}, "x"]') e""",
    """SELECT * FROM jsonb_array_elements_text('[1,{"a":2},"x",null]')""",
    """SELECT * FROM jsonb_object_keys('{"a":1,"bb":2}') k""",
    """SELECT json_object_keys('{"a":1,"b":2}')""",
    """SELECT jsonb_array_elements('[1,2]'), json_array_elements_text('["a","b"]')""",
    """SELECT k, v FROM json_each('{"a":1}') AS t(k, v)""",
    # bad input
    """SELECT ''::json""",
    """SELECT '{"a":1'::jsonb""",
    """SELECT '[1,2'::json""",
    """SELECT 'NaN'::json""",
    """SELECT json_array_length('{"f1":1}')""",
    """SELECT jsonb_array_length('5')""",
    """SELECT * FROM json_each('[1]')""",
    """SELECT * FROM jsonb_array_elements('{"a":1}')""",
    """SELECT '{"a":1}'::jsonb - 1""",
    """SELECT jsonb_set('1', '{a}', '2')""",
    """SELECT jsonb_insert('{"a":1}', '{a}', '2')""",
    """SELECT json_build_object('a')""",
    """SELECT json_build_object(null, 1)""",
]


@pytest.mark.parametrize("sql", CASES)
def test_json_statement_matches_postgres(differ: Differ, sql: str) -> None:
    differ.check(sql)


def test_jsonb_null_and_documents_round_trip_through_a_table(differ: Differ) -> None:
    differ.check("CREATE TABLE j (id int PRIMARY KEY, d jsonb, t json)")
    differ.check(
        """INSERT INTO j VALUES (1, 'null', 'null'), (2, NULL, NULL),
        (3, '{"b":[1,2],"a":{"k":2}}', '{"b":[1,2], "a":{"k":2}}'), (4, '[1,"x"]', '[1,"x"]')"""
    )
    differ.check("SELECT id, d, t, d IS NULL, t IS NULL FROM j ORDER BY id")
    differ.check("SELECT id, d -> 'a', t -> 'a', d #> '{a,k}', t #>> '{b,1}' FROM j ORDER BY id")
    differ.check("""SELECT id FROM j WHERE d @> '{"a":{}}' ORDER BY id""")
    differ.check("SELECT j.id, e.* FROM j, jsonb_array_elements('[1,2]') e ORDER BY 1, 2")


@settings(
    max_examples=int(os.environ.get("DB9_SQL_EXAMPLES", "100")) // 4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(docs=st.lists(DOCS, min_size=1, max_size=6))
def test_jsonb_orders_and_compares_as_postgres(differ: Differ, docs: list[object]) -> None:
    differ.reset()
    differ.check("CREATE TABLE o (id int PRIMARY KEY, d jsonb)")
    rows = ", ".join(f"({i}, {_lit(_dump(d, False))})" for i, d in enumerate(docs))
    differ.check(f"INSERT INTO o VALUES {rows}")
    differ.check("SELECT id, d FROM o ORDER BY d, id")
    differ.check("SELECT id, d FROM o ORDER BY d DESC, id LIMIT 3")
    differ.check("SELECT a.id, b.id, a.d < b.d, a.d = b.d, a.d >= b.d FROM o a, o b ORDER BY 1, 2")


AGGREGATE_CASES = [
    "SELECT json_agg(x), jsonb_agg(x), json_agg(ARRAY[x]) FROM (VALUES (1), (2), (NULL)) v(x)",
    "SELECT json_object_agg(k, v), jsonb_object_agg(k, v) "
    "FROM (VALUES ('a', 1), ('b', NULL)) t(k, v)",
    "SELECT jsonb_object_agg(k, v) FROM (VALUES ('a', 1), ('bb', 2), ('a', 3)) t(k, v)",
    "SELECT json_agg(x ORDER BY x DESC), jsonb_agg(DISTINCT x) FROM (VALUES (1), (2), (1)) v(x)",
    "SELECT json_agg(x) FILTER (WHERE x > 1), json_agg(x) FROM generate_series(1, 0) x",
    "SELECT g, json_agg(x ORDER BY x) FROM (VALUES (1, 'a'), (1, 'b'), (2, 'c')) t(g, x) "
    "GROUP BY g ORDER BY g",
    "SELECT json_object_agg(x, json '{\"a\": 1}'), json_agg(json '[1,  2]') "
    "FROM generate_series(1, 2) x",
    "SELECT json_object_agg(NULL::text, 1)",
    "SELECT jsonb_object_agg(k, v) FROM (VALUES ('a', 1), (NULL, 2)) t(k, v)",
]


@pytest.mark.parametrize("sql", AGGREGATE_CASES)
def test_json_aggregate_matches_postgres(differ: Differ, sql: str) -> None:
    differ.check(sql)


RECORD_CASES = [
    """SELECT * FROM json_to_record('{"a":1,"b":"foo","c":"bar"}') AS x(a int, b text, d text)""",
    """SELECT * FROM json_to_recordset('[{"a":1,"b":{"d":"foo"},"c":true},{"a":2,"c":false}]')
       AS x(a int, b json, c boolean)""",
    """SELECT *, c IS NULL AS c_null FROM jsonb_to_record('{"a":1, "b":{"c":16, "d":2}, "x":8,
       "ca": ["1 2", 3], "ia": [[1,2],[3,4]]}') AS t(a int, b jsonb, c text, x int,
       ca char(5)[], ia int[][])""",
    """SELECT * FROM jsonb_to_recordset('[{"a":"2012-01-20 10:42:53","b":null}]')
       AS x(a timestamp, b int)""",
    """SELECT * FROM json_to_record('{"a":"x"}') AS x(a int)""",
    """SELECT * FROM json_to_recordset('{"a":1}') AS x(a int)""",
    """SELECT * FROM json_to_record('[1]') AS x(a int)""",
    """SELECT * FROM json_to_record('{"a":1}')""",
]


@pytest.mark.parametrize("sql", RECORD_CASES)
def test_json_to_record_matches_postgres(differ: Differ, sql: str) -> None:
    differ.check(sql)


def test_json_populate_record_of_a_tables_row_type(differ: Differ) -> None:
    differ.check("CREATE TABLE jpop (a text, b int, c timestamp)")
    differ.check("""SELECT * FROM json_populate_record(NULL::jpop, '{"a":"blurfl","x":43.2}') q""")
    differ.check(
        """SELECT * FROM jsonb_populate_recordset(NULL::jpop,
        '[{"a":"blurfl","x":43.2},{"b":3,"c":"2012-01-20 10:42:53"}]') q"""
    )
    differ.check("""SELECT * FROM json_populate_record(NULL::nosuchtype, '{}') q""")


SUBSCRIPT_CASES = [
    """SELECT ('{"a":[1,2]}'::jsonb)['a'][1], ('[1,2]'::jsonb)[-1], ('[1,2]'::jsonb)[0]""",
    """SELECT ('{"a":1}'::jsonb)['a']['b'], ('1'::jsonb)[0], ('{"a":1}'::jsonb)['b']""",
    """SELECT (ARRAY[1,2])[1], (ARRAY[[1,2]])[1][2]""",
]


@pytest.mark.parametrize("sql", SUBSCRIPT_CASES)
def test_jsonb_subscript_matches_postgres(differ: Differ, sql: str) -> None:
    differ.check(sql)


def test_jsonb_subscript_of_a_column_and_an_expression_index(differ: Differ) -> None:
    differ.check("CREATE TABLE s (id int PRIMARY KEY, d jsonb, i int)")
    differ.check("""INSERT INTO s VALUES (1, '{"a":[10,20,30]}', 0), (2, '[5,6]', 1)""")
    differ.check("SELECT id, d['a'][i], d[i], d['a'][2] FROM s ORDER BY id")


def test_jsonb_groups_and_distinct_by_value(differ: Differ) -> None:
    differ.check("CREATE TABLE g (id int PRIMARY KEY, d jsonb)")
    differ.check(
        """INSERT INTO g VALUES (1, '{"a":1,"b":[1]}'), (2, '{"b":[1],"a":1}'), (3, '[1]'),
        (4, 'null'), (5, NULL), (6, '{"a":{"c":1}}')"""
    )
    differ.check("SELECT d, count(*) FROM g GROUP BY d ORDER BY d")
    differ.check("SELECT DISTINCT d FROM g ORDER BY d")
    differ.check(
        """SELECT DISTINCT x FROM (VALUES ('{"a":1,"b":2}'::jsonb), ('{"b":2,"a":1}')) v(x)"""
    )
