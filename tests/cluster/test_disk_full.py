"""A node whose disk fills up (a small tmpfs holding its data directory and its log):
no SIGBUS, SQLSTATE 53100 to its SQL and gRPC clients, reads still served, the leader
steps down, one log line and ``cluster status`` say so, and once space returns the node
resumes by itself and catches up without losing an acknowledged write. Needs root (mount).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from control.cluster_cli import _status_dict
from kv.errors import DiskFull
from tests.cluster.harness import LocalCluster, NodeProc, fill_disk, tmpfs_data_dirs

pytestmark = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mounting a tmpfs needs root"
)
TMPFS_MB = 96


@contextlib.contextmanager
def tmpfs_cluster(base: Path) -> Iterator[LocalCluster]:
    """Three nodes, each data directory its own tmpfs (any one may become the leader)."""
    cluster = LocalCluster.create(base, 3)
    with tmpfs_data_dirs(cluster, TMPFS_MB):
        cluster.start_all()
        yield cluster


def sql(node: NodeProc, query: str, *args: object) -> list[tuple[object, ...]]:
    with psycopg.connect(node.dsn(), autocommit=True) as conn:
        cur = conn.execute(query, args or None)
        return cur.fetchall() if cur.description else []


def status_of(cluster: LocalCluster, node: NodeProc) -> dict[str, object]:
    """The node as ``db9 cluster status`` shows it."""
    info = _status_dict([node.grpc_addr])
    return dict(info["nodes"][0])


def wait_until(what: str, check: object, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting until {what}")


@pytest.mark.parametrize("role", ["leader", "follower"])
def test_a_full_disk_refuses_writes_with_53100_serves_reads_and_resumes(
    tmp_path: Path, role: str
) -> None:
    with tmpfs_cluster(tmp_path) as cluster:
        first_leader = cluster.wait_leader(timeout_s=60)
        for node in cluster.nodes:
            cluster.wait_pgwire(node)
        full = first_leader
        if role == "follower":
            full = next(n for n in cluster.nodes if n is not first_leader)
        others = [n for n in cluster.nodes if n is not full]
        sql(first_leader, "CREATE TABLE t (k int PRIMARY KEY, v text)")
        acked: set[int] = set()
        for k in range(20):
            sql(full, "INSERT INTO t VALUES (%s, 'x')", k)
            acked.add(k)

        # A session opened before the disk fills (a new login then needs a read the full
        # node may not be able to serve: it is refused with the reason, see below).
        session = psycopg.connect(full.dsn(), autocommit=True)
        filler = fill_disk(full.data_dir)
        refused = None
        deadline = time.monotonic() + 90
        k = 100
        while refused is None and time.monotonic() < deadline:
            try:
                session.execute("INSERT INTO t VALUES (%s, 'y')", (k,))
                acked.add(k)
            except psycopg.Error as exc:
                if exc.sqlstate == "53100":
                    refused = exc
                # 40003: a write in flight when the disk filled; its outcome is unknown
            k += 1
        assert refused is not None, "no write was refused with 53100"
        assert full.alive, "the node died (SIGBUS?) when its disk filled"

        # Refused at once from now on, over SQL and over gRPC.
        t0 = time.monotonic()
        with pytest.raises(psycopg.Error) as again:
            session.execute("INSERT INTO t VALUES (-1, 'z')")
        assert again.value.sqlstate == "53100"
        assert time.monotonic() - t0 < 5
        grpc_client = cluster.client([full], retry_s=5)
        try:
            with pytest.raises(DiskFull):
                grpc_client.get_ts()
        finally:
            grpc_client.close()

        # A leader steps down; the other two (elect a leader and) go on taking writes.
        wait_until(
            "the full node stepped down", lambda: status_of(cluster, full)["state"] != "leader"
        )
        new_leader = cluster.wait_leader(among=others, timeout_s=60)
        for k in range(200, 230):
            sql(new_leader, "INSERT INTO t VALUES (%s, 'w')", k)
            acked.add(k)

        # The full node applies nothing, so it is behind the rows written since: a read
        # through it is refused at once with 53100, never answered from a stale snapshot
        # (the fault tests' real-time checkers flagged that).
        t0 = time.monotonic()
        with pytest.raises(psycopg.Error) as behind:
            session.execute("SELECT count(*) FROM t")
        assert behind.value.sqlstate == "53100", behind.value
        assert time.monotonic() - t0 < 5
        with pytest.raises(psycopg.OperationalError, match="disk is full"):
            sql(full, "SELECT 1")  # a new login: refused with the reason, not "bad password"
        session.close()
        status = status_of(cluster, full)
        assert status["disk_full"], status
        log = (full.data_dir / "server.log").read_text(errors="replace")
        assert log.count("disk full under") == 1, log[-3000:]
        assert "Fatal Python error" not in log
        assert "failed _onTick" not in log  # no error repeated every tick

        # Space returns: the node resumes by itself and catches up.
        filler.unlink()
        wait_until(
            "the node cleared its disk-full state",
            lambda: not status_of(cluster, full)["disk_full"],
        )
        commit = int(cluster.status(new_leader)["commit"])  # type: ignore[index,call-overload]
        cluster.wait_applied(full, commit, timeout_s=90)
        rows = {int(r[0]) for r in sql(full, "SELECT k FROM t")}  # type: ignore[call-overload]
        assert acked <= rows, f"acknowledged rows lost: {sorted(acked - rows)[:10]}"
        sql(full, "INSERT INTO t VALUES (-2, 'back')")  # it takes writes again
        assert full.alive
