"""The product guide's CI workflows run as written against a local db9-server, with only
DB9_API_URL and DB9_TOKEN set (tests/control/seeds/*.sh)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.skipif(not shutil.which("jq") or not shutil.which("psql"), reason="needs jq, psql")
def test_ci_ephemeral_database_guide_runs_as_written(tmp_path: Path) -> None:
    pg_port, api_port = free_port(), free_port()
    env = {**os.environ, "DB9_PASSWORD": "seed-pw", "DB9_API_PORT": str(api_port)}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "control.server",
            "--data-dir",
            str(tmp_path / "data"),
            "--pg-port",
            str(pg_port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        for line in server.stdout:
            if "connect with" in line:
                break
        token = (tmp_path / "data" / "api-token").read_text().strip()
        bin_dir = str(Path(sys.executable).parent)
        clean = {k: v for k, v in os.environ.items() if not k.startswith("DB9_")}
        run_env = {
            **clean,
            "PATH": f"{bin_dir}:{clean['PATH']}",
            "DB9_API_URL": f"http://127.0.0.1:{api_port}",
            "DB9_TOKEN": token,
        }
        res = subprocess.run(
            ["bash", str(HERE / "seeds" / "ci_ephemeral.sh")],
            env=run_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
        assert "seed workflow OK" in res.stdout
        check_tenant_isolation_over_sql(run_env["DB9_API_URL"], token)
    finally:
        server.terminate()
        server.wait(30)


def check_tenant_isolation_over_sql(api: str, token: str) -> None:
    """Two tenants' databases: neither sees the other's tables, nor logs in with its password."""
    import httpx
    import psycopg

    headers = {"Authorization": f"Bearer {token}"}
    a = httpx.post(f"{api}/v1/databases", json={"name": "tenant-a"}, headers=headers).json()
    b = httpx.post(f"{api}/v1/databases", json={"name": "tenant-b"}, headers=headers).json()
    with psycopg.connect(a["connection_string"], autocommit=True) as ca:
        ca.execute("CREATE TABLE secret (v text)")
        ca.execute("INSERT INTO secret VALUES ('only a')")
    with psycopg.connect(b["connection_string"], autocommit=True) as cb:
        with pytest.raises(psycopg.errors.UndefinedTable):
            cb.execute("SELECT * FROM secret")
        assert cb.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'secret'"
        ).fetchone() == (0,)
    stolen = b["connection_string"].replace(b["user"], a["user"], 1)  # A's user, B's password
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(stolen)
