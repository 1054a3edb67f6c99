"""pgbench -S (select-only, prepared, 4 clients) against db9 and PostgreSQL in one run.

    .venv/bin/python -m bench.pgbench_bench [--seconds 10]

Both servers run on this machine over TCP on loopback without TLS, initialised with
`pgbench -i -s 1`. Goal (issue 4): db9 >= 20% of PostgreSQL's TPS.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.sql.pg import postgres_server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pgbench(conninfo: str, password: str, *args: str) -> str:
    env = {**os.environ, "PGPASSWORD": password}
    res = subprocess.run(["pgbench", *args, conninfo], env=env, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"pgbench {' '.join(args)} failed: {res.stderr.strip()[-500:]}")
    return res.stdout


def tps(output: str) -> float:
    m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", output)
    if not m:
        raise SystemExit(f"no tps in pgbench output:\n{output}")
    return float(m.group(1))


def run(name: str, conninfo: str, password: str, seconds: int) -> float:
    pgbench(conninfo, password, "-i", "-s", "1", "-q")
    out = pgbench(conninfo, password, "-S", "-M", "prepared", "-c", "4", "-j", "2",
                  "-T", str(seconds))  # fmt: skip
    value = tps(out)
    print(f"{name:<12}{value:>12,.0f} tps")
    return value


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--out", default="bench/results/pgbench.json")
    args = ap.parse_args()
    pg_port = free_port()
    with postgres_server(f"-c listen_addresses=127.0.0.1 -p {pg_port}"):
        pg = run("postgresql", f"host=127.0.0.1 port={pg_port} user=postgres dbname=postgres",
                 "", args.seconds)  # fmt: skip
    port = free_port()
    data = tempfile.mkdtemp(prefix="db9-bench-")
    env = {**os.environ, "DB9_PASSWORD": "bench"}
    server = subprocess.Popen(
        [sys.executable, "-m", "control.server", "--data-dir", data, "--pg-port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        for line in server.stdout:
            if "connect with" in line:
                break
        db9 = run("db9", f"host=127.0.0.1 port={port} user=local.admin dbname=postgres "
                  "sslmode=disable", "bench", args.seconds)  # fmt: skip
    finally:
        server.terminate()
        server.wait(30)
    ratio = db9 / pg
    print(f"db9 / PostgreSQL = {ratio:.1%} (goal >= 20%)")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({
        "when": time.strftime("%Y-%m-%d"), "seconds": args.seconds, "postgresql_tps": round(pg),
        "db9_tps": round(db9), "ratio": round(ratio, 3),
    }, indent=2) + "\n")  # fmt: skip


if __name__ == "__main__":
    main()
