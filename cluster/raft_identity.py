"""Member identities on top of pysyncobj: a member that lost its state does not vote, and a
member whose applied log would have to change stops instead of diverging.

Incident (issue 13): leader A, followers B and C; C paused; 50 writes acknowledged by A and B;
A and B killed, B's directory wiped; C resumed and won the next term with the vote of the
empty B, so the acknowledged writes were gone from the new majority, and A, restarted, logged
"truncating already-applied log entries" and stayed diverged.

What this module adds (``apply()`` installs the patches; ``raft_fixes.apply()`` calls it):

1. Stamps. Every dict message a node sends carries its cluster id, its node uuid and role
   (``cluster.identity``), and the uuid it has on record for the receiver's address.
2. The registry: raft address -> node uuid, plus the cluster id, in one LMDB meta key that
   changes only through the log (``KvStateMachine.apply_identity``). The first leader proposes
   the cluster id; a leader registers a member's uuid when its address has no record yet. A
   record is never replaced by a leader on its own: only ``readmit`` does that.
3. Wiped members. A ``new`` node (fresh directory) told by a stamp, or by the registry it
   applies, that its address is on record under another uuid becomes a ``learner``, durably.
4. The vote gate. A learner sends no vote-related message, ignores vote requests and
   leadership transfers, and never times out into an election. It still takes and
   acknowledges entries: it stays in the configuration's denominator while abstaining, so
   every election quorum is made of voters and meets every commit quorum in a voter that
   holds the entry.
5. Readmission. ``readmit`` (run on the leader) waits for the learner's match index to reach
   the commit index, then registers its uuid; the learner becomes a voter when it applies its
   own registration, so it holds every entry before it.
6. Divergence. An append-entries message whose first entry that differs from this node's log
   is at or below the index this node has applied (LMDB's applied index counts: pysyncobj
   forgets its own on restart), or a leader's snapshot whose last entry contradicts an entry
   this node applied, makes the node log the reason and exit with EXIT_DIVERGED, leaving its
   log as it was (a restart finds the same conflict again).

Remaining holes. A fresh node decides from what it receives: if the candidate asking for its
vote has not applied the registration of the member that used to be at this address (that
member was wiped before it was ever registered, or the candidate lagged behind the
registration) and nothing else reached the fresh node first, it votes. Registration happens
within a tick of a member's first answer to a leader, so this needs a wipe or a lag within
a cluster's first seconds. And if a majority of the members lost their state, no leader can
be elected until they are readmitted, which needs a leader: the survivor's data is safe but
the cluster stays down (there is no forced recovery command; starting them with
``DB9_UNSAFE_WIPED_VOTES=1`` lets them vote again, knowingly).
``DB9_UNSAFE_WIPED_VOTES=1`` turns detection (3) off: the deliberately broken build the tests
use to check rule 6.
"""

from __future__ import annotations

import json
import logging
import os
import struct
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pysyncobj.pickle as ps_pickle
import pysyncobj.syncobj as syncobj
import pysyncobj.transport as transport

from cluster.convert import Unavailable
from cluster.identity import NodeIdentity
from kv.engine.base import WriteBatch, WriteView
from kv.errors import Db9Error, InvalidArgument
from kv.mvcc import keys as K

log = logging.getLogger(__name__)

REGISTRY_KEY = K.meta_key("raft_members")
EXIT_DIVERGED = 3
LEARNER_TIMEOUT_S = 3600.0  # a learner's election timer: never, in practice
PROPOSE_EVERY_S = 2.0  # a registry change not yet applied is proposed again after this
UNSAFE_WIPED_VOTES = os.environ.get("DB9_UNSAFE_WIPED_VOTES") == "1"


@dataclass(frozen=True)
class Registry:
    """The replicated record of who the members are (an LMDB meta key, JSON)."""

    cluster_id: str | None = None
    members: Mapping[str, str] = field(default_factory=dict)  # raft address -> node uuid

    @classmethod
    def decode(cls, raw: bytes | None) -> Registry:
        if not raw:
            return cls()
        data = json.loads(raw)
        return cls(data.get("cluster_id"), dict(data.get("members", {})))

    def encode(self) -> bytes:
        return json.dumps(
            {"cluster_id": self.cluster_id, "members": dict(self.members)}, sort_keys=True
        ).encode()


