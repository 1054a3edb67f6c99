"""Raw pysyncobj reference for bench/cluster_bench.py: a replicated counter, no storage.

    python -m bench.raw_syncobj --self ADDR --peers A,B,C --journal FILE [--load T --seconds S]

With --load, waits until a leader is known, runs T threads of synchronous replicated calls for S
seconds and prints one JSON line {"calls_per_s": ...}; without, it serves until killed.
"""

from __future__ import annotations

import argparse
import json
import threading
import time

from pysyncobj import SyncObj, SyncObjConf, replicated

from cluster import raft_fixes

raft_fixes.apply()  # the same journal syncing as db9's Raft


class Counter(SyncObj):  # type: ignore[misc]
    def __init__(self, self_addr: str, peers: list[str], journal: str) -> None:
        conf = SyncObjConf(password="bench", journalFile=journal, appendEntriesUseBatch=False,
                           leaderFallbackTimeout=0.35)  # fmt: skip
        super().__init__(self_addr, [p for p in peers if p != self_addr], conf)
        self.value = 0

    @replicated  # type: ignore[untyped-decorator]
    def incr(self) -> int:
        self.value += 1
        return self.value


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--self", dest="self_addr", required=True)
    ap.add_argument("--peers", required=True)
    ap.add_argument("--journal", required=True)
    ap.add_argument("--load", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()
    node = Counter(args.self_addr, args.peers.split(","), args.journal)
    if not args.load:
        threading.Event().wait()
    while node._getLeader() is None:  # a follower forwards its calls, as db9's nodes do
        time.sleep(0.05)
    done = [0] * args.load
    stop = time.monotonic() + args.seconds

    def worker(i: int) -> None:
        while time.monotonic() < stop:
            node.incr(sync=True, timeout=10)
            done[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.load)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"calls_per_s": sum(done) / (time.monotonic() - started)}), flush=True)
    node.destroy()


if __name__ == "__main__":
    main()
