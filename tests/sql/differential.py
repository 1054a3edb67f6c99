"""Run the same SQL on db9 and on PostgreSQL and compare what a client would see: the rows
as text (order-insensitive unless the query orders them), the column names, the command
tag, and on failure the SQLSTATE."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from kv.client import TxnClient
from kv.errors import Db9Error
from sql.database import Database
from sql.session import Session
from sql.statements import split_statements
from sql.types import OUTPUT_STYLE, format_value, output_style
from tests.kv.conftest import local_kv


@dataclass
class Outcome:
    sqlstate: str | None
    columns: list[str] | None = None
    rows: list[tuple[str | None, ...]] | None = None
    tag: str | None = None

    def comparable(self, ordered: bool) -> Any:
        rows = self.rows if ordered or self.rows is None else sorted(self.rows, key=repr)
        return (self.sqlstate, self.columns, rows)


def fresh_public(pg: psycopg.Connection[Any]) -> None:
    """PostgreSQL's public schema empty again, as initdb makes it: its comment, and USAGE for
    PUBLIC (the owner's grant spelled out: db9's owner is the superuser, not
    pg_database_owner). Schemas an earlier test made go too, so none leaks into the next
    test's catalog queries."""
    for (name,) in pg.execute(
        "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%'"
        " AND nspname NOT IN ('public', 'information_schema')"
    ).fetchall():
        pg.execute(f'DROP SCHEMA "{name}" CASCADE')
    pg.execute("DROP SCHEMA IF EXISTS public CASCADE")
    pg.execute("CREATE SCHEMA public")
    pg.execute("COMMENT ON SCHEMA public IS 'standard public schema'")
    pg.execute("GRANT ALL ON SCHEMA public TO CURRENT_USER")
    pg.execute("GRANT USAGE ON SCHEMA public TO PUBLIC")


class Differ:
    def __init__(self, pg: psycopg.Connection[Any]) -> None:
        self.pg = pg
        self.session = Session(Database(TxnClient(local_kv()), b"\x00\x01"))

    def reset(self) -> None:
        """Start both sides from an empty database."""
        self.session = Session(Database(TxnClient(local_kv()), b"\x00\x01"))
        fresh_public(self.pg)

    def db9(self, sql: str) -> Outcome:
        try:
            results = self.session.execute(sql)
        except Db9Error as exc:
            return Outcome(exc.sqlstate)
        last = results[-1]
        if last.columns is None:
            return Outcome(None, tag=last.tag)
        token = OUTPUT_STYLE.set(output_style(self.session.settings))  # as pgwire prints
        try:
            rows = [tuple(format_value(v, t) for v, (_, t) in zip(r, last.columns, strict=True))
                    for r in last.rows or []]  # fmt: skip
        finally:
            OUTPUT_STYLE.reset(token)
        return Outcome(None, [c for c, _ in last.columns], rows, last.tag)

    def postgres(self, sql: str) -> Outcome:
        cur = self.pg.cursor()
        try:
            cur.execute(sql.encode())
        except psycopg.Error as exc:
            return Outcome(exc.sqlstate)
        res = cur.pgresult
        if res is None or cur.description is None:
            return Outcome(None, tag=cur.statusmessage)
        rows = []
        for r in range(res.ntuples):
            row = []
            for c in range(res.nfields):
                v = res.get_value(r, c)
                row.append(None if v is None else v.decode())
            rows.append(tuple(row))
        return Outcome(None, [d.name for d in cur.description], rows, cur.statusmessage)

    def check(self, sql: str) -> Outcome:
        """Run ``sql`` (one or more statements) on both; fail on any difference."""
        ordered = "order by" in sql.lower().split(";")[-1] if sql.strip() else False
        ours, theirs = self.db9(sql), self.postgres(sql)
        if ours.comparable(ordered) != theirs.comparable(ordered):
            raise AssertionError(
                f"db9 and PostgreSQL differ on:\n  {sql}\ndb9:        {ours}\npostgresql: {theirs}"
            )
        return ours

    def run_script(self, text: str) -> int:
        """Check every statement of a corpus file; returns how many ran."""
        n = 0
        for stmt in split_statements(text, lenient=True):
            self.check(stmt.text)
            n += 1
        return n
