"""Run a workload against a local 3-node cluster while a nemesis injects faults; record the
history, check it, write a report (text and PNG plots with the fault windows shaded).

Workloads: ``register`` (read/write/CAS on the KV API over gRPC, linearizability),
``list-append`` (SQL transactions over pgwire, Elle-style), ``bank`` (SQL transfers, totals),
``set`` (SQL inserts, nothing acknowledged lost). Nemeses: ``kill`` (kill -9 a random node or
the leader, restart it), ``pause`` (SIGSTOP/SIGCONT), ``partition`` (isolate the leader, a
majority/minority split, or a bridge, with nftables between per-node network namespaces),
``clock`` (a node's clock jumps up to 8 s ahead or behind), ``membership`` (remove a follower
and add it back), ``wipe`` (a node loses its data directory, comes back empty as a learner
and is readmitted with ``db9 cluster readmit``'s call).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from cluster.client import RemoteKv
from cluster.consistency import describe_key, run_check
from cluster.convert import OutcomeUnknown
from kv.client import TxnClient
from kv.errors import Db9Error, RetryableError
from tests.cluster import netns
from tests.cluster.harness import FILLER, LocalCluster, NodeProc, fill_disk, tmpfs_data_dirs
from tests.cluster.netns import Netns
from tests.jepsen.checkers import bank, list_append, register, sets
from tests.jepsen.history import History

WORKLOADS = ("register", "list-append", "bank", "set")
NEMESES = ("kill", "pause", "partition", "clock", "membership", "wipe", "disk")
DISK_MB = 128  # each node's tmpfs under the disk nemesis


@dataclass
class RunConfig:
    workload: str
    nemeses: list[str]
    seconds: float = 20.0
    clients: int = 5
    interval_s: float = 3.0  # between the starts of two faults
    fault_s: float = 2.0  # how long a fault lasts
    unsafe_reads: bool = False  # the deliberately broken build (DB9_UNSAFE_FOLLOWER_READS)
    seed: int = 0


@dataclass
class Run:
    config: RunConfig
    cluster: LocalCluster
    history: History = field(default_factory=History)
    stop: threading.Event = field(default_factory=threading.Event)
    consistency: dict[str, Any] | None = None  # consistency_check's verdict, at the end


# -- workloads ------------------------------------------------------------------------------


def _classify(exc: BaseException) -> str:
    """fail when the operation surely did not happen, info when it may have."""
    if isinstance(exc, RetryableError):
        return "fail"
    if isinstance(exc, psycopg.errors.SerializationFailure | psycopg.errors.UniqueViolation):
        return "fail"
    if isinstance(exc, OutcomeUnknown):
        return "info"
    return "info"


def register_client(run: Run, process: int, rng: random.Random) -> None:
    node = run.cluster.nodes[process % len(run.cluster.nodes)]
    kv = RemoteKv([node.grpc_addr], retry_s=3.0, rpc_timeout_s=3.0)
    client = TxnClient(kv)
    h = run.history
    try:
        while not run.stop.is_set():
            key = f"r{rng.randrange(3)}"
            f = rng.choice(["read", "read", "write", "cas"])
            arg: Any = (
                None
                if f == "read"
                else (rng.randrange(5) if f == "write" else (rng.randrange(5), rng.randrange(5)))
            )
            h.add(process, "invoke", f, (key, arg))
            try:
                txn = client.begin()
                raw = txn.get(key.encode())
                current = None if raw is None else int(raw)
                if f == "read":
                    txn.rollback()
                    h.add(process, "ok", f, (key, current))
                    continue
                if f == "cas" and current != arg[0]:
                    txn.rollback()
                    h.add(process, "fail", f, (key, arg))
                    continue
                txn.put(key.encode(), str(arg if f == "write" else arg[1]).encode())
                txn.commit()
                h.add(process, "ok", f, (key, arg))
            except (Db9Error, OSError) as exc:
                h.add(process, _classify(exc), f, (key, arg), str(exc)[:200])
    finally:
        kv.close()


def _sql_node(run: Run, process: int) -> NodeProc:
    return run.cluster.nodes[process % len(run.cluster.nodes)]


def _connect(run: Run, process: int) -> psycopg.Connection[Any] | None:
    try:
        conn = psycopg.connect(_sql_node(run, process).dsn(), autocommit=True, connect_timeout=3)
    except psycopg.Error:
        return None
    # Snapshot isolation is what the checkers hold db9 to; READ COMMITTED (the default)
    # takes a snapshot per statement and legitimately shows read skew.
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    return conn


# An SQL operation: records its invocation (and puts (f, value) in the list it is given),
# runs, and returns (f, invocation value, completion value).
SqlOp = Callable[[psycopg.Connection[Any], random.Random, list[Any]], tuple[str, Any, Any]]


def sql_client(run: Run, process: int, rng: random.Random, op: SqlOp) -> None:
    """Runs ``op`` (which returns f, invoke value, ok value) over one connection,
    reconnecting after failures; errors become fail/info by SQLSTATE."""
    h = run.history
    conn = None
    while not run.stop.is_set():
        if conn is None or conn.closed:
            conn = _connect(run, process)
            if conn is None:
                time.sleep(0.2)  # the node is down: try again shortly
                continue
        f_holder: list[tuple[str, Any]] = []
        try:
            f, inv_value, ok_value = op(conn, rng, f_holder)
            h.add(process, "ok", f, ok_value)
        except psycopg.Error as exc:
            if f_holder:
                f, inv_value = f_holder[0]
                h.add(process, _classify(exc), f, inv_value, str(exc)[:200])
            try:
                conn.execute("ROLLBACK")
            except psycopg.Error:
                conn.close()
    if conn is not None:
        conn.close()


_next_value = [0]
_value_lock = threading.Lock()


def _unique() -> int:
    with _value_lock:
        _next_value[0] += 1
        return _next_value[0]


def list_append_op(run: Run, process: int) -> SqlOp:
    def op(conn: psycopg.Connection[Any], rng: random.Random, holder: list[Any]) -> Any:
        micro = []
        for _ in range(rng.randint(1, 4)):
            k = rng.randrange(8)
            micro.append(["append", k, _unique()] if rng.random() < 0.5 else ["r", k, None])
        holder.append(("txn", micro))
        run.history.add(process, "invoke", "txn", micro)
        done = []
        with conn.transaction():
            for f, k, v in micro:
                if f == "append":
                    conn.execute(
                        "INSERT INTO lists (k, v) VALUES (%s, %s) ON CONFLICT (k) "
                        "DO UPDATE SET v = lists.v || ',' || excluded.v",
                        (k, str(v)),
                    )
                    done.append([f, k, v])
                else:
                    row = conn.execute("SELECT v FROM lists WHERE k = %s", (k,)).fetchone()
                    values = [int(x) for x in row[0].split(",")] if row else []
                    done.append([f, k, values])
        return "txn", micro, done

    return op


ACCOUNTS, BALANCE = 5, 100


def bank_op(run: Run, process: int) -> SqlOp:
    def op(conn: psycopg.Connection[Any], rng: random.Random, holder: list[Any]) -> Any:
        if rng.random() < 0.4:
            holder.append(("read", None))
            run.history.add(process, "invoke", "read", None)
            with conn.transaction():
                rows = conn.execute("SELECT id, balance FROM accounts").fetchall()
            return "read", None, {str(i): b for i, b in rows}
        a, b = rng.sample(range(ACCOUNTS), 2)
        amount = rng.randint(1, 20)
        value = {"from": a, "to": b, "amount": amount}
        holder.append(("transfer", value))
        run.history.add(process, "invoke", "transfer", value)
        with conn.transaction():
            (bal,) = conn.execute("SELECT balance FROM accounts WHERE id = %s", (a,)).fetchone()  # type: ignore[misc]
            if bal < amount:
                raise psycopg.errors.SerializationFailure("insufficient funds")  # a clean fail
            conn.execute("UPDATE accounts SET balance = balance - %s WHERE id = %s", (amount, a))
            conn.execute("UPDATE accounts SET balance = balance + %s WHERE id = %s", (amount, b))
        return "transfer", value, value

    return op


def set_op(run: Run, process: int) -> SqlOp:
    def op(conn: psycopg.Connection[Any], rng: random.Random, holder: list[Any]) -> Any:
        x = _unique()
        holder.append(("add", x))
        run.history.add(process, "invoke", "add", x)
        conn.execute("INSERT INTO elements (x) VALUES (%s)", (x,))
        return "add", x, x

    return op


def setup_sql(run: Run) -> None:
    node = run.cluster.wait_leader()
    with psycopg.connect(node.dsn(), autocommit=True) as conn:
        wl = run.config.workload
        if wl == "list-append":
            conn.execute("CREATE TABLE lists (k int PRIMARY KEY, v text)")
        elif wl == "bank":
            conn.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)")
            conn.execute(
                "INSERT INTO accounts SELECT g, %s FROM generate_series(0, %s) g",
                (BALANCE, ACCOUNTS - 1),
            )
        elif wl == "set":
            conn.execute("CREATE TABLE elements (x int PRIMARY KEY)")


def final_reads(run: Run) -> None:
    """After the faults heal: the set workload's final read (through every node)."""
    if run.config.workload != "set":
        return
    run.cluster.wait_leader()
    for node in run.cluster.nodes:
        run.cluster.wait_pgwire(node)
    node = run.cluster.nodes[0]
    run.history.add(999, "invoke", "read", None)
    with psycopg.connect(node.dsn(), autocommit=True) as conn:
        rows = conn.execute("SELECT x FROM elements").fetchall()
    run.history.add(999, "ok", "read", [r[0] for r in rows])


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


