"""CHECK and FOREIGN KEY constraints added NOT VALID (Django's AddConstraintNotValid and
ValidateConstraint operations) against a live PostgreSQL: the rows already there are not
checked, new rows are; pg_constraint.convalidated and pg_get_constraintdef show it until
ALTER TABLE ... VALIDATE CONSTRAINT checks every row (23514 while one violates it)."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "CREATE TABLE parent (id int PRIMARY KEY)",
    "CREATE TABLE p (id int PRIMARY KEY, pink int, ref int)",
    "INSERT INTO parent VALUES (1)",
    "INSERT INTO p VALUES (1, 2, 1), (2, 5, 9)",
    "ALTER TABLE p ADD CONSTRAINT pink_gte CHECK (pink >= 4)",
    "ALTER TABLE p ADD CONSTRAINT pink_gte CHECK (pink >= 4) NOT VALID",
    "ALTER TABLE p ADD CONSTRAINT p_ref FOREIGN KEY (ref) REFERENCES parent (id) NOT VALID",
    "SELECT conname, convalidated, pg_get_constraintdef(oid) FROM pg_constraint"
    " WHERE conrelid = 'p'::regclass ORDER BY 1",
    "INSERT INTO p VALUES (3, 3, 1)",
    "INSERT INTO p VALUES (3, 7, 1)",
    "ALTER TABLE p VALIDATE CONSTRAINT pink_gte",
    "ALTER TABLE p VALIDATE CONSTRAINT nosuch",
    "ALTER TABLE p VALIDATE CONSTRAINT p_pkey",
    "DELETE FROM p WHERE pink < 4",
    "ALTER TABLE p VALIDATE CONSTRAINT pink_gte",
    "ALTER TABLE p VALIDATE CONSTRAINT pink_gte",
    "SELECT conname, convalidated, pg_get_constraintdef(oid) FROM pg_constraint"
    " WHERE conrelid = 'p'::regclass ORDER BY 1",
]


def test_not_valid_constraints_match_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
