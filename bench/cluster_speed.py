"""Issue 17's goals in one run: a 3-node db9 cluster against a single db9 node, PostgreSQL 15
and a 3-node etcd, all on this machine over loopback, fsync on everywhere (the defaults).

    .venv/bin/python -m bench.cluster_speed [--seconds 10] [--rounds 10] [--scale 10]
    .venv/bin/python -m bench.cluster_speed --quick               # scale 1, 2 s cells, 2 rounds
    .venv/bin/python -m bench.cluster_speed --only kv,failover

Parts (``--only``): ``init`` (wall time of ``pgbench -i -s <scale>``), ``select``
(``pgbench -S -M prepared -c 8 -j 2``: cluster leader, a follower, single node, PostgreSQL),
``update`` (``pgbench -N``, same clients: leader, single node, PostgreSQL), ``kv`` (single-key
puts and linearizable gets with 1 and 16 client threads: db9 cluster vs etcd) and ``failover``
(kill -9 of the leader to the next acknowledged write, ``--rounds`` times, the killed member
restarted and caught up between rounds: db9 cluster and etcd). Any pgbench part loads the data
(the load is what ``init`` times). The single db9 node and the cluster (and, for ``kv``,
the db9 cluster and etcd) run side by side and their cells alternate for ``--repeat``
rounds; each value is the median of its rounds (this VM's speed drifts within minutes, so
cells minutes apart make poor ratios). PostgreSQL, the outside reference, runs one round
alone. Prints the goals table (markdown) and writes it with the raw numbers to ``--out``.

db9's KV client is ``TxnClient(RemoteKv(<gRPC addrs>))`` in this process: a put is a lazy
transaction's put + commit (one blind one-phase commit request), a get its get (one read
request at a timestamp the server draws). etcd (Debian's etcd-server,
3.4, its defaults: 100 ms heartbeat, 1 s election timeout) is driven over its own gRPC API with
hand-encoded protobuf messages (no client library): Put, and Range (linearizable, the default).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from bench.cluster_bench import failover_gaps, rate
from bench.servers import Server, db9_server, free_base, pg_server, pgbench, tps
from kv.client import TxnClient
from tests.cluster.harness import PASSWORD, LocalCluster, NodeProc, free_ports, stop_processes

PARTS = ("init", "select", "update", "kv", "failover")
VALUE = b"x" * 100
GET_KEYS = 1000  # keys the get cells read, written before they start
ETCD = "/usr/bin/etcd"


# -- pgbench ----------------------------------------------------------------------------------


def run_pgbench(server: Server, mode: str, seconds: float) -> float:
    out = pgbench(server, mode, "-M", "prepared", "-c", "8", "-j", "2", "-T", str(int(seconds)))
    return tps(out)


def timed_init(server: Server, scale: int) -> float:
    t0 = time.monotonic()
    pgbench(server, "-i", "-s", str(scale), "-q")
    return time.monotonic() - t0


def node_server(node: NodeProc, name: str) -> Server:
    conninfo = f"host={node.host} port={node.pg_port} user=local.admin dbname=postgres"
    conninfo += " sslmode=disable"
    return Server(name, conninfo, PASSWORD)


@contextlib.contextmanager
def db9_cluster(base: Path, n: int = 3) -> Iterator[LocalCluster]:
    """A started cluster with every pgwire port open (the harness's defaults: fsync on, GC
    passes off); stopped on exit. No replica check at the end: this measures, tests check."""
    cluster = LocalCluster.create(base, n)
    cluster.start_all()
    try:
        cluster.wait_leader()
        for node in cluster.nodes:
            cluster.wait_pgwire(node)
        yield cluster
    finally:
        cluster.stop_all()


def pgbench_parts(args: argparse.Namespace, parts: set[str], base: Path) -> dict[str, Any]:
    """``{"init_s"|"select_tps"|"update_tps": {system: value}}`` for the parts asked for,
    each db9 value the median of ``--repeat`` rounds (``"<part>_rounds"``: every round)."""
    res: dict[str, dict[str, Any]] = {"init_s": {}, "select_tps": {}, "update_tps": {}}

    def init(server: Server, name: str) -> None:
        res["init_s"][name] = timed_init(server, args.scale)
        print(f"{name}: pgbench -i -s {args.scale} {res['init_s'][name]:.1f} s", flush=True)

    def cell(part: str, mode: str, server: Server, name: str) -> float:
        value = run_pgbench(server, mode, args.seconds)
        print(f"{name}: {mode} {value:,.0f} tps", flush=True)
        res.setdefault(f"{part}_rounds", {}).setdefault(name, []).append(value)
        return value

    port = args.port_base or free_base(2)
    with pg_server(port) as pg:  # the outside reference: one round
        init(pg, "postgresql")
        if "select" in parts:
            res["select_tps"]["postgresql"] = cell("select", "-S", pg, "postgresql")
        if "update" in parts:
            res["update_tps"]["postgresql"] = cell("update", "-N", pg, "postgresql")
    # The single node and the cluster run side by side and their cells alternate, round
    # after round: this VM's speed drifts by tens of percent within minutes, so a ratio of
    # cells measured minutes apart says little; medians of interleaved rounds do.
    with db9_server(port + 1) as single, db9_cluster(base / "pgbench") as cluster:
        leader = cluster.wait_leader()
        via_leader = node_server(leader, "leader")
        init(single, "single")
        init(via_leader, "leader")
        for _ in range(args.repeat):
            current = cluster.wait_leader()
            if current is not leader:
                print("note: the leader changed during the pgbench runs", flush=True)
                leader, via_leader = current, node_server(current, "leader")
            follower = node_server(next(n for n in cluster.nodes if n is not leader), "follower")
            if "select" in parts:
                cell("select", "-S", single, "single")
                cell("select", "-S", via_leader, "leader")
                cell("select", "-S", follower, "follower")
            if "update" in parts:
                cell("update", "-N", single, "single")
                cell("update", "-N", via_leader, "leader")
    for part in ("select", "update"):
        for name, values in res.get(f"{part}_rounds", {}).items():
            res[f"{part}_tps"][name] = statistics.median(values)
    return res


# -- KV: db9 and etcd -------------------------------------------------------------------------


def get_key(i: int, n: int) -> bytes:
    return b"read/%d" % ((i * 7919 + n) % GET_KEYS)


@dataclass
class KvOps:
    """One system's single-key put and get, as ``op(thread, n)`` for ``rate``."""

    put: Callable[[int, int], None]
    get: Callable[[int, int], None]
    preload: Callable[[], None]


