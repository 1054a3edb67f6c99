"""A 100-row range by each sargable form, on a table of 100,000 rows (quick: 10,000) with an
index for each form: the median latency of repeated runs (after a warm-up), per round.

    cmp_sarg(id int PRIMARY KEY, s text, n int, a int, b int)
    s = 'key' || lpad(id, 8, '0')   index on s      n NULL for id <= 100   index on n
    a = id / 100, b = id % 100      index on (a, b)
"""

from __future__ import annotations

import psycopg

from bench.compare.rows import Context, Goal, Row, Section, median, median_or_none
from bench.compare.sql import connect, execute, latency
from bench.servers import Server

SETUP = (
    "DROP TABLE IF EXISTS cmp_sarg",
    "CREATE TABLE cmp_sarg (id int PRIMARY KEY, s text, n int, a int, b int)",
    "INSERT INTO cmp_sarg SELECT g, 'key' || lpad(g::text, 8, '0'), "
    "CASE WHEN g <= 100 THEN NULL ELSE g END, g / 100, g % 100 FROM generate_series(1, {rows}) g",
    "CREATE INDEX cmp_sarg_s ON cmp_sarg (s)",
    "CREATE INDEX cmp_sarg_n ON cmp_sarg (n)",
    "CREATE INDEX cmp_sarg_ab ON cmp_sarg (a, b)",
    "ANALYZE cmp_sarg",
)


def forms(rows: int) -> dict[str, str]:
    """Each returns exactly 100 rows, from the middle of the table."""
    x = rows // 2 // 100 * 100  # a multiple of 100
    ins = ", ".join(str(x + i) for i in range(100))
    return {
        "BETWEEN": f"SELECT * FROM cmp_sarg WHERE id BETWEEN {x} AND {x + 99}",
        "IN (100 values)": f"SELECT * FROM cmp_sarg WHERE id IN ({ins})",
        "LIKE 'prefix%'": f"SELECT * FROM cmp_sarg WHERE s LIKE 'key{x // 100:06d}%'",
        "IS NULL": "SELECT * FROM cmp_sarg WHERE n IS NULL",
        "OR of ranges": f"SELECT * FROM cmp_sarg WHERE id BETWEEN {x} AND {x + 49} "
                        f"OR id BETWEEN {x + 1000} AND {x + 1049}",
        "row comparison": f"SELECT * FROM cmp_sarg WHERE (a, b) >= ({x // 100}, 0) "
                          f"AND (a, b) < ({x // 100 + 1}, 0)",
        "multi-column prefix": f"SELECT * FROM cmp_sarg WHERE a = {x // 100}",
    }  # fmt: skip


def setup(server: Server, rows: int) -> None:
    execute(server, *(s.format(rows=rows) for s in SETUP))


def run(ctx: Context) -> Section:
    rows = 10_000 if ctx.quick else 100_000
    for server in ctx.servers:
        setup(server, rows)
    queries = forms(rows)
    got: dict[str, dict[str, list[float]]] = {q: {"postgresql": [], "db9": []} for q in queries}
    returned: dict[str, dict[str, int]] = {q: {} for q in queries}
    errors: dict[str, str] = {}
    budget = 0.3 if ctx.quick else 1.0
    for round_ in range(ctx.rounds):
        for server in ctx.order(round_):
            with connect(server) as conn:
                for name, sql in queries.items():
                    try:
                        seconds, n = latency(conn, sql, budget_s=budget)
                    except psycopg.Error as exc:
                        errors[name] = f"db9: {type(exc).__name__}: {exc}".splitlines()[0]
                        print(f"  {name:<20}{server.name:<11} {errors[name]}", flush=True)
                        continue
                    got[name][server.name].append(seconds * 1000)
                    returned[name][server.name] = n
                    print(f"  {name:<20}{server.name:<11}{seconds * 1000:>10.2f} ms ({n} rows)",
                          flush=True)  # fmt: skip
    out = [
        Row("sargable", f"100-row range by {name}", "ms", median(got[name]["postgresql"]),
            median_or_none(got[name]["db9"]), Goal(at_most=3.0),
            note=errors.get(name) or ("" if returned[name].get("db9") == 100
                                      else f"db9 returned {returned[name].get('db9')} rows"))
        for name in queries
    ]  # fmt: skip
    return Section(out, {"table_rows": rows, "ms": got, "sql": queries, "errors": errors})
