"""ALTER TABLE forms real schemas and migrations use, checked against a live PostgreSQL:
ALTER COLUMN ... TYPE (rows rewritten through the cast, nothing changed on a bad value),
DROP CONSTRAINT [IF EXISTS], RENAME CONSTRAINT, OWNER TO, ALTER SEQUENCE ... OWNED BY."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sql.differential import Differ

SETUP = """CREATE TABLE t (a int PRIMARY KEY, x text, y varchar(10), n numeric(6,2));
INSERT INTO t VALUES (1, '10', 'ab', 1.25), (2, '-3', 'Cd', 2.5), (3, NULL, NULL, NULL);
CREATE INDEX t_y ON t (y);
CREATE UNIQUE INDEX t_x ON t (x)"""

ALTER_TYPE = [
    "ALTER TABLE t ALTER COLUMN y TYPE text",
    "ALTER TABLE t ALTER COLUMN a SET DATA TYPE bigint",
    "ALTER TABLE t ALTER x TYPE int USING x::int",
    "ALTER TABLE t ALTER COLUMN x TYPE int",  # no assignment cast from text: 42804
    "ALTER TABLE t ALTER COLUMN y TYPE int USING y::int",  # 'ab': 22P02
    "ALTER TABLE t ALTER COLUMN n TYPE int",  # rounds
    "ALTER TABLE t ALTER COLUMN n TYPE numeric(3,2)",  # 2.5 fits, 22003 only if too wide
    "ALTER TABLE t ALTER COLUMN n TYPE numeric(2,1)",  # 22003
    "ALTER TABLE t ALTER COLUMN y TYPE varchar(1)",  # 22001
    "ALTER TABLE t ALTER COLUMN y TYPE varchar(20) USING upper(y)",
    "ALTER TABLE t ALTER COLUMN a TYPE text USING 'k' || a",
    "ALTER TABLE t ALTER COLUMN a TYPE int USING a % 2",  # primary key duplicates: 23505
    "ALTER TABLE t ALTER COLUMN x TYPE int USING length(x)",  # unique index duplicates
    "ALTER TABLE t ALTER COLUMN nope TYPE int",
]


@pytest.mark.parametrize("alter", ALTER_TYPE)
def test_alter_column_type(differ: Differ, alter: str) -> None:
    differ.check(SETUP)
    differ.check(alter)
    differ.check("SELECT * FROM t ORDER BY a")
    differ.check(
        "SELECT column_name, data_type, character_maximum_length, numeric_precision "
        "FROM information_schema.columns WHERE table_name = 't' ORDER BY ordinal_position"
    )
    # Indexes still find the rewritten rows, and still enforce uniqueness.
    differ.check("SELECT a FROM t WHERE y = 'AB' OR y = 'ab' ORDER BY a")
    differ.check("INSERT INTO t (a, x) VALUES (10, '10')")
    differ.check("INSERT INTO t (a, x) VALUES (1, '77')")
    differ.check("SELECT * FROM t ORDER BY a")


def test_alter_type_keeps_checks_and_then_inserts_cast(differ: Differ) -> None:
    differ.check("CREATE TABLE c (id serial PRIMARY KEY, v int CHECK (v > 0) DEFAULT 5)")
    differ.check("INSERT INTO c (v) VALUES (1), (2)")
    differ.check("ALTER TABLE c ALTER COLUMN v TYPE bigint")
    differ.check("INSERT INTO c (v) VALUES (-1)")
    differ.check("INSERT INTO c DEFAULT VALUES")
    differ.check("ALTER TABLE c ALTER COLUMN v TYPE int USING v - 1")  # CHECK fails: 23514
    differ.check("SELECT * FROM c ORDER BY id")
    differ.check("BEGIN")
    differ.check("ALTER TABLE c ALTER COLUMN v TYPE text")
    differ.check("SELECT v || 'x' FROM c ORDER BY id")
    differ.check("ROLLBACK")
    differ.check("SELECT v + 1 FROM c ORDER BY id")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(st.one_of(st.none(), st.integers(-40000, 40000)), max_size=6),
    target=st.sampled_from(["smallint", "bigint", "numeric(5,1)", "text", "real", "varchar(3)"]),
)
def test_alter_int_column_to_generated_types(differ: Differ, values: list[int | None],
                                             target: str) -> None:  # fmt: skip
    differ.reset()
    differ.check("CREATE TABLE g (id int PRIMARY KEY, v int)")
    for i, v in enumerate(values):
        differ.check(f"INSERT INTO g VALUES ({i}, {'NULL' if v is None else v})")
    differ.check(f"ALTER TABLE g ALTER COLUMN v TYPE {target}")
    differ.check("SELECT * FROM g ORDER BY id")


CONSTRAINTS = """CREATE TABLE p (id int PRIMARY KEY, u int CONSTRAINT p_u UNIQUE, c int,
  CONSTRAINT c_pos CHECK (c > 0));
