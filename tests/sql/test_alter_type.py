"""ALTER TYPE against a live PostgreSQL: a composite type's attributes (ADD, DROP [IF
EXISTS], ALTER ... TYPE, RENAME ATTRIBUTE, several at once), RENAME TO and SET SCHEMA;
values stored before the change read through the new shape."""

from __future__ import annotations

import pytest

from tests.sql.differential import Differ

SCRIPTS = [
    # stored values: a dropped attribute disappears, an added one reads NULL, also when an
    # attribute is dropped and one of its name added back with another type
    "CREATE TYPE typ1 AS (x int, y int); "
    "CREATE TABLE tab1 (a int, b typ1, c typ1[]); "
    "INSERT INTO tab1 VALUES (1, (2, 3), ARRAY[(4, 5)::typ1]); "
    "ALTER TYPE typ1 ADD ATTRIBUTE z text; "
    "SELECT * FROM tab1; "
    "INSERT INTO tab1 VALUES (2, (6, 7, 'q'), ARRAY[(8, 9, 'r')::typ1]); "
    "ALTER TYPE typ1 DROP ATTRIBUTE x; "
    "SELECT * FROM tab1 ORDER BY a; "
    "SELECT (b).y, (b).z FROM tab1 ORDER BY a; "
    "ALTER TYPE typ1 DROP ATTRIBUTE y, ADD ATTRIBUTE y bigint; "
    "SELECT * FROM tab1 ORDER BY a; "
    "INSERT INTO tab1 VALUES (3, ('s', 10), NULL); "
    "SELECT * FROM tab1 ORDER BY a; "
    "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute a "
    "JOIN pg_type t ON t.typrelid = a.attrelid WHERE t.typname = 'typ1' "
    "AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
    # a key holding values of the type (a primary key, an index) finds them in their new
    # shape
    "CREATE TYPE c AS (x int, y int); "
    "CREATE TABLE t (v c PRIMARY KEY, n int); "
    "CREATE INDEX ON t (n); "
    "CREATE TABLE u (w c UNIQUE); "
    "INSERT INTO t VALUES ((2, 3), 1), ((4, 5), 2); "
    "INSERT INTO u VALUES ((2, 3)); "
    "ALTER TYPE c DROP ATTRIBUTE x; "
    "SELECT * FROM t WHERE v = ROW(3)::c; "
    "SELECT * FROM t WHERE n = 2; "
    "INSERT INTO t VALUES (ROW(3)::c, 3); "
    "INSERT INTO u VALUES (ROW(3)::c); "
    "ALTER TYPE c ADD ATTRIBUTE z int; "
    "SELECT * FROM t WHERE v = ROW(5, NULL)::c; "
    "SELECT * FROM t ORDER BY v",
    # what PostgreSQL refuses, and how
    "CREATE TYPE a AS (x int, y text); "
    "CREATE TYPE b AS (p a, q int); "
    "CREATE TABLE tb (r b); "
    "ALTER TYPE a ALTER ATTRIBUTE x TYPE bigint; "
    "DROP TABLE tb; "
    "CREATE DOMAIN da AS a; "
    "CREATE TABLE td (r da[]); "
    "ALTER TYPE a ALTER ATTRIBUTE x SET DATA TYPE bigint; "
    "DROP TABLE td; "
    "ALTER TYPE a ALTER ATTRIBUTE x SET DATA TYPE bigint; "
    'ALTER TYPE a ALTER ATTRIBUTE y TYPE varchar(3) COLLATE "C" CASCADE; '
    "ALTER TYPE a ALTER ATTRIBUTE x TYPE int USING 1; "
    "ALTER TYPE a ALTER ATTRIBUTE nosuch TYPE int; "
    "ALTER TYPE a ADD ATTRIBUTE x int; "
    'ALTER TYPE a ADD ATTRIBUTE w int COLLATE "C"; '
    "ALTER TYPE a ADD ATTRIBUTE w nosuchtype; "
    "ALTER TYPE a ADD ATTRIBUTE self a; "
    "ALTER TYPE a ADD w int; "
    "ALTER TYPE a DROP ATTRIBUTE nosuch; "
    "ALTER TYPE a DROP ATTRIBUTE IF EXISTS nosuch RESTRICT; "
    "ALTER TYPE a RENAME ATTRIBUTE nosuch TO w; "
    "ALTER TYPE a RENAME ATTRIBUTE x TO y; "
    "ALTER TYPE a RENAME ATTRIBUTE x TO w CASCADE; "
    "ALTER TYPE a ADD ATTRIBUTE x int, RENAME TO c; "
    "ALTER TYPE a ADD ATTRIBUTE y int, DROP ATTRIBUTE y; "
    "SELECT '(1,2,3)'::a AS v; "
    "SELECT '(1,2)'::a AS v, (b).p FROM (SELECT ROW(ROW(1, 2)::a, 3)::b AS b) s; "
    "CREATE TYPE en AS ENUM ('e'); "
    "ALTER TYPE en ADD ATTRIBUTE x int; "
    "ALTER TYPE nosuch ADD ATTRIBUTE x int; "
    "CREATE TABLE tbl (x int); "
    "ALTER TYPE tbl ADD ATTRIBUTE y int; "
    "ALTER TYPE tbl RENAME TO tbl2",
    # names: RENAME TO, SET SCHEMA; the columns of the type follow
    "CREATE TYPE pt AS (x int, y int); "
    "CREATE TYPE mood AS ENUM ('sad', 'ok'); "
    "CREATE TABLE t (p pt, m mood); "
    "INSERT INTO t VALUES ((1, 2), 'ok'); "
    "ALTER TYPE pt RENAME TO t; "
    "ALTER TYPE pt RENAME TO mood; "
    "ALTER TYPE mood RENAME TO pt; "
    "ALTER TYPE pt RENAME TO pt; "
    "ALTER TYPE pt RENAME TO point2; "
    "ALTER TYPE nosuch RENAME TO x; "
    "SELECT p, (p).x, format_type(atttypid, NULL) AS ty FROM t, pg_attribute "
    "WHERE attrelid = 't'::regclass AND attname = 'p'; "
    "CREATE SCHEMA s; "
    "ALTER TYPE point2 SET SCHEMA nosuch; "
    "ALTER TYPE point2 SET SCHEMA public; "
    "ALTER TYPE point2 SET SCHEMA s; "
    "SELECT p, (p).x, format_type(atttypid, NULL) AS ty FROM t, pg_attribute "
    "WHERE attrelid = 't'::regclass AND attname = 'p'; "
    "CREATE TYPE s.mood AS (z int); "
    "ALTER TYPE mood SET SCHEMA s; "
    "ALTER TYPE mood RENAME TO feeling; "
    "SELECT m, m < 'sad' AS lt, format_type(atttypid, NULL) AS ty FROM t, pg_attribute "
    "WHERE attrelid = 't'::regclass AND attname = 'm'",
]


@pytest.mark.parametrize("sql", SCRIPTS)
def test_alter_type_as_in_postgres(differ: Differ, sql: str) -> None:
    differ.reset()
    for statement in sql.split("; "):
        differ.check(statement)
