"""Garbage collection of old versions below a safepoint.

For every key GC keeps all versions newer than the safepoint and, for the safepoint itself and
for each retain point that covers the key (a branch forked at that timestamp), the newest
version at or below it. ROLLBACK and LOCK records at or below the safepoint go, and so do
tombstones with nothing older left to hide. Reads below the safepoint are refused elsewhere.

Which keys to visit: garbage appears only where a write record lands on a key that already has
one, or is a tombstone, ROLLBACK or LOCK record (a key's first PUT hides nothing and is not
garbage). Every such record is logged in the GC log (``put_version``, in the same batch), keyed
by its commit_ts; a pass at safepoint S visits the keys of the log's entries at or below S and
deletes those entries (``gc_log_chunk``), so a pass costs what was written since the last one,
as TiKV skips the regions whose MVCC properties show nothing to collect. Invariant: after a
key's entries at or below S were visited at S, its versions at or below S hold no garbage for
any later safepoint until a new record lands (which logs itself) or a retain point covering it
goes away: then a full pass (``gc_chunk`` over every key) is needed, as it is for a store
written before the log existed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kv.mvcc import keys as K
from kv.mvcc.reader import MvccReader
from kv.mvcc.records import Write, WriteKind
from kv.mvcc.writer import MvccWriter


@dataclass(frozen=True, order=True)
class RetainPoint:
    """Keep, for keys starting with ``prefix``, the newest version at or below ``ts``.

    This is the hook for copy-on-write branches: a branch forked from ``prefix`` at ``ts``
    still reads its parent's versions as of ``ts`` long after the parent moved on.
    """

    prefix: bytes
    ts: int


@dataclass
class GcProgress:
    keys_scanned: int = 0
    versions_deleted: int = 0
    next_key_enc: bytes | None = None  # where the next chunk starts; None when done


def put_version(
    reader: MvccReader, writer: MvccWriter, key_enc: bytes, commit_ts: int, write: Write
) -> None:
    """Write a version (a write record) and, unless it is the key's first and a PUT, log it
    for GC. Every write record goes through here or ``put_encoded_version``."""
    put_encoded_version(reader, writer, key_enc, commit_ts, write.encode())


def put_encoded_version(
    reader: MvccReader, writer: MvccWriter, key_enc: bytes, commit_ts: int, encoded: bytes
) -> None:
    """``put_version`` of a write record already encoded (its kind is its first byte)."""
    writer.batch.put(K.write_key(key_enc, commit_ts), encoded)
    if encoded[0] == WriteKind.PUT:
        lo, hi = K.versions_range(K.WRITE, key_enc)
        if reader.snap.seek(lo, hi) is None:
            return
    writer.log_gc(key_enc, commit_ts)


def _keep_points(key_enc: bytes, safepoint: int, retain: Sequence[RetainPoint]) -> list[int]:
    """The descending timestamps whose newest version of the key GC must keep."""
    if not retain:
        return [safepoint]
    key = K.dec(key_enc)
    extra = sorted({r.ts for r in retain if r.ts < safepoint and key.startswith(r.prefix)})
    return [safepoint, *reversed(extra)]


def _in_branch(reader: MvccReader, key_enc: bytes) -> bool:
    """Whether the key is a branch's, whose reads fall through to a parent."""
    return bool(reader.links) and K.dec(key_enc)[: K.PREFIX_LEN] in reader.links


def _gc_one_key(
    writer: MvccWriter,
    key_enc: bytes,
    versions: list[tuple[int, Write]],
    points: list[int],
    in_branch: bool = False,
) -> int:
    """Decide one key's versions (newest first); ``points`` are descending keep-timestamps."""
    pending = list(points)
    kept_below: list[tuple[int, Write]] = []
    doomed: list[tuple[int, Write]] = []
    safepoint = points[0]
    for commit_ts, write in versions:
        if commit_ts > safepoint:
            continue
        if write.kind in (WriteKind.ROLLBACK, WriteKind.LOCK):
            doomed.append((commit_ts, write))
            continue
        needed = False
        while pending and pending[0] >= commit_ts:
            pending.pop(0)
            needed = True
        (kept_below if needed else doomed).append((commit_ts, write))
    # A tombstone that hides nothing older is itself garbage, except in a branch, where it
    # hides the parent's version of the key.
    while not in_branch and kept_below and kept_below[-1][1].kind == WriteKind.DELETE:
        doomed.append(kept_below.pop())
    for commit_ts, write in doomed:
        writer.delete_write(key_enc, commit_ts)
        if write.kind == WriteKind.PUT and write.short_value is None:
            writer.delete_value(key_enc, write.start_ts)
    return len(doomed)


def gc_chunk(
    reader: MvccReader,
    writer: MvccWriter,
    safepoint: int,
    retain: Sequence[RetainPoint],
    start_key_enc: bytes,
    max_keys: int,
) -> GcProgress:
    """GC up to ``max_keys`` keys starting at ``start_key_enc``; one atomic batch per chunk."""
    progress = GcProgress()
    lo = K.WRITE + start_key_enc
    hi = bytes([K.WRITE[0] + 1])
    current: bytes | None = None
    versions: list[tuple[int, Write]] = []

    def finish() -> None:
        if current is None:
            return
        points = _keep_points(current, safepoint, retain)
        branch = _in_branch(reader, current)
        progress.versions_deleted += _gc_one_key(writer, current, versions, points, branch)
        progress.keys_scanned += 1

    for ek, raw in reader.snap.scan(lo, hi):
        key_enc, commit_ts = K.split_versioned(ek)
        if key_enc != current:
            finish()
            if progress.keys_scanned >= max_keys:
                progress.next_key_enc = key_enc
                return progress
            current, versions = key_enc, []
        versions.append((commit_ts, Write.decode(raw)))
    finish()
    return progress


def gc_log_chunk(
    reader: MvccReader,
    writer: MvccWriter,
    safepoint: int,
    retain: Sequence[RetainPoint],
    max_entries: int,
) -> GcProgress:
    """GC the keys of up to ``max_entries`` GC log entries at or below ``safepoint`` and delete
    those entries; one atomic batch. ``next_key_enc`` is set while entries may remain (the
    next chunk starts at the log's beginning again: this one's entries are gone)."""
    progress = GcProgress()
    seen: set[bytes] = set()
    entries = 0
    for ek, _ in reader.snap.scan(K.GC_LOG, K.gc_log_end(safepoint)):
        if entries >= max_entries:
            progress.next_key_enc = K.GC_LOG
            break
        entries += 1
        writer.batch.delete(ek)
        _, key_enc = K.split_gc_log(ek)
        if key_enc in seen:
            continue
        seen.add(key_enc)
        lo, hi = K.versions_range(K.WRITE, key_enc)
        versions = [
            (K.split_versioned(k)[1], Write.decode(raw)) for k, raw in reader.snap.scan(lo, hi)
        ]
        points = _keep_points(key_enc, safepoint, retain)
        branch = _in_branch(reader, key_enc)
        progress.versions_deleted += _gc_one_key(writer, key_enc, versions, points, branch)
        progress.keys_scanned += 1
    return progress
