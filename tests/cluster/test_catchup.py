"""A new member's catch-up time is bounded by the data size, not by the length of the
history: the log is compacted once it holds more entries than the data warrants, so the
newcomer gets a snapshot and a short tail (cluster.raft_catchup.compact_for_catchup)."""

from __future__ import annotations

import bisect
import itertools
import re
import time
from pathlib import Path
from typing import Any

import pytest

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


@pytest.mark.parametrize(
    ("entries", "entry_bytes", "apply_s", "sync_s"),
    [(1_500, 20_000, 0.005, 0.0), (4_000, 100, 0.0, 0.003)],
    ids=["slow-applies", "slow-journal-syncs"],
)
def test_a_member_replaying_a_long_tail_stays_connected(
    tmp_path: Path, entries: int, entry_bytes: int, apply_s: float, sync_s: float
) -> None:
    """A follower that comes back to a long log replays it without losing its links.

    A member that stored or applied a long tail in one go kept its Raft thread from its
    sockets for longer than the connection timeout (3.5 s); the leader dropped it, reset
    its match index, and a learner in that state never finished its readmission (the fault
    tests' unsafe-wipe, "it is at 0"). Here the member's disk takes ``apply_s`` per applied
    entry or ``sync_s`` per journal sync, with ``entries`` entries waiting for it; it must
    catch up without a disconnection, acknowledge only what it synced, and be sent each
    entry about once (the leader sent the tail again after each acknowledgement)."""
    from cluster.proposer import Proposer
    from cluster.raft_kv import RaftKv
    from kv.mvcc.records import Mutation, Op
    from tests.cluster.members import members

    with members(tmp_path) as group:
        addrs, machines, start, stop = group.addrs, group.running, group.start, group.stop
        for i in range(3):
            start(i)
        leader = group.leader()
        kv = RaftKv(leader, Proposer(leader), retry_s=30)

        def write(key: bytes, value: bytes) -> None:
            kv.one_pc([Mutation(Op.PUT, key, value)], kv.get_ts())

        write(b"first", b"1")
        away = next(i for i, m in machines.items() if m is not leader)
        stop(away)
        for i in range(entries):
            write(b"d%04d" % i, bytes([i % 256]) * entry_bytes)
        target = leader.applied_index
        slow = start(away)
        transact, set_end = slow.engine.transact, slow._SyncObj__raftLog._set_end

        def slow_transact(fn: Any) -> Any:
            time.sleep(apply_s)  # a disk whose every synced commit takes this long
            return transact(fn)

        def slow_set_end(end: int) -> None:
            time.sleep(sync_s)
            set_end(end)

        slow.engine.transact = slow_transact  # type: ignore[method-assign]
        journal = slow._SyncObj__raftLog
        journal._set_end = slow_set_end
        transport = slow._SyncObj__transport
        send = transport.send
        early_acks: list[tuple[int, int]] = []

        def checked_send(to: Any, message: dict[str, Any]) -> Any:
            if message.get("type") == "next_node_idx" and message.get("success"):
                synced = bisect.bisect_left(journal._starts, journal._synced_end)
                last_synced = journal._entries[synced - 1][1] if synced else 0
                if message["next_node_idx"] - 1 > last_synced:
                    early_acks.append((message["next_node_idx"] - 1, last_synced))
            return send(to, message)

        transport.send = checked_send
        leader_send = leader._SyncObj__transport.send
        sent = [0]  # entries the leader sent the member

        def count_send(to: Any, message: dict[str, Any]) -> Any:
            if getattr(to, "id", None) == addrs[away] and message.get("type") == "append_entries":
                sent[0] += len(message.get("entries", ()))
            return leader_send(to, message)

        leader._SyncObj__transport.send = count_send
        node = next(n for n in leader._SyncObj__otherNodes if n.id == addrs[away])
        connected_once = False
        drops = 0
        started = time.monotonic()
        deadline = started + 60
        while slow.applied_index < target:
            assert time.monotonic() < deadline, f"not caught up: at {slow.applied_index}/{target}"
            up = node in leader._SyncObj__connectedNodes
            if connected_once and not up:
                drops += 1
                while node not in leader._SyncObj__connectedNodes:
                    assert time.monotonic() < deadline, "never reconnected"
                    time.sleep(0.01)
            connected_once = connected_once or up
            time.sleep(0.01)
        print(f"caught up {target} entries in {time.monotonic() - started:.1f}s, sent {sent[0]}")
        assert drops == 0, f"the leader lost the member {drops} times while it caught up"
        assert not early_acks, f"acknowledged before synced: {early_acks[:5]}"
        assert sent[0] <= 1.1 * entries + 50, f"{sent[0]} entries sent for {entries} missing"


