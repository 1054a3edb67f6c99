"""pgbench against db9 and PostgreSQL 15 in one run, both on this machine over TCP loopback.

    .venv/bin/python -m bench.pgbench_bench [--seconds 10]            # -S, 4 clients (issue 4)
    .venv/bin/python -m bench.pgbench_bench --writes [--scale 10] [--rounds 3] [--seconds 10]

The default run initialises both with `pgbench -i -s 1` and runs select-only with prepared
statements (goal of issue 4: db9 >= 20% of PostgreSQL's TPS). ``--writes`` (issue 14) runs
the write workloads, simple-update (-N) and TPC-B-like, at 1 and 8 clients, each cell once
per round on each server, PostgreSQL and db9 alternating, and reports the median of the rounds
and the ratio. PostgreSQL runs with default settings and fsync on, db9 with its defaults
(fsync on every commit). ``--compare-root DIR`` adds a third server, db9 run from another
checkout (e.g. the commit before a change), to every round. Ports: ``--port-base``
(PostgreSQL on it, db9 on it + 1, the compared db9 on it + 2).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time
from pathlib import Path

from bench.servers import Server, db9_server, failed, pg_server, pgbench, tps

WRITE_CELLS = (("-N", 1), ("-N", 8), ("tpcb", 1), ("tpcb", 8))


def run_select(server: Server, seconds: int) -> float:
    pgbench(server, "-i", "-s", "1", "-q")
    out = pgbench(server, "-S", "-M", "prepared", "-c", "4", "-j", "2",
                  "-T", str(seconds))  # fmt: skip
    value = tps(out)
    print(f"{server.name:<12}{value:>12,.0f} tps")
    return value


def select_only(args: argparse.Namespace) -> None:
    pg_port, db9_port = args.port_base, args.port_base + 1
    with pg_server(pg_port) as pg_srv:
        pg = run_select(pg_srv, args.seconds)
    with db9_server(db9_port) as db9_srv:
        db9 = run_select(db9_srv, args.seconds)
    ratio = db9 / pg
    print(f"db9 / PostgreSQL = {ratio:.1%} (goal >= 20%)")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({
        "when": time.strftime("%Y-%m-%d"), "seconds": args.seconds, "postgresql_tps": round(pg),
        "db9_tps": round(db9), "ratio": round(ratio, 3),
    }, indent=2) + "\n")  # fmt: skip


def write_cell(server: Server, workload: str, clients: int, seconds: int) -> str:
    mode = ["-N"] if workload == "-N" else []
    return pgbench(server, *mode, "-M", "prepared", "-c", str(clients),
                   "-j", str(min(clients, 2)), "-T", str(seconds))  # fmt: skip


def writes(args: argparse.Namespace) -> None:
    pg_port = args.port_base
    names = ["postgresql", "db9"] + (["db9-base"] if args.compare_root else [])
    results: dict[str, dict[str, list[float]]] = {name: {} for name in names}
    fails = dict.fromkeys(names, 0)
    with contextlib.ExitStack() as stack:
        servers = {
            "postgresql": stack.enter_context(pg_server(pg_port)),
            "db9": stack.enter_context(db9_server(pg_port + 1)),
        }
        if args.compare_root:
            servers["db9-base"] = stack.enter_context(db9_server(pg_port + 2, args.compare_root))
        for name, server in servers.items():
            t0 = time.monotonic()
            pgbench(server, "-i", "-s", str(args.scale), "-q")
            print(f"{name}: pgbench -i -s {args.scale} took {time.monotonic() - t0:.1f} s")
        for round_ in range(args.rounds):
            order = names[round_ % len(names) :] + names[: round_ % len(names)]
            for workload, clients in WRITE_CELLS:
                cell = f"{workload} c{clients}"
                for name in order:
                    out = write_cell(servers[name], workload, clients, args.seconds)
                    results[name].setdefault(cell, []).append(tps(out))
                    fails[name] += failed(out)
                    print(f"round {round_ + 1} {cell:<8} {name:<12}{tps(out):>10,.0f} tps"
                          f"  failed {failed(out)}", flush=True)  # fmt: skip
    print(f"\nmedians of {args.rounds} rounds, scale {args.scale}, {args.seconds} s each:")
    summary: dict[str, dict[str, float]] = {}
    for workload, clients in WRITE_CELLS:
        cell = f"{workload} c{clients}"
        pg = statistics.median(results["postgresql"][cell])
        summary[cell] = {"postgresql_tps": round(pg)}
        line = f"{cell:<8} postgresql {pg:>9,.0f}"
        for name in names[1:]:
            value = statistics.median(results[name][cell])
            summary[cell][f"{name}_tps"] = round(value)
            summary[cell][f"{name}_ratio"] = round(value / pg, 4)
            line += f"  {name} {value:>8,.0f} ({value / pg:6.1%})"
        print(line)
    print(f"failed transactions: {fails}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({
        "when": time.strftime("%Y-%m-%d %H:%M"), "scale": args.scale, "rounds": args.rounds,
        "seconds": args.seconds, "summary": summary, "rounds_tps": results, "failed": fails,
    }, indent=2) + "\n")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--writes", action="store_true", help="-N and TPC-B-like at 1 and 8 clients")
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--port-base", type=int, default=17100)
    ap.add_argument("--compare-root", default="", help="also run db9 from this checkout")
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    if args.writes:
        args.out = args.out or "bench/results/pgbench_writes.json"
        writes(args)
    else:
        args.out = args.out or "bench/results/pgbench.json"
        select_only(args)


if __name__ == "__main__":
    main()
