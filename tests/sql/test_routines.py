"""User-defined functions, procedures and triggers against a live PostgreSQL: CREATE
FUNCTION in SQL and PL/pgSQL, overloading, STRICT, SETOF and TABLE functions in FROM,
DROP FUNCTION, DO, CALL, and BEFORE / AFTER triggers that change, skip or log rows."""

from __future__ import annotations

from typing import Any

from tests.sql.differential import Differ

SETUP = """
CREATE TABLE t (a int PRIMARY KEY, b text);
CREATE TABLE log (op text, a int, b text)
"""

FUNCTIONS = [
    "CREATE FUNCTION add1(x int) RETURNS int AS $$ SELECT x + 1 $$ LANGUAGE sql STRICT",
    "SELECT add1(41), add1(NULL)",
    "CREATE FUNCTION add1(x text) RETURNS text AS 'SELECT x || $1' LANGUAGE sql",
    "SELECT add1('ab'::text), add1(1)",
    "CREATE FUNCTION add1(x int) RETURNS int AS $$ SELECT 0 $$ LANGUAGE sql",
    "CREATE OR REPLACE FUNCTION add1(x int) RETURNS int AS $$ SELECT x + 2 $$ LANGUAGE sql",
    "SELECT add1(1)",
    "CREATE OR REPLACE FUNCTION add1(x int) RETURNS text AS $$ SELECT 'a' $$ LANGUAGE sql",
    "SELECT nosuch(1)",
    "SELECT add1(1, 2)",
    "CREATE FUNCTION fact(n int) RETURNS numeric LANGUAGE plpgsql IMMUTABLE AS $$\n"
    "DECLARE r numeric := 1;\nBEGIN\n  FOR i IN 2..n LOOP r := r * i; END LOOP;\n"
    "  RETURN r;\nEND $$",
    "SELECT fact(20), fact(1)",
    "CREATE FUNCTION evens(n int) RETURNS SETOF int LANGUAGE plpgsql AS $$\n"
    "BEGIN\n  FOR i IN 1..n LOOP\n    CONTINUE WHEN i % 2 = 1;\n    RETURN NEXT i;\n"
    "  END LOOP;\n  RETURN;\nEND $$",
    "SELECT * FROM evens(7)",
    "SELECT e * 10 AS x FROM evens(4) AS e ORDER BY x DESC",
    "CREATE FUNCTION pairs(n int) RETURNS TABLE(i int, sq bigint) LANGUAGE sql AS $$\n"
    "  SELECT g, (g * g)::bigint FROM generate_series(1, n) g $$",
    "SELECT * FROM pairs(3)",
    "SELECT sq FROM pairs(4) WHERE i > 2",
    "CREATE FUNCTION safe_div(a int, b int) RETURNS int LANGUAGE plpgsql AS $$\n"
    "BEGIN\n  RETURN a / b;\nEXCEPTION WHEN division_by_zero THEN\n  RETURN -1;\nEND $$",
    "SELECT safe_div(7, 2), safe_div(1, 0)",
    "CREATE FUNCTION boom(code text) RETURNS int LANGUAGE plpgsql AS $$\n"
    "BEGIN\n  RAISE EXCEPTION 'bad %', code USING ERRCODE = code;\nEND $$",
    "SELECT boom('22012')",
    "SELECT boom('P0001')",
    "CREATE FUNCTION grade(n int) RETURNS text LANGUAGE plpgsql AS $$\n"
    "BEGIN\n  IF n >= 90 THEN RETURN 'A';\n  ELSIF n >= 80 THEN RETURN 'B';\n"
    "  ELSE RETURN 'C';\n  END IF;\nEND $$",
    "SELECT grade(95), grade(85), grade(10)",
    "DROP FUNCTION add1(text)",
    "DROP FUNCTION add1(text)",
    "DROP FUNCTION IF EXISTS add1(text)",
    "DROP FUNCTION add1",
    "SELECT add1('x'::text)",
    "CREATE FUNCTION c_fn(int) RETURNS int AS 'nosuchlib', 'f' LANGUAGE C",
    "CREATE FUNCTION twice(x int) RETURNS int LANGUAGE sql IMMUTABLE RETURN x * 2",
    "CREATE FUNCTION next_of(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT x + 1; END",
    "SELECT twice(21), next_of(1)",
    # Subscripts by a variable or a column are 1-based like literal ones.
    "CREATE FUNCTION joined(arr text[]) RETURNS text LANGUAGE plpgsql AS $$\n"
    "DECLARE out text := '';\nBEGIN\n  FOR i IN 1 .. array_length(arr, 1) LOOP\n"
    "    out := out || arr[i] || arr[i - 1 + 1];\n  END LOOP;\n  RETURN out || arr[1];\nEND $$",
    "SELECT joined(ARRAY['a', 'b', 'c'])",
    # $n names the n-th argument; EXECUTE's text sees only its USING values.
    "CREATE FUNCTION inv(int) RETURNS float8 LANGUAGE plpgsql AS $$\nBEGIN\n"
    "  RETURN 1::float8 / $1;\nEXCEPTION WHEN division_by_zero THEN RETURN 0;\nEND $$",
    "SELECT inv(4), inv(0)",
    "CREATE FUNCTION dyn(a int) RETURNS int LANGUAGE plpgsql AS $$\nDECLARE r int;\nBEGIN\n"
    "  EXECUTE 'SELECT $1 + 1' INTO r USING a * 10;\n  RETURN r;\nEND $$",
    "SELECT dyn(4)",
    # ALIAS FOR a parameter; a char(n) variable holds what is assigned (no modifier kept).
    "CREATE FUNCTION prefix(bpchar) RETURNS text LANGUAGE plpgsql AS $$\n"
    "DECLARE name ALIAS FOR $1; kind char(2);\nBEGIN\n  kind := substr(name, 1, 2);\n"
    "  RETURN kind || '/' || name;\nEND $$",
    "SELECT prefix('PS.base')",
    # A table's row type as a result; records with a column definition list.
    "CREATE TABLE ft (a int, b text)",
    "INSERT INTO ft VALUES (1, 'x'), (2, 'y z')",
    "CREATE FUNCTION allft() RETURNS SETOF ft LANGUAGE plpgsql AS $$\n"
    "DECLARE r record;\nBEGIN\n  FOR r IN SELECT * FROM ft ORDER BY a LOOP\n"
    "    RETURN NEXT r;\n  END LOOP;\nEND $$",
    "SELECT * FROM allft()",
    "SELECT allft()",
    "CREATE FUNCTION oneft() RETURNS ft LANGUAGE sql AS $$ SELECT * FROM ft ORDER BY a LIMIT 1 $$",
    "SELECT b FROM oneft()",
    "CREATE FUNCTION recs(n int) RETURNS SETOF record LANGUAGE plpgsql AS $$\n"
    "DECLARE r record;\nBEGIN\n  FOR i IN 1..n LOOP\n    SELECT i, i * 2, 'x' INTO r;\n"
    "    RETURN NEXT r;\n  END LOOP;\nEND $$",
    "SELECT * FROM recs(2) AS (a int, b int, c text)",
    "SELECT * FROM recs(2)",
    "SELECT * FROM allft() AS (a int, b text)",
    "SELECT (ARRAY[10, 20, 30])[g], (ARRAY[10, 20, 30])[g + 1] FROM generate_series(1, 3) g",
]

