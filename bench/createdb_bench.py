"""Databases over SQL (issue 16): what Django's test runner and CI tools do to a server,
timed on db9 and on PostgreSQL on the same machine.

    .venv/bin/python -m bench.createdb_bench [--repeat 10] [--rows 0,10000,100000]

For each server: CREATE DATABASE + DROP DATABASE of an empty database; a login to a database
other than postgres; CREATE DATABASE ... TEMPLATE of a database holding a table of N rows
(PostgreSQL copies the files, db9 makes a copy-on-write branch); and ``django-admin test``
of a small app (tests/control/django_project) with --parallel 1 and 2 (the second clones
the test database with TEMPLATE). Medians in milliseconds; prints a Markdown table.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import psycopg

from bench.servers import Server, db9_server, free_base, pg_server

PROJECT = Path(__file__).resolve().parents[1] / "tests" / "control" / "django_project"


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _dsn(server: Server, dbname: str) -> str:
    return server.conninfo.replace("dbname=postgres", f"dbname={dbname}")


def measure(server: Server, repeat: int, sizes: list[int]) -> dict[str, float]:
    out: dict[str, float] = {}
    os.environ["PGPASSWORD"] = server.password
    with psycopg.connect(server.conninfo, autocommit=True) as admin:

        def create_drop() -> None:
            admin.execute("CREATE DATABASE bench_empty")
            admin.execute("DROP DATABASE bench_empty")

        out["CREATE + DROP DATABASE (empty)"] = _median_ms(create_drop, repeat)
        admin.execute("CREATE DATABASE bench_login")
        out["login to a second database"] = _median_ms(
            lambda: psycopg.connect(_dsn(server, "bench_login")).close(), repeat
        )
        admin.execute("DROP DATABASE bench_login")
        for rows in sizes:
            admin.execute("CREATE DATABASE bench_src")
            with psycopg.connect(_dsn(server, "bench_src"), autocommit=True) as src:
                src.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
                if rows:
                    src.execute(
                        "INSERT INTO t SELECT g, repeat('x', 100) FROM generate_series(1, %s) g",
                        (rows,),
                    )

            def copy() -> None:
                admin.execute("CREATE DATABASE bench_copy TEMPLATE bench_src")
                admin.execute("DROP DATABASE bench_copy")

            out[f"CREATE DATABASE ... TEMPLATE ({rows:,} rows) + DROP"] = _median_ms(
                copy, max(3, repeat // 3)
            )
            admin.execute("DROP DATABASE bench_src")
    for parallel in ("1", "2"):
        out[f"django-admin test, --parallel {parallel} (wall)"] = _median_ms(
            lambda p=parallel: _django(server, p), 3
        )
    return out


def _django(server: Server, parallel: str) -> None:
    fields = dict(part.split("=", 1) for part in server.conninfo.split())
    env: dict[str, Any] = {
        **os.environ,
        "DB9_PASSWORD": server.password or "unused",
        "DB9_PORT": fields["port"],
        "DB9_USER": fields["user"],
        "DB9_SSLMODE": fields.get("sslmode", "disable"),
        "PYTHONPATH": str(PROJECT),
        "DJANGO_SETTINGS_MODULE": "settings",
    }
    run = subprocess.run(
        [sys.executable, "-m", "django", "test", "--noinput", "--parallel", parallel],
        env=env, capture_output=True, text=True, cwd=PROJECT, timeout=300,
    )  # fmt: skip
    if run.returncode != 0:
        raise SystemExit(f"django-admin test on {server.name} failed:\n{run.stderr[-2000:]}")


@click.command()
@click.option("--repeat", default=10, show_default=True, help="runs per timing (median)")
@click.option("--rows", default="0,10000,100000", show_default=True,
              help="template sizes (rows of ~100 bytes)")  # fmt: skip
def main(repeat: int, rows: str) -> None:
    """Time CREATE/DROP DATABASE, logins by dbname, TEMPLATE copies and Django's test runner
    on db9 and PostgreSQL."""
    sizes = [int(r) for r in rows.split(",") if r.strip()]
    base = free_base(2)
    with pg_server(base) as pg:
        pg_numbers = measure(pg, repeat, sizes)
    with db9_server(base + 1) as db9:
        db9_numbers = measure(db9, repeat, sizes)
    print("| operation | PostgreSQL ms | db9 ms | db9 / PostgreSQL |")
    print("|---|---:|---:|---:|")
    for name, pg_ms in pg_numbers.items():
        ms = db9_numbers[name]
        print(f"| {name} | {pg_ms:,.1f} | {ms:,.1f} | {ms / pg_ms:.2f}x |")


if __name__ == "__main__":
    main()
