"""``pgbench -i -s <scale>``: the time to create and load pgbench's tables (the orchestrator's
setup, timed once per server, PostgreSQL first)."""

from __future__ import annotations

import time

from bench.compare.rows import Context, Goal, Row, Section
from bench.servers import Server, pgbench


def init(server: Server, scale: int) -> float:
    t0 = time.perf_counter()
    pgbench(server, "-i", "-s", str(scale), "-q")
    return time.perf_counter() - t0


def run(ctx: Context) -> Section:
    took = {}
    for server in ctx.servers:
        took[server.name] = init(server, ctx.scale)
        print(f"  pgbench -i -s {ctx.scale} {server.name:<11}{took[server.name]:>8.2f} s",
              flush=True)  # fmt: skip
    row = Row("load", f"`pgbench -i -s {ctx.scale}`", "s", took["postgresql"], took["db9"],
              Goal(at_most=5.0), note="one run each; also the setup")  # fmt: skip
    return Section([row], {"seconds": took})
