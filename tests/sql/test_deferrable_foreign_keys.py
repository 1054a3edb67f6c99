"""DEFERRABLE foreign keys against a live PostgreSQL (Django declares every FK DEFERRABLE
INITIALLY DEFERRED): a deferred FK's check waits for COMMIT or SET CONSTRAINTS ... IMMEDIATE,
so a child may come before its parent and a parent may go while a child is deleted later in
the transaction; INITIALLY IMMEDIATE checks at the statement's end; CASCADE acts at once;
pg_constraint and pg_get_constraintdef show the mode."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "CREATE TABLE fk_parent (id int PRIMARY KEY)",
    "CREATE TABLE fk_child (id int PRIMARY KEY,"
    " p int REFERENCES fk_parent (id) DEFERRABLE INITIALLY DEFERRED)",
    "CREATE TABLE fk_imm (id int PRIMARY KEY, p int)",
    "ALTER TABLE fk_imm ADD CONSTRAINT fk_imm_p FOREIGN KEY (p) REFERENCES fk_parent (id)"
    " DEFERRABLE INITIALLY IMMEDIATE",
    "SELECT conname, condeferrable, condeferred, pg_get_constraintdef(oid) FROM pg_constraint"
    " WHERE contype = 'f' ORDER BY conname",
    "INSERT INTO fk_child VALUES (1, 10)",
    "BEGIN",
    "INSERT INTO fk_child VALUES (1, 10)",
    "INSERT INTO fk_parent VALUES (10)",
    "COMMIT",
    "SELECT * FROM fk_child",
    "BEGIN",
    "INSERT INTO fk_child VALUES (2, 20)",
    "COMMIT",
    "BEGIN",
    "INSERT INTO fk_child VALUES (2, 20)",
    "SET CONSTRAINTS ALL IMMEDIATE",
    "ROLLBACK",
    "BEGIN",
    "DELETE FROM fk_parent WHERE id = 10",
    "DELETE FROM fk_child WHERE id = 1",
    "COMMIT",
    "SELECT count(*) FROM fk_parent",
    "INSERT INTO fk_parent VALUES (30)",
    "BEGIN",
    "INSERT INTO fk_child VALUES (3, 30)",
    "DELETE FROM fk_parent WHERE id = 30",
    "COMMIT",
    "BEGIN",
    "INSERT INTO fk_imm VALUES (1, 40)",
    "ROLLBACK",
    "BEGIN",
    "SET CONSTRAINTS fk_imm_p DEFERRED",
    "INSERT INTO fk_imm VALUES (1, 40)",
    "INSERT INTO fk_parent VALUES (40)",
    "COMMIT",
    "SELECT * FROM fk_imm",
    "BEGIN",
    "INSERT INTO fk_child VALUES (4, 50)",
    "UPDATE fk_child SET p = NULL WHERE id = 4",
    "COMMIT",
    "SELECT * FROM fk_child ORDER BY id",
]


def test_deferrable_foreign_keys_match_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)


def test_set_constraints_folds_names_as_identifiers(differ: Differ) -> None:
    """SET CONSTRAINTS "CamelCase" IMMEDIATE keeps a quoted name's case (Django quotes the
    constraint it drops); unquoted names fold to lower case; a schema before a name."""
    for stmt in [
        'CREATE TABLE author (id int PRIMARY KEY, "CamelCase" int)',
        'ALTER TABLE "author" ADD CONSTRAINT "CamelCaseFKConstraint" FOREIGN KEY ("CamelCase")'
        ' REFERENCES "author" ("id") DEFERRABLE INITIALLY DEFERRED',
        "BEGIN",
        'SET CONSTRAINTS "CamelCaseFKConstraint" IMMEDIATE',
        "SET CONSTRAINTS CamelCaseFKConstraint IMMEDIATE",
        "ROLLBACK",
        "BEGIN",
        "SET CONSTRAINTS ALL DEFERRED",
        'SET CONSTRAINTS "CamelCaseFKConstraint", "CamelCaseFKConstraint" DEFERRED',
        'SET CONSTRAINTS public."CamelCaseFKConstraint" IMMEDIATE',
        'ALTER TABLE "author" DROP CONSTRAINT "CamelCaseFKConstraint"',
        "COMMIT",
    ]:
        differ.check(stmt)