TRIGGERS = [
    "CREATE FUNCTION upper_b() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN\n  IF NEW.a < 0 THEN\n    RETURN NULL;\n  END IF;\n"
    "  NEW.b := upper(NEW.b);\n  RETURN NEW;\nEND $$",
    "CREATE TRIGGER t_upper BEFORE INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION upper_b()",
    "INSERT INTO t VALUES (1, 'one'), (-1, 'skipped'), (2, 'two') RETURNING *",
    "SELECT * FROM t ORDER BY a",
    "UPDATE t SET b = 'uno' WHERE a = 1",
    "CREATE FUNCTION log_it() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN\n  IF TG_OP = 'DELETE' THEN\n"
    "    INSERT INTO log VALUES (TG_OP || ':' || TG_ARGV[0], OLD.a, OLD.b);\n    RETURN OLD;\n"
    "  END IF;\n  INSERT INTO log VALUES (TG_OP || ':' || TG_ARGV[0], NEW.a, NEW.b);\n"
    "  RETURN NEW;\nEND $$",
    "CREATE TRIGGER t_log AFTER INSERT OR UPDATE OR DELETE ON t FOR EACH ROW"
    " WHEN (true) EXECUTE FUNCTION log_it('row')",
    "INSERT INTO t VALUES (3, 'three')",
    "UPDATE t SET b = b || '!' WHERE a >= 2",
    "DELETE FROM t WHERE a = 1",
    "SELECT * FROM log ORDER BY op, a",
    "SELECT * FROM t ORDER BY a",
    "ALTER TABLE t DISABLE TRIGGER t_upper",
    "INSERT INTO t VALUES (4, 'four')",
    "SELECT b FROM t WHERE a = 4",
    "SELECT tgname, tgenabled FROM pg_trigger ORDER BY tgname",
    "DROP TRIGGER t_log ON t",
    "DROP TRIGGER t_log ON t",
    "DROP TRIGGER IF EXISTS t_log ON t",
    "DROP FUNCTION upper_b()",
    "CREATE TRIGGER t_bad BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION fact(3)",
    "CREATE TRIGGER t_bad BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION nosuch()",
    "CREATE PROCEDURE put(x int, y text) LANGUAGE sql AS\n"
    "  $$ INSERT INTO log VALUES ('call', x, y) $$",
    "CALL put(7, 'seven')",
    "SELECT * FROM log WHERE op = 'call'",
    "SELECT put(1, 'x')",
    "CALL add1(1)",
    "DO $$ BEGIN INSERT INTO log VALUES ('do', 1, NULL); END $$",
    "SELECT count(*) FROM log WHERE op = 'do'",
    "SELECT proname, prokind, proretset FROM pg_proc WHERE proname IN ('evens', 'put', 'fact')"
    " ORDER BY 1",
    # Rows of NEW / OLD compared whole, in the function and in WHEN.
    "CREATE FUNCTION changed() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN\n  IF row(old.*) = row(new.*) THEN\n    INSERT INTO log VALUES ('same', new.a, NULL);\n"
    "  ELSE\n    INSERT INTO log VALUES ('changed', new.a, new.*::text);\n  END IF;\n"
    "  INSERT INTO log VALUES ('depth', pg_trigger_depth(), NULL);\n  RETURN new;\nEND $$",
    "CREATE TRIGGER t_changed BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION changed()",
    "CREATE TRIGGER t_distinct AFTER UPDATE ON t FOR EACH ROW"
    " WHEN (old.* IS DISTINCT FROM new.*) EXECUTE FUNCTION log_it('distinct')",
    "UPDATE t SET b = b WHERE a = 4",
    "UPDATE t SET b = NULL WHERE a = 4",
    "SELECT * FROM log WHERE op IN ('same', 'changed', 'depth', 'UPDATE:distinct') ORDER BY 1, 2",
    "SELECT pg_trigger_depth()",
    "ALTER TRIGGER t_changed ON t RENAME TO t_changed2",
    "DROP TRIGGER t_changed ON t",
    "CREATE TRIGGER t_twice BEFORE UPDATE OF a, a ON t FOR EACH ROW EXECUTE FUNCTION changed()",
    "CREATE TRIGGER t_stmt AFTER DELETE ON t FOR EACH STATEMENT WHEN (true)"
    " EXECUTE FUNCTION log_it('stmt')",
    "CREATE TRIGGER t_stmt2 AFTER DELETE ON t FOR EACH STATEMENT WHEN (old.a > 1)"
    " EXECUTE FUNCTION log_it('stmt')",
    # TRUNCATE fires its statement triggers, before and after the rows go.
    "CREATE FUNCTION count_rows() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "DECLARE c bigint;\nBEGIN\n"
    "  EXECUTE 'SELECT count(*) FROM ' || quote_ident(TG_TABLE_NAME) INTO c;\n"
    "  INSERT INTO log VALUES (TG_OP || ':' || TG_WHEN || ':' || TG_LEVEL, c, TG_ARGV[0]);\n"
    "  RETURN NULL;\nEND $$",
    "CREATE TRIGGER t_trunc_b BEFORE TRUNCATE ON t EXECUTE FUNCTION count_rows('b')",
    "CREATE TRIGGER t_trunc_a AFTER TRUNCATE ON t FOR EACH STATEMENT EXECUTE FUNCTION count_rows()",
    "TRUNCATE t",
    "SELECT * FROM log WHERE op LIKE 'TRUNCATE%' ORDER BY 1",
    # A view changed through its INSTEAD OF triggers.
    "CREATE VIEW tv AS SELECT a, b FROM t",
    "CREATE FUNCTION tv_write() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
    "  IF TG_OP = 'INSERT' THEN\n    INSERT INTO t VALUES (NEW.a, NEW.b);\n    RETURN NEW;\n"
    "  ELSIF TG_OP = 'UPDATE' THEN\n    UPDATE t SET b = NEW.b WHERE a = OLD.a;\n"
    "    IF NOT FOUND THEN RETURN NULL; END IF;\n    RETURN NEW;\n  END IF;\n"
    "  DELETE FROM t WHERE a = OLD.a;\n  RETURN OLD;\nEND $$",
    "CREATE TRIGGER tv_ins INSTEAD OF INSERT OR UPDATE OR DELETE ON tv"
    " FOR EACH ROW EXECUTE FUNCTION tv_write()",
    "INSERT INTO tv VALUES (9, 'nine'), (10, 'ten') RETURNING *",
    "UPDATE tv SET b = b || '?' WHERE a > 8 RETURNING a, b",
    "DELETE FROM tv WHERE a = 9",
    "SELECT * FROM t ORDER BY a",
    "CREATE TRIGGER tv_bad BEFORE INSERT ON tv FOR EACH ROW EXECUTE FUNCTION tv_write()",
    "CREATE TRIGGER t_bad INSTEAD OF INSERT ON t FOR EACH ROW EXECUTE FUNCTION tv_write()",
    "CREATE TRIGGER tv_trunc BEFORE TRUNCATE ON tv EXECUTE FUNCTION tv_write()",
    # WHEN may read tableoid after the row is written, not before.
    "CREATE TRIGGER t_oid AFTER UPDATE ON t FOR EACH ROW"
    " WHEN (new.tableoid = old.tableoid AND new.tableoid <> 0) EXECUTE FUNCTION log_it('oid')",
    "UPDATE t SET b = 'oid' WHERE a = 10",
    "SELECT op, a, b FROM log WHERE op = 'UPDATE:oid'",
    "CREATE TRIGGER t_oid2 BEFORE UPDATE ON t FOR EACH ROW WHEN (new.tableoid <> 0)"
    " EXECUTE FUNCTION log_it('oid')",
]


