"""CPU cost of the server's allocator: the same SQL work in processes on pymalloc, on
jemalloc (``PYTHONMALLOC=malloc`` with it preloaded, as ``control/allocator.py`` runs the
server) and on glibc's malloc, interleaved rounds.

    .venv/bin/python -m bench.allocator_bench [--rounds 3]

Each round runs, in one fresh process per allocator, 3,000 point selects, 15 aggregates over
20,000 rows and 1,500 single-row updates through a ``Session`` on the in-memory engine, and
prints the CPU seconds (``time.process_time``, so other load on the machine counts less).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from control.allocator import find_jemalloc

ROOT = Path(__file__).resolve().parents[1]


def work() -> float:
    from kv.client import TxnClient
    from sql.session import Database, Session
    from tests.kv.conftest import local_kv

    s = Session(Database(TxnClient(local_kv()), b"d\x00\x00\x00\x01"))
    s.execute("CREATE TABLE t(id int PRIMARY KEY, a int, b text)")
    s.execute("INSERT INTO t SELECT g, g % 97, 'row ' || g FROM generate_series(1, 20000) g")
    start = time.process_time()
    for i in range(3000):
        s.execute(f"SELECT b FROM t WHERE id = {i % 20000 + 1}")
    for _ in range(15):
        s.execute("SELECT a, count(*), max(b) FROM t GROUP BY a ORDER BY a")
    for i in range(1500):
        s.execute(f"UPDATE t SET a = a + 1 WHERE id = {i + 1}")
    return time.process_time() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(f"{work():.3f}")
        return
    jemalloc = find_jemalloc()
    variants: dict[str, dict[str, str]] = {"pymalloc": {"PYTHONMALLOC": "pymalloc"}}
    if jemalloc:
        variants["jemalloc"] = {"PYTHONMALLOC": "malloc", "LD_PRELOAD": jemalloc}
    variants["glibc malloc"] = {"PYTHONMALLOC": "malloc"}
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, env in variants.items():
            out = subprocess.run(
                [sys.executable, "-m", "bench.allocator_bench", "--child"],
                cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, check=True,
            )  # fmt: skip
            seconds[name].append(float(out.stdout.split()[-1]))
    for name, values in seconds.items():
        print(f"{name:13s} CPU s per round: {', '.join(f'{v:.2f}' for v in values)}")


if __name__ == "__main__":
    main()
