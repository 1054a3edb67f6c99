"""Issue 14's goals measured against PostgreSQL 15 in one run: one command, one table.

    .venv/bin/python -m bench.pg_compare [--scale 10] [--seconds 10] [--rounds 3]
    .venv/bin/python -m bench.pg_compare --quick            # scale 1, short runs: < 3 minutes
    .venv/bin/python -m bench.pg_compare --only pgbench,analytic
    .venv/bin/python -m bench.pg_compare --quick --cpus 2   # servers and clients on 2 CPUs

Starts a private PostgreSQL 15 (default settings, fsync on) and a fresh single-node db9 server
(its defaults, fsync on, GC passes off: the GC section measures them on a server of its own),
loads both with ``pgbench -i -s <scale>`` (the ``load`` row), then runs each section
(``bench/compare/<section>.py``), PostgreSQL and db9 alternating within every round; each cell
is the median of the rounds. Prints the goals table (markdown) and writes it with the raw
numbers to ``bench/results/pg_compare.json`` (``--out``). Ports: ``--port-base`` and up to 9
above it. ``--cpus N`` pins this process, and so every server, backend and client it starts, to
N of its CPUs: a ratio at 8 clients then compares the same share of hardware on any machine
(PostgreSQL scales with cores, a db9 server with one; unpinned, the ratio is the core count's).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.compare import analytic, bulk, gc, load, pgbench_cells, sargable
from bench.compare.rows import Context, Row, Section
from bench.servers import db9_server, pg_server

# In the order they run: analytic reads the tables as loaded, before pgbench writes to them.
SECTIONS: dict[str, Callable[[Context], Section]] = {
    "load": load.run,
    "analytic": analytic.run,
    "sargable": sargable.run,
    "bulk": bulk.run,
    "pgbench": pgbench_cells.run,
    "gc": gc.run,
}

NEED_DATA = {"analytic", "pgbench"}  # the sections that read pgbench's tables


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "TPS":
        return f"{value:,.0f}"
    return f"{value:,.3g}" if value < 100 else f"{value:,.0f}"


def _ratio(row: Row) -> str:
    ratio = row.ratio
    if ratio is None:
        return ""
    if row.goal is not None and row.goal.absolute:
        return f"{ratio:.2f}"
    return f"{ratio:.1%}" if row.higher_is_better else f"{ratio:.2f}x"


def table(rows: list[Row]) -> str:
    lines = [
        "| workload | unit | PostgreSQL | db9 | db9 / PG | goal | met |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        met = {None: "", True: "yes", False: "**no**"}[r.met]
        goal = r.goal.text() if r.goal else ""
        note = f" ({r.note})" if r.note else ""
        lines.append(f"| {r.workload}{note} | {r.unit} | {_num(r.pg, r.unit)} | "
                     f"{_num(r.db9, r.unit)} | {_ratio(r)} | {goal} | {met} |")  # fmt: skip
    return "\n".join(lines)


@contextlib.contextmanager
def _pinned(cpus: int) -> Iterator[None]:
    """This thread, and every process it starts meanwhile, on the first ``cpus`` of its CPUs."""
    allowed = sorted(os.sched_getaffinity(0))
    if cpus > len(allowed):
        raise SystemExit(f"--cpus {cpus}: only {len(allowed)} CPUs are available")
    os.sched_setaffinity(0, allowed[:cpus])
    try:
        yield
    finally:
        os.sched_setaffinity(0, allowed)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="", help=f"comma-separated subset of {','.join(SECTIONS)}")
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--seconds", type=int, default=10, help="per pgbench cell")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="scale 1, 2 s cells, 1 round")
    ap.add_argument("--port-base", type=int, default=16300)
    ap.add_argument("--compare-root", default="", help="a db9 checkout to measure GC before")
    ap.add_argument("--out", default="bench/results/pg_compare.json")
    ap.add_argument("--cpus", type=int, default=0, help="pin everything to N CPUs (0: all)")
    args = ap.parse_args(argv)
    if args.quick:
        args.scale, args.seconds, args.rounds = 1, 2, 1
    only = [s for s in args.only.split(",") if s] or list(SECTIONS)
    unknown = set(only) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown sections {sorted(unknown)}; known: {', '.join(SECTIONS)}")
    started = time.monotonic()
    rows: list[Row] = []
    raw: dict[str, object] = {}
    with contextlib.ExitStack() as stack:
        if args.cpus:
            stack.enter_context(_pinned(args.cpus))
        pg = stack.enter_context(pg_server(args.port_base))
        db9 = stack.enter_context(db9_server(args.port_base + 1))
        ctx = Context(pg, db9, args.scale, args.seconds, args.rounds, args.quick, args.port_base,
                      args.compare_root)  # fmt: skip
        for name, section in SECTIONS.items():
            needed = name in only or (name == "load" and not set(only).isdisjoint(NEED_DATA))
            if not needed:
                continue
            print(f"== {name}", flush=True)
            t0 = time.monotonic()
            result = section(ctx)
            if name in only:
                rows.extend(result.rows)
                raw[name] = {**result.raw, "took_s": round(time.monotonic() - t0, 1)}
    md = table(rows)
    print(f"\nscale {args.scale}, {args.rounds} rounds (medians), {args.seconds} s per pgbench "
          f"cell, {time.monotonic() - started:.0f} s in all\n\n{md}")  # fmt: skip
    report = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "args": vars(args),
        "rows": [r.as_dict() for r in rows],
        "markdown": md,
        "raw": raw,
    }
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(report, indent=2, default=str) + "\n")
    return report


if __name__ == "__main__":
    main()
