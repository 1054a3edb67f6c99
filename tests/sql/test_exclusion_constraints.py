"""EXCLUDE constraints against a live PostgreSQL: conflicts by the constraint's operators
(23P01), the WHERE predicate, NULL keys, DEFERRABLE checks at the statement's end or at
commit, ALTER TABLE ADD EXCLUDE over existing rows, ON CONFLICT with an exclusion arbiter."""

from __future__ import annotations

from tests.sql.differential import Differ


def test_gist_exclusion_with_expression_keys_and_predicate(differ: Differ) -> None:
    for stmt in [
        """CREATE TABLE circles (c1 circle, c2 text,
             EXCLUDE USING gist (c1 WITH &&, (c2::circle) WITH &&)
             WHERE (circle_center(c1) <> '(0,0)'))""",
        "INSERT INTO circles VALUES ('<(0,0), 5>', '<(0,0), 5>')",
        "INSERT INTO circles VALUES ('<(0,0), 5>', '<(0,0), 4>')",  # outside the predicate
        "INSERT INTO circles VALUES ('<(10,10), 10>', '<(0,0), 5>')",
        "INSERT INTO circles VALUES ('<(20,20), 10>', '<(0,0), 4>')",  # 23P01
        """INSERT INTO circles VALUES ('<(20,20), 10>', '<(0,0), 4>')
             ON CONFLICT ON CONSTRAINT circles_c1_c2_excl DO NOTHING""",
        """INSERT INTO circles VALUES ('<(20,20), 10>', '<(0,0), 4>')
             ON CONFLICT ON CONSTRAINT circles_c1_c2_excl DO UPDATE SET c2 = 'x'""",  # 0A000
        "INSERT INTO circles VALUES ('<(20,20), 10>', '<(0,0), 4>') ON CONFLICT DO NOTHING",
        "INSERT INTO circles VALUES ('<(20,20), 1>', '<(0,0), 5>')",
        "INSERT INTO circles VALUES ('<(20,20), 10>', '<(10,10), 5>')",
        "INSERT INTO circles VALUES (NULL, '<(0,0), 5>')",
        "UPDATE circles SET c2 = '<(10,10), 6>' WHERE c1 ~= '<(20,20), 1>'",  # 23P01
        "ALTER TABLE circles ADD EXCLUDE USING gist (c1 WITH &&, (c2::circle) WITH &&)",
        "SELECT conname, contype FROM pg_constraint WHERE conrelid = 'circles'::regclass",
        "SELECT indexname FROM pg_indexes WHERE tablename = 'circles'",
        "REINDEX INDEX circles_c1_c2_excl",
        "SELECT * FROM circles ORDER BY c2, c1::text",
    ]:
        differ.check(stmt)


def test_deferred_exclusion_checks_at_commit(differ: Differ) -> None:
    for stmt in [
        """CREATE TABLE deferred_excl (f1 int, f2 int,
             CONSTRAINT deferred_excl_con EXCLUDE (f1 WITH =) INITIALLY DEFERRED)""",
        "INSERT INTO deferred_excl VALUES (1)",
        "INSERT INTO deferred_excl VALUES (2)",
        "INSERT INTO deferred_excl VALUES (1)",  # 23P01 at its implicit commit
        "INSERT INTO deferred_excl VALUES (1) ON CONFLICT ON CONSTRAINT deferred_excl_con"
        " DO NOTHING",  # 55000
        "BEGIN",
        "INSERT INTO deferred_excl VALUES (2)",
        "COMMIT",  # 23P01
        "BEGIN",
        "INSERT INTO deferred_excl VALUES (2, 1)",
        "DELETE FROM deferred_excl WHERE f1 = 2 AND f2 IS NULL",
        "UPDATE deferred_excl SET f2 = 2 WHERE f1 = 2",
        "COMMIT",
        "SELECT * FROM deferred_excl ORDER BY f1",
        "ALTER TABLE deferred_excl DROP CONSTRAINT deferred_excl_con",
        "UPDATE deferred_excl SET f1 = 3",
        "ALTER TABLE deferred_excl ADD EXCLUDE (f1 WITH =)",  # 23P01
        "UPDATE deferred_excl SET f1 = f2",
        "ALTER TABLE deferred_excl ADD EXCLUDE (f1 WITH =)",
        "INSERT INTO deferred_excl VALUES (2)",  # 23P01
        "INSERT INTO deferred_excl VALUES (NULL), (NULL)",
        "SELECT conname, contype FROM pg_constraint WHERE conrelid = 'deferred_excl'::regclass",
        "SELECT * FROM deferred_excl ORDER BY f1",
    ]:
        differ.check(stmt)
