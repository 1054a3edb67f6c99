"""GC's cost on the Raft apply thread: one in-process node, N keys, four passes.

    .venv/bin/python -m bench.gc_apply_bench [--keys 100000] [--sync] [--compare-root DIR]

Passes: ``full-idle`` (a full walk, nothing collectable: what every pass of the issue-17 run
was), ``log-idle`` (a pass over the GC log with nothing written), ``log-garbage`` (every key
overwritten once, then a pass: N versions and N log entries to delete) and ``full-garbage``
(every key overwritten again, then a full walk). For each: the pass's wall time, the apply
thread's time in GC commands (``_ApplyState.run``) and in the Raft entries holding them
(``_apply``, inside its LMDB transaction), its CPU time (``time.thread_time``: wall time
includes waits for the GIL), the GC commands applied and the longest. During
``log-garbage`` a writer thread commits one key at a time: its longest and 99th-percentile
commit, against the same writer with no pass running. ``--compare-root`` runs the same from
another checkout (e.g. the commit before a change), in its own process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

GC_KINDS = ("gc_chunk", "gc_delete")


def measure(keys: int, sync: bool) -> dict[str, Any]:
    from cluster.node import ClusterConfig, ClusterNode
    from cluster.state_machine import KvStateMachine, RaftOptions, _ApplyState
    from kv.client import TxnClient
    from kv.gc_worker import collect_garbage
    from tests.cluster.harness import free_ports

    cmd_times: list[float] = []
    cmd_cpu: list[float] = []  # the apply thread's own CPU (wall time includes GIL waits)
    entry_times: list[float] = []
    real_run, real_apply = _ApplyState.run, KvStateMachine._apply

    def run(self: Any, c: Any, r: Any, w: Any) -> Any:
        if c.WhichOneof("cmd") not in GC_KINDS:
            return real_run(self, c, r, w)
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            return real_run(self, c, r, w)
        finally:
            cmd_times.append(time.perf_counter() - t0)
            cmd_cpu.append(time.thread_time() - c0)

    def apply(self: Any, view: Any, batch: Any, index: int) -> Any:
        if not any(c.WhichOneof("cmd") in GC_KINDS for c in batch.commands):
            return real_apply(self, view, batch, index)
        t0 = time.perf_counter()
        try:
            return real_apply(self, view, batch, index)
        finally:
            entry_times.append(time.perf_counter() - t0)

    _ApplyState.run = run  # type: ignore[method-assign]
    KvStateMachine._apply = apply  # type: ignore[method-assign]
    out: dict[str, Any] = {}
    raft_port, grpc_port = free_ports(2)
    with tempfile.TemporaryDirectory(prefix="db9-gcbench-") as data_dir:
        config = ClusterConfig(
            1, data_dir, f"127.0.0.1:{raft_port}", [], f"127.0.0.1:{grpc_port}", "gc", sync
        )
        options = RaftOptions(
            password="gc",
            sync=sync,
            min_timeout_s=0.1,
            max_timeout_s=0.15,
            leader_fallback_s=0.08,
            append_period_s=0.02,
        )
        node = ClusterNode(config, options)
        kv = node.kv
        client = TxnClient(kv)
        try:
            kv.get_ts()

            def write_all(value: bytes) -> None:
                for lo in range(0, keys, 5000):
                    txn = client.begin()
                    for i in range(lo, min(lo + 5000, keys)):
                        txn.put(b"k%07d" % i, value)
                    txn.commit()

            def one(name: str, full: bool, safepoint: int = 0) -> None:
                cmd_times.clear()
                cmd_cpu.clear()
                entry_times.clear()
                t0 = time.perf_counter()
                # A writer running meanwhile starts above ``safepoint``.
                report = collect_garbage(kv, safepoint or kv.get_ts(), full=full)
                wall = time.perf_counter() - t0
                out[name] = {
                    "keys_scanned": report.keys_scanned,
                    "versions_deleted": report.versions_deleted,
                    "wall_s": round(wall, 3),
                    "gc_commands": len(cmd_times),
                    "apply_gc_cmd_s": round(sum(cmd_times), 4),
                    "apply_gc_cmd_cpu_s": round(sum(cmd_cpu), 4),
                    "apply_gc_entries_s": round(sum(entry_times), 4),
                    "longest_gc_cmd_ms": round(max(cmd_times, default=0) * 1000, 2),
                    "longest_gc_cmd_cpu_ms": round(max(cmd_cpu, default=0) * 1000, 2),
                    "p99_gc_cmd_ms": round(
                        sorted(cmd_times)[int(len(cmd_times) * 0.99)] * 1000 if cmd_times else 0, 2
                    ),
                    "longest_gc_entry_ms": round(max(entry_times, default=0) * 1000, 2),
                }

            def writer_latencies(stop: threading.Event, lat: list[float]) -> None:
                n = 0
                while not stop.is_set():
                    t0 = time.perf_counter()
                    txn = client.begin()
                    txn.put(b"w%09d" % n, b"x")
                    txn.commit()
                    lat.append(time.perf_counter() - t0)
                    n += 1

            def with_writer(action: Callable[[], None]) -> dict[str, float]:
                stop, lat = threading.Event(), []
                t = threading.Thread(target=writer_latencies, args=(stop, lat))
                t.start()
                try:
                    action()
                finally:
                    stop.set()
                    t.join()
                lat.sort()
                return {
                    "writes": len(lat),
                    "p99_ms": round(lat[int(len(lat) * 0.99)] * 1000, 2),
                    "max_ms": round(lat[-1] * 1000, 2),
                }

            write_all(b"v1")
            one("full-idle", True)
            one("log-idle", False)
            write_all(b"v2")
            sp = kv.get_ts()
            out["writer-alone"] = with_writer(lambda: time.sleep(3.0))
            out["writer-during-log-garbage"] = with_writer(lambda: one("log-garbage", False, sp))
            write_all(b"v3")
            one("full-garbage", True)
        finally:
            node.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=100_000)
    ap.add_argument("--sync", action="store_true", help="fsync on (LMDB and the Raft journal)")
    ap.add_argument("--compare-root", help="another checkout to run the same from")
    ap.add_argument("--json", action="store_true", help="(internal) print one JSON line")
    args = ap.parse_args()
    if args.json:
        print(json.dumps(measure(args.keys, args.sync)))
        return
    roots = {"this": os.getcwd()}
    if args.compare_root:
        roots["compare"] = args.compare_root
    for label, root in roots.items():
        cmd = [sys.executable, "-m", "bench.gc_apply_bench", "--json", "--keys", str(args.keys)]
        if args.sync:
            cmd.append("--sync")
        env = {**os.environ, "PYTHONPATH": root}
        res = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
        if res.returncode:
            sys.exit(res.stderr)
        result = json.loads(res.stdout.strip().splitlines()[-1])
        print(f"== {label} ({root})")
        for name, row in result.items():
            print(f"  {name:28s} " + "  ".join(f"{k}={v}" for k, v in row.items()))


if __name__ == "__main__":
    main()
