"""Reading MVCC data at a timestamp from one engine snapshot.

A read at ``ts`` first looks for a lock: a lock of a transaction that started at or before ``ts``
may belong to a transaction that commits below ``ts``, so the reader cannot know the answer and
raises ``KeyIsLocked`` for the caller to resolve. Otherwise the newest PUT or DELETE write record
with ``commit_ts <= ts`` is the answer; ROLLBACK and LOCK records are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from typing import TYPE_CHECKING

from kv.engine.base import Snapshot
from kv.errors import KeyIsLocked
from kv.kernels import visible_values
from kv.mvcc import keys as K
from kv.mvcc.records import Lock, Write, WriteKind

if TYPE_CHECKING:
    from kv.mvcc.branches import BranchLink

_DATA_KINDS = (WriteKind.PUT, WriteKind.DELETE)
_PUT = int(WriteKind.PUT)
_DELETE = int(WriteKind.DELETE)


class MvccReader:
    """Reads of one snapshot. ``links`` maps a branch's key prefix to its parent and fork
    timestamp: reads of a branch key that finds no version fall through to the parent."""

    def __init__(self, snap: Snapshot, links: Mapping[bytes, BranchLink] | None = None) -> None:
        self.snap = snap
        self.links: Mapping[bytes, BranchLink] = links or {}

    # -- locks -------------------------------------------------------------------------------

    def load_lock(self, key: bytes, key_enc: bytes | None = None) -> Lock | None:
        raw = self.snap.get(K.LOCK + (key_enc if key_enc is not None else K.enc(key)))
        return None if raw is None else Lock.decode(key, raw)

    def check_lock(self, key: bytes, key_enc: bytes, ts: int) -> None:
        raw = self.snap.get(K.LOCK + key_enc)
        if raw is not None:
            lock = Lock.decode(key, raw)
            if lock.start_ts <= ts and lock.kind != WriteKind.LOCK:
                raise KeyIsLocked(lock)

    def scan_locks(
        self,
        start: bytes = b"",
        end: bytes | None = None,
        *,
        max_ts: int | None = None,
        start_ts: int | None = None,
        limit: int | None = None,
    ) -> list[Lock]:
        """Locks in a user-key range; only those with start_ts <= max_ts / == start_ts if given."""
        lo, hi = K.cf_range(K.LOCK, start, end)
        out: list[Lock] = []
        for ek, raw in self.snap.scan(lo, hi):
            # Filter on the start_ts alone before decoding: a GC pass meets every lock of a
            # bulk load in flight, nearly all above its safepoint.
            ts = Lock.start_ts_of(raw)
            if max_ts is not None and ts > max_ts:
                continue
            if start_ts is not None and ts != start_ts:
                continue
            out.append(Lock.decode(K.dec(ek[1:]), raw))
            if limit is not None and len(out) >= limit:
                break
        return out

    # -- write records -----------------------------------------------------------------------

    def seek_write(self, key_enc: bytes, ts: int) -> tuple[int, Write] | None:
        """The newest write record (any kind) of the key with commit_ts <= ts."""
        _, hi = K.versions_range(K.WRITE, key_enc)
        found = self.snap.seek(K.write_key(key_enc, ts), hi)
        if found is None:
            return None
        _, commit_ts = K.split_versioned(found[0])
        return commit_ts, Write.decode(found[1])

    def newest_data_write(self, key_enc: bytes, ts: int) -> tuple[int, Write] | None:
        """The newest PUT or DELETE record with commit_ts <= ts."""
        while True:
            found = self.seek_write(key_enc, ts)
            if found is None:
                return None
            commit_ts, write = found
            if write.kind in _DATA_KINDS:
                return found
            if commit_ts == 0:
                return None
            ts = commit_ts - 1

    def txn_record(self, key_enc: bytes, start_ts: int) -> tuple[int, Write] | None:
        """The write record left by the transaction ``start_ts`` on this key, if any."""
        lo, _ = K.versions_range(K.WRITE, key_enc)
        hi = K.write_key(key_enc, start_ts) + b"\x00"  # commit_ts >= start_ts
        for ek, raw in self.snap.scan(lo, hi):
            write = Write.decode(raw)
            if write.start_ts == start_ts:
                return K.split_versioned(ek)[1], write
        return None

    def load_value(self, key_enc: bytes, write: Write) -> bytes:
        if write.short_value is not None:
            return write.short_value
        raw = self.snap.get(K.data_key(key_enc, write.start_ts))
        if raw is None:  # pragma: no cover - a committed PUT always has its value
            raise RuntimeError(f"missing data for version {write.start_ts}")
        return raw

    # -- user reads --------------------------------------------------------------------------

    def get(self, key: bytes, ts: int) -> bytes | None:
        if self.links and key[: K.PREFIX_LEN] in self.links:
            from kv.mvcc.branches import overlay_get

            return overlay_get(self, key, ts)
        return mvcc_get(self.snap, key, ts)

    def get_many(self, keys: Iterable[bytes], ts: int) -> dict[bytes, bytes]:
        """The keys that have a live value at ``ts``, with their values."""
        out: dict[bytes, bytes] = {}
        for key in keys:
            value = self.get(key, ts)
            if value is not None:
                out[key] = value
        return out

    def scan(
        self,
        start: bytes,
        end: bytes | None,
        ts: int,
        *,
        limit: int | None = None,
        reverse: bool = False,
    ) -> list[tuple[bytes, bytes]]:
        """Live (key, value) pairs at ``ts`` in ``[start, end)``, ascending or descending."""
        if self.links:
            from kv.mvcc.branches import linked_prefix, overlay_scan

            prefix = linked_prefix(self.links, start, end)
            if prefix is not None:
                return overlay_scan(self, prefix, start, end, ts, limit, reverse)
        found = self.own_scan(start, end, ts, limit=limit, reverse=reverse)
        return [(k, v) for k, v in found if v is not None]

    def scan_values(
        self, start: bytes, end: bytes | None, ts: int, limit: int
    ) -> tuple[list[bytes], bytes | None]:
        """The values of ``scan(start, end, ts, limit=limit)`` without their keys, and the key
        to resume at (None once the range is done): the batch read of a table scan, whose
        visibility loop runs in kv.kernels."""
        if self.links:  # a branch's range reads through to its parent: the pairs' scan
            pairs = self.scan(start, end, ts, limit=limit)
            resume = pairs[-1][0] + b"\x00" if len(pairs) >= limit else None
            return [v for _, v in pairs], resume
        lo, hi = K.cf_range(K.WRITE, start, end)
        values: list[bytes] = []
        keys, value = self.snap.iter_keys_from(lo)
        last = visible_values(keys, value, hi, K.inverted_ts(ts), limit, values, self._load_raw)
        resume = None if last is None else K.dec(last) + b"\x00"
        # Locks only matter within the part of the range covered, as in own_scan.
        for lock in self.scan_locks(start, end if resume is None else resume, max_ts=ts):
            if lock.kind != WriteKind.LOCK:
                raise KeyIsLocked(lock)
        return values, resume

    def _load_raw(self, key_enc: bytes, raw: bytes) -> bytes:
        return self.load_value(key_enc, Write.decode(raw))

    def own_scan(
        self,
        start: bytes,
        end: bytes | None,
        ts: int,
        *,
        limit: int | None = None,
        reverse: bool = False,
        tombstones: bool = False,
    ) -> list[tuple[bytes, bytes | None]]:
        """Versions visible at ``ts`` stored under these very keys (no branch fall-through);
        with ``tombstones``, keys whose visible version is a delete come as (key, None)."""
        lo, hi = K.cf_range(K.WRITE, start, end)
        if reverse:
            out = self._scan_reverse(lo, hi, ts, limit, tombstones)
        else:
            out = self._scan(lo, hi, ts, limit, tombstones)
        # Locks only matter within the part of the range we actually covered.
        if limit is not None and len(out) >= limit:
            last = out[-1][0]
            lock_lo, lock_hi = (start, last + b"\x00") if not reverse else (last, end)
        else:
            lock_lo, lock_hi = start, end
        for lock in self.scan_locks(lock_lo, lock_hi, max_ts=ts):
            if lock.kind != WriteKind.LOCK:
                raise KeyIsLocked(lock)
        return out

    def _scan(
        self, lo: bytes, hi: bytes, ts: int, limit: int | None, tombstones: bool
    ) -> list[tuple[bytes, bytes | None]]:
        out: list[tuple[bytes, bytes | None]] = []
        current = b""
        done = True
        # Compare inverted timestamps as bytes: commit_ts <= ts  <=>  ~commit_ts >= ~ts.
        inv_ts = K.inverted_ts(ts)
        for ek, raw in self.snap.scan(lo, hi):
            key_enc = ek[1:-8]
            if key_enc != current:
                current, done = key_enc, False
            if done or ek[-8:] < inv_ts:
                continue
            kind = raw[0]
            if kind != _PUT and kind != _DELETE:
                continue
            done = True
            if kind == _PUT:
                value = raw[10:] if len(raw) > 9 else self.load_value(key_enc, Write.decode(raw))
                out.append((K.dec(key_enc), value))
            elif tombstones:
                out.append((K.dec(key_enc), None))
            else:
                continue
            if limit is not None and len(out) >= limit:
                break
        return out

    def _scan_reverse(
        self, lo: bytes, hi: bytes, ts: int, limit: int | None, tombstones: bool
    ) -> list[tuple[bytes, bytes | None]]:
        # Versions of one key arrive oldest first; the answer is the last visible data record
        # seen before the key changes.
        out: list[tuple[bytes, bytes | None]] = []
        current = b""
        best: Write | None = None

        def flush() -> bool:
            if best is None:
                return False
            if best.kind == WriteKind.PUT:
                out.append((K.dec(current), self.load_value(current, best)))
            elif tombstones:
                out.append((K.dec(current), None))
            else:
                return False
            return limit is not None and len(out) >= limit

        for ek, raw in self.snap.scan(lo, hi, reverse=True):
            key_enc, commit_ts = K.split_versioned(ek)
            if key_enc != current:
                if flush():
                    return out
                current, best = key_enc, None
            if commit_ts > ts:
                continue
            write = Write.decode(raw)
            if write.kind in _DATA_KINDS:
                best = write
        flush()
        return out


class Absent(Enum):
    """No version of the key is visible at all (a DELETE is a visible version: None)."""

    ABSENT = 0


ABSENT = Absent.ABSENT


def mvcc_get(snap: Snapshot, key: bytes, ts: int) -> bytes | None:
    """The value of ``key`` at ``ts``: the hottest path of the store."""
    value = mvcc_lookup(snap, key, ts)
    return None if value is ABSENT else value


def mvcc_lookup(snap: Snapshot, key: bytes, ts: int) -> bytes | Absent | None:
    """The value at ``ts``, None for a visible delete, ABSENT when no version is visible
    (a branch then reads its parent). Reads the write record's bytes in place (kind at [0],
    start_ts at [1:9], the inline value after [9]) instead of decoding a ``Write``."""
    key_enc = K.enc(key)
    raw_lock = snap.get(K.LOCK + key_enc)
    if raw_lock is not None:
        lock = Lock.decode(key, raw_lock)
        if lock.start_ts <= ts and lock.kind != WriteKind.LOCK:
            raise KeyIsLocked(lock)
    prefix = K.WRITE + key_enc
    hi = prefix + K.VERSIONS_END
    at = prefix + K.inverted_ts(ts)
    while True:
        found = snap.seek(at, hi)
        if found is None:
            return ABSENT
        ek, raw = found
        kind = raw[0]
        if kind == _PUT:
            if len(raw) > 9:
                return raw[10:]
            return MvccReader(snap).load_value(key_enc, Write.decode(raw))
        if kind == _DELETE:
            return None
        at = ek + b"\x00"  # a ROLLBACK or LOCK record: look at the next older version
