"""db9-server's shutdown, as an operator sees it: SIGTERM with slow statements running (over
pgwire and the REST API) ends the process within 5 s with exit code 0, every session gets
FATAL 57P01, and a second signal during shutdown changes nothing."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.cluster.harness import LocalCluster
from tests.control.test_server import ROOT, free_port

SLOW = "SELECT count(*) FROM generate_series(1, 20000) a, generate_series(1, 20000) b"


@dataclass
class Node:
    proc: subprocess.Popen[str]
    url: str
    api_port: int
    data: Path

    def metric(self, name: str) -> float:
        conn = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=5)
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
        conn.close()
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        raise AssertionError(f"{name} not in /metrics")

    def wait_running(self, n: int) -> None:
        deadline = time.monotonic() + 20
        while self.metric("db9_statements_running") != n:
            assert time.monotonic() < deadline, "statements did not start"
            time.sleep(0.02)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    data, port, api_port = tmp_path / "node", free_port(), free_port()
    env = {**os.environ, "DB9_PASSWORD": "pw-for-tests", "DB9_API_PORT": str(api_port),
           "DB9_MAX_STATEMENTS": "16"}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "control.server", "--data-dir", str(data), "--pg-port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip().startswith("psql "):
            break
    else:
        raise AssertionError(f"server exited: {proc.wait()}")
    threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep the pipe drained
    url = f"postgresql://local.admin:pw-for-tests@127.0.0.1:{port}/postgres?sslmode=require"
    yield Node(proc, url, api_port, data)
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def slow_rest_call(node: Node) -> socket.socket:
    """A REST /sql call running SLOW, left waiting for its answer."""
    token = (node.data / "api-token").read_text().strip()
    body = json.dumps({"query": SLOW}).encode()
    sock = socket.create_connection(("127.0.0.1", node.api_port), timeout=10)
    sock.sendall(
        b"POST /v1/databases/default/sql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    return sock


def test_sigterm_interrupts_statements_and_ends_sessions_with_57P01(node: Node) -> None:
    conns = [psycopg.connect(node.url, autocommit=True) for _ in range(4)]
    in_block = psycopg.connect(node.url)  # a transaction block with a write, then slow
    in_block.execute("CREATE TABLE t (id int)")
    conns.append(in_block)
    errors: dict[int, BaseException | None] = {}

    def run(i: int) -> None:
        try:
            conns[i].execute(SLOW)
            errors[i] = None
        except BaseException as exc:
            errors[i] = exc

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(5)]
    for t in threads:
        t.start()
    idle = psycopg.connect(node.url, autocommit=True)
    idle.execute("SELECT 1")
    rest = slow_rest_call(node)
    node.wait_running(6)

    start = time.monotonic()
    node.proc.send_signal(signal.SIGTERM)
    assert node.proc.wait(5) == 0
    assert time.monotonic() - start < 5.0

    for t in threads:
        t.join(5)
    for i in range(5):
        exc = errors[i]
        assert isinstance(exc, psycopg.errors.AdminShutdown), repr(exc)
        assert exc.sqlstate == "57P01"
        assert "terminating connection due to administrator command" in str(exc)
    with pytest.raises(psycopg.OperationalError) as idle_err:  # told, or at least cut off
        idle.execute("SELECT 1")
    assert idle_err.value.sqlstate in ("57P01", None)
    answer = rest.recv(65536).decode()
    assert answer.startswith("HTTP/1.1 503") and "57P01" in answer, answer


def test_second_signal_during_shutdown_does_not_hang(node: Node) -> None:
    conns = [psycopg.connect(node.url, autocommit=True) for _ in range(3)]
    threads = []
    for conn in conns:
        t = threading.Thread(target=lambda c=conn: _ignore(c.execute, SLOW), daemon=True)
        t.start()
        threads.append(t)
    node.wait_running(3)
    start = time.monotonic()
    node.proc.send_signal(signal.SIGTERM)
    node.proc.send_signal(signal.SIGINT)
    node.proc.send_signal(signal.SIGTERM)
    assert node.proc.wait(5) == 0
    assert time.monotonic() - start < 5.0


def _ignore(fn: object, *args: object) -> None:
    with contextlib.suppress(psycopg.Error):
        fn(*args)  # type: ignore[operator]


def test_sigterm_before_a_cluster_node_has_a_quorum_ends_it(tmp_path: Path) -> None:
    """A node whose peers are down retries its bootstrap for minutes: SIGTERM must not wait."""
    cluster = LocalCluster.create(tmp_path, 3)
    node = cluster.nodes[0]
    cluster.start(node)
    assert node.proc is not None
    try:
        host, port = node.raft_addr.rsplit(":", 1)
        deadline = time.monotonic() + 30
        while True:  # Raft is listening: the node is up and bootstrapping, with no quorum
            with contextlib.suppress(OSError), socket.create_connection((host, int(port)), 1):
                break
            assert time.monotonic() < deadline and node.proc.poll() is None
            time.sleep(0.05)
        start = time.monotonic()
        node.proc.send_signal(signal.SIGTERM)
        assert node.proc.wait(5) == 0
        assert time.monotonic() - start < 5.0
    finally:
        cluster.stop_all()


def test_a_fatal_signal_leaves_every_threads_stack_in_the_log(tmp_path: Path) -> None:
    """A node killed by SIGBUS (a mapped file that cannot be read) or SIGSEGV said nothing
    before: a wiped member of the fault tests vanished after installing its snapshot with
    no line in its log. Now its log names the signal and holds every thread's stack."""
    log_path, port = tmp_path / "server.log", free_port()
    env = {**os.environ, "DB9_PASSWORD": "pw-for-tests", "DB9_API_PORT": "0"}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "control.server", "--data-dir", str(tmp_path / "node"),
             "--pg-port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while "psql " not in log_path.read_text(errors="replace"):
            assert proc.poll() is None, log_path.read_text(errors="replace")
            assert time.monotonic() < deadline, "the node did not start"
            time.sleep(0.1)
        proc.send_signal(signal.SIGBUS)
        assert proc.wait(30) != 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log_path.read_text(errors="replace")
    assert "Fatal Python error: Bus error" in text, text[-2000:]
    assert text.count("Thread 0x") >= 2, text[-2000:]  # every thread, not only the main one


def test_sigusr1_writes_every_threads_stack_to_the_log_and_the_node_goes_on(
    tmp_path: Path,
) -> None:
    """A node that stops making progress said nothing of what it was doing: the fault tests
    stopped a wiped member stuck after its snapshot with no trace. ``dump_stacks`` (sent by
    the fault runner before it stops nodes that did not recover) leaves each live node's
    threads in its log, and the node keeps serving."""
    cluster = LocalCluster.create(tmp_path, 1)
    cluster.start_all()
    try:
        node = cluster.wait_leader(timeout_s=60)
        cluster.wait_pgwire(node)
        cluster.dump_stacks()
        text = (node.data_dir / "server.log").read_text(errors="replace")
        assert text.count("Thread 0x") >= 2, text[-2000:]  # every thread, not only the main
        assert "raft" in text.split("Thread 0x", 1)[1].lower(), text[-2000:]  # the Raft loop
        with psycopg.connect(node.dsn(), autocommit=True) as conn:
            assert conn.execute("SELECT 41 + 1").fetchone() == (42,)
        assert node.proc is not None and node.proc.poll() is None
    finally:
        cluster.stop_all()
