"""Types as PostgreSQL has them, against a live PostgreSQL: type names that do not exist
(42704), pseudo-types as column types (42P16), array types by their typname (_int4), and the
geometric types (point, lseg, line, box, path, polygon, circle): input, output, storage,
operators and functions."""

from __future__ import annotations

import pytest

from sql import types as T
from sql.database import Database
from sql.session import Session
from tests.sql.differential import Differ


def _script(differ: Differ, sql: str) -> None:
    """Statements separated by "; ", from an empty database, each as PostgreSQL runs it."""
    differ.reset()
    for statement in sql.split("; "):
        differ.check(statement)


TYPE_NAMES = [
    "CREATE TABLE t (u unknown)",
    "CREATE TABLE t (x nosuchtype)",
    "SELECT cast(1 AS nosuchtype)",
    "SELECT '{1,2}'::_int2 AS a, '{a,b}'::_name AS b, '{}'::_int4 = '{}'::int[] AS c",
    "CREATE TABLE t (a _int4); INSERT INTO t VALUES ('{1,2}'); SELECT a FROM t",
    "CREATE TABLE t (a int); ALTER TABLE t ADD COLUMN b unknown",
    # float(p): real up to 24 bits, double precision to 53 (SQLAlchemy's Float(precision=8))
    "SELECT pg_typeof(1::float(1)) AS a, pg_typeof(1::float(24)) AS b,"
    " pg_typeof(1::float(25)) AS c, pg_typeof(1::float(53)) AS d, pg_typeof(1::float) AS e",
    "CREATE TABLE t (a float(8), b float(30)); SELECT pg_typeof(a), pg_typeof(b) FROM t",
    "SELECT 1::float(0)",
    "SELECT 1::float(54)",
    "SELECT pg_typeof('1 day'::interval(6)) AS a, CAST('1.5 s' AS interval(3)) AS b",
]


@pytest.mark.parametrize("sql", TYPE_NAMES)
def test_type_names_resolve_or_fail_as_in_postgres(differ: Differ, sql: str) -> None:
    _script(differ, sql)


