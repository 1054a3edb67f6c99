"""Advisory locks on a real three-node cluster: a lock taken through one node excludes
sessions of another, a waiter on another node gets it when it is released, and a node killed
while holding one loses it once its lease lapses."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import psycopg

from tests.cluster.harness import running_cluster
from tests.kv.conftest import wait_for


def _waiting(conn: psycopg.Connection[Any]) -> bool:
    return bool(conn.execute("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()[0])  # type: ignore[index]


def test_advisory_locks_exclude_across_nodes_and_lapse_with_a_killed_node(
    tmp_path: Path,
) -> None:
    with running_cluster(tmp_path) as cluster:
        leader = cluster.wait_leader()
        holder, waiter = [n for n in cluster.nodes if n is not leader]  # the leader survives
        h = psycopg.connect(holder.dsn(), autocommit=True)
        w = psycopg.connect(waiter.dsn(), autocommit=True)
        seen = psycopg.connect(leader.dsn(), autocommit=True)
        try:
            h.execute("SELECT pg_advisory_lock(1)")
            assert w.execute("SELECT pg_try_advisory_lock(1)").fetchone() == (False,)
            hpid = h.execute("SELECT pg_backend_pid()").fetchone()
            assert seen.execute("SELECT pid, mode, granted FROM pg_locks").fetchall() == [
                (*(hpid or ()), "ExclusiveLock", True)
            ]
            done: list[Any] = []
            t = threading.Thread(
                target=lambda: done.append(w.execute("SELECT pg_advisory_lock(1)").fetchone())
            )
            t.start()
            wait_for(lambda: _waiting(seen))  # another node's wait is seen through the store
            h.execute("SELECT pg_advisory_unlock(1)")
            t.join(30)
            assert done == [("",)]

            h.execute("SELECT pg_advisory_lock(2)")
            cluster.kill(holder)  # dies holding lock 2: it lapses with the node's lease
            started = time.monotonic()
            w.execute("SET lock_timeout = '60s'")
            assert w.execute("SELECT pg_advisory_lock(2)").fetchone() == ("",)
            assert time.monotonic() - started < 40
            assert sorted(seen.execute("SELECT objid FROM pg_locks").fetchall()) == [(1,), (2,)]
        finally:
            for c in (h, w, seen):
                c.close()
