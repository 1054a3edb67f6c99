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


def start(
    data: Path, port: int, password: str | None = "pw-for-tests", seen: list[str] | None = None
) -> tuple[subprocess.Popen[str], str]:
    """The server, and the psql line of its banner (the output before it into ``seen``)."""
    env = {**os.environ, "DB9_API_PORT": "0"}
    env.pop("DB9_PASSWORD", None)
    if password is not None:
        env["DB9_PASSWORD"] = password
    proc = subprocess.Popen(
        [sys.executable, "-m", "control.server", "--data-dir", str(data), "--pg-port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        if seen is not None:
            seen.append(line.strip())
        if line.strip().startswith("psql "):
            return proc, line.strip()
    raise AssertionError(f"server exited without printing a connection string: {proc.wait()}")


def test_server_prints_connection_string_serves_and_restarts_durably(tmp_path: Path) -> None:
    data, port = tmp_path / "node", free_port()
    seen: list[str] = []
    proc, hint = start(data, port, seen=seen)
    url = f"postgresql://local.admin:pw-for-tests@127.0.0.1:{port}/postgres?sslmode=require"
    try:
        # the banner names the password, never shows it (it ends up in logs)
        assert f"local.admin:$DB9_PASSWORD@127.0.0.1:{port}/postgres?sslmode=require" in hint
        assert not any("pw-for-tests" in line for line in seen)
        # TLS is required, and the CA it prints lets a client verify the server (verify-full)
        ca = next(line.split(": ", 1)[1].split(" ")[0] for line in seen
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
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    proc, _ = start(data, port)
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


def test_data_dir_is_private_and_holds_no_password_and_the_banner_command_works(
    tmp_path: Path,
) -> None:
    """No DB9_PASSWORD: the generated password is in a 0600 file the banner's command reads;
    the directory is 0700, every file in it 0600, and the store holds no password."""
    data, port = tmp_path / "node", free_port()
    data.mkdir(mode=0o755)  # as an older version left it
    (data / "api-token").write_text("old\n")
    os.chmod(data / "api-token", 0o644)
    seen: list[str] = []
    proc, hint = start(data, port, password=None, seen=seen)
    try:
        password = (data / "admin-password").read_text().strip()
        assert not any(password in line for line in seen)
        assert f"$(cat {data}/admin-password)" in hint
        url = subprocess.run(  # the banner's URL as a shell expands it
            ["bash", "-c", "printf %s " + hint.removeprefix("psql ")],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        assert os.stat(data).st_mode & 0o777 == 0o700
        for root, dirs, files in os.walk(data):
            for d in dirs:
                assert os.stat(os.path.join(root, d)).st_mode & 0o777 == 0o700, d
            for f in files:
                assert os.stat(os.path.join(root, f)).st_mode & 0o777 == 0o600, f
        assert password.encode() not in (data / "data.mdb").read_bytes()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
