"""ORDER BY against a live PostgreSQL when rows tie on every key: PostgreSQL's quicksort is
not stable, and db9 sorts with the same steps (sql.executor.pg_qsort), so tied rows come out
in PostgreSQL's order, not in their input order."""

from __future__ import annotations

from tests.sql.differential import Differ


def test_tied_rows_come_out_in_postgres_order(differ: Differ) -> None:
    differ.check("CREATE TABLE pts (id int, f1 point)")
    differ.check(
        "INSERT INTO pts VALUES (1, '(0,0)'), (2, '(-10,0)'), (3, '(-3,4)'), (4, '(5.1,34.5)'),"
        " (5, '(-5,-12)'), (6, '(1e-300,-1e-300)'), (7, '(1e+300,Inf)'), (8, '(Inf,1e+300)'),"
        " (9, '(NaN,NaN)'), (10, '(10,10)'), (11, NULL)"
    )
    differ.check("SELECT id FROM pts ORDER BY f1 <-> '0,1'")
    differ.check("CREATE TABLE ties (k int, v int)")
    differ.check("INSERT INTO ties SELECT i % 3, i FROM generate_series(1, 40) i")
    differ.check("SELECT k, v FROM ties ORDER BY k")
    differ.check("SELECT k, v FROM ties ORDER BY k DESC")
