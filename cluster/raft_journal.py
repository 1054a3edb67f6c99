"""The Raft journal, snapshot files and disk-full handling of a node (pysyncobj 0.3.17).

The library's ``FileJournal`` writes into a memory map it grows with ``ftruncate``: on a full
disk the first write into a new page kills the process with SIGBUS. Its compaction
(``deleteEntriesTo``) clears the file and re-adds the kept entries in place, and its
snapshot rename is not followed by a directory sync. ``DurableJournal`` below replaces it,
keeping the library's file format (journals written before load unchanged):

- Space is reserved with ``posix_fallocate`` before a record is written, in chunks, and
  records go in with ``pwrite`` + ``fdatasync`` before the node acknowledges them. Out of
  space is an exception (``DiskFull``) raised before anything changes, never a signal.
- Compaction writes the kept entries to a new file, syncs it, renames it over the journal
  and syncs the directory: a crash leaves the old journal or the new one.
- The term/vote file is synced before it replaces the old one (Raft needs it durable
  before a vote is sent); snapshot files are synced, renamed, and their directory synced.
- On restart the journal's entries after the snapshot are kept: the library cleared the
  whole journal unless compaction had already trimmed it to the snapshot.
- On load, records are checked (length before and after each) and a torn tail is dropped.

A node whose disk is full (``DiskGuard``): says so once in its log (a reserve file it
deletes then leaves room for the line) and in its status, refuses writes with SQLSTATE
53100, stores and applies no entries (the one it could not apply is retried, never
skipped, and its callers keep waiting), steps down if it leads and stands in no election,
serves a read only while it has applied everything the read must see, else refuses it with
53100 (``RaftKv._follower_barrier``), and resumes by itself once free space is back.

When the log is compacted, and when it is not, for a member's catch-up: ``cluster.raft_catchup``.
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import logging
import mmap
import os
import struct
import time
from collections.abc import Iterator
from typing import Any

import pysyncobj.journal as ps_journal
import pysyncobj.pickle as ps_pickle
import pysyncobj.serializer as ps_serializer
import pysyncobj.syncobj as syncobj
from pysyncobj.config import FAIL_REASON

from kv.durable_file import PRIVATE_FILE, durable_replace, fsync_dir
from kv.errors import DiskFull

log = logging.getLogger(__name__)

_SPACE_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
_HEADER: int = ps_journal.FIRST_RECORD_OFFSET
_LAST_OFFSET_AT: int = ps_journal.LAST_RECORD_OFFSET_OFFSET
_U32 = struct.Struct("<I")
_IDX_TERM = struct.Struct("<QQ")
MIN_CHUNK = 1 << 20  # journal space is reserved this much (or a quarter of the file) ahead
MAX_CHUNK = 64 << 20
RESERVE_BYTES = 8 << 20  # kept free for the log and the Raft term file (see DiskGuard)
RESUME_FREE_BYTES = 8 << 20  # free space, besides the reserve, at which a full node resumes
PROBE_PERIOD_S = 1.0
# The longest one tick spends applying entries before it serves its sockets again. A member
# replaying a long tail applied all of it in one tick, heard nothing for longer than the
# connection timeout (3.5 s), and the leader dropped it (see cluster.raft_catchup).
APPLY_SLICE_S = 0.1
# Fault-injection hook, off unless a fault test sets it: a deliberately broken build whose
# journal records are never synced, which the lost-writes nemesis must catch
# (tests/jepsen/test_crash_runs.py). Nothing else reads this variable.
_FAULT_UNSYNCED_JOURNAL = os.environ.get("DB9_FAULT_UNSYNCED_JOURNAL") == "1"


def _datasync(fd: int) -> None:
    if not _FAULT_UNSYNCED_JOURNAL:
        os.fdatasync(fd)


def _write_error(exc: OSError) -> Exception:
    """What a failed journal write raises: DiskFull when the disk is out of space."""
    if exc.errno in _SPACE_ERRNOS:
        return DiskFull(f"cannot write the Raft journal: {exc}")
    return exc


class ApplyBlocked(Exception):
    """The state machine could not apply an entry (disk full): stop here and retry later."""


class DiskGuard:
    """Whether the disk under one data directory is full, as the node last found out.

    The node keeps a reserve file (``disk-reserve``) there. Entering the full state deletes
    it, so that the log line saying so, and the term and vote Raft must store to take part
    in elections, still find room when the disk filled up with everything else; it is made
    again before the node resumes.
    """

    def __init__(
        self,
        path: str,
        reserve_bytes: int = RESERVE_BYTES,
        resume_free_bytes: int = RESUME_FREE_BYTES,
    ) -> None:
        self.path = path
        self.reserve_path = os.path.join(path, "disk-reserve")
        self.reserve_bytes = reserve_bytes
        self.resume_free_bytes = resume_free_bytes
        self.reason = ""  # empty while the disk is fine
        self.episodes = 0
        self._next_probe = 0.0

    @property
    def full(self) -> bool:
        return bool(self.reason)

    def keep_reserve(self) -> bool:
        """Make sure the reserve file exists; False if there is no room for it."""
        if self.reserve_bytes <= 0:
            return True
        try:
            if os.path.getsize(self.reserve_path) >= self.reserve_bytes:
                return True
        except OSError:
            pass
        try:
            fd = os.open(self.reserve_path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
            try:
                os.posix_fallocate(fd, 0, self.reserve_bytes)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            if exc.errno not in _SPACE_ERRNOS:
                raise
            with contextlib.suppress(OSError):
                os.unlink(self.reserve_path)
            return False
        return True

    def report(self, what: str, exc: BaseException) -> None:
        """Enter the disk-full state; logged once per episode, however often it repeats."""
        if self.reason:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.reserve_path)
        self.reason = f"{what}: {exc}"
        self.episodes += 1
        self._next_probe = time.monotonic() + PROBE_PERIOD_S
        log.error(
            "disk full under %s (%s): refusing writes, not leading, applying paused until "
            "%d MiB are free",
            self.path,
            self.reason,
            (self.resume_free_bytes + self.reserve_bytes) >> 20,
        )

    def free_bytes(self) -> int:
        st = os.statvfs(self.path)
        return st.f_bavail * st.f_frsize

    def probe(self) -> bool:
        """At most once a second while full: clear the state if space is back. True if clear."""
        if not self.reason:
            return True
        now = time.monotonic()
        if now < self._next_probe:
            return False
        self._next_probe = now + PROBE_PERIOD_S
        try:
            free = self.free_bytes()
            if free < self.resume_free_bytes + self.reserve_bytes or not self.keep_reserve():
                return False
        except OSError:
            return False
        log.warning("disk space is back under %s (%d MiB free): resuming", self.path, free >> 20)
        self.reason = ""
        return True


def is_space_error(exc: BaseException) -> bool:
    return isinstance(exc, DiskFull) or (
        isinstance(exc, OSError) and exc.errno in (*_SPACE_ERRNOS, errno.EIO)
    )


class DurableJournal(ps_journal.Journal):  # type: ignore[misc]
    """pysyncobj's journal interface over one file in the library's format (see module doc).

    Invariant: every entry in ``_entries`` is on disk (written and synced) and the header's
    last-record offset is ``_end``; a failed write changes neither. Inside ``one_sync`` the
    entries added since it began are written but the header still ends before them (a
    crash drops them whole); it syncs them together when it ends.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.guard = DiskGuard(os.path.dirname(os.path.abspath(path)))
        self._meta_path = path + ".meta"
        self._meta: dict[str, Any] = self._load_meta()
        self._meta_saved = True
        self._entries: list[tuple[bytes, int, int]] = []
        self._starts: list[int] = []  # file offset of each entry's record
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
        size = os.fstat(self._fd).st_size
        if size < _HEADER:
            self._write_all(self._header(_HEADER), 0)
            _datasync(self._fd)
            size = _HEADER
        self._end = self._load(size)
        self._synced_end = self._end  # the header's last-record offset, on disk
        self._batches = 0  # open one_sync blocks
        with contextlib.suppress(OSError):  # a journal grown sparse by the library's mmap
            os.posix_fallocate(self._fd, 0, size)
        self._allocated = size

    # -- file ---------------------------------------------------------------------------------

    @staticmethod
    def _header(last_offset: int) -> bytes:
        name = ps_journal.APP_NAME.ljust(ps_journal.NAME_SIZE, b"\0")
        version = ps_journal.APP_VERSION.ljust(ps_journal.VERSION_SIZE, b"\0")
        fmt = struct.pack("<II", ps_journal.JOURNAL_FORMAT_VERSION, last_offset)
        return bytes(name + version + fmt)

    @staticmethod
    def _record(command: bytes, idx: int, term: int) -> bytes:
        body = _IDX_TERM.pack(idx, term) + bytes(ps_pickle.to_bytes(command))
        size = _U32.pack(len(body))
        return size + body + size

    def _load(self, size: int) -> int:
        with mmap.mmap(self._fd, size, access=mmap.ACCESS_READ) as mm:
            last = min(int(_U32.unpack(mm[_LAST_OFFSET_AT : _LAST_OFFSET_AT + 4])[0]), size)
            pos = _HEADER
            while pos + 8 <= last:
                n = int(_U32.unpack(mm[pos : pos + 4])[0])
                end = pos + 8 + n
                if n < 16 or end > last or mm[end - 4 : end] != mm[pos : pos + 4]:
                    break  # a torn record: everything before it is whole
                idx, term = _IDX_TERM.unpack(mm[pos + 4 : pos + 20])
                self._entries.append((mm[pos + 20 : end - 4], idx, term))
                self._starts.append(pos)
                pos = end
        if pos != last:
            log.warning("raft journal %s: dropping a torn tail after offset %d", self.path, pos)
            self._set_end(pos)
        return pos

    def _write_all(self, data: bytes, offset: int) -> None:
        view = memoryview(data)
        while view:
            n = os.pwrite(self._fd, view, offset)
            view, offset = view[n:], offset + n

    def _set_end(self, end: int) -> None:
        os.pwrite(self._fd, _U32.pack(end), _LAST_OFFSET_AT)
        _datasync(self._fd)
        self._synced_end = end

    @contextlib.contextmanager
    def one_sync(self) -> Iterator[None]:
        """Entries added inside are synced together when the block ends (one ``fdatasync``
        for a whole append message, not one per entry): acknowledge them only after it.

        If that sync fails, the entries it covered leave ``_entries`` too and ``DiskFull``
        (or the ``OSError``) is raised: nothing unsynced is ever kept.
        """
        self._batches += 1
        try:
            yield
        finally:
            self._batches -= 1
            if not self._batches and self._end != self._synced_end:
                self._sync_added()

    def _sync_added(self) -> None:
        try:
            self._set_end(self._end)
        except OSError as exc:
            keep = bisect.bisect_left(self._starts, self._synced_end)
            del self._entries[keep:]
            del self._starts[keep:]
            self._end = self._synced_end
            raise _write_error(exc) from None

    def _reserve(self, needed: int) -> None:
        """Make sure the file has blocks up to ``needed`` (and a chunk more when there is
        room); DiskFull, with nothing changed, if not even ``needed`` fits."""
        if needed <= self._allocated:
            return
        chunk = max(MIN_CHUNK, min(MAX_CHUNK, self._allocated // 4))
        for target in (needed + chunk, needed):
            try:
                os.posix_fallocate(self._fd, self._allocated, target - self._allocated)
            except OSError as exc:
                if exc.errno not in _SPACE_ERRNOS:
                    raise
                continue
            self._allocated = target
            return
        no_space = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.guard.report("reserving Raft journal space", no_space)
        raise DiskFull(f"no space for the Raft journal in {self.guard.path}")

    # -- the Journal interface ----------------------------------------------------------------

    def add(self, command: bytes, idx: int, term: int) -> None:
        record = self._record(command, idx, term)
        end = self._end + len(record)
        self._reserve(end)
        try:
            self._write_all(record, self._end)
            if not self._batches:
                self._set_end(end)
        except OSError as exc:
            raise _write_error(exc) from None
        self._entries.append((command, idx, term))
        self._starts.append(self._end)
        self._end = end

    def clear(self) -> None:
        self._set_end(_HEADER)
        self._entries, self._starts, self._end = [], [], _HEADER

    def record_bytes(self) -> int:
        """Bytes of the entries on disk (the file's reserve not counted)."""
        return self._end - _HEADER

    def deleteEntriesFrom(self, entryFrom: int) -> None:
        if entryFrom >= len(self._entries):
            return
        end = self._starts[entryFrom]
        self._set_end(end)
        del self._entries[entryFrom:]
        del self._starts[entryFrom:]
        self._end = end

    def deleteEntriesTo(self, entryTo: int) -> None:
        """Drop the first ``entryTo`` entries: a new file, synced and renamed in.

        If the new file cannot be written, the journal keeps every entry (always safe).
        """
        keep = self._entries[entryTo:]
        tmp = self.path + ".compact"
        starts: list[int] = []
        pos = _HEADER
        records = []
        for command, idx, term in keep:
            record = self._record(command, idx, term)
            starts.append(pos)
            records.append(record)
            pos += len(record)
        fd = -1
        try:
            fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
            os.posix_fallocate(fd, 0, pos + MIN_CHUNK)
            view = memoryview(self._header(pos) + b"".join(records))
            offset = 0
            while view:
                n = os.pwrite(fd, view, offset)
                view, offset = view[n:], offset + n
            os.fsync(fd)
            os.replace(tmp, self.path)
        except OSError as exc:
            if fd >= 0:
                os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if is_space_error(exc):
                self.guard.report("compacting the Raft journal", exc)
            log.warning("raft journal compaction failed, keeping the whole log: %s", exc)
            return
        os.close(self._fd)
        self._fd = fd
        self._entries, self._starts, self._end = keep, starts, pos
        self._synced_end = pos
        self._allocated = pos + MIN_CHUNK
        fsync_dir(os.path.dirname(os.path.abspath(self.path)))

    def __getitem__(self, item: Any) -> Any:
        return self._entries[item]

    def __len__(self) -> int:
        return len(self._entries)

    def _destroy(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def flush(self) -> None:
        pass  # every write is synced before it returns

    # -- term, vote and commit index ----------------------------------------------------------

    def _load_meta(self) -> dict[str, Any]:
        try:
            with open(self._meta_path, "rb") as f:
                meta: dict[str, Any] = ps_pickle.loads(f.read())
                return meta
        except Exception:  # missing or unreadable: a new member, as the library treats it
            return {}

    def _store_meta(self) -> None:
        tmp = self._meta_path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(ps_pickle.dumps(self._meta))
            f.flush()
        durable_replace(tmp, self._meta_path)
        self._meta_saved = True

    def setRaftCommitIndex(self, raftCommitIndex: int) -> None:
        self._meta["raftCommitIndex"] = raftCommitIndex
        self._meta_saved = False

    def getRaftCommitIndex(self) -> int:
        return int(self._meta.get("raftCommitIndex", 1))

    def setCurrentTerm(self, term: int, votedForNodeId: Any) -> None:
        """Durable before any message reflecting it is sent (Raft); raises if it cannot be."""
        self._meta["currentTerm"] = term
        self._meta["votedForNodeId"] = votedForNodeId
        try:
            self._store_meta()
        except OSError as exc:
            if is_space_error(exc):
                self.guard.report("storing the Raft term", exc)
                raise DiskFull(f"cannot store the Raft term: {exc}") from None
            raise

    def getCurrentTerm(self) -> int:
        return int(self._meta.get("currentTerm", 0))

    def getVotedForNodeId(self) -> Any:
        return self._meta.get("votedForNodeId")

    def onOneSecondTimer(self) -> None:
        if self._meta_saved:
            return
        try:
            self._store_meta()
        except OSError as exc:  # the commit index is a hint; retried next second
            if not is_space_error(exc):
                raise
            self.guard.report("storing the Raft commit index", exc)


def guard_of(machine: Any) -> DiskGuard | None:
    raft_log = getattr(machine, "_SyncObj__raftLog", None)
    return getattr(raft_log, "guard", None)


# -- patches ------------------------------------------------------------------------------------


def apply() -> None:
    """Install the journal and the disk-full behaviour into pysyncobj (called once)."""
    syncobj.createJournal = lambda path=None: (
        ps_journal.MemoryJournal() if path is None else DurableJournal(path)
    )
    ps_serializer.atomicReplace = durable_replace
    _patch_load_dump()
    _patch_apply_entries()
    _patch_messages()
    _patch_commands()
    _patch_tick()


def _patch_load_dump() -> None:
    """On restart, keep the journal's entries after the snapshot.

    The library clears the journal unless its first two entries are the snapshot's last two,
    which is only so once compaction has trimmed it; a crash between the snapshot's rename
    and the trim would drop every entry after the snapshot. We trim first when the journal
    holds those two entries (Raft keeps the log after a snapshot it matches).
    """
    original = syncobj.SyncObj._SyncObj__loadDumpFile

    def load_dump(self: Any, clearJournal: bool) -> None:
        serializer = self._SyncObj__serializer
        raft_log = self._SyncObj__raftLog
        deserialize = serializer.deserialize

        def aligned() -> Any:
            data = deserialize()
            if not clearJournal and isinstance(raft_log, DurableJournal) and len(raft_log):
                before, last = tuple(data[2]), tuple(data[1])
                i = before[1] - raft_log[0][1]  # where the snapshot's next-to-last entry is
                if 0 < i < len(raft_log) - 1 and raft_log[i : i + 2] == [before, last]:
                    raft_log.deleteEntriesTo(i)
            return data

        serializer.deserialize = aligned
        try:
            original(self, clearJournal)
        finally:
            del serializer.deserialize

    syncobj.SyncObj._SyncObj__loadDumpFile = load_dump


def _patch_apply_entries() -> None:
    """The library's apply loop, except that an entry the state machine cannot apply now
    (``ApplyBlocked``) stays unapplied, with its callers still waiting, and is retried once
    the disk has room (the library dropped the callers and re-raised into its tick every
    tick, logging each time), and that one call applies for at most ``APPLY_SLICE_S``: the
    rest waits for the next tick, after the sockets have been served. While an entry
    applies, ``applying_term`` is the term it was logged in (the state machine refuses
    commands whose timestamps belong to another term's leader). A log that no longer holds
    the loop's next entry is resumed past the gap when the store has applied it (see
    ``_resume_past_gap``)."""
    wrong_version = syncobj.SyncObjExceptionWrongVer

    def apply_entries(self: Any) -> bool:
        commit = self._SyncObj__raftCommitIndex
        last = self._SyncObj__raftLastApplied
        if commit <= last or time.monotonic() < getattr(self, "_db9_apply_retry_at", 0.0):
            return False
        if not _resume_past_gap(self, last):
            return False
        last = self._SyncObj__raftLastApplied
        guard = guard_of(self)
        if guard is not None and guard.full:
            return False  # paused until the disk has room again
        waiting = self._SyncObj__commandsWaitingCommit
        stop_at = time.monotonic() + APPLY_SLICE_S
        for entry in self._SyncObj__getEntries(last + 1, commit - last):
            if time.monotonic() > stop_at:
                break
            self.applying_term = entry[2]
            try:
                res = self._SyncObj__doApplyCommand(entry[0])
            except ApplyBlocked:
                self._db9_apply_retry_at = time.monotonic() + PROBE_PERIOD_S
                break
            except wrong_version as exc:
                syncobj.logger.error("request to switch to unsupported code version %d", exc.ver)
                continue
            for term, callback in waiting.pop(entry[1], []):
                if term == entry[2]:
                    callback(res, FAIL_REASON.SUCCESS)
                else:
                    callback(None, FAIL_REASON.DISCARDED)
            self._SyncObj__raftLastApplied += 1
        return not self._SyncObj__conf.appendEntriesUseBatch

    syncobj.SyncObj._SyncObj__applyLogEntries = apply_entries


def _resume_past_gap(self: Any, last: int) -> bool:
    """Whether the apply loop can go on: its next entry is in the log, or the log starts
    after it and the store has applied everything before the log's first entry (the loop
    then resumes there; the store skips what it already holds).

    The library's loop asks the log for the entries after its index and, when the log
    starts later, gets none, applies nothing and says nothing, for good (the shape of the
    wiped members of the sixth proof attempt that stopped applying while their log and
    commit index ran on). A store that lacks entries the log no longer holds cannot go on without a
    snapshot from the leader: that is logged, once per gap."""
    raft_log = self._SyncObj__raftLog
    if not len(raft_log):
        return True
    first = int(raft_log[0][1])
    if last + 1 >= first:
        return True
    store = getattr(self, "applied_index", None)
    if store is not None and store >= first - 1:
        log.warning(
            "the Raft log starts at entry %d, past the apply loop's next entry %d; the store "
            "has applied %d, so the loop resumes at %d",
            first,
            last + 1,
            store,
            first,
        )
        self._SyncObj__raftLastApplied = first - 1
        return True
    if getattr(self, "_db9_gap_reported", None) != first:
        self._db9_gap_reported = first
        log.error(
            "cannot apply entry %d: the Raft log starts at %d and the store has applied %s; "
            "waiting for a snapshot from the leader",
            last + 1,
            first,
            store,
        )
    return False


def _patch_messages() -> None:
    """A follower that cannot store what the leader sends does not acknowledge it (the leader
    sends it again); the failure is reported, not raised into the tick. While the disk is
    full, entries and snapshots are not even tried; heartbeats still are. The entries of one
    message are synced together, and the acknowledgements the library (or
    ``cluster.raft_fixes``) sends while handling it wait for that sync."""
    original = syncobj.SyncObj._SyncObj__onMessageReceived

    def on_message(self: Any, node: Any, message: dict[str, Any]) -> None:
        guard = guard_of(self)
        if (
            guard is not None
            and guard.full
            and message.get("type") == "append_entries"
            and any(message.get(k) for k in ("entries", "serialized", "transmission"))
        ):
            return  # stores nothing while full (the reserve stays for the term and vote)
        journal = self._SyncObj__raftLog
        if not (message.get("entries") and isinstance(journal, DurableJournal)):
            journal = None
        held: list[tuple[Any, ...]] = []
        try:
            if journal is None:
                original(self, node, message)
            else:  # the message's entries are synced once, and only then acknowledged
                self._SyncObj__sendNextNodeIdx = lambda *a, **kw: held.append((a, kw))
                try:
                    with journal.one_sync():
                        original(self, node, message)
                finally:
                    del self._SyncObj__sendNextNodeIdx
        except (DiskFull, OSError) as exc:
            if not is_space_error(exc):
                raise
            if guard is not None:
                guard.report("storing Raft entries", exc)
            return
        for args, kwargs in held:
            self._SyncObj__sendNextNodeIdx(*args, **kwargs)

    syncobj.SyncObj._SyncObj__onMessageReceived = on_message


def _patch_commands() -> None:
    """A leader whose disk is full refuses queued commands instead of losing them."""
    original = syncobj.SyncObj._checkCommandsToApply

    def check_commands(self: Any) -> None:
        queue = self._SyncObj__commandsQueue
        if not hasattr(queue, "db9_taken"):
            take = queue.get_nowait

            def get_nowait() -> Any:
                queue.db9_taken = None
                queue.db9_taken = item = take()
                return item

            queue.db9_taken = None
            queue.get_nowait = get_nowait
        guard = guard_of(self)
        if guard is not None and guard.full and self._isLeader():
            _deny_queued(self)
            return
        try:
            original(self)
        except DiskFull as exc:
            if guard is not None:
                guard.report("appending to the Raft journal", exc)
            if queue.db9_taken is not None:  # the command being added: not in the log
                self._SyncObj__callErrCallback(FAIL_REASON.REQUEST_DENIED, queue.db9_taken[1])
                queue.db9_taken = None
            _deny_queued(self)

    syncobj.SyncObj._checkCommandsToApply = check_commands


def _deny_queued(self: Any) -> None:
    queue = self._SyncObj__commandsQueue
    while True:
        try:
            _, callback = queue.get_nowait()
        except Exception:  # the library's Queue.Empty
            return
        queue.db9_taken = None
        self._SyncObj__callErrCallback(FAIL_REASON.REQUEST_DENIED, callback)


def _patch_tick() -> None:
    original = syncobj.SyncObj._onTick

    def on_tick(self: Any, timeToWait: float = 0.0) -> None:
        guard = guard_of(self)
        if guard is not None and guard.full:
            if guard.probe():  # back: take part in elections again, as a follower would
                timeout = self._SyncObj__generateRaftTimeout()
                self._SyncObj__raftElectionDeadline = time.monotonic() + timeout
            else:
                _sit_out(self)
        original(self, timeToWait)

    syncobj.SyncObj._onTick = on_tick


def _sit_out(self: Any) -> None:
    """While the disk is full: hand leadership over, and never start an election."""
    if self._isLeader():
        log.warning("disk full: stepping down as Raft leader")
        self.transferLeadership()
        self._SyncObj__setState(syncobj._RAFT_STATE.FOLLOWER)
        self._SyncObj__raftLeader = None
    self._SyncObj__raftElectionDeadline = time.monotonic() + 3600.0
