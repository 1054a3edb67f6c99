"""Views against a live PostgreSQL: CREATE [OR REPLACE] VIEW, views in queries (joins,
subqueries, views over views, CTEs, ORDER BY/LIMIT inside), the dependency checks of DROP,
ALTER VIEW RENAME, the catalogs clients read, and the errors for what views refuse."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sql.differential import Differ

SETUP = """
CREATE TABLE t (a int PRIMARY KEY, b text, c numeric(6,2));
INSERT INTO t VALUES (1, 'one', 1.5), (2, 'two', 2.25), (3, 'three', NULL), (4, NULL, 4);
CREATE TABLE u (a int, d varchar(10));
INSERT INTO u VALUES (1, 'x'), (3, 'y'), (5, 'z')
"""

SCRIPT = [
    "CREATE VIEW v AS SELECT a, b FROM t WHERE a > 1",
    "SELECT * FROM v ORDER BY a",
    "SELECT b FROM v WHERE a = 3",
    "CREATE VIEW v2 (x, y) AS SELECT a * 10, c FROM t ORDER BY a DESC LIMIT 2",
    "SELECT * FROM v2 ORDER BY x",
    "SELECT x FROM v2",
    "CREATE VIEW vc AS WITH w AS (SELECT a FROM u) SELECT count(*) AS n FROM w",
    "SELECT * FROM vc",
    "CREATE VIEW vv AS SELECT v.a, u.d FROM v JOIN u ON u.a = v.a",
    "SELECT * FROM vv",
    "SELECT * FROM t WHERE a IN (SELECT a FROM v) ORDER BY a",
    "SELECT v.a, v2.x FROM v LEFT JOIN v2 ON v2.x = v.a * 10 ORDER BY 1",
    "SELECT (SELECT max(a) FROM v)",
    "WITH v AS (SELECT 42 AS a) SELECT * FROM v",
    "SELECT relkind FROM pg_class WHERE relname = 'v'",
    "SELECT table_name, table_type FROM information_schema.tables "
    "WHERE table_schema = 'public' ORDER BY 1",
    "SELECT table_name FROM information_schema.views WHERE table_schema = 'public' ORDER BY 1",
    "SELECT viewname FROM pg_views WHERE schemaname = 'public' ORDER BY 1",
    "SELECT column_name, data_type FROM information_schema.columns "
    "WHERE table_name = 'v2' ORDER BY ordinal_position",
    "SELECT pg_get_viewdef('v') IS NOT NULL",
    "CREATE VIEW v AS SELECT 1",
    "CREATE VIEW t AS SELECT 1",
    "CREATE OR REPLACE VIEW t AS SELECT 1",
    "CREATE OR REPLACE VIEW v AS SELECT a FROM t",
    "CREATE OR REPLACE VIEW v AS SELECT b, a FROM t",
    "CREATE OR REPLACE VIEW v AS SELECT a::text, b FROM t",
    "CREATE OR REPLACE VIEW v AS SELECT a, b, c FROM t WHERE a < 3",
    "SELECT * FROM v ORDER BY a",
    "CREATE VIEW bad (p, q, r) AS SELECT 1, 2",
    "CREATE VIEW bad AS SELECT 1 AS p, 2 AS p",
    "CREATE VIEW bad AS SELECT nope FROM t",
    "CREATE VIEW bad AS SELECT * FROM missing",
    "CREATE VIEW bad AS SELECT 1 INTO f",
    "CREATE VIEW sb WITH (security_barrier = true) AS SELECT a FROM t",
    "SELECT count(*) FROM sb",
    "CREATE VIEW bad WITH (security_barrier = 100) AS SELECT 1",
    "CREATE VIEW bad WITH (security_invoker = maybe) AS SELECT 1",
    "CREATE VIEW bad WITH (nonsense = 1) AS SELECT 1",
    "DROP TABLE t",
    "DROP TABLE u",
    "DROP VIEW v",
    "DROP TABLE v",
    "DROP VIEW t",
    "DROP VIEW IF EXISTS nothing",
    "DROP VIEW nothing",
    "TRUNCATE v",
    "ALTER VIEW v RENAME TO v_new",
    "SELECT * FROM v_new ORDER BY a",
    "SELECT * FROM vv",
    "ALTER TABLE u RENAME TO u2",
    "SELECT * FROM vv",
    "ALTER VIEW nothing RENAME TO x",
    "ALTER VIEW IF EXISTS nothing RENAME TO x",
    "DROP VIEW v_new CASCADE",
    "SELECT * FROM vv",
    "SELECT count(*) FROM pg_views WHERE schemaname = 'public'",
    "DROP TABLE t CASCADE",
    "SELECT * FROM v2",
    "SELECT relname FROM pg_class WHERE relkind = 'v' AND relname LIKE 'v_' ORDER BY 1",
    "BEGIN",
    "CREATE VIEW rb AS SELECT 1 AS one",
    "SELECT * FROM rb",
    "ROLLBACK",
    "SELECT * FROM rb",
]


def test_view_script(differ: Differ) -> None:
    differ.check(SETUP)
    for stmt in SCRIPT:
        differ.check(stmt)


UPDATABLE = [
    "CREATE VIEW v AS SELECT a, b FROM t WHERE a > 1",
    "CREATE VIEW v2 AS SELECT b AS bb, a * 10 AS a10, a FROM t",
    "CREATE VIEW vs AS SELECT * FROM t",
    "CREATE VIEW vd AS SELECT DISTINCT a FROM t",
    "CREATE VIEW vg AS SELECT a, count(*) FROM t GROUP BY a",
    "CREATE VIEW vj AS SELECT t.a, u.d FROM t JOIN u ON u.a = t.a",
    "CREATE VIEW vv AS SELECT a AS x, b FROM v",
    "INSERT INTO v VALUES (9, 'nine') RETURNING *",
    "INSERT INTO v2 (bb, a) VALUES ('ten', 10) RETURNING *, a10 + 1",
    "INSERT INTO v2 (a10) VALUES (5)",
    "UPDATE v SET b = 'x' || b WHERE a < 4 RETURNING *",
    "UPDATE v2 SET bb = 'y' WHERE a10 = 20 RETURNING bb, a10",
    "UPDATE v2 SET a10 = 1",
    "UPDATE v SET b = 'z' WHERE a IN (SELECT a FROM u)",
    "DELETE FROM v WHERE b IS NULL RETURNING v.*",
    "UPDATE vs SET c = c + 1 WHERE a = 1 RETURNING *",
    "INSERT INTO vv VALUES (11, 'eleven') RETURNING x",
    "UPDATE vv SET b = 'vv' WHERE x > 9 RETURNING *",
    "DELETE FROM vv WHERE x = 11",
    "PREPARE pv (int, text) AS UPDATE v SET b = $2 WHERE a = $1 RETURNING *",
    "EXECUTE pv (2, 'prepared')",
    "INSERT INTO vd VALUES (5)",
    "DELETE FROM vd",
    "UPDATE vg SET a = 1",
    "DELETE FROM vj",
    "SELECT * FROM t ORDER BY a",
]


def test_dml_through_simple_views(differ: Differ) -> None:
    """A simple view is automatically updatable, as in PostgreSQL; others answer 55000."""
    differ.check(SETUP)
    for stmt in UPDATABLE:
        differ.check(stmt)


CHECKED = [
    "CREATE VIEW v1 AS SELECT * FROM t WHERE a > 0",
    "CREATE VIEW v2 AS SELECT * FROM v1 WHERE a < 10 WITH CHECK OPTION",
    "CREATE VIEW v3 AS SELECT * FROM v1 WHERE a < 10 WITH LOCAL CHECK OPTION",
    "CREATE VIEW v4 WITH (check_option = local) AS SELECT a, b FROM v2 WHERE a <> 7",
    "INSERT INTO v2 VALUES (5, 'ok')",
    "INSERT INTO v2 VALUES (15, 'bad')",
    "INSERT INTO v2 VALUES (-1, 'bad')",
    "INSERT INTO v3 VALUES (-1, 'okl')",
    "INSERT INTO v4 VALUES (7, 'seven')",
    "INSERT INTO v4 VALUES (12, 'twelve')",
    "INSERT INTO v4 (a) VALUES (8)",
    "UPDATE v2 SET a = a + 20",
    "UPDATE v2 SET a = a + 1 RETURNING *",
    "SELECT * FROM t ORDER BY a",
    "CREATE RECURSIVE VIEW nums (n) AS VALUES (1) UNION ALL SELECT n+1 FROM nums WHERE n < 5",
    "SELECT * FROM nums",
    "CREATE OR REPLACE RECURSIVE VIEW nums (n) AS "
    "VALUES (1) UNION ALL SELECT n+1 FROM nums WHERE n < 6",
    "SELECT * FROM nums",
]


def test_check_option_and_recursive_views(differ: Differ) -> None:
    """WITH [LOCAL|CASCADED] CHECK OPTION answers 44000 for a row the view would not show;
    CREATE RECURSIVE VIEW is a view over WITH RECURSIVE."""
    differ.check(SETUP)
    for stmt in CHECKED:
        differ.check(stmt)


_PREDICATES = ["a > 1", "b IS NOT NULL", "c < 3", "a % 2 = 0", "b LIKE 't%'", "true"]
_PROJECTIONS = ["a", "b", "c", "a + 1 AS a1", "upper(b) AS ub", "coalesce(b, '-') AS bz"]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    proj=st.lists(st.sampled_from(_PROJECTIONS), min_size=1, max_size=3, unique=True),
    pred=st.sampled_from(_PREDICATES),
    outer=st.sampled_from(["a > 1", "true"]),
    limit=st.sampled_from(["", " ORDER BY a LIMIT 2"]),
)
def test_generated_views_read_as_their_query(
    differ: Differ, proj: list[str], pred: str, outer: str, limit: str
) -> None:
    """A view reads the same rows as PostgreSQL's for any projection and filter, with a
    filter on top, and a view over it too."""
    differ.reset()
    differ.check(SETUP)
    cols = ", ".join(proj)
    differ.check(f"CREATE VIEW g AS SELECT {cols} FROM t WHERE {pred}{limit}")
    differ.check("CREATE VIEW gg AS SELECT * FROM g")
    top = outer if outer == "true" or "a" in [p.split()[0] for p in proj] else "true"
    differ.check(f"SELECT * FROM gg WHERE {top}")
    differ.check("SELECT count(*) FROM g JOIN u ON true")


def test_recursive_view_is_a_with_recursive_query(differ: Differ) -> None:
    """CREATE [OR REPLACE] RECURSIVE VIEW name (cols) AS q reads as WITH RECURSIVE name."""
    for sql in [
        "CREATE RECURSIVE VIEW nums (n) AS VALUES (1) UNION ALL SELECT n+1 FROM nums WHERE n < 5",
        "SELECT * FROM nums",
        "CREATE OR REPLACE RECURSIVE VIEW nums (n) AS VALUES (1) UNION ALL SELECT n+1 "
        "FROM nums WHERE n < 6",
        "SELECT * FROM nums",
        "CREATE RECURSIVE VIEW public.pairs (a, b) AS SELECT 1, 2 UNION ALL SELECT a + 1, b "
        "FROM pairs WHERE a < 3",
        "SELECT * FROM pairs ORDER BY a",
    ]:
        differ.check(sql)
