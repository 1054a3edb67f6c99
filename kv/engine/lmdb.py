"""The LMDB engine: one ordered B+tree in a memory map, durable on commit by default.

LMDB allows one writer at a time and any number of readers, each reader a consistent snapshot.
The map size is fixed per open environment, so when a write does not fit we grow the map; LMDB
demands that no transaction of this process is open while that happens, which is what the
``_Gate`` below guarantees. The data directory is locked with ``flock`` so that two processes
never run their own latches and timestamp oracles over the same files.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import fcntl
import os
import struct
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import lmdb

from kv import nowait
from kv.durable_file import PRIVATE_DIR, PRIVATE_FILE, fsync_dir, fsync_file
from kv.engine.base import Engine, EngineStats, Snapshot, WriteBatch, WriteView
from kv.errors import DiskFull, LimitExceeded, StorageError

T = TypeVar("T")
DEFAULT_MAP_SIZE = 1 << 30  # grows by doubling on demand
MAX_MAP_SIZE = 1 << 42  # 4 TiB of address space
GATE_DRAIN_TIMEOUT_S = 30.0
WRITE_SCAN_PAGE = 256  # items a scan inside a write transaction reads at a time
# How a full disk shows through LMDB: ENOSPC, or EIO when a page write comes up short.
_DISK_ERRORS = tuple(os.strerror(e) for e in (errno.ENOSPC, errno.EDQUOT, errno.EIO))


_META_MAGIC = 0xBEEFC0DE
# A meta page (64-bit LMDB): a 16-byte page header, then magic and version (u32 each),
# address and map size (8 each), two 48-byte MDB_db records (the free list's first, its
# md_pad holding the page size), the last page number and the transaction id (8 each).
_META = struct.Struct("<II8x8xI44x48xQQ")


def copy_problem(path: str, offset: int = 0) -> str | None:
    """Why the LMDB data file copied into ``path`` at ``offset`` cannot be opened safely, or
    None. LMDB maps the file and reads a page beyond its end as SIGBUS, which kills the
    process: a short copy (a truncated transfer) must be refused before it is opened."""
    size = os.path.getsize(path) - offset
    best: tuple[int, int, int] | None = None  # (txnid, last page, page size)
    with open(path, "rb") as f:
        at = 0  # meta page 0; meta page 1 follows at the page size meta page 0 names
        for _ in range(2):
            f.seek(offset + at + 16)
            raw = f.read(_META.size)
            if len(raw) < _META.size:
                break
            magic, _version, psize, last_pg, txnid = _META.unpack(raw)
            if magic != _META_MAGIC or psize < 512:
                break
            if best is None or txnid > best[0]:
                best = (txnid, last_pg, psize)
            at = psize
    if best is None:
        return f"{path}: no LMDB meta page at offset {offset} ({size} bytes)"
    _, last_pg, psize = best
    if size < (last_pg + 1) * psize:
        return (
            f"{path}: the LMDB copy is {size} bytes, its meta page needs "
            f"{(last_pg + 1) * psize} ({last_pg + 1} pages of {psize}): truncated"
        )
    return None


def _write_failed(exc: lmdb.Error) -> StorageError:
    text = str(exc)
    if any(e in text for e in _DISK_ERRORS):
        return DiskFull(f"LMDB write failed: {text}")
    return StorageError(f"LMDB write failed: {text}")


class _Gate:
    """Counts open LMDB transactions so the map can be resized when none is open.

    Entering is the hot path of every read, so it takes no lock: a reader first registers
    (``deque.append`` is atomic under the GIL) and then checks the flag; the resizer first
    sets the flag and then waits for the register to empty. Whichever order the two threads
    run in, either the reader sees the flag and backs off, or the resizer sees the reader.
    """

    def __init__(self) -> None:
        self._open: collections.deque[None] = collections.deque()
        self._resizing = False
        self._cond = threading.Condition(threading.Lock())

    def enter(self) -> None:
        self._open.append(None)
        if self._resizing:
            if nowait.active():
                self._open.pop()
                raise nowait.WouldBlock
            self._wait()

    def _wait(self) -> None:
        while True:
            self._open.pop()
            with self._cond:
                self._cond.wait_for(lambda: not self._resizing)
            self._open.append(None)
            if not self._resizing:
                return

    def leave(self) -> None:
        self._open.pop()

    def exclusive(self, action: Callable[[], object]) -> None:
        """Run ``action`` while no transaction is open and none can start."""
        with self._cond:
            self._resizing = True
        try:
            deadline = time.monotonic() + GATE_DRAIN_TIMEOUT_S
            while self._open:  # resizes are rare: polling beats taxing every read
                if time.monotonic() > deadline:
                    raise StorageError("cannot grow the LMDB map: a read snapshot stays open")
                time.sleep(0.001)
            action()
        finally:
            with self._cond:
                self._resizing = False
                self._cond.notify_all()


def _scan_cursor(
    txn: Any, start: bytes, end: bytes | None, reverse: bool, limit: int | None
) -> Iterator[tuple[bytes, bytes]]:
    if limit is not None and limit <= 0:
        return
    cur = txn.cursor()
    n = 0
    if not reverse:
        if not cur.set_range(start):
            return
        for key, value in cur.iternext():
            if end is not None and key >= end:
                return
            yield key, value
            n += 1
            if limit is not None and n >= limit:
                return
    else:
        positioned = cur.set_range(end) if end is not None else cur.last()
        if positioned and end is not None:
            positioned = cur.prev()
        elif not positioned and end is not None:
            positioned = cur.last()
        if not positioned:
            return
        for key, value in cur.iterprev():
            if key < start:
                return
            yield key, value
            n += 1
            if limit is not None and n >= limit:
                return


def _scan_paged(
    txn: Any, start: bytes, end: bytes | None, reverse: bool, limit: int | None
) -> Iterator[tuple[bytes, bytes]]:
    """``_scan_cursor`` a page at a time, each page read whole before it is yielded: a caller
    may write while iterating (which would move a live cursor), and a long scan (a GC chunk
    over the whole keyspace) is not materialised in one list."""
    n = 0
    while True:
        want = WRITE_SCAN_PAGE if limit is None else min(WRITE_SCAN_PAGE, limit - n)
        if want <= 0:
            return
        page = list(_scan_cursor(txn, start, end, reverse, want))
        yield from page
        if len(page) < want:
            return
        n += len(page)
        if reverse:
            end = page[-1][0]
        else:
            start = page[-1][0] + b"\x00"  # the next key after the page's last


class LmdbSnapshot(Snapshot):
    """A read transaction; holds the gate until closed, so close it promptly."""

    __slots__ = ("_engine", "_open", "_txn")

    def __init__(self, engine: LmdbEngine) -> None:
        self._engine = engine
        gate = engine._gate
        gate.enter()
        try:
            self._txn = engine._env.begin()
        except BaseException:
            gate.leave()
            raise
        self._open = True

    def get(self, key: bytes) -> bytes | None:
        value: bytes | None = self._txn.get(key)
        return value

    def scan(
        self,
        start: bytes = b"",
        end: bytes | None = None,
        *,
        reverse: bool = False,
        limit: int | None = None,
    ) -> Iterator[tuple[bytes, bytes]]:
        return _scan_cursor(self._txn, start, end, reverse, limit)

    def iter_keys_from(self, start: bytes) -> tuple[Iterator[bytes], Callable[[], bytes]]:
        cur = self._txn.cursor()
        if not cur.set_range(start):
            return iter(()), cur.value
        keys: Iterator[bytes] = cur.iternext(values=False)
        return keys, cur.value

    def seek(self, start: bytes, end: bytes | None = None) -> tuple[bytes, bytes] | None:
        cur = self._txn.cursor()
        if not cur.set_range(start):
            return None
        item: tuple[bytes, bytes] = cur.item()
        if end is not None and item[0] >= end:
            return None
        return item

    def close(self) -> None:
        if self._open:
            self._open = False
            self._txn.abort()
            self._engine._gate._open.pop()


class LmdbWriteView(WriteView):
    """An LMDB write transaction seen as a snapshot that reads its own writes, plus ``apply``.

    The Raft state machine runs every command of a log entry against one of these, and the
    single-node store every command of a commit group, so a later command sees an earlier
    one's locks and writes, and the entry or group commits as one LMDB transaction.
    """

    __slots__ = ("_max_key", "_txn")

    def __init__(self, txn: Any, max_key: int) -> None:
        self._txn = txn
        self._max_key = max_key

    def get(self, key: bytes) -> bytes | None:
        value: bytes | None = self._txn.get(key)
        return value

    def scan(
        self,
        start: bytes = b"",
        end: bytes | None = None,
        *,
        reverse: bool = False,
        limit: int | None = None,
    ) -> Iterator[tuple[bytes, bytes]]:
        return _scan_paged(self._txn, start, end, reverse, limit)

    def seek(self, start: bytes, end: bytes | None = None) -> tuple[bytes, bytes] | None:
        cur = self._txn.cursor()
        if not cur.set_range(start):
            return None
        item: tuple[bytes, bytes] = cur.item()
        if end is not None and item[0] >= end:
            return None
        return item

    def apply(self, batch: WriteBatch) -> None:
        for key, _ in batch.ops:
            if not key or len(key) > self._max_key:
                raise LimitExceeded(f"engine key of {len(key)} bytes (limit {self._max_key})")
        for key, value in batch.ops:
            if value is None:
                self._txn.delete(key)
            else:
                self._txn.put(key, value)

    def close(self) -> None:
        pass


class LmdbEngine(Engine):
    """LMDB in ``path`` (a directory); ``sync=False`` trades power-loss durability for speed.

    ``metasync=False`` (with ``sync``) syncs each commit's data but not its meta page: a
    power loss may undo the last commit, never corrupt the file. A Raft member runs so,
    since its synced log replays what the last commit held (the applied index is stored in
    the same commit).
    """

    def __init__(
        self,
        path: str,
        *,
        sync: bool = True,
        metasync: bool | None = None,
        map_size: int = DEFAULT_MAP_SIZE,
    ) -> None:
        os.makedirs(path, mode=PRIVATE_DIR, exist_ok=True)
        self.path = path
        self._metasync = sync if metasync is None else sync and metasync
        lock_fd = os.open(os.path.join(path, "db9.lock"), os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
        self._lockfile = os.fdopen(lock_fd, "a+")
        try:
            fcntl.flock(self._lockfile.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lockfile.close()
            raise StorageError(f"data directory {path} is in use by another process") from None
        data_file = os.path.join(path, "data.mdb")
        existing = os.path.getsize(data_file) if os.path.exists(data_file) else 0
        size = max(map_size, 2 * existing)
        try:
            self._env = lmdb.open(
                path,
                map_size=size,
                subdir=True,
                sync=sync,
                metasync=self._metasync,
                max_readers=2048,
                max_dbs=0,
                lock=True,
                mode=PRIVATE_FILE,
            )
        except lmdb.Error as exc:
            self._lockfile.close()
            raise StorageError(f"cannot open LMDB at {path}: {exc}") from exc
        self._gate = _Gate()
        self._sync = sync
        self._write_lock = threading.Lock()
        self.max_key_size: int = self._env.max_key_size()
        self._closed = False

    def write_batch(self, batch: WriteBatch) -> None:
        if not batch.ops:
            return
        nowait.check()
        for key, _ in batch.ops:
            if not key or len(key) > self.max_key_size:
                raise LimitExceeded(f"engine key of {len(key)} bytes (limit {self.max_key_size})")
        with self._write_lock:
            while True:
                self._gate.enter()
                try:
                    with self._env.begin(write=True) as txn:
                        for key, value in batch.ops:
                            if value is None:
                                txn.delete(key)
                            else:
                                txn.put(key, value)
                    self.commits += 1
                    return
                except lmdb.MapFullError:
                    pass
                except lmdb.Error as exc:
                    raise _write_failed(exc) from exc
                finally:
                    self._gate.leave()
                self._grow()

    def transact(self, fn: Callable[[WriteView], T]) -> T:
        """Run ``fn`` in one write transaction that commits (and syncs) when it returns.

        If the map fills, the transaction is dropped, the map grows and ``fn`` runs again
        from the start: it must depend only on what it reads through the view.
        """
        nowait.check()
        with self._write_lock:
            while True:
                self._gate.enter()
                try:
                    with self._env.begin(write=True) as txn:
                        result = fn(LmdbWriteView(txn, self.max_key_size))
                    self.commits += 1
                    return result
                except lmdb.MapFullError:
                    pass
                except lmdb.Error as exc:
                    raise _write_failed(exc) from exc
                finally:
                    self._gate.leave()
                self._grow()

    def replace_with(self, source_dir: str) -> None:
        """Swap the whole store for the LMDB copy in ``source_dir`` (an installed snapshot).

        Readers are held at the gate and writers at the write lock while the files move.
        Crash-atomic: the copy is synced, then renamed over the old file (never deleted
        first), then the directory is synced, so a crash leaves the old store or the new one.
        """
        src = os.path.join(source_dir, "data.mdb")
        if not os.path.isfile(src):
            raise StorageError(f"no LMDB data file in {source_dir}")
        fsync_file(src)
        problem = copy_problem(src)
        if problem:  # never swapped in: opening it would kill the process (SIGBUS)
            raise StorageError(problem)

        def swap() -> None:
            self._env.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(self.path, "lock.mdb"))
            os.replace(src, os.path.join(self.path, "data.mdb"))  # synced above, off the gate
            fsync_dir(self.path)
            size = max(DEFAULT_MAP_SIZE, 2 * os.path.getsize(os.path.join(self.path, "data.mdb")))
            self._env = lmdb.open(
                self.path,
                map_size=size,
                subdir=True,
                sync=self._sync,
                metasync=self._metasync,
                max_readers=2048,
                max_dbs=0,
                lock=True,
                mode=PRIVATE_FILE,
            )

        with self._write_lock:
            self._gate.exclusive(swap)

    def _grow(self) -> None:
        new_size = self._env.info()["map_size"] * 2
        if new_size > MAX_MAP_SIZE:
            raise StorageError("LMDB map reached its maximum size")
        self._gate.exclusive(lambda: self._env.set_mapsize(new_size))

    def snapshot(self) -> LmdbSnapshot:
        return LmdbSnapshot(self)

    def resize_waiting(self) -> bool:
        """True while a map resize waits for open snapshots: long readers should close."""
        return self._gate._resizing

    def get(self, key: bytes) -> bytes | None:
        self._gate.enter()
        try:
            with self._env.begin(buffers=False) as txn:
                value: bytes | None = txn.get(key)
                return value
        finally:
            self._gate.leave()

    def stats(self) -> EngineStats:
        st = self._env.stat()
        pages = st["branch_pages"] + st["leaf_pages"] + st["overflow_pages"]
        data_file = os.path.join(self.path, "data.mdb")
        return EngineStats(
            entries=st["entries"],
            data_bytes=pages * st["psize"],
            file_bytes=os.path.getsize(data_file),
            map_bytes=self._env.info()["map_size"],
        )

    def copy_to(self, path: str, *, compact: bool = True) -> None:
        """Write a consistent copy of the whole store into directory ``path`` (for snapshots).
        A full disk raises ``DiskFull`` (LMDB reports it as its own error, not OSError)."""
        os.makedirs(path, mode=PRIVATE_DIR, exist_ok=True)
        self._gate.enter()
        try:
            self._env.copy(path, compact=compact)
        except lmdb.Error as exc:
            raise _write_failed(exc) from exc
        finally:
            self._gate.leave()

    def copy_to_fd(self, fd: int, *, compact: bool = True) -> None:
        """Write a consistent copy of the store's data file to ``fd``, from its current
        offset (a snapshot file's header may precede it): one copy, no temporary directory.
        A full disk raises ``DiskFull``."""
        self._gate.enter()
        try:
            self._env.copyfd(fd, compact=compact)
        except lmdb.Error as exc:
            raise _write_failed(exc) from exc
        finally:
            self._gate.leave()

    def sync(self) -> None:
        try:
            self._env.sync(True)
        except lmdb.Error as exc:
            raise _write_failed(exc) from exc

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._env.close()
            self._lockfile.close()
