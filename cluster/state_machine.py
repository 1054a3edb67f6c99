"""The replicated MVCC store: a pysyncobj Raft member whose state machine is LMDB.

Each Raft entry is a ``RaftBatch`` of commands from many transactions (group commit). It is
applied in one LMDB write transaction that also stores the entry's index, the timestamp
oracle's high-water mark and the GC safepoint, so a replay after kill -9 (pysyncobj starts
applying at index 1 again) skips what was applied and repeats nothing.

Timestamps come from the leader's memory (``cluster.tso``); the log carries only the
windows they are handed out from (``tso_window``: the stored limit only rises) and the
commit_ts the leader chose for each one-phase commit. Entries of older versions that draw
a timestamp while applying (``tso``, a one-phase commit without commit_ts) still apply as
they did, from the proposer's clock carried in the batch, above every stored limit.
How reads are served without log entries: ``cluster.raft_kv``.

Snapshots for log compaction are consistent LMDB copies (``env.copy``), streamed by
pysyncobj to followers that are too far behind, and swapped in under the engine's gate.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

import pysyncobj.pickle as ps_pickle
from pysyncobj import SyncObj, SyncObjConf, replicated

from cluster import raft_catchup, raft_fixes, raft_identity, raft_journal, raft_transport
from cluster.consistency import MAX_CHUNK_BITS, HashResult, HashStore
from cluster.convert import Unavailable, gc_batch_from_pb, mutations_from_pb, retain_from_pb
from cluster.identity import NodeIdentity
from cluster.proto import db9kv_pb2 as pb
from kv import commands
from kv.commands import SAFEPOINT_KEY, StoreState
from kv.engine.base import WriteView
from kv.engine.lmdb import LmdbEngine, copy_problem
from kv.errors import Db9Error, DiskFull, InvalidArgument, StorageError
from kv.mvcc import keys as K
from kv.mvcc.branches import BranchLink, load_links
from kv.mvcc.reader import MvccReader
from kv.mvcc.writer import MvccWriter
from kv.timestamp import compose, draw, physical_ms

raft_fixes.apply()
log = logging.getLogger(__name__)

_U64 = struct.Struct(">Q")
APPLIED_KEY = K.meta_key("raft_applied")
TSO_KEY = K.meta_key("tso_last")
TSO_LIMIT_KEY = K.meta_key("tso_window_limit")
SNAPSHOT_MAGIC = b"DB9SNAP1"
# Keys that differ between replicas by design; the consistency check skips them.
NODE_LOCAL_KEYS = frozenset({APPLIED_KEY})


@dataclass
class RaftOptions:
    """Timeouts and sizes; the defaults elect a new leader within about 1.1 s."""

    password: str  # encrypts and authenticates Raft traffic (pysyncobj unpickles it)
    min_timeout_s: float = 0.4
    max_timeout_s: float = 1.0
    # A leader that has not heard from a majority for this long steps down. Below the
    # election timeout, so an isolated leader stops before a new one is elected.
    leader_fallback_s: float = 0.35
    append_period_s: float = 0.05
    compaction_min_entries: int = 20_000
    compaction_min_time_s: float = 600.0
    # Also compact once the log holds more than this many entries and more than one per
    # 4 KiB of data: a new or wiped member's catch-up is then bounded by the data size.
    catchup_min_entries: int = raft_catchup.CATCHUP_MIN_ENTRIES
    sync: bool = True


def _u64(view: WriteView | None, raw: bytes | None) -> int:
    return _U64.unpack(raw)[0] if raw else 0


class KvStateMachine(SyncObj):  # type: ignore[misc]
    def __init__(
        self,
        engine: LmdbEngine,
        self_addr: str,
        peers: list[str],
        data_dir: str,
        options: RaftOptions,
        on_state_changed: Callable[[], None] | None = None,
        identity: NodeIdentity | None = None,
    ) -> None:
        self.engine = engine
        self.data_dir = data_dir
        self._cond = threading.Condition()
        self.hashes = HashStore(engine, NODE_LOCAL_KEYS)  # the consistency check's results
        self._load_meta()
        self._on_state_changed = on_state_changed
        self.catchup_min_entries = options.catchup_min_entries
        conf = SyncObjConf(
            password=options.password,
            journalFile=os.path.join(data_dir, "raft.journal"),
            fullDumpFile=os.path.join(data_dir, "raft.snapshot"),
            serializer=self._save_snapshot,
            deserializer=self._load_snapshot,
            dynamicMembershipChange=True,
            raftMinTimeout=options.min_timeout_s,
            raftMaxTimeout=options.max_timeout_s,
            leaderFallbackTimeout=options.leader_fallback_s,
            appendEntriesPeriod=options.append_period_s,
            appendEntriesUseBatch=False,  # send at once (and wake the tick thread): latency
            appendEntriesBatchSizeBytes=64 << 20,  # never the library's chunked transmission
            logCompactionMinEntries=options.compaction_min_entries,
            logCompactionMinTime=options.compaction_min_time_s,
            commandsWaitLeader=True,
            # Alone, nothing but the tick wakes the loop to commit what it appended: tick often.
            autoTickPeriod=0.05 if len(set(peers) - {self_addr}) else 0.002,
            # A link broken by a pause or partition is dialled again this soon after it heals
            # (only the member with the greater address dials): at 1 s a resumed leader
            # learned its successor up to ~1.3 s late, and its clients waited that long.
            connectionRetryTime=0.2,
            # A big entry crosses in one or two wake-ups of each tick thread (see raft_transport)
            sendBufferSize=raft_transport.SOCKET_BUFFER_BYTES,
            recvBufferSize=raft_transport.SOCKET_BUFFER_BYTES,
            onStateChanged=lambda old, new: self._state_changed(),
        )
        # Before the Raft thread starts: no message may be handled without the vote gate.
        self.identity_guard = (
            raft_identity.IdentityGuard(identity, self_addr, self) if identity else None
        )
        super().__init__(self_addr, [p for p in peers if p != self_addr], conf)
        if self.identity_guard is not None:
            self.addOnTickCallback(self.identity_guard.on_tick)
        if self.disk is not None:
            self.disk.keep_reserve()

    # -- state kept in LMDB -----------------------------------------------------------------

    def _load_meta(self) -> None:
        self.applied_index = _u64(None, self.engine.get(APPLIED_KEY))
        self.tso_last = _u64(None, self.engine.get(TSO_KEY))
        self.safepoint = _u64(None, self.engine.get(SAFEPOINT_KEY))
        with self.engine.snapshot() as snap:
            self.links: dict[bytes, BranchLink] = load_links(MvccReader(snap))
        self._pending_links: dict[bytes, BranchLink] | None = None

    def _state_changed(self) -> None:
        if self._on_state_changed is not None:
            self._on_state_changed()

    # -- applying ---------------------------------------------------------------------------

    @replicated  # type: ignore[untyped-decorator]
    def apply_batch(self, payload: bytes) -> list[Any] | None:
        index = self.raftLastApplied + 1  # see pysyncobj's __applyLogEntries
        if index <= self.applied_index:
            return None  # applied before a restart; its effects are in LMDB already
        batch = pb.RaftBatch.FromString(payload)
        term = int(getattr(self, "applying_term", 0))  # see raft_journal's apply loop
        try:
            results, tso_last, safepoint = self.engine.transact(
                lambda view: self._apply(view, batch, index, term)
            )
        except DiskFull as exc:
            self._apply_blocked(index, exc)
        with self._cond:
            self.applied_index = index
            self.tso_last = max(self.tso_last, tso_last)
            self.safepoint = safepoint
            if self._pending_links is not None:
                self.links, self._pending_links = self._pending_links, None
            self._cond.notify_all()
        return results

    def _apply(
        self, view: WriteView, batch: pb.RaftBatch, index: int, term: int
    ) -> tuple[list[Any], int, int]:
        state = _ApplyState(
            entry_term=term,
            tso_last=_u64(view, view.get(TSO_KEY)),
            tso_limit=_u64(view, view.get(TSO_LIMIT_KEY)),
            safepoint=_u64(view, view.get(SAFEPOINT_KEY)),
            clock_ms=batch.clock_ms,
            max_key=self.engine.max_key_size - 10,
        )
        reader = MvccReader(view, self.links)
        results: list[Any] = []
        for command in batch.commands:
            writer = MvccWriter()
            try:
                results.append(state.run(command, reader, writer))
            except Db9Error as exc:
                results.append(exc)  # the command fails alone, with nothing written
                continue
            view.apply(writer.batch)
        meta = MvccWriter()
        meta.batch.put(APPLIED_KEY, _U64.pack(index))
        meta.batch.put(TSO_KEY, _U64.pack(state.tso_last))
        if state.tso_limit:
            meta.batch.put(TSO_LIMIT_KEY, _U64.pack(state.tso_limit))
        meta.batch.put(SAFEPOINT_KEY, _U64.pack(state.safepoint))
        view.apply(meta.batch)
        if state.links_changed:
            self._pending_links = load_links(MvccReader(view))
        return results, state.tso_last, state.safepoint

    # -- member identities (see cluster.raft_identity) --------------------------------------

    @replicated  # type: ignore[untyped-decorator]
    def apply_identity(self, payload: bytes) -> bool:
        """A change to the member registry, in the same LMDB transaction as the applied index."""
        index = self.raftLastApplied + 1  # see apply_batch
        if index <= self.applied_index:
            return False

        def run(view: WriteView) -> None:
            raft_identity.apply_change(view, payload)
            meta = MvccWriter()
            meta.batch.put(APPLIED_KEY, _U64.pack(index))
            view.apply(meta.batch)

        try:
            self.engine.transact(run)
        except DiskFull as exc:
            self._apply_blocked(index, exc)
        with self._cond:
            self.applied_index = index
            self._cond.notify_all()
        return True

    # -- disk full ----------------------------------------------------------------------------

    @property
    def disk(self) -> raft_journal.DiskGuard | None:
        """This node's disk-full state (None before the Raft journal is open)."""
        return raft_journal.guard_of(self)

    def _apply_blocked(self, index: int, exc: DiskFull) -> NoReturn:
        """Entry ``index`` could not be written: nothing of it is in LMDB (the transaction
        aborted). Applying stops here and retries it; it is never skipped."""
        guard = self.disk
        if guard is not None:
            guard.report(f"applying Raft entry {index}", exc)
        raise raft_journal.ApplyBlocked(str(exc)) from None

    def data_bytes(self) -> int:
        """Bytes of live LMDB pages: what a snapshot of this node costs to send."""
        return int(self.engine.stats().data_bytes)

    # -- reads ------------------------------------------------------------------------------

    def wait_applied(self, index: int, timeout_s: float) -> bool:
        """Wait until entry ``index`` is applied here; False on timeout."""
        if self.applied_index >= index:
            return True
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self.applied_index < index:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def raft_term(self) -> int:
        return int(self._SyncObj__raftCurrentTerm)

    # -- snapshots --------------------------------------------------------------------------

    def _save_snapshot(self, filename: str, raft_data: Any) -> None:
        """pysyncobj's serializer hook: its own data, then a consistent copy of LMDB.

        Called on the thread that applies entries, so the copy is exactly the applied state.
        It needs room for one copy of the live data beside the node's margin, and is not
        begun without it. A failed attempt is logged with its cause and the next one waits
        (``raft_catchup.snapshot_failed``); the library keeps the old snapshot and the log.
        """
        try:
            self._check_snapshot_room()
            head = ps_pickle.dumps(raft_data)
            with open(filename, "wb") as out:
                out.write(SNAPSHOT_MAGIC + _U64.pack(len(head)) + head)
                out.flush()
                self.engine.copy_to_fd(out.fileno(), compact=True)
                os.fsync(out.fileno())
            problem = copy_problem(filename, len(SNAPSHOT_MAGIC) + 8 + len(head))
            if problem:  # never sent: a member that installed it would die reading it
                raise StorageError(problem)
        except Exception as exc:
            guard = self.disk
            if guard is not None and raft_journal.is_space_error(exc):
                guard.report("writing a Raft snapshot", exc)
            with contextlib.suppress(OSError):
                os.unlink(filename)  # a partial copy's space back
            raft_catchup.snapshot_failed(self, exc)
            raise
        raft_catchup.snapshot_written(self)
        log.info("raft snapshot written at index %d", self.applied_index)

    def _check_snapshot_room(self) -> None:
        """Raise ``SnapshotPostponed`` unless the disk holds a snapshot (about the live data)
        and still keeps the margin a node resumes writing with."""
        guard = self.disk
        if guard is None:
            return
        needed = self.data_bytes() + guard.reserve_bytes + guard.resume_free_bytes
        free = guard.free_bytes()
        if free < needed:
            raise raft_catchup.SnapshotPostponed(
                f"a Raft snapshot needs {needed >> 20} MiB free under {guard.path}, "
                f"{free >> 20} MiB are"
            )

    def _load_snapshot(self, filename: str) -> Any:
        """pysyncobj's deserializer hook: install the LMDB copy if it is ahead of ours."""
        with open(filename, "rb") as f:
            if f.read(len(SNAPSHOT_MAGIC)) != SNAPSHOT_MAGIC:
                raise InvalidArgument(f"{filename} is not a db9 raft snapshot")
            (n,) = _U64.unpack(f.read(8))
            raft_data = ps_pickle.loads(f.read(n))
            index = raft_data[0][1]  # the last applied entry: (command, index, term)
            if index > self.applied_index:
                incoming = os.path.join(self.data_dir, "snap-in")
                shutil.rmtree(incoming, ignore_errors=True)
                os.makedirs(incoming)
                with open(os.path.join(incoming, "data.mdb"), "wb") as db:
                    shutil.copyfileobj(f, db, 1 << 20)
                self.engine.replace_with(incoming)
                shutil.rmtree(incoming, ignore_errors=True)
                with self._cond:
                    self._load_meta()
                    self._cond.notify_all()
                log.info("installed raft snapshot at index %d", index)
        return tuple(raft_data)

    # -- consistency check (cluster/consistency.py) -----------------------------------------

    @replicated  # type: ignore[untyped-decorator]
    def compute_hash(self, chunk_bits: int) -> int:
        """Hash the store as of this entry, on every replica; returns the entry's index.

        Runs on the applying thread, between two entries' transactions: the snapshot taken
        here is the same logical state on every replica. A replay (after a restart) of an
        entry whose successors are already in LMDB hashes nothing.
        """
        index = int(self.raftLastApplied) + 1  # see apply_batch
        if index > self.applied_index:
            self.hashes.start(index, max(0, min(chunk_bits, MAX_CHUNK_BITS)))
        return index

    def request_hash(self, chunk_bits: int, timeout_s: float = 5.0) -> int:
        """Propose ``compute_hash`` (from any member) and return its index."""
        done = threading.Event()
        outcome: list[Any] = []

        def callback(result: Any, err: Any) -> None:
            outcome.extend((result, err))
            done.set()

        self.compute_hash(chunk_bits, callback=callback)
        if not done.wait(timeout_s) or outcome[1] != 0:
            raise Unavailable(
                f"the hash entry was not committed (reason {outcome[1:] or 'timeout'})"
            )
        return int(outcome[0])

    def hash_status(self, index: int, wait_s: float) -> tuple[str, HashResult | None]:
        """This replica's hash at ``index`` (see ``HashStore.wait``)."""
        return self.hashes.wait(index, wait_s, lambda: int(self.raftLastApplied))

    # -- status -----------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        return dict(self.getStatus())

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.destroy_synchronous()