def change(op: str, **fields: str) -> bytes:
    """A registry change, as the payload of an ``apply_identity`` entry."""
    return json.dumps({"op": op, **fields}, sort_keys=True).encode()


def apply_change(view: WriteView, payload: bytes) -> Registry:
    """Apply one registry change inside the entry's LMDB transaction.

    ``cluster_id``: the first one applied wins (every leader may propose one at bootstrap).
    ``claim``: the address gets that uuid if it has no record yet (what a leader proposes on
    its own, so a leader that has not applied the whole log cannot undo a readmission).
    ``register``: the address now belongs to that uuid (readmit). ``forget``: no record.
    """
    reg = Registry.decode(view.get(REGISTRY_KEY))
    c = json.loads(payload)
    members = dict(reg.members)
    cluster_id = reg.cluster_id
    if c["op"] == "cluster_id":
        cluster_id = cluster_id or c["id"]
    elif c["op"] == "claim":
        members.setdefault(c["addr"], c["uuid"])
    elif c["op"] == "register":
        members[c["addr"]] = c["uuid"]
    elif c["op"] == "forget":
        members.pop(c["addr"], None)
    else:  # from a newer version: an apply must not fail, or the log stops here
        log.error("ignoring an unknown registry change %r", c)
    reg = Registry(cluster_id, members)
    batch = WriteBatch()
    batch.put(REGISTRY_KEY, reg.encode())
    view.apply(batch)
    return reg


@dataclass
class PeerView:
    """What a peer last said about itself in its stamps."""

    node_uuid: str
    role: str
    cluster_id: str | None
    at: float


def first_conflict(
    get_entries: Callable[[int, int], list[Any]],
    last_own: int,
    prev_idx: int,
    prev_term: int,
    entries: list[Any],
) -> int | None:
    """The first index where the leader's entries (command, index, term) differ in term from
    this log, or None: no conflict, or a previous entry that does not match (the library
    rejects the message without touching the log)."""
    prev = get_entries(prev_idx, 1)
    if not prev or prev[0][2] != prev_term:
        return None
    for entry in entries:
        idx, term = int(entry[1]), entry[2]
        if idx > last_own:
            return None
        own = get_entries(idx, 1)
        if own and own[0][2] != term:
            return idx
    return None


def _exit_diverged(reason: str) -> None:
    sys.stderr.write(f"db9-server: {reason}\n")
    sys.stderr.flush()
    logging.shutdown()
    os._exit(EXIT_DIVERGED)


# Replaced by in-process tests; the server process must end here.
on_diverged: Callable[[str], None] = _exit_diverged


