"""SQL's PREPARE, EXECUTE and DEALLOCATE and pg_prepared_statements as PostgreSQL runs them,
each statement against a live PostgreSQL: declared and inferred parameter types, EXECUTE's
argument checks (42601 count, 42804 type), 42P05 for a taken name, 26000 for a missing one,
and the statements' life outside transactions."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "SELECT name, statement, parameter_types FROM pg_prepared_statements",
    "PREPARE q1 AS SELECT 1 AS a",
    "EXECUTE q1",
    "SELECT name, statement, parameter_types, from_sql FROM pg_prepared_statements",
    "PREPARE q1 AS SELECT 2",
    "DEALLOCATE q1",
    "PREPARE q1 AS SELECT 2",
    "EXECUTE q1",
    "DEALLOCATE PREPARE q1",
    "DEALLOCATE PREPARE q1",
    "EXECUTE nosuch",
    "CREATE TABLE t (a int, b text, c float8)",
    "INSERT INTO t VALUES (1, 'x', 1.5), (2, 'y', 2.5)",
    "PREPARE q3(text, int, float, boolean, smallint) AS SELECT * FROM t WHERE b = $1"
    " AND (a = $2 OR c = $3::bigint OR true = $4 OR a = $5::int) ORDER BY a",
    "EXECUTE q3('x', 5::smallint, 10.5::float, false, 4::bigint)",
    "EXECUTE q3('bool')",
    "EXECUTE q3('bytea', 5::smallint, 10.5::float, false, 4::bigint, true)",
    "EXECUTE q3(5::smallint, 10.5::float, false, 4::bigint, 'bytea')",
    "PREPARE q4(nonexistenttype) AS SELECT $1",
    "PREPARE q6 AS SELECT * FROM t WHERE a = $1 AND b = $2",
    "EXECUTE q6(1, 'x')",
    "PREPARE q7(unknown) AS SELECT * FROM t WHERE b = $1",
    "EXECUTE q7('y')",
    "PREPARE q8(int, text) AS INSERT INTO t VALUES ($1, $2) RETURNING *",
    "EXECUTE q8(3, 'z')",
    "PREPARE q9(int) AS UPDATE t SET a = a + $1",
    "EXECUTE q9(10)",
    "PREPARE q10 AS DELETE FROM t WHERE a > 11",
    "EXECUTE q10",
    "SELECT * FROM t ORDER BY a",
    "SELECT name, statement, parameter_types FROM pg_prepared_statements ORDER BY name",
    "DEALLOCATE ALL",
    "SELECT name FROM pg_prepared_statements",
    "PREPARE q11 AS BEGIN",
    "PREPARE q12(varchar(3), numeric(5,2)) AS SELECT $1, $2",
    "EXECUTE q12('ab', 1.234)",
    "EXECUTE q12('abcd', 1.234)",
    "SELECT parameter_types FROM pg_prepared_statements",
    "BEGIN",
    "PREPARE q13 AS SELECT 1",
    "ROLLBACK",
    "EXECUTE q13",
]


def test_prepare_execute_deallocate_as_in_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)


def test_create_table_as_execute(differ: Differ) -> None:
    for sql in [
        "CREATE TABLE t (a int, b text)",
        "INSERT INTO t VALUES (1, 'x'), (200, 'y'), (3, 'DTAAAA')",
        "PREPARE q5(int, text) AS SELECT * FROM t WHERE a = $1 OR b = $2 ORDER BY a",
        "CREATE TEMPORARY TABLE q5_prep_results AS EXECUTE q5(200, 'DTAAAA')",
        "SELECT * FROM q5_prep_results ORDER BY a",
        "CREATE TEMPORARY TABLE q5_prep_nodata AS EXECUTE q5(200, 'DTAAAA') WITH NO DATA",
        "SELECT * FROM q5_prep_nodata",
        "CREATE TABLE q5_c (x, y) AS EXECUTE q5(1, 'none')",
        "SELECT * FROM q5_c",
        "CREATE TABLE q5_d AS EXECUTE q5(1)",
        "CREATE TABLE q5_e AS EXECUTE nosuch(1)",
        "PREPARE ins(int) AS INSERT INTO t VALUES ($1, 'z')",
        "CREATE TABLE q5_f AS EXECUTE ins(1)",
        "PREPARE select1 AS SELECT 1 AS a",
        "CREATE TABLE as_select1 AS EXECUTE select1",
        "CREATE TABLE as_select1 AS EXECUTE select1",
        "SELECT * FROM as_select1",
        "CREATE TABLE IF NOT EXISTS as_select1 AS EXECUTE select1",
        "DEALLOCATE ALL",
    ]:
        differ.check(sql)


def test_json_operators_type_their_parameters(differ: Differ) -> None:
    """A parameter takes the json operator's argument type: text[] for a path (``#>``,
    ``#>>``, ``#-``, ``?|``, ``?&``), text for a key, jsonb for containment (SQLAlchemy's
    JSON path comparisons bind the path so, typed by the server)."""
    ops = ["#>", "#>>", "->", "->>", "?", "?|", "?&", "-", "#-", "@>", "||"]
    for i, op in enumerate(ops):
        differ.check(f"""PREPARE j{i} AS SELECT '{{"a": {{"b": [1]}}}}'::jsonb {op} $1""")
    differ.check("PREPARE jd AS SELECT $1 @> '{\"a\": 1}'::jsonb, '{\"a\": 1}'::json #>> $2")
    differ.check("SELECT name, parameter_types FROM pg_prepared_statements ORDER BY name")
    differ.check("""EXECUTE j0('{a,b}')""")
    differ.check("""EXECUTE j1('{a,b,0}')""")


def test_backend_functions_type_their_parameters(differ: Differ) -> None:
    """``pg_terminate_backend($1)`` (asyncpg's tests, with the pid bound as an int):
    the pid parameter is an integer."""
    differ.check("PREPARE b1 AS SELECT pg_terminate_backend($1)")
    differ.check("PREPARE b2 AS SELECT pg_cancel_backend($1), pg_blocking_pids($2)")
    differ.check("SELECT name, parameter_types FROM pg_prepared_statements ORDER BY name")


def test_a_changed_result_row_fails_the_prepared_statement(differ: Differ) -> None:
    """RevalidateCachedQuery: EXECUTE of a statement whose row type changed since PREPARE
    fails with 0A000 (drivers prepare it again), in a block too; a new PREPARE sees it."""
    for sql in [
        "CREATE TABLE rt (a int, b int)",
        "INSERT INTO rt VALUES (1, 2)",
        "PREPARE r1 AS SELECT * FROM rt",
        "PREPARE r2 AS SELECT a FROM rt",
        "EXECUTE r1",
        "ALTER TABLE rt ALTER COLUMN b SET DATA TYPE text",
        "EXECUTE r1",
        "EXECUTE r2",
        "BEGIN",
        "EXECUTE r1",
        "SELECT 1",
        "ROLLBACK",
        "DEALLOCATE r1",
        "PREPARE r1 AS SELECT * FROM rt",
        "EXECUTE r1",
        "ALTER TABLE rt ADD COLUMN c int",
        "EXECUTE r1",
    ]:
        differ.check(sql)


def test_a_parameter_assigned_to_a_column_takes_its_type_without_modifiers(
    differ: Differ,
) -> None:
    """INSERT VALUES ($1) / UPDATE SET c = $1: the parameter is the column's type without
    its modifiers, and the assignment applies them (a bound numeric rounded to the scale,
    a long string failing varchar(n)); so is a parameter cast to a type with modifiers, which
    the cast then applies (SQLAlchemy's ``$1::NUMERIC(8, 4)`` under asyncpg)."""
    for sql in [
        "CREATE TABLE tm (n numeric(8,4), v varchar(3), c char(3), a numeric(5,1)[])",
        "PREPARE m1 AS INSERT INTO tm VALUES ($1, $2, $3, $4)",
        "PREPARE m2 AS UPDATE tm SET n = $1, v = $2",
        "PREPARE m3 AS SELECT $1::numeric(8,4), $2::varchar(2), $3::numeric(3,1)[]",
        "EXECUTE m3(15.75639, 'abc', '{1.25}')",
        "SELECT name, parameter_types FROM pg_prepared_statements ORDER BY name",
        "EXECUTE m1(15.756299999999999528, 'ab', 'a', '{1.26}')",
        "EXECUTE m1(1, 'abcd', 'a', NULL)",
        "EXECUTE m2(2.00005, 'xyz')",
        "SELECT n, v, c, a FROM tm",
    ]:
        differ.check(sql)


def test_limit_and_offset_parameters_are_bigint(differ: Differ) -> None:
    """LIMIT $1 OFFSET $2 (SQLAlchemy binds them as ints under asyncpg): bigint parameters."""
    differ.check(
        "PREPARE l1 AS SELECT g FROM generate_series(1, 9) g ORDER BY g LIMIT $1 OFFSET $2"
    )
    differ.check("PREPARE l2 AS SELECT 1 FETCH FIRST $1 ROWS ONLY")
    differ.check("SELECT name, parameter_types FROM pg_prepared_statements ORDER BY name")
    differ.check("EXECUTE l1(2, 3)")


def test_function_arguments_type_their_parameters(differ: Differ) -> None:
    """generate_series(0, $1) and a user function's f($1) (asyncpg's pool and log-listener
    tests bind ints there): the parameter takes the argument's type."""
    for sql in [
        "CREATE FUNCTION tf(i int, t text DEFAULT 'x') RETURNS int LANGUAGE sql"
        " AS $$ SELECT i + length(t) $$",
        "PREPARE g1 AS SELECT generate_series(0, $1)",
        "PREPARE g2 AS SELECT * FROM generate_series(1::bigint, $1, $2)",
        "PREPARE g3 AS SELECT tf($1), tf($2, $3)",
        "PREPARE g4 AS SELECT * FROM tf($1)",
        "SELECT name, parameter_types FROM pg_prepared_statements ORDER BY name",
        "EXECUTE g1(3)",
        "EXECUTE g3(1, 2, 'abc')",
    ]:
        differ.check(sql)
