"""Three real db9-server processes: replication, failover, catch-up, snapshots, partitions,
membership. Every fault is real (SIGKILL, SIGSTOP, a wiped data directory)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from cluster.client import RemoteKv
from cluster.convert import OutcomeUnknown, Unavailable
from kv.client import TxnClient
from tests.cluster.harness import LocalCluster, NodeProc, running_cluster


def write_keys(kv_client: TxnClient, prefix: str, n: int, threads: int = 8) -> None:
    """``n`` one-key transactions from ``threads`` concurrent writers (group commit)."""

    def worker(t: int) -> None:
        for i in range(t, n, threads):
            txn = kv_client.begin()
            txn.put(f"{prefix}{i:06d}".encode(), str(i).encode())
            txn.commit()

    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()


def count_keys(kv_client: TxnClient, prefix: str) -> int:
    txn = kv_client.begin()
    start = prefix.encode()
    rows = list(txn.iter_scan(start, start + b"\xff"))
    txn.rollback()
    return len(rows)


def test_sql_written_through_node1_is_read_on_node3_and_status_names_one_leader(
    tmp_path: Path,
) -> None:
    with running_cluster(tmp_path) as cluster:
        n1, _, n3 = cluster.nodes
        with psycopg.connect(n1.dsn(), autocommit=True) as c1:
            c1.execute("CREATE TABLE acct (id int PRIMARY KEY, balance int)")
            c1.execute("INSERT INTO acct VALUES (1, 100), (2, 200)")
        with psycopg.connect(n3.dsn(), autocommit=True) as c3:
            assert c3.execute("SELECT id, balance FROM acct ORDER BY id").fetchall() == [
                (1, 100),
                (2, 200),
            ]
            with c3.transaction():
                c3.execute("UPDATE acct SET balance = balance - 10 WHERE id = 1")
                c3.execute("UPDATE acct SET balance = balance + 10 WHERE id = 2")
        with psycopg.connect(n1.dsn(), autocommit=True) as c1:
            assert c1.execute("SELECT sum(balance) FROM acct").fetchone() == (300,)
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "control.cli",
                "cluster",
                "status",
                "--json",
                "--grpc",
                ",".join(n.grpc_addr for n in cluster.nodes),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        info = json.loads(out.stdout)
        assert info["leader"] in {n.raft_addr for n in cluster.nodes}
        states = sorted(n["state"] for n in info["nodes"])
        assert states == ["follower", "follower", "leader"]
        assert all(n["lag"] >= 0 for n in info["nodes"])


def test_leader_kill9_elects_a_new_leader_and_writes_resume(tmp_path: Path) -> None:
    with running_cluster(tmp_path) as cluster:
        kv = cluster.client()
        client = TxnClient(kv)
        write_keys(client, "before/", 50)
        leader = cluster.wait_leader()
        killed_at = time.monotonic()
        cluster.kill(leader)
        # Writes retry across the election; measure until the first one commits.
        txn = client.begin()
        txn.put(b"after/first", b"1")
        txn.commit()
        gap = time.monotonic() - killed_at
        survivors = [n for n in cluster.nodes if n is not leader]
        new_leader = cluster.wait_leader(survivors)
        assert new_leader is not leader
        write_keys(client, "after/", 50)
        assert count_keys(client, "before/") == 50
        assert count_keys(client, "after/") == 51
        print(f"write gap after leader kill -9: {gap:.2f}s")
        assert gap < 15  # the target (< 3 s) is measured in bench/cluster_bench.py
        # The killed node comes back with its data and catches up.
        cluster.start(leader)
        cluster.wait_applied(leader, int(cluster.status(new_leader)["commit"]))  # type: ignore[index,call-overload]
        back = TxnClient(cluster.client([leader]))
        assert count_keys(back, "after/") == 51
        kv.close()


def test_follower_restarted_after_thousands_of_writes_catches_up(tmp_path: Path) -> None:
    with running_cluster(tmp_path) as cluster:
        leader = cluster.wait_leader()
        follower = next(n for n in cluster.nodes if n is not leader)
        cluster.kill(follower)
        others = [n for n in cluster.nodes if n is not follower]
        client = TxnClient(cluster.client(others))
        write_keys(client, "bulk/", 2000, threads=16)
        cluster.start(follower)
        cluster.wait_applied(follower, int(cluster.status(leader)["commit"]))  # type: ignore[index,call-overload]
        alone = TxnClient(cluster.client([follower]))
        assert count_keys(alone, "bulk/") == 2000


def test_a_new_node_catches_up_from_a_snapshot(tmp_path: Path) -> None:
    with running_cluster(tmp_path, db9_raft_compaction_entries="300") as cluster:
        leader = cluster.wait_leader()
        follower = next(n for n in cluster.nodes if n is not leader)
        client = TxnClient(cluster.client())
        write_keys(client, "snap/", 1500, threads=8)
        deadline = time.monotonic() + 30
        while not (leader.data_dir / "raft.snapshot").exists() and time.monotonic() < deadline:
            write_keys(client, "more/", 20, threads=4)  # compaction runs on the Raft tick
        assert (leader.data_dir / "raft.snapshot").exists(), "the leader never compacted its log"
        # Wipe the follower: it returns as an empty node, is sent the snapshot, and, having
        # lost its state, does not vote until it is readmitted (issue 13).
        cluster.kill(follower)
        for p in sorted(follower.data_dir.rglob("*"), reverse=True):
            if p.is_file() and p.name != "server.log":
                p.unlink()
        cluster.start(follower)
        cluster.wait_applied(follower, int(cluster.status(leader)["commit"]), timeout_s=90)  # type: ignore[index,call-overload]
        alone = TxnClient(cluster.client([follower]))
        assert count_keys(alone, "snap/") == 1500
        assert "installed raft snapshot" in (follower.data_dir / "server.log").read_text()
        kv = RemoteKv([n.grpc_addr for n in cluster.nodes], retry_s=120, rpc_timeout_s=120)
        assert kv.identity(cluster.nodes.index(follower)).role == "learner"
        kv.readmit(follower.raft_addr, 90)
        assert kv.identity(cluster.nodes.index(follower)).role == "voter"
        kv.close()


def test_a_minority_cannot_commit_and_the_majority_heals_it(tmp_path: Path) -> None:
    with running_cluster(tmp_path, db9_raft_retry_s="3") as cluster:
        leader = cluster.wait_leader()
        others = [n for n in cluster.nodes if n is not leader]
        for n in others:
            cluster.pause(n)  # the old leader is now a minority of one
        lonely = TxnClient(cluster.client([leader], retry_s=3))
        with pytest.raises((Unavailable, OutcomeUnknown)):
            txn = lonely.begin()
            txn.put(b"minority/write", b"x")
            txn.commit()
        for n in others:
            cluster.resume(n)
        cluster.wait_leader()
        client = TxnClient(cluster.client())
        txn = client.begin()
        txn.put(b"majority/write", b"y")
        txn.commit()
        assert count_keys(client, "majority/") == 1


def test_a_fourth_node_joins_then_leaves_while_the_cluster_serves(tmp_path: Path) -> None:
    with running_cluster(tmp_path) as cluster:
        client = TxnClient(cluster.client())
        write_keys(client, "m/", 100)
        extra = LocalCluster.create(tmp_path / "extra", 1).nodes[0]
        extra.node_id = 4
        cluster.nodes.append(extra)
        cluster.start(extra, peers=cluster.peers())
        kv = cluster.client(cluster.nodes[:3])
        kv.add_node(extra.raft_addr)
        leader = cluster.wait_leader(cluster.nodes[:3])
        cluster.wait_applied(extra, int(cluster.status(leader)["commit"]))  # type: ignore[index,call-overload]
        assert count_keys(TxnClient(cluster.client([extra])), "m/") == 100
        assert extra.raft_addr in cluster.status(leader)["peers"]  # type: ignore[index,operator]
        kv.remove_node(extra.raft_addr)
        assert extra.raft_addr not in cluster.status(leader)["peers"]  # type: ignore[index,operator]
        cluster.kill(extra)
        write_keys(client, "m2/", 20)  # three members again; a majority of them commits
        assert count_keys(client, "m2/") == 20


def test_a_non_member_cannot_inject_raft_messages(tmp_path: Path) -> None:
    """Raft traffic is encrypted with the cluster secret: a crafted pickle sent to a node's
    Raft port is never unpickled (it would create a file) and the cluster keeps serving."""
    import pickle
    import socket
    import struct

    marker = tmp_path / "injected"

    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            import os

            return (os.system, (f"touch {marker}",))

    with running_cluster(tmp_path / "c") as cluster:
        payload = pickle.dumps({"type": "append_entries", "evil": Evil()})
        for node in cluster.nodes:
            host, port = node.raft_addr.rsplit(":", 1)
            with socket.create_connection((host, int(port)), timeout=5) as sock:
                for frame in (payload, struct.pack("!I", len(payload)) + payload):
                    try:
                        sock.sendall(frame)
                    except OSError:
                        break  # the node hung up on us, as it should
        client = TxnClient(cluster.client())
        write_keys(client, "after-injection/", 10)
        assert count_keys(client, "after-injection/") == 10
        assert not marker.exists()


def test_databases_and_branches_work_on_the_cluster(tmp_path: Path) -> None:
    """The control plane over the replicated store: a database and a branch made through
    one client are served, with their own tenant logins, by every node's pgwire."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    from control.plane import ControlPlane

    with running_cluster(tmp_path) as cluster:
        kv = cluster.client()
        plane = ControlPlane(
            TxnClient(kv),
            kv,
            host="127.0.0.1",
            pg_port=0,
            key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        )
        account = plane.registry.create_account("cluster-test")
        rec = plane.create(account, "main")
        plane.sql(
            account,
            "main",
            "CREATE TABLE t (id int PRIMARY KEY); "
            "INSERT INTO t SELECT g FROM generate_series(1, 20) g",
        )
        plane.branch(account, "main", "feature")
        plane.reconcile()
        branch = plane.registry.database(account.id, "feature")
        assert branch.state == "ACTIVE"
        n3 = cluster.nodes[2]
        # the password is on the record create returned; the branch's, shown when the
        # branch was made, is not on a record read back: a connect token logs in instead
        branch_token = plane.connect_token(account, "feature")["token"]
        for r, expected in ((rec, 20), (branch, 20)):
            secret = r.password if r is rec else branch_token
            dsn = (
                f"host=127.0.0.1 port={n3.pg_port} dbname=postgres user={r.user} "
                f"password={secret} sslmode=require connect_timeout=10"
            )
            with psycopg.connect(dsn, autocommit=True) as c:
                assert c.execute("SELECT count(*) FROM t").fetchone() == (expected,)
                if r is branch:
                    c.execute("DELETE FROM t WHERE id > 5")
        assert plane.sql(account, "main", "SELECT count(*) FROM t")[0]["rows"] == [[20]]
        assert plane.sql(account, "feature", "SELECT count(*) FROM t")[0]["rows"] == [[5]]
        kv.close()


