"""A new member's catch-up time is bounded by the data size, not by the length of the
history: the log is compacted once it holds more entries than the data warrants, so the
newcomer gets a snapshot and a short tail (cluster.raft_catchup.compact_for_catchup)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

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


def test_a_member_catches_up_while_the_leader_keeps_compacting(tmp_path: Path) -> None:
    """A snapshot transfer slower than the time between two compactions still completes.

    The library restarts every transfer in progress when a compaction ends, so a member
    whose snapshot took longer to send than the leader took to compact again never caught
    up (a wiped node stayed at match index 0 in the fault tests). Here the leader sends its
    ~1 MB snapshot in 256-byte pieces while it is told to compact every 0.1 s, and each
    compaction has a new entry to cover."""
    from cluster.proposer import Proposer
    from cluster.raft_kv import RaftKv
    from cluster.state_machine import KvStateMachine, RaftOptions
    from kv.engine.lmdb import LmdbEngine
    from kv.mvcc.records import Mutation, Op
    from tests.cluster.harness import free_ports

    addrs = [f"127.0.0.1:{p}" for p in free_ports(3)]
    machines: list[KvStateMachine] = []

    def start(i: int) -> KvStateMachine:
        data_dir = tmp_path / f"n{i}"
        data_dir.mkdir()
        machine = KvStateMachine(
            LmdbEngine(str(data_dir)), addrs[i], addrs, str(data_dir), RaftOptions(password="pw")
        )
        machines.append(machine)
        return machine

    try:
        first, second = start(0), start(1)
        deadline = time.monotonic() + 30
        while not (first._isLeader() or second._isLeader()):
            assert time.monotonic() < deadline, "no leader"
            time.sleep(0.05)
        leader = first if first._isLeader() else second
        kv = RaftKv(leader, Proposer(leader), retry_s=30)

        def write(key: bytes, value: bytes) -> None:
            kv.one_pc([Mutation(Op.PUT, key, value)], kv.get_ts())

        for i in range(100):
            write(b"d%03d" % i, bytes([i]) * 10_000)
        leader._SyncObj__serializer._Serializer__transmissionBatchSize = 256
        newcomer = start(2)
        deadline = time.monotonic() + 60
        i = 0
        while newcomer.applied_index < 100:
            assert time.monotonic() < deadline, (
                f"the new member never caught up: applied {newcomer.applied_index}"
            )
            write(b"tick", b"%d" % i)  # something new for the next compaction to cover
            leader.forceLogCompaction()
            i += 1
            time.sleep(0.1)
    finally:
        for machine in machines:
            machine.close()
            machine.engine.close()


def test_the_hold_on_compaction_ends_after_its_longest_stretch(monkeypatch: Any) -> None:
    """A member that never acknowledges (a full disk) holds the leader's log back for at
    most HOLD_MAX_S in a row, then one compaction may run."""
    from cluster import raft_catchup

    class Node:
        def __init__(self, id: str) -> None:
            self.id = id

    behind, healthy = Node("b"), Node("h")

    class Leader:
        _SyncObj__raftLog = [(b"", 50, 1), (b"", 51, 1)]
        _SyncObj__raftMatchIndex = {behind: 10, healthy: 51}
        _SyncObj__connectedNodes = {behind, healthy}
        _SyncObj__otherNodes = {behind, healthy}
        _SyncObj__readonlyNodes: set[Node] = set()

        def _isLeader(self) -> bool:
            return True

    leader = Leader()
    clock = [100.0]
    monkeypatch.setattr(raft_catchup.time, "monotonic", lambda: clock[0])
    assert raft_catchup.catching_up(leader) == ["b"]
    assert raft_catchup.held(leader)
    clock[0] += raft_catchup.HOLD_MAX_S - 1
    assert raft_catchup.held(leader)
    clock[0] += 2
    assert not raft_catchup.held(leader)  # one compaction now
    assert raft_catchup.held(leader)  # and a new stretch begins
    Leader._SyncObj__connectedNodes = {healthy}  # a member that is away holds nothing
    assert not raft_catchup.held(leader)
