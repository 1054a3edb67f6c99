"""Forms PostgreSQL's regression scripts use that db9 read or printed differently, against
PostgreSQL 15: SIMILAR TO as an expression, HAVING without GROUP BY, numeric with a negative
scale, the one-byte "char" type, prefix operators (|/ ||/), output settings
(extra_float_digits, bytea_output) in rows and casts, ORDER BY by output name, GROUP BY keys
written with and without their table, LIMIT reading outer columns, cursor errors raised at
FETCH, locking clauses with set
operations, constraints on inherited columns, U& strings and standard_conforming_strings."""

from __future__ import annotations

import pytest

from tests.sql.differential import Differ

SCRIPTS = [
    # SIMILAR TO: escapes, NULLs, and no implicit cast to text
    """SELECT 'abcdefg' SIMILAR TO '_bcd%', 'abcdefg' SIMILAR TO 'bcd%',
              'abcd%' SIMILAR TO '_bcd#%' ESCAPE '#', 'abcd\\efg' SIMILAR TO '_bcd\\%' ESCAPE '',
              'abcdefg' SIMILAR TO '_bcd%' ESCAPE NULL, 'abc' NOT SIMILAR TO 'a(b|c)+',
              NULL SIMILAR TO 'a', 'ab' SIMILAR TO '[a-b]{2}', true AND 'x' SIMILAR TO 'x';
       SELECT 'abcdefg' SIMILAR TO '_bcd#%' ESCAPE '##';
       SELECT 5 SIMILAR TO '5';""",
    # HAVING alone: one group, the FROM and WHERE not run
    """CREATE TABLE th (a int, b int);
       INSERT INTO th VALUES (0, 1), (1, 2), (2, 2), (3, 3);
       SELECT 1 AS one FROM th HAVING 1 > 2;
       SELECT 1 AS one FROM th HAVING 1 < 2;
       SELECT 1 AS one FROM th WHERE 1/a = 1 HAVING 1 < 2;
       SELECT min(a) FROM th HAVING min(a) < max(a);
       SELECT 1 AS one FROM th HAVING a > 1;""",
    # GROUP BY keys match by the columns they name, ORDER BY by output name first
    """CREATE TABLE tg (a int, b int, c text);
       INSERT INTO tg VALUES (1, 2, 'x'), (2, 3, 'Y'), (3, 3, 'x'), (4, 5, 'y');
       SELECT a % 2, count(b) FROM tg GROUP BY tg.a % 2 ORDER BY tg.a % 2;
       SELECT lower(tg.c), count(c) FROM tg GROUP BY lower(c) ORDER BY lower(c);
       SELECT a::text AS a FROM tg ORDER BY a;
       SELECT c AS a, a AS c FROM tg ORDER BY a;
       SELECT a, a::text AS a FROM tg ORDER BY a;
       SELECT a + 0 FROM tg GROUP BY a + 1;""",
    # numeric with a negative scale
    """CREATE TABLE tn (m numeric(3, -6), t numeric(3, -3), u numeric(3, 0));
       INSERT INTO tn VALUES (123456, 123, 0.5), (654321, 654, 1.5), (9.9e8, 999, 2);
       SELECT scale(m), * FROM tn ORDER BY m;
       INSERT INTO tn (m) VALUES (999500000);
       SELECT 1234567::numeric(4, -3), -55555::numeric(2, -3);""",
    # "char": one byte, \\ooo for high bytes, NUL as nothing
    """SELECT 'a'::"char", 'abc'::"char", ''::"char", '\\101'::"char", '\\377'::"char",
              '\\377'::"char"::text, '\\000'::"char"::text, '\\377'::text::"char", 'é'::"char";
       CREATE TABLE tc (c "char");
       INSERT INTO tc VALUES ('a'), ('\\377'), ('bc'), (''), (NULL);
       SELECT c, c::text AS t FROM tc ORDER BY c;
       SELECT c, c::text FROM tc ORDER BY c;
       SELECT '\\777'::"char"::int, '\\400'::"char"::text, '\\101'::"char"::int,
              '\\377'::"char"::int, ''::"char"::int, 65::"char", (-1)::"char"::text,
              0::"char"::text, (-128)::"char"::int;
       SELECT 128::"char";
       SELECT (-129)::"char";
       SELECT 'A'::"char"::bigint;
       SELECT 1::bigint::"char";
       SELECT c::int FROM tc ORDER BY 1;""",
    # prefix operators and boolean functions
    """SELECT |/ float8 '2', ||/ float8 '27', booleq(true, false), boolne(true, false);
       SELECT booleq(1, 1);""",
    # output settings, in rows and in casts to text
    """SET extra_float_digits = 0;
       SELECT 1.1::float8, 0.1::float4, 1e100::float8, ARRAY[1.1::float8, 2.2],
              (1.1::float8)::text;
       SET extra_float_digits = -3;
       SELECT 1.123456789::float8, 3.14159::float4, 1234567.0::float4;
       SET extra_float_digits = 4;
       SET extra_float_digits = - 16;
       RESET extra_float_digits;
       SET bytea_output = escape;
       SELECT E'\\\\xDeAdBeEf'::bytea, E'De\\\\000dBeEf'::bytea, 'a\\b'::bytea,
              ARRAY['\\x00ff'::bytea], ('\\x41'::bytea)::text;
       SET bytea_output = 'foo';
       RESET bytea_output;""",
    # a cursor's run-time error is FETCH's, then the cursor cannot run
    """CREATE TABLE tk (u int);
       INSERT INTO tk SELECT g FROM generate_series(0, 30) g;
       BEGIN;
       DECLARE c CURSOR FOR SELECT u / 0 FROM tk ORDER BY u;
       SAVEPOINT two;
       FETCH 10 FROM c;
       ROLLBACK TO SAVEPOINT two;
       FETCH 10 FROM c;
       ROLLBACK;
       BEGIN;
       DECLARE d CURSOR FOR SELECT 10 / (5 - u) FROM tk;
       FETCH 3 FROM d;
       FETCH 2 FROM d;
       FETCH 1 FROM d;
       ROLLBACK;
       BEGIN;
       DECLARE e CURSOR FOR SELECT * FROM nosuch;
       ROLLBACK;""",
    # locking clauses and set operations; constraints on inherited columns
    """CREATE TABLE tl (q1 int);
       SELECT q1 FROM tl EXCEPT ALL SELECT q1 FROM tl FOR NO KEY UPDATE;
       SELECT q1 FROM tl UNION SELECT q1 FROM tl FOR UPDATE;
       SELECT * FROM (SELECT q1 FROM tl FOR UPDATE) s UNION SELECT 1;
       CREATE TABLE tp (ab text PRIMARY KEY);
       CREATE TABLE tpc (PRIMARY KEY (ab)) INHERITS (tp);
       INSERT INTO tpc VALUES ('vw'), ('cd');
       INSERT INTO tpc VALUES ('vw');
       CREATE TABLE tpd (CHECK (ab <> 'x'), UNIQUE (ab)) INHERITS (tp);
       INSERT INTO tpd VALUES ('x');
       CREATE TABLE tpe (PRIMARY KEY (zz)) INHERITS (tp);""",
    # LIMIT / OFFSET may read an enclosing query's columns
    """SELECT (SELECT count(*) FROM (SELECT n FROM generate_series(1,10) n LIMIT s) y)
         FROM generate_series(1,3) s;
       SELECT (SELECT n FROM (VALUES (1)) AS x, (SELECT n FROM generate_series(1,10) AS n
               ORDER BY n LIMIT 1 OFFSET s-1) AS y) AS z FROM generate_series(1,3) AS s;
       SELECT (SELECT x FROM (SELECT 1 AS x UNION SELECT 2 ORDER BY 1 LIMIT s) u
               ORDER BY x DESC LIMIT 1) FROM generate_series(1,2) s;""",
    # U& strings need standard_conforming_strings
    """SET standard_conforming_strings TO off;
       SELECT U&'d\\0061t\\+000061';
       SELECT 'tricky' AS U&"\\0061";
       RESET standard_conforming_strings;
       SELECT U&'d\\0061t\\+000061';""",
]


@pytest.mark.parametrize("script", SCRIPTS)
def test_statements_agree_with_postgres(differ: Differ, script: str) -> None:
    differ.run_script(script)