def test_create_database_over_sql_on_one_node_is_served_and_dropped_by_the_others(
    tmp_path: Path,
) -> None:
    """CREATE DATABASE through node 1 writes a registry record every node reads: node 3
    logs in to it by dbname, a TEMPLATE copy made on node 2 sees its rows, and DROP DATABASE
    on node 2 makes node 1 refuse the name (3D000)."""
    with running_cluster(tmp_path) as cluster:
        n1, n2, n3 = cluster.nodes

        def on(node: NodeProc, dbname: str) -> psycopg.Connection[Any]:
            dsn = node.dsn().replace("dbname=postgres", f"dbname={dbname}")
            return psycopg.connect(dsn, autocommit=True)

        with on(n1, "postgres") as c1:
            c1.execute("CREATE DATABASE shared")
        with on(n3, "shared") as c3:
            assert c3.execute("SELECT current_database()").fetchone() == ("shared",)
            c3.execute("CREATE TABLE t (id int PRIMARY KEY)")
            c3.execute("INSERT INTO t SELECT g FROM generate_series(1, 7) g")
        with on(n2, "postgres") as c2:
            c2.execute("CREATE DATABASE shared_copy TEMPLATE shared")
            names = [r[0] for r in c2.execute("SELECT datname FROM pg_database ORDER BY 1")]
            assert names == ["postgres", "shared", "shared_copy"]
        with on(n1, "shared_copy") as c1:
            assert c1.execute("SELECT count(*) FROM t").fetchone() == (7,)
        with on(n2, "postgres") as c2:
            c2.execute("DROP DATABASE shared_copy")
            c2.execute("DROP DATABASE shared")
        with pytest.raises(psycopg.OperationalError, match='database "shared" does not exist'):
            on(n1, "shared").close()
