"""Transaction characteristics and transaction blocks as PostgreSQL 15 has them, against a live
PostgreSQL: READ ONLY / READ WRITE / [NOT] DEFERRABLE from BEGIN, SET TRANSACTION and SET
SESSION CHARACTERISTICS (and when SET TRANSACTION is refused), COMMIT / ROLLBACK AND CHAIN,
savepoints closing the cursors declared after them, and the implicit block a query string of
several statements runs in."""

from __future__ import annotations

import pytest

from tests.sql.differential import Differ

READ_ONLY = [
    "CREATE TABLE writetest (a int)",
    "CREATE TEMP TABLE temptest (a int)",
    "BEGIN",
    "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY, DEFERRABLE",
    "SELECT * FROM writetest",
    "SET TRANSACTION READ WRITE",
    "COMMIT",
    "BEGIN",
    "SET TRANSACTION READ ONLY",
    "SET TRANSACTION READ WRITE",
    "SET TRANSACTION READ ONLY",
    "SELECT * FROM writetest",
    "SAVEPOINT x",
    "SET TRANSACTION READ ONLY",
    "SET TRANSACTION READ WRITE",
    "COMMIT",
    "BEGIN",
    "SET TRANSACTION READ WRITE",
    "SAVEPOINT x",
    "SET TRANSACTION READ ONLY",
    "SELECT * FROM writetest",
    "ROLLBACK TO SAVEPOINT x",
    "SHOW transaction_read_only",
    "SAVEPOINT y",
    "SET TRANSACTION READ ONLY",
    "SHOW transaction_read_only",
    "RELEASE SAVEPOINT y",
    "SHOW transaction_read_only",
    "SELECT 1",
    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
    "SET TRANSACTION DEFERRABLE",
    "COMMIT",
    "SET TRANSACTION READ ONLY",
    "SHOW transaction_read_only",
    "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
    "SHOW transaction_read_only",
    "DROP TABLE writetest",
    "INSERT INTO writetest VALUES (1)",
    "INSERT INTO writetest VALUES (1)",
    "SELECT * FROM writetest",
    "INSERT INTO temptest VALUES (1)",
    "DELETE FROM temptest",
    "START TRANSACTION READ WRITE",
    "INSERT INTO writetest VALUES (2)",
    "COMMIT",
    "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
    "BEGIN",
    "INSERT INTO writetest VALUES (3)",
    "COMMIT",
    "SELECT * FROM writetest ORDER BY 1",
]

CHAIN = [
    "CREATE TABLE abc (a int)",
    "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY, DEFERRABLE",
    "SHOW transaction_deferrable",
    "COMMIT AND CHAIN",
    "SHOW transaction_isolation",
    "SHOW transaction_read_only",
    "SHOW transaction_deferrable",
    "INSERT INTO abc VALUES (1)",
    "COMMIT AND CHAIN",
    "SHOW transaction_read_only",
    "ROLLBACK AND NO CHAIN",
    "SHOW transaction_isolation",
    "SHOW transaction_deferrable",
    "COMMIT AND CHAIN",
    "ROLLBACK AND CHAIN",
    "BEGIN",
    "INSERT INTO abc VALUES (2)",
    "ROLLBACK AND CHAIN",
    "INSERT INTO abc VALUES (3)",
    "COMMIT",
    "SELECT * FROM abc ORDER BY 1",
]

STRINGS = [
    "CREATE TABLE abc (a int)",
    "SELECT 1; VACUUM",
    "SELECT 1; COMMIT; VACUUM",
    "SELECT 1; SAVEPOINT sp",
    "SELECT 2; RELEASE SAVEPOINT sp; SELECT 3",
    "SET TRANSACTION READ ONLY; COMMIT AND CHAIN",
    "INSERT INTO abc VALUES (7); COMMIT; INSERT INTO abc VALUES (8); COMMIT AND CHAIN",
    "INSERT INTO abc VALUES (9); ROLLBACK; INSERT INTO abc VALUES (10); ROLLBACK AND CHAIN",
    "INSERT INTO abc VALUES (11); COMMIT AND CHAIN; INSERT INTO abc VALUES (12); COMMIT",
    "INSERT INTO abc VALUES (13); SELECT 1/0",
    "INSERT INTO abc VALUES (14); INSERT INTO abc VALUES (15)",
    "BEGIN; INSERT INTO abc VALUES (16); COMMIT AND CHAIN; INSERT INTO abc VALUES (17)",
    "SHOW transaction_isolation",
    "ROLLBACK",
    "START TRANSACTION ISOLATION LEVEL REPEATABLE READ; INSERT INTO abc VALUES (18);"
    " COMMIT AND CHAIN",
    "SHOW transaction_isolation",
    "COMMIT",
    "SELECT * FROM abc ORDER BY 1",
]


@pytest.mark.parametrize(
    "script", [READ_ONLY, CHAIN, STRINGS], ids=["read_only", "chain", "strings"]
)
def test_transaction_modes_and_blocks_match_postgres(differ: Differ, script: list[str]) -> None:
    for sql in script:
        differ.check(sql)


def test_rollback_to_savepoint_closes_cursors_declared_after_it(differ: Differ) -> None:
    for sql in [
        "BEGIN",
        "DECLARE before CURSOR FOR SELECT 1",
        "SAVEPOINT x",
        "DECLARE foo CURSOR FOR SELECT 2",
        "FETCH FROM foo",
        "ROLLBACK TO x",
        "FETCH FROM before",
        "FETCH FROM foo",
        "COMMIT",
    ]:
        differ.check(sql)


def test_read_uncommitted_is_shown_as_set(differ: Differ) -> None:
    """PostgreSQL runs READ UNCOMMITTED as READ COMMITTED but shows the level as set
    (SQLAlchemy's isolation-level tests read it back)."""
    for stmt in [
        "BEGIN ISOLATION LEVEL READ UNCOMMITTED",
        "SHOW transaction_isolation",
        "SELECT current_setting('transaction_isolation')",
        "SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED",
        "COMMIT",
        "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ UNCOMMITTED",
        "SHOW default_transaction_isolation",
        "SHOW transaction_isolation",
        "BEGIN",
        "SHOW transaction_isolation",
        "SET TRANSACTION ISOLATION LEVEL READ COMMITTED",
        "SHOW transaction_isolation",
        "COMMIT",
        "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED",
    ]:
        differ.check(stmt)
