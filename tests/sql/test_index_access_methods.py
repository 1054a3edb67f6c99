"""CREATE INDEX ... USING gist / spgist / gin / brin / hash against a live PostgreSQL: what
each method takes (types, unique, multicolumn, INCLUDE, DESC, WITH (...)), that its index is
kept through writes, and that the queries its operators serve return PostgreSQL's rows."""

from __future__ import annotations

import pytest

from tests.sql.differential import Differ

SETUP = """CREATE TABLE g (id int PRIMARY KEY, b box, p point, c circle, poly polygon,
  a int[], t text[], j jsonb, n int, s text);
INSERT INTO g VALUES
  (1, '(0,0),(1,1)', '(0,0)', '<(0,0),1>', '(0,0),(0,1),(1,0)', '{1,2}', '{a}', '{"k":1}', 1, 'x'),
  (2, '(5,5),(8,9)', '(6,7)', '<(5,5),2>', '(5,5),(5,9),(9,5)', '{2,3}', '{b,c}', '[1]', 2, 'y'),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"""


@pytest.mark.parametrize(
    "create",
    [
        "CREATE INDEX i ON g USING gist (b)",
        "CREATE INDEX i ON g USING gist (p, c)",
        "CREATE INDEX i ON g USING gist (poly) INCLUDE (n)",
        "CREATE INDEX i ON g USING gist (b box_ops)",
        "CREATE INDEX i ON g USING gist (n)",  # 42704: no default operator class
        "CREATE INDEX i ON g USING gist (b nope_ops)",  # 42704
        "CREATE UNIQUE INDEX i ON g USING gist (b)",  # 0A000
        "CREATE INDEX i ON g USING gist (b DESC)",  # 0A000
        "CREATE INDEX i ON g USING gist (b) WITH (fillfactor = 50, buffering = auto)",
        "CREATE INDEX i ON g USING gist (b) WITH (fillfactor = 5)",  # 22023
        "CREATE INDEX i ON g USING gist (b) WITH (nope = 1)",  # 22023
        "CREATE INDEX i ON g USING spgist (p)",
        "CREATE INDEX i ON g USING spgist (p kd_point_ops)",
        "CREATE INDEX i ON g USING spgist (s)",
        "CREATE INDEX i ON g USING spgist (p, b)",  # 0A000
        "CREATE INDEX i ON g USING gin (a)",
        "CREATE INDEX i ON g USING gin (a, t)",
        "CREATE INDEX i ON g USING gin (j jsonb_path_ops)",
        "CREATE INDEX i ON g USING gin (a) WITH (FASTUPDATE=on, GIN_PENDING_LIST_LIMIT=128)",
        "CREATE INDEX i ON g USING gin (a) INCLUDE (n)",  # 0A000
        "CREATE INDEX i ON g USING gin (n)",  # 42704
        "CREATE INDEX i ON g USING brin (n, s)",
        "CREATE INDEX i ON g USING brin (n int4_minmax_multi_ops) WITH (pages_per_range = 4)",
        "CREATE INDEX i ON g USING hash (s text_ops) WITH (fillfactor = 10)",
        "CREATE INDEX i ON g USING nope (n)",  # 42704
    ],
)
def test_access_method_indexes(differ: Differ, create: str) -> None:
    differ.check(SETUP)
    differ.check(create)
    differ.check("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'g' ORDER BY 1")
    differ.check(
        "SELECT c.relname, a.amname, c.reloptions FROM pg_class c JOIN pg_am a ON a.oid = c.relam"
        " WHERE c.relname = 'i'"
    )
    # Writes keep the index, and the methods' queries return PostgreSQL's rows.
    differ.check(
        "INSERT INTO g VALUES (4, '(2,2),(3,3)', '(2,3)', '<(2,2),1>', '(2,2),(2,3),(3,2)',"
        " '{3,4}', '{c}', '{\"k\":2}', 4, 'z')"
    )
    differ.check("UPDATE g SET b = '(9,9),(10,10)', a = '{9}' WHERE id = 1")
    differ.check("DELETE FROM g WHERE id = 2")
    differ.check("SELECT id FROM g WHERE b && '(0,0),(3,3)'::box ORDER BY id")
    differ.check("SELECT id FROM g WHERE p <@ '(0,0),(5,5)'::box ORDER BY id")
    differ.check("SELECT id FROM g WHERE a @> '{3}' ORDER BY id")
    differ.check("SELECT id FROM g WHERE n = 4 AND s = 'z' ORDER BY id")
    differ.check("SELECT id FROM g ORDER BY p <-> '(0,0)'::point, id")
    differ.check("DROP INDEX i")