GEOMETRY = [
    "SELECT '(1,2)'::point AS a, '( 1 , 2 )'::point AS b, '1,2'::point AS c",
    "SELECT '(1e-300,-1e-300)'::point AS a, '(1e+300,Inf)'::point AS b, "
    "' ( Nan , NaN ) '::point AS c",
    "SELECT '(1,2'::point",
    "SELECT 'x'::point",
    "SELECT '[(1,2),(3,4)]'::lseg AS a, '(1,2),(3,4)'::lseg AS b, '1,2,3,4'::lseg AS c",
    "SELECT '(1,2),(3,4)'::box AS a, '((1,2),(3,4))'::box AS b, '1,2,3,4'::box AS c",
    "SELECT '(1,2)'::box",
    "SELECT '[(1,2),(3,4)]'::path AS a, '((1,2),(3,4))'::path AS b, '(1,2),(3,4)'::path AS c, "
    "'(1,2)'::path AS d, '[(1,2)]'::path AS e",
    "SELECT '[(1,2),(3,4)'::path",
    "SELECT '(1,2),(3,4)'::polygon AS a, '((1,2),(3,4))'::polygon AS b, '1,2'::polygon AS c",
    "SELECT '<(1,2),3>'::circle AS a, '((1,2),3)'::circle AS b, '(1,2),3'::circle AS c",
    "SELECT '<(1,2),-3>'::circle",
    "SELECT '{1,2,3}'::line AS a, '[(0,0),(1,1)]'::line AS b",
    "SELECT '{0,0,1}'::line",
    "SELECT box '(0,0),(1,1)' AS a, circle '<(0,0),1>' AS b, lseg '[(0,0),(1,1)]' AS c",
    "CREATE TABLE g (p point, b box, pa path, c circle); "
    "INSERT INTO g VALUES ('(1,2)', '(0,0),(3,3)', '[(0,0),(1,1)]', '<(0,0),1>'), "
    "(NULL, NULL, NULL, NULL); "
    "SELECT p, b, pa, c, p::text AS t FROM g; "
    "SELECT p[0] AS x, p[1] AS y, p[2] AS z, b[0] AS hi FROM g; "
    "SELECT count(*) FROM g WHERE p <@ b; "
    "SELECT p <-> '(4,6)' AS d FROM g",
    "SELECT point '(1,1)' = point '(1,1)'",
    "SELECT polygon '(0,0),(1,1)' = polygon '(0,0),(1,1)'",
    "SELECT box '(1,1),(0,0)' = box '(2,0.5),(0,0)' AS a, "
    "box '(1,1),(0,0)' < box '(2,2),(0,0)' AS b, circle '<(0,0),1>' = circle '<(5,5),1>' AS c, "
    "lseg '[(0,0),(1,1)]' = lseg '[(0,0),(1,1)]' AS d",
    "SELECT point '(1,2)' ~= point '(1,2.0000000001)' AS a, point '(1,2)' ~= point '(1,2.1)' AS b, "
    "box '(1,1),(0,0)' ~= box '(0,0),(1,1)' AS c",
    "SELECT point(1,2) AS a, point(1.5, 2)::text AS b, box(point '(1,1)', point '(0,0)') AS c",
    "SELECT polygon(box '(0,0),(3,3)') AS a, circle(box '(0,0),(3,3)') AS b, "
    "circle_center(circle '<(1,2),3>') AS c, point(box '(0,0),(2,2)') AS d",
    "SELECT point '(1,2)' <@ box '(0,0),(3,3)' AS a, box '(0,0),(3,3)' @> point '(1,2)' AS b, "
    "point '(1,2)' <@ circle '<(0,0),1>' AS c, "
    "point '(0.5,0.5)' <@ polygon '(0,0),(0,1),(1,1),(1,0)' AS d",
    "SELECT box '(0,0),(3,3)' && box '(1,1),(4,4)' AS a, "
    "circle '<(0,0),1>' && circle '<(1,1),1>' AS b",
    "SELECT point '(0,0)' <-> box '(1,1),(2,2)' AS a, point '(0,0)' <-> circle '<(3,4),1>' AS b, "
    "point '(0,0)' <-> lseg '[(1,0),(1,5)]' AS c, circle '<(0,0),1>' <-> circle '<(5,0),1>' AS d, "
    "point '(0,0)' <-> path '[(1,0),(1,5)]' AS e, point '(1,2)' <-> point '(4,6)' AS f",
    "SELECT point '(1,1)' << point '(2,1)' AS a, point '(1,1)' >> point '(2,1)' AS b, "
    "point '(1,1)' <^ point '(1,2)' AS c, point '(1,1)' >^ point '(1,2)' AS d, "
    "point '(1,1)' ?- point '(2,1)' AS e, point '(1,1)' ?| point '(1,2)' AS f",
    "SELECT point '(1,2)' + point '(1,1)' AS a, point '(1,2)' * point '(2,0)' AS b",
    "SELECT area(box '(0,0),(2,3)') AS a, center(box '(0,0),(2,2)') AS b, "
    "width(box '(0,0),(2,3)') AS c, "
    "npoints(path '[(0,0),(1,1)]') AS d, length(path '[(0,0),(3,4)]') AS e, "
    "radius(circle '<(0,0),2>') AS f, area(circle '<(0,0),2>') AS g",
    "SELECT point '(1,1)' <-> 1",
    "CREATE TABLE pt (f1 point); "
    "INSERT INTO pt VALUES ('(0.0,0.0)'), ('(-10.0,0.0)'), ('(-3.0,4.0)'), ('(5.1, 34.5)'), "
    "('(-5.0,-12.0)'), ('(1e-300,-1e-300)'), ('(1e+300,Inf)'), ('(Inf,1e+300)'), "
    "(' ( Nan , NaN ) '), ('10.0,10.0'), (NULL); "
    "SELECT f1, f1 <@ polygon '(0,0),(0,100),(100,100),(50,50),(100,0),(0,0)' AS a, "
    "f1 <@ box '(0,0,100,100)' AS b, f1 <@ circle '<(50,50),50>' AS c, f1 << '(0.0, 0.0)' AS d, "
    "f1 <<| '(0.0, 0.0)' AS e, f1 |>> '(0.0, 0.0)' AS f, f1 ~= '(-5, -12)' AS g FROM pt",
    "SELECT @@ box '(0,0),(2,2)' AS a, @@ circle '<(1,1),2>' AS b, @@ lseg '[(0,0),(2,4)]' AS c",
    "SELECT @@ point '(1,1)'",
    "SELECT f FROM (VALUES (point '(1,2)'), (point '(0,1)')) v(f) ORDER BY f",
    "SELECT DISTINCT f FROM (VALUES (box '(1,2),(0,0)')) v(f)",
    "SELECT '{}'::json FROM (VALUES (1)) v ORDER BY 1",
    "SELECT DISTINCT '{}'::json",
]


