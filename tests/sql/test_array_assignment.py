"""UPDATE ... SET a[i] = v and SET a[l:u] = array against a live PostgreSQL: elements and
slices replaced, a one-dimensional array grown past its end with NULLs, several subscripted
assignments to one column applied in turn, multidimensional slices, and the errors for NULL
subscripts, too small a source and subscripts out of range."""

from __future__ import annotations

from tests.sql.differential import Differ


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
    ]:
        differ.check(sql)
