"""The PreVote and stickiness rules of cluster/raft_prevote.py, on a stand-in for the
pysyncobj member (its private fields by their mangled names); the multi-process behaviour is
in test_liveness.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pysyncobj.syncobj as syncobj
from pysyncobj.monotonic import monotonic

from cluster import raft_prevote as pv


@dataclass(frozen=True)
class _Node:
    id: str


@dataclass
class _Conf:
    raftMinTimeout: float = 0.4


class _Transport:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def send(self, node: _Node, message: dict[str, Any]) -> bool:
        self.sent.append((node.id, message))
        return True


@dataclass
class _Member:
    term: int = 5
    log: tuple[int, int] = (100, 5)  # last index, last term
    state_: int = 0
    conf: _Conf = field(default_factory=_Conf)

    def __post_init__(self) -> None:
        self._SyncObj__raftState = self.state_
        self._SyncObj__raftCurrentTerm = self.term
        self._SyncObj__selfNode = _Node("self")
        self._SyncObj__votedForNodeId = None
        self._SyncObj__raftLeader = None
        self._SyncObj__otherNodes = {_Node("b"), _Node("c")}
        self._SyncObj__transport = _Transport()
        self._SyncObj__raftElectionDeadline = 0.0
        self._SyncObj__getCurrentLogIndex = lambda: self.log[0]
        self._SyncObj__getCurrentLogTerm = lambda: self.log[1]

    @property
    def replies(self) -> list[dict[str, Any]]:
        return [m for _, m in self._SyncObj__transport.sent]


def _ask(member: _Member, term: int = 6, last: tuple[int, int] = (100, 5)) -> bool:
    request = {
        "type": pv.PRE_VOTE,
        "term": term,
        "last_log_index": last[0],
        "last_log_term": last[1],
    }
    pv._on_pre_vote(member, _Node("a"), request)
    reply = member.replies[-1]
    assert reply["type"] == pv.PRE_VOTE_REPLY and reply["term"] == term
    assert member._SyncObj__raftCurrentTerm == member.term  # a pre-vote changes no state
    return bool(reply["granted"])


def test_a_pre_vote_is_granted_only_without_a_live_leader_and_to_an_up_to_date_log() -> None:
    member = _Member()
    assert _ask(member)
    assert _ask(member, last=(101, 5)) and _ask(member, last=(50, 6))
    assert not _ask(member, last=(99, 5)), "a shorter log of the same term"
    assert not _ask(member, last=(500, 4)), "an older last term"
    assert not _ask(member, term=4), "a term this member has passed"
    member._SyncObj__votedForNodeId = "b"
    assert not _ask(member, term=5), "a term this member has voted in"
    pv.state(member).leader_seen = monotonic()
    assert not _ask(member), "heard from the leader within the election timeout"
    assert not _ask(_Member(state_=2)), "the leader itself"


def test_a_won_pre_vote_lets_the_election_start_and_a_refusal_with_a_higher_term_is_adopted() -> (
    None
):
    member = _Member()
    st = pv.state(member)
    st.round_term = 6
    pv._on_pre_vote_reply(member, _Node("b"), {"term": 6, "granted": True, "current_term": 5})
    assert st.election_term == 6 and member._SyncObj__raftElectionDeadline == 0

    behind = _Member(term=3)
    behind._SyncObj__setCurrentTerm = lambda t, v: setattr(behind, "_SyncObj__raftCurrentTerm", t)
    behind._SyncObj__setState = lambda s: setattr(behind, "_SyncObj__raftState", s)
    pv._on_pre_vote_reply(behind, _Node("b"), {"term": 4, "granted": False, "current_term": 5})
    assert behind._SyncObj__raftCurrentTerm == 5


def test_losing_the_connection_to_the_leader_fails_the_commands_forwarded_to_it() -> None:
    pv.apply()
    member = _Member()
    leader = _Node("b")
    member._SyncObj__raftLeader = leader
    member._SyncObj__connectedNodes = {leader, _Node("c")}
    changed: list[bool] = []
    member._SyncObj__onLeaderChanged = lambda: changed.append(True)
    syncobj.SyncObj._SyncObj__onNodeDisconnected(member, _Node("c"))
    assert not changed, "another member's connection"
    syncobj.SyncObj._SyncObj__onNodeDisconnected(member, leader)
    assert changed and leader not in member._SyncObj__connectedNodes
