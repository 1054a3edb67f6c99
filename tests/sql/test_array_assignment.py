"""UPDATE ... SET a[i] = x, a[i:j] = array, a[i][j] = x (and in ON CONFLICT DO UPDATE) as
PostgreSQL runs them on arrays whose subscripts start at 1, against a live PostgreSQL: a
one-dimensional array grows with NULLs, a multidimensional one must hold the position,
several subscripted assignments to one column apply in turn, multidimensional slices, errors
as PostgreSQL's (2202E, 22004, 0A000 for DEFAULT, 42804 for a column that is no array)."""

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


def test_subscripted_assignment_matches_postgres(differ: Differ) -> None:
    for sql in [
        "CREATE TABLE a1 (k int PRIMARY KEY, i int[], t text[], e float8[], b int[])",
        "INSERT INTO a1 VALUES (1, ARRAY[1,2,NULL,4], ARRAY['one','two',NULL,'four'], NULL,"
        " '{{{0,0},{1,2}}}')",
        "UPDATE a1 SET i[2] = 22, t[2] = 'twenty-two'",
        "UPDATE a1 SET i[5] = 5, t[5] = 'five'",
        "UPDATE a1 SET i[8] = 8, t[8] = 'eight'",
        "SELECT * FROM a1",
        "UPDATE a1 SET i[8:10] = ARRAY[18,NULL,20], t[8:10] = ARRAY['p18',NULL,'p20']",
        "UPDATE a1 SET i[11:12] = ARRAY[NULL,22], i[15:16] = ARRAY[NULL,26]",
        "UPDATE a1 SET e[1] = '2.2', b[1:1][1:1][1:2] = '{113, 117}',"
        " b[1:1][1:2][2:2] = '{142, 147}'",
        "SELECT * FROM a1",
        "UPDATE a1 SET i[2:3] = '{7,8,9}', t[:2] = '{x,y}', b[1][1][2] = 5",
        "SELECT * FROM a1",
        "UPDATE a1 SET i[NULL] = 1",
        "UPDATE a1 SET i[NULL:1] = '{1}'",
        "UPDATE a1 SET i[1:NULL] = '{1}'",
        "UPDATE a1 SET i[1] = 1, i = '{1}'",
        "UPDATE a1 SET i[1:2] = '{9}'",
        "UPDATE a1 SET b[2][1][1] = 1",
        "UPDATE a1 SET b[1][1] = 1",
        "UPDATE a1 SET k[1] = 1",
        "UPDATE a1 SET e = NULL",
        "UPDATE a1 SET e[1:2] = '{1,2}'",
        "UPDATE a1 SET e[3] = NULL",
        "SELECT * FROM a1",
        "CREATE TABLE a2 (a int[], b int[])",
        "INSERT INTO a2 VALUES ('{1,2,3,4,5}', '{{1,2,3},{4,5,6},{7,8,9}}')",
        "UPDATE a2 SET a[:3] = '{11, 12, 13}', b[:2][:2] = '{{11,12}, {14,15}}'",
        "UPDATE a2 SET b[2:3][2] = '{21,22,23,24}'",
        "SELECT * FROM a2",
        "UPDATE a2 SET b[1:4][1:2] = '{1,2,3,4,5,6,7,8}'",
        "UPDATE a2 SET b[1:2][1:3] = '{1,2}'",
        "UPDATE a2 SET b[1:2] = '{1,2}'",
        "UPDATE a2 SET b = NULL",
        "UPDATE a2 SET b[1:2][1:2] = '{1,2,3,4}'",
        "SELECT * FROM a2",
    ]:
        differ.check(sql)


def test_insert_into_array_elements_and_slices(differ: Differ) -> None:
    """INSERT INTO t (a[1], a[2], b[1:2]) builds each array from NULL, as PostgreSQL's
    assignment indirection does: several targets of one column apply in turn."""
    for sql in [
        "CREATE TABLE ins (k int PRIMARY KEY, f1 int, f2 int[], b int[])",
        "INSERT INTO ins (k, f2[1], f2[2]) VALUES (1, 1, 2)",
        "INSERT INTO ins (k, f2[1], f2[2]) VALUES (2, 3, 4), (3, 5, 6)",
        "INSERT INTO ins (k, f2[1], f2[2]) SELECT 4, 7, 8",
        "INSERT INTO ins (k, f2[1], f2[2]) VALUES (5, 1, DEFAULT)",
        "INSERT INTO ins (k, f2[1:3], b[1:1][1:2]) VALUES (6, '{1,2,3}', '{{4,5}}')",
        "INSERT INTO ins (k, f2[1:2]) VALUES (7, '{1,2,3}'), (8, '{9}')",
        "INSERT INTO ins (k, f2[1]) VALUES (10, NULL)",
        "INSERT INTO ins (k, f2[NULL]) VALUES (11, 1)",
        "INSERT INTO ins (k, f1[1]) VALUES (12, 1)",
        "INSERT INTO ins (k, f2[1], f2) VALUES (13, 1, '{2}')",
        "INSERT INTO ins (k, f2[1:2]) VALUES (14, '{1,2}') ON CONFLICT (k)"
        " DO UPDATE SET f2[1] = excluded.f2[2] RETURNING *",
        "INSERT INTO ins (k, f2[1:2]) VALUES (14, '{5,6}') ON CONFLICT (k)"
        " DO UPDATE SET f2[1] = excluded.f2[2] RETURNING *",
        "SELECT * FROM ins ORDER BY k",
        "INSERT INTO ins (k, f2[2]) VALUES (20, now())",
        "INSERT INTO ins (k, f2[1:2]) VALUES (20, now())",
        "INSERT INTO ins (k, f1) VALUES (20, now())",
        "INSERT INTO ins (k, f2) VALUES (20, now())",
        "UPDATE ins SET f1 = '2020-01-01'::date",
        "UPDATE ins SET f2[1] = '2020-01-01'::date",
    ]:
        differ.check(sql)
