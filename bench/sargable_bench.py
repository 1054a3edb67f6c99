"""A 100-row read by each sargable form, db9 against PostgreSQL 15 in the same run (issue 14:
goal <= 3x PostgreSQL's latency).

    .venv/bin/python -m bench.sargable_bench [--rows 1000000] [--rounds 5] [--reps 30]

Both servers on this machine over TCP loopback, each loaded with the same pgbench_accounts-like
table (``aid`` primary key, an index on ``(bid, abalance)``, one on ``tag`` for LIKE, one on
``note`` for IS NULL). Each statement is prepared (psycopg, server-side) and run ``--reps``
times per round with a fresh random position; a round times every form on PostgreSQL then on
db9, and the table is the median over rounds of the mean latency. ``run(port_base)`` is what
bench.pg_compare calls: PostgreSQL on ``port_base``, db9 on ``port_base + 1``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from bench.pgbench_bench import db9_server
from tests.sql.pg import postgres_server

Params = Callable[[random.Random, int], tuple[Any, ...]]


def _x(rng: random.Random, n: int) -> int:
    return rng.randrange(1, n - 200)


# name -> (statement, its parameters for a table of n rows); each reads ~100 rows
FORMS: dict[str, tuple[str, Params]] = {
    "pk BETWEEN": (
        "SELECT * FROM accounts WHERE aid BETWEEN %s AND %s",
        lambda r, n: (x := _x(r, n), x + 99),
    ),
    "pk IN (100 values)": (
        "SELECT * FROM accounts WHERE aid = ANY(%s::int[])",
        lambda r, n: ((x := _x(r, n), list(range(x, x + 200, 2)))[1],),
    ),
    "pk OR of two ranges": (
        "SELECT * FROM accounts WHERE aid BETWEEN %s AND %s OR aid BETWEEN %s AND %s",
        lambda r, n: (x := _x(r, n), x + 49, x + 100, x + 149),
    ),
    "index eq + range": (
        "SELECT * FROM accounts WHERE bid = %s AND abalance BETWEEN %s AND %s",
        lambda r, n: (1, x := _x(r, n // 10), x + 99),
    ),
    "index row comparison": (
        "SELECT * FROM accounts WHERE (bid, abalance) >= (%s, %s) AND (bid, abalance) < (%s, %s)",
        lambda r, n: (1, x := _x(r, n // 10), 1, x + 100),
    ),
    "index-only eq + range": (
        "SELECT bid, abalance, aid FROM accounts WHERE bid = %s AND abalance BETWEEN %s AND %s",
        lambda r, n: (1, x := _x(r, n // 10), x + 99),
    ),
    "LIKE prefix": (
        "SELECT * FROM accounts WHERE tag LIKE %s",
        lambda r, n: (f"a{r.randrange(1000, min(10000, n // 100))}%",),
    ),
    "IS NULL": ("SELECT * FROM accounts WHERE note IS NULL", lambda r, n: ()),
}


def load(conn: psycopg.Connection[Any], n: int) -> None:
    """``n`` accounts: 10 branches of consecutive aids, abalance the aid within its branch,
    tag 'a<aid>' (LIKE 'a1234%' holds ~100 rows when n is 10**k x 100), note NULL for 100."""
    conn.execute(
        "CREATE TABLE accounts (aid int PRIMARY KEY, bid int, abalance int, tag text, note int, "
        "filler char(84))"
    )
    step = 50_000
    every = max(n // 100, 1)
    for lo in range(1, n + 1, step):
        hi = min(lo + step - 1, n)
        conn.execute(
            f"INSERT INTO accounts SELECT i, (i - 1) / {n // 10} + 1, (i - 1) % {n // 10} + 1, "
            f"'a' || i, CASE WHEN i % {every} = 0 THEN NULL ELSE i END, '' "
            f"FROM generate_series({lo}, {hi}) i"
        )
    conn.execute("CREATE INDEX accounts_bid_abalance ON accounts (bid, abalance)")
    conn.execute("CREATE INDEX accounts_tag ON accounts (tag)")
    conn.execute("CREATE INDEX accounts_note ON accounts (note)")
    conn.execute("ANALYZE accounts")


def time_form(conn: psycopg.Connection[Any], form: str, n: int, reps: int, seed: int) -> float:
    """Mean milliseconds per execution of ``form`` (prepared) over ``reps`` positions."""
    sql, params = FORMS[form]
    rng = random.Random(seed)
    args = [params(rng, n) for _ in range(reps)]
    conn.execute(sql, args[0], prepare=True).fetchall()  # prepare and warm
    start = time.perf_counter()
    for a in args:
        rows = conn.execute(sql, a, prepare=True).fetchall()
        assert rows or form == "LIKE prefix", form
    return (time.perf_counter() - start) * 1000 / reps


def plans(conn: psycopg.Connection[Any], n: int) -> dict[str, str]:
    """The scan line of each form's plan (its parameters as constants), to show which path
    each server took."""
    out = {}
    rng = random.Random(0)
    for form, (sql, params) in FORMS.items():
        text = conn.execute("EXPLAIN " + sql, params(rng, n)).fetchall()
        scans = [r[0] for r in text if "Scan" in r[0]]
        out[form] = scans[0].strip(" ->").split("  (")[0] if scans else "?"
    return out


def run(port_base: int, rows: int = 1_000_000, rounds: int = 5, reps: int = 30) -> dict[str, Any]:
    """Every form on both servers; {form: {postgresql_ms, db9_ms, ratio, plans}}."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(postgres_server(f"-c listen_addresses=127.0.0.1 -p {port_base}"))
        pg_info = f"host=127.0.0.1 port={port_base} user=postgres dbname=postgres"
        db9_info = stack.enter_context(db9_server(port_base + 1))
        conns = {
            "postgresql": psycopg.connect(pg_info, autocommit=True),
            "db9": psycopg.connect(db9_info, password="bench", autocommit=True),
        }
        loaded = {}
        for name, conn in conns.items():
            start = time.perf_counter()
            load(conn, rows)
            loaded[name] = time.perf_counter() - start
        shown = {name: plans(conn, rows) for name, conn in conns.items()}
        times: dict[str, dict[str, list[float]]] = {f: {s: [] for s in conns} for f in FORMS}
        for r in range(rounds):
            for form in FORMS:
                for name, conn in conns.items():
                    times[form][name].append(time_form(conn, form, rows, reps, seed=r))
        for conn in conns.values():
            conn.close()
    result: dict[str, Any] = {"rows": rows, "rounds": rounds, "reps": reps, "load_s": loaded}
    for form in FORMS:
        pg = statistics.median(times[form]["postgresql"])
        ours = statistics.median(times[form]["db9"])
        result[form] = {
            "postgresql_ms": round(pg, 3),
            "db9_ms": round(ours, 3),
            "ratio": round(ours / pg, 2),
            "plan_postgresql": shown["postgresql"][form],
            "plan_db9": shown["db9"][form],
        }
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--port-base", type=int, default=16000)
    args = ap.parse_args()
    result = run(args.port_base, args.rows, args.rounds, args.reps)
    print(f"{'form':24} {'PostgreSQL ms':>14} {'db9 ms':>9} {'db9/PG':>7}  db9 plan")
    for form in FORMS:
        r = result[form]
        print(f"{form:24} {r['postgresql_ms']:14.3f} {r['db9_ms']:9.3f} {r['ratio']:7.2f}  "
              f"{r['plan_db9']}")  # fmt: skip
    out = Path(__file__).parent / "results" / "sargable.json"
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
