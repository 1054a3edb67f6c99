"""Arrays whose subscripts do not start at 1, against a live PostgreSQL: '[l:u]=' input and
output, storage, subscripts and slices read relative to the bounds, assignment that extends
a one-dimensional array below its lower bound, array_lower/upper/dims, array_position(s),
array_fill with lower bounds, generate_subscripts, trim_array, casts, append and prepend."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "SELECT '[0:2][0:2]={{1,2,3},{4,5,6},{7,8,9}}'::int[]",
    "SELECT ('[0:2][0:2]={{1,2,3},{4,5,6},{7,8,9}}'::int[])[1:2][2]",
    "SELECT ('[0:2][0:2]={{1,2,3},{4,5,6},{7,8,9}}'::int[])[0][0], ('{{1,2},{3,4}}'::int[])[2][1]",
    "SELECT ('[0:2]={1,2,3}'::int[])[0:1], ('[0:2]={1,2,3}'::int[])[:1],"
    " ('[-2:0]={1,2,3}'::int[])[-2]",
    "SELECT '[0:1]={1.1,2.2}'::float8[], '[2:4]={5,6,7}'::int[]::bigint[]",
    "SELECT '[1:2]={1,2}'::int[], '[2:1]={1}'::int[]",
    "SELECT array_position('[2:4]={1,2,3}'::int[], 1), array_positions('[2:4]={1,2,3}'::int[], 1)",
    "SELECT array_position('[2:4]={1,2,3,}'::int[], 3, 0)",
    "SELECT array_position('[2:4]={1,2,3}'::int[], 3, 4),"
    " array_position('[2:4]={1,2,3}'::int[], 3, 5)",
    "SELECT cardinality('[2:4]={5,6,7}'::int[]), array_dims('[-3:-2][5:6]={{1,2},{3,4}}'::int[])",
    "SELECT array_lower('[-3:-2][5:6]={{1,2},{3,4}}'::int[], 2),"
    " array_upper('[-3:-2]={1,2}'::int[], 1)",
    "SELECT array_fill(7, array[3,3], array[2,2]), array_fill('juhu'::text, array[3], array[-1])",
    "SELECT array_fill(null::integer, array[3,3], array[2,2])",
    "SELECT trim_array('[10:16]={1,2,3,4,5,6,7}'::bigint[], 2),"
    " trim_array('[-15:-10]={1,2,3,4,5,6}'::int[], 2)",
    "SELECT array_append('[2:3]={1,2}'::int[], 3), array_prepend(0, '[2:3]={1,2}'::int[])",
    "SELECT '[2:3]={1,2}'::int[] || 3, 0 || '[2:3]={1,2}'::int[],"
    " '[2:3]={1,2}'::int[] || '{5}'::int[]",
    "SELECT s FROM generate_subscripts('[-1:1]={7,8,9}'::int[], 1) s",
    "SELECT s FROM generate_subscripts('[-1:1][3:4]={{7,8},{9,10},{11,12}}'::int[], 2, true) s",
    "CREATE TABLE arrtest_s (a int2[], b int2[][])",
    "INSERT INTO arrtest_s VALUES ('{1,2,3,4,5}', '{{1,2,3}, {4,5,6}, {7,8,9}}')",
    "INSERT INTO arrtest_s VALUES ('[0:4]={1,2,3,4,5}', '[0:2][0:2]={{1,2,3}, {4,5,6}, {7,8,9}}')",
    "SELECT * FROM arrtest_s",
    "SELECT a[:3], b[:2][:2] FROM arrtest_s",
    "SELECT a[2:], b[2:][2:] FROM arrtest_s",
    "SELECT a[:], b[:] FROM arrtest_s",
    "UPDATE arrtest_s SET a[:3] = '{11, 12, 13}', b[:2][:2] = '{{11,12}, {14,15}}'",
    "SELECT * FROM arrtest_s",
    "UPDATE arrtest_s SET a[3:] = '{23, 24, 25}', b[2:][2:] = '{{25,26}, {28,29}}'",
    "SELECT * FROM arrtest_s",
    "UPDATE arrtest_s SET a[:] = '{11, 12, 13, 14, 15}'",
    "SELECT * FROM arrtest_s",
    "UPDATE arrtest_s SET b[0:1][5] = '{1}'",
    "create temp table arrtest1 (i int[], t text[])",
    "insert into arrtest1 values(array[1,2,null,4], array['one','two',null,'four'])",
    "update arrtest1 set i[0] = 0, t[0] = 'zero'",
    "select * from arrtest1",
    "update arrtest1 set i[-3] = -3, t[-3] = 'minus-three'",
    "select * from arrtest1",
    "update arrtest1 set i[0:2] = array[10,11,12], t[0:2] = array['ten','eleven','twelve']",
    "select * from arrtest1",
    "update arrtest1 set i[8:10] = array[18,null,20], t[8:10] = array['p18',null,'p20']",
    "select * from arrtest1",
    "update arrtest1 set i[-5:-3] = array[-15,-14,-13], t[-5:-3] = array['m15','m14','m13']",
    "select * from arrtest1",
    "update arrtest1 set i[-12:-10] = array[-22,null,-20], t[-12:-10] = array['m22',null,'m20']",
    "select *, array_lower(i, 1), array_upper(i, 1) from arrtest1",
    "delete from arrtest1",
    "insert into arrtest1 values(array[1,2,null,4], array['one','two',null,'four'])",
    "update arrtest1 set i[0:5] = array[0,1,2,null,4,5],"
    " t[0:5] = array['z','p1','p2',null,'p4','p5']",
    "select * from arrtest1",
    "CREATE TABLE e (k int, a int[])",
    "INSERT INTO e (k, a[2]) VALUES (1, 1)",
    "INSERT INTO e (k, a[-1:0]) VALUES (2, '{5,6}')",
    "INSERT INTO e (k, a[0:1][2:2]) VALUES (3, '{5,6}')",
    "UPDATE e SET a[5] = 7 WHERE k = 2",
    "SELECT k, a, a[0], a[-1:0] FROM e ORDER BY k",
]


def test_arrays_with_other_lower_bounds(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