class IdentityGuard:
    """One node's identity rules; the patches below reach it as ``sync.identity_guard``."""

    def __init__(self, identity: NodeIdentity, self_addr: str, machine: Any) -> None:
        self.identity = identity
        self.self_addr = self_addr
        self.machine = machine  # the KvStateMachine (a SyncObj) this guard belongs to
        self.registry = Registry()
        self._registry_at = -1  # the applied index the cached registry was read at
        self._registry_raw: bytes | None = None  # its stored bytes (None decodes as Registry())
        self.seen: dict[str, PeerView] = {}
        self.votes_withheld = 0
        self.halted = False
        self._proposed: dict[str, float] = {}
        self._foreign: set[str] = set()
        self._lock = threading.RLock()  # role changes: the tick thread, readmit's gRPC thread

    # -- roles ------------------------------------------------------------------------------

    def abstains(self) -> bool:
        return self.identity.role == "learner"

    def _become_learner(self, why: str) -> None:
        with self._lock:
            if self.identity.role != "new" or UNSAFE_WIPED_VOTES:
                return
            self.identity.update(role="learner")
        # An election timer already running would still fire: push it out now.
        self.machine._SyncObj__raftElectionDeadline = time.monotonic() + LEARNER_TIMEOUT_S
        log.warning(
            "this node's data directory is new, but %s: it lost its state, so it joins as a "
            "learner and will not vote until `db9 cluster readmit %s`",
            why,
            self.self_addr,
        )

    def current_registry(self) -> Registry:
        """The registry as of this node's applied index (re-read when that moves)."""
        with self._lock:
            at = int(self.machine.applied_index)
            if at != self._registry_at:
                raw = self.machine.engine.get(REGISTRY_KEY)
                if raw != self._registry_raw:  # most entries leave it alone: skip the JSON
                    self.registry = Registry.decode(raw)
                    self._registry_raw = raw
                self._after_registry_change()  # a failed role change is tried again next tick
                self._registry_at = at
            return self.registry

    def _after_registry_change(self) -> None:
        reg, ident = self.registry, self.identity
        on_record = reg.members.get(self.self_addr)
        if reg.cluster_id and ident.cluster_id is None:
            ident.update(cluster_id=reg.cluster_id)
        if on_record == ident.node_uuid and ident.role != "voter":
            was = ident.role
            ident.update(role="voter")
            if was == "learner":
                log.warning("readmitted: this node (%s) is a voter again", ident.node_uuid)
        elif on_record is not None and on_record != ident.node_uuid:
            self._become_learner(f"the log has {self.self_addr} on record as member {on_record}")

    # -- messages ---------------------------------------------------------------------------

    def stamp(self, peer: str, message: dict[str, Any]) -> dict[str, Any] | None:
        """The message to send to ``peer`` with this node's stamps; None: do not send it."""
        if self.abstains() and "vote" in str(message.get("type", "")):
            return None
        reg = self.registry  # the cached one: reading LMDB per message is too much
        return {
            **message,
            "_db9_cid": self.identity.cluster_id or reg.cluster_id,
            "_db9_from": self.identity.node_uuid,
            "_db9_role": self.identity.role,
            "_db9_to": reg.members.get(peer),
        }

    def admit(self, sync: Any, peer: str, message: dict[str, Any]) -> bool:
        """Read a received message's stamps; False: drop the message."""
        if self.halted:
            return False
        cid = message.get("_db9_cid")
        mine = self.identity.cluster_id
        if cid and mine and cid != mine:
            if peer not in self._foreign:
                self._foreign.add(peer)
                log.error("ignoring %s: it belongs to cluster %s, this node to %s", peer, cid, mine)
            return False
        sender = message.get("_db9_from")
        if sender:
            self.seen[peer] = PeerView(
                str(sender), str(message.get("_db9_role") or ""), cid, time.monotonic()
            )
        to = message.get("_db9_to")
        if to and to != self.identity.node_uuid:
            self._become_learner(f"{peer} has {self.self_addr} on record as member {to}")
        kind = str(message.get("type", ""))
        if self.abstains() and ("vote" in kind or kind == "timeout_now"):
            self.votes_withheld += 1  # (a leadership transfer would make it campaign)
            return False
        if kind == "append_entries":
            self._check_divergence(sync, message)
        return not self.halted

    def _check_divergence(self, sync: Any, message: dict[str, Any]) -> None:
        if (
            "prevLogIdx" not in message
            or "transmission" in message
            or message["term"] < sync.raftCurrentTerm
        ):
            return
        idx = first_conflict(
            sync._SyncObj__getEntries,
            sync._SyncObj__getCurrentLogIndex(),
            message["prevLogIdx"],
            message["prevLogTerm"],
            list(message.get("entries", [])),
        )
        applied = max(int(sync.raftLastApplied), int(self.machine.applied_index))
        if idx is not None and idx <= applied:
            self._halt(f"the leader's log differs from this node's at index {idx}", applied)

    def check_snapshot(self, sync: Any, path: str) -> None:
        """Before a snapshot from the leader (in ``path``) replaces the log: its last entry
        must match ours if we have applied past it (the store keeps what it has applied, and
        the entries after the snapshot would then be skipped as already applied)."""
        last = snapshot_last_entry(path)
        if last is None:
            return
        idx, term = last
        applied = max(int(sync.raftLastApplied), int(self.machine.applied_index))
        own = sync._SyncObj__getEntries(idx, 1)
        if idx <= applied and own and own[0][2] != term:
            # Out of the way, or a restart would load it and clear the log that shows the
            # divergence.
            os.replace(path, path + ".diverged")
            self._halt(f"the leader's snapshot ends at index {idx} in term {term}", applied)

    def _halt(self, what: str, applied: int) -> None:
        self.halted = True
        reason = (
            f"diverged: {what}, which this node has already applied differently (applied "
            f"index {applied}); stopping instead of dropping or skipping applied entries. "
            "This member's data cannot be reconciled: wipe its data directory, start it, and "
            f"run `db9 cluster readmit {self.self_addr}` once the cluster has a leader."
        )
        log.critical(reason)
        on_diverged(reason)

    # -- leader duties (on the Raft tick thread) --------------------------------------------

    def on_tick(self) -> None:
        if self.halted:
            return
        try:
            reg = self.current_registry()
        except Exception as exc:  # the store is closing (LMDB's own errors): try next tick
            log.debug("registry not readable: %s", exc)
            return
        if not self.machine._isLeader():
            return
        if reg.cluster_id is None:
            self._propose_once("cluster_id", change("cluster_id", id=str(uuid.uuid4())))
            return
        if reg.members.get(self.self_addr) is None and not self.abstains():
            self._propose_once(
                f"claim {self.self_addr}",
                change("claim", addr=self.self_addr, uuid=self.identity.node_uuid),
            )
        unknown = {
            addr: peer
            for addr, peer in self.seen.copy().items()
            if addr not in reg.members and peer.role != "learner"
        }
        if unknown:
            members = set(self.configuration())
            for addr, peer in unknown.items():
                if addr in members:
                    self._propose_once(
                        f"claim {addr}", change("claim", addr=addr, uuid=peer.node_uuid)
                    )

    def _propose_once(self, key: str, payload: bytes) -> None:
        now = time.monotonic()
        if now - self._proposed.get(key, -PROPOSE_EVERY_S) < PROPOSE_EVERY_S:
            return
        self._proposed[key] = now
        self.machine.apply_identity(payload, callback=lambda res, err: None)

    def configuration(self) -> list[str]:
        """The other members of the Raft configuration as this node holds it."""
        prefix = "partner_node_status_server_"
        return [k[len(prefix) :] for k in self.machine.status() if k.startswith(prefix)]

    # -- readmission (on a gRPC thread of the leader) ---------------------------------------

    def readmit(self, addr: str, timeout_s: float) -> PeerView:
        """Catch the learner at ``addr`` up and make it a voter; returns what it says of itself
        once it is one. Raises Unavailable on a node that is not the leader."""
        deadline = time.monotonic() + timeout_s
        self._require_leader()
        if addr == self.self_addr:
            raise InvalidArgument(f"{addr} is the leader: it is a voter")
        if addr not in self.configuration():
            raise InvalidArgument(
                f"{addr} is not a member of the Raft configuration (add it with add-node)"
            )
        started = time.monotonic()

        def answered() -> PeerView | None:
            # Heard since the request began: not the last words of a dead incarnation.
            now = self.seen.get(addr)
            return now if now is not None and now.at >= started else None

        peer: PeerView = self._wait(
            deadline, answered, lambda: f"{addr} to answer the leader{self._link_hint(addr)}"
        )
        target = int(self.machine.raftCommitIndex)
        self._wait(
            deadline,
            lambda: self._match_index(addr) >= target or None,
            lambda: f"{addr} to catch up to index {target} (it is at {self._match_index(addr)})",
        )
        if self.registry.members.get(addr) != peer.node_uuid:
            self._propose_sync(
                change("register", addr=addr, uuid=peer.node_uuid), deadline, f"register {addr}"
            )

        def promoted() -> PeerView | None:
            now = self.seen.get(addr)
            ok = now is not None and now.node_uuid == peer.node_uuid and now.role == "voter"
            return now if ok else None

        result: PeerView = self._wait(
            deadline, promoted, lambda: f"{addr} to apply its registration"
        )
        return result

    def forget(self, addr: str, timeout_s: float = 5.0) -> None:
        """Drop the record of a removed member, so a new node at its address is not taken
        for a wiped one."""
        self._propose_sync(change("forget", addr=addr), time.monotonic() + timeout_s, "forget")

    def _link_hint(self, addr: str) -> str:
        """Why the member at ``addr`` may not answer: the leader has no link to it. A node
        takes links only from the members it knows, and a wiped one knows its ``--peers``."""
        if self.machine.status().get(f"partner_node_status_server_{addr}"):
            return ""
        return (
            f" (the leader {self.self_addr} has no connection to it: is it running, and do its"
            f" --peers list {self.self_addr}? A node restarted empty knows only its --peers)"
        )

    def _require_leader(self) -> None:
        if not self.machine._isLeader():
            raise Unavailable("readmit runs on the leader; this node is not the leader")

    def _match_index(self, addr: str) -> int:
        return int(self.machine.status().get(f"match_idx_server_{addr}", 0) or 0)

    def _wait(self, deadline: float, ready: Callable[[], Any], what: Callable[[], str]) -> Any:
        """Poll ``ready`` until it returns something true, while this node leads."""
        while True:
            value = ready()
            if value:
                return value
            self._require_leader()
            if time.monotonic() > deadline:
                raise Db9Error(f"readmit timed out waiting for {what()}")
            time.sleep(0.1)

    def _propose_sync(self, payload: bytes, deadline: float, what: str) -> None:
        done = threading.Event()
        errors: list[int] = []

        def callback(result: Any, err: int) -> None:
            errors.append(err)
            done.set()

        self.machine.apply_identity(payload, callback=callback)
        if not done.wait(max(0.1, deadline - time.monotonic())):
            raise Db9Error(f"{what}: the registry change was not confirmed in time")
        if errors[0] != 0:
            raise Unavailable(f"{what}: the registry change failed (reason {errors[0]})")

    # -- status -----------------------------------------------------------------------------

    def members(self) -> Iterator[tuple[str, str, PeerView | None]]:
        """(address, uuid on record, what the member last said) for every address known."""
        reg, seen = self.registry, self.seen.copy()
        for addr in sorted(set(reg.members) | set(seen) | set(self.configuration())):
            yield addr, reg.members.get(addr, ""), seen.get(addr)


