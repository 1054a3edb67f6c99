"""Real db9-server processes forming a local cluster, for multi-node tests and benchmarks.

Each node is a separate process (``python -m control.server --raft-addr ...``) on loopback
ports picked free, with its own data directory. Faults are real: SIGKILL, SIGSTOP/SIGCONT,
restart with the same data, or with an empty directory (a member that lost its state: a
learner until ``db9 cluster readmit``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cluster.client import RemoteKv
from tests.cluster.interface import Node, node_status, wait_leader
from tests.cluster.netns import Netns

PASSWORD = "cluster-test-password"
SECRET = "cluster-test-secret"
ROOT = Path(__file__).resolve().parents[2]


def free_ports(n: int) -> list[int]:
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


@dataclass
class NodeProc:
    node_id: int
    data_dir: Path
    raft_addr: str
    grpc_addr: str
    pg_port: int
    host: str = "127.0.0.1"  # where its pgwire listens
    prefix: list[str] = field(default_factory=list)  # e.g. ip netns exec <ns>
    proc: subprocess.Popen[bytes] | None = None
    stopped: bool = False  # SIGSTOPped

    def dsn(self) -> str:
        # Plaintext (the nodes run --allow-plaintext): these tests measure replication and
        # faults, not TLS; the compose cluster runs with TLS required.
        return (f"host={self.host} port={self.pg_port} dbname=postgres user=local.admin "
                f"password={PASSWORD} sslmode=disable connect_timeout=10")  # fmt: skip

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class LocalCluster:
    base: Path
    nodes: list[NodeProc] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    net: Netns | None = None  # one network namespace per node, when partitions are wanted

    @classmethod
    def create(cls, base: Path, n: int = 3, net: Netns | None = None, **env: str) -> LocalCluster:
        """Nodes on loopback, or each in its namespace of ``net`` (already created, n nodes)."""
        ports = free_ports(3 * n)
        cluster = cls(base, env={k.upper(): v for k, v in env.items()}, net=net)
        for i in range(n):
            host = net.ip(i + 1) if net else "127.0.0.1"
            cluster.nodes.append(NodeProc(
                node_id=i + 1, data_dir=base / f"node{i + 1}",
                raft_addr=f"{host}:{ports[3 * i]}", grpc_addr=f"{host}:{ports[3 * i + 1]}",
                pg_port=ports[3 * i + 2], host=host,
                prefix=net.exec_prefix(i + 1) if net else []))  # fmt: skip
        return cluster

    def peers(self) -> str:
        return ",".join(n.raft_addr for n in self.nodes)

    def start(self, node: NodeProc, peers: str | None = None) -> None:
        node.data_dir.mkdir(parents=True, exist_ok=True)
        clock_file = str(node.data_dir / "clock_offset_ms")  # see skew_clock
        env = {**os.environ, "DB9_PASSWORD": PASSWORD, "DB9_CLUSTER_SECRET": SECRET,
               "DB9_GC_INTERVAL_S": "3600", "DB9_API_PORT": "0",
               "DB9_FAULT_CLOCK_FILE": clock_file, **self.env}  # fmt: skip
        cmd = [*node.prefix, sys.executable, "-m", "control.server", "--node-id", str(node.node_id),
               "--data-dir", str(node.data_dir), "--raft-addr", node.raft_addr,
               "--peers", peers or self.peers(), "--grpc-addr", node.grpc_addr,
               "--pg-host", node.host, "--pg-port", str(node.pg_port),
               "--allow-plaintext"]  # fmt: skip
        log = open(node.data_dir / "server.log", "ab")  # noqa: SIM115 - owned by the child
        node.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        node.stopped = False

    def start_all(self) -> None:
        for node in self.nodes:
            self.start(node)

    def kill(self, *nodes: NodeProc) -> None:
        """SIGKILL every one of ``nodes`` (all at once, then wait for each)."""
        for node in nodes:
            assert node.proc is not None
            if node.stopped:
                node.proc.send_signal(signal.SIGCONT)
            node.proc.kill()
        for node in nodes:
            assert node.proc is not None
            node.proc.wait(10)

    def dump_stacks(self, timeout_s: float = 10.0) -> None:
        """Every live node writes its threads' stacks to its log (SIGUSR1) and goes on;
        returns once each log holds them (or after ``timeout_s``)."""
        marker = b"Thread 0x"
        logs = {}
        for node in self.nodes:
            if node.proc is None or node.proc.poll() is not None:
                continue
            if node.stopped:
                self.resume(node)
            log = Path(f"/proc/{node.proc.pid}/fd/1")  # its log, even if a wipe moved the file
            logs[node.node_id] = (log, log.read_bytes().count(marker))
            node.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + timeout_s
        for log, before in logs.values():
            with contextlib.suppress(OSError):  # the node exited meanwhile
                while log.read_bytes().count(marker) <= before and time.monotonic() < deadline:
                    time.sleep(0.05)
                # the dump is many writes: done once the log stops growing
                size = -1
                while size != log.stat().st_size and time.monotonic() < deadline:
                    size = log.stat().st_size
                    time.sleep(0.1)

    def pause(self, node: NodeProc) -> None:
        assert node.proc is not None
        node.proc.send_signal(signal.SIGSTOP)
        node.stopped = True

    def resume(self, node: NodeProc) -> None:
        assert node.proc is not None
        node.proc.send_signal(signal.SIGCONT)
        node.stopped = False

    def skew_clock(self, node: NodeProc, offset_ms: int) -> None:
        """Make the node's clock run ``offset_ms`` ahead (negative: behind); see kv/clock.py."""
        path = node.data_dir / "clock_offset_ms"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(f"{offset_ms}\n")
        tmp.replace(path)

    def stop_all(self) -> None:
        for node in self.nodes:
            if node.proc is not None and node.proc.poll() is None and node.stopped:
                node.proc.send_signal(signal.SIGCONT)
        stop_processes([node.proc for node in self.nodes if node.proc is not None])

    def client(self, nodes: list[NodeProc] | None = None, retry_s: float = 15.0) -> RemoteKv:
        return RemoteKv([n.grpc_addr for n in (nodes or self.nodes)], retry_s=retry_s)

    def status(self, node: Node) -> dict[str, object] | None:
        """The node's own view, or None if it does not answer."""
        return node_status(node)

    def wait_leader(self, among: list[NodeProc] | None = None, timeout_s: float = 30.0) -> NodeProc:
        """Poll until exactly one of ``among`` says it leads and it can commit a command."""
        return wait_leader(among or [n for n in self.nodes if n.alive and not n.stopped], timeout_s)

    def wait_pgwire(self, node: Node, timeout_s: float = 60.0) -> None:
        """Poll until the node's pgwire port accepts connections (it opens after the node
        has registered its default database, which needs a leader)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                socket.create_connection((node.host, node.pg_port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"node {node.node_id} never opened pgwire")

    def wait_applied(self, node: NodeProc, index: int, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            s = self.status(node)
            if s is not None and int(s["applied"]) >= index:  # type: ignore[call-overload]
                return
            time.sleep(0.1)
        raise AssertionError(f"node {node.node_id} did not apply index {index} in {timeout_s}s")


def member_identity(node: NodeProc) -> Any:
    """The node's IdentityStatus answer (uuid, role, votes withheld), or None if it does not
    answer (down, or a build without it)."""
    kv = RemoteKv([node.grpc_addr], retry_s=0.1, rpc_timeout_s=1.0)
    try:
        return kv.identity(0)
    except Exception:
        return None
    finally:
        kv.close()


@contextlib.contextmanager
def running_cluster(base: Path, n: int = 3, **env: str) -> Iterator[LocalCluster]:
    """A started cluster; a test that ends with every node running ends with the replicas'
    consistency check (``db9 cluster check``): whatever the faults, they hold the same data."""
    cluster = LocalCluster.create(base, n, **env)
    cluster.start_all()
    try:
        cluster.wait_leader()
        for node in cluster.nodes:
            cluster.wait_pgwire(node)
        yield cluster
        if all(node.alive and not node.stopped for node in cluster.nodes):
            assert_replicas_equal(cluster)
    finally:
        cluster.stop_all()


def assert_replicas_equal(cluster: LocalCluster, timeout_s: float = 60.0) -> None:
    from cluster.consistency import describe_key, run_check

    report = run_check([node.grpc_addr for node in cluster.nodes], timeout_s=timeout_s)
    assert report.ok, (
        f"replicas differ at raft index {report.index}: "
        + "; ".join(f"[{describe_key(x.start)} .. {describe_key(x.end)}) keys {x.keys}"
                    for x in report.mismatches)
        + "; unchecked: " + "; ".join(f"{m.addr} {m.state} {m.detail}" for m in report.unchecked)
    )  # fmt: skip


# -- full disks (root only) -------------------------------------------------------------------

FILLER = "disk-filler"


@contextlib.contextmanager
def tmpfs_data_dirs(cluster: LocalCluster, size_mb: int) -> Iterator[None]:
    """Each node's data directory (and so its server.log) on its own tmpfs of ``size_mb``,
    which ``fill_disk`` can fill up. Call before the nodes start; the logs are copied out
    next to the directories before the tmpfs go."""
    mounted: list[Path] = []
    try:
        for node in cluster.nodes:
            node.data_dir.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(node.data_dir)],
                check=True,
            )
            mounted.append(node.data_dir)
        yield
    finally:
        cluster.stop_all()
        for path in mounted:
            with contextlib.suppress(OSError):
                shutil.copy(path / "server.log", path.parent / f"{path.name}-server.log")
            subprocess.run(["umount", "-l", str(path)], check=False)


def fill_disk(path: Path) -> Path:
    """Write a file into ``path`` until its file system has no room left; return the file."""
    filler = path / FILLER
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 4096):  # megabytes, then the last partial one
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    return filler


def stop_processes(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM every live process, then wait for each (SIGKILL after 20 s)."""
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
