"""The KV write commands, written once for every backend.

``kv.storage.Storage`` (one node) runs the commands of a commit group one after another in
one engine write transaction; the Raft state machine (``cluster/state_machine.py``) decodes the
commands of a log entry and runs each inside the LMDB transaction that applies the entry.
Either way a later command sees an earlier one's writes, and a command reads
through an ``MvccReader``, collects its writes in an ``MvccWriter`` (which the caller applies
all-or-nothing, or drops if the command raised) and reads or changes the store's own state in a
``StoreState``. The guards (key and value sizes, the GC safepoint) are here, so the backends
cannot drift apart; a replicated command must be deterministic, so nothing here reads a clock.

GC, dropping a prefix and resetting a branch take many commands, one atomic chunk each; their
loops are written here once over a callable that runs one chunk (a write command locally, a
Raft proposal in a cluster). A GC pass plans on a read snapshot and only its deletions are
commands (``gc_pass``, ``gc_delete``).
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from kv import interrupt
from kv.errors import InvalidArgument, LimitExceeded, SnapshotTooOld
from kv.mvcc import branches
from kv.mvcc import keys as K
from kv.mvcc.branches import BranchLink
from kv.mvcc.reader import MvccReader
from kv.mvcc.records import Mutation
from kv.mvcc.writer import MvccWriter
from kv.txn import cleanup, gc
from kv.txn import commit as commit_
from kv.txn import prewrite as prewrite_
from kv.txn.cleanup import TxnStatus
from kv.txn.gc import GcBatch, GcProgress, RetainPoint

MAX_VALUE_BYTES = 64 << 20
CHUNK_KEYS = 1000  # keys per drop-prefix chunk (one LMDB transaction, one Raft command)
GC_PLAN_KEYS = 200  # keys a GC pass plans on one snapshot, about a millisecond of Python
# A GC deletion command names at most this many versions and log entries: applying one holds
# the write path (the Raft apply thread) for a few milliseconds at most.
GC_BATCH_OPS = 256
GC_VERSIONS_PER_S = 20_000.0  # a GC pass's deletions, rate-limited
SAFEPOINT_KEY = K.meta_key("gc_safepoint")
_U64 = struct.Struct(">Q")


@dataclass(kw_only=True)
class StoreState:
    """The store's state that commands read and change besides MVCC data.

    A caller hands each command (or each Raft entry) its own copy and adopts it only once the
    command's writes have landed, so a failed command leaves it as it was.
    """

    safepoint: int  # GC has run up to here: no read or transaction may start below it
    max_key: int  # the longest encoded key the engine holds, less the MVCC suffix
    links_changed: bool = False  # a branch link was written or deleted: reload the links


def load_safepoint(raw: bytes | None) -> int:
    return _U64.unpack(raw)[0] if raw else 0


def check_sizes(mutations: Sequence[Mutation], max_key: int) -> None:
    """Refuse keys the engine cannot hold (``max_key`` less the MVCC suffix) and huge values."""
    for m in mutations:
        if len(m.key) * 2 + 2 > max_key and len(K.enc(m.key)) > max_key:
            raise LimitExceeded(f"key of {len(m.key)} bytes is too long")
        if len(m.value) > MAX_VALUE_BYTES:
            raise LimitExceeded(f"value of {len(m.value)} bytes exceeds {MAX_VALUE_BYTES}")


def check_snapshot(ts: int, safepoint: int) -> None:
    """Refuse a read, or a transaction, at a timestamp below the GC safepoint.

    For a transaction this is a correctness rule, not only a read rule: GC may have deleted
    the newer versions its prewrite would conflict with, so it could commit over them.
    """
    if ts < safepoint:
        raise SnapshotTooOld(ts, safepoint)


# -- Percolator commands ------------------------------------------------------------------------


def prewrite(
    state: StoreState,
    reader: MvccReader,
    writer: MvccWriter,
    mutations: Sequence[Mutation],
    primary: bytes,
    start_ts: int,
    lock_ttl_ms: int,
    txn_size: int = 0,
    locked: frozenset[bytes] = frozenset(),
) -> None:
    """``locked``: keys the transaction holds pessimistic row locks on (single node only)."""
    check_sizes(mutations, state.max_key)
    check_snapshot(start_ts, state.safepoint)
    prewrite_.prewrite(reader, writer, mutations, primary, start_ts, lock_ttl_ms, txn_size, locked)


def commit(
    state: StoreState,
    reader: MvccReader,
    writer: MvccWriter,
    keys: Sequence[bytes],
    start_ts: int,
    commit_ts: int,
) -> None:
    commit_.commit(reader, writer, keys, start_ts, commit_ts)


def one_pc(
    state: StoreState,
    reader: MvccReader,
    writer: MvccWriter,
    mutations: Sequence[Mutation],
    start_ts: int,
    next_ts: Callable[[], int],
    locked: frozenset[bytes] = frozenset(),
) -> int:
    """Commit in one step; the commit_ts is drawn from ``next_ts`` while the command runs.
    ``locked`` as for ``prewrite``."""
    check_sizes(mutations, state.max_key)
    check_snapshot(start_ts, state.safepoint)
    return commit_.one_pc(reader, writer, mutations, start_ts, next_ts, locked)


def rollback(
    state: StoreState,
    reader: MvccReader,
    writer: MvccWriter,
    keys: Sequence[bytes],
    start_ts: int,
) -> None:
    cleanup.rollback(reader, writer, keys, start_ts)


def check_txn_status(
    state: StoreState,
    reader: MvccReader,
    writer: MvccWriter,
    primary: bytes,
    lock_ts: int,
    current_ts: int,
    *,
    rollback_if_not_exist: bool = True,
) -> TxnStatus:
    return cleanup.check_txn_status(
        reader, writer, primary, lock_ts, current_ts, rollback_if_not_exist=rollback_if_not_exist
    )


def txn_heart_beat(
    state: StoreState,
    reader: MvccReader,
    writer: MvccWriter,
    primary: bytes,
    start_ts: int,
    ttl_ms: int,
) -> int:
    return cleanup.txn_heart_beat(reader, writer, primary, start_ts, ttl_ms)


def resolve_lock(
    state: StoreState,
    reader: MvccReader,
    writer: MvccWriter,
    start_ts: int,
    commit_ts: int,
    keys: Sequence[bytes] | None = None,
) -> int:
    return cleanup.resolve_lock(reader, writer, start_ts, commit_ts, keys)


# -- GC and branches ----------------------------------------------------------------------------


def raise_safepoint(
    state: StoreState, reader: MvccReader, writer: MvccWriter, safepoint: int
) -> int:
    """Move the GC safepoint up (never down) and persist it with the command's writes."""
    if safepoint < state.safepoint:
        raise InvalidArgument(f"GC safepoint {safepoint} is below the current {state.safepoint}")
    state.safepoint = safepoint
    writer.batch.put(SAFEPOINT_KEY, _U64.pack(safepoint))
    return safepoint


