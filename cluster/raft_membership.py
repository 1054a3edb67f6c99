"""A follower keeps its link to its leader through the configuration changes it replays
(pysyncobj 0.3.17).

The library ties connections to the configuration: a member that appends a removal, or
installs a snapshot whose configuration lacks a node, drops that node's connection at once,
and a connection from a node outside its configuration is refused. A member replaying an
old removal of the node that now leads it (a lagging or wiped member catching up through
"remove A ... add A back", A leading since) therefore cut itself off at the removal and
never received the re-addition: it stayed out of the cluster until the leader changed.

Raft takes a follower's configuration from its log, but the follower answers whichever
leader it hears from; the configuration only says whose votes and acknowledgements count.
So here a removal of the current leader, on a member that does not lead, leaves the node
out of the configuration but keeps its connection ("kept"). The connection is dropped once
another node leads; a re-addition meanwhile keeps the live connection instead of opening a
second one. Invariant: a kept node is in the transport's nodes and not in the member's
configuration (``__otherNodes``).
"""

from __future__ import annotations

import logging
from typing import Any

import pysyncobj.syncobj as syncobj
import pysyncobj.transport as transport

log = logging.getLogger(__name__)

_applied = False


def apply() -> None:
    """Install the patches (once; called by ``cluster.raft_fixes``)."""
    global _applied
    if _applied:
        return
    _patch_transport()
    _patch_tick()
    _applied = True


def kept(tcp: Any) -> set[Any]:
    """The nodes ``tcp`` keeps connected although its member's configuration removed them."""
    nodes: set[Any] | None = getattr(tcp, "_db9_kept", None)
    if nodes is None:
        nodes = tcp._db9_kept = set()
    return nodes


def _leads(sync: Any, node: Any) -> bool:
    """``node`` is the leader ``sync`` follows (not ``sync`` itself)."""
    leader = sync._SyncObj__raftLeader
    return leader is not None and leader == node and not sync._isLeader()


def _patch_transport() -> None:
    drop_node, add_node, destroy = (
        transport.TCPTransport.dropNode,
        transport.TCPTransport.addNode,
        transport.TCPTransport.destroy,
    )

    def drop(self: Any, node: Any) -> None:
        sync = getattr(self, "_syncObj", None)
        if not getattr(self, "_db9_closing", False) and sync is not None and _leads(sync, node):
            if node not in kept(self):
                log.info("raft configuration removes %s, which leads: its link stays", node.id)
            kept(self).add(node)
            return
        kept(self).discard(node)
        drop_node(self, node)

    def add(self: Any, node: Any) -> None:
        if node in kept(self):
            kept(self).discard(node)
            if node in self._nodes:  # its connection is live: keep it, open no other
                log.info("raft configuration adds %s back: its kept link goes on", node.id)
                return
        add_node(self, node)

    def close(self: Any) -> None:
        self._db9_closing = True  # every node goes, the leader too
        destroy(self)

    transport.TCPTransport.dropNode = drop
    transport.TCPTransport.addNode = add
    transport.TCPTransport.destroy = close


def release(sync: Any) -> None:
    """Drop the kept links of nodes that no longer lead ``sync`` (called on each tick)."""
    tcp = sync._SyncObj__transport
    nodes = getattr(tcp, "_db9_kept", None)
    if not nodes:
        return
    leader = sync._SyncObj__raftLeader
    for node in list(nodes):
        if node in sync._SyncObj__otherNodes:  # back in the configuration some other way
            nodes.discard(node)
        elif leader is not None and leader != node:
            log.info("raft: %s no longer leads and is not a member: its link is dropped", node.id)
            nodes.discard(node)
            tcp.dropNode(node)


def _patch_tick() -> None:
    inner = syncobj.SyncObj._onTick

    def on_tick(self: Any, timeToWait: float = 0.0) -> None:
        inner(self, timeToWait)
        release(self)

    syncobj.SyncObj._onTick = on_tick
