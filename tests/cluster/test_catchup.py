"""A new member's catch-up time is bounded by the data size, not by the length of the
history: the log is compacted once it holds more entries than the data warrants, so the
newcomer gets a snapshot and a short tail (cluster.raft_journal._catchup_compaction)."""

from __future__ import annotations

import re
import time
from pathlib import Path

from cluster.client import RemoteKv
from kv.client import TxnClient
from tests.cluster.harness import LocalCluster, running_cluster
from tests.cluster.test_cluster import count_keys, write_keys

DATA_KEYS = 200
CATCHUP_ENTRIES = 100  # the compaction floor the nodes run with here


def replayed_entries(node_log: Path, caught_up_at: int) -> int:
    """Entries the new member applied one by one: those after the snapshot it installed."""
    found = re.findall(r"installed raft snapshot at index (\d+)", node_log.read_text())
    return caught_up_at - (int(found[-1]) if found else 0)


def add_member_and_time_catch_up(
    cluster: LocalCluster, kv: RemoteKv, base: Path
) -> tuple[float, int]:
    """Seconds from adding a new (already running) member until it has applied everything,
    and how many log entries it replayed after the snapshot it was sent."""
    extra = LocalCluster.create(base, 1).nodes[0]
    extra.node_id = len(cluster.nodes) + 1
    members = cluster.nodes[:3]
    cluster.nodes.append(extra)
    cluster.start(extra, peers=",".join([*(n.raft_addr for n in members), extra.raft_addr]))
    deadline = time.monotonic() + 60
    while cluster.status(extra) is None:  # up and answering, not yet a member
        assert time.monotonic() < deadline, "the new node never came up"
        time.sleep(0.1)
    leader = cluster.wait_leader(members)
    commit = int(cluster.status(leader)["commit"])  # type: ignore[index,call-overload]
    started = time.monotonic()
    kv.add_node(extra.raft_addr)
    cluster.wait_applied(extra, commit, timeout_s=120)
    took = time.monotonic() - started
    assert count_keys(TxnClient(cluster.client([extra])), "d/") == DATA_KEYS
    replayed = replayed_entries(extra.data_dir / "server.log", commit)
    kv.remove_node(extra.raft_addr)
    cluster.kill(extra)
    return took, replayed


def test_catch_up_time_does_not_grow_with_the_history(tmp_path: Path) -> None:
    """The same rows, then 100 or 900 log entries that add no data (timestamps)."""
    env = {"db9_raft_catchup_entries": str(CATCHUP_ENTRIES)}
    with running_cluster(tmp_path, **env) as cluster:
        kv = cluster.client(cluster.nodes[:3])
        write_keys(TxnClient(kv), "d/", DATA_KEYS)
        for _ in range(100):
            kv.get_ts()
        short, _ = add_member_and_time_catch_up(cluster, kv, tmp_path / "short")
        for _ in range(800):
            kv.get_ts()
        long, replayed = add_member_and_time_catch_up(cluster, kv, tmp_path / "long")
        kv.close()
    print(
        f"catch-up after ~100 entries: {short:.2f}s, after ~900: {long:.2f}s ({replayed} replayed)"
    )
    # A snapshot and a tail bounded by the compaction floor (plus what one second, the
    # compaction check's period, adds), not the history.
    assert replayed <= 3 * CATCHUP_ENTRIES, replayed
    assert long < 2 * short + 2.0, (short, long)
