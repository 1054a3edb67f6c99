"""GUI tools' and JDBC's catalog queries (gui/catalog_queries.sql) give PostgreSQL's answers
on db9, modulo object ids, sizes, times and process ids (tests/sql/gui_corpus.py)."""

from __future__ import annotations

from tests.sql.differential import Differ
from tests.sql.gui_corpus import KNOWN, compare, load, queries


def test_gui_tools_catalog_queries_match_postgres(differ: Differ) -> None:
    load(differ)
    failures = []
    for q in queries():
        same, diff = compare(differ, q)
        if same and q.source in KNOWN:
            failures.append(f"-- {q.source}\nagrees now: take it out of gui_corpus.KNOWN")
        elif not same and q.source not in KNOWN:
            failures.append(f"-- {q.source}\n{q.sql[:300]}\n{diff[:1500]}")
    assert not failures, f"{len(failures)} of {len(queries())} differ:\n\n" + "\n\n".join(failures)
