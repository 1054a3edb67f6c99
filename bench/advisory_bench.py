"""Advisory locks and asyncpg's pool, db9 against PostgreSQL 15 (both fresh, on loopback).

    .venv/bin/python -m bench.advisory_bench [--seconds 5] [--clients 4]

Three cells, each for ``--seconds`` with ``--clients`` concurrent asyncpg clients:

- pool cycles: ``2 * clients`` tasks share a pool of ``clients`` connections; a cycle is
  acquire, ``SELECT 1``, release (which runs asyncpg's reset query, starting with
  ``SELECT pg_advisory_unlock_all()``).
- lock/unlock pairs: each client locks and unlocks its own key (no contention).
- mutex sections: every client takes the same key, reads a counter row, writes it back plus
  one, and unlocks (each statement in autocommit). Mutual exclusion is checked: the final
  counter must equal the number of sections (a lost update would show a lower count).

Prints a markdown table (operations per second, db9 / PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench.servers import Server, db9_server, free_base, pg_server


def _connect_args(server: Server) -> dict[str, Any]:
    parts = dict(p.split("=", 1) for p in server.conninfo.split())
    return {
        "host": parts["host"],
        "port": int(parts["port"]),
        "user": parts["user"],
        "database": parts["dbname"],
        "password": server.password or None,
        "ssl": False,
    }


async def _for(seconds: float, clients: int, step: Callable[[int], Awaitable[None]]) -> float:
    """Operations per second of ``clients`` tasks each running ``step(i)`` in a loop."""
    deadline = time.monotonic() + seconds
    counts = [0] * clients

    async def run(i: int) -> None:
        while time.monotonic() < deadline:
            await step(i)
            counts[i] += 1

    start = time.monotonic()
    await asyncio.gather(*(run(i) for i in range(clients)))
    return sum(counts) / (time.monotonic() - start)


async def _cells(server: Server, seconds: float, clients: int) -> dict[str, float]:
    import asyncpg

    kw = _connect_args(server)
    out: dict[str, float] = {}
    pool = await asyncpg.create_pool(min_size=clients, max_size=clients, **kw)
    assert pool is not None

    async def cycle(_i: int) -> None:
        async with pool.acquire() as conn:
            await conn.fetchval("SELECT 1")

    out["pool cycles"] = await _for(seconds, 2 * clients, cycle)
    await pool.close()

    conns = [await asyncpg.connect(**kw) for _ in range(clients)]
    try:

        async def pair(i: int) -> None:
            await conns[i].execute("SELECT pg_advisory_lock($1)", 1000 + i)
            await conns[i].execute("SELECT pg_advisory_unlock($1)", 1000 + i)

        out["lock/unlock pairs"] = await _for(seconds, clients, pair)
        await conns[0].execute("DROP TABLE IF EXISTS bench_counter")
        await conns[0].execute("CREATE TABLE bench_counter (id int PRIMARY KEY, n int)")
        await conns[0].execute("INSERT INTO bench_counter VALUES (1, 0)")

        async def section(i: int) -> None:
            c = conns[i]
            await c.execute("SELECT pg_advisory_lock(1)")
            n = await c.fetchval("SELECT n FROM bench_counter WHERE id = 1")
            await c.execute("UPDATE bench_counter SET n = $1 WHERE id = 1", n + 1)
            await c.execute("SELECT pg_advisory_unlock(1)")

        start = time.monotonic()
        rate = await _for(seconds, clients, section)
        sections = round(rate * (time.monotonic() - start))
        final = await conns[0].fetchval("SELECT n FROM bench_counter WHERE id = 1")
        if abs(final - sections) > clients:  # rate*elapsed rounds; a lost update is far off
            raise SystemExit(f"{server.name}: mutual exclusion broken: {final} of {sections}")
        out["mutex sections"] = rate
    finally:
        for c in conns:
            await c.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    base = free_base(2)
    results: dict[str, dict[str, float]] = {}
    with pg_server(base) as pg:
        results["pg"] = asyncio.run(_cells(pg, args.seconds, args.clients))
    with db9_server(base + 1) as db9:
        results["db9"] = asyncio.run(_cells(db9, args.seconds, args.clients))
    print(f"| cell ({args.clients} clients, {args.seconds:g} s) | PostgreSQL 15 /s | db9 /s "
          "| db9 / PostgreSQL |")  # fmt: skip
    print("|---|---|---|---|")
    for cell, pg_rate in results["pg"].items():
        mine = results["db9"][cell]
        print(f"| {cell} | {pg_rate:,.0f} | {mine:,.0f} | {mine / pg_rate:.0%} |")


if __name__ == "__main__":
    main()
