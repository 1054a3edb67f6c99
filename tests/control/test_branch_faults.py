"""Branch creation's slow and failing paths, seen from outside: a real db9-server with an
injected fault in the branch step (``--fault-branch`` / DB9_FAULT_BRANCH) is SIGKILLed while a
branch is CREATING, and once restarted its reconciler, with no new request, finishes the branch
(ACTIVE) or fails it (CREATE_FAILED) with a readable ``state_reason``. Also the operator
settings the server has for them (``--branch-timeout``, ``--token-ttl-minutes``)."""

from __future__ import annotations

import calendar
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from control.cli import main as db9
from control.config import BranchFault, ServerConfig
from control.server import main as server_main
from tests.control.test_server import ROOT, free_port

# Not re-executed under jemalloc (control/allocator.py): each start imports the server once.
FAST_START = {"DB9_ALLOCATOR": "pymalloc"}


@dataclass
class Node:
    """One db9-server, restartable on the same data directory and ports."""

    data: Path
    pg_port: int = field(default_factory=free_port)
    api_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[str] | None = None

    def start(self, *flags: str, **env: str) -> None:
        """Start the server (``env``: DB9_* variables) and wait for its banner."""
        full = {**os.environ, **FAST_START, "DB9_PASSWORD": "pw-for-tests",
                "DB9_API_PORT": str(self.api_port), **env}  # fmt: skip
        for name in ("DB9_FAULT_BRANCH", "DB9_BRANCH_TIMEOUT_S", "DB9_TOKEN_TTL_MINUTES"):
            if name not in env:
                full.pop(name, None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "control.server", "--data-dir", str(self.data),
             "--pg-port", str(self.pg_port), *flags],
            cwd=ROOT, env=full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.strip().startswith("psql "):
                break
        else:
            raise AssertionError(f"server exited: {self.proc.wait()}")
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()  # keep it drained

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    @property
    def env(self) -> dict[str, str]:
        """What the db9 CLI needs to reach this node."""
        token = (self.data / "api-token").read_text().strip()
        return {"DB9_API_URL": f"http://127.0.0.1:{self.api_port}", "DB9_TOKEN": token}

    def call(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        headers = {"Authorization": f"Bearer {self.env['DB9_TOKEN']}"}
        r = httpx.request(method, f"http://127.0.0.1:{self.api_port}{path}", json=body,
                          headers=headers, timeout=30)  # fmt: skip
        assert r.status_code == status, r.text
        return r.json()

    def wait_state(self, name: str, timeout_s: float = 30.0) -> dict[str, Any]:
        """The database's record once it is no longer CREATING."""
        deadline = time.monotonic() + timeout_s
        while True:
            rec: dict[str, Any] = self.call("GET", f"/v1/databases/{name}")
            if rec["state"] != "CREATING":
                return rec
            assert time.monotonic() < deadline, f"{name} still CREATING after {timeout_s}s"
            time.sleep(0.1)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    n = Node(tmp_path / "node")
    yield n
    if n.proc is not None and n.proc.poll() is None:
        n.kill()


def branch_left_creating(node: Node) -> None:
    """Database main with 20 rows, and its branch pr-1 CREATING (the node runs with the
    branch step delayed for 10 minutes) when the node is killed."""
    node.start(DB9_FAULT_BRANCH="delay:600")
    node.call("POST", "/v1/databases", {"name": "main"}, 201)
    node.call("POST", "/v1/databases/main/sql", {"query": "CREATE TABLE t (id int PRIMARY KEY);"
              " INSERT INTO t SELECT g FROM generate_series(1, 20) g"})  # fmt: skip
    rec = node.call("POST", "/v1/databases/main/branches", {"name": "pr-1"}, 202)
    assert rec["state"] == "CREATING"
    assert node.call("GET", "/v1/databases/pr-1")["state"] == "CREATING"
    node.kill()


def test_a_branch_creating_when_the_node_was_killed_is_finished_after_restart(
    node: Node,
) -> None:
    branch_left_creating(node)
    node.start()  # the fault is off: the reconciler's first pass finishes the branch
    rec = node.wait_state("pr-1")
    assert (rec["state"], rec["state_reason"]) == ("ACTIVE", None)
    out = node.call("POST", "/v1/databases/pr-1/sql", {"query": "SELECT count(*) FROM t"})
    assert out["results"][0]["rows"] == [[20]]


def test_a_branch_creating_when_the_node_was_killed_fails_with_the_injected_reason(
    node: Node,
) -> None:
    branch_left_creating(node)
    node.start(DB9_FAULT_BRANCH="fail:parent snapshot unreadable (injected)")
    rec = node.wait_state("pr-1")
    assert (rec["state"], rec["state_reason"]) == (
        "CREATE_FAILED", "parent snapshot unreadable (injected)")  # fmt: skip
    # as the product's CI guide reads it: db9 db status "$BRANCH" --json | jq .state_reason
    result = CliRunner().invoke(db9, ["db", "status", "pr-1", "--json"], env=node.env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["state_reason"] == "parent snapshot unreadable (injected)"


def test_a_restarted_node_fails_a_branch_past_its_branch_timeout_naming_it(node: Node) -> None:
    """The reconciler uses the server's --branch-timeout: a branch still in its (injected)
    10-minute step fails after 1 s, with a reason naming the setting."""
    branch_left_creating(node)
    node.start("--branch-timeout", "1", DB9_FAULT_BRANCH="delay:600")
    rec = node.wait_state("pr-1")
    assert rec["state"] == "CREATE_FAILED"
    assert (
        rec["state_reason"] == "branch creation timed out after 1s (the server's --branch-timeout)"
    )


def test_connect_tokens_default_to_the_servers_lifetime_setting(node: Node) -> None:
    node.start("--token-ttl-minutes", "5")

    def lifetime_min(*args: str) -> float:
        """The token's lifetime: its expiry less the time of the request (in whole seconds)."""
        before = time.time()
        result = CliRunner().invoke(db9, ["db", "connect-token", "default", *args], env=node.env)
        after = time.time()
        assert result.exit_code == 0, result.output
        expires_at = json.loads(result.stdout)["expires_at"]
        expires = calendar.timegm(time.strptime(expires_at, "%Y-%m-%dT%H:%M:%SZ"))
        for ttl in (5, 12):
            if int(before) <= expires - ttl * 60 <= after:
                return ttl
        raise AssertionError(f"expires {expires}, requested in [{before}, {after}]")

    assert lifetime_min() == 5  # the server's, not the CLI's own 10
    assert lifetime_min("--ttl", "12") == 12


def test_the_rest_api_answers_once_the_banner_is_printed(node: Node) -> None:
    """Scripts (and these tests) start the server, wait for its banner, then call the API."""
    node.start()
    assert httpx.get(f"http://127.0.0.1:{node.api_port}/v1/health", timeout=30).status_code == 200


def test_help_lists_the_settings_with_their_variables() -> None:
    result = CliRunner().invoke(server_main, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    for flag, variable in (("--branch-timeout", "DB9_BRANCH_TIMEOUT_S"),
                           ("--token-ttl-minutes", "DB9_TOKEN_TTL_MINUTES"),
                           ("--fault-branch", "DB9_FAULT_BRANCH")):  # fmt: skip
        line = next(ln for ln in result.stdout.splitlines() if flag in ln)
        assert variable in result.stdout[result.stdout.index(line) :].split("\n  -")[0], flag


def test_bad_settings_are_refused_with_one_line_and_exit_1(tmp_path: Path) -> None:
    data = str(tmp_path / "n")
    res = subprocess.run(
        [sys.executable, "-m", "control.server", "--data-dir", data, "--token-ttl-minutes", "20"],
        cwd=ROOT, env={**os.environ, **FAST_START, "DB9_API_PORT": "0"}, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert res.returncode == 1, res
    assert res.stderr.strip().splitlines() == [
        "db9-server: --token-ttl-minutes (DB9_TOKEN_TTL_MINUTES) must be 5 to 15, not 20"
    ]
    fault_spec = "--fault-branch (DB9_FAULT_BRANCH) is delay:SECONDS, fail[:REASON] or " \
        "delay:SECONDS,fail[:REASON], not "  # fmt: skip
    for env, message in (
        ({"DB9_TOKEN_TTL_MINUTES": "4"},
         "--token-ttl-minutes (DB9_TOKEN_TTL_MINUTES) must be 5 to 15, not 4"),
        ({"DB9_BRANCH_TIMEOUT_S": "soon"}, "DB9_BRANCH_TIMEOUT_S: not a number: 'soon'"),
        ({"DB9_BRANCH_TIMEOUT_S": "0"},
         "--branch-timeout (DB9_BRANCH_TIMEOUT_S) must be above 0 seconds, not 0"),
        ({"DB9_FAULT_BRANCH": "slow:3"}, fault_spec + "'slow:3'"),
        ({"DB9_FAULT_BRANCH": "delay:-1"}, fault_spec + "'delay:-1'"),
        ({"DB9_FAULT_BRANCH": "delay:2,stop"}, fault_spec + "'delay:2,stop'"),
    ):  # fmt: skip
        with pytest.raises(ValueError) as err:
            ServerConfig.from_env(env, data_dir=data)
        assert str(err.value) == message
    config = ServerConfig.from_env({"DB9_FAULT_BRANCH": "delay:2.5,fail:no: space"}, data_dir=data)
    assert config.branch_fault == BranchFault(2.5, "no: space")
