"""PreVote, CheckQuorum and leader stickiness for pysyncobj 0.3.17 (Raft thesis 9.6).

Without them a member that stops hearing the leader for one election timeout (restarted,
paused, or cut off on one side) raises its term and deposes a healthy leader: the compose
cluster went from term 4 to 8 on one follower restart. The rules added here:

1. PreVote. When a follower's election timer fires it first asks the others for pre-votes
   for ``term + 1`` (``db9_pre_vote``), changing nobody's state. Only when a majority grants
   does the library's own election start (term + 1, request_vote). A member grants when
   the candidate's log is at least as up to date as its own, the term is not behind, and
   it has not heard from a leader within the minimum election timeout (and is not the
   leader itself).
2. Leader stickiness. A member that heard from a leader within the minimum election
   timeout, or is the leader, ignores request_vote (it neither raises its term nor votes).
   Ignoring a message is always safe; it is what PreVote's majority check relies on.
3. CheckQuorum is the library's ``leaderFallbackTimeout`` (RaftOptions.leader_fallback_s,
   below the election timeout): a leader that has not heard from a majority for that long
   becomes a follower, so the leaders that 2. protects are live ones.
4. A way back for a member whose term got ahead (pysyncobj drops append_entries of a lower
   term without an answer, and 2. means its request_vote no longer raises anyone's term):
   it answers such a message with ``db9_higher_term``, and the sender adopts the term and
   steps down, as a Raft leader does on any reply with a higher term.

5. Peer names are re-resolved. pysyncobj caches a name's address for 600 s, and a failed
   lookup (the peer's container is down) keeps the old one for another 600 s. Compose gives
   a restarted container a new address, so the members that dial it (the one with the
   greater address dials) kept dialling the old one: the restarted member heard only part
   of the cluster, could not learn the leader, and every write it tried (its bootstrap)
   waited out the 10 s "did not confirm" retry budget while it ran elections. The resolver
   below answers from its cache at once and refreshes a name in the background once its
   answer is ``REFRESH_S`` old, so the tick thread never waits on DNS after a first lookup.

6. Commands forwarded to a leader whose connection then drops. pysyncobj answers them
   only when the leader changes, so their callers waited out their whole retry budget
   (10 s, "did not confirm") although the leader stayed. They are now failed as on a leader
   change (outcome unknown: the leader may have taken them) when the connection to the
   leader drops; RaftKv proposes them again once it is back (cluster/proposer.py waits for
   a reachable leader).

Each patch wraps what it finds (the identity patch wraps the same handler), so the order
of ``apply`` calls only decides which wrapper sees a message first.
"""

from __future__ import annotations

import math
import random
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pysyncobj.dns_resolver as dns_resolver
import pysyncobj.syncobj as syncobj
from pysyncobj.monotonic import monotonic

PRE_VOTE = "db9_pre_vote"
PRE_VOTE_REPLY = "db9_pre_vote_reply"
HIGHER_TERM = "db9_higher_term"
REFRESH_S = 2.0

_FOLLOWER, _CANDIDATE, _LEADER = 0, 1, 2
_applied = False


@dataclass
class PreVoteState:
    """Per-member bookkeeping, kept on the SyncObj as ``_db9_prevote``."""

    leader_seen: float = -math.inf  # last append_entries from a leader of our term or newer
    round_term: int = 0  # the term the running pre-vote round asks for (0: none)
    granted: set[str] = field(default_factory=set)
    election_term: int = 0  # a won pre-vote lets the library start the election of this term
    rounds: int = 0  # pre-vote rounds started, for tests and status
    refused_votes: int = 0  # request_votes ignored by stickiness


def state(sync: Any) -> PreVoteState:
    st = getattr(sync, "_db9_prevote", None)
    if not isinstance(st, PreVoteState):
        st = PreVoteState()
        sync._db9_prevote = st
    return st


def apply() -> None:
    global _applied
    if _applied:
        return
    _patch_tick()
    _patch_messages()
    _patch_disconnect()
    dns_resolver._g_resolver = RefreshingResolver()
    _applied = True


# -- private fields of SyncObj ----------------------------------------------------------------


def _get(sync: Any, name: str) -> Any:
    return getattr(sync, "_SyncObj__" + name)


def _set(sync: Any, name: str, value: Any) -> None:
    setattr(sync, "_SyncObj__" + name, value)