# -- nemeses --------------------------------------------------------------------------------


def nemesis(run: Run, rng: random.Random) -> None:
    cfg, cluster, h = run.config, run.cluster, run.history
    if not cfg.nemeses:
        return
    while not run.stop.wait(cfg.interval_s):
        kind = rng.choice(cfg.nemeses)
        live = [n for n in cluster.nodes if n.alive and not n.stopped]
        if not live:  # every node down: only a crash gets here, and the checkers will tell
            h.faults.append((h.now(), h.now(), "nemesis: no live node"))
            continue
        leader = next((n for n in live if (cluster.status(n) or {}).get("state") == "leader"), None)
        target = leader if leader is not None and rng.random() < 0.5 else rng.choice(live)
        start = h.now()
        what = f"{kind} node{target.node_id}{' (leader)' if target is leader else ''}"
        if kind == "kill":
            cluster.kill(target)
            run.stop.wait(cfg.fault_s)
            cluster.start(target)
        elif kind == "pause":
            cluster.pause(target)
            run.stop.wait(cfg.fault_s)
            cluster.resume(target)
        elif kind == "partition" and cluster.net is not None:
            what = partition(run, rng, leader)
            run.stop.wait(2 * cfg.fault_s)  # long enough for the cut-off side to notice
            cluster.net.heal()
        elif kind == "clock":
            offset = rng.choice([-1, 1]) * rng.randint(200, 8000)
            what = f"clock {offset:+d} ms on node{target.node_id}" + (
                " (leader)" if target is leader else ""
            )
            cluster.skew_clock(target, offset)
            run.stop.wait(cfg.fault_s)
            cluster.skew_clock(target, 0)
        elif kind == "disk":
            filler = fill_disk(target.data_dir)
            run.stop.wait(cfg.fault_s)
            filler.unlink()
        elif kind == "membership":
            followers = [n for n in live if n is not leader]
            if leader is None or not followers:
                what = "membership: skipped, no leader to ask"
            else:
                target = rng.choice(followers)
                what = f"membership: remove node{target.node_id}, add it back"
                what += change_membership(run, leader, target, "remove")
                run.stop.wait(cfg.fault_s)
                what += change_membership(run, leader, target, "add")
        elif kind == "wipe":
            what += wipe_member(run, target)
        h.faults.append((start, h.now(), " ".join(what.split())[:160]))