def gc_delete(state: StoreState, reader: MvccReader, writer: MvccWriter, batch: GcBatch) -> int:
    """Delete a planner's batch of versions (each decided again here) and GC log entries;
    refused above the agreed safepoint (readers may still be there). The versions deleted."""
    if batch.safepoint > state.safepoint:
        raise InvalidArgument("GC deletion above the safepoint")
    return gc.delete_versions(reader, writer, batch)


def gc_chunk(
    state: StoreState,
    reader: MvccReader,
    writer: MvccWriter,
    safepoint: int,
    retain: Sequence[RetainPoint],
    start_key_enc: bytes,
    max_keys: int = CHUNK_KEYS,
) -> GcProgress:
    """A chunk of a full walk planned and deleted in one command: how passes ran before
    ``gc_delete``; kept for Raft entries logged then."""
    if safepoint > state.safepoint:
        raise InvalidArgument("GC chunk above the safepoint")
    return gc.gc_chunk(reader, writer, safepoint, retain, start_key_enc, max_keys)


def gc_log_chunk(
    state: StoreState,
    reader: MvccReader,
    writer: MvccWriter,
    safepoint: int,
    retain: Sequence[RetainPoint],
    max_entries: int = CHUNK_KEYS,
) -> GcProgress:
    """``gc_chunk`` over the GC log's keys; kept for Raft entries logged before ``gc_delete``."""
    if safepoint > state.safepoint:
        raise InvalidArgument("GC chunk above the safepoint")
    return gc.gc_log_chunk(reader, writer, safepoint, retain, max_entries)


def set_branch(
    state: StoreState,
    reader: MvccReader,
    writer: MvccWriter,
    child: bytes,
    parent: bytes,
    fork_ts: int,
    *,
    replace: bool = False,
) -> BranchLink:
    link = branches.set_branch(
        reader, writer, child, parent, fork_ts, state.safepoint, replace=replace
    )
    state.links_changed = True
    return link


def drop_prefix_chunk(
    state: StoreState,
    reader: MvccReader,
    writer: MvccWriter,
    prefix: bytes,
    max_keys: int = CHUNK_KEYS,
    *,
    keep_link: bool = False,
) -> tuple[int, bool]:
    """One chunk of dropping ``prefix``: (keys deleted, finished)."""
    n, done = branches.drop_prefix_chunk(reader, writer, prefix, max_keys, keep_link=keep_link)
    state.links_changed = state.links_changed or done
    return n, done


