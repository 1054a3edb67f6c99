"""``db9 db dump``: the pg_dump round trip's fixture dumped, replayed into a fresh database
and dumped again gives the same dump (nothing lost: schemas, foreign keys, DESC keys, views,
triggers, identities, partitions, inheritance, comments, rows), and a failed ``-o`` leaves no
file behind."""

from __future__ import annotations

import re
import socket
from pathlib import Path

from click.testing import CliRunner

from control.cli import main
from control.dump import dump
from kv.client import TxnClient
from sql.database import Database
from sql.session import Session
from sql.statements import split_statements
from tests.kv.conftest import local_kv

FIXTURE = Path(__file__).parents[1] / "dump" / "fixture.sql"


def replayed(lines: list[str], db: Database) -> None:
    session = Session(db)
    for line in lines:
        if not line.startswith("--"):
            session.execute(line)  # any error fails the test


def canonical(lines: list[str]) -> list[str]:
    """A restored default reads nextval('s'::regclass) back in sqlglot's spelling."""
    return [re.sub(r"NEXTVAL\(('[^']*'::regclass)\)", r"nextval(\1)", line) for line in lines]


def test_dump_replays_into_a_fresh_database_and_loses_nothing() -> None:
    kv = local_kv()
    source = Database(TxnClient(kv), b"\x00\x01")
    session = Session(source)
    for stmt in split_statements(FIXTURE.read_text()):
        session.execute(stmt.text)
    first = list(dump(source, "source"))
    text = "\n".join(first)
    for expected in [
        "CREATE SCHEMA shop;",
        "CREATE TYPE shop.mood AS ENUM ('sad', 'ok', 'happy');",
        "ADD CONSTRAINT order_line_order FOREIGN KEY (order_id) REFERENCES shop.orders(id) "
        "ON DELETE CASCADE;",
        "CREATE INDEX customer_born_desc ON shop.customer USING btree (born DESC, name);",
        "CREATE INDEX orders_placed ON shop.orders USING btree (placed) INCLUDE (note);",
        "ADD GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME shop.orders_id_seq",
        "ALTER SEQUENCE shop.customer_id_seq OWNED BY shop.customer.id;",
        "SELECT pg_catalog.setval('shop.invoice_no', 145, true);",
        "CREATE TRIGGER orders_touch BEFORE INSERT ON shop.orders FOR EACH ROW EXECUTE "
        "FUNCTION shop.touch();",
        "CREATE TABLE public.measure_2024 PARTITION OF public.measure FOR VALUES FROM",
        "INHERITS (public.animal);",
        "COMMENT ON COLUMN shop.customer.email IS 'unique, lower case';",
        'INSERT INTO public."Odd ""Name""" ("Mixed Case", "select")',
        "id integer DEFAULT nextval('public.items_id_seq'::regclass) NOT NULL",
    ]:
        assert expected in text, expected
    copy = Database(TxnClient(kv), b"\x00\x02")
    replayed(first, copy)
    second = list(dump(copy, "source"))
    assert canonical(second) == canonical(first)
    again = Database(TxnClient(kv), b"\x00\x03")
    replayed(second, again)
    assert list(dump(again, "source")) == second


def test_a_failed_dash_o_leaves_no_file(tmp_path: Path, monkeypatch: object) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    target = tmp_path / "app.sql"
    result = CliRunner().invoke(
        main, ["db", "dump", "app", "-o", str(target)], env={"DB9_API_URL": url, "DB9_TOKEN": "x"}
    )
    assert result.exit_code != 0
    assert not target.exists() and list(tmp_path.iterdir()) == []