def wipe_member(run: Run, node: NodeProc) -> str:
    """kill -9 ``node``, empty its data directory and start it: it comes back as a learner
    (it lost its state, so it must not vote). After the fault, readmit it as a voter; returns
    "" or a note of what went wrong."""
    cluster = run.cluster
    cluster.kill(node)
    for p in sorted(node.data_dir.rglob("*"), reverse=True):
        if p.name != "server.log":
            p.rmdir() if p.is_dir() else p.unlink()
    cluster.start(node)
    run.stop.wait(run.config.fault_s)
    admin = RemoteKv([n.grpc_addr for n in cluster.nodes], retry_s=60, rpc_timeout_s=60)
    try:
        admin.readmit(node.raft_addr, 45)
        return ""
    except Db9Error as exc:
        return f" (readmit failed: {exc.message})"
    finally:
        admin.close()


def change_membership(run: Run, leader: NodeProc, node: NodeProc, how: str) -> str:
    """Remove ``node`` from the Raft configuration or add it back, through any node that
    answers (the leader first); returns "" or a note of what went wrong."""
    # Generous: a change waits for the previous one to commit, and for an election if the
    # last fault deposed the leader.
    admin = RemoteKv([n.grpc_addr for n in [leader, *run.cluster.nodes]], retry_s=15)
    try:
        if how == "remove":
            admin.remove_node(node.raft_addr)
        else:
            admin.add_node(node.raft_addr)
        return ""
    except Db9Error as exc:
        return f" ({how} failed: {exc.message})"
    finally:
        admin.close()


