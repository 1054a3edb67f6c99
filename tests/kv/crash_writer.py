"""A process that commits transactions through LMDB as fast as it can and prints each one
after its commit returned; test_crash_recovery kills it with SIGKILL mid-stream.

Usage: python -m tests.kv.crash_writer DATA_DIR FIRST_TXN [THREADS]

With THREADS > 1 the writers run concurrently (thread t commits FIRST+t, FIRST+t+THREADS,
...), so their commands share group commits and the kill lands inside groups.
"""

from __future__ import annotations

import sys
import threading

from kv.client import LocalKv, TxnClient, TxnOptions


def main() -> None:
    path, first = sys.argv[1], int(sys.argv[2])
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    kv = LocalKv.open(path)
    # Small 1PC limit and batches: most transactions go through multi-request 2PC, so a kill
    # lands between prewrite batches, between primary and secondaries, and inside 1PC.
    client = TxnClient(kv, TxnOptions(lock_ttl_ms=300, one_pc_max_keys=4, batch_keys=5))
    out = threading.Lock()

    def writer(i: int) -> None:
        while True:
            size = 1 + (i * 7) % 23
            txn = client.begin()
            for j in range(size):
                txn.put(f"t{i:07d}/{j:03d}".encode(), f"{size}".encode() * (1 + j * 20))
            txn.commit()
            with out:
                print(i, size, flush=True)
            i += threads

    for t in range(1, threads):
        threading.Thread(target=writer, args=(first + t,), daemon=True).start()
    writer(first)


if __name__ == "__main__":
    main()
