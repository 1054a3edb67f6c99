"""Branch-clone timing (issue 6): db9 copy-on-write branches vs PostgreSQL CREATE DATABASE
... TEMPLATE, on the same machine, at several database sizes.

    .venv/bin/python -m bench.branch_bench --sizes 1MB,100MB,1GB     (also: db9 bench branch)

For each size it loads a table of ~1 KB rows into a fresh db9 store (LMDB, fsync on, in this
process) and into a private PostgreSQL, then measures: branch creation (and the same clone by
PostgreSQL), the first read on the branch, prepared point selects and a full scan on the
branch vs the parent (depth 1), point selects at depth 8, and single-row updates on the
branch vs the parent. Prints a table, writes JSON and a PNG plot.

Targets: creation time at the largest size / at the smallest <= 1.5; point select on a
branch <= 1.3x the parent at depth 1 and <= 2x at depth 8.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import click

from kv.client import LocalKv, TxnClient
from sql.database import Database
from sql.layout import database_prefix
from sql.session import Session

ROW_BYTES = 1000
POINT_READS = 2000
UPDATES = 300


def parse_size(text: str) -> int:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMG]?B)", text.strip().upper())
    if not m:
        raise click.BadParameter(f"size {text!r}: use e.g. 1MB, 100MB, 1GB")
    return int(
        float(m.group(1)) * {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}[m.group(2)]
    )


def load_db9(session: Session, rows: int, label: str) -> float:
    session.execute("CREATE TABLE t (id int PRIMARY KEY, payload text)")
    started = time.perf_counter()
    batch = 5000
    with click.progressbar(range(0, rows, batch), label=f"loading db9 {label}") as bar:
        for lo in bar:
            hi = min(rows, lo + batch)
            session.execute(
                f"INSERT INTO t SELECT g, repeat('x', {ROW_BYTES}) "
                f"FROM generate_series({lo + 1}, {hi}) g"
            )
    return time.perf_counter() - started


def point_selects(db: Database, rows: int, n: int = POINT_READS) -> float:
    """Seconds per prepared point select, over ``n`` random ids (after one warm-up)."""
    s = Session(db)
    p = s.prepare("SELECT payload FROM t WHERE id = $1")
    s.execute_prepared(p, [1])
    ids = [random.randint(1, rows) for _ in range(n)]
    started = time.perf_counter()
    for i in ids:
        result = s.execute_prepared(p, [i])
        assert result.rows, i
    s.close()
    return (time.perf_counter() - started) / n


def timed(fn: Any) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def updates(db: Database, rows: int) -> float:
    s = Session(db)
    p = s.prepare("UPDATE t SET payload = 'updated' WHERE id = $1")
    ids = random.sample(range(1, rows + 1), min(UPDATES, rows))
    started = time.perf_counter()
    for i in ids:
        s.execute_prepared(p, [i])
    s.close()
    return (time.perf_counter() - started) / len(ids)


def measure_db9(size: int, workdir: Path) -> dict[str, Any]:
    rows = max(1, size // ROW_BYTES)
    kv = LocalKv.open(str(workdir / f"db9-{size}"))
    client = TxnClient(kv)
    parent = Database(client, database_prefix(10))
    load_s = load_db9(Session(parent), rows, f"{size >> 20} MB")
    out: dict[str, Any] = {
        "rows": rows,
        "db9_load_s": load_s,
        "db9_store_mb": kv.engine.stats().file_bytes / (1 << 20),
    }
    create_s = timed(lambda: kv.set_branch(database_prefix(11), database_prefix(10), kv.get_ts()))
    out["branch_create_ms"] = create_s * 1000
    branch = Database(client, database_prefix(11))
    out["first_read_ms"] = (
        timed(lambda: Session(branch).execute("SELECT payload FROM t WHERE id = 1")) * 1000
    )
    count = "SELECT count(*) FROM t"
    out["scan_parent_s"] = timed(lambda: Session(parent).execute(count))
    out["scan_branch_s"] = timed(lambda: Session(branch).execute(count))
    prev = 11
    for depth in range(2, 9):  # a chain: branch of a branch ... depth 8
        kv.set_branch(database_prefix(10 + depth), database_prefix(prev), kv.get_ts())
        prev = 10 + depth
    deep = Database(client, database_prefix(prev))
    # Rounds alternate between the three, so drift of the machine hits all alike; the
    # median round counts.
    rounds: dict[str, list[float]] = {"parent": [], "branch": [], "depth8": []}
    for _ in range(7):
        for name, db in (("parent", parent), ("branch", branch), ("depth8", deep)):
            rounds[name].append(point_selects(db, rows, POINT_READS // 4))
    for name, key in (
        ("parent", "point_parent_us"),
        ("branch", "point_branch_us"),
        ("depth8", "point_depth8_us"),
    ):
        out[key] = statistics.median(rounds[name]) * 1e6
    out["update_parent_ms"] = updates(parent, rows) * 1000
    out["update_branch_ms"] = updates(branch, rows) * 1000
    kv.close()
    return out


def measure_postgres(size: int) -> dict[str, float]:
    import psycopg

    from tests.sql.pg import postgres_server  # the suite's private PostgreSQL (Debian packages)

    rows = max(1, size // ROW_BYTES)
    with postgres_server("-c fsync=on") as conninfo:  # durable, as db9 is
        with psycopg.connect(conninfo, autocommit=True) as pg:
            pg.execute("CREATE DATABASE src")
        with psycopg.connect(
            conninfo.replace("dbname=postgres", "dbname=src"), autocommit=True
        ) as src:
            src.execute("CREATE TABLE t (id int PRIMARY KEY, payload text)")
            src.execute(
                f"INSERT INTO t SELECT g, repeat('x', {ROW_BYTES}) "
                f"FROM generate_series(1, {rows}) g"
            )
            src.execute("CHECKPOINT")
        with psycopg.connect(conninfo, autocommit=True) as pg:
            clone = timed(lambda: pg.execute("CREATE DATABASE copy TEMPLATE src"))
    return {"pg_template_clone_ms": clone * 1000}


def plot(results: dict[str, dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = list(results)
    mb = [int(s) / (1 << 20) for s in sizes]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(mb, [results[s]["branch_create_ms"] for s in sizes], "o-", label="db9 branch create")
    ax.plot(
        mb,
        [results[s]["pg_template_clone_ms"] for s in sizes],
        "s-",
        label="PostgreSQL CREATE DATABASE TEMPLATE",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("database size (MB)")
    ax.set_ylabel("clone time (ms)")
    ax.set_title("Clone time vs database size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def run(sizes: list[int], out_dir: Path, with_postgres: bool = True) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="db9-branch-bench-") as tmp:
        for size in sizes:
            r = measure_db9(size, Path(tmp))
            if with_postgres:
                r.update(measure_postgres(size))
            results[str(size)] = r
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "branch.json").write_text(json.dumps(results, indent=2) + "\n")
    if with_postgres:
        plot(results, out_dir / "branch.png")
    report(results)
    return results


def report(results: dict[str, dict[str, Any]]) -> None:
    cols = [
        "rows",
        "branch_create_ms",
        "pg_template_clone_ms",
        "first_read_ms",
        "point_parent_us",
        "point_branch_us",
        "point_depth8_us",
        "scan_parent_s",
        "scan_branch_s",
        "update_parent_ms",
        "update_branch_ms",
    ]
    click.echo("size      " + "  ".join(f"{c:>12}" for c in cols))
    for size, r in results.items():
        vals = "  ".join(
            f"{r.get(c, float('nan')):>12.3f}" if c != "rows" else f"{r[c]:>12}" for c in cols
        )
        click.echo(f"{int(size) >> 20:>6} MB " + vals)
    sizes = list(results)
    first, last = results[sizes[0]], results[sizes[-1]]
    click.echo(
        f"creation time {int(sizes[-1]) >> 20} MB / {int(sizes[0]) >> 20} MB: "
        f"{last['branch_create_ms'] / first['branch_create_ms']:.2f} (target <= 1.5)"
    )
    for size, r in results.items():
        click.echo(
            f"{int(size) >> 20} MB: point select branch/parent "
            f"{r['point_branch_us'] / r['point_parent_us']:.2f} (target <= 1.3), "
            f"depth 8/parent {r['point_depth8_us'] / r['point_parent_us']:.2f} "
            "(target <= 2)"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1MB,100MB,1GB")
    ap.add_argument("--out", default="bench/results")
    ap.add_argument("--no-postgres", action="store_true")
    args = ap.parse_args()
    run([parse_size(s) for s in args.sizes.split(",")], Path(args.out), not args.no_postgres)


if __name__ == "__main__":
    main()