CREATE TABLE ch (id int PRIMARY KEY, pid int CONSTRAINT ch_fk REFERENCES p (id));
INSERT INTO p VALUES (1, 1, 1)"""


@pytest.mark.parametrize(
    "steps",
    [
        ["ALTER TABLE p DROP CONSTRAINT c_pos", "INSERT INTO p VALUES (2, 2, -1)"],
        ["ALTER TABLE p DROP CONSTRAINT IF EXISTS nope", "INSERT INTO p VALUES (2, 2, -1)"],
        ["ALTER TABLE p DROP CONSTRAINT nope"],
        ["ALTER TABLE p DROP CONSTRAINT p_u", "INSERT INTO p VALUES (2, 1, 1)"],
        ["ALTER TABLE p DROP CONSTRAINT p_u, DROP CONSTRAINT nope",
         "INSERT INTO p VALUES (2, 1, 1)"],
        ["ALTER TABLE ch DROP CONSTRAINT ch_fk", "INSERT INTO ch VALUES (1, 99)"],
        ["ALTER TABLE p DROP CONSTRAINT p_pkey"],  # ch_fk depends on it: 2BP01
        ["ALTER TABLE p DROP CONSTRAINT p_pkey CASCADE", "INSERT INTO p VALUES (1, 2, 2)",
         "INSERT INTO p VALUES (NULL, 3, 3)", "INSERT INTO ch VALUES (5, 77)",
         "SELECT * FROM p WHERE u = 2", "SELECT * FROM p ORDER BY id, u"],
        ["ALTER TABLE ch DROP CONSTRAINT ch_pkey", "INSERT INTO ch VALUES (1, 1), (1, 1)",
         "SELECT * FROM ch"],
        ["ALTER TABLE p RENAME CONSTRAINT c_pos TO c_positive",
         "INSERT INTO p VALUES (2, 2, -1)",
         "SELECT conname FROM pg_constraint WHERE conname IN ('c_pos', 'c_positive') ORDER BY 1"],
        ["ALTER TABLE p RENAME CONSTRAINT p_u TO p_u2",
         "SELECT indexname FROM pg_indexes WHERE tablename = 'p' ORDER BY 1",
         "INSERT INTO p VALUES (2, 1, 1)"],
        ["ALTER TABLE p RENAME CONSTRAINT nope TO x"],
        ["ALTER TABLE p RENAME CONSTRAINT c_pos TO p_u"],
        ["ALTER TABLE p OWNER TO postgres"],
        ["ALTER TABLE p OWNER TO nobody_here"],
        ["ALTER TABLE IF EXISTS nope OWNER TO postgres"],
        ["CREATE SEQUENCE s", "ALTER SEQUENCE s OWNED BY p.c", "DROP TABLE ch",
         "DROP TABLE p", "SELECT nextval('s')"],
        ["CREATE SEQUENCE s", "ALTER SEQUENCE s OWNED BY p.nope"],
        ["CREATE SEQUENCE s", "ALTER SEQUENCE s OWNED BY NONE", "SELECT nextval('s')"],
        ["CREATE SEQUENCE s", "ALTER SEQUENCE s OWNER TO postgres"],
    ],
)  # fmt: skip
def test_constraint_and_owner_forms(differ: Differ, steps: list[str]) -> None:
    differ.check(CONSTRAINTS)
    for step in steps:
        differ.check(step)
    differ.check(
        "SELECT conname, contype FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid "
        "WHERE r.relname IN ('p', 'ch') ORDER BY 1"
    )


@pytest.mark.parametrize(
    "alter",
    [
        "ALTER TABLE d ALTER COLUMN a DROP NOT NULL",  # primary key: 42P16
        "ALTER TABLE d ALTER COLUMN x SET NOT NULL",  # a NULL: 23502
        "ALTER TABLE d ALTER COLUMN n SET DEFAULT 'abc'",  # 22P02 now
        "ALTER TABLE d ALTER COLUMN n SET DEFAULT 1.5",
        "ALTER TABLE d ALTER COLUMN n SET DEFAULT (SELECT 1)",  # 0A000
        "ALTER TABLE d ALTER COLUMN n SET DEFAULT n + 1",  # 0A000
        "ALTER TABLE d ALTER COLUMN nope SET DEFAULT 1",
        "ALTER TABLE d ALTER COLUMN nope DROP NOT NULL",
        "ALTER TABLE d ALTER COLUMN n SET DEFAULT 7, ALTER COLUMN x SET DEFAULT 'q'",
        "ALTER TABLE d ALTER COLUMN n DROP DEFAULT",
    ],
)
def test_default_and_not_null_checks(differ: Differ, alter: str) -> None:
    differ.check("CREATE TABLE d (a int PRIMARY KEY, x text, n int DEFAULT 3)")
    differ.check("INSERT INTO d VALUES (1, NULL, NULL)")
    differ.check(alter)
    differ.check("INSERT INTO d (a) VALUES (2)")
    differ.check("SELECT * FROM d ORDER BY a")


@pytest.mark.parametrize(
    "alter",
    [
        "ALTER TABLE fp ALTER COLUMN id TYPE bigint",
        "ALTER TABLE fc ALTER COLUMN pid TYPE bigint",
        "ALTER TABLE fc ALTER COLUMN pid TYPE text",  # 42804
        "ALTER TABLE fp ALTER COLUMN id TYPE text USING id::text",  # 42804
    ],
)
def test_alter_type_of_foreign_key_columns(differ: Differ, alter: str) -> None:
    differ.check("CREATE TABLE fp (id int PRIMARY KEY)")
    differ.check("CREATE TABLE fc (id int PRIMARY KEY, pid int REFERENCES fp)")
    differ.check("INSERT INTO fp VALUES (1), (2); INSERT INTO fc VALUES (1, 1)")
    differ.check(alter)
    differ.check("INSERT INTO fc VALUES (2, 2)")
    differ.check("INSERT INTO fc VALUES (3, 3)")
    differ.check("DELETE FROM fp WHERE id = 1")
    differ.check("SELECT * FROM fc ORDER BY id")


@pytest.mark.parametrize(
    "add",
    [
        "ALTER TABLE ac ADD COLUMN k int PRIMARY KEY",  # NULLs: 23502
        "ALTER TABLE ac ADD COLUMN k int DEFAULT 0 PRIMARY KEY",  # two rows: 23505
        "ALTER TABLE ac ADD COLUMN k serial PRIMARY KEY",
        "ALTER TABLE ac ADD COLUMN u int UNIQUE",
        "ALTER TABLE ac ADD COLUMN u int DEFAULT 1 UNIQUE",  # 23505
        "ALTER TABLE ac ADD COLUMN u serial UNIQUE",
    ],
)
def test_add_column_with_a_key(differ: Differ, add: str) -> None:
    differ.check("CREATE TABLE ac (a int)")
    differ.check("INSERT INTO ac VALUES (1), (2)")
    differ.check(add)
    differ.check("SELECT * FROM ac ORDER BY a")
    differ.check("SELECT a FROM ac WHERE u IS NULL OR u = 1 ORDER BY a")
    differ.check("SELECT a FROM ac WHERE k = 2 ORDER BY a")
    differ.check("INSERT INTO ac VALUES (3, 1)")
    differ.check("SELECT * FROM ac ORDER BY a")


def test_add_second_primary_key(differ: Differ) -> None:
    differ.check("CREATE TABLE ac (a int PRIMARY KEY)")
    differ.check("ALTER TABLE ac ADD COLUMN k int PRIMARY KEY")


@pytest.mark.parametrize(
    "create",
    [
        "CREATE TABLE cd (id int DEFAULT (id))",  # 0A000
        "CREATE TABLE cd (id int DEFAULT (avg(1)))",  # 42803
        "CREATE TABLE cd (id int DEFAULT (avg(nope)))",  # column reference first: 0A000
        "CREATE TABLE cd (id int DEFAULT 'abc')",  # 22P02
        "CREATE TABLE cd (id int DEFAULT (SELECT 1))",  # 0A000
        "CREATE TABLE cd (id int DEFAULT (row_number() OVER ()))",  # 42P20
        "CREATE TABLE cd (id int DEFAULT 2.5, t timestamptz DEFAULT now(), u text DEFAULT 'x')",
    ],
)
def test_create_table_defaults_are_checked(differ: Differ, create: str) -> None:
    differ.check(create)
    differ.check("INSERT INTO cd (id) VALUES (DEFAULT)")
    differ.check("SELECT id FROM cd")


def test_drop_column_drops_the_checks_that_read_it(differ: Differ) -> None:
    """A CHECK naming the dropped column goes with it (ALTER TABLE ... DROP COLUMN)."""
    for sql in [
        "CREATE TABLE k (id int, v int, CHECK (v > 0 OR id > 0), CHECK (id < 100))",
        "ALTER TABLE k ADD CONSTRAINT kc CHECK (v <> 5)",
        "ALTER TABLE k DROP COLUMN v",
        "INSERT INTO k VALUES (2)",
        "INSERT INTO k VALUES (200)",
        "SELECT conname FROM pg_constraint WHERE conrelid = 'k'::regclass ORDER BY 1",
    ]:
        differ.check(sql)