def heal_membership(run: Run) -> None:
    """Add back every node the leader's configuration lacks (a removal may have taken effect
    even when its call timed out)."""
    cluster = run.cluster
    for _ in range(len(cluster.nodes)):
        leader = cluster.wait_leader()
        members = {leader.raft_addr, *(cluster.status(leader) or {}).get("peers", [])}  # type: ignore[misc]
        missing = [n for n in cluster.nodes if n.raft_addr not in members]
        if not missing:
            return
        note = change_membership(run, leader, missing[0], "add")
        if note:
            raise RuntimeError(f"could not heal the membership change:{note}")
    raise RuntimeError("membership did not heal")


def partition(run: Run, rng: random.Random, leader: NodeProc | None) -> str:
    """Cut links between nodes (never between clients and nodes); returns what was done."""
    net, ids = run.cluster.net, [n.node_id for n in run.cluster.nodes]
    assert net is not None
    shape = rng.choice(["isolate-leader", "majority-minority", "bridge"])
    by_leader = shape == "isolate-leader" and leader is not None
    alone = leader.node_id if by_leader and leader is not None else rng.choice(ids)
    if shape == "bridge":
        # Two halves that cannot see each other, and one node that sees both.
        rest = [i for i in ids if i != alone]
        rng.shuffle(rest)
        left, right = rest[: len(rest) // 2], rest[len(rest) // 2 :]
        net.partition([(a, b) for a in left for b in right])
        return f"bridge via node{alone}: {left} | {right}"
    net.partition([(alone, i) for i in ids if i != alone])
    if by_leader:
        return f"isolate leader node{alone}"
    return f"partition node{alone} | rest"


# -- a whole run ----------------------------------------------------------------------------


def execute(base: Path, cfg: RunConfig) -> tuple[dict[str, Any], History]:
    env = {"db9_unsafe_follower_reads": "1"} if cfg.unsafe_reads else {}
    net = Netns(3).create() if netns.available() else None
    if net is None and "partition" in cfg.nemeses:
        raise SystemExit("the partition nemesis needs network namespaces: run as root with ip, nft")
    if "disk" in cfg.nemeses and os.geteuid() != 0:
        raise SystemExit("the disk nemesis mounts a tmpfs per node: run as root")
    cluster = LocalCluster.create(base, 3, net=net, **env)
    disks = contextlib.ExitStack()
    if "disk" in cfg.nemeses:
        disks.enter_context(tmpfs_data_dirs(cluster, DISK_MB))
    cluster.start_all()
    run = Run(cfg, cluster)
    rng = random.Random(cfg.seed)
    try:
        cluster.wait_leader()
        for node in cluster.nodes:
            cluster.wait_pgwire(node)
        if cfg.workload != "register":
            setup_sql(run)
        run.history.started = time.monotonic()
        threads = []
        for p in range(cfg.clients):
            prng = random.Random(rng.random())
            if cfg.workload == "register":
                target: Callable[[], None] = lambda p=p, r=prng: register_client(run, p, r)  # noqa: E731
            else:
                maker = {"list-append": list_append_op, "bank": bank_op, "set": set_op}[
                    cfg.workload
                ]
                target = lambda p=p, r=prng, m=maker: sql_client(run, p, r, m(run, p))  # noqa: E731
            threads.append(threading.Thread(target=target, daemon=True))
        nem = threading.Thread(target=nemesis, args=(run, random.Random(rng.random())), daemon=True)
        for t in threads:
            t.start()
        nem.start()
        run.stop.wait(cfg.seconds)
        run.stop.set()
        nem.join(60)
        for t in threads:
            t.join(30)
        # Heal: links restored, clocks reset, every node up before the final reads.
        if net is not None:
            net.heal()
        for node in cluster.nodes:
            (node.data_dir / FILLER).unlink(missing_ok=True)
            if node.alive:
                cluster.skew_clock(node, 0)
            if node.stopped:
                cluster.resume(node)
            if not node.alive:
                cluster.start(node)
        heal_membership(run)
        final_reads(run)
        run.consistency = consistency_check(run)
    finally:
        cluster.stop_all()
        disks.close()
        if net is not None:
            net.close()
    return check(run), run.history


def check(run: Run) -> dict[str, Any]:
    wl, h = run.config.workload, run.history
    if wl == "register":
        result = register.check(h)
    elif wl == "list-append":
        result = list_append.check(h)
    elif wl == "bank":
        result = bank.check(h, ACCOUNTS * BALANCE)
    else:
        result = sets.check(h)
    counts: dict[str, int] = {}
    for op in h.ops:
        if op.type != "invoke":
            counts[op.type] = counts.get(op.type, 0) + 1
    result["op_counts"] = counts
    result["faults"] = [f"{s:.1f}-{e:.1f}s {w}" for s, e, w in h.faults]
    if run.consistency is not None:
        result["consistency"] = run.consistency
        result["valid"] = bool(result["valid"] and run.consistency["ok"])
    return {
        "workload": wl,
        "nemeses": run.config.nemeses,
        "seconds": run.config.seconds,
        "unsafe_reads": run.config.unsafe_reads,
        **result,
    }


def summary_text(result: dict[str, Any]) -> str:
    """The verdict and figures of one run, for people."""
    counts = result.get("op_counts", {})
    broken = " (broken build: unsafe reads)" if result["unsafe_reads"] else ""
    lines = [
        f"{result['workload']} under {', '.join(result['nemeses']) or 'no faults'} for "
        f"{result['seconds']:.0f} s{broken}",
        f"verdict: {'VALID' if result['valid'] else 'INVALID'}",
        f"operations: {counts.get('ok', 0)} ok, {counts.get('fail', 0)} failed, "
        f"{counts.get('info', 0)} unknown",
    ]
    skip = {"workload", "nemeses", "seconds", "unsafe_reads", "valid", "op_counts", "faults"}
    lines += [
        f"{k}: {json.dumps(v, default=str)[:300]}" for k, v in result.items() if k not in skip
    ]
    lines.append("faults:")
    lines += [f"  {f}" for f in result.get("faults", [])]
    return "\n".join(lines) + "\n"


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
        ax2.annotate(what, (start, 0), fontsize=6, rotation=90, va="bottom")
    ax1.set_yscale("log")
    ax1.set_ylabel("latency (ms)\nblue ok, red fail, orange info")
    ax2.set_ylabel("ok ops / s")
    ax2.set_xlabel("time (s)")
    fig.suptitle(
        f"{run_result['workload']} with {', '.join(run_result['nemeses']) or 'no faults'}"
        f": {'VALID' if run_result['valid'] else 'INVALID'}"
    )
    fig.tight_layout()
    fig.savefig(out / "timeline.png", dpi=110)
    plt.close(fig)
