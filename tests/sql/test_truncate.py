"""TRUNCATE ... RESTART IDENTITY against a live PostgreSQL: the sequences that the truncated
tables' serial and identity columns own start again (identity columns with the options they
were created with); CONTINUE IDENTITY and other tables' sequences go on."""

from __future__ import annotations

from tests.sql.differential import Differ


def test_restart_identity_restarts_owned_sequences(differ: Differ) -> None:
    for sql in [
        "CREATE TABLE a (id serial, n int)",
        "CREATE TABLE b (id int GENERATED ALWAYS AS IDENTITY (START WITH 44 INCREMENT BY 2))",
        "CREATE TABLE other (id serial)",
        "INSERT INTO a (n) VALUES (1), (2)",
        "INSERT INTO b DEFAULT VALUES",
        "INSERT INTO b DEFAULT VALUES",
        "INSERT INTO other DEFAULT VALUES",
        "SELECT * FROM b ORDER BY 1",
        "TRUNCATE a, b CONTINUE IDENTITY",
        "INSERT INTO a (n) VALUES (3)",
        "INSERT INTO b DEFAULT VALUES",
        "SELECT * FROM a ORDER BY 1",
        "SELECT * FROM b ORDER BY 1",
        "TRUNCATE a, b RESTART IDENTITY",
        "INSERT INTO a (n) VALUES (4)",
        "INSERT INTO b DEFAULT VALUES",
        "INSERT INTO b DEFAULT VALUES",
        "INSERT INTO other DEFAULT VALUES",
        "SELECT * FROM a ORDER BY 1",
        "SELECT * FROM b ORDER BY 1",
        "SELECT * FROM other ORDER BY 1",
    ]:
        differ.check(sql)
