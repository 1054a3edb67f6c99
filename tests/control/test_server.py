"""db9-server as a user runs it: it prints how to connect, serves SQL, stops cleanly on
SIGTERM, and finds its data again after a restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(data: Path, port: int) -> tuple[subprocess.Popen[str], str, list[str]]:
    """The server, its first connection string, and what it printed before that."""
    env = {**os.environ, "DB9_PASSWORD": "pw-for-tests", "DB9_API_PORT": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "control.server", "--data-dir", str(data), "--pg-port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    before: list[str] = []
    for line in proc.stdout:
        if line.strip().startswith("psql "):
            return proc, line.strip(), before
        before.append(line.strip())
    raise AssertionError(f"server exited without printing a connection string: {proc.wait()}")


def test_server_prints_connection_string_serves_and_restarts_durably(tmp_path: Path) -> None:
    data, port = tmp_path / "node", free_port()
    proc, hint, before = start(data, port)
    assert f"local.admin:pw-for-tests@127.0.0.1:{port}/postgres?sslmode=require" in hint
    url = f"postgresql://local.admin:pw-for-tests@127.0.0.1:{port}/postgres?sslmode=require"
    # TLS is required, and the CA it prints lets a client verify the server (verify-full)
    ca = next(line.split(": ", 1)[1].split(" ")[0] for line in before
              if line.startswith("TLS CA certificate: "))  # fmt: skip
    assert ca == str(data / "tls" / "ca.crt")
    base = f"postgresql://local.admin:pw-for-tests@localhost:{port}/postgres"
    with psycopg.connect(f"{base}?sslmode=verify-full&sslrootcert={ca}") as conn:
        assert conn.pgconn.ssl_in_use
    with pytest.raises(psycopg.OperationalError, match="requires TLS"):
        psycopg.connect(f"{base}?sslmode=disable")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (id int PRIMARY KEY, v text)")
        conn.execute("INSERT INTO kept VALUES (1, 'still here')")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    proc, _, _ = start(data, port)
    try:
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT v FROM kept").fetchall() == [("still here",)]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0


def test_server_refuses_a_busy_port_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {**os.environ, "DB9_PASSWORD": "x", "DB9_API_PORT": "0"}
        res = subprocess.run(
            [sys.executable, "-m", "control.server", "--data-dir", str(tmp_path / "n"),
             "--pg-port", str(port)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert res.returncode == 1
    assert "db9-server:" in res.stderr or "db9-server:" in res.stdout
