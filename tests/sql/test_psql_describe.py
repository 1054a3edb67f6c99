"""The catalog queries psql 15 sends for \\dt, \\di, \\d, \\d TABLE, \\l and \\dn (captured
with ``psql -E`` into psql/describe_queries.sql) run on db9; those that do not depend on
object ids give PostgreSQL's answers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.psql_describe import PSQL, run
from sql.statements import split_statements
from tests.sql.differential import Differ

QUERIES = (Path(__file__).parent / "psql" / "describe_queries.sql").read_text()
SETUP = "CREATE TABLE t (id serial PRIMARY KEY, name text UNIQUE)"


def blocks() -> list[tuple[str, str]]:
    out = []
    for part in QUERIES.split("\n-- ")[1:]:
        command, _, body = part.partition("\n")
        for stmt in split_statements(body):
            out.append((command, stmt.text))
    return out


def test_psql_list_commands_match_postgres(differ: Differ) -> None:
    differ.check(SETUP)
    checked = 0
    for command, sql in blocks():
        if command in (r"\dt", r"\di", r"\d", r"\dn"):
            differ.check(sql)
            checked += 1
    assert checked >= 4


def test_psql_describe_table_queries_run_with_db9_oids(differ: Differ) -> None:
    differ.check(SETUP)
    session = differ.session
    oid = None
    ran = 0
    for command, sql in blocks():
        if command != r"\d t":
            continue
        if oid is not None:
            sql = re.sub(r"'\d{5}'", f"'{oid}'", sql)
        result = session.execute(sql)[-1]
        if oid is None:
            assert result.rows is not None and result.rows[0][2] == "t"
            oid = result.rows[0][0]
        elif "format_type" in sql:
            assert result.rows == [
                ("id", "integer", "nextval('t_id_seq'::regclass)", True, None, "", ""),
                ("name", "text", None, False, None, "", ""),
            ]
        elif "pg_get_indexdef" in sql:
            assert [r[0] for r in result.rows or []] == ["t_pkey", "t_name_key"]
        ran += 1
    assert ran >= 8


def test_psql_list_databases_runs(differ: Differ) -> None:
    sql = next(s for c, s in blocks() if c == r"\l")
    rows = differ.session.execute(sql)[-1].rows
    assert rows is not None and rows[0][:5] == ("postgres", "postgres", "UTF8", "C", "C")


# psql 15's own binary against PostgreSQL 15 and a db9 server (bench.psql_describe): these
# describe commands print the same, normalised output. A ratchet: add commands as they agree.
AGREE = [
    r"\d", r"\d+", r"\dt", r"\dt+", r"\di", r"\di+", r"\ds", r"\dv", r"\dm", r"\dE", r"\df",
    r"\da", r"\du", r"\dg", r"\dp", r"\z", r"\dx", r"\l", r"\d t", r"\d c", r"\d s.other",
    r"\d v", r"\d t_pkey", r"\d p", r"\d p1", r"\d mood", r"\dt s.*", r"\df add1",
    r"\sf add1",
]  # fmt: skip


@pytest.mark.skipif(not Path(PSQL).exists(), reason="no psql 15 binary")
def test_psql_binary_describe_commands_print_what_postgres_prints() -> None:
    n_same, differ = run(AGREE, show=False, port_base=None)
    assert not differ, f"{len(differ)} of {len(AGREE)} now differ: {differ}"
    assert n_same == len(AGREE)