@pytest.mark.parametrize("sql", GEOMETRY)
def test_geometric_types_as_in_postgres(differ: Differ, sql: str) -> None:
    _script(differ, sql)


USER_TYPES = [
    "CREATE TYPE light AS ENUM ('red', 'yellow', 'green'); "
    "SELECT 'red'::light AS a, 'yellow'::light < 'green'::light AS b, "
    "'green'::light < 'red'::light AS c; "
    "SELECT 'blue'::light; "
    "CREATE TABLE lights (id int, l light); "
    "INSERT INTO lights VALUES (1, 'green'), (2, 'red'), (3, 'yellow'), (4, NULL); "
    "SELECT * FROM lights ORDER BY l; "
    "SELECT id FROM lights WHERE l > 'red' ORDER BY id; "
    "INSERT INTO lights VALUES (5, 'purple'); "
    "ALTER TYPE light ADD VALUE 'blue' BEFORE 'red'; "
    "INSERT INTO lights VALUES (6, 'blue'); "
    "SELECT * FROM lights ORDER BY l; "
    "SELECT l::text AS t, pg_typeof(l)::text AS ty FROM lights WHERE id = 1; "
    "DROP TYPE light; "
    "DROP TABLE lights; "
    "DROP TYPE light; "
    "DROP TYPE light",
    "CREATE TYPE comp AS (a int, b text); "
    "SELECT row(1, 'x')::comp AS r; "
    "SELECT '(1,hello world)'::comp AS a, '(,)'::comp AS b; "
    "SELECT '1,2'::comp; "
    "SELECT row(1, 'x', 3)::comp; "
    "CREATE TABLE ct (c comp); "
    "INSERT INTO ct VALUES ('(1,abc)'), (row(2, 'd e')); "
    "SELECT * FROM ct; "
    "SELECT (c).a, (c).b FROM ct; "
    "SELECT (c).z FROM ct; "
    "CREATE TYPE bad AS (u unknown); "
    "CREATE TYPE comp AS (x int); "
    "CREATE TABLE comp (x int)",
    "CREATE DOMAIN posint AS int CHECK (value > 0); "
    "CREATE DOMAIN nn AS int NOT NULL; "
    "SELECT 5::posint AS p; "
    "SELECT (-1)::posint; "
    "SELECT NULL::nn; "
    "CREATE TABLE dt (a posint, b nn); "
    "INSERT INTO dt VALUES (1, 1); "
    "INSERT INTO dt VALUES (-1, 1); "
    "INSERT INTO dt VALUES (1, NULL); "
    "DROP DOMAIN posint; "
    "DROP DOMAIN posint CASCADE; "
    "SELECT * FROM dt; "
    "DROP DOMAIN nosuch; "
    "DROP DOMAIN IF EXISTS nosuch",
    "CREATE DOMAIN dd AS int DEFAULT 42 CHECK (value > 0); "
    "CREATE DOMAIN dnn AS text NOT NULL; "
    "CREATE TABLE td (id int, a dd, b dnn); "
    "INSERT INTO td (id, b) VALUES (1, 'x'); "
    "INSERT INTO td (id) VALUES (2); "
    "INSERT INTO td (id, a, b) VALUES (3, -5, 'y'); "
    "INSERT INTO td VALUES (4, NULL, 'z'); "
    "UPDATE td SET a = -1 WHERE id = 1; "
    "UPDATE td SET a = 7 WHERE id = 1; "
    "SELECT * FROM td ORDER BY id; "
    "SELECT pg_typeof(a)::text AS t FROM td LIMIT 1",
    "CREATE TYPE f8r AS RANGE (subtype = float8, subtype_diff = float8mi); "
    'CREATE TYPE tr AS RANGE (subtype = text, collation = "C")',
    "CREATE DOMAIN js_nn AS int NOT NULL; "
    "CREATE DOMAIN js_a1 AS int[] CHECK(array_length(VALUE, 1) = 3); "
    "CREATE TYPE jpop AS (a text, b int, c timestamp); "
    "CREATE TYPE jrec AS (i int, ia _int4, a1 js_a1, c char(10), rec jpop, reca jpop[]); "
    "CREATE TYPE jnn AS (i js_nn); "
    'SELECT * FROM json_populate_record(NULL::jpop, \'{"a":"blurfl","x":43.2}\') q; '
    "SELECT * FROM json_populate_record(row('x',3,'2012-12-31 15:30:56')::jpop, "
    '\'{"a":"blurfl","x":43.2}\') q; '
    "SELECT i FROM json_populate_record(NULL::jnn, '{\"x\": 43.2}') q; "
    "SELECT i FROM json_populate_record(NULL::jnn, '{\"i\": 12345}') q; "
    'SELECT a1 FROM json_populate_record(NULL::jrec, \'{"a1": [1, "2", null, 4]}\') q; '
    'SELECT a1 FROM json_populate_record(NULL::jrec, \'{"a1": [1, "2", null]}\') q; '
    'SELECT c FROM json_populate_record(NULL::jrec, \'{"c": "aaa"}\') q; '
    'SELECT rec FROM json_populate_record(NULL::jrec, \'{"rec": {"a": "a b", "b": 4}}\') q; '
    "SELECT reca FROM json_populate_record(NULL::jrec, "
    '\'{"reca": [{"a": "abc", "b": 456}, null]}\') q; '
    "SELECT * FROM json_populate_recordset(NULL::jpop, "
    '\'[{"a":"blurfl","x":43.2},{"b":3,"c":"2012-01-20 10:42:53"}]\') q; '
    "DROP DOMAIN js_a1; "
    "DROP TYPE jrec; "
    "DROP DOMAIN js_a1",
    "CREATE TABLE r AS SELECT x, 'txt' || x AS y FROM generate_series(1, 3) AS x; "
    "SELECT row_to_json(row(1, 'foo')) AS a; "
    "SELECT row_to_json(q, true) AS a FROM r q; "
    "SELECT json_agg(q ORDER BY x) AS a FROM r q; "
    "SELECT array_to_json(array_agg(q)) AS a FROM (SELECT x AS b, x * 2 AS c FROM r) q; "
    "SELECT foo FROM (SELECT 'xyzzy', 1, NULL OFFSET 0) AS foo; "
    "SELECT to_json(q) AS a, to_jsonb(q) AS b FROM r q; "
    "SELECT q FROM r q WHERE q.x = 1; "
    "SELECT json_build_object(q, 2) FROM r q; "
    "SELECT row(q.*) AS a, row(q.*, 5) AS b FROM r q WHERE x = 1; "
    "SELECT row_to_json(q) AS a FROM (SELECT ARRAY[ROW(x.*, ARRAY[1,2]), ROW(y.*, ARRAY[3])] AS z "
    "FROM generate_series(1, 2) x, generate_series(4, 5) y) q; "
    "SELECT row(nosuch.*) FROM r",
    "CREATE TYPE e AS ENUM ('e', 'f', 'g'); "
    "SELECT enum_range(NULL::e) AS a, enum_first(NULL::e) AS b, enum_last('f'::e) AS c, "
    "enum_range('f'::e, NULL) AS d, enum_range(NULL, 'f'::e) AS r; "
    "SELECT ARRAY['a', 'b'] || enum_range(NULL::e)::text[] AS a; "
    "SELECT enum_first(1); "
    "SELECT typname, typtype FROM pg_type WHERE typname = 'e'; "
    "SELECT enumlabel, enumsortorder FROM pg_enum ORDER BY 2; "
    "SELECT max(x) AS a, min(x) AS b FROM (VALUES ('e'::e), ('g'), ('f')) v(x); "
    "SELECT x FROM (VALUES ('e'::e), ('g'), ('f')) v(x) ORDER BY x DESC",
    "CREATE TYPE comptype AS (f1 int, f2 text); "
    "CREATE TABLE comptable (c1 comptype, c2 comptype[]); "
    "INSERT INTO comptable VALUES "
    "(row(1, 'foo'), array[row(2, 'bar')::comptype, row(3, 'b \"z')::comptype]); "
    "CREATE TYPE _comptype AS ENUM ('fooey'); "
    "SELECT * FROM comptable; "
    "SELECT c2[2].f2 AS a, (c2[1]).f1 AS b, (c1).f2 AS c FROM comptable; "
    "DROP TYPE _comptype; "
    "DROP TYPE comptype",
    "CREATE TYPE rc AS (a int, b text); "
    "SELECT '(1,)'::rc < '(1,x)'::rc AS a, '(1,)'::rc = '(1,)'::rc AS b, "
    "'(2,a)'::rc > '(1,b)'::rc AS c, row(1, NULL) = row(1, 2) AS d; "
    "SELECT x FROM (VALUES ('(1,)'::rc), ('(1,x)'), ('(0,z)'), (NULL)) v(x) ORDER BY x; "
    "SELECT DISTINCT x FROM (VALUES ('(1,)'::rc), ('(1,)'), ('(0,z)')) v(x) ORDER BY x; "
    "CREATE TABLE rt (r rc); "
    "INSERT INTO rt VALUES ('(1,a)'), ('(2,)'), (NULL); "
    "SELECT count(*), r FROM rt GROUP BY r ORDER BY r; "
    "SELECT (r).* FROM rt; "
    "SELECT (1).*",
    "CREATE TYPE pair AS (x int, y int); "
    "CREATE DOMAIN ordered AS pair CHECK ((VALUE).x <= (VALUE).y); "
    "SELECT json_populate_record(NULL::record, '{\"x\": 0}'); "
    'SELECT json_populate_record(row(1, 2), \'{"f1": 0, "f2": 1}\') AS a; '
    "SELECT * FROM json_populate_record(NULL::record, '{\"x\": 776}') AS (x int, y int); "
    "SELECT json_populate_record(row(1, 2)::ordered, '{\"x\": 0}') AS a; "
    'SELECT json_populate_record(row(1, 2)::ordered, \'{"x": 1, "y": 0}\'); '
    'SELECT i, json_populate_recordset(row(i, 50), \'[{"f1":"42"},{"f2":"43"}]\') AS a '
    "FROM (VALUES (1), (2)) v(i); "
    'SELECT json_populate_recordset(NULL::ordered, \'[{"x": 0, "y": 1}]\') AS a; '
    "SELECT * FROM json_populate_recordset(row(0::int, 0::int), '[]') q (a text, b text); "
    "SELECT * FROM jsonb_populate_record(NULL::pair, '{\"x\": 1}') q; "
    'SELECT json_each(\'{"f1":[1,2,3],"f2":{"f3":1},"f4":null}\') AS a',
]


