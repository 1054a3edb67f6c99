"""ALTER TABLE ... ADD [CONSTRAINT name] PRIMARY KEY | UNIQUE USING INDEX against a live
PostgreSQL: the index's checks (55000, 42809, 42704, 23502), the constraint it becomes (its
name, DEFERRABLE), what it enforces after, and an ALTER of several actions around it."""

from __future__ import annotations

from tests.sql.differential import Differ


def test_add_constraint_using_index(differ: Differ) -> None:
    for stmt in [
        "CREATE TABLE cw (a int, b int, c int)",
        "CREATE TABLE cw2 (a int)",
        "CREATE UNIQUE INDEX cw2i ON cw2 (a)",
        "ALTER TABLE cw ADD PRIMARY KEY USING INDEX nope",  # 42704
        "ALTER TABLE cw ADD PRIMARY KEY USING INDEX cw2i",  # 55000
        "CREATE INDEX cwn ON cw (a)",
        "ALTER TABLE cw ADD UNIQUE USING INDEX cwn",  # 42809
        "CREATE UNIQUE INDEX cwu ON cw (a) INCLUDE (c)",
        "INSERT INTO cw VALUES (NULL, 1, 1)",
        "ALTER TABLE cw ADD CONSTRAINT pk PRIMARY KEY USING INDEX cwu",  # 23502
        "DELETE FROM cw",
        "INSERT INTO cw VALUES (1, 1, 1), (2, 2, 2)",
        "ALTER TABLE cw ADD CONSTRAINT pk PRIMARY KEY USING INDEX cwu",
        "ALTER TABLE cw ADD UNIQUE USING INDEX pk",  # 55000
        "DROP INDEX pk",  # 2BP01
        "CREATE UNIQUE INDEX cwb ON cw (b)",
        "ALTER TABLE cw ADD UNIQUE USING INDEX cwb DEFERRABLE",
        "SELECT conname, contype, condeferrable FROM pg_constraint"
        " WHERE conrelid = 'cw'::regclass ORDER BY 1",
        "INSERT INTO cw VALUES (1, 5, 5)",  # 23505
        "INSERT INTO cw VALUES (5, 1, 5)",  # 23505
        "CREATE UNIQUE INDEX cwd ON cw (c DESC)",
        "ALTER TABLE cw DROP CONSTRAINT cwb, ADD UNIQUE USING INDEX cwd",  # 42809
        "CREATE UNIQUE INDEX cwc ON cw (c)",
        "ALTER TABLE cw DROP CONSTRAINT pk, ADD CONSTRAINT pk2 PRIMARY KEY USING INDEX cwc",
        "SELECT * FROM cw ORDER BY a",
        "SELECT indexname FROM pg_indexes WHERE tablename = 'cw' ORDER BY 1",
        "INSERT INTO cw VALUES (7, 7, 1)",  # 23505 on pk2
        "CREATE TABLE cwp (a int) PARTITION BY hash (a)",
        "CREATE UNIQUE INDEX cwpi ON cwp (a)",
        "ALTER TABLE cwp ADD UNIQUE USING INDEX cwpi",  # 0A000
    ]:
        differ.check(stmt)
