"""The db9 command line. Every failure is one readable line on stderr and a non-zero exit."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import click

from control.cloud_cli import psql_table
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
    fn = click.option("--create", is_flag=True,
                      help="Make an empty store if the data directory holds none.")(fn)  # fmt: skip
    return click.option("--data-dir", default=None, help="Data directory (DB9_DATA_DIR).")(fn)


@contextmanager
def _client(data_dir: str | None, create: bool) -> Iterator[TxnClient]:
    """The store in the data directory, opened only if no server holds it and, unless
    ``create``, only if it is there: a mistyped or default directory must not become a new
    empty store."""
    path = ServerConfig.from_env(data_dir=data_dir).data_dir
    if not create and not os.path.exists(os.path.join(path, "data.mdb")):
        raise click.ClickException(_no_store(path))
    try:
        local = LocalKv.open(path)
    except Db9Error as exc:
        raise click.ClickException(_held(path) or str(exc)) from None
    try:
        yield TxnClient(local)
    except Db9Error as exc:
        raise click.ClickException(f"{exc} (SQLSTATE {exc.sqlstate})") from None
    finally:
        local.close()


def _no_store(path: str) -> str:
    from control import discovery

    why = "it does not exist" if not os.path.exists(path) else "it holds no data.mdb"
    servers = discovery.running()
    if not servers:
        return f"no db9 store in {path} ({why}); --create makes an empty one"
    return (f"no db9 store in {path} ({why}); the running db9 server keeps its data in "
            f"{servers[0].data_dir}: run SQL through it with db9 db sql")  # fmt: skip


def _held(path: str) -> str | None:
    """Why the store in ``path`` cannot be opened, if an announced server holds it."""
    from control import discovery

    for server in discovery.running():
        if os.path.realpath(server.data_dir) == os.path.realpath(path):
            return (f"data directory {path} is in use by the running db9 server (pid "
                    f"{server.pid}, API {server.api_url}): use db9 db sql, or stop it "
                    "first")  # fmt: skip
    return None


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "backslashreplace")


@kv.command("get")
@click.argument("key")
@_data_dir_option
def kv_get(key: str, data_dir: str | None, create: bool) -> None:
    """Print the value of KEY (exit 1 if absent)."""
    with _client(data_dir, create) as c:
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
def kv_put(key: str, value: str, data_dir: str | None, create: bool) -> None:
    """Set KEY to VALUE in one transaction."""
    with _client(data_dir, create) as c:
        txn = c.begin()
        txn.put(_bytes(key), _bytes(value))
        click.echo(f"committed at {txn.commit()}")


@kv.command("delete")
@click.argument("key")
@_data_dir_option
def kv_delete(key: str, data_dir: str | None, create: bool) -> None:
    """Delete KEY in one transaction."""
    with _client(data_dir, create) as c:
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
    start: str, end: str | None, limit: int, reverse: bool, as_json: bool,
    data_dir: str | None, create: bool,
) -> None:  # fmt: skip
    """List keys and values in [START, END)."""
    with _client(data_dir, create) as c:
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


@main.command("sql")
@click.option("-c", "--command", "command", default=None, help="SQL to run.")
@click.option("-f", "--file", "file", type=click.File("r"), default=None, help="SQL file.")
@_data_dir_option
def sql_command(
    command: str | None, file: click.utils.LazyFile | None, data_dir: str | None, create: bool
) -> None:
    """Run SQL against the local store's default database (the node must be stopped)."""
    from sql.database import Database
    from sql.layout import DEFAULT_DATABASE_ID, database_prefix
    from sql.session import Session
    from sql.types import format_value

    text = command if command is not None else (file.read() if file is not None else None)
    if text is None:
        raise click.UsageError("give SQL with -c or -f")
    with _client(data_dir, create) as c:
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
                click.echo(psql_table([n for n, _ in result.columns], rows))
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
def kv_gc(life_time: float, data_dir: str | None, create: bool) -> None:
    """Garbage-collect versions older than --life-time seconds."""
    from kv.timestamp import compose, physical_ms

    with _client(data_dir, create) as c:
        now = c.backend.get_ts()
        report = collect_garbage(
            c.backend, compose(max(0, physical_ms(now) - int(life_time * 1000)))
        )
        click.echo(json.dumps(report.__dict__))


_register_cluster()


if __name__ == "__main__":
    main()
