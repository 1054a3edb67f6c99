"""CREATE / REFRESH / DROP MATERIALIZED VIEW against a live PostgreSQL: the rows as of
creation or the last refresh, relkind 'm', pg_matviews, pg_get_viewdef, indexes on it, and
the dependency on the tables it reads (SQLAlchemy's reflection suite creates them)."""

from __future__ import annotations

from tests.sql.differential import Differ


def test_materialized_view_keeps_rows_until_refreshed(differ: Differ) -> None:
    for stmt in [
        "CREATE TABLE base (a int, b text)",
        "INSERT INTO base VALUES (1, 'x'), (2, 'y')",
        "CREATE MATERIALIZED VIEW mv AS SELECT a, b FROM base WHERE a > 0",
        "INSERT INTO base VALUES (3, 'z')",
        "SELECT * FROM mv ORDER BY a",
        "SELECT relkind FROM pg_class WHERE relname = 'mv'",
        "SELECT schemaname, matviewname, hasindexes, ispopulated FROM pg_matviews",
        "REFRESH MATERIALIZED VIEW mv",
        "SELECT * FROM mv ORDER BY a",
        "CREATE INDEX mv_a ON mv (a)",
        "SELECT hasindexes FROM pg_matviews",
        "CREATE MATERIALIZED VIEW mv2 (x) AS SELECT a FROM base WITH NO DATA",
        "CREATE MATERIALIZED VIEW IF NOT EXISTS mv2 AS SELECT 1",
        "CREATE MATERIALIZED VIEW mv2 AS SELECT 1",
        "SELECT matviewname, ispopulated FROM pg_matviews ORDER BY 1",
        "SELECT * FROM mv2",
        "REFRESH MATERIALIZED VIEW mv2",
        "SELECT * FROM mv2 ORDER BY x",
        "REFRESH MATERIALIZED VIEW mv WITH NO DATA",
        "SELECT count(*) FROM mv",
        "REFRESH MATERIALIZED VIEW mv WITH DATA",
        "SELECT count(*) FROM mv",
        "REFRESH MATERIALIZED VIEW nope",
        "REFRESH MATERIALIZED VIEW base",
        "DROP TABLE mv",
        "DROP VIEW mv",
        "DROP TABLE base",
        "DROP MATERIALIZED VIEW mv, mv2",
        "DROP TABLE base",
    ]:
        differ.check(stmt)


def test_dropping_the_table_cascades_to_its_materialized_view(differ: Differ) -> None:
    for stmt in [
        "CREATE TABLE base (a int)",
        "CREATE MATERIALIZED VIEW mv AS SELECT a FROM base",
        "DROP TABLE base CASCADE",
        "SELECT count(*) FROM pg_class WHERE relname = 'mv'",
    ]:
        differ.check(stmt)
