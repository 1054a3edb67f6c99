"""The server process survives a mixed concurrent load: PostgreSQL's regression scripts from
several connections at once (DDL, DML, failing statements, cancels), as the memory soak runs
them (bench/memory_soak.py), for 45 s (``DB9_SURVIVE_SECONDS``; the soak runs longer).

Found by the soak: CPython 3.11 freed the inline attribute values of catalog objects that
sessions shared and deep-copied concurrently, and the server died of SIGSEGV in its garbage
collector within a minute or two. The server runs here with ``PYTHONMALLOC=malloc`` so a
use-after-free shows up in seconds rather than minutes, and with the fault handler on, so a
crash leaves its threads' stacks in the output this test reports.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import psycopg
import pytest

from bench import memory_soak as soak

SECONDS = float(os.environ.get("DB9_SURVIVE_SECONDS", "45"))


@pytest.mark.skipif(not soak.REGRESS.exists(), reason="no pg-regress scripts")
def test_server_survives_concurrent_regression_scripts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONMALLOC", "malloc")
    monkeypatch.setenv("PYTHONFAULTHANDLER", "1")
    scripts = {
        name: soak.statements(soak.REGRESS / f"{name}.sql")
        for name in ["test_setup", *soak.CORE]
        if (soak.REGRESS / f"{name}.sql").exists()
    }
    output: list[str] = []

    class Server(soak.Server):
        def _drain(self) -> None:  # keep the tail of the output for the report
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                output.append(line)
                del output[:-200]

    server = Server(tmp_path / "node", soak.free_port())
    stop = threading.Event()
    clients = [soak.Client(i, server.url, scripts, stop, 10.0) for i in range(6)]
    try:
        for c in clients:
            c.start()
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline and server.proc.poll() is None:
            for c in clients:
                c.watchdog()
            stop.wait(1.0)
        alive = server.proc.poll() is None
        assert alive, f"db9-server died ({server.proc.returncode}):\n" + "".join(output[-80:])
        stop.set()
        for c in clients:
            c.join(30)
            if c.is_alive():
                c.watchdog(force=True)
                c.join(10)
        with psycopg.connect(server.url, autocommit=True) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        done = sum(c.ok + c.failed for c in clients)
        assert done > 100, f"only {done} statements ran"
        # a connection drops only when the watchdog gave up on a statement that ignored cancel
        assert all(c.dropped <= c.abandoned for c in clients), [c.last_drop for c in clients]
    finally:
        stop.set()
        server.stop()