def _in_lease(sync: Any, now: float) -> bool:
    """This member heard from a live leader within the minimum election timeout (or is
    the leader: CheckQuorum steps it down once it stops hearing from a majority)."""
    if _get(sync, "raftState") == _LEADER:
        return True
    return bool(now - state(sync).leader_seen < sync.conf.raftMinTimeout)


def _log_ok(sync: Any, message: dict[str, Any]) -> bool:
    own_term = _get(sync, "getCurrentLogTerm")()
    own_idx = _get(sync, "getCurrentLogIndex")()
    last_term, last_idx = message["last_log_term"], message["last_log_index"]
    return bool(last_term > own_term or (last_term == own_term and last_idx >= own_idx))


# -- 1. the election timer starts a pre-vote round first --------------------------------------


def _patch_tick() -> None:
    inner = syncobj.SyncObj._onTick

    def on_tick(self: Any, timeToWait: float = 0.0) -> None:
        _maybe_pre_vote(self)
        inner(self, timeToWait)

    syncobj.SyncObj._onTick = on_tick


def _maybe_pre_vote(self: Any) -> None:
    now = monotonic()
    if (
        _get(self, "raftState") == _LEADER
        or _get(self, "selfNode") is None
        or _get(self, "raftElectionDeadline") >= now
        or not _get(self, "otherNodes")  # alone: the library elects itself at once
        or not _get(self, "connectedToAnyone")()
        or _get(self, "transferInProgress")  # the leader asked for it (timeout_now)
    ):
        return
    st = state(self)
    target = _get(self, "raftCurrentTerm") + 1
    if st.election_term == target:
        return  # the pre-vote was won: let the library run the election now
    # Hold the library's election back and ask first; the round runs for one timeout.
    _set(self, "raftElectionDeadline", now + _get(self, "generateRaftTimeout")())
    st.round_term, st.granted, st.rounds = target, set(), st.rounds + 1
    request = {
        "type": PRE_VOTE,
        "term": target,
        "last_log_index": _get(self, "getCurrentLogIndex")(),
        "last_log_term": _get(self, "getCurrentLogTerm")(),
    }
    transport = _get(self, "transport")
    for node in _get(self, "otherNodes"):
        transport.send(node, request)


# -- 2.-4. messages -----------------------------------------------------------------------------


def add_message_handlers(handlers: dict[str, Callable[[Any, Any, dict[str, Any]], None]]) -> None:
    """Wrap pysyncobj's message handler: messages whose ``type`` is a key of ``handlers``
    go to that handler ``(sync, node, message)`` and nowhere else; others pass through."""
    inner = syncobj.SyncObj._SyncObj__onMessageReceived

    def on_message(self: Any, node: Any, message: Any) -> None:
        kind = message.get("type") if isinstance(message, dict) else None
        handler = handlers.get(kind) if isinstance(kind, str) else None
        if handler is not None:
            handler(self, node, message)
            return
        inner(self, node, message)

    syncobj.SyncObj._SyncObj__onMessageReceived = on_message


def _patch_messages() -> None:
    inner = syncobj.SyncObj._SyncObj__onMessageReceived

    def on_message(self: Any, node: Any, message: Any) -> None:
        kind = message.get("type") if isinstance(message, dict) else None
        if (
            kind == "request_vote"
            and _get(self, "selfNode") is not None
            and message["term"] > _get(self, "raftCurrentTerm")
            and _in_lease(self, monotonic())
        ):
            state(self).refused_votes += 1
            return  # a live leader is known: this candidate would only disrupt it
        if kind == "append_entries":
            term = _get(self, "raftCurrentTerm")
            if message["term"] < term:
                _get(self, "transport").send(node, {"type": HIGHER_TERM, "term": term})
            else:
                state(self).leader_seen = monotonic()
        inner(self, node, message)

    syncobj.SyncObj._SyncObj__onMessageReceived = on_message
    add_message_handlers(
        {
            PRE_VOTE: _on_pre_vote,
            PRE_VOTE_REPLY: _on_pre_vote_reply,
            HIGHER_TERM: lambda sync, node, message: _on_higher_term(sync, message),
        }
    )