ARRAY_DIMENSIONS = [
    "SELECT array_length(array[[1,2,3], [4,5,6]], 0) AS a, "
    "array_length(array[[1,2,3], [4,5,6]], 2) AS b, array_length(array[[1,2,3], [4,5,6]], 3) AS c",
    "SELECT array_upper(array[[1,2,3], [4,5,6]], 2) AS a, "
    "array_lower(array[[1,2,3], [4,5,6]], 3) AS b, array_upper('{}'::int[], 1) AS c",
    "SELECT cardinality('{{1,2},{3,4},{5,6}}'::int[]) AS a, cardinality('{}'::int[]) AS b, "
    "cardinality(NULL::int[]) AS c, array_length(array[1,2], NULL) AS d",
]


@pytest.mark.parametrize("sql", ARRAY_DIMENSIONS)
def test_array_dimensions_as_in_postgres(differ: Differ, sql: str) -> None:
    differ.check(sql)


@pytest.mark.parametrize("sql", USER_TYPES)
def test_user_defined_types_as_in_postgres(differ: Differ, sql: str) -> None:
    _script(differ, sql)


DATES = [
    "SELECT '01.02.2003'::date AS a, '01/02/2003'::date AS b, '01-02-2003'::date AS c, "
    "'2003.01.02'::date AS d, '01.02.2003'::timestamp AS e, '1/2/2003 10:00'::timestamp AS f",
    "SELECT '01.02.2003 10:00:01+02'::timestamptz",
    "SELECT '13/02/2003'::date",
]


