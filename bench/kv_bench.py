"""KV benchmark: MVCC operations as a ratio of the same operation on raw LMDB, in one run.

    .venv/bin/python -m bench.kv_bench [--seconds 2] [--no-sync]

Raw LMDB is measured with the same environment flags (sync on by default), one transaction
per operation, as our MVCC layer does. Goals (issue 2): MVCC point get >= 30% of raw get;
committed 100-key transactions >= 20% of a raw 100-key batch.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import lmdb

from kv.client import LocalKv, TxnClient, TxnOptions

N_KEYS = 20_000
VALUE = b"v" * 100


def rate(fn: Callable[[int], None], seconds: float) -> float:
    """Operations per second of ``fn(i)`` over about ``seconds``."""
    fn(0)  # warm up
    n, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(50):
            fn(n)
            n += 1
        if time.perf_counter() >= deadline:
            return n / (time.perf_counter() - start)


def key(i: int) -> bytes:
    return f"user{i:08d}".encode()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--no-sync", action="store_true")
    ap.add_argument("--out", default="bench/results/kv.json")
    args = ap.parse_args()
    sync = not args.no_sync
    tmp = tempfile.mkdtemp(prefix="db9-bench-")
    rnd = random.Random(7)
    keys = [key(i) for i in range(N_KEYS)]
    order = [rnd.randrange(N_KEYS) for _ in range(1 << 16)]

    raw = lmdb.open(os.path.join(tmp, "raw"), map_size=1 << 32, sync=sync, metasync=sync)
    with raw.begin(write=True) as t:
        for k in keys:
            t.put(k, VALUE)
    kv = LocalKv.open(os.path.join(tmp, "mvcc"), sync=sync)
    client = TxnClient(kv, TxnOptions())
    txn = client.begin()
    for k in keys:
        txn.put(k, VALUE)
    txn.commit()
    read_ts = kv.get_ts()
    storage = kv.storage

    def raw_get(i: int) -> None:
        with raw.begin() as t:
            t.get(keys[order[i & 0xFFFF]])

    def mvcc_get(i: int) -> None:
        storage.get(keys[order[i & 0xFFFF]], read_ts)

    reader = client.begin()

    def txn_get(i: int) -> None:
        reader.get(keys[order[i & 0xFFFF]])

    def raw_scan(i: int) -> None:
        start = keys[order[i & 0xFFFF] % (N_KEYS - 1000)]
        with raw.begin() as t:
            cur = t.cursor()
            cur.set_range(start)
            for n, _ in enumerate(cur.iternext(), 1):
                if n == 100:
                    break

    def mvcc_scan(i: int) -> None:
        start = keys[order[i & 0xFFFF] % (N_KEYS - 1000)]
        storage.scan(start, None, read_ts, limit=100)

    counter = [N_KEYS]

    def raw_put1(i: int) -> None:
        with raw.begin(write=True) as t:
            t.put(key(counter[0] + i), VALUE)

    def mvcc_put1(i: int) -> None:
        t = client.begin()
        t.put(key(counter[0] + i), VALUE)
        t.commit()

    def raw_batch100(i: int) -> None:
        base = 10_000_000 + i * 100
        with raw.begin(write=True) as t:
            for j in range(100):
                t.put(key(base + j), VALUE)

    def mvcc_txn100(i: int) -> None:
        base = 10_000_000 + i * 100
        t = client.begin()
        for j in range(100):
            t.put(key(base + j), VALUE)
        t.commit()

    twopc = TxnClient(kv, TxnOptions(one_pc_max_keys=0, batch_keys=100))

    def mvcc_txn100_2pc(i: int) -> None:
        base = 50_000_000 + i * 100
        t = twopc.begin()
        for j in range(100):
            t.put(key(base + j), VALUE)
        t.commit()

    s = args.seconds
    results = {
        "point_get": (rate(raw_get, s), rate(mvcc_get, s)),
        "point_get_via_txn": (rate(raw_get, s), rate(txn_get, s)),
        "scan_100_rows": (rate(raw_scan, s), rate(mvcc_scan, s)),
        "commit_1_key": (rate(raw_put1, s), rate(mvcc_put1, s)),
        "commit_100_keys_1pc": (rate(raw_batch100, s), rate(mvcc_txn100, s)),
        "commit_100_keys_2pc": (rate(raw_batch100, s), rate(mvcc_txn100_2pc, s)),
    }
    reader.rollback()
    rows = []
    print(f"sync={sync}  (ops/s; ratio = MVCC / raw LMDB)")
    print(f"{'operation':<22}{'raw LMDB':>12}{'db9 MVCC':>12}{'ratio':>8}")
    for name, (r, m) in results.items():
        print(f"{name:<22}{r:>12,.0f}{m:>12,.0f}{m / r:>8.0%}")
        rows.append(
            {"op": name, "raw_ops_s": round(r), "mvcc_ops_s": round(m), "ratio": round(m / r, 3)}
        )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"sync": sync, "results": rows}, indent=2) + "\n")
    kv.close()
    raw.close()


if __name__ == "__main__":
    main()