def db9_ops(client: TxnClient) -> KvOps:
    def put(i: int, n: int) -> None:
        txn = client.begin(lazy=True)  # a blind write: the leader draws its timestamps
        txn.put(b"put/%d/%d" % (i, n), VALUE)
        txn.commit()

    def get(i: int, n: int) -> None:
        txn = client.begin(lazy=True)  # one request: the read draws its own timestamp
        value = txn.get(get_key(i, n))
        txn.rollback()
        if value != VALUE:
            raise AssertionError(f"db9 lost {get_key(i, n)!r}")

    def preload() -> None:
        for start in range(0, GET_KEYS, 100):
            txn = client.begin()
            txn.put_many([(b"read/%d" % k, VALUE) for k in range(start, start + 100)])
            txn.commit()

    return KvOps(put, get, preload)


def kv_cells(systems: dict[str, KvOps], seconds: float, repeat: int) -> dict[str, Any]:
    """``{"kv_<system>": {cell: median}, "kv_<system>_rounds": {cell: [values]}}``, the
    systems' cells alternating round after round (see ``pgbench_parts``)."""
    for ops in systems.values():
        ops.preload()
    rounds: dict[str, dict[str, list[float]]] = {name: {} for name in systems}
    for _ in range(repeat):
        for kind in ("put", "get"):
            for threads in (1, 16):
                cell = f"{kind}_{threads}"
                for name, ops in systems.items():
                    value = rate(getattr(ops, kind), threads, seconds)
                    rounds[name].setdefault(cell, []).append(value)
                    print(f"{name}: {kind}s, {threads} clients: {value:,.0f}/s", flush=True)
    out: dict[str, Any] = {}
    for name, cells in rounds.items():
        out[f"kv_{name}"] = {cell: statistics.median(v) for cell, v in cells.items()}
        out[f"kv_{name}_rounds"] = cells
    return out


