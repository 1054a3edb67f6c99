"""A member replaying configuration changes keeps its link to the leader it replays them from
(cluster.raft_membership).

Found by the fault tests (list-append, seed 1075108534): the membership nemesis removed node1
and added it back; node1 later led, and node3, wiped, replayed that history from it. At the
removal node3 dropped its connection to node1, so it never received the re-addition and
stayed cut off for the rest of the run."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from cluster import raft_fixes
from tests.cluster.members import members


def change(machine: Any, action: str, addr: str) -> None:
    """A membership change proposed on the leader ``machine``, waited for."""
    done = threading.Event()
    errors: list[Any] = []

    def callback(result: Any, err: Any) -> None:
        errors.append(err)
        done.set()

    if action == "add":
        machine.addNodeToCluster(addr, callback=callback)
    else:
        machine.removeNodeFromCluster(addr, callback=callback)
    assert done.wait(30), f"{action} {addr} not confirmed"
    assert errors == [0], f"{action} {addr} failed: {errors}"


def wait(ready: Any, what: str, timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (value := ready()):
        assert time.monotonic() < deadline, what()
        time.sleep(0.05)
    return value


def test_a_member_replaying_its_leaders_removal_and_return_catches_up(tmp_path: Path) -> None:
    """Both followers are removed and added back, more than one append message apart; the
    leader then stops and one of them leads. A wiped member replays the whole log from the
    new leader, its removal included, and must catch up."""
    from cluster.proposer import Proposer
    from cluster.raft_kv import RaftKv
    from kv.mvcc.records import Mutation, Op

    with members(tmp_path) as group:
        addrs, running = group.addrs, group.running
        for i in range(3):
            group.start(i)
        leader = group.leader()
        first = group.index(leader)
        kv = RaftKv(leader, Proposer(leader), retry_s=30)

        def write(key: bytes, value: bytes) -> None:
            kv.one_pc([Mutation(Op.PUT, key, value)], kv.get_ts())

        for i in (i for i in range(3) if i != first):
            change(leader, "remove", addrs[i])
            for n in range(12):  # > APPEND_MESSAGE_BYTES: the re-addition travels apart
                write(b"d%d-%02d" % (i, n), bytes([n]) * 100_000)
            change(leader, "add", addrs[i])
            wait(
                lambda i=i: running[i].applied_index >= leader.applied_index,
                lambda i=i: f"member {i} did not catch up after its return",
            )
        kv.close()
        group.stop(first)
        new = group.leader()
        kv = RaftKv(new, Proposer(new), retry_s=30)
        write(b"last", b"1")  # an entry of the new leader's term: it has committed everything
        target = new.applied_index
        wiped = group.start(first, "wiped")
        wait(
            lambda: wiped.applied_index >= target,
            lambda: f"the wiped member stopped at {wiped.applied_index} of {target}",
        )
        kv.close()


class FakeSync:
    """What the patches read of a member: its leader, configuration and transport."""

    def __init__(self, leader: Any, others: set[Any]) -> None:
        self._SyncObj__raftLeader = leader
        self._SyncObj__otherNodes = others
        self._SyncObj__transport: Any = None
        self.leading = False

    def _isLeader(self) -> bool:
        return self.leading


class FakeConnection:
    def __init__(self) -> None:
        self.closed = False

    def disconnect(self) -> None:
        self.closed = True


def fake_transport(sync: FakeSync, nodes: list[Any]) -> Any:
    """A TCPTransport with only the state dropNode and addNode touch (no sockets)."""
    import pysyncobj.transport as transport

    tcp: Any = object.__new__(transport.TCPTransport)
    tcp._syncObj = sync
    tcp._nodes, tcp._readonlyNodes = set(nodes), set()
    tcp._nodeAddrToNode = {n.address: n for n in nodes}
    tcp._connections = {n: FakeConnection() for n in nodes}
    tcp._preventConnectNodes, tcp._lastConnectAttempt = set(), {}
    tcp._onUtilityMessageCallbacks = {}
    tcp._server = None
    tcp._unknownConnections = set()
    sync._SyncObj__transport = tcp
    return tcp


def test_a_kept_leader_link_goes_once_another_node_leads_and_with_the_transport() -> None:
    """The rules of cluster.raft_membership on one member: its leader's removal keeps the
    connection; a re-addition reuses it; another leader, or closing, drops it; a node that
    does not lead is dropped at once, as the library does."""
    from pysyncobj.node import TCPNode

    from cluster import raft_membership

    raft_fixes.apply()
    a, b, c = TCPNode("127.0.0.1:1"), TCPNode("127.0.0.1:2"), TCPNode("127.0.0.1:3")
    sync = FakeSync(leader=a, others={a, b})
    tcp = fake_transport(sync, [a, b])
    link = tcp._connections[a]

    tcp.dropNode(a)  # the member replays "remove a" while a leads it
    sync._SyncObj__otherNodes.discard(a)
    assert tcp._connections[a] is link and not link.closed and a in tcp._nodes
    raft_membership.release(sync)  # a still leads: kept
    assert not link.closed
    tcp.addNode(a)  # "add a" replayed: the live connection goes on, no second one
    sync._SyncObj__otherNodes.add(a)
    assert tcp._connections[a] is link and raft_membership.kept(tcp) == set()

    tcp.dropNode(a)  # removed again; then b leads: a's link goes
    sync._SyncObj__otherNodes.discard(a)
    sync._SyncObj__raftLeader = b
    raft_membership.release(sync)
    assert link.closed and a not in tcp._nodes and a not in tcp._connections

    b_link = tcp._connections[b]
    sync.leading, sync._SyncObj__raftLeader = True, c  # (this member leads: it follows none)
    tcp.dropNode(b)
    assert b_link.closed and b not in tcp._nodes

    sync.leading = False
    tcp._nodes.add(c)
    tcp._connections[c] = c_link = FakeConnection()
    tcp.dropNode(c)  # c leads: kept, until the transport closes
    assert not c_link.closed
    tcp.destroy()
    assert c_link.closed and not tcp._nodes
