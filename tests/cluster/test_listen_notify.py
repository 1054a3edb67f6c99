"""LISTEN/NOTIFY on a real three-node cluster (each node's pgwire in its own process): a
NOTIFY committed through one node reaches listeners on every node, with the notifier's pid,
in commit order, once, and a rolled-back one reaches none. (Each node numbers its sessions
from the same first pid, so the pids of different nodes' sessions may be equal.)"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import psycopg

from tests.cluster.harness import running_cluster


def _collect(conn: psycopg.Connection[Any], count: int, timeout: float = 20.0) -> list[Any]:
    got: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        got += [(n.channel, n.payload, n.pid) for n in conn.notifies(timeout=0.5)]
    return got


def test_notify_through_one_node_reaches_listeners_on_every_node(tmp_path: Path) -> None:
    with running_cluster(tmp_path) as cluster:
        conns = [psycopg.connect(n.dsn(), autocommit=True) for n in cluster.nodes]
        try:
            for c in conns:
                c.execute("LISTEN ch")
            notifier = conns[1]
            pid = notifier.info.backend_pid
            notifier.execute("NOTIFY ch, 'one'")
            notifier.execute("BEGIN; NOTIFY ch, 'gone'; ROLLBACK")
            notifier.execute("BEGIN; NOTIFY ch, 'two'; NOTIFY ch, 'two'; NOTIFY other, 'x'")
            notifier.execute("COMMIT")
            conns[2].execute("SELECT pg_notify('ch', 'three')")
            pid3 = conns[2].info.backend_pid
            want = [("ch", "one", pid), ("ch", "two", pid), ("ch", "three", pid3)]
            for c in conns:
                assert _collect(c, 3) == want
                assert _collect(c, 1, 0.5) == []  # nothing twice
        finally:
            for c in conns:
                c.close()
