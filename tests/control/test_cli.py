"""The db9 CLI's store and SQL commands: results on stdout, failures as one line and a
non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from control import cloud_cli
from control.cli import main
from kv.engine.lmdb import LmdbEngine
from tests.control.test_api import setup as setup


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_put_get_scan_delete_round_trip(tmp_path: Path) -> None:
    d = str(tmp_path / "db")
    assert run("kv", "put", "greeting", "hello", "--data-dir", d, "--create")[0] == 0
    assert run("kv", "put", "guest", "x", "--data-dir", d)[0] == 0
    assert run("kv", "get", "greeting", "--data-dir", d)[1] == "hello\n"
    code, out, _ = run("kv", "scan", "--start", "g", "--json", "--data-dir", d)
    assert code == 0
    assert [json.loads(line)["key"] for line in out.splitlines()] == ["greeting", "guest"]
    assert run("kv", "delete", "greeting", "--data-dir", d)[0] == 0
    code, _, err = run("kv", "get", "greeting", "--data-dir", d)
    assert code == 1
    assert err.strip() == "db9: key 'greeting' not found"


def test_store_in_use_by_a_running_node_is_one_clear_line(tmp_path: Path) -> None:
    d = str(tmp_path / "db")
    held = LmdbEngine(d)
    code, out, err = run("kv", "get", "k", "--data-dir", d)
    held.close()
    assert code != 0
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "in use by another process" in err


def test_bad_arguments_exit_non_zero(tmp_path: Path) -> None:
    code, _, err = run("kv", "scan", "--limit", "0", "--data-dir", str(tmp_path / "db"))
    assert code == 2
    assert "limit" in err.lower()


def test_sql_runs_statements_and_prints_psql_style_tables(tmp_path: Path) -> None:
    d = str(tmp_path / "db")
    code, out, _ = run(
        "sql",
        "--data-dir",
        d,
        "--create",
        "-c",
        "CREATE TABLE t (id int PRIMARY KEY, name text); INSERT INTO t VALUES (1, 'ann');"
        "SELECT * FROM t",
    )
    assert code == 0
    assert out.splitlines() == [
        "CREATE TABLE",
        "INSERT 0 1",
        "id | name",
        "---+-----",
        "1  | ann ",
        "(1 row)",
    ]


def test_sql_error_is_one_line_with_its_sqlstate(tmp_path: Path) -> None:
    d = str(tmp_path / "db")
    code, out, err = run("sql", "--data-dir", d, "--create", "-c", "SELECT nosuch")
    assert out == ""
    assert code == 1
    assert err.strip() == 'Error: column "nosuch" does not exist (SQLSTATE 42703)'


def test_db_sql_prints_column_names_as_the_query_returns_them(
    setup: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As psql does: headers as returned (not upper-cased), a value 0 or false shown, NULL
    empty, a duplicate column name kept."""
    client, _, token = setup

    def request(method: str, url: str, **kwargs: Any) -> Any:
        kwargs.pop("timeout", None)
        return client.request(method, url.removeprefix("http://db9-api.test"), **kwargs)

    monkeypatch.setattr(cloud_cli.httpx, "request", request)
    env = {"DB9_API_URL": "http://db9-api.test", "DB9_TOKEN": token}
    query = 'SELECT 0 AS "MixedCase", false AS flag, NULL::int AS n, 1 AS a, 2 AS a'
    result = CliRunner().invoke(main, ["db", "sql", "default", "-q", query], env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "MixedCase | flag | n | a | a",
        "----------+------+---+---+--",
        "0         | f    |   | 1 | 2",
        "(1 row)",
    ]


def test_cluster_commands_answer_bad_input_with_one_line_and_an_exit_code() -> None:
    import socket
    import time

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{s.getsockname()[1]}"
    code, _, err = run("cluster", "readmit", "garbage", "--grpc", dead)
    assert code == 2 and "RAFT_ADDR must be HOST:PORT" in err
    started = time.monotonic()
    code, _, err = run("cluster", "readmit", "127.0.0.1:7002", "--grpc", dead)
    assert code == 1 and "no cluster node could serve" in err
    assert time.monotonic() - started < 30  # not the 300 s catch-up budget
    code, _, err = run("cluster", "check", "--grpc", dead)
    assert code == 1 and "cannot start the check" in err
