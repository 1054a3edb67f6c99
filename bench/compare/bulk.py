"""Bulk writes: COPY of 200,000 rows from the client, then INSERT ... SELECT of them into a
second table; both tables fresh every round (quick: 20,000 rows)."""

from __future__ import annotations

import time

from bench.compare.rows import Context, Goal, Row, Section, median
from bench.compare.sql import connect, timed
from bench.servers import Server

TABLES = ("cmp_copy", "cmp_insert")


def rows_text(n: int) -> bytes:
    return "".join(f"{i}\t{i * 7 % 1000}\tfiller-{i:040d}\n" for i in range(1, n + 1)).encode()


def one_round(server: Server, data: bytes) -> tuple[float, float]:
    with connect(server) as conn:
        for t in TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {t}")
            conn.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, a int, b text)")
        t0 = time.perf_counter()
        with conn.cursor() as cur, cur.copy("COPY cmp_copy FROM STDIN") as copy:
            for i in range(0, len(data), 1 << 20):
                copy.write(data[i : i + (1 << 20)])
        copy_s = time.perf_counter() - t0
        insert_s, _ = timed(conn, "INSERT INTO cmp_insert SELECT * FROM cmp_copy")
        for t in TABLES:
            conn.execute(f"DROP TABLE {t}")
    return copy_s, insert_s


def run(ctx: Context) -> Section:
    n = 20_000 if ctx.quick else 200_000
    data = rows_text(n)
    got: dict[str, dict[str, list[float]]] = {
        "copy": {"postgresql": [], "db9": []}, "insert": {"postgresql": [], "db9": []}}  # fmt: skip
    for round_ in range(ctx.rounds):
        for server in ctx.order(round_):
            copy_s, insert_s = one_round(server, data)
            got["copy"][server.name].append(copy_s)
            got["insert"][server.name].append(insert_s)
            print(f"  COPY / INSERT SELECT {n} {server.name:<11}{copy_s:>7.2f} /"
                  f"{insert_s:>6.2f} s", flush=True)  # fmt: skip
    rows = [
        Row("bulk", f"COPY {n:,} rows", "s", median(got["copy"]["postgresql"]),
            median(got["copy"]["db9"]), Goal(at_most=5.0)),
        Row("bulk", f"INSERT ... SELECT {n:,} rows", "s", median(got["insert"]["postgresql"]),
            median(got["insert"]["db9"]), note="no goal of its own in the issue"),
    ]  # fmt: skip
    return Section(rows, {"rows": n, "seconds": got})