# psql 15's \\df (psql -E).
PSQL_DF = """SELECT n.nspname as "Schema",
  p.proname as "Name",
  pg_catalog.pg_get_function_result(p.oid) as "Result data type",
  pg_catalog.pg_get_function_arguments(p.oid) as "Argument data types",
 CASE p.prokind
  WHEN 'a' THEN 'agg'
  WHEN 'w' THEN 'window'
  WHEN 'p' THEN 'proc'
  ELSE 'func'
 END as "Type"
FROM pg_catalog.pg_proc p
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE pg_catalog.pg_function_is_visible(p.oid)
      AND n.nspname <> 'pg_catalog'
      AND n.nspname <> 'information_schema'
ORDER BY 1, 2, 4;"""


def test_psql_df_lists_user_functions(differ: Differ) -> None:
    for stmt in [
        "CREATE FUNCTION f1(a int, b text) RETURNS SETOF text LANGUAGE sql AS $$ SELECT b $$",
        "CREATE FUNCTION f2(x numeric, OUT y int, OUT z text) LANGUAGE sql AS $$ SELECT 1, 'a' $$",
        "CREATE FUNCTION f3(n int) RETURNS TABLE(i int, s varchar) LANGUAGE sql"
        " AS $$ SELECT 1, 'x'::varchar $$",
        "CREATE FUNCTION f4() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
        "CREATE PROCEDURE p1(a int, b int) LANGUAGE sql AS $$ SELECT 1 $$",
        PSQL_DF,
    ]:
        differ.check(stmt)