# -- the loops of chunks ------------------------------------------------------------------------


def gc_pass(
    raise_to: Callable[[], int],
    snapshot: Callable[[], AbstractContextManager[MvccReader]],
    delete: Callable[[GcBatch], int],
    retain: Sequence[RetainPoint],
    *,
    full: bool = False,
    chunk_keys: int = GC_PLAN_KEYS,
    batch_ops: int = GC_BATCH_OPS,
    rate: float = GC_VERSIONS_PER_S,
) -> GcProgress:
    """Raise the safepoint (``raise_to`` returns the agreed one), then plan chunk by chunk on
    fresh read snapshots and hand the deletions to ``delete`` (one write command each, a
    Raft command in a cluster) in batches of ``batch_ops``, at most ``rate`` versions and
    log entries a second: with ``full`` every key from where an unfinished walk stopped, then
    the keys the GC log names. A pass over the log that finds nothing writes nothing; a full
    walk writes its position once a chunk.

    A pass may be interrupted between batches: what was deleted stays deleted, a full walk's
    position is persisted with its deletions, and the next pass goes on from there.
    """
    safepoint = raise_to()
    total = GcProgress()

    def run(batch: GcBatch) -> None:
        interrupt.check()
        started = time.monotonic()
        total.versions_deleted += delete(batch)
        spare = started + batch.size() / rate - time.monotonic()
        if spare > 0:  # no credit for the time spent planning: no burst after a long scan
            time.sleep(spare)

    def plan(
        planner: Callable[[MvccReader, int, Sequence[RetainPoint], bytes, int], gc.GcPlan],
        start: bytes,
    ) -> gc.GcPlan:
        """One chunk planned on a fresh snapshot, then as long a pause: the planner is pure
        Python, and a thread that wants the GIL waits out its whole burst (up to the 5 ms
        switch interval), so bursts stay short and half the time is left to the others."""
        interrupt.check()
        started = time.monotonic()
        with snapshot() as reader:
            result = planner(reader, safepoint, retain, start, chunk_keys)
        time.sleep(time.monotonic() - started)
        total.keys_scanned += result.keys_scanned
        return result

    pending = gc.GcPlan()  # planned, not yet a full batch: chunks share commands

    def propose(chunk: gc.GcPlan, *, flush: bool, cursor: bytes | None = None) -> None:
        pending.versions.extend(chunk.versions)
        pending.log_keys.extend(chunk.log_keys)
        batches = list(pending.batches(safepoint, retain, batch_ops))
        left = batches.pop() if batches and not flush and batches[-1].size() < batch_ops else None
        pending.versions = left.versions if left else []
        pending.log_keys = left.log_keys if left else []
        if cursor is not None:  # after every deletion planned before it
            batches = batches or [GcBatch(safepoint, retain)]
            batches[-1].cursor = cursor
        for batch in batches:
            run(batch)

    if full:
        with snapshot() as reader:
            start: bytes | None = gc.resume_at(reader, retain)
        walked = 0
        while start is not None:
            chunk = plan(gc.plan_keys, start)
            walked += chunk.keys_scanned
            if walked >= CHUNK_KEYS or chunk.next is None:  # the position, now and then
                propose(chunk, flush=True, cursor=gc.full_cursor(retain, chunk.next))
                walked = 0
            else:
                propose(chunk, flush=False)
            start = chunk.next
    cursor: bytes | None = K.GC_LOG
    while cursor is not None:
        chunk = plan(gc.plan_log, cursor)
        propose(chunk, flush=chunk.next is None)
        cursor = chunk.next
    return total


def drop_prefix(chunk: Callable[[], tuple[int, bool]]) -> int:
    """Run drop-prefix chunks until one reports the prefix empty; the keys deleted."""
    removed = 0
    while True:
        interrupt.check()  # between chunks, as a GC pass: a node's shutdown need not wait
        n, done = chunk()
        removed += n
        if done:
            return removed


def reset_branch(
    links: Mapping[bytes, BranchLink],
    child: bytes,
    drop_chunk: Callable[[], tuple[int, bool]],
    refork: Callable[[BranchLink], object],
) -> None:
    """Drop a branch's own data (keeping its link), then fork it again (``refork`` gets the
    old link, for its parent)."""
    link = links.get(child)
    if link is None:
        raise InvalidArgument(f"prefix {child!r} is not a branch")
    drop_prefix(drop_chunk)
    refork(link)
