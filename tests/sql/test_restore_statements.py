"""Statements pg_dump writes, as a restore into db9 runs them (psql -f / pg_restore): each
behaves as on PostgreSQL."""

from __future__ import annotations

from tests.sql.differential import Differ


def test_comment_on_a_schema_qualified_column(differ: Differ) -> None:
    differ.check("CREATE SCHEMA IF NOT EXISTS s1; CREATE TABLE s1.t (a int, b text)")
    for stmt in [
        "COMMENT ON COLUMN s1.t.b IS 'the b'",
        "SELECT col_description('s1.t'::regclass, 2)",
        "COMMENT ON COLUMN s1.t.nope IS 'x'",
        "COMMENT ON COLUMN nope.t.b IS 'x'",
        "COMMENT ON COLUMN public.nope.b IS 'x'",
    ]:
        differ.check(stmt)
    differ.check("DROP SCHEMA s1 CASCADE")


def test_lock_table_in_the_modes_a_reader_takes(differ: Differ) -> None:
    differ.check('CREATE TABLE t (a int); CREATE TABLE "Odd, name" (b int)')
    differ.check("CREATE VIEW v AS SELECT 1")
    for stmt in [
        "LOCK TABLE t IN ACCESS SHARE MODE",  # outside a block: 25P01
        "BEGIN",
        'LOCK TABLE public.t, "Odd, name" IN ACCESS SHARE MODE',
        "LOCK t IN ROW EXCLUSIVE MODE",
        "LOCK TABLE v IN ACCESS SHARE MODE",
        "SELECT count(*) FROM t",
        "COMMIT",
        "BEGIN",
        "LOCK TABLE nope IN ACCESS SHARE MODE",
        "ROLLBACK",
        "BEGIN",
        "LOCK TABLE t IN SHAER MODE",
        "ROLLBACK",
    ]:
        differ.check(stmt)


def test_prepare_with_schema_qualified_parameter_types(differ: Differ) -> None:
    for stmt in [
        "PREPARE q(pg_catalog.oid, pg_catalog.int4) AS SELECT $1::int + $2",
        "EXECUTE q(1, 2)",
        "DEALLOCATE q",
    ]:
        differ.check(stmt)


def test_a_function_in_a_subquerys_from_reads_the_outer_row(differ: Differ) -> None:
    differ.check(
        "CREATE TABLE g (n int, j jsonb); INSERT INTO g VALUES (1, '{\"a\": 1}'), (3, '{}')"
    )
    for stmt in [
        "SELECT n, (SELECT count(*) FROM generate_series(1, g.n)) FROM g ORDER BY n",
        "SELECT n, (SELECT count(*) FROM jsonb_each(g.j)) FROM g ORDER BY n",
        "SELECT n, ARRAY(SELECT option_name || '=' || option_value FROM "
        "pg_options_to_table(ARRAY['a=' || g.n, 'b=x'])) FROM g ORDER BY n",
    ]:
        differ.check(stmt)


def test_owned_by_a_schema_qualified_column(differ: Differ) -> None:
    differ.check("CREATE SCHEMA IF NOT EXISTS s2; CREATE TABLE s2.t (id int); CREATE SEQUENCE s2.q")
    for stmt in [
        "ALTER SEQUENCE s2.q OWNED BY s2.t.id",
        "SELECT pg_get_serial_sequence('s2.t', 'id')",
        "ALTER SEQUENCE s2.q OWNED BY s2.t.nope",
        "ALTER SEQUENCE s2.q OWNED BY nope",
        "ALTER SEQUENCE s2.q OWNED BY NONE",
        "SELECT pg_get_serial_sequence('s2.t', 'id')",
    ]:
        differ.check(stmt)
    differ.check("DROP SCHEMA s2 CASCADE")


def test_alter_table_owner_to_on_a_sequence_and_a_view(differ: Differ) -> None:
    differ.check("CREATE SEQUENCE q1; CREATE VIEW v1 AS SELECT 1 AS one")
    differ.check("DROP ROLE IF EXISTS dump_owner")
    differ.check("CREATE ROLE dump_owner")
    for stmt in [
        "ALTER TABLE q1 OWNER TO dump_owner",
        "ALTER TABLE v1 OWNER TO dump_owner",
        "SELECT relname, pg_get_userbyid(relowner) FROM pg_class WHERE relname IN ('q1', 'v1') "
        "ORDER BY 1",
        "ALTER TABLE v1 OWNER TO nobody_here",
    ]:
        differ.check(stmt)
    differ.check("DROP VIEW v1; DROP SEQUENCE q1; DROP ROLE dump_owner")


def test_owner_to_on_types_domains_and_functions(differ: Differ) -> None:
    differ.check("DROP ROLE IF EXISTS dump_owner2")
    differ.check("CREATE ROLE dump_owner2")
    differ.check("CREATE TYPE e1 AS ENUM ('a'); CREATE DOMAIN d1 AS int CHECK (VALUE > 0)")
    differ.check("CREATE FUNCTION f1(x integer) RETURNS integer LANGUAGE sql AS 'SELECT x'")
    for stmt in [
        "ALTER TYPE e1 OWNER TO dump_owner2",
        "ALTER DOMAIN d1 OWNER TO dump_owner2",
        "ALTER FUNCTION public.f1(x integer) OWNER TO dump_owner2",
        "ALTER FUNCTION f1(text) OWNER TO dump_owner2",
        "ALTER DOMAIN e1 OWNER TO dump_owner2",
        "ALTER TYPE e1 OWNER TO nobody_here",
        "SELECT typname, pg_get_userbyid(typowner) FROM pg_type WHERE typname IN ('e1', 'd1') "
        "ORDER BY 1",
        "SELECT proname, pg_get_userbyid(proowner) FROM pg_proc WHERE proname = 'f1'",
    ]:
        differ.check(stmt)
    differ.check("DROP FUNCTION f1; DROP DOMAIN d1; DROP TYPE e1; DROP ROLE dump_owner2")
