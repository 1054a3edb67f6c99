"""When the Raft log is compacted, so that a new, wiped or lagging member can catch up.

1. Compaction for catch-up (``compact_for_catchup``, each second from the tick): a log
   longer than the data warrants is compacted, so a member that is far behind gets a
   snapshot and a short tail, not the whole history.
2. No compaction while a member is catching up from a snapshot (``catching_up``). The
   library drops every snapshot transfer in progress when a compaction ends and starts it
   again from its first byte, now of the new snapshot; and a member that installed a
   snapshot the leader has since compacted past needs another one. Under steady writes
   the leader compacted every few seconds (``CATCHUP_MIN_ENTRIES``), so a member whose
   transfer took longer never caught up: a wiped node stayed a learner at match index 0
   and its readmission timed out (the fault tests' proof run, register-1). Now the leader
   starts no compaction while a connected member's match index is below the log's first
   entry (it is being sent the snapshot, or has not yet acknowledged the entries after
   it), for at most ``HOLD_MAX_S`` in a row, so a member that never acknowledges (a full
   disk) cannot make the leader's log grow without bound.
3. A member far behind replays its tail in small steps: append messages carry at most
   ``APPEND_MESSAGE_BYTES`` of entries (one entry bigger than that still travels alone), a
   tick applies for at most ``raft_journal.APPLY_SLICE_S`` and, while entries wait to be
   applied, does not idle between slices. A learner sent a 13,000-entry tail in one message
   took longer to store and apply it than the connection timeout; the leader dropped it,
   reset its match index to 0, and its readmission never finished (fault run list-append-2
   of the second validation). An acknowledgement never moves the leader's next index for
   a member back (``_keep_next_index_on_acks``): the member is not sent its tail again.
4. A failed snapshot (no room for it, an I/O error) is retried after ``SNAPSHOT_RETRY_S``,
   doubling up to ``SNAPSHOT_RETRY_MAX_S`` (``snapshot_failed``). The library tried again
   on the next tick: a node whose disk had no room for a snapshot spent its Raft thread
   copying its store over and over (~3 s an attempt) and fell behind for good (fault run
   list-append-1 of the fourth proof attempt), and each failure also dropped the snapshot
   transfers in progress.
5. The log says where a catch-up is (``_log_transfers``): a snapshot transfer begun and
   finished on the leader; begun, received (or failed) on the member, and a piece it dropped
   because the transfer's first piece never came (the library drops such a transfer without
   a word); an install is logged by the state machine; each hold's start, and its end with
   each member's match index or absence.
6. A snapshot piece that is not sent (the link is down, or went down while it was being
   sent) ends its transfer, and the next one starts from the first byte
   (``_restart_cut_transfers``). The library had read the piece from the file already and
   went on with the next one once the member was connected again: the member got the
   file with a hole, installed a store copy shorter than its meta page says, and died of
   SIGBUS at its first read (fault runs with wipes; such a copy is now also refused,
   ``kv.engine.lmdb.copy_problem``). A piece sent is not yet received: whatever a
   connection's buffers held when it dropped is lost, and the transport reconnects at
   once, so a lost connection also ends the transfer on both sides (the leader starts
   again from the first byte, the member drops pieces until a first one comes). Pieces
   lost that way left copies with holes, refused at install (list-append runs of the
   sixth proof attempt).
7. Compaction never drops an entry the apply loop has not passed (``_keep_unapplied``).
   The library writes a snapshot in one tick and trims the log up to it in the next; a
   snapshot installed from the leader in between (a member catching up compacts every
   second and may be sent a snapshot) rewinds the applied index to the leader's snapshot,
   and the trim then dropped the entries after it: the apply loop found nothing at its
   next index and stopped for good, silently, while the member kept acknowledging
   entries. A guard of that invariant: the wiped members that stopped applying in the
   sixth proof attempt had that shape, but their logs show no second install, so this
   sequence is not shown to be their cause (``raft_journal`` also resumes such a gap).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import pysyncobj.serializer as ps_serializer
import pysyncobj.syncobj as syncobj
import pysyncobj.transport as ps_transport

from cluster.raft_journal import guard_of

log = logging.getLogger(__name__)

# Compaction for catch-up: keep at most this many entries, or one per this many bytes of
# data when the store is large (a snapshot then costs about as much as replaying the log).
CATCHUP_MIN_ENTRIES = 1000
CATCHUP_DATA_BYTES_PER_ENTRY = 4096
# Also compact once the log's entries take more bytes than half the live data (and this
# floor), as TiKV bounds its Raft log by size: entries of big values (list-append rewrites
# whole lists) made a 20,000-entry log as big as the store, and a node with the log, its
# store and a snapshot to write or install ran out of a 1 GiB disk (fault runs of the fourth
# proof attempt). Half: the store grows with the log too (old versions stay until GC), and
# a snapshot then costs at most twice the bytes the log took.
LOG_MIN_BYTES = 64 << 20
# The longest the leader keeps its log uncompacted, in one stretch, for members catching up:
# long enough for a transfer and its install (3-4 s under load in the fault runs), short
# enough that the tail a member replays after it stays small. At 600 s a learner that kept
# reconnecting held the log at 13,000 entries, whose one append message it could not take
# within the connection's timeout (fault run list-append-2 of the second validation).
HOLD_MAX_S = 30.0
# The most entry bytes in one append message (the library's batch limit, which we keep at
# 64 MB so that a big entry is never split by its chunked transmission, applies above it).
APPEND_MESSAGE_BYTES = 1 << 20
# After a failed snapshot, the wait before the next attempt: doubled after each failure.
SNAPSHOT_RETRY_S = 5.0
SNAPSHOT_RETRY_MAX_S = 120.0


class SnapshotPostponed(Exception):
    """A snapshot not begun: the disk has no room for it."""


def apply() -> None:
    """Install both rules into pysyncobj (called once, by ``cluster.raft_fixes``)."""
    on_tick = syncobj.SyncObj._onTick

    def tick(self: Any, timeToWait: float = 0.0) -> None:
        on_tick(self, 0.0 if _more_to_apply(self) else timeToWait)
        compact_for_catchup(self)

    syncobj.SyncObj._onTick = tick
    get_entries = syncobj.SyncObj._SyncObj__getEntries

    def entries(self: Any, fromIDx: Any, count: Any = None, maxSizeBytes: Any = None) -> Any:
        if maxSizeBytes is not None:  # only the append messages' batches ask for a size
            maxSizeBytes = min(maxSizeBytes, APPEND_MESSAGE_BYTES)
        return get_entries(self, fromIDx, count, maxSizeBytes)

    syncobj.SyncObj._SyncObj__getEntries = entries
    _keep_next_index_on_acks()
    try_compaction = syncobj.SyncObj._SyncObj__tryLogCompaction

    def try_log_compaction(self: Any) -> None:
        # A finished compaction is still recorded (the library does that first and starts
        # no other in the same call); only a new one waits.
        idle = self._SyncObj__serializer._Serializer__pid == 0
        if idle and (held(self) or time.monotonic() < getattr(self, "_db9_snapshot_at", 0.0)):
            return
        try_compaction(self)

    syncobj.SyncObj._SyncObj__tryLogCompaction = try_log_compaction
    _log_transfers()
    _restart_cut_transfers()
    _keep_unapplied()


def _keep_unapplied() -> None:
    delete_to = syncobj.SyncObj._SyncObj__deleteEntriesTo

    def delete_entries_to(self: Any, to_index: int) -> None:
        # the entry before the next to apply stays too: a snapshot is labelled with it
        keep_from = int(self._SyncObj__raftLastApplied) - 1
        if to_index > keep_from:
            log.warning(
                "raft log trim to %d held at %d: the entries after it are not applied yet",
                to_index,
                keep_from,
            )
            to_index = keep_from
        delete_to(self, to_index)

    syncobj.SyncObj._SyncObj__deleteEntriesTo = delete_entries_to


def snapshot_failed(machine: Any, exc: BaseException) -> None:
    """A snapshot attempt failed: log why, and hold the next one back (doubling)."""
    failures = getattr(machine, "_db9_snapshot_failures", 0) + 1
    wait = min(SNAPSHOT_RETRY_MAX_S, SNAPSHOT_RETRY_S * 2 ** min(failures - 1, 16))
    machine._db9_snapshot_failures = failures
    machine._db9_snapshot_at = time.monotonic() + wait
    log.warning(
        "raft snapshot failed (%s: %s); the log is kept, next attempt in %.0f s",
        type(exc).__name__,
        exc,
        wait,
    )


def snapshot_written(machine: Any) -> None:
    machine._db9_snapshot_failures = 0
    machine._db9_snapshot_at = 0.0


def _keep_next_index_on_acks() -> None:
    """A member's acknowledgement moves the leader's next index for it forward, never back.

    The library set the next index to the acknowledged entry + 1 on every acknowledgement,
    so each acknowledgement of a member that had more messages in flight sent everything
    after it again: 3.4 entries sent per entry needed by a member replaying 1,500 entries.
    A member that misses entries says so (a refusal with ``reset``), and that still moves
    the next index back, as Raft does."""
    original = syncobj.SyncObj._SyncObj__onMessageReceived

    def on_message(self: Any, node: Any, message: dict[str, Any]) -> None:
        if message.get("type") != "next_node_idx" or message.get("reset"):
            original(self, node, message)
            return
        next_index = self._SyncObj__raftNextIndex
        sent = next_index.get(node)
        original(self, node, message)
        if sent is not None and self._isLeader() and next_index.get(node, sent) < sent:
            next_index[node] = sent

    syncobj.SyncObj._SyncObj__onMessageReceived = on_message


def _restart_cut_transfers() -> None:
    send = ps_transport.TCPTransport.send
    disconnected = syncobj.SyncObj._SyncObj__onNodeDisconnected

    def on_disconnected(self: Any, node: Any) -> None:
        # What the dead connection's buffers held is lost, and the transport reconnects at
        # once, often before the next append round would notice the member was away.
        disconnected(self, node)
        serializer = getattr(self, "_SyncObj__serializer", None)
        if serializer is None:  # (a member still being built)
            return
        if node in serializer._Serializer__transmissions:
            serializer.cancelTransmisstion(node)
            log.info("raft snapshot transfer to %s cut off: it starts again", node)
        if node == self._SyncObj__raftLeader and _drop_incoming(serializer):
            log.info("raft snapshot transfer from the leader cut off: waiting for a new one")

    def send_checked(self: Any, node: Any, message: Any) -> bool:
        sent = bool(send(self, node, message))
        if not sent and isinstance(message, dict) and message.get("serialized") is not None:
            self._syncObj._SyncObj__serializer.cancelTransmisstion(node)
            log.info("raft snapshot transfer to %s cut off: it starts again", node)
        return sent

    ps_transport.TCPTransport.send = send_checked
    syncobj.SyncObj._SyncObj__onNodeDisconnected = on_disconnected


def _drop_incoming(serializer: Any) -> bool:
    """Forget the transfer being received (its next pieces are dropped until a first one
    comes); False if none was."""
    incoming = serializer._Serializer__incomingTransmissionFile
    if incoming is None:
        return False
    if hasattr(incoming, "close"):
        incoming.close()
    serializer._Serializer__incomingTransmissionFile = None
    return True


def _log_transfers() -> None:
    get, put = (
        ps_serializer.Serializer.getTransmissionData,
        ps_serializer.Serializer.setTransmissionData,
    )

    def get_transmission(self: Any, transmission_id: Any) -> Any:
        data = get(self, transmission_id)
        if isinstance(data, tuple) and (data[1] or data[2]):
            what = "begun" if data[1] else "finished"
            log.info("raft snapshot transfer to %s %s", getattr(transmission_id, "id", "?"), what)
        return data

    def set_transmission(self: Any, data: Any) -> Any:
        piece = isinstance(data, tuple | list) and len(data) == 3
        if piece and data[1]:
            log.info("raft snapshot transfer from the leader begun")
        elif piece and self._Serializer__incomingTransmissionFile is None:
            if not getattr(self, "_db9_said_dropped", False):  # once per lost transfer
                log.warning("raft snapshot piece dropped: its transfer's first piece never came")
                self._db9_said_dropped = True
            return put(self, data)
        done = put(self, data)
        if piece and data[2]:
            name = self._Serializer__fileName
            size = os.path.getsize(name) if done and name and os.path.exists(name) else 0
            log.info(
                "raft snapshot transfer from the leader %s",
                f"received ({size} bytes)" if done else "FAILED",
            )
        if piece and data[1]:
            self._db9_said_dropped = False
        return done

    ps_serializer.Serializer.getTransmissionData = get_transmission
    ps_serializer.Serializer.setTransmissionData = set_transmission


def _more_to_apply(machine: Any) -> bool:
    """Committed entries the log holds wait for the next apply slice (not while the disk
    is full or an entry's retry is due later): the tick must not idle, nor spin on entries
    it cannot apply."""
    if not machine._SyncObj__raftLog:
        return False
    ready = min(machine._SyncObj__raftCommitIndex, machine._SyncObj__getCurrentLogIndex())
    if ready <= machine._SyncObj__raftLastApplied:
        return False
    guard = guard_of(machine)
    if guard is not None and guard.full:
        return False
    return time.monotonic() >= getattr(machine, "_db9_apply_retry_at", 0.0)


def catching_up(machine: Any) -> list[str]:
    """The connected members a leader's next compaction would set back: those whose match
    index is below the first entry of its log (empty on a follower)."""
    if not machine._isLeader():
        return []
    start = machine._SyncObj__raftLog[0][1]
    match = machine._SyncObj__raftMatchIndex
    connected = machine._SyncObj__connectedNodes
    members = machine._SyncObj__otherNodes | machine._SyncObj__readonlyNodes
    return sorted(n.id for n in members if n in connected and match.get(n, 0) < start)


def held(machine: Any) -> bool:
    """Whether a compaction must wait now: a member is catching up and the hold has not
    lasted ``HOLD_MAX_S`` (then one compaction may run, and a new hold begins after it)."""
    behind = catching_up(machine)
    since = getattr(machine, "_db9_hold_since", None)
    if not behind:
        if since is not None:
            log.info("raft log compaction resumes: %s", _progress(machine))
        machine._db9_hold_since = None
        return False
    now = time.monotonic()
    if since is None:
        log.info("raft log compaction waits: %s catching up", ", ".join(behind))
        machine._db9_hold_since = now
        return True
    if now - since < HOLD_MAX_S:
        return True
    log.warning(
        "compacting the Raft log although %s has not caught up after %.0f s",
        ", ".join(behind),
        now - since,
    )
    machine._db9_hold_since = None
    return False


def _progress(machine: Any) -> str:
    """Each other member's match index against the log's first entry, or that it is away."""
    start = machine._SyncObj__raftLog[0][1]
    match = machine._SyncObj__raftMatchIndex
    connected = machine._SyncObj__connectedNodes
    members = machine._SyncObj__otherNodes | machine._SyncObj__readonlyNodes
    parts = [f"{n.id} " + (f"at {match.get(n, 0)}" if n in connected else "disconnected")
             for n in sorted(members, key=lambda n: n.id)]  # fmt: skip
    return f"log from {start}; " + ", ".join(parts)


def compact_for_catchup(self: Any) -> None:
    """Compact once the log holds more applied entries than the data warrants, or more bytes
    than half the data and ``LOG_MIN_BYTES`` with half its entries applied (checked each
    second).

    A member that is far behind (new, or wiped) then gets a snapshot and a tail of at most
    that many entries: its catch-up is bounded by the data size, not by the history. A
    leader waits while a follower is only slightly behind the point it would trim to, so a
    healthy follower is not sent a whole snapshot for want of a few entries.
    """
    now = time.monotonic()
    if now < getattr(self, "_db9_compaction_check_at", 0.0):
        return
    self._db9_compaction_check_at = now + 1.0
    data_bytes = getattr(self, "data_bytes", None)
    guard = guard_of(self)
    if data_bytes is None or (guard is not None and guard.full):
        return
    limit = max(getattr(self, "catchup_min_entries", CATCHUP_MIN_ENTRIES), 2)
    journal = self._SyncObj__raftLog
    entries, data = len(journal), data_bytes()
    # only applied entries can go: a member replaying a long tail would otherwise copy its
    # store every second and trim next to nothing
    removable = self.raftLastApplied - journal[0][1] if entries else 0
    record_bytes = getattr(journal, "record_bytes", None)
    too_big = (
        record_bytes is not None
        and removable * 2 >= entries
        and record_bytes() > max(LOG_MIN_BYTES, data // 2)
    )
    if not too_big and (removable <= limit or removable <= data // CATCHUP_DATA_BYTES_PER_ENTRY):
        return
    if self._isLeader():
        trim_to = self.raftLastApplied - 1
        for match in self._SyncObj__raftMatchIndex.values():
            if trim_to - limit // 2 < match < trim_to:
                return
    self.forceLogCompaction()