@pytest.mark.parametrize("sql", DATES)
def test_dates_month_first_as_in_postgres(differ: Differ, sql: str) -> None:
    differ.check(sql)


MONEY = [
    "SELECT 100::money AS a, '$1,234.5'::money AS b, '-12.345'::money AS c, '(5)'::money AS d, "
    "1234567.891::numeric::money AS e, 100::money::numeric AS f, 100::money::text AS g",
    "SELECT 'x'::money",
    "SELECT 1.5::float8::money",
    "SELECT x FROM (VALUES (100::money), (200::money)) _(x) UNION "
    "SELECT x FROM (VALUES (100::money), (300::money)) _(x) ORDER BY 1",
    "SELECT x FROM (VALUES (row(100::money)), (row(200::money))) _(x) UNION "
    "SELECT x FROM (VALUES (row(100::money)), (row(300::money))) _(x) ORDER BY 1",
    "SELECT 1::money + 2::money AS a, 5::money - 7::money AS b, 3::money * 2 AS c, "
    "2.5 * 3::money AS d, 10::money / 3 AS e, 10::money / 4::money AS f",
    "SELECT 1::money + 1",
    "SELECT 1::money / 0",
    "SELECT sum(x) FROM (VALUES (1::money), (2.5::money)) v(x)",
    "SELECT sum(x) FROM (VALUES ('92233720368547758.07'::money), (1::money)) v(x)",
]


