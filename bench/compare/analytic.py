"""Analytical queries over pgbench_accounts (100,000 x scale rows; 1M at scale 10): count(*),
SUM ... GROUP BY, ORDER BY ... LIMIT 10, and a join with a filter. One warm-up run per query
and server, then one timed run per round."""

from __future__ import annotations

from bench.compare.rows import Context, Goal, Row, Section, median
from bench.compare.sql import connect, timed

QUERIES = {
    "count(*)": "SELECT count(*) FROM pgbench_accounts",
    "SUM GROUP BY": "SELECT bid, sum(abalance) FROM pgbench_accounts GROUP BY bid",
    "ORDER BY LIMIT 10":
        "SELECT aid, abalance FROM pgbench_accounts ORDER BY abalance DESC, aid LIMIT 10",
    "join + filter": "SELECT count(*), sum(a.abalance) FROM pgbench_accounts a "
                     "JOIN pgbench_branches b ON a.bid = b.bid "
                     "WHERE b.bid <= 5 AND a.aid % 10 = 3",
}  # fmt: skip


def run(ctx: Context) -> Section:
    got: dict[str, dict[str, list[float]]] = {q: {"postgresql": [], "db9": []} for q in QUERIES}
    results: dict[str, dict[str, int]] = {q: {} for q in QUERIES}
    for server in ctx.servers:
        with connect(server) as conn:
            for name, sql in QUERIES.items():
                results[name][server.name] = timed(conn, sql)[1]
    for round_ in range(ctx.rounds):
        for server in ctx.order(round_):
            with connect(server) as conn:
                for name, sql in QUERIES.items():
                    seconds, _ = timed(conn, sql)
                    got[name][server.name].append(seconds * 1000)
                    print(f"  {name:<18}{server.name:<11}{seconds * 1000:>10.1f} ms", flush=True)
    rows = [
        Row("analytic", f"{name}, {ctx.scale * 100_000:,} rows", "ms",
            median(got[name]["postgresql"]), median(got[name]["db9"]), Goal(at_most=10.0))
        for name in QUERIES
    ]  # fmt: skip
    return Section(rows, {"ms": got, "rows_returned": results, "sql": QUERIES})