@dataclass(kw_only=True)
class _ApplyState(StoreState):
    """The store's state while one entry is applied, plus the timestamp oracle's."""

    tso_last: int  # the highest timestamp applied (a commit_ts or an old ``tso`` draw)
    tso_limit: int  # the highest window limit stored: the leaders' timestamps are below it
    clock_ms: int  # the proposer's clock, carried in the entry: every replica draws alike
    entry_term: int = 0  # the Raft term the entry was logged in (0: not known)

    def next_ts(self, count: int = 1) -> int:
        """An entry of an older version draws while applying: above every window too."""
        first = draw(max(self.tso_last, self.tso_limit), self.clock_ms, count)
        self.tso_last = first + count - 1
        return first

    def fixed_ts(self, commit_ts: int) -> Callable[[], int]:
        def take() -> int:
            self.tso_last = max(self.tso_last, commit_ts)
            return commit_ts

        return take

    def tso_window(self, floor: int, window_ms: int) -> tuple[int, int]:
        """Store a new window limit; returns (first timestamp the leader may hand out, limit).
        The limit only rises, and the first timestamp is above everything stored before."""
        start = max(self.tso_limit, self.tso_last + 1, floor)
        limit = compose(physical_ms(max(start, floor)) + max(window_ms, 1))
        self.tso_limit = max(self.tso_limit, limit)
        return start, self.tso_limit

    def run(self, c: pb.Command, r: MvccReader, w: MvccWriter) -> Any:
        """Decode one command and run it with ``kv.commands``, as a single node would."""
        kind = c.WhichOneof("cmd")
        if kind == "tso":
            return self.next_ts(c.tso.count or 1)
        if kind == "prewrite":
            p = c.prewrite
            muts = mutations_from_pb(p.mutations)
            return commands.prewrite(
                self, r, w, muts, p.primary, p.start_ts, p.lock_ttl_ms, p.txn_size
            )
        if kind == "commit":
            m = c.commit
            return commands.commit(self, r, w, list(m.keys), m.start_ts, m.commit_ts)
        if kind == "one_pc":
            o = c.one_pc
            if o.term and o.term != self.entry_term:
                # Drawn by the leader of another term: readers above commit_ts in this
                # term did not wait for it, so landing now could put it below a read
                # already served. It writes nothing; the caller draws again.
                raise Unavailable(
                    f"the commit timestamp was drawn in Raft term {o.term} and reached the "
                    f"log in term {self.entry_term}; try again"
                )
            muts = mutations_from_pb(o.mutations)
            take = self.fixed_ts(o.commit_ts) if o.commit_ts else self.next_ts
            return commands.one_pc(self, r, w, muts, o.start_ts, take)
        if kind == "tso_window":
            return self.tso_window(c.tso_window.floor, c.tso_window.window_ms)
        if kind == "rollback":
            return commands.rollback(self, r, w, list(c.rollback.keys), c.rollback.start_ts)
        if kind == "check_txn_status":
            s = c.check_txn_status
            return commands.check_txn_status(
                self,
                r,
                w,
                s.primary,
                s.lock_ts,
                s.current_ts,
                rollback_if_not_exist=s.rollback_if_not_exist,
            )
        if kind == "heart_beat":
            h = c.heart_beat
            return commands.txn_heart_beat(self, r, w, h.primary, h.start_ts, h.ttl_ms)
        if kind == "resolve_lock":
            x = c.resolve_lock
            keys = None if x.all_keys else list(x.keys)
            return commands.resolve_lock(self, r, w, x.start_ts, x.commit_ts, keys)
        if kind == "set_safepoint":
            return commands.raise_safepoint(self, r, w, c.set_safepoint.safepoint)
        if kind == "set_branch":
            b = c.set_branch
            commands.set_branch(self, r, w, b.child, b.parent, b.fork_ts, replace=b.replace)
            return None
        if kind == "drop_prefix":
            d = c.drop_prefix
            return commands.drop_prefix_chunk(
                self, r, w, d.prefix, d.max_keys or commands.CHUNK_KEYS, keep_link=d.keep_link
            )
        if kind == "gc_delete":
            return commands.gc_delete(self, r, w, gc_batch_from_pb(c.gc_delete))
        if kind == "gc_chunk":  # entries logged before gc_delete
            g = c.gc_chunk
            if g.from_log:
                return commands.gc_log_chunk(
                    self, r, w, g.safepoint, retain_from_pb(g.retain),
                    g.max_keys or commands.CHUNK_KEYS,
                )  # fmt: skip
            return commands.gc_chunk(
                self,
                r,
                w,
                g.safepoint,
                retain_from_pb(g.retain),
                g.start_key_enc,
                g.max_keys or commands.CHUNK_KEYS,
            )
        raise InvalidArgument(f"unknown command {kind!r}")