# -- pysyncobj patches ------------------------------------------------------------------------

_applied = False


def apply() -> None:
    """Install the patches (once). Each wraps what it finds, so other patches compose."""
    global _applied
    if _applied:
        return
    _patch_send()
    _patch_receive()
    _patch_election_timeout()
    _patch_snapshot_install()
    _applied = True


def _guard(sync: Any) -> IdentityGuard | None:
    guard = getattr(sync, "identity_guard", None)
    return guard if isinstance(guard, IdentityGuard) else None


def _patch_send() -> None:
    send = transport.TCPTransport.send

    def stamped_send(self: Any, node: Any, message: Any) -> bool:
        guard = _guard(getattr(self, "_syncObj", None))
        if guard is not None and isinstance(message, dict):
            message = guard.stamp(str(node.id), message)
            if message is None:
                return False
        return bool(send(self, node, message))

    transport.TCPTransport.send = stamped_send


def _patch_receive() -> None:
    inner = syncobj.SyncObj._SyncObj__onMessageReceived

    def on_message(self: Any, node: Any, message: Any) -> None:
        guard = _guard(self)
        if (
            guard is not None
            and isinstance(message, dict)
            and not guard.admit(self, str(node.id), message)
        ):
            return
        inner(self, node, message)

    syncobj.SyncObj._SyncObj__onMessageReceived = on_message