def _on_pre_vote(self: Any, node: Any, message: dict[str, Any]) -> None:
    term = _get(self, "raftCurrentTerm")
    asked = message["term"]
    granted = (
        _get(self, "selfNode") is not None
        and (
            asked > term
            or (
                asked == term
                and _get(self, "votedForNodeId") is None
                and _get(self, "raftLeader") is None
            )
        )
        and _log_ok(self, message)
        and not _in_lease(self, monotonic())
    )
    reply = {"type": PRE_VOTE_REPLY, "term": asked, "granted": granted, "current_term": term}
    _get(self, "transport").send(node, reply)


def _on_pre_vote_reply(self: Any, node: Any, message: dict[str, Any]) -> None:
    st = state(self)
    current = message.get("current_term", 0)
    if not message["granted"] and current > _get(self, "raftCurrentTerm"):
        # Behind in term: catch up without an election (raising a term is always safe).
        _adopt_term(self, current)
        return
    if (
        not message["granted"]
        or message["term"] != st.round_term
        or st.round_term != _get(self, "raftCurrentTerm") + 1
        or _get(self, "raftState") == _LEADER
    ):
        return
    st.granted.add(str(node.id))
    if len(st.granted) + 1 > (len(_get(self, "otherNodes")) + 1) / 2:
        st.election_term, st.round_term = st.round_term, 0
        _set(self, "raftElectionDeadline", 0)  # the next tick starts the election


def _on_higher_term(self: Any, message: dict[str, Any]) -> None:
    if message["term"] > _get(self, "raftCurrentTerm"):
        _adopt_term(self, message["term"])


def _adopt_term(self: Any, term: int) -> None:
    _get(self, "setCurrentTerm")(term, None)
    if _get(self, "raftState") != _FOLLOWER:
        _get(self, "setState")(_FOLLOWER)
    _set(self, "raftLeader", None)


# -- 5. peer names ------------------------------------------------------------------------------


class RefreshingResolver:
    """Stands in for pysyncobj's ``DnsCachingResolver`` (same three methods)."""

    def __init__(self, refresh_s: float = REFRESH_S) -> None:
        self.refresh_s = refresh_s
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, list[str]]] = {}
        self._refreshing: set[str] = set()
        self._family: int | None = socket.AF_INET

    def setTimeouts(self, cacheTime: float, failCacheTime: float) -> None:
        """The library passes its 600/30 s here; ``refresh_s`` governs instead."""

    def setPreferredAddrFamily(self, family: Any) -> None:
        self._family = {"ipv4": socket.AF_INET, "ipv6": socket.AF_INET6}.get(family, family)

    def resolve(self, hostname: str) -> str | None:
        now = monotonic()
        with self._lock:
            entry = self._cache.get(hostname)
            stale = entry is not None and now - entry[0] > self.refresh_s
            if stale and hostname not in self._refreshing:
                self._refreshing.add(hostname)
                threading.Thread(
                    target=self._refresh, args=(hostname,), name="raft-dns", daemon=True
                ).start()
        if entry is None:
            ips = self._lookup(hostname)  # the first lookup of a name waits, as the library's
            with self._lock:
                self._cache[hostname] = (monotonic(), ips)
        else:
            ips = entry[1]
        return random.choice(ips) if ips else None

    def _refresh(self, hostname: str) -> None:
        ips = self._lookup(hostname)
        with self._lock:
            old = self._cache.get(hostname, (0.0, []))[1]
            self._cache[hostname] = (monotonic(), ips or old)  # a failed lookup keeps the last
            self._refreshing.discard(hostname)

    def _lookup(self, hostname: str) -> list[str]:
        try:
            addrs = socket.getaddrinfo(hostname, None)
        except (OSError, UnicodeError):
            return []
        ips = [str(a[4][0]) for a in addrs if self._family is None or a[0] == self._family]
        return sorted(set(ips or [str(a[4][0]) for a in addrs]))


# -- 6. the connection to the leader drops ------------------------------------------------------


def _patch_disconnect() -> None:
    inner = syncobj.SyncObj._SyncObj__onNodeDisconnected

    def on_disconnected(self: Any, node: Any) -> None:
        inner(self, node)
        if node == _get(self, "raftLeader") and node != _get(self, "selfNode"):
            _get(self, "onLeaderChanged")()  # fails the commands waiting for its reply

    syncobj.SyncObj._SyncObj__onNodeDisconnected = on_disconnected
