"""``/v1/health`` and ``db9 health`` (the compose healthcheck) say healthy only once pgwire
accepts connections: a node whose pgwire is not up, or listens without serving, is not healthy."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from control.api import build_app
from control.plane import ControlPlane, RegistryAuthenticator
from kv.client import TxnClient
from pgwire.server import PgServer, PgServerConfig, probe
from tests.cluster.harness import ROOT, free_ports
from tests.kv.conftest import local_kv
from tests.pgwire.conftest import serving

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_health_is_503_until_pgwire_serves_then_200(tmp_path: Path) -> None:
    kv = local_kv()
    plane = ControlPlane(TxnClient(kv), kv, host="127.0.0.1", pg_port=5433, key=KEY)
    plane.bootstrap("pw")
    (port,) = free_ports(1)
    app = build_app(plane, ready=lambda: probe("127.0.0.1", port, timeout_s=0.5))
    with TestClient(app) as client:
        r = client.get("/v1/health")
        assert r.status_code == 503 and "does not accept connections" in r.json()["reason"]

        # Bound and listening, but nobody accepts: still not healthy.
        listener = socket.socket()
        listener.bind(("127.0.0.1", port))
        listener.listen(8)
        r = client.get("/v1/health")
        assert r.status_code == 503 and "does not answer" in r.json()["reason"], r.json()
        listener.close()

        config = PgServerConfig(
            port=port, require_tls=False
        )  # no TLS context: the probe needs none
        server = PgServer(RegistryAuthenticator(plane), config)
        with serving(server):
            r = client.get("/v1/health")
            assert (r.status_code, r.json()) == (200, {"status": "ok"})


def _compose_healthcheck() -> list[str]:
    text = (ROOT / "deploy" / "compose.yml").read_text()
    match = re.search(r"^\s*test: (\[.*\])\s*$", text, re.M)
    assert match, "no healthcheck test in deploy/compose.yml"
    return list(json.loads(match.group(1)))


def test_compose_healthcheck_passes_only_once_the_node_serves_sql(tmp_path: Path) -> None:
    """The compose healthcheck command, run as written against a real node (the image's
    /opt/db9/bin/db9 is this checkout's, the API port a free one)."""
    cmd = _compose_healthcheck()
    assert cmd[0] == "CMD"
    pg_port, api_port = free_ports(2)
    check = [sys.executable, "-m", "control.cli",
             *(a.replace(":8080", f":{api_port}") for a in cmd[2:])]  # fmt: skip
    assert cmd[1] == "/opt/db9/bin/db9" and check[3:5] == ["health", "--url"], cmd

    def healthy() -> bool:
        return subprocess.run(check, cwd=ROOT, capture_output=True, timeout=30).returncode == 0

    assert not healthy()  # nothing runs yet
    env = {**os.environ, "DB9_PASSWORD": "pw", "DB9_API_PORT": str(api_port)}
    server = subprocess.Popen(
        [sys.executable, "-m", "control.server", "--data-dir", str(tmp_path / "data"),
         "--pg-port", str(pg_port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not healthy():
            assert server.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        dsn = f"host=127.0.0.1 port={pg_port} dbname=postgres user=local.admin password=pw"
        with psycopg.connect(dsn, connect_timeout=5) as conn:  # at once: no retry needed
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        server.terminate()
        server.wait(30)