def snapshot_last_entry(path: str) -> tuple[int, int] | None:
    """(index, term) of the last entry a db9 snapshot file covers; None if not readable as
    one (see KvStateMachine._save_snapshot for the format)."""
    from cluster.state_machine import SNAPSHOT_MAGIC  # the format's owner imports this module

    try:
        with open(path, "rb") as f:
            if f.read(len(SNAPSHOT_MAGIC)) != SNAPSHOT_MAGIC:
                return None
            (n,) = struct.unpack(">Q", f.read(8))
            last = ps_pickle.loads(f.read(n))[0]  # (command, index, term)
    except (OSError, ValueError, IndexError, TypeError, struct.error):
        return None
    return int(last[1]), int(last[2])


def _patch_snapshot_install() -> None:
    inner = syncobj.SyncObj._SyncObj__loadDumpFile

    def load_dump(self: Any, clearJournal: bool) -> None:
        guard = _guard(self)
        if guard is not None and clearJournal:  # a snapshot sent by the leader
            guard.check_snapshot(self, self.conf.fullDumpFile)
            if guard.halted:
                return
        inner(self, clearJournal)

    syncobj.SyncObj._SyncObj__loadDumpFile = load_dump


def _patch_election_timeout() -> None:
    inner = syncobj.SyncObj._SyncObj__generateRaftTimeout

    def timeout(self: Any) -> float:
        guard = _guard(self)
        if guard is not None and guard.abstains():
            return LEARNER_TIMEOUT_S
        return float(inner(self))

    syncobj.SyncObj._SyncObj__generateRaftTimeout = timeout
