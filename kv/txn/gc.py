"""Garbage collection of old versions below a safepoint.

For every key GC keeps all versions newer than the safepoint and, for the safepoint itself and
for each retain point that covers the key (a branch forked at that timestamp), the newest
version at or below it. ROLLBACK and LOCK records at or below the safepoint go, and so do
tombstones with nothing older left to hide. Reads below the safepoint are refused elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kv.mvcc import keys as K
from kv.mvcc.reader import MvccReader
from kv.mvcc.records import Write, WriteKind
from kv.mvcc.writer import MvccWriter


@dataclass(frozen=True)
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


def _gc_one_key(
    writer: MvccWriter,
    key_enc: bytes,
    versions: list[tuple[int, Write]],
    points: list[int],
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
    # A tombstone that hides nothing older is itself garbage.
    while kept_below and kept_below[-1][1].kind == WriteKind.DELETE:
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
        key = K.dec(current)
        extra = sorted({r.ts for r in retain if r.ts < safepoint and key.startswith(r.prefix)})
        points = [safepoint, *reversed(extra)]
        progress.versions_deleted += _gc_one_key(writer, current, versions, points)
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