def test_the_tick_skips_its_idle_wait_only_for_entries_it_can_apply(monkeypatch: Any) -> None:
    """While committed entries wait in the log, a tick does not idle between apply slices;
    it does when the commit index is ahead of the log (they have not arrived) or the
    disk is full, else it would spin."""
    from cluster import raft_catchup

    class Machine:
        _SyncObj__raftCommitIndex = 20
        _SyncObj__raftLastApplied = 10
        _SyncObj__raftLog = [(b"", 10, 1)]
        log_end = 20

        def _SyncObj__getCurrentLogIndex(self) -> int:
            return self.log_end

    machine = Machine()
    assert raft_catchup._more_to_apply(machine)
    machine.log_end = 10  # committed, not yet in this member's log
    assert not raft_catchup._more_to_apply(machine)
    machine.log_end = 20
    machine._db9_apply_retry_at = raft_catchup.time.monotonic() + 60  # type: ignore[attr-defined]
    assert not raft_catchup._more_to_apply(machine)


def lead_alone(machine: Any) -> Any:
    """A RaftKv over ``machine``, the single member of its cluster, once it leads."""
    from cluster.proposer import Proposer
    from cluster.raft_kv import RaftKv

    deadline = time.monotonic() + 10
    while not machine._isLeader():
        assert time.monotonic() < deadline, "no leader"
        time.sleep(0.01)
    return RaftKv(machine, Proposer(machine), retry_s=10)


@pytest.mark.parametrize("cause", ["error", "no-room"])
def test_a_failed_snapshot_waits_before_the_next_attempt(
    tmp_path: Path, cause: str, monkeypatch: Any, caplog: Any
) -> None:
    """A snapshot that fails is logged with its cause and not tried again for a while.

    The library tried again on the next tick: a node whose disk had no room for a snapshot
    copied its store over and over (~3 s an attempt) and fell behind for good (fault run
    list-append-1 of the fourth proof attempt). Here every entry makes a compaction due;
    the snapshot file cannot be written (``error``), or the disk has less room than a
    snapshot needs (``no-room``: not even begun). The node goes on applying, tries at most
    twice in the first seconds, and writes one once the cause is gone."""
    import logging

    from cluster import raft_catchup, raft_journal
    from cluster.state_machine import KvStateMachine, RaftOptions
    from kv.engine.lmdb import LmdbEngine
    from kv.mvcc.records import Mutation, Op
    from tests.cluster.harness import free_ports

    caplog.set_level(logging.INFO, logger="cluster")
    monkeypatch.setattr(raft_catchup, "SNAPSHOT_RETRY_S", 1.5)
    blocker = tmp_path / "raft.snapshot.tmp"
    if cause == "error":
        blocker.mkdir()  # the snapshot's file cannot be opened
    else:
        monkeypatch.setattr(raft_journal.DiskGuard, "free_bytes", lambda self: 1 << 20)
    (addr,) = [f"127.0.0.1:{p}" for p in free_ports(1)]
    options = RaftOptions(password="pw", compaction_min_entries=5, compaction_min_time_s=0.01)
    engine = LmdbEngine(str(tmp_path), metasync=False)
    machine = KvStateMachine(engine, addr, [addr], str(tmp_path), options)

    def failures() -> list[Any]:
        return [r for r in caplog.records if "raft snapshot failed" in r.getMessage()]

    try:
        kv = lead_alone(machine)
        started, i = time.monotonic(), 0
        while time.monotonic() - started < 2.0:
            kv.one_pc([Mutation(Op.PUT, b"k%d" % i, b"v" * 1000)], kv.get_ts())
            i += 1
        assert machine.applied_index >= i, (machine.applied_index, i)
        failed = failures()
        why = (
            "IsADirectoryError" if cause == "error" else "SnapshotPostponed: a Raft snapshot needs"
        )
        assert failed and why in failed[0].getMessage(), failed
        times = [r.created for r in failed]
        assert all(b - a >= 1.4 for a, b in itertools.pairwise(times)), times  # it waited
        assert len(failed) <= 2, times
        assert not (tmp_path / "raft.snapshot").exists()
        if cause == "error":
            blocker.rmdir()
        else:
            monkeypatch.undo()
        deadline = time.monotonic() + 10
        while not (tmp_path / "raft.snapshot").exists():
            assert time.monotonic() < deadline, "no snapshot once the cause was gone"
            kv.one_pc([Mutation(Op.PUT, b"k%d" % i, b"v")], kv.get_ts())
            i += 1
            time.sleep(0.05)
    finally:
        machine.close()
        engine.close()


