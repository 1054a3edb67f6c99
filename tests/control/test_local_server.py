"""The CLI finds the local server it talks to, and keeps its hands off the store a server
holds: a node started with any data directory announces its API URL and token file in the
user's runtime directory; ``db9`` with no DB9_* variables uses it; ``db9 sql`` refuses a store
in use, and does not make an empty one where none is."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from control.cli import main
from tests.control.test_server import ROOT, free_port


def clean_env(home: Path) -> dict[str, str]:
    """The environment of a user with no DB9_* variables, whose home is ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB9_", "XDG_"))}
    env.update(HOME=str(home), XDG_RUNTIME_DIR=str(home / "run"))
    return env


@dataclass
class Node:
    proc: subprocess.Popen[str]
    home: Path
    data: Path
    api_url: str

    def db9(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "control.cli", *args], cwd=ROOT,
                              env=clean_env(self.home), capture_output=True, text=True,
                              timeout=60)  # fmt: skip


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """A server whose data directory is not the default one, started by a user whose
    environment names no DB9_* setting."""
    home = tmp_path_factory.mktemp("home")
    (home / "run").mkdir(mode=0o700)
    data = tmp_path_factory.mktemp("elsewhere") / "node"
    api_port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "control.server", "--data-dir", str(data),
         "--pg-port", str(free_port()), "--api-port", str(api_port)],
        cwd=ROOT, env=clean_env(home), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("connect with"):
            break
    else:
        raise AssertionError(f"server exited: {proc.wait()}")
    try:
        yield Node(proc, home, data, f"http://127.0.0.1:{api_port}")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)


def test_cli_with_no_db9_variables_finds_a_server_started_with_another_data_dir(
    node: Node,
) -> None:
    res = node.db9("list", "--json")
    assert res.returncode == 0, res.stderr
    assert [d["name"] for d in json.loads(res.stdout)] == ["default"]
    assert node.db9("health").stdout == "ok\n"


def test_the_announcement_is_private_and_names_the_token_file_not_the_token(node: Node) -> None:
    [path] = (node.home / "run" / "db9").iterdir()
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert os.stat(path.parent).st_mode & 0o777 == 0o700
    token = (node.data / "api-token").read_text().strip()
    text = path.read_text()
    assert token not in text
    announced = json.loads(text)
    assert announced["api_url"] == node.api_url
    assert announced["token_file"] == str(node.data / "api-token")
    assert announced["pid"] == node.proc.pid


def test_db9_sql_on_the_store_a_server_holds_is_one_line_and_a_non_zero_exit(node: Node) -> None:
    res = node.db9("sql", "--data-dir", str(node.data), "-c", "SELECT 1")
    assert res.returncode == 1 and res.stdout == ""
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert "in use by the running db9 server" in res.stderr and "db9 db sql" in res.stderr


def test_db9_sql_makes_no_empty_store_in_the_default_dir_while_a_server_runs_elsewhere(
    node: Node,
) -> None:
    res = node.db9("sql", "-c", "SELECT 1")
    assert res.returncode == 1 and res.stdout == ""
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    default = node.home / ".local" / "share" / "db9"
    assert f"no db9 store in {default}" in res.stderr
    assert str(node.data) in res.stderr  # where the running server keeps its data
    assert not default.exists()


def test_a_clean_shutdown_withdraws_the_announcement(node: Node) -> None:
    node.proc.send_signal(signal.SIGTERM)
    assert node.proc.wait(30) == 0
    assert list((node.home / "run" / "db9").iterdir()) == []


def test_an_announcement_of_a_process_that_is_gone_is_ignored_and_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from control import discovery

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    gone = subprocess.Popen(["true"])
    gone.wait()
    path = discovery.announce("http://127.0.0.1:9", str(tmp_path / "api-token"), str(tmp_path),
                              pid=gone.pid)  # fmt: skip
    unanswered = discovery.announce("http://127.0.0.1:9", "", str(tmp_path))  # this process
    assert discovery.running() == []
    assert not os.path.exists(path)
    assert os.path.exists(unanswered)  # alive, perhaps still starting: left alone
    discovery.withdraw(unanswered)
    assert list((tmp_path / "db9").iterdir()) == []


def test_store_commands_do_not_create_a_missing_store_unless_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))  # no server announced
    d = tmp_path / "db"
    result = CliRunner().invoke(main, ["sql", "--data-dir", str(d), "-c", "SELECT 1"])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: no db9 store in {d} (it does not exist); --create makes an empty one"
    )
    assert not d.exists()
    assert CliRunner().invoke(main, ["kv", "get", "k", "--data-dir", str(d)]).exit_code == 1
    assert not d.exists()
    result = CliRunner().invoke(main, ["sql", "--data-dir", str(d), "--create", "-c", "SELECT 1"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "(1 row)"
