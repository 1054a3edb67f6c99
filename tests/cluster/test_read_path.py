"""Issue 17's read and write path on a real 3-node cluster: timestamps and reads take no Raft
entry, an autocommit write takes one, and a follower's read still sees every write
acknowledged before it began (read index)."""

from __future__ import annotations

from pathlib import Path

from kv.client import TxnClient
from tests.cluster.harness import LocalCluster, NodeProc, running_cluster


def _commit_index(cluster: LocalCluster, leader: NodeProc) -> int:
    status = cluster.status(leader)
    assert status is not None
    return int(status["commit"])  # type: ignore[call-overload]


def test_reads_and_timestamps_take_no_log_entry_and_a_write_takes_one(tmp_path: Path) -> None:
    with running_cluster(tmp_path) as cluster:
        leader = cluster.wait_leader()
        follower = next(n for n in cluster.nodes if n is not leader)
        via_leader = TxnClient(cluster.client([leader]))
        via_follower = TxnClient(cluster.client([follower]))
        seed = via_leader.begin()
        seed.put(b"rp/key", b"v0")
        seed.commit()

        before = _commit_index(cluster, leader)
        for client in (via_leader, via_follower):
            for _ in range(150):
                txn = client.begin()
                assert txn.get(b"rp/key") == b"v0"
                txn.rollback()
        reads = _commit_index(cluster, leader) - before
        # Background work (window renewals, the control plane) adds a few entries; a
        # timestamp or read through the log would add 300.
        assert reads < 40, f"300 reads took {reads} Raft entries"

        before = _commit_index(cluster, leader)
        for i in range(100):
            txn = via_follower.begin()
            txn.put(f"rp/w/{i}".encode(), b"x")
            txn.commit()
        writes = _commit_index(cluster, leader) - before
        assert writes < 140, f"100 autocommit writes took {writes} Raft entries (goal: one each)"


def test_a_follower_reads_every_write_acknowledged_before_it_began(tmp_path: Path) -> None:
    with running_cluster(tmp_path) as cluster:
        leader = cluster.wait_leader()
        followers = [n for n in cluster.nodes if n is not leader]
        writer = TxnClient(cluster.client([leader]))
        readers = [TxnClient(cluster.client([f])) for f in followers]
        for i in range(60):
            txn = writer.begin()
            txn.put(b"rp/register", str(i).encode())
            txn.commit()
            for reader in readers:
                r = reader.begin()
                assert r.get(b"rp/register") == str(i).encode()
                r.rollback()