def test_the_log_is_compacted_once_it_outgrows_the_data(tmp_path: Path, monkeypatch: Any) -> None:
    """A log of few but big entries is compacted by its size, as TiKV bounds its Raft log.

    With entries of whole rewritten values (list-append), a 20,000-entry log was several
    times the store, and nodes holding log, store and snapshot ran out of a 1 GiB disk
    (fault runs of the fourth proof attempt). Here one 48 KB value is rewritten (the store
    keeps its versions, as it does until GC): the log's bytes pass the bound long before the
    count bounds."""
    from cluster import raft_catchup
    from cluster.state_machine import KvStateMachine, RaftOptions
    from kv.engine.lmdb import LmdbEngine
    from kv.mvcc.records import Mutation, Op
    from tests.cluster.harness import free_ports

    monkeypatch.setattr(raft_catchup, "LOG_MIN_BYTES", 2 << 20, raising=False)
    (addr,) = [f"127.0.0.1:{p}" for p in free_ports(1)]
    options = RaftOptions(password="pw", compaction_min_entries=10**6, catchup_min_entries=10**6)
    engine = LmdbEngine(str(tmp_path), metasync=False)
    machine = KvStateMachine(engine, addr, [addr], str(tmp_path), options)
    try:
        kv = lead_alone(machine)
        journal = machine._SyncObj__raftLog
        deadline = time.monotonic() + 30
        i, compacted = 0, False
        while not compacted:
            assert time.monotonic() < deadline, f"never compacted: {journal.record_bytes()} bytes"
            kv.one_pc([Mutation(Op.PUT, b"list", b"%08d" % i * 6_000)], kv.get_ts())
            i += 1
            compacted = (tmp_path / "raft.snapshot").exists() and journal.record_bytes() < 2 << 20
        assert i < 1_000, i
    finally:
        machine.close()
        engine.close()


@pytest.mark.parametrize(("applied", "compacts"), [(3_600, False), (8_900, True)])
def test_a_member_behind_compacts_only_what_it_has_applied(applied: int, compacts: bool) -> None:
    """Compaction can only drop applied entries, so the rule counts those, not every entry
    the log holds. A wiped member of the fifth proof attempt, installed at 3,494 with 6,000
    entries to replay, wrote a snapshot of its store every second while it replayed (at
    3,840, 3,963, 4,090, 4,181), each one a copy of the store that slowed its replay."""
    from cluster import raft_catchup

    class Member:
        _SyncObj__raftLog = [(b"", i, 1) for i in range(3_494, 9_500)]
        raftLastApplied = applied
        catchup_min_entries = 1_000
        forced = 0

        def data_bytes(self) -> int:
            return 1 << 20

        def _isLeader(self) -> bool:
            return False

        def forceLogCompaction(self) -> None:
            self.forced += 1

    member = Member()
    raft_catchup.compact_for_catchup(member)
    assert member.forced == (1 if compacts else 0)


