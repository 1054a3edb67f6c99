"""Bulk writes against db9 and PostgreSQL 15 in one run, both on this machine over TCP loopback.

    .venv/bin/python -m bench.bulk_bench [--scale 10] [--rounds 3] [--compare-root DIR]

Cells, each run once per round on each server, the servers alternating within a round (the
machine is shared: medians of the rounds are reported): ``pgbench -i -s SCALE`` (drop,
create, client-side COPY, vacuum, primary keys), COPY FROM STDIN of 200k rows into a table
with a primary key, INSERT ... SELECT of those 200k rows into a second one, and CREATE INDEX
on pgbench_accounts (SCALE x 100k rows). PostgreSQL runs with default settings and fsync on,
db9 with its defaults (fsync on every commit). ``--compare-root`` adds db9 run from another
checkout (e.g. the commit before a change). ``run`` is what bench/pg_compare.py calls.
Ports: PostgreSQL on ``port_base``, db9 on + 1, the compared db9 on + 2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from bench.pgbench_bench import db9_server, pgbench
from tests.sql.pg import postgres_server

COPY_ROWS = 200_000
CELLS = ("pgbench_init", "copy_200k", "insert_select_200k", "create_index")


def _copy_data() -> bytes:
    return "".join(f"{i}\t{i % 1000}\tfiller-{i:08d}\n" for i in range(1, COPY_ROWS + 1)).encode()


def _cells(conninfo: str, password: str, scale: int, data: bytes) -> dict[str, float]:
    """Seconds of each cell on one server, run in order (each builds on the last)."""
    out: dict[str, float] = {}
    t = time.perf_counter()
    pgbench(conninfo, password, "-i", "-s", str(scale), "-q")
    out["pgbench_init"] = time.perf_counter() - t
    with psycopg.connect(conninfo, password=password, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bulk_a, bulk_b")
        for name in ("bulk_a", "bulk_b"):
            conn.execute(f"CREATE TABLE {name} (id int PRIMARY KEY, k int, note text)")
        t = time.perf_counter()
        with conn.cursor().copy("COPY bulk_a FROM STDIN") as copy:
            for at in range(0, len(data), 1 << 16):
                copy.write(data[at : at + (1 << 16)])
        out["copy_200k"] = time.perf_counter() - t
        t = time.perf_counter()
        conn.execute("INSERT INTO bulk_b SELECT * FROM bulk_a")
        out["insert_select_200k"] = time.perf_counter() - t
        t = time.perf_counter()
        conn.execute("CREATE INDEX bulk_accounts_bid ON pgbench_accounts (bid)")
        out["create_index"] = time.perf_counter() - t
        conn.execute("DROP TABLE bulk_a, bulk_b")
        conn.execute("DROP INDEX bulk_accounts_bid")
    return out


def run(
    port_base: int, scale: int, rounds: int = 1, compare_root: str | None = None
) -> dict[str, object]:
    """Median seconds per cell on PostgreSQL and db9 (and the compared db9), and db9 / PG."""
    data = _copy_data()
    servers: list[tuple[str, str, str]] = []
    with contextlib.ExitStack() as stack:
        pg_options = f"-c listen_addresses=127.0.0.1 -p {port_base} -c fsync=on"
        stack.enter_context(postgres_server(pg_options))
        pg = f"host=127.0.0.1 port={port_base} user=postgres dbname=postgres"
        servers.append(("postgresql", pg, ""))
        servers.append(("db9", stack.enter_context(db9_server(port_base + 1)), "bench"))
        if compare_root:
            conninfo = stack.enter_context(db9_server(port_base + 2, compare_root))
            servers.append(("db9_compared", conninfo, "bench"))
        times: dict[str, dict[str, list[float]]] = {
            n: {c: [] for c in CELLS} for n, _, _ in servers
        }
        for r in range(rounds):
            order = servers if r % 2 == 0 else servers[::-1]
            for name, conninfo, password in order:
                for cell, secs in _cells(conninfo, password, scale, data).items():
                    times[name][cell].append(secs)
                    print(f"round {r + 1} {name:<13}{cell:<20}{secs:8.2f} s", flush=True)
    medians = {n: {c: statistics.median(v) for c, v in cells.items()} for n, cells in times.items()}
    result: dict[str, object] = {
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "scale": scale,
        "rounds": rounds,
        "copy_rows": COPY_ROWS,
        "seconds": medians,
        "ratio": {c: medians["db9"][c] / medians["postgresql"][c] for c in CELLS},
    }
    if compare_root:
        result["ratio_compared"] = {
            c: medians["db9_compared"][c] / medians["postgresql"][c] for c in CELLS
        }
    return result


def _table(result: dict[str, object]) -> str:
    seconds: dict[str, dict[str, float]] = result["seconds"]  # type: ignore[assignment]
    names = list(seconds)
    lines = ["| cell | " + " | ".join(names) + " | db9 / PG |", "|---" * (len(names) + 2) + "|"]
    ratio: dict[str, float] = result["ratio"]  # type: ignore[assignment]
    for c in CELLS:
        cells = " | ".join(f"{seconds[n][c]:.2f} s" for n in names)
        lines.append(f"| {c} | {cells} | {ratio[c]:.1f}x |")
    return "\n".join(lines)


def main(argv: list[str] | None = None, runner: Callable[..., dict[str, object]] = run) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port-base", type=int, default=16200)
    parser.add_argument("--compare-root", default=None)
    parser.add_argument("--out", default="bench/results/bulk.json")
    args = parser.parse_args(argv)
    result = runner(args.port_base, args.scale, args.rounds, args.compare_root)
    print(_table(result))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