def test_triggers_described_as_postgresql_describes_them(differ: Differ) -> None:
    for stmt in [
        "CREATE TABLE m (a int, b int)",
        "CREATE FUNCTION tf() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
        "CREATE TRIGGER mod_a BEFORE UPDATE OF a ON m FOR EACH ROW WHEN (old.a <> new.a)"
        " EXECUTE PROCEDURE tf('mod_a')",
        "CREATE TRIGGER any_row AFTER INSERT OR UPDATE OR DELETE ON m FOR EACH ROW"
        " EXECUTE FUNCTION tf('it''s', 'two')",
        "CREATE TRIGGER stmt_when AFTER DELETE ON m FOR EACH STATEMENT WHEN (true)"
        " EXECUTE FUNCTION tf()",
        "CREATE TRIGGER b_row AFTER INSERT ON m FOR EACH ROW EXECUTE FUNCTION tf()",
        "SELECT pg_get_triggerdef(oid, true), pg_get_triggerdef(oid, false), pg_get_triggerdef(oid)"
        " FROM pg_trigger ORDER BY tgname",
        "SELECT trigger_name, event_manipulation, event_object_schema, event_object_table,"
        " action_order, action_condition, action_statement, action_orientation, action_timing,"
        " action_reference_old_table, action_reference_new_table"
        " FROM information_schema.triggers ORDER BY trigger_name, 2",
    ]:
        differ.check(stmt)


