"""Every vote a member casts and every election it wins go to its log, naming the voters
(pysyncobj 0.3.17 keeps only a count of the votes, and logs neither).

Who elected a leader is what the fault tests must know to say whether a wiped member's vote
counted (the unsafe-wipe strike); a count cannot tell. The lines:

    raft: voted for <addr> in term <T>
    raft: elected leader of term <T> by <addr>, <addr>, ...   (its own vote included)

Invariant: the voters of a term are recorded from the ``response_vote`` messages of that
term that reach the library's handler while this member is a candidate of that term:
exactly the votes the library counts (this wrapper sits directly on the library's handler,
under every other patch, so a message another patch drops is not recorded).
"""

from __future__ import annotations

import logging
from typing import Any

import pysyncobj.syncobj as syncobj

log = logging.getLogger(__name__)

_CANDIDATE = 1
_applied = False


def apply() -> None:
    """Install the patches (once; ``cluster.raft_fixes`` calls this before its others)."""
    global _applied
    if _applied:
        return
    _patch_receive()
    _patch_become_leader()
    _patch_set_term()
    _applied = True


def voters(sync: Any) -> tuple[int, set[str]]:
    """(term, the members whose votes this member has counted in it, itself included)."""
    term, nodes = getattr(sync, "_db9_voters", (0, ()))
    return int(term), {str(n) for n in nodes}


def _patch_receive() -> None:
    inner = syncobj.SyncObj._SyncObj__onMessageReceived

    def on_message(self: Any, node: Any, message: Any) -> None:
        if (
            isinstance(message, dict)
            and message.get("type") == "response_vote"
            and self._SyncObj__raftState == _CANDIDATE
            and message.get("term") == self.raftCurrentTerm
        ):
            term, nodes = voters(self)
            if term != self.raftCurrentTerm:
                term, nodes = self.raftCurrentTerm, {str(self.selfNode.id)}
            nodes.add(str(node.id))
            self._db9_voters = (term, nodes)
        inner(self, node, message)

    syncobj.SyncObj._SyncObj__onMessageReceived = on_message


def _patch_become_leader() -> None:
    inner = syncobj.SyncObj._SyncObj__onBecomeLeader

    def become_leader(self: Any) -> None:
        term = self.raftCurrentTerm
        counted, nodes = voters(self)
        if counted != term:  # no vote but its own (a configuration of one)
            nodes = {str(self.selfNode.id)}
        log.info("raft: elected leader of term %d by %s", term, ", ".join(sorted(nodes)))
        inner(self)

    syncobj.SyncObj._SyncObj__onBecomeLeader = become_leader


def _patch_set_term() -> None:
    inner = syncobj.SyncObj._SyncObj__setCurrentTerm

    def set_term(self: Any, term: int, votedForNodeId: Any) -> None:
        own = self.selfNode
        if votedForNodeId is not None and (own is None or votedForNodeId != own.id):
            log.info("raft: voted for %s in term %d", votedForNodeId, term)
        inner(self, term, votedForNodeId)

    syncobj.SyncObj._SyncObj__setCurrentTerm = set_term
