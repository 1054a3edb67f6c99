"""python -m tests.jepsen --workload register --nemesis kill,pause --time 60 [--runs 10]

Starts a local 3-node cluster per run, drives the workload while the nemesis injects faults,
checks the history and writes a report per run under --out (summary.json, history.jsonl,
timeline.png), plus one line per run on stdout. Exit status 1 if any run found an anomaly.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.jepsen.runner import NEMESES, WORKLOADS, RunConfig, execute, report


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m tests.jepsen")
    ap.add_argument("--workload", choices=WORKLOADS, required=True)
    ap.add_argument(
        "--nemesis",
        default="kill,pause",
        help=f"comma separated, from {', '.join(NEMESES)}; 'none' for no faults",
    )
    ap.add_argument("--time", type=float, default=30.0, help="seconds of load per run")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--clients", type=int, default=5)
    ap.add_argument("--out", default="jepsen-results")
    ap.add_argument(
        "--unsafe-reads",
        action="store_true",
        help="the deliberately broken build: reads skip the replication barrier",
    )
    args = ap.parse_args()
    nemeses = [] if args.nemesis == "none" else args.nemesis.split(",")
    for n in nemeses:
        if n not in NEMESES:
            ap.error(f"unknown nemesis {n!r}")
    failed = 0
    for i in range(args.runs):
        cfg = RunConfig(
            args.workload, nemeses, args.time, args.clients, unsafe_reads=args.unsafe_reads, seed=i
        )
        with tempfile.TemporaryDirectory(prefix="db9-jepsen-") as tmp:
            result, history = execute(Path(tmp), cfg)
        out = Path(args.out) / f"{args.workload}-{i + 1}"
        report(result, history, out)
        counts = result.get("op_counts", {})
        print(
            f"run {i + 1}: {'valid' if result['valid'] else 'INVALID'}  ok={counts.get('ok', 0)} "
            f"fail={counts.get('fail', 0)} info={counts.get('info', 0)}  "
            f"faults={len(result['faults'])}  report={out}",
            flush=True,
        )
        failed += not result["valid"]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