def test_functions_as_postgresql_runs_them(differ: Differ) -> None:
    differ.check(SETUP)
    for stmt in FUNCTIONS:
        differ.check(stmt)


def test_triggers_and_procedures_as_postgresql_runs_them(differ: Differ) -> None:
    differ.check(SETUP)
    differ.check(FUNCTIONS[10])  # fact, for the trigger that names a non-trigger function
    for stmt in TRIGGERS:
        differ.check(stmt)


def test_raise_notice_reaches_the_client_as_postgresql_words_it(differ: Differ) -> None:
    body = (
        "DO $$ DECLARE r record; BEGIN\n"
        "  RAISE NOTICE 'n=% s=% null=% pct=%%', 42, 'x', NULL;\n"
        "  SELECT 1 AS a, 'two words' AS b INTO r;\n"
        "  RAISE NOTICE 'row %', r;\n"
        "  RAISE WARNING 'careful';\n"
        "END $$"
    )
    seen: list[str] = []

    def keep(diag: Any) -> None:
        seen.append(diag.message_primary)

    differ.pg.add_notice_handler(keep)
    differ.check(body)
    ours = differ.session.notices
    assert ours == seen, (ours, seen)


def test_alter_owner_and_drop_find_routines_alike(differ: Differ) -> None:
    """ALTER ... OWNER TO and DROP name a routine the same way (one lookup): by its input
    types (a procedure also by all of them), an aggregate through FUNCTION but not DROP
    FUNCTION, a procedure not through FUNCTION, a bare overloaded name refused."""
    for stmt in [
        "CREATE FUNCTION f(a int, OUT b int) LANGUAGE sql AS 'SELECT a'",
        "ALTER FUNCTION f(int, OUT int) OWNER TO postgres",
        "ALTER FUNCTION f(a int) OWNER TO postgres",
        "ALTER FUNCTION f(int, int) OWNER TO postgres",
        "CREATE FUNCTION g(int) RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "CREATE FUNCTION g(text) RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "ALTER FUNCTION g OWNER TO postgres",
        "DROP FUNCTION g",
        "ALTER FUNCTION nosuch(int) OWNER TO postgres",
        "DROP FUNCTION IF EXISTS nosuch(int)",
        "CREATE AGGREGATE ag(int) (sfunc = int4pl, stype = int)",
        "ALTER FUNCTION ag(int) OWNER TO postgres",
        "ALTER AGGREGATE g(int) OWNER TO postgres",
        "DROP FUNCTION ag(int)",
        "CREATE PROCEDURE p(a int, OUT b int) LANGUAGE sql AS 'SELECT 1'",
        "ALTER PROCEDURE p(int, OUT int) OWNER TO postgres",
        "ALTER ROUTINE p(int, int) OWNER TO postgres",
        "ALTER FUNCTION p(int) OWNER TO postgres",
        "ALTER PROCEDURE g(int) OWNER TO postgres",
        "DROP PROCEDURE p(int, OUT int)",
        "SELECT proname, prokind FROM pg_proc WHERE proname IN ('f', 'g', 'ag', 'p') ORDER BY 1, 2",
    ]:
        differ.check(stmt)
