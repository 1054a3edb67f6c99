"""deploy/compose.yml really starts a cluster: every node turns healthy only once it serves SQL
and the operator token sees the default database on each; a write through node1 is served by
node3, and the cluster survives `compose stop` of the leader.

Builds images (a local Debian base when no registry is reachable), so it runs only with
DB9_TEST_COMPOSE=1:  DB9_TEST_COMPOSE=1 .venv/bin/python -m pytest tests/cluster/test_compose.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "deploy" / "compose.yml"
PASSWORD = "compose-test-password"

pytestmark = pytest.mark.skipif(
    os.environ.get("DB9_TEST_COMPOSE") != "1", reason="builds Docker images; DB9_TEST_COMPOSE=1"
)


def compose_cmd() -> list[str]:
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.skip("neither docker compose nor docker-compose is installed")


def run(args: list[str], env: dict[str, str], timeout: float = 900) -> str:
    res = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, (
        f"{' '.join(args)} failed:\n{res.stdout[-2000:]}{res.stderr[-3000:]}"
    )
    return res.stdout


def dsn(port: int) -> str:
    return (f"host=127.0.0.1 port={port} dbname=postgres user=local.admin "
            f"password={PASSWORD} sslmode=require connect_timeout=5")  # fmt: skip


def cluster_status(compose: list[str], env: dict[str, str], service: str) -> dict[str, object]:
    out = run([*compose, "-f", str(COMPOSE_FILE), "exec", "-T", service, "/opt/db9/bin/db9",
               "cluster", "status", "--json", "--grpc", "127.0.0.1:7100"], env, 60)  # fmt: skip
    return dict(json.loads(out))


def all_healthy(compose: list[str], env: dict[str, str]) -> bool:
    for service in ("node1", "node2", "node3"):
        cid = run([*compose, "-f", str(COMPOSE_FILE), "ps", "-q", service], env, 60).strip()
        state = run(["docker", "inspect", "--format", "{{.State.Health.Status}}", cid], env, 60)
        if state.strip() != "healthy":
            return False
    return True


def wait_for(fn, timeout_s: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = fn()
            if value:
                return value
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(1)
    raise AssertionError(f"{what} did not happen in {timeout_s}s: {last}")


def test_compose_cluster_elects_replicates_and_survives_the_leader_stopping() -> None:
    compose = compose_cmd()
    env = {**os.environ, "DB9_PASSWORD": PASSWORD, "DB9_CLUSTER_SECRET": "compose-test-secret",
           "DB9_API_TOKEN": "compose-test-api-token",
           "COMPOSE_PROJECT_NAME": "db9test"}  # fmt: skip
    if not os.environ.get("DB9_BASE_IMAGE"):
        run([str(ROOT / "deploy" / "build-base-image.sh")], env)
        env["DB9_BASE_IMAGE"] = "db9-base:bookworm"
    base = [*compose, "-f", str(COMPOSE_FILE)]
    run([*base, "down", "-v"], env)
    try:
        run([*base, "up", "-d", "--build"], env, timeout=1800)
        # "healthy" means the node serves SQL: connect at once, no retry, and the operator
        # token sees the default database through every node's API.
        wait_for(lambda: all_healthy(compose, env), 180, "every node healthy")
        import httpx

        for pg_port, api_port in ((15433, 18080), (25433, 28080), (35433, 38080)):
            with psycopg.connect(dsn(pg_port), autocommit=True) as c:
                assert c.execute("SELECT 1").fetchone() == (1,)
            listed = httpx.get(
                f"http://127.0.0.1:{api_port}/v1/databases",
                timeout=30,
                headers={"Authorization": f"Bearer {env['DB9_API_TOKEN']}"},
            )
            assert "default" in [d["name"] for d in listed.json()], listed.text
        leader = wait_for(lambda: cluster_status(compose, env, "node1").get("leader"), 120,
                          "leader election")  # fmt: skip
        with wait_for(lambda: psycopg.connect(dsn(15433), autocommit=True), 60, "node1") as c1:
            c1.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
            c1.execute("INSERT INTO t VALUES (1, 'through node1')")
        with wait_for(lambda: psycopg.connect(dsn(35433), autocommit=True), 60, "node3") as c3:
            assert c3.execute("SELECT v FROM t WHERE id = 1").fetchone() == ("through node1",)
        # The REST API of node2 creates a database whose connection string works from here.
        import httpx

        token = env["DB9_API_TOKEN"]
        created = httpx.post(
            "http://127.0.0.1:28080/v1/databases",
            json={"name": "viaapi"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert created.status_code == 201, created.text
        with psycopg.connect(created.json()["connection_string"], connect_timeout=10) as c:
            assert c.execute("SELECT 1").fetchone() == (1,)
        leader_service = "node" + str(leader).split(":")[0].removeprefix("node")
        run([*base, "stop", leader_service], env)
        survivor = next(p for s, p in (("node1", 15433), ("node2", 25433), ("node3", 35433))
                        if s != leader_service)  # fmt: skip

        def write_after_stop() -> bool:
            with psycopg.connect(dsn(survivor), autocommit=True) as c:
                c.execute("INSERT INTO t VALUES (2, 'after the leader stopped')")
                return c.execute("SELECT count(*) FROM t").fetchone() == (2,)

        assert wait_for(write_after_stop, 60, "a write after stopping the leader")
        run([*base, "start", leader_service], env)
        # The restarted node catches up, and all three hold the same data.
        check = [*base, "exec", "-T", "node1", "/opt/db9/bin/db9", "cluster", "check",
                 "--grpc", "node1:7100,node2:7100,node3:7100"]  # fmt: skip
        wait_for(lambda: "OK: every member holds the same data" in run(check, env, 180), 180,
                 "a consistency check of all three nodes")  # fmt: skip
    finally:
        subprocess.run([*base, "logs", "--tail", "30"], cwd=ROOT, env=env)
        run([*base, "down", "-v"], env)