def test_a_snapshot_piece_not_sent_restarts_its_transfer(tmp_path: Path) -> None:
    """A piece the link did not take ends the transfer: the next piece sent is the first
    one again. The library had already read it from the file and went on with the rest
    once the member was back, which got a copy with a hole and died reading it."""
    import pysyncobj.serializer as ps_serializer
    from pysyncobj.tcp_connection import CONNECTION_STATE
    from pysyncobj.transport import TCPTransport

    from cluster import raft_fixes

    raft_fixes.apply()

    snap = tmp_path / "raft.snapshot"
    snap.write_bytes(bytes(range(256)) * 64)  # 16 KB, sent in 4 KB pieces
    serializer = ps_serializer.Serializer(str(snap), 4096, False, None, None, None)
    node = "member"

    class Conn:
        state = CONNECTION_STATE.CONNECTED

        def send(self, message: Any) -> None:
            pass

    transport = TCPTransport.__new__(TCPTransport)
    transport._connections = {node: Conn()}
    transport._send_random_sleep_duration = 0
    transport._syncObj = type("Sync", (), {"_SyncObj__serializer": serializer})()

    first = serializer.getTransmissionData(node)
    assert first is not None and first[1]  # the first piece
    assert transport.send(node, {"serialized": first})
    transport._connections[node].state = CONNECTION_STATE.DISCONNECTED
    lost = serializer.getTransmissionData(node)
    assert lost is not None and not lost[1]
    assert not transport.send(node, {"serialized": lost})  # the link is down: not sent
    transport._connections[node].state = CONNECTION_STATE.CONNECTED
    again = serializer.getTransmissionData(node)
    assert again is not None and again[1], "the transfer went on after a piece was lost"
    assert again[0] == first[0]


def test_a_lost_connection_restarts_the_snapshot_transfer_on_both_sides(tmp_path: Path) -> None:
    """A piece the link took can still be lost: what a connection's buffers held when it
    dropped is gone, and the transport reconnects at once, before the next append round
    sees the member was away. The leader went on with the next piece and the member
    appended it after the hole (copies refused as truncated in the fault runs). Now a
    lost connection ends the transfer: the leader's next piece is the first again, and the
    member drops pieces until a first one comes."""
    import pysyncobj.serializer as ps_serializer
    import pysyncobj.syncobj as ps_syncobj

    from cluster import raft_fixes

    raft_fixes.apply()
    snap = tmp_path / "raft.snapshot"
    snap.write_bytes(bytes(range(256)) * 64)  # 16 KB, sent in 4 KB pieces
    leader = ps_serializer.Serializer(str(snap), 4096, False, None, None, None)
    member = ps_serializer.Serializer(str(tmp_path / "in.snapshot"), 4096, False, None, None, None)
    disconnected = ps_syncobj.SyncObj._SyncObj__onNodeDisconnected  # type: ignore[attr-defined]

    def sync(serializer: Any, leader_node: Any) -> Any:
        fields = {"serializer": serializer, "connectedNodes": {"member", "leader"},
                  "raftLeader": leader_node, "selfNode": "self",
                  "onLeaderChanged": staticmethod(lambda: None)}  # fmt: skip
        return type("Sync", (), {f"_SyncObj__{k}": v for k, v in fields.items()})()

    first = leader.getTransmissionData("member")
    assert first is not None and first[1]
    assert not member.setTransmissionData(first)
    lost = leader.getTransmissionData("member")  # sent into a connection that then drops
    assert lost is not None and not lost[1]
    disconnected(sync(leader, None), "member")  # the leader's side of the lost connection
    disconnected(sync(member, "leader"), "leader")  # and the member's
    again = leader.getTransmissionData("member")
    assert again is not None and again[1], "the leader went on after the lost piece"
    stray = (b"x" * 4096, False, False)  # a piece of the old transfer still arriving
    assert not member.setTransmissionData(stray)
    pieces = [again]
    while not pieces[-1][2]:
        pieces.append(leader.getTransmissionData("member"))
    done = [member.setTransmissionData(p) for p in pieces]
    assert done[-1] and not any(done[:-1])
    assert (tmp_path / "in.snapshot").read_bytes() == snap.read_bytes()


