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


def test_prepared_point_reads_on_a_follower_see_the_leaders_writes(tmp_path: Path) -> None:
    """A follower runs a cached point SELECT on its event loop once the timestamp fetched for
    it off the loop arrives (kv.nowait.prepared): it still sees every row committed through
    the leader before the SELECT was sent, and sessions in parallel each get their own."""
    import threading

    import psycopg

    with running_cluster(tmp_path) as cluster:
        leader = cluster.wait_leader()
        follower = next(n for n in cluster.nodes if n is not leader)
        with psycopg.connect(leader.dsn(), autocommit=True) as w:
            w.execute("CREATE TABLE reg (k int PRIMARY KEY, v int)")
            w.execute("INSERT INTO reg SELECT g, 0 FROM generate_series(1, 4) g")
        errors: list[BaseException] = []

        def session(k: int) -> None:
            try:
                with (
                    psycopg.connect(leader.dsn(), autocommit=True) as w,
                    psycopg.connect(follower.dsn(), autocommit=True) as r,
                ):
                    for i in range(1, 40):
                        w.execute("UPDATE reg SET v = %s WHERE k = %s", (i, k), prepare=True)
                        got = r.execute(
                            "SELECT v FROM reg WHERE k = %s", (k,), prepare=True
                        ).fetchone()
                        assert got == (i,), (k, i, got)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=session, args=(k,)) for k in range(1, 5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, errors
