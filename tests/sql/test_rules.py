"""Rules against a live PostgreSQL: CREATE [OR REPLACE] RULE / DROP RULE, INSERT, UPDATE and
DELETE rewritten into INSTEAD and ALSO actions with NEW / OLD, rule conditions, RETURNING
through a rule, and the 0A000 errors for rules on data-modifying statements in WITH."""

from __future__ import annotations

from tests.sql.differential import Differ

SETUP = """
CREATE TABLE foo (f1 serial, f2 text, f3 int default 42);
INSERT INTO foo (f2, f3) VALUES ('test', DEFAULT), ('More', 11);
CREATE VIEW voo AS SELECT f1, f2 FROM foo;
CREATE TABLE log (what text, a int, b text)
"""

SCRIPT = [
    "CREATE RULE voo_i AS ON INSERT TO voo DO INSTEAD INSERT INTO foo VALUES (new.*, 57)",
    "CREATE RULE voo_i AS ON INSERT TO voo DO INSTEAD NOTHING",
    "INSERT INTO voo VALUES (11, 'zit')",
    "INSERT INTO voo VALUES (12, 'zoo') RETURNING *, f1 * 2",
    "CREATE OR REPLACE RULE voo_i AS ON INSERT TO voo DO INSTEAD "
    "INSERT INTO foo VALUES (new.*, 57) RETURNING *",
    "CREATE OR REPLACE RULE voo_i AS ON INSERT TO voo DO INSTEAD "
    "INSERT INTO foo VALUES (new.*, 57) RETURNING f1, f2",
    "INSERT INTO voo VALUES (14, 'zoo2') RETURNING *",
    "PREPARE p (int, text) AS INSERT INTO voo VALUES ($1, $2) RETURNING *",
    "EXECUTE p (40, 'prep')",
    "INSERT INTO voo VALUES (41, 'c') ON CONFLICT DO NOTHING",
    "INSERT INTO voo SELECT f1 + 100, f2 FROM foo WHERE f1 < 3",
    "SELECT * FROM foo ORDER BY f1",
    "CREATE RULE voo_u AS ON UPDATE TO voo DO INSTEAD "
    "UPDATE foo SET f1 = new.f1, f2 = new.f2 WHERE f1 = old.f1 RETURNING f1, f2",
    "UPDATE voo SET f1 = f1 + 1 WHERE f2 = 'zoo2'",
    "UPDATE voo SET f1 = f1 + 1 WHERE f2 = 'zoo2' RETURNING *, f1 * 2",
    "CREATE RULE voo_d AS ON DELETE TO voo DO INSTEAD DELETE FROM foo WHERE f1 = old.f1",
    "DELETE FROM voo WHERE f2 = 'zit'",
    "DELETE FROM voo WHERE f1 > 100 RETURNING *",
    "SELECT * FROM foo ORDER BY f1",
    "CREATE RULE foo_log AS ON UPDATE TO foo WHERE old.f3 <> new.f3 DO ALSO "
    "INSERT INTO log VALUES ('upd', old.f3, new.f2)",
    "UPDATE foo SET f3 = f3 + 1 WHERE f1 < 3",
    "UPDATE foo SET f2 = 'same' WHERE f1 = 1",
    "SELECT * FROM log ORDER BY a",
    "SELECT * FROM foo ORDER BY f1",
    "CREATE RULE foo_skip AS ON DELETE TO foo WHERE old.f3 = 57 DO INSTEAD "
    "INSERT INTO log VALUES ('kept', old.f1, old.f2)",
    "DELETE FROM foo",
    "SELECT * FROM foo ORDER BY f1",
    "SELECT * FROM log ORDER BY what, a",
    "WITH t AS (DELETE FROM foo RETURNING *) SELECT * FROM t",
    "WITH t AS (INSERT INTO voo VALUES (7, 'w') RETURNING *) SELECT * FROM t",
    "DROP RULE foo_skip ON foo",
    "DROP RULE foo_skip ON foo",
    "DROP RULE IF EXISTS foo_skip ON foo",
    "DROP RULE nope ON missing",
    "CREATE RULE r AS ON INSERT TO missing DO INSTEAD NOTHING",
    "INSERT INTO log SELECT 'short', 1",
    "ALTER TABLE foo ADD COLUMN f4 int8 DEFAULT 99",
    "CREATE OR REPLACE RULE voo_i AS ON INSERT TO voo DO INSTEAD "
    "INSERT INTO foo VALUES (new.*, 57) RETURNING f1, f2",
    "INSERT INTO voo VALUES (30, 'wide') RETURNING *",
    "SELECT * FROM foo ORDER BY f1",
    "SELECT * FROM log ORDER BY what, a",
    "CREATE TABLE q3 AS SELECT a FROM generate_series(11, 13) AS a",
    "CREATE RULE q3_ins AS ON INSERT TO q3 DO INSTEAD SELECT what, new.a AS n FROM log",
    "WITH t1 AS (DELETE FROM q3 WHERE a = 13 RETURNING *) INSERT INTO q3 SELECT * FROM t1",
    "SELECT * FROM q3 ORDER BY a",
    "CREATE RULE bad AS ON UPDATE TO q3 DO INSTEAD "
    "WITH t AS (SELECT old.*) UPDATE log SET a = t.a FROM t",
    "CREATE TABLE y (a int)",
    "INSERT INTO y SELECT generate_series(1, 5)",
    "CREATE RULE y_rule AS ON DELETE TO y DO INSTEAD INSERT INTO y VALUES (42) RETURNING *",
    "WITH t AS (DELETE FROM y RETURNING *) SELECT * FROM t",
    "DELETE FROM y WHERE a < 3 RETURNING *",
    "SELECT * FROM y ORDER BY a",
    "WITH c (foo) AS (VALUES (42)) VALUES ((SELECT foo FROM c)), (2)",
    "CREATE RULE y_ins AS ON INSERT TO y WHERE a = 0 DO INSTEAD DELETE FROM y",
    "WITH t AS (INSERT INTO y VALUES (0)) VALUES (false)",
    "CREATE OR REPLACE RULE y_ins AS ON INSERT TO y DO INSTEAD NOTHING",
    "WITH t AS (INSERT INTO y VALUES (0)) VALUES (false)",
    "CREATE OR REPLACE RULE y_ins AS ON INSERT TO y DO ALSO NOTIFY foo",
    "WITH t AS (INSERT INTO y VALUES (0)) VALUES (false)",
    "CREATE OR REPLACE RULE y_ins AS ON INSERT TO y DO INSTEAD (NOTIFY foo; NOTIFY bar)",
    "WITH t AS (INSERT INTO y VALUES (0)) VALUES (false)",
    "DROP RULE y_ins ON y",
    "WITH t AS (INSERT INTO y VALUES (0)) VALUES (false)",
    "CREATE RULE r AS ON UPDATE TO log DO ALSO UPDATE log SET a = 1 RETURNING *",
]


def test_rule_script(differ: Differ) -> None:
    differ.check(SETUP)
    for stmt in SCRIPT:
        differ.check(stmt)