# Minimal protobuf for etcd's three messages: varints and length-delimited fields only.


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, data: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _fields(buf: bytes) -> dict[int, list[Any]]:
    """Top-level fields of a protobuf message: varints as ints, the rest as bytes."""
    out: dict[int, list[Any]] = {}
    pos = 0

    def varint() -> int:
        nonlocal pos
        value = shift = 0
        while True:
            byte = buf[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    while pos < len(buf):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            value: Any = varint()
        elif wire == 2:
            size = varint()
            value, pos = buf[pos : pos + size], pos + size
        else:
            raise ValueError(f"unexpected protobuf wire type {wire}")
        out.setdefault(number, []).append(value)
    return out


@dataclass
class EtcdMember:
    name: str
    data_dir: Path
    peer_port: int
    client_port: int
    proc: subprocess.Popen[bytes] | None = None
    channel: grpc.Channel | None = None

    @property
    def client_addr(self) -> str:
        return f"127.0.0.1:{self.client_port}"

    def call(self, method: str, request: bytes, timeout: float = 10.0) -> bytes:
        assert self.channel is not None
        call: Any = self.channel.unary_unary(method)  # raw bytes in and out
        answer: bytes = call(request, timeout=timeout)
        return answer

    def put(self, key: bytes, value: bytes, timeout: float = 10.0) -> None:
        self.call("/etcdserverpb.KV/Put", _field(1, key) + _field(2, value), timeout)

    def get(self, key: bytes, timeout: float = 10.0) -> bytes | None:
        kvs = _fields(self.call("/etcdserverpb.KV/Range", _field(1, key), timeout)).get(2)
        return _fields(kvs[0])[5][0] if kvs else None

    def status(self) -> dict[str, int] | None:
        """member_id, leader and raft_index as the member reports them; None if it is down."""
        try:
            reply = _fields(self.call("/etcdserverpb.Maintenance/Status", b"", timeout=1.0))
        except grpc.RpcError:
            return None
        header = _fields(reply[1][0])
        return {"member_id": header[2][0], "leader": reply.get(4, [0])[0],
                "raft_index": reply.get(5, [0])[0]}  # fmt: skip


@dataclass
class EtcdCluster:
    """Members of one etcd cluster, each its own process with its own data directory."""

    base: Path
    members: list[EtcdMember] = field(default_factory=list)

    @classmethod
    def create(cls, base: Path, n: int = 3) -> EtcdCluster:
        ports = free_ports(2 * n)
        cluster = cls(base)
        for i in range(n):
            cluster.members.append(
                EtcdMember(f"m{i}", base / f"m{i}", ports[2 * i], ports[2 * i + 1])
            )
        return cluster

    def start(self, m: EtcdMember) -> None:
        peers = ",".join(f"{x.name}=http://127.0.0.1:{x.peer_port}" for x in self.members)
        peer, client = f"http://127.0.0.1:{m.peer_port}", f"http://{m.client_addr}"
        cmd = [ETCD, "--name", m.name, "--data-dir", str(m.data_dir),
               "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
               "--listen-client-urls", client, "--advertise-client-urls", client,
               "--initial-cluster", peers, "--initial-cluster-state", "new",
               "--initial-cluster-token", "db9-bench"]  # fmt: skip
        log = open(self.base / f"{m.name}.log", "ab")  # noqa: SIM115 - owned by the child
        m.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        if m.channel is None:
            m.channel = grpc.insecure_channel(m.client_addr)

    def kill(self, m: EtcdMember) -> None:
        assert m.proc is not None
        m.proc.kill()
        m.proc.wait(10)

    def stop_all(self) -> None:
        stop_processes([m.proc for m in self.members if m.proc is not None])
        for m in self.members:
            if m.channel is not None:
                m.channel.close()

    def wait_leader(self, timeout_s: float = 30.0) -> EtcdMember:
        """The member that says it leads and can commit a put."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for m in self.members:
                s = m.status() if m.proc is not None and m.proc.poll() is None else None
                if s is not None and s["leader"] and s["leader"] == s["member_id"]:
                    with contextlib.suppress(grpc.RpcError):
                        m.put(b"leader-check", b"1", timeout=2.0)
                        return m
            time.sleep(0.1)
        raise AssertionError(f"no etcd leader in {timeout_s}s")

    def wait_caught_up(self, m: EtcdMember, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            lead, mine = self.wait_leader().status(), m.status()
            if lead is not None and mine is not None and mine["raft_index"] >= lead["raft_index"]:
                return
            time.sleep(0.1)
        raise AssertionError(f"etcd member {m.name} did not catch up in {timeout_s}s")


@contextlib.contextmanager
def etcd_cluster(base: Path, n: int = 3) -> Iterator[EtcdCluster]:
    base.mkdir(parents=True, exist_ok=True)
    cluster = EtcdCluster.create(base, n)
    try:
        for m in cluster.members:
            cluster.start(m)
        cluster.wait_leader()
        yield cluster
    finally:
        cluster.stop_all()


def etcd_ops(leader: EtcdMember) -> KvOps:
    def put(i: int, n: int) -> None:
        leader.put(b"put/%d/%d" % (i, n), VALUE)

    def get(i: int, n: int) -> None:
        if leader.get(get_key(i, n)) != VALUE:
            raise AssertionError(f"etcd lost {get_key(i, n)!r}")

    def preload() -> None:  # 10 threads of 100 puts each
        def some(i: int) -> None:
            for k in range(i, GET_KEYS, 10):
                leader.put(b"read/%d" % k, VALUE)

        pool = [threading.Thread(target=some, args=(i,)) for i in range(10)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()

    return KvOps(put, get, preload)


def etcd_failover_gaps(cluster: EtcdCluster, rounds: int) -> list[float]:
    """Kill -9 the leader, then put through the other members in turn (0.5 s per attempt)
    until one acknowledges; restart the killed member and let it catch up."""
    gaps = []
    for r in range(rounds):
        leader = cluster.wait_leader()
        others = [m for m in cluster.members if m is not leader]
        killed = time.monotonic()
        cluster.kill(leader)
        attempt = 0
        while True:
            try:
                others[attempt % len(others)].put(b"failover/%d" % r, b"1", timeout=0.5)
                break
            except grpc.RpcError:
                attempt += 1
                time.sleep(0.01)
        gaps.append(time.monotonic() - killed)
        cluster.start(leader)
        cluster.wait_caught_up(leader)
    return gaps


def cluster_parts(args: argparse.Namespace, parts: set[str], base: Path) -> dict[str, Any]:
    res: dict[str, Any] = {}
    if "kv" in parts or "failover" in parts:
        with db9_cluster(base / "db9-kv") as cluster, etcd_cluster(base / "etcd") as etcd:
            if "kv" in parts:
                systems = {
                    "db9": db9_ops(TxnClient(cluster.client())),
                    "etcd": etcd_ops(etcd.wait_leader()),
                }
                res.update(kv_cells(systems, args.seconds, args.repeat))
            if "failover" in parts:
                res["failover_db9_s"] = failover_gaps(cluster, args.rounds)
                print(f"db9 failover gaps: {fmt_gaps(res['failover_db9_s'])}", flush=True)
                res["failover_etcd_s"] = etcd_failover_gaps(etcd, args.rounds)
                print(f"etcd failover gaps: {fmt_gaps(res['failover_etcd_s'])}", flush=True)
    return res


# -- the goals table --------------------------------------------------------------------------


def fmt_gaps(gaps: list[float]) -> str:
    return ", ".join(f"{g:.2f}" for g in gaps)


@dataclass
class Row:
    measure: str
    unit: str
    cluster: float | None
    reference: float | None
    reference_name: str
    postgresql: float | None = None
    goal: str = ""
    bound: float | None = None  # the ratio (or, with absolute, the cluster's value) to meet
    at_most: bool = False
    absolute: bool = False

    @property
    def ratio(self) -> float | None:
        if self.cluster is None or not self.reference:
            return None
        return self.cluster / self.reference

    @property
    def met(self) -> bool | None:
        value = self.cluster if self.absolute else self.ratio
        if value is None or self.bound is None:
            return None
        return value <= self.bound if self.at_most else value >= self.bound


def rows(res: dict[str, Any], scale: int) -> list[Row]:
    s, n, i = res.get("select_tps", {}), res.get("update_tps", {}), res.get("init_s", {})
    kd, ke = res.get("kv_db9", {}), res.get("kv_etcd", {})
    fd, fe = res.get("failover_db9_s"), res.get("failover_etcd_s")
    out = []
    if s:
        out += [
            Row("pgbench -S via leader", "TPS", s.get("leader"), s.get("single"), "single db9",
                s.get("postgresql"), ">= 70%", 0.70),
            Row("pgbench -S via a follower", "TPS", s.get("follower"), s.get("single"),
                "single db9", s.get("postgresql"), ">= 50%", 0.50),
        ]  # fmt: skip
    if n:
        out.append(Row("pgbench -N via leader", "TPS", n.get("leader"), n.get("single"),
                       "single db9", n.get("postgresql"), ">= 50%", 0.50))  # fmt: skip
    if i:
        out.append(Row(f"pgbench -i -s {scale}", "s", i.get("leader"), i.get("single"),
                       "single db9", i.get("postgresql"), "<= 1.5x", 1.5,
                       at_most=True))  # fmt: skip
    for kind, goals in (("put", (0.60, 1.00)), ("get", (1.00, 1.50))):
        for threads, bound in zip((1, 16), goals, strict=True):
            cell = f"{kind}_{threads}"
            if cell in kd or cell in ke:
                out.append(Row(f"KV {kind}s, {threads} client{'s' * (threads > 1)}", "ops/s",
                               kd.get(cell), ke.get(cell), "etcd", None, f">= {bound:.0%}",
                               bound))  # fmt: skip
    if fd or fe:
        out.append(Row(
            f"failover, median of {len(fd or fe or [])} (max db9 "
            f"{max(fd) if fd else float('nan'):.2f}, etcd {max(fe) if fe else float('nan'):.2f})",
            "s", statistics.median(fd) if fd else None,
            statistics.median(fe) if fe else None, "etcd", None, "<= 1.3 s", 1.3,
            at_most=True, absolute=True))  # fmt: skip
    return out


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    return f"{value:,.2f}" if unit == "s" else f"{value:,.0f}"


def table(rs: list[Row]) -> str:
    lines = [
        "| measure | unit | db9 cluster | reference | PostgreSQL | cluster / reference "
        "| goal | met |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    for r in rs:
        ratio = "" if r.ratio is None else (f"{r.ratio:.2f}x" if r.at_most else f"{r.ratio:.1%}")
        met = {None: "", True: "yes", False: "**no**"}[r.met]
        ref = f"{_num(r.reference, r.unit)} ({r.reference_name})" if r.reference else ""
        lines.append(f"| {r.measure} | {r.unit} | {_num(r.cluster, r.unit)} | {ref} | "
                     f"{_num(r.postgresql, r.unit)} | {ratio} | {r.goal} | {met} |")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="", help=f"comma-separated subset of {','.join(PARTS)}")
    ap.add_argument("--seconds", type=float, default=10, help="per pgbench or KV cell")
    ap.add_argument("--rounds", type=int, default=10, help="failover rounds per system")
    ap.add_argument(
        "--repeat", type=int, default=3, help="interleaved rounds of pgbench and KV cells"
    )
    ap.add_argument("--scale", type=int, default=10, help="pgbench -i -s (the data -S/-N use)")
    ap.add_argument("--quick", action="store_true", help="scale 1, 2 s cells, 2 rounds")
    ap.add_argument("--port-base", type=int, default=0, help="PostgreSQL on it, db9 on it + 1")
    ap.add_argument("--out", default="bench/results/cluster_speed.json")
    args = ap.parse_args(argv)
    if args.quick:
        args.scale, args.seconds, args.rounds, args.repeat = 1, 2, 2, 1
    parts = set(args.only.split(",")) if args.only else set(PARTS)
    if parts - set(PARTS):
        ap.error(f"unknown parts {sorted(parts - set(PARTS))}; known: {','.join(PARTS)}")
    if ("kv" in parts or "failover" in parts) and not shutil.which(ETCD):
        ap.error(f"{ETCD} is missing (apt-get install etcd-server)")
    started = time.monotonic()
    res: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="db9-cluster-speed-") as tmp:
        if parts & {"init", "select", "update"}:
            res.update(pgbench_parts(args, parts, Path(tmp)))
        res.update(cluster_parts(args, parts, Path(tmp)))
    rs = rows(res, args.scale)
    text = table(rs)
    print(f"\n{text}\n\n({time.monotonic() - started:.0f} s in all)")
    report = {
        "when": time.strftime("%Y-%m-%d %H:%M"), "seconds": args.seconds, "rounds": args.rounds,
        "repeat": args.repeat,
        "scale": args.scale, "parts": sorted(parts), "results": res, "table": text,
        "rows": [{"measure": r.measure, "unit": r.unit, "cluster": r.cluster,
                  "reference": r.reference, "reference_name": r.reference_name,
                  "postgresql": r.postgresql, "ratio": r.ratio, "goal": r.goal, "met": r.met}
                 for r in rs],
    }  # fmt: skip
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    main()
