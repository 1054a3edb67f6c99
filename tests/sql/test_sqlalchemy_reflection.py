"""SQLAlchemy 2.0's Inspector queries (get_columns, get_pk_constraint, get_foreign_keys,
get_indexes, get_unique_constraints, get_check_constraints; captured in
sqlalchemy/reflection_queries.sql) give on db9 what they give on PostgreSQL, once each side's
table oids are filled in."""

from __future__ import annotations

from pathlib import Path

from sql.statements import split_statements
from tests.sql.differential import Differ, Outcome

QUERIES = (Path(__file__).parent / "sqlalchemy" / "reflection_queries.sql").read_text()
SETUP = [
    "CREATE TABLE parent (id serial PRIMARY KEY, name varchar(20) NOT NULL UNIQUE, "
    "price numeric(8,2) DEFAULT 0)",
    "CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id), "
    "qty int CHECK (qty > 0))",
    "CREATE INDEX child_qty ON child (qty)",
]
OIDS = "SELECT relname, oid FROM pg_catalog.pg_class WHERE relname IN ('parent', 'child')"


def normalise(outcome: Outcome, oids: dict[str, str]) -> Outcome:
    names = {v: k for k, v in oids.items()}
    rows = [
        tuple(names.get(v, v) if v is not None else None for v in r) for r in outcome.rows or []
    ]
    return Outcome(outcome.sqlstate, outcome.columns, rows)


def _ordered(sql: str) -> bool:
    """The statement itself ends with ORDER BY (one inside an aggregate or a subquery does
    not order its rows). Without one PostgreSQL returns pg_class in heap order, which
    changes with updates of its rows: comparing that order failed at random."""
    at = sql.upper().rfind("ORDER BY")
    return at >= 0 and sql.count(")", at) <= sql.count("(", at)


def test_sqlalchemy_reflection_queries_match_postgres(differ: Differ) -> None:
    for sql in SETUP:
        differ.check(sql)
    ours = {r[0]: r[1] for r in differ.db9(OIDS).rows or []}
    theirs = {r[0]: r[1] for r in differ.postgres(OIDS).rows or []}
    checked = 0
    for stmt in split_statements(QUERIES):
        a = normalise(differ.db9(stmt.text.format(**ours)), ours)
        if "pg_type.typtype" in stmt.text:
            # domains and enums: PostgreSQL lists its own information_schema domains; db9
            # has none, and must answer with no rows rather than an error
            assert a.sqlstate is None and a.rows == [], stmt.text
            checked += 1
            continue
        b = normalise(differ.postgres(stmt.text.format(**theirs)), theirs)
        ordered = _ordered(stmt.text)
        assert a.comparable(ordered) == b.comparable(ordered), f"{stmt.text}\ndb9: {a}\npg:  {b}"
        checked += 1
    assert checked == 11
