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


def test_single_key_requests_draw_their_timestamps_on_the_server(tmp_path: Path) -> None:
    """A lazy transaction's single-key read or blind write is one request (no Tso call);
    concurrent ones travel together; each still sees every write acknowledged before it
    began, through the leader and through a follower (which forwards blind writes); and one
    failing commit of a batch fails alone."""
    import threading
    from collections import Counter
    from typing import Any

    from cluster.client import RemoteKv
    from kv.mvcc.records import Mutation, Op

    with running_cluster(tmp_path) as cluster:
        leader = cluster.wait_leader()
        follower = next(n for n in cluster.nodes if n is not leader)
        calls: Counter[str] = Counter()
        original = RemoteKv._call

        def counting(self: RemoteKv, name: str, request: Any, **kw: Any) -> Any:
            calls[name] += 1
            return original(self, name, request, **kw)

        RemoteKv._call = counting  # type: ignore[method-assign]
        try:
            clients = [TxnClient(cluster.client()), TxnClient(cluster.client([follower]))]
            for client in clients:
                client.begin().rollback()  # route to the leader, warm the channels
                calls.clear()
                for i in range(20):
                    txn = client.begin(lazy=True)
                    txn.put(b"lz/%d" % i, b"v%d" % i)
                    assert txn.commit() > 0
                    txn = client.begin(lazy=True)
                    assert txn.get(b"lz/%d" % i) == b"v%d" % i
                    txn.rollback()
                assert calls == Counter(KvOnePcBatch=20, KvBatchGet=20), calls

            # Linearizable: a read that begins after a write was acknowledged sees it.
            acked = [0]
            errors: list[BaseException] = []
            stop = threading.Event()

            def write() -> None:
                writer = clients[0]
                for n in range(1, 80):
                    txn = writer.begin(lazy=True)
                    txn.put(b"lz/register", b"%d" % n)
                    txn.commit()
                    acked[0] = n
                stop.set()

            def read(client: TxnClient) -> None:
                try:
                    while not stop.is_set():
                        floor = acked[0]
                        txn = client.begin(lazy=True)
                        value = txn.get(b"lz/register")
                        txn.rollback()
                        assert int(value or b"0") >= floor, (value, floor)
                except BaseException as exc:
                    errors.append(exc)

            calls.clear()
            readers = [threading.Thread(target=read, args=(clients[i % 2],)) for i in range(8)]
            for t in readers:
                t.start()
            write()
            for t in readers:
                t.join(30)
            assert not errors, errors[0]
            reads = calls["KvBatchGet"]

            # 16 threads' reads share requests.
            calls.clear()
            done = [0]

            def burst() -> None:
                for i in range(25):
                    txn = clients[0].begin(lazy=True)
                    assert txn.get(b"lz/%d" % (i % 20)) == b"v%d" % (i % 20)
                    txn.rollback()
                    done[0] += 1

            burst_threads = [threading.Thread(target=burst) for _ in range(16)]
            for t in burst_threads:
                t.start()
            for t in burst_threads:
                t.join(60)
            assert done[0] == 400
            assert calls["KvBatchGet"] < 400, calls
            assert reads > 0
        finally:
            RemoteKv._call = original  # type: ignore[method-assign]

        # One failing commit of a batch fails alone; each gets its own start_ts.
        kv = cluster.client()
        results = kv._serve_blind_writes(
            [[Mutation(Op.INSERT, b"lz/1", b"again")], [Mutation(Op.PUT, b"lz/new", b"y")]]
        )
        assert results[0].error.kind == "AlreadyExists"
        assert not results[1].error.kind and results[1].commit_ts > results[1].start_ts > 0
        assert results[0].start_ts and results[0].start_ts != results[1].start_ts
