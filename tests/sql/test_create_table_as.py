"""CREATE TABLE ... AS and SELECT ... INTO against a live PostgreSQL: the new table's
columns (names, types, column lists), its rows, the tags (SELECT n / CREATE TABLE AS), WITH
NO DATA, IF NOT EXISTS, rollback in a block, and the errors."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sql.differential import Differ

SETUP = """
CREATE TABLE src (a int, b text, c numeric(6,2), d varchar(5), e boolean);
INSERT INTO src VALUES (1, 'one', 1.5, 'x', true), (2, 'two', NULL, 'yy', false),
  (3, NULL, 3.25, NULL, NULL)
"""

COLUMNS = """SELECT column_name, data_type, character_maximum_length, numeric_precision,
numeric_scale FROM information_schema.columns WHERE table_name = '{}' ORDER BY ordinal_position"""

SCRIPT = [
    "CREATE TABLE t1 AS SELECT a, b, c, d, e FROM src",
    "SELECT * FROM t1 ORDER BY a",
    COLUMNS.format("t1"),
    "CREATE TABLE t2 (x, y) AS SELECT a * 2, b || '!', 'lit' AS z, 1.5 AS w FROM src WHERE a > 1",
    "SELECT * FROM t2 ORDER BY x",
    COLUMNS.format("t2"),
    "CREATE TABLE t3 AS SELECT * FROM src WITH NO DATA",
    "SELECT count(*) FROM t3",
    COLUMNS.format("t3"),
    "CREATE TABLE t3 AS SELECT 1",
    "CREATE TABLE IF NOT EXISTS t3 AS SELECT 1",
    "CREATE TABLE t4 AS TABLE src",
    "SELECT count(*) FROM t4",
    "CREATE TABLE t5 AS VALUES (1, 'a'), (2, 'b')",
    "SELECT * FROM t5 ORDER BY 1",
    "CREATE TABLE t6 AS WITH w AS (SELECT a FROM src) SELECT sum(a) AS s FROM w",
    "SELECT * FROM t6",
    "SELECT a, b INTO t7 FROM src WHERE a < 3",
    "SELECT * FROM t7 ORDER BY a",
    "SELECT a INTO t7 FROM src",
    "INSERT INTO t1 VALUES (9, 'nine', 9, 'n', true)",
    "SELECT count(*) FROM t1",
    "CREATE TABLE t8 (p, q, r) AS SELECT 1, 2",
    "CREATE TABLE t8 AS SELECT 1 AS p, 2 AS p",
    "CREATE TABLE t8 AS SELECT nope FROM src",
    "CREATE TABLE t8 AS SELECT * FROM missing",
    "SELECT count(*) FROM t8",
    "SELECT * FROM (SELECT 1 INTO f) bar",
    "INSERT INTO t1 (a) SELECT 1 INTO f",
    "CREATE TABLE t9 WITH (fillfactor = 50) AS SELECT 1 AS one",
    "SELECT * FROM t9",
    "CREATE UNLOGGED TABLE pg_temp.u AS SELECT 1",
    "BEGIN",
    "CREATE TABLE rb AS SELECT a FROM src",
    "SELECT count(*) FROM rb",
    "ROLLBACK",
    "SELECT * FROM rb",
    "BEGIN",
    "SELECT a INTO rb2 FROM src",
    "COMMIT",
    "SELECT count(*) FROM rb2",
]


def test_create_table_as_script(differ: Differ) -> None:
    differ.check(SETUP)
    for stmt in SCRIPT:
        differ.check(stmt)


_EXPRS = ["a", "b", "c", "d", "e", "a + 1", "upper(b)", "c * 2", "'k'", "a::text", "NULL::int",
          "length(d)", "a > 1", "c::int"]  # fmt: skip


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    exprs=st.lists(st.sampled_from(_EXPRS), min_size=1, max_size=4, unique=True),
    into=st.booleans(),
)
def test_generated_tables_copy_their_query(differ: Differ, exprs: list[str], into: bool) -> None:
    """The new table has the query's rows and PostgreSQL's column names and types."""
    differ.reset()
    differ.check(SETUP)
    cols = ", ".join(f"{e} AS c{i}" for i, e in enumerate(exprs))
    if into:
        differ.check(f"SELECT {cols} INTO g FROM src")
    else:
        differ.check(f"CREATE TABLE g AS SELECT {cols} FROM src")
    differ.check("SELECT * FROM g")
    differ.check(COLUMNS.format("g"))
