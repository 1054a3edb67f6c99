"""Analytical queries over pgbench_accounts, db9 against PostgreSQL 15 in one run (issue 14:
each <= 10x PostgreSQL's time).

    .venv/bin/python -m bench.analytic_bench [--scale 10] [--rounds 5] [--compare-root DIR]

Both servers get ``pgbench -i -s SCALE`` (1M accounts at scale 10), then each round runs
every query of bench.compare.analytic (the four pg_compare runs) once on each server,
interleaved (PostgreSQL, db9, then the compared db9 if any), over one connection per server;
the report is the median of the rounds' wall times as the client sees them (rows fetched).
PostgreSQL runs with default settings (parallel workers allowed); db9 with its defaults and
no GC pass during the run. ``run(port_base, scale)`` is the entry
point for bench.pg_compare. Ports: PostgreSQL on ``port_base``, db9 on ``port_base + 1``, the
compared db9 on ``port_base + 2``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time
from pathlib import Path
from typing import Any

import psycopg

from bench.compare.analytic import QUERIES
from bench.servers import Server, db9_server, pg_server, pgbench

GOAL = 10.0  # db9 / PostgreSQL time


def _time(conn: psycopg.Connection[Any], sql: str) -> tuple[float, list[Any]]:
    start = time.perf_counter()
    rows = conn.execute(sql).fetchall()
    return time.perf_counter() - start, rows


def run(port_base: int, scale: int, rounds: int = 5, compare_root: str = "") -> dict[str, Any]:
    """Medians (ms) of ``rounds`` interleaved runs of every query on PostgreSQL and db9."""
    with contextlib.ExitStack() as stack:
        servers: dict[str, Server] = {
            "postgresql": stack.enter_context(pg_server(port_base)),
            "db9": stack.enter_context(db9_server(port_base + 1)),
        }
        if compare_root:
            servers["db9_compared"] = stack.enter_context(db9_server(port_base + 2, compare_root))
        for name, server in servers.items():
            started = time.perf_counter()
            pgbench(server, "-i", "-s", str(scale), "-q")
            print(f"{name}: pgbench -i -s {scale} in {time.perf_counter() - started:.1f} s")
        # connected once every server is loaded: a session idle that long may be ended
        conns = {
            name: stack.enter_context(psycopg.connect(
                server.conninfo, password=server.password or None, autocommit=True))
            for name, server in servers.items()
        }  # fmt: skip
        times: dict[str, dict[str, list[float]]] = {n: {q: [] for q in QUERIES} for n in conns}
        for r in range(rounds):
            for q, sql in QUERIES.items():
                answers = {}
                for name, conn in conns.items():
                    seconds, answers[name] = _time(conn, sql)
                    times[name][q].append(seconds)
                if len({repr(sorted(a)) for a in answers.values()}) != 1:
                    raise SystemExit(f"answers differ on {q}: {answers}")
            print(f"round {r + 1}/{rounds} done", flush=True)
    result: dict[str, Any] = {"when": time.strftime("%Y-%m-%d"), "scale": scale,
                              "rounds": rounds, "queries": {}}  # fmt: skip
    for q, sql in QUERIES.items():
        cell: dict[str, Any] = {"sql": sql}
        for name in times:
            cell[f"{name}_ms"] = round(statistics.median(times[name][q]) * 1000, 1)
        cell["ratio"] = round(cell["db9_ms"] / cell["postgresql_ms"], 1)
        if compare_root:
            cell["compared_ratio"] = round(cell["db9_compared_ms"] / cell["postgresql_ms"], 1)
        result["queries"][q] = cell
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--port-base", type=int, default=17200)
    ap.add_argument("--compare-root", default="", help="also run db9 from this checkout")
    ap.add_argument("--out", default="bench/results/analytic.json")
    args = ap.parse_args()
    result = run(args.port_base, args.scale, args.rounds, args.compare_root)
    for q, cell in result["queries"].items():
        extra = f"  (compared: {cell['db9_compared_ms']:,.0f} ms)" if args.compare_root else ""
        print(f"{q:<20}{cell['postgresql_ms']:>10,.1f} ms{cell['db9_ms']:>10,.0f} ms"
              f"{cell['ratio']:>8.1f}x (goal <= {GOAL:.0f}x){extra}")  # fmt: skip
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
