"""DEFERRABLE unique constraints against a live PostgreSQL: checked at the end of the
statement when INITIALLY IMMEDIATE (UPDATE t SET i = i + 1 passes), at commit when deferred
(INITIALLY DEFERRED, SET CONSTRAINTS ... DEFERRED), at SET CONSTRAINTS ... IMMEDIATE; a
waiting row that is deleted or changed meanwhile takes its check with it; rows whose check
waits are found by queries of their value; pg_constraint and pg_get_constraintdef."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "CREATE TABLE unique_tbl (i int UNIQUE DEFERRABLE, t text)",
    "INSERT INTO unique_tbl VALUES (0, 'one'), (1, 'two'), (2, 'tree'), (3, 'four'), (4, 'five')",
    "BEGIN",
    "UPDATE unique_tbl SET i = 1 WHERE i = 0",
    "ROLLBACK",
    "UPDATE unique_tbl SET i = i + 1",
    "SELECT * FROM unique_tbl ORDER BY i",
    "UPDATE unique_tbl SET i = 1",
    "BEGIN",
    "SET CONSTRAINTS unique_tbl_i_key DEFERRED",
    "INSERT INTO unique_tbl VALUES (3, 'three')",
    "DELETE FROM unique_tbl WHERE t = 'tree'",
    "COMMIT",
    "SELECT * FROM unique_tbl ORDER BY i",
    "ALTER TABLE unique_tbl DROP CONSTRAINT unique_tbl_i_key",
    "ALTER TABLE unique_tbl ADD CONSTRAINT unique_tbl_i_key UNIQUE (i)"
    " DEFERRABLE INITIALLY DEFERRED",
    "SELECT conname, condeferrable, condeferred, pg_get_constraintdef(oid) FROM pg_constraint"
    " WHERE conname = 'unique_tbl_i_key'",
    "BEGIN",
    "INSERT INTO unique_tbl VALUES (1, 'five')",
    "INSERT INTO unique_tbl VALUES (5, 'one')",
    "UPDATE unique_tbl SET i = 4 WHERE i = 2",
    "UPDATE unique_tbl SET i = 2 WHERE i = 4 AND t = 'four'",
    "DELETE FROM unique_tbl WHERE i = 1 AND t = 'one'",
    "DELETE FROM unique_tbl WHERE i = 5 AND t = 'five'",
    "COMMIT",
    "SELECT * FROM unique_tbl ORDER BY i",
    "BEGIN",
    "INSERT INTO unique_tbl VALUES (3, 'Three')",
    "COMMIT",
    "BEGIN",
    "SET CONSTRAINTS ALL IMMEDIATE",
    "INSERT INTO unique_tbl VALUES (3, 'Three')",
    "COMMIT",
    "BEGIN",
    "SET CONSTRAINTS ALL DEFERRED",
    "INSERT INTO unique_tbl VALUES (3, 'Three')",
    "SET CONSTRAINTS ALL IMMEDIATE",
    "COMMIT",
    "BEGIN",
    "INSERT INTO unique_tbl VALUES (3, 'Three')",
    "UPDATE unique_tbl SET t = 'THREE' WHERE i = 3 AND t = 'Three'",
    "SELECT * FROM unique_tbl WHERE i = 3 ORDER BY t",
    "COMMIT",
    "BEGIN",
    "INSERT INTO unique_tbl VALUES (3, 'tree')",
    "UPDATE unique_tbl SET t = 'threex' WHERE t = 'tree'",
    "DELETE FROM unique_tbl WHERE t = 'three'",
    "SELECT * FROM unique_tbl ORDER BY i",
    "COMMIT",
    "SELECT * FROM unique_tbl ORDER BY i",
    "INSERT INTO unique_tbl VALUES (9, 'x'), (9, 'y')",
    "SET CONSTRAINTS unique_tbl_i_key DEFERRED",
    "SET CONSTRAINTS nosuch DEFERRED",
    "CREATE TABLE plain (i int UNIQUE)",
    "BEGIN",
    "SET CONSTRAINTS plain_i_key DEFERRED",
    "ROLLBACK",
]


def test_deferrable_unique_constraints_match_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
