"""Run a workload against a 3-node cluster (local processes or compose containers: ``clusters``)
while nemeses inject faults; record the history, check it, write a report (text and PNG plots
with the fault windows shaded).

Workloads and their clients: ``workloads``; faults: ``nemeses``; checkers: ``checkers``.
"""

from __future__ import annotations

import contextlib
import json
import random
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import psycopg

from cluster.consistency import describe_key, run_check
from kv.errors import Db9Error
from tests.jepsen import clusters, workloads
from tests.jepsen.checkers import bank, list_append, register, replicas, sets
from tests.jepsen.history import CLIENT_ERROR, History
from tests.jepsen.nemeses import heal_all, prepares, run_nemeses, unusable
from tests.jepsen.run import Run, RunConfig

__all__ = ["Run", "RunConfig", "check", "execute", "report"]


def consistency_check(run: Run) -> dict[str, Any]:
    """After the final reads: every replica, hashed at one Raft index, holds the same data
    (``db9 cluster check``). A replica that cannot be checked fails the run too."""
    try:
        report = run_check([n.grpc_addr for n in run.cluster.nodes], timeout_s=60)
    except Db9Error as exc:
        return {"ok": False, "error": f"the check could not start: {exc.message}"}
    return {
        "ok": report.ok,
        "index": report.index,
        "keys": {m.addr: m.keys for m in report.members},
        "unchecked": [f"{m.addr} {m.state}: {m.detail}" for m in report.unchecked],
        "mismatches": [
            f"[{describe_key(x.start)} .. {describe_key(x.end)}) keys {x.keys}"
            for x in report.mismatches
        ],
    }


# -- a whole run ----------------------------------------------------------------------------


def execute(base: Path, cfg: RunConfig) -> tuple[dict[str, Any], History]:
    whys = [clusters.unavailable(cfg)]
    for why in whys + [unusable(name, cfg.cluster) for name in cfg.nemeses]:
        if why:
            raise SystemExit(why)
    mounts = contextlib.ExitStack()
    cluster = mounts.enter_context(clusters.open_cluster(base, cfg))  # closed last
    run = Run(cfg, cluster)
    rng = random.Random(cfg.seed)
    try:
        for prepare in prepares(cfg.nemeses):
            mounts.enter_context(prepare(run))
        cluster.start_all()
        cluster.wait_leader(timeout_s=90)  # nodes start slowly on a loaded machine
        for node in cluster.nodes:
            cluster.wait_pgwire(node)
        if cfg.workload != "register":
            workloads.setup_sql(run)
        run.history.started = time.monotonic()
        threads = []
        for body in workloads.clients(run, rng):
            threads.append(threading.Thread(target=body, daemon=True))
        nem = threading.Thread(
            target=run_nemeses, args=(run, random.Random(rng.random())), daemon=True
        )
        for t in threads:
            t.start()
        nem.start()
        run.stop.wait(cfg.seconds)
        run.stop.set()
        nem.join(60)
        for t in threads:
            t.join(30)
        try:
            heal_all(run)  # links restored, clocks reset, every node up before the final reads
            workloads.final_reads(run)
            run.consistency = consistency_check(run)
        except (AssertionError, RuntimeError, OSError, Db9Error, psycopg.Error) as exc:
            # the harness's waits: a node that never came back, no leader
            run.heal_error = f"the cluster did not recover after the faults: {exc}"[:300]
            with contextlib.suppress(OSError, RuntimeError):  # (a docker call failed)
                cluster.dump_stacks()  # what each node was doing, in its log, before it stops
    finally:
        cluster.stop_all()
        mounts.close()
    return check(run), run.history


def check_history(wl: str, h: History, nodes: int) -> dict[str, Any]:
    """What the history alone shows: the workload's checker, every node's final read
    compared (``replica_reads``), the operations' counts and the faults."""
    if wl == "register":
        result = register.check(h)
    elif wl == "list-append":
        result = list_append.check(h)
    elif wl == "bank":
        result = bank.check(h, dict.fromkeys(range(workloads.ACCOUNTS), workloads.BALANCE))
    else:
        result = sets.check(h)
    counts: dict[str, int] = {}
    for op in h.ops:
        if op.type != "invoke":
            counts[op.type] = counts.get(op.type, 0) + 1
    result["replica_reads"] = replicas.check(h, nodes)
    result["valid"] = bool(result["valid"] and result["replica_reads"]["ok"])
    result["op_counts"] = counts
    # Operations a client recorded as info because it raised something unexpected.
    result["client_errors"] = sum(1 for op in h.ops if (op.error or "").startswith(CLIENT_ERROR))
    result["faults"] = [f"{s:.1f}-{e:.1f}s {w}" for s, e, w in h.faults]
    return result


