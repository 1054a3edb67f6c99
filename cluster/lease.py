"""The leader lease: how long this leader may serve reads and timestamps without the log.

A leader sends ``db9_lease`` pings over the Raft transport (every ``PING_S`` and whenever a
reader asks for a fresh round), stamped with its monotonic clock. A follower that takes the
sender for the leader of its term answers with the stamp, and from then on, for at least the
minimum election timeout, neither votes for another candidate (leader stickiness in
``raft_prevote``) nor starts an election itself (its election deadline is pushed as an
append-entries message pushes it). So once a majority (the leader included) has answered
pings stamped ``t`` or later, no other leader can be elected before ``t + raftMinTimeout``
as measured by those followers; the lease ends ``LEASE_FRACTION`` of that after ``t``.

Clock assumption: only monotonic clocks are used, and the lease is safe while no node's
monotonic clock runs more than ``1 - LEASE_FRACTION`` (20%) slower or faster than another's
over one election timeout. Wall-clock jumps (NTP steps, the fault tests' clock nemesis)
do not move monotonic clocks and cannot extend a lease. A leader paused past its lease
finds it expired when it resumes (the pause counts on its monotonic clock too), so it serves
nothing until a new round confirms it still leads.

Pings also carry the leader's gRPC address, which is how followers find where to fetch
timestamps and read indexes (``LeaseState.leader_grpc``).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any

import pysyncobj.syncobj as syncobj
from pysyncobj.monotonic import monotonic

from cluster import raft_prevote

PING = "db9_lease"
ACK = "db9_lease_ack"
PING_S = 0.05
LEASE_FRACTION = 0.8

_LEADER = 2
_applied = False


@dataclass
class LeaseState:
    """Per-member lease bookkeeping, kept on the SyncObj as ``_db9_lease``."""

    grpc_addr: str = ""  # this member's gRPC address, sent in pings
    leader_grpc: str = ""  # the gRPC address of the leader this follower last heard
    term: int = 0  # the term the acks below belong to
    acks: dict[Any, float] = field(default_factory=dict)  # node -> newest stamp it answered
    last_ping: float = -math.inf
    want_ping: bool = False  # a reader waits for a fresh round
    cond: threading.Condition = field(default_factory=threading.Condition)


def state(sync: Any) -> LeaseState:
    st = getattr(sync, "_db9_lease", None)
    if not isinstance(st, LeaseState):
        st = LeaseState()
        sync._db9_lease = st
    return st


def apply() -> None:
    """Install the ping handlers and the tick hook (after ``raft_prevote.apply``)."""
    global _applied
    if _applied:
        return
    _patch_tick()
    raft_prevote.add_message_handlers({PING: _on_ping, ACK: _on_ack})
    _applied = True


def _get(sync: Any, name: str) -> Any:
    return getattr(sync, "_SyncObj__" + name)


def lease_s(sync: Any) -> float:
    return float(sync.conf.raftMinTimeout) * LEASE_FRACTION


def lease_until(sync: Any) -> float:
    """The monotonic time until which this member may act as the only leader; -inf when
    it is not the leader."""
    if _get(sync, "raftState") != _LEADER:
        return -math.inf
    st = state(sync)
    others = list(_get(sync, "otherNodes"))
    needed = (len(others) + 1) // 2  # answers besides our own that make a majority
    if needed == 0:
        return math.inf
    term = _get(sync, "raftCurrentTerm")
    if st.term != term:
        return -math.inf
    stamps = sorted((st.acks.get(n, -math.inf) for n in others), reverse=True)
    return stamps[needed - 1] + lease_s(sync)


def confirm(sync: Any, timeout_s: float) -> bool:
    """Wait (up to ``timeout_s``) until this member holds a lease reaching past now: a
    heartbeat round, no disk write. False if it is not the leader or no majority answered."""
    st = state(sync)
    start = monotonic()
    deadline = start + timeout_s
    with st.cond:
        st.want_ping = True
        while lease_until(sync) <= max(monotonic(), start) + 0.01:
            if _get(sync, "raftState") != _LEADER:
                return False
            left = deadline - monotonic()
            if left <= 0:
                return False
            st.want_ping = True
            st.cond.wait(min(left, PING_S))
    return True


# -- the tick sends pings; the message handler answers and counts them -----------------------


def _patch_tick() -> None:
    inner = syncobj.SyncObj._onTick

    def on_tick(self: Any, timeToWait: float = 0.0) -> None:
        inner(self, timeToWait)
        _maybe_ping(self)

    syncobj.SyncObj._onTick = on_tick


def _maybe_ping(self: Any) -> None:
    if _get(self, "raftState") != _LEADER or _get(self, "selfNode") is None:
        return
    st = state(self)
    now = monotonic()
    term = _get(self, "raftCurrentTerm")
    if st.term != term:
        with st.cond:
            st.term, st.acks = term, {}
    if not st.want_ping and now - st.last_ping < PING_S:
        return
    st.last_ping, st.want_ping = now, False
    message = {"type": PING, "term": term, "sent": now, "grpc": st.grpc_addr}
    transport = _get(self, "transport")
    for node in _get(self, "otherNodes"):
        transport.send(node, message)


def _on_ping(self: Any, node: Any, message: dict[str, Any]) -> None:
    if (
        _get(self, "selfNode") is None
        or message.get("term") != _get(self, "raftCurrentTerm")
        or _get(self, "raftLeader") != node
        or _get(self, "raftState") == _LEADER
    ):
        return  # not the leader of our term (yet): its append-entries settle that first
    now = monotonic()
    # Before answering: no vote for anyone else, and no election of our own, for at least
    # the minimum election timeout from now (see the module docstring).
    raft_prevote.state(self).leader_seen = now
    deadline = now + _get(self, "generateRaftTimeout")()
    if _get(self, "raftElectionDeadline") < deadline:
        self._SyncObj__raftElectionDeadline = deadline
    state(self).leader_grpc = str(message.get("grpc") or "")
    reply = {"type": ACK, "term": message["term"], "sent": message["sent"]}
    _get(self, "transport").send(node, reply)


def _on_ack(self: Any, node: Any, message: dict[str, Any]) -> None:
    st = state(self)
    term = _get(self, "raftCurrentTerm")
    if _get(self, "raftState") != _LEADER or message.get("term") != term:
        return
    with st.cond:
        if st.term != term:
            st.term, st.acks = term, {}
        sent = float(message["sent"])
        if sent > st.acks.get(node, -math.inf):
            st.acks[node] = sent
        st.cond.notify_all()
