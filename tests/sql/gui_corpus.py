"""The GUI tools' catalog corpus (gui/catalog_queries.sql) run on db9 and on PostgreSQL with
one schema loaded on both: which queries agree, modulo what legitimately differs.

Normalised before comparing (both sides alike): integers of 16384 and up (object ids, and
relation sizes, which come from different storage) print as ``<n>``, and so does public's oid
2200 (the test's PostgreSQL has dropped and remade public); planner statistics (cardinality,
pages, reltuples, relpages: ANALYZE's estimates) as ``<stat>``; timestamps as ``<time>``;
the ``pid`` column as ``<pid>`` (process ids); the bootstrap superuser's name (``postgres`` on
PostgreSQL, the session's user on db9) as ``<owner>``. Used by
tests/sql/test_gui_catalog_queries.py and bench/gui_catalog.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sql.statements import split_statements
from tests.sql.differential import Differ, Outcome

CORPUS = (Path(__file__).parent / "gui" / "catalog_queries.sql").read_text()

SCHEMA = [
    "CREATE TABLE t (id serial PRIMARY KEY, name varchar(40) UNIQUE, n int CHECK (n > 0)"
    " DEFAULT 1)",
    "COMMENT ON TABLE t IS 'the t table'",
    "CREATE TABLE c (id int PRIMARY KEY, t_id int REFERENCES t (id) ON DELETE CASCADE, note text)",
    "CREATE INDEX c_t_idx ON c (t_id DESC)",
    "CREATE VIEW v AS SELECT id, name FROM t",
    "CREATE SEQUENCE sq INCREMENT 5",
    "CREATE FUNCTION add1(i integer) RETURNS integer LANGUAGE sql AS 'SELECT i + 1'",
    "INSERT INTO t (name, n) SELECT 'n' || g, g FROM generate_series(1, 200) g",
    "INSERT INTO c SELECT g, g, 'x' FROM generate_series(1, 50) g",
]

# Queries known to differ, by their source line, and why (the test requires they still do:
# once one agrees, it leaves this list).
KNOWN: dict[str, str] = {
    "pgAdmin templates/schemas/pg/default/sql/nodes.sql (the catalogs list inlined)": (
        "pgAdmin hides information_schema when pg_class lists its view 'tables'; db9's "
        "pg_class lists user relations only, not the system catalogs and views"
    ),
}

_TIME = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d(:\d\d)?| [A-Z]+)?")
_BIG = re.compile(r"(?<![\d.])\d{5,}(?![\d.])")


@dataclass
class Query:
    source: str  # the comment line above it: which tool sends it
    sql: str


def queries() -> list[Query]:
    out = []
    for part in CORPUS.split("\n-- ")[1:]:
        source, _, body = part.partition("\n")
        out += [Query(source.strip(), s.text) for s in split_statements(body)]
    return out


_STATS = {"cardinality", "pages", "reltuples", "relpages"}


def _cell(column: str, value: str | None, owner: str) -> str | None:
    if value is None:
        return None
    if column == "pid":
        return "<pid>"
    if column.lower() in _STATS:
        return "<stat>"
    if value == "2200":  # public's oid, which the test's PostgreSQL has dropped and remade
        return "<n>"
    value = re.sub(r"^2200_", "<n>_", value)
    value = _TIME.sub("<time>", value)
    value = _BIG.sub(lambda m: m.group() if int(m.group()) < 16384 else "<n>", value)
    return re.sub(rf"\b{re.escape(owner)}\b", "<owner>", value)


def normalise(outcome: Outcome, owner: str) -> tuple[object, ...]:
    cols = outcome.columns or []
    rows = [tuple(_cell(c, v, owner) for c, v in zip(cols, r, strict=True))
            for r in outcome.rows or []]  # fmt: skip
    return (outcome.sqlstate, cols, rows)


def load(differ: Differ) -> None:
    for stmt in SCHEMA:
        differ.check(stmt)


def compare(differ: Differ, q: Query) -> tuple[bool, str]:
    """Whether ``q`` gives the same normalised answer on both; the two answers if not."""
    ours = normalise(differ.db9(q.sql), differ.session.user)
    theirs = normalise(differ.postgres(q.sql), "postgres")
    if ours == theirs:
        return True, ""
    return False, f"db9:        {ours}\npostgresql: {theirs}"