def test_a_log_trim_never_drops_entries_the_apply_loop_has_not_passed() -> None:
    """The library trims the log one tick after it wrote a snapshot, to that snapshot's
    index. A snapshot installed from the leader in between rewinds the applied index, and
    the trim then dropped entries not yet applied: the apply loop found nothing at its next
    index and stopped for good while the member kept acknowledging entries. The trim now
    stops before the entry the apply loop needs (and the one before it)."""
    import pysyncobj.syncobj as ps_syncobj

    from cluster import raft_fixes

    raft_fixes.apply()
    log_entries = [(b"", i, 1) for i in range(1034, 1200)]  # installed at 1035, tail after

    class Journal(list[Any]):
        def deleteEntriesTo(self, n: int) -> None:
            del self[:n]

    member = type("Sync", (), {})()
    member._SyncObj__raftLog = Journal(log_entries)
    member._SyncObj__raftLastApplied = 1035
    trim = ps_syncobj.SyncObj._SyncObj__deleteEntriesTo  # type: ignore[attr-defined]
    trim(member, 1150)  # the member's own snapshot, written before the install
    assert member._SyncObj__raftLog[0][1] <= 1034, "entries not yet applied were dropped"
    member._SyncObj__raftLastApplied = 1199
    trim(member, 1150)  # once applied, the same trim goes through
    assert member._SyncObj__raftLog[0][1] == 1150


def test_the_apply_loop_resumes_past_a_log_gap_the_store_has_applied() -> None:
    """A wiped member of the fault tests stopped applying for good while its log and commit
    index ran on: the library's loop asks the log for the entry after its index, and a log
    that starts later answers nothing, silently, every tick. When the store has applied
    everything before the log's first entry the loop now resumes there (the store skips
    what it holds); when it has not, the node says so and waits for a snapshot."""
    import pysyncobj.syncobj as ps_syncobj

    from cluster import raft_fixes

    raft_fixes.apply()
    applied: list[int] = []

    class Member:
        _SyncObj__raftLog = [(b"", i, 1) for i in range(1150, 1200)]
        _SyncObj__raftCommitIndex = 1199
        _SyncObj__raftLastApplied = 1035
        _SyncObj__commandsWaitingCommit: dict[int, Any] = {}
        _SyncObj__conf = type("Conf", (), {"appendEntriesUseBatch": True})()
        applied_index = 1160  # the store

        def _SyncObj__getEntries(self, start: int, count: int) -> list[Any]:
            first = self._SyncObj__raftLog[0][1]
            return [] if start < first else self._SyncObj__raftLog[start - first :][:count]

        def _SyncObj__doApplyCommand(self, command: bytes) -> None:
            applied.append(self._SyncObj__raftLastApplied + 1)

    apply_entries = ps_syncobj.SyncObj._SyncObj__applyLogEntries  # type: ignore[attr-defined]
    member = Member()
    apply_entries(member)
    assert member._SyncObj__raftLastApplied == 1199, "the apply loop stopped at the gap"
    assert applied == list(range(1150, 1200))

    behind = Member()
    behind.applied_index = 1100  # entries 1101-1149 are in neither the store nor the log
    apply_entries(behind)
    assert behind._SyncObj__raftLastApplied == 1035  # nothing skipped: it waits
