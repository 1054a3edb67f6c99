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
