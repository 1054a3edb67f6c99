"""UPDATE ... SET a[i] = x, a[i:j] = array, a[i][j] = x (and in ON CONFLICT DO UPDATE) as
PostgreSQL runs them on arrays whose subscripts start at 1, against a live PostgreSQL: a
one-dimensional array grows with NULLs, a multidimensional one must hold the position,
several subscripted assignments to one column apply in turn, errors as PostgreSQL's (2202E,
22004, 0A000 for DEFAULT, 42804 for a column that is no array). They were 42601 / XX000."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "create temp table arrtest1 (i int[], t text[])",
    "insert into arrtest1 values(array[1,2,null,4], array['one','two',null,'four'])",
    "update arrtest1 set i[2] = 22, t[2] = 'twenty-two'",
    "select * from arrtest1",
    "update arrtest1 set i[5] = 5, t[5] = 'five'",
    "select * from arrtest1",
    "update arrtest1 set i[8] = 8, t[8] = 'eight'",
    "select * from arrtest1",
    "update arrtest1 set i[1:2] = array[10,11], t[2:3] = array['ten','eleven','x']",
    "select * from arrtest1",
    "update arrtest1 set i[9:10] = array[18,null], t[9:10] = array['p18',null]",
    "select * from arrtest1",
    "update arrtest1 set i[:2] = array[100, 101]",
    "update arrtest1 set i[9:] = array[900, 901, 902]",
    "select * from arrtest1",
    "update arrtest1 set i[1:3] = array[1]",
    "update arrtest1 set i[NULL] = 1",
    "update arrtest1 set i[1] = DEFAULT",
    "update arrtest1 set i[1] = 7, i[2] = 8",
    "select * from arrtest1",
    "create temp table m (a int[])",
    "insert into m values ('{{1,2},{3,4}}')",
    "update m set a[2][1] = 30",
    "select * from m",
    "update m set a[3][1] = 30",
    "update m set a[1] = 5",
    "update arrtest1 set i = NULL",
    "update arrtest1 set i[1] = 1",
    "select * from arrtest1",
    "create temp table nt (x int, y text)",
    "update nt set x[1] = 3",
    "CREATE TABLE upa (k int PRIMARY KEY, v int[])",
    "INSERT INTO upa VALUES (1, '{1,2}')",
    "INSERT INTO upa VALUES (1, '{9}') ON CONFLICT (k) DO UPDATE SET v[3] = 3 RETURNING *",
]


def test_array_element_and_slice_assignment(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
