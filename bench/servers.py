"""The servers and the pgbench driver the benchmarks share: a fresh db9 server in a subprocess,
a private PostgreSQL 15 on a TCP port, and pgbench run against either, with its output parsed.

Both servers listen on 127.0.0.1 without TLS; PostgreSQL runs with default settings and fsync
on, db9 with its defaults (fsync on every commit) unless a caller overrides its environment.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.sql.pg import postgres_server


@dataclass(frozen=True)
class Server:
    """A running server: how to reach it, and (db9 only) its process id and log file."""

    name: str
    conninfo: str
    password: str
    pid: int = 0
    log: Path | None = field(default=None)

    def env(self) -> dict[str, str]:
        return {**os.environ, "PGPASSWORD": self.password}


def pgbench(server: Server, *args: str) -> str:
    res = subprocess.run(
        ["pgbench", *args, server.conninfo], env=server.env(), capture_output=True, text=True
    )
    if res.returncode != 0 and "tps = " not in res.stdout:
        raise SystemExit(f"pgbench {' '.join(args)} failed: {res.stderr.strip()[-500:]}")
    return res.stdout


def tps(output: str) -> float:
    m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", output)
    if not m:
        raise SystemExit(f"no tps in pgbench output:\n{output}")
    return float(m.group(1))


def latency_ms(output: str) -> float:
    m = re.search(r"latency average = ([\d.]+) ms", output)
    if not m:
        raise SystemExit(f"no latency in pgbench output:\n{output}")
    return float(m.group(1))


def failed(output: str) -> int:
    m = re.search(r"number of failed transactions: (\d+)", output)
    return int(m.group(1)) if m else 0


def serialization_failures(output: str) -> int:
    """40001 failures (``--failures-detailed``)."""
    m = re.search(r"number of serialization failures: (\d+)", output)
    return int(m.group(1)) if m else 0


def _drain(stream: object, path: Path) -> None:
    """Copy the server's output to ``path`` (so the pipe never fills)."""
    with path.open("a") as out:
        for line in stream:  # type: ignore[attr-defined]
            out.write(line)
            out.flush()


@contextmanager
def db9_server(
    port: int, root: str | None = None, env: Mapping[str, str] | None = None
) -> Iterator[Server]:
    """A fresh single-node db9 server on ``port`` (no REST API), run from the checkout at
    ``root`` (default: this one), its environment extended by ``env``; its output goes to
    ``<data dir>/server.log`` (the data directory is removed when the server stops). GC
    passes are off unless ``env`` sets ``DB9_GC_INTERVAL_S``: a pass would land in
    whichever server's cell is running."""
    data = tempfile.mkdtemp(prefix="db9-bench-")
    full_env = {
        **os.environ,
        "DB9_PASSWORD": "bench",
        "DB9_API_PORT": "0",
        "DB9_GC_INTERVAL_S": "3600",
        **(env or {}),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "control.server", "--data-dir", data, "--pg-port", str(port),
         "--allow-plaintext"],
        env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=root,
    )  # fmt: skip
    log = Path(data) / "server.log"
    try:
        assert server.stdout is not None
        with log.open("w") as out:
            for line in server.stdout:
                out.write(line)
                if "connect with" in line:
                    break
            else:
                raise SystemExit(f"db9 server on port {port} exited: {log.read_text()[-2000:]}")
        threading.Thread(target=_drain, args=(server.stdout, log), daemon=True).start()
        conninfo = f"host=127.0.0.1 port={port} user=local.admin dbname=postgres sslmode=disable"
        yield Server("db9", conninfo, "bench", server.pid, log)
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:  # a statement that ignores the shutdown: a finding,
            server.kill()  # but the benchmark goes on
            server.wait(30)
        shutil.rmtree(data, ignore_errors=True)


@contextmanager
def pg_server(port: int) -> Iterator[Server]:
    """A private PostgreSQL 15 on ``port`` with default settings and fsync on."""
    with postgres_server(f"-c listen_addresses=127.0.0.1 -p {port} -c fsync=on"):
        yield Server("postgresql", f"host=127.0.0.1 port={port} user=postgres dbname=postgres", "")


def free_base(count: int) -> int:
    """The first of ``count`` consecutive free TCP ports on 127.0.0.1."""
    for _ in range(200):
        base = random.randrange(20_000, 60_000)
        socks = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port range")
