"""CREATE SCHEMA with schema elements and ALTER SCHEMA, against a live PostgreSQL: elements
run by kind (an index or view may name a table created later in the text) in the new schema;
RENAME TO keeps its relations, their foreign keys, serial defaults and the views reading
them working under the new name; the errors PostgreSQL gives."""

from __future__ import annotations

from tests.sql.differential import Differ

_COUNT = (
    "SELECT count(*) FROM pg_class WHERE relnamespace = "
    "(SELECT oid FROM pg_namespace WHERE nspname = '{}')"
)


def test_create_schema_elements_and_rename_match_postgres(differ: Differ) -> None:
    for sql in [
        "CREATE SCHEMA ns1 CREATE UNIQUE INDEX abc_a_idx ON abc (a)"
        " CREATE VIEW abc_view AS SELECT a + 1 AS a, b + 1 AS b FROM abc"
        " CREATE TABLE abc (a serial PRIMARY KEY, b int UNIQUE)"
        " CREATE TABLE ref (x int REFERENCES abc (a))",
        _COUNT.format("ns1"),
        "INSERT INTO ns1.abc DEFAULT VALUES",
        "INSERT INTO ns1.abc (b) VALUES (7)",
        "SELECT * FROM ns1.abc ORDER BY 1",
        "SELECT * FROM ns1.abc_view ORDER BY 1",
        "SHOW search_path",
        "ALTER SCHEMA ns1 RENAME TO ns2",
        _COUNT.format("ns1"),
        _COUNT.format("ns2"),
        "INSERT INTO ns2.abc DEFAULT VALUES",
        "INSERT INTO ns2.ref VALUES (1)",
        "INSERT INTO ns2.ref VALUES (99)",
        "SELECT * FROM ns2.abc_view ORDER BY 1",
        "SELECT * FROM ns1.abc",
        "CREATE SCHEMA ns2",
        "CREATE SCHEMA IF NOT EXISTS ns2",
        "CREATE SCHEMA IF NOT EXISTS ns2 CREATE TABLE t (a int)",
        "CREATE SCHEMA ns3 CREATE TABLE public.t (a int)",
        "CREATE SCHEMA ns3 CREATE TABLE t (a int) CREATE TABLE t (b int)",
        _COUNT.format("ns3"),
        "ALTER SCHEMA nosuch RENAME TO x",
        "ALTER SCHEMA ns2 RENAME TO public",
        "ALTER SCHEMA ns2 RENAME TO pg_x",
        "DROP SCHEMA ns2 CASCADE",
        _COUNT.format("ns2"),
    ]:
        differ.check(sql)