def check(run: Run) -> dict[str, Any]:
    wl, h = run.config.workload, run.history
    result = check_history(wl, h, len(run.cluster.nodes))
    if run.nemesis_anomalies:
        result["nemesis_anomalies"] = list(run.nemesis_anomalies)
        result["valid"] = False
    if run.heal_error is not None:
        result["heal_error"] = run.heal_error
        result["valid"] = False
    if run.consistency is not None:
        result["consistency"] = run.consistency
        result["valid"] = bool(result["valid"] and run.consistency["ok"])
    return {
        "workload": wl,
        "cluster": run.config.cluster,
        "nemeses": run.config.nemeses,
        "seconds": run.config.seconds,
        "unsafe_reads": run.config.unsafe_reads,
        "unsynced_journal": run.config.unsynced_journal,
        "seed": run.config.seed,
        **result,
    }


def summary_text(result: dict[str, Any]) -> str:
    """The verdict and figures of one run, for people."""
    counts = result.get("op_counts", {})
    broken = " (broken build: unsafe reads)" if result["unsafe_reads"] else ""
    if result.get("unsynced_journal"):
        broken = " (broken build: unsynced Raft journal)"
    lines = [
        f"{result['workload']} under {', '.join(result['nemeses']) or 'no faults'} for "
        f"{result['seconds']:.0f} s{broken}",
        f"verdict: {'VALID' if result['valid'] else 'INVALID'}",
        f"operations: {counts.get('ok', 0)} ok, {counts.get('fail', 0)} failed, "
        f"{counts.get('info', 0)} unknown",
    ]
    skip = {"workload", "nemeses", "seconds", "unsafe_reads", "unsynced_journal", "valid",
            "op_counts", "faults"}  # fmt: skip
    lines += [
        f"{k}: {json.dumps(v, default=str)[:300]}" for k, v in result.items() if k not in skip
    ]
    lines.append("faults:")
    lines += [f"  {f}" for f in result.get("faults", [])]
    return "\n".join(lines) + "\n"


def keep_logs(base: Path, dest: Path) -> None:
    """Copy each local node's server.log under ``base`` to ``dest/<node>.log``: from its data
    directory, or the copy ``tmpfs_data_dirs`` left beside it (``<node>-server.log``)."""
    logs = {p.parent.name: p for p in base.glob("node*/server.log")}
    logs.update({p.name.removesuffix("-server.log"): p for p in base.glob("node*-server.log")})
    for name, log in sorted(logs.items()):
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log, dest / f"{name}.log")


def report(run_result: dict[str, Any], history: History, out: Path) -> None:
    """summary.json, history.jsonl and latency/throughput plots with faults shaded."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(run_result, indent=2, default=str) + "\n")
    (out / "summary.txt").write_text(summary_text(run_result))
    history.dump(str(out / "history.jsonl"))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    colors = {"ok": "tab:blue", "fail": "tab:red", "info": "tab:orange"}
    buckets: dict[int, int] = {}
    points: dict[str, tuple[list[float], list[float]]] = {t: ([], []) for t in colors}
    for inv, done in history.pairs():
        if done is None or done.type not in points:
            continue
        points[done.type][0].append(inv.time)
        points[done.type][1].append((done.time - inv.time) * 1000)
        if done.type == "ok":
            buckets[int(done.time)] = buckets.get(int(done.time), 0) + 1
    for kind, (xs_, ys_) in points.items():
        ax1.scatter(xs_, ys_, s=4, c=colors[kind])
    xs = sorted(buckets)
    ax2.plot(xs, [buckets[x] for x in xs], "-", color="tab:blue")
    for start, end, what in history.faults:
        for ax in (ax1, ax2):
            ax.axvspan(start, end, color="grey", alpha=0.2)
        # A fault's first words: whole lines (in summary.txt) would squash the plots.
        ax2.annotate(what[:36], (start, 0), fontsize=6, rotation=90, va="bottom")
    ax1.set_yscale("log")
    ax1.set_ylabel("latency (ms)\nblue ok, red fail, orange info")
    ax2.set_ylabel("ok ops / s")
    ax2.set_xlabel("time (s)")
    nemeses = run_result["nemeses"]
    named = ", ".join(nemeses) if len(nemeses) <= 4 else f"{len(nemeses)} nemeses"
    fig.suptitle(
        f"{run_result['workload']} with {named or 'no faults'}"
        f": {'VALID' if run_result['valid'] else 'INVALID'}"
    )
    fig.tight_layout()
    fig.savefig(out / "timeline.png", dpi=110)
    plt.close(fig)