@pytest.mark.parametrize("sql", MONEY)
def test_money_as_in_postgres(differ: Differ, sql: str) -> None:
    differ.check(sql)


def test_prepared_statements_resolve_user_defined_type_names(db: Database) -> None:
    s = Session(db)
    s.execute("CREATE TYPE mood AS ENUM ('sad', 'ok'); CREATE TABLE m (x mood)")
    prepared = s.prepare("SELECT $1::mood > 'sad', 'ok'::mood", [0])
    assert [c for c, _ in prepared.columns or []] == ["?column?", "mood"]
    value = T.parse_text("ok", prepared.param_types[0])  # as pgwire reads a text parameter
    assert s.execute_prepared(prepared, [value]).rows == [(True, "ok")]


ARRAY_FORMS = [
    "SELECT '{{},{}}'::int[]",
    "SELECT '\"\"'::jsonb::text AS a, '\"a\"'::jsonb::text AS b, "
    "'{\"a\":1}'::jsonb::varchar(3) AS c",
    "SELECT '{{1},{}}'::int[]",
    "SELECT '{}'::int[] AS a, '{{1},{2}}'::int[] AS b, '{1}'::_int4, '{}'::point[], "
    "array[1]::bigint[]",
    "CREATE TABLE va (a varchar(3)[], b char(2)[], c numeric(4,1)[]); "
    "INSERT INTO va VALUES ('{ab,abc}', '{a,b}', '{1.25,2}'); "
    "INSERT INTO va VALUES ('{abcd}', NULL, NULL); "
    "SELECT * FROM va",
    "CREATE TYPE jp AS (a text, b int, c timestamp); "
    "CREATE TYPE jr AS (ia2 int[][], ca char(10)[], js json, rec jp); "
    "SELECT ia2 FROM json_populate_record(NULL::jr, '{\"ia2\": [[], []]}') q; "
    'SELECT ca FROM json_populate_record(NULL::jr, \'{"ca": [1, "2", null, 4]}\') q; '
    'SELECT js FROM json_populate_record(NULL::jr, \'{"js": [123, "123", {"k": "v"}]}\') q; '
    "SELECT rec FROM json_populate_record(row(NULL, NULL, NULL, row('x', 3, NULL)::jp)::jr, "
    '\'{"rec": {"a": "abc", "c": "01.02.2003"}}\') q; '
    'SELECT * FROM json_to_record(\'{"out": {"key": 1}}\') AS x(out json)',
]


@pytest.mark.parametrize("sql", ARRAY_FORMS)
def test_array_forms_as_in_postgres(differ: Differ, sql: str) -> None:
    _script(differ, sql)


def test_implicit_row_constructor_as_in_postgres(differ: Differ) -> None:
    """``(2, 3)`` is ROW(2, 3): a composite column takes it (asyncpg's cache tests)."""
    _script(
        differ,
        "CREATE TYPE typ1 AS (x int, y int); CREATE TABLE tab1 (a int, b typ1); "
        "INSERT INTO tab1 VALUES (1, (2, 3)), (2, ROW(4, 5)); "
        "SELECT a, b, (b).y FROM tab1 ORDER BY a; SELECT (1, 'a') AS r; "
        "SELECT (1, 2) = (1, 2) AS eq",
    )


def test_composite_type_fields_found_by_its_relation_row_type(differ: Differ) -> None:
    """asyncpg's type introspection finds a composite type's fields through the pg_class
    row whose reltype is the type (db9 had reltype 0: "type record missing field types")."""
    _script(
        differ,
        "CREATE TYPE typ1 AS (x int, y text); "
        "SELECT (SELECT array_agg(ia.atttypid ORDER BY ia.attnum) FROM pg_attribute ia"
        " JOIN pg_class c ON ia.attrelid = c.oid WHERE ia.attnum > 0 AND NOT ia.attisdropped"
        " AND c.reltype = t.oid) AS types FROM pg_type t WHERE t.typname = 'typ1'",
    )
