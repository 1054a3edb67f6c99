"""Cluster benchmark (issue 5): committed single-key transactions per second on 3 nodes, vs
the same client on a 1-node cluster and vs raw pysyncobj replicated calls; and the write gap
after kill -9 of the leader.

    .venv/bin/python -m bench.cluster_bench [--seconds 10] [--failovers 5]

All nodes are separate processes on loopback with fsync on (LMDB and the Raft journal). The
db9 client is TxnClient over RemoteKv (gRPC) in this process; each transaction is
begin (a replicated timestamp) + one put + one-phase commit: two Raft commands.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from kv.client import TxnClient
from tests.cluster.harness import LocalCluster, free_ports, running_cluster


def rate(op: Callable[[int, int], None], threads: int, seconds: float) -> float:
    """Calls of ``op(thread, n)`` per second from ``threads`` threads for ``seconds``."""
    done = [0] * threads
    errors: list[BaseException] = []
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        n = 0
        try:
            while time.monotonic() < stop:
                op(i, n)
                n += 1
        except BaseException as exc:  # surfaced below: a failed op must not pass as a rate
            errors.append(exc)
        done[i] = n

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    started = time.monotonic()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise errors[0]
    return sum(done) / (time.monotonic() - started)


def txn_rate(client: TxnClient, threads: int, seconds: float) -> float:
    def put(i: int, n: int) -> None:
        txn = client.begin()
        txn.put(f"bench/{i}/{n}".encode(), b"x" * 100)
        txn.commit()

    return rate(put, threads, seconds)


def raw_syncobj_rate(base: Path, threads: int, seconds: float) -> float:
    ports = free_ports(3)
    addrs = [f"127.0.0.1:{p}" for p in ports]
    base.mkdir(parents=True, exist_ok=True)
    procs = [
        subprocess.Popen([sys.executable, "-m", "bench.raw_syncobj", "--self", a,
                          "--peers", ",".join(addrs), "--journal", str(base / f"j{i}")])
        for i, a in enumerate(addrs[1:], 1)
    ]  # fmt: skip
    try:
        out = subprocess.run(
            [sys.executable, "-m", "bench.raw_syncobj", "--self", addrs[0], "--peers",
             ",".join(addrs), "--journal", str(base / "j0"), "--load", str(threads),
             "--seconds", str(seconds)],
            capture_output=True, text=True, timeout=seconds + 120,
        )  # fmt: skip
        return float(json.loads(out.stdout.strip().splitlines()[-1])["calls_per_s"])
    finally:
        for p in procs:
            p.kill()
            p.wait()


def failover_gaps(cluster: LocalCluster, rounds: int) -> list[float]:
    client = TxnClient(cluster.client(retry_s=30))
    gaps = []
    for r in range(rounds):
        leader = cluster.wait_leader()
        killed = time.monotonic()
        cluster.kill(leader)
        txn = client.begin()
        txn.put(f"failover/{r}".encode(), b"1")
        txn.commit()
        gaps.append(time.monotonic() - killed)
        cluster.start(leader)
        cluster.wait_applied(leader, int(cluster.status(cluster.wait_leader())["commit"]))  # type: ignore[index,call-overload]
    return gaps


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--failovers", type=int, default=5)
    ap.add_argument("--out", default="bench/results/cluster.json")
    args = ap.parse_args()
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="db9-cluster-bench-") as tmp:
        base = Path(tmp)
        for threads in (1, 16):
            results[f"raw_pysyncobj_3_nodes_{threads}_callers"] = raw_syncobj_rate(
                base / f"raw{threads}", threads, args.seconds)  # fmt: skip
            for nodes in (1, 3):
                with running_cluster(base / f"db9-{nodes}-{threads}", nodes) as cluster:
                    client = TxnClient(cluster.client())
                    results[f"db9_{nodes}_nodes_{threads}_clients"] = txn_rate(
                        client, threads, args.seconds)  # fmt: skip
        with running_cluster(base / "failover", 3) as cluster:
            gaps = failover_gaps(cluster, args.failovers)
        results["failover_gaps_s"] = gaps
        results["failover_gap_median_s"] = statistics.median(gaps)
        results["failover_gap_max_s"] = max(gaps)
    for k, v in results.items():
        print(f"{k:<40} {v if isinstance(v, list) else f'{v:,.2f}'}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
