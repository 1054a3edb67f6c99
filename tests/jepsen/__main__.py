"""python -m tests.jepsen --workload register --nemesis kill,pause --time 60 [--runs 10]
python -m tests.jepsen --cluster compose --workload set --nemesis all --time 30

Starts a 3-node cluster per run: local processes (each node in its own network namespace when
run as root, which the partition nemesis needs) or, with ``--cluster compose``, the containers
of deploy/compose.yml (their image built once first, from this checkout). Drives the workload
while the nemesis injects faults, checks the history and writes a report per run under --out
(summary.json, history.jsonl, timeline.png; an invalid run also keeps its nodes' logs), one
line per run on stdout, and a table of all runs in --out/runs.md.
Exit status 1 if any run found an anomaly.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

from tests.cluster import compose
from tests.jepsen import clusters
from tests.jepsen.nemeses import NEMESES, unusable, usable
from tests.jepsen.run import fresh_seed
from tests.jepsen.runner import RunConfig, execute, keep_logs, report
from tests.jepsen.workloads import WORKLOADS


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m tests.jepsen")
    ap.add_argument("--workload", choices=[*WORKLOADS, "all"], required=True)
    ap.add_argument(
        "--nemesis",
        default="kill,pause",
        help=f"comma separated, from {', '.join(NEMESES)}; 'all' (every one that can run on "
        "the --cluster here); 'none' for no faults",
    )
    ap.add_argument(
        "--cluster",
        choices=clusters.CLUSTERS,
        default="local",
        help="local processes, or the containers of deploy/compose.yml",
    )
    ap.add_argument("--time", type=float, default=30.0, help="seconds of load per run")
    ap.add_argument("--runs", type=int, default=1, help="runs per workload")
    ap.add_argument("--clients", type=int, default=5)
    ap.add_argument("--interval", type=float, default=3.0, help="seconds between fault starts")
    ap.add_argument("--fault-time", type=float, default=2.0, help="seconds a fault lasts")
    ap.add_argument(
        "--cycle",
        action="store_true",
        help="the nemeses strike in turn, in the order given, instead of drawn at random",
    )
    ap.add_argument(
        "--seed", type=int, default=None, help="run i uses seed + i (default: a fresh seed)"
    )
    ap.add_argument("--out", default="jepsen-results")
    ap.add_argument(
        "--keep-logs",
        action="store_true",
        help="keep every run's node logs in its report (an invalid run's are always kept)",
    )
    ap.add_argument(
        "--unsafe-reads",
        action="store_true",
        help="the deliberately broken build: reads skip the replication barrier",
    )
    ap.add_argument(
        "--unsafe-wiped-votes",
        action="store_true",
        help="the deliberately broken build: a member that lost its data votes (issue 13)",
    )
    ap.add_argument(
        "--unsynced-journal",
        action="store_true",
        help="another broken build: Raft journal records are never synced (for lost-writes)",
    )
    args = ap.parse_args()
    nemeses: list[str] = []
    if args.nemesis == "all":
        nemeses, skipped = usable(args.cluster)
        for name, reason in skipped.items():
            print(f"all: without {name}: {reason}", file=sys.stderr)
        print(f"all on the {args.cluster} cluster: {', '.join(nemeses)}", file=sys.stderr)
    elif args.nemesis != "none":
        nemeses = args.nemesis.split(",")
    for n in nemeses:
        if n not in NEMESES:
            ap.error(f"unknown nemesis {n!r}")
        why = unusable(n, args.cluster)
        if why:
            ap.error(why)
    if min(args.runs, args.clients) < 1 or min(args.time, args.interval, args.fault_time) <= 0:
        ap.error("--runs, --clients, --time, --interval and --fault-time must be positive")
    seed = fresh_seed() if args.seed is None else args.seed
    print(f"seed {seed} (replay with --seed {seed})", flush=True)
    workloads = list(WORKLOADS) if args.workload == "all" else [args.workload]
    template = RunConfig(
        workloads[0],
        nemeses,
        args.time,
        args.clients,
        interval_s=args.interval,
        fault_s=args.fault_time,
        unsafe_reads=args.unsafe_reads,
        unsynced_journal=args.unsynced_journal,
        seed=seed,
        node_env={"DB9_UNSAFE_WIPED_VOTES": "1"} if args.unsafe_wiped_votes else {},
        cluster=args.cluster,
        cycle=args.cycle,
    )
    why = clusters.unavailable(template)
    if why:
        ap.error(why)
    if args.cluster == "compose":
        print(f"building {compose.IMAGE} from this checkout (docker compose build)", flush=True)
        compose.ComposeCluster.create(Path(".")).build()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table = [
        "| run | valid | ok | fail | info | faults | seconds |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    failed = 0
    for workload in workloads:
        for i in range(args.runs):
            cfg = dataclasses.replace(template, workload=workload, seed=seed + i)
            began = time.monotonic()
            name = f"{workload}-{i + 1}"
            with tempfile.TemporaryDirectory(prefix="db9-jepsen-") as tmp:
                result, history = execute(Path(tmp), cfg)
                if args.keep_logs or not result["valid"]:  # the nodes' own account
                    keep_logs(Path(tmp), out / name / "logs")
            report(result, history, out / name)
            c = result.get("op_counts", {})
            verdict = "valid" if result["valid"] else "INVALID"
            line = (
                f"| {name} | {verdict} | {c.get('ok', 0)} | {c.get('fail', 0)} | "
                f"{c.get('info', 0)} | {len(result['faults'])} | {time.monotonic() - began:.0f} |"
            )
            table.append(line)
            (out / "runs.md").write_text("\n".join(table) + "\n")
            print(f"{name}: {verdict}  ok={c.get('ok', 0)} fail={c.get('fail', 0)} "
                  f"info={c.get('info', 0)}  faults={len(result['faults'])}  seed={cfg.seed}  "
                  f"report={out / name}",
                  flush=True)  # fmt: skip
            failed += not result["valid"]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
