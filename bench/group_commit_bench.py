"""Group commit on one node: committed transactions per second with 1 and 8 writer threads.

    .venv/bin/python -m bench.group_commit_bench [--seconds 5] [--rounds 3] [--compare-root DIR]

Each transaction puts one 100-byte value under its own key through ``TxnClient`` on a local
LMDB store with fsync on (a one-phase commit: one write command). The reference is raw LMDB
in the same run: one write transaction (one commit and its syncs) per put, one thread, the
ceiling of a store that syncs every commit on its own. Reported: transactions per second and
LMDB commits per transaction (below 1 when writers share commits). Medians of the rounds.
Each db9 cell runs in its own process; ``--compare-root`` runs every cell a second time from
another checkout (e.g. the commit before a change), right after this one's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import lmdb

from kv.client import LocalKv, TxnClient

VALUE = b"v" * 100


def raw_lmdb(path: str, seconds: float) -> float:
    env = lmdb.open(path, map_size=1 << 32, sync=True, metasync=True)
    n, deadline = 0, time.monotonic() + seconds
    start = time.monotonic()
    while time.monotonic() < deadline:
        with env.begin(write=True) as txn:
            txn.put(b"raw%09d" % n, VALUE)
        n += 1
    elapsed = time.monotonic() - start
    env.close()
    return n / elapsed


def db9(path: str, threads: int, seconds: float) -> tuple[float, float]:
    kv = LocalKv.open(path)
    client = TxnClient(kv)
    counts = [0] * threads
    stop = threading.Event()

    def writer(t: int) -> None:
        n = 0
        while not stop.is_set():
            txn = client.begin()
            txn.put(b"t%02d/%09d" % (t, n), VALUE)
            txn.commit()
            n += 1
        counts[t] = n

    commits_before = getattr(kv.engine, "commits", 0)
    workers = [threading.Thread(target=writer, args=(t,)) for t in range(threads)]
    start = time.monotonic()
    for w in workers:
        w.start()
    time.sleep(seconds)  # the measured interval
    stop.set()
    for w in workers:
        w.join()
    elapsed = time.monotonic() - start
    commits = getattr(kv.engine, "commits", 0) - commits_before
    kv.close()
    total = sum(counts)
    return total / elapsed, (commits / total if commits else float("nan"))


def cell(root: str | None, path: str, threads: int, seconds: float) -> tuple[float, float]:
    """One db9 cell in its own process, run from the checkout at ``root`` (default: this)."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.group_commit_bench", "--cell", str(threads),
         "--seconds", str(seconds), "--path", path],
        cwd=root, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    tps, per = json.loads(out.strip().splitlines()[-1])
    return float(tps), float(per)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--compare-root", default="", help="also run db9 from this checkout")
    ap.add_argument("--cell", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--path", default="", help=argparse.SUPPRESS)
    ap.add_argument("--out", default="bench/results/group_commit.json")
    args = ap.parse_args()
    if args.cell:
        print(json.dumps(db9(args.path, args.cell, args.seconds)))
        return
    tmp = tempfile.mkdtemp(prefix="db9-bench-")
    roots = {"db9": None, **({"db9-base": args.compare_root} if args.compare_root else {})}
    rows: dict[str, list[float]] = {}
    for round_ in range(args.rounds):
        raw = raw_lmdb(os.path.join(tmp, f"raw{round_}"), args.seconds)
        rows.setdefault("raw LMDB, 1 thread", []).append(raw)
        print(f"round {round_ + 1} raw LMDB, 1 thread: {raw:,.0f} commits/s", flush=True)
        for threads in (1, 8):
            for name, root in roots.items():
                path = os.path.join(tmp, f"{name}-{threads}-{round_}")
                tps, per = cell(root, path, threads, args.seconds)
                rows.setdefault(f"{name}, {threads} threads", []).append(tps)
                if per == per:  # a checkout without Engine.commits reports NaN
                    rows.setdefault(f"{name}, {threads} threads: LMDB commits/txn", []).append(per)
                print(f"round {round_ + 1} {name} {threads} threads: {tps:,.0f} txn/s, "
                      f"{per:.2f} LMDB commits per txn", flush=True)  # fmt: skip
    summary = {name: round(statistics.median(v), 2) for name, v in rows.items()}
    print(json.dumps(summary, indent=2))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({
        "when": time.strftime("%Y-%m-%d %H:%M"), "seconds": args.seconds,
        "rounds": args.rounds, "median": summary, "all": rows,
    }, indent=2) + "\n")  # fmt: skip


if __name__ == "__main__":
    main()
