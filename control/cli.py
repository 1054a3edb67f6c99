"""The db9 command line. Every failure is one readable line on stderr and a non-zero exit."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import click

from control.config import ServerConfig
from kv.client import LocalKv, TxnClient
from kv.errors import Db9Error
from kv.gc_worker import collect_garbage

F = TypeVar("F", bound=Callable[..., object])


@click.group()
def main() -> None:
    """db9: databases, branches and their data."""


def _register_cluster() -> None:
    from control.cloud_cli import register
    from control.cluster_cli import cluster

    main.add_command(cluster)
    register(main)


@main.group()
def kv() -> None:
    """Read and write the local KV store directly (the node must be stopped)."""


def _data_dir_option(fn: F) -> F:
    return click.option("--data-dir", default=None, help="Data directory (DB9_DATA_DIR).")(fn)


@contextmanager
def _client(data_dir: str | None) -> Iterator[TxnClient]:
    config = ServerConfig.from_env(data_dir=data_dir)
    try:
        local = LocalKv.open(config.data_dir)
    except Db9Error as exc:
        raise click.ClickException(str(exc)) from None
    try:
        yield TxnClient(local)
    except Db9Error as exc:
        raise click.ClickException(f"{exc} (SQLSTATE {exc.sqlstate})") from None
    finally:
        local.close()


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "backslashreplace")


@kv.command("get")
@click.argument("key")
@_data_dir_option
def kv_get(key: str, data_dir: str | None) -> None:
    """Print the value of KEY (exit 1 if absent)."""
    with _client(data_dir) as c:
        txn = c.begin()
        value = txn.get(_bytes(key))
        txn.rollback()
    if value is None:
        click.echo(f"db9: key {key!r} not found", err=True)
        sys.exit(1)
    click.echo(_text(value))


@kv.command("put")
@click.argument("key")
@click.argument("value")
@_data_dir_option
def kv_put(key: str, value: str, data_dir: str | None) -> None:
    """Set KEY to VALUE in one transaction."""
    with _client(data_dir) as c:
        txn = c.begin()
        txn.put(_bytes(key), _bytes(value))
        click.echo(f"committed at {txn.commit()}")


@kv.command("delete")
@click.argument("key")
@_data_dir_option
def kv_delete(key: str, data_dir: str | None) -> None:
    """Delete KEY in one transaction."""
    with _client(data_dir) as c:
        txn = c.begin()
        txn.delete(_bytes(key))
        click.echo(f"committed at {txn.commit()}")


@kv.command("scan")
@click.option("--start", default="", help="First key (inclusive).")
@click.option("--end", default=None, help="Last key (exclusive).")
@click.option("--limit", type=click.IntRange(min=1), default=100)
@click.option("--reverse", is_flag=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@_data_dir_option
def kv_scan(
    start: str, end: str | None, limit: int, reverse: bool, as_json: bool, data_dir: str | None
) -> None:
    """List keys and values in [START, END)."""
    with _client(data_dir) as c:
        txn = c.begin()
        rows = txn.scan(
            _bytes(start), None if end is None else _bytes(end), limit=limit, reverse=reverse
        )
        txn.rollback()
    for k, v in rows:
        if as_json:
            click.echo(json.dumps({"key": _text(k), "value": _text(v)}))
        else:
            click.echo(f"{_text(k)}\t{_text(v)}")


def _format_table(columns: list[str], rows: list[tuple[str, ...]]) -> str:
    """psql's aligned format: a header, a rule, the rows, and a row count."""
    widths = [len(c) for c in columns]
    for row in rows:
        widths = [max(w, len(v)) for w, v in zip(widths, row, strict=True)]
    head = " | ".join(c.center(w) for c, w in zip(columns, widths, strict=True))
    rule = "-+-".join("-" * w for w in widths)
    body = [" | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in rows]
    count = f"({len(rows)} row{'s' if len(rows) != 1 else ''})"
    return "\n".join([head, rule, *body, count])


@main.command("sql")
@click.option("-c", "--command", "command", default=None, help="SQL to run.")
@click.option("-f", "--file", "file", type=click.File("r"), default=None, help="SQL file.")
@_data_dir_option
def sql_command(
    command: str | None, file: click.utils.LazyFile | None, data_dir: str | None
) -> None:
    """Run SQL against the local store's default database (the node must be stopped)."""
    from sql.database import Database
    from sql.layout import DEFAULT_DATABASE_ID, database_prefix
    from sql.session import Session
    from sql.types import format_value

    text = command if command is not None else (file.read() if file is not None else None)
    if text is None:
        raise click.UsageError("give SQL with -c or -f")
    with _client(data_dir) as c:
        session = Session(Database(c, database_prefix(DEFAULT_DATABASE_ID)))
        try:
            for result in session.execute(text):
                for notice in session.notices:
                    click.echo(f"NOTICE:  {notice}", err=True)
                session.notices.clear()
                if result.columns is None:
                    click.echo(result.tag)
                    continue
                rows = [
                    tuple(
                        format_value(v, t) or ""
                        for v, (_, t) in zip(r, result.columns, strict=True)
                    )
                    for r in result.rows or []
                ]
                click.echo(_format_table([n for n, _ in result.columns], rows))
        except Db9Error as exc:
            session.close()
            raise click.ClickException(f"{exc.message} (SQLSTATE {exc.sqlstate})") from None
        session.close()


@kv.command("gc")
@click.option(
    "--life-time",
    type=click.FloatRange(min=0),
    default=600.0,
    show_default=True,
    help="Keep versions newer than this many seconds.",
)
@_data_dir_option
def kv_gc(life_time: float, data_dir: str | None) -> None:
    """Garbage-collect versions older than --life-time seconds."""
    from kv.timestamp import compose, physical_ms

    with _client(data_dir) as c:
        now = c.backend.get_ts()
        report = collect_garbage(
            c.backend, compose(max(0, physical_ms(now) - int(life_time * 1000)))
        )
        click.echo(json.dumps(report.__dict__))


_register_cluster()


if __name__ == "__main__":
    main()
