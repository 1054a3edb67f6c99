"""Garbage collection of old versions below a safepoint: deciding what to delete, and deleting.

For every key GC keeps all versions newer than the safepoint and, for the safepoint itself and
for each retain point that covers the key (a branch forked at that timestamp), the newest
version at or below it. ROLLBACK and LOCK records at or below the safepoint go, and so do
tombstones with nothing older left to hide. Reads below the safepoint are refused elsewhere.

A pass is split as TiKV splits it: the planner (``plan_log``, ``plan_keys``) reads a snapshot
outside the write path and names the versions to delete; ``delete_versions`` applies such a
list as one small write command (a Raft command in a cluster), deciding each named version
again against the store as it is then, with seeks bounded by the key's neighbouring versions
(``collectable``), never by how many versions the key has. So a deletion is deterministic on
every replica, idempotent on replay, and safe whatever changed since the snapshot; a pass
costs the write path what it deletes, and a pass that finds nothing writes nothing.

Which keys to visit: garbage appears only where a write record lands on a key that already has
one, or is a tombstone, ROLLBACK or LOCK record (a key's first PUT hides nothing and is not
garbage). Every such record is logged in the GC log (``put_version``, in the same batch), keyed
by its commit_ts; a pass at safepoint S plans the keys of the log's entries at or below S, and
the deletion commands delete those entries with the versions. Invariant: after a key's entries
at or below S were visited at S, its versions at or below S hold no garbage for any later
safepoint until a new record lands (which logs itself) or a retain point covering it goes away:
then a full walk (``plan_keys`` over every key) is needed, as it is for a store written before
the log existed. A full walk persists its position (``FULL_CURSOR_KEY``) with its deletions, so
an interrupted one resumes where it stopped.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from kv.mvcc import keys as K
from kv.mvcc.reader import MvccReader
from kv.mvcc.records import Write, WriteKind
from kv.mvcc.writer import MvccWriter

# Where an unfinished full walk stands: its retain points, then the next key to visit.
FULL_CURSOR_KEY = K.meta_key("gc_full_cursor")
_POINT = struct.Struct(">QI")  # ts, prefix length; then the prefix
_U32 = struct.Struct(">I")
_TOMBSTONE_KINDS = (WriteKind.ROLLBACK, WriteKind.LOCK)  # never a key's visible version


@dataclass(frozen=True, order=True)
class RetainPoint:
    """Keep, for keys starting with ``prefix``, the newest version at or below ``ts``.

    This is the hook for copy-on-write branches: a branch forked from ``prefix`` at ``ts``
    still reads its parent's versions as of ``ts`` long after the parent moved on.
    """

    prefix: bytes
    ts: int


def encode_points(points: Iterable[RetainPoint]) -> bytes:
    return b"".join(_POINT.pack(r.ts, len(r.prefix)) + r.prefix for r in sorted(points))


def decode_points(raw: bytes) -> list[RetainPoint]:
    points, off = [], 0
    while off < len(raw):
        ts, n = _POINT.unpack_from(raw, off)
        off += _POINT.size
        points.append(RetainPoint(raw[off : off + n], ts))
        off += n
    return points


@dataclass
class GcProgress:
    keys_scanned: int = 0
    versions_deleted: int = 0
    next_key_enc: bytes | None = None  # where the next chunk starts; None when done


@dataclass
class GcBatch:
    """One deletion command: versions named by a planner, re-decided when applied."""

    safepoint: int  # at or below the store's agreed safepoint, or the command is refused
    retain: Sequence[RetainPoint]
    versions: list[tuple[bytes, list[int]]] = field(default_factory=list)  # key_enc, commit_ts
    log_keys: list[bytes] = field(default_factory=list)  # GC log entries visited
    cursor: bytes | None = None  # a full walk's position to persist (b"": the walk finished)

    def size(self) -> int:
        return sum(len(ts) for _, ts in self.versions) + len(self.log_keys)


@dataclass
class GcPlan:
    """What a planner found in one chunk of a snapshot."""

    versions: list[tuple[bytes, list[int]]] = field(default_factory=list)
    log_keys: list[bytes] = field(default_factory=list)
    keys_scanned: int = 0
    next: bytes | None = None  # where the next chunk starts (engine key); None when done

    def batches(
        self, safepoint: int, retain: Sequence[RetainPoint], max_ops: int
    ) -> Iterator[GcBatch]:
        """The plan as deletion commands of at most ``max_ops`` versions and log entries (a
        key's versions may span several)."""
        batch = GcBatch(safepoint, retain)
        for key_enc, stamps in self.versions:
            while stamps:
                room = max_ops - batch.size()
                batch.versions.append((key_enc, stamps[:room]))
                stamps = stamps[room:]
                if batch.size() >= max_ops:
                    yield batch
                    batch = GcBatch(safepoint, retain)
        entries = self.log_keys
        while entries:
            room = max_ops - batch.size()
            batch.log_keys.extend(entries[:room])
            entries = entries[room:]
            if batch.size() >= max_ops:
                yield batch
                batch = GcBatch(safepoint, retain)
        if batch.size():
            yield batch


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


# -- deciding -----------------------------------------------------------------------------------


def _plan_key(versions: list[tuple[int, Write]], points: list[int], in_branch: bool) -> list[int]:
    """The commit_ts of a key's collectable versions (``versions`` newest first, all of them;
    ``points`` the descending keep-timestamps): the planner's decision, with every version in
    hand. ``collectable`` decides one version alike from a few seeks."""
    pending = list(points)
    kept_below: list[tuple[int, Write]] = []
    doomed: list[int] = []
    safepoint = points[0]
    for commit_ts, write in versions:
        if commit_ts > safepoint:
            continue
        if write.kind in _TOMBSTONE_KINDS:
            doomed.append(commit_ts)
            continue
        needed = False
        while pending and pending[0] >= commit_ts:
            pending.pop(0)
            needed = True
        if needed:
            kept_below.append((commit_ts, write))
        else:
            doomed.append(commit_ts)
    # A tombstone that hides nothing older is itself garbage, except in a branch, where it
    # hides the parent's version of the key.
    while not in_branch and kept_below and kept_below[-1][1].kind == WriteKind.DELETE:
        doomed.append(kept_below.pop()[0])
    return doomed


def _visible_at_or_below(reader: MvccReader, key_enc: bytes, ts: int) -> WriteKind | None:
    """The kind of the key's newest PUT or DELETE at or below ``ts`` (one seek per record
    passed: a write transaction's scan would read a page ahead)."""
    lo, hi = K.write_key(key_enc, ts), K.versions_range(K.WRITE, key_enc)[1]
    while (item := reader.snap.seek(lo, hi)) is not None:
        kind = WriteKind(item[1][0])
        if kind not in _TOMBSTONE_KINDS:
            return kind
        lo = item[0] + b"\x00"
    return None


def _next_newer(reader: MvccReader, key_enc: bytes, commit_ts: int) -> int | None:
    """The commit_ts of the key's oldest PUT or DELETE newer than ``commit_ts``."""
    lo, hi = K.versions_range(K.WRITE, key_enc)[0], K.write_key(key_enc, commit_ts)
    while (item := reader.snap.seek_reverse(lo, hi)) is not None:
        if WriteKind(item[1][0]) not in _TOMBSTONE_KINDS:
            return K.split_versioned(item[0])[1]
        hi = item[0]
    return None


def collectable(
    reader: MvccReader,
    key_enc: bytes,
    commit_ts: int,
    write: Write,
    points: list[int],
    in_branch: bool,
) -> bool:
    """Whether the version is garbage at ``points`` (as ``_plan_key`` decides with the whole
    key in hand), from the store: a PUT or DELETE is kept for a point p when it is the newest
    at or below p (p lies between it and the next newer one), and a kept DELETE goes too when
    every kept version older than it is a DELETE (it hides nothing)."""
    if commit_ts > points[0]:
        return False
    if write.kind in _TOMBSTONE_KINDS:
        return True
    newer = _next_newer(reader, key_enc, commit_ts)
    if not any(commit_ts <= p and (newer is None or p < newer) for p in points):
        return True
    if write.kind != WriteKind.DELETE or in_branch:
        return False
    return all(
        _visible_at_or_below(reader, key_enc, p) != WriteKind.PUT for p in points if p < commit_ts
    )


# -- planning (a read snapshot, outside the write path) -----------------------------------------


def _versions(reader: MvccReader, key_enc: bytes) -> list[tuple[int, Write]]:
    lo, hi = K.versions_range(K.WRITE, key_enc)
    return [(K.split_versioned(k)[1], Write.decode(raw)) for k, raw in reader.snap.scan(lo, hi)]


def _plan_one(
    reader: MvccReader,
    plan: GcPlan,
    key_enc: bytes,
    versions: list[tuple[int, Write]],
    safepoint: int,
    retain: Sequence[RetainPoint],
) -> None:
    points = _keep_points(key_enc, safepoint, retain)
    doomed = _plan_key(versions, points, _in_branch(reader, key_enc))
    if doomed:
        plan.versions.append((key_enc, doomed))
    plan.keys_scanned += 1


def plan_keys(
    reader: MvccReader,
    safepoint: int,
    retain: Sequence[RetainPoint],
    start_key_enc: bytes,
    max_keys: int,
) -> GcPlan:
    """Plan up to ``max_keys`` keys of a full walk, from ``start_key_enc`` on; ``next`` is
    the key_enc where the walk goes on."""
    plan = GcPlan()
    current: bytes | None = None
    versions: list[tuple[int, Write]] = []
    for ek, raw in reader.snap.scan(K.WRITE + start_key_enc, bytes([K.WRITE[0] + 1])):
        key_enc, commit_ts = K.split_versioned(ek)
        if key_enc != current:
            if current is not None:
                _plan_one(reader, plan, current, versions, safepoint, retain)
                if plan.keys_scanned >= max_keys:
                    plan.next = key_enc
                    return plan
            current, versions = key_enc, []
        versions.append((commit_ts, Write.decode(raw)))
    if current is not None:
        _plan_one(reader, plan, current, versions, safepoint, retain)
    return plan


def plan_log(
    reader: MvccReader,
    safepoint: int,
    retain: Sequence[RetainPoint],
    start: bytes,
    max_entries: int,
) -> GcPlan:
    """Plan the keys of up to ``max_entries`` GC log entries at or below ``safepoint`` from
    engine key ``start`` on (``K.GC_LOG`` for the log's beginning); the entries go with the
    plan's deletions. ``next`` is the log key where the next chunk starts."""
    plan = GcPlan()
    seen: set[bytes] = set()
    for ek, _ in reader.snap.scan(max(start, K.GC_LOG), K.gc_log_end(safepoint)):
        if len(plan.log_keys) >= max_entries:
            plan.next = ek
            break
        plan.log_keys.append(ek)
        _, key_enc = K.split_gc_log(ek)
        if key_enc not in seen:
            seen.add(key_enc)
            _plan_one(reader, plan, key_enc, _versions(reader, key_enc), safepoint, retain)
    return plan


# -- deleting (one write command) ---------------------------------------------------------------


def delete_versions(reader: MvccReader, writer: MvccWriter, batch: GcBatch) -> int:
    """Delete the batch's versions that are collectable at its safepoint now, and its GC log
    entries at or below it; the versions deleted. The caller checked the safepoint is agreed.
    Reads only the store as the command finds it: the same on every replica and on replay."""
    deleted = 0
    for key_enc, stamps in batch.versions:
        points = _keep_points(key_enc, batch.safepoint, batch.retain)
        branch = _in_branch(reader, key_enc)
        for commit_ts in stamps:
            raw = reader.snap.get(K.write_key(key_enc, commit_ts))
            if raw is None:
                continue  # deleted already (a replay, or a pass that overlapped)
            write = Write.decode(raw)
            if not collectable(reader, key_enc, commit_ts, write, points, branch):
                continue
            writer.delete_write(key_enc, commit_ts)
            if write.kind == WriteKind.PUT and write.short_value is None:
                writer.delete_value(key_enc, write.start_ts)
            deleted += 1
    for ek in batch.log_keys:
        if ek[:1] == K.GC_LOG and len(ek) > 9 and K.split_gc_log(ek)[0] <= batch.safepoint:
            writer.batch.delete(ek)
    if batch.cursor is not None:
        if batch.cursor:
            writer.batch.put(FULL_CURSOR_KEY, batch.cursor)
        else:
            writer.batch.delete(FULL_CURSOR_KEY)
    return deleted


def full_cursor(retain: Sequence[RetainPoint], next_key_enc: bytes | None) -> bytes:
    """The persisted position of a full walk with ``retain`` (b"" once it finished)."""
    if next_key_enc is None:
        return b""
    points = encode_points(retain)
    return _U32.pack(len(points)) + points + next_key_enc


def resume_at(reader: MvccReader, retain: Sequence[RetainPoint]) -> bytes:
    """Where a full walk with ``retain`` starts: where an unfinished one stopped, unless a
    retain point it honoured is gone (the keys it passed may keep that point's versions)."""
    raw = reader.snap.get(FULL_CURSOR_KEY)
    if not raw:
        return b""
    (n,) = _U32.unpack_from(raw)
    walked = decode_points(raw[4 : 4 + n])
    return raw[4 + n :] if set(walked) <= set(retain) else b""


# -- a plan applied at once (the GC commands of Raft entries logged before ``GcBatch``) ---------


def _apply_plan(reader: MvccReader, writer: MvccWriter, plan: GcPlan, batch: GcBatch) -> int:
    batch.versions, batch.log_keys = plan.versions, plan.log_keys
    return delete_versions(reader, writer, batch)


def gc_chunk(
    reader: MvccReader,
    writer: MvccWriter,
    safepoint: int,
    retain: Sequence[RetainPoint],
    start_key_enc: bytes,
    max_keys: int,
) -> GcProgress:
    """Plan and delete up to ``max_keys`` keys from ``start_key_enc`` in one command."""
    plan = plan_keys(reader, safepoint, retain, start_key_enc, max_keys)
    deleted = _apply_plan(reader, writer, plan, GcBatch(safepoint, retain))
    return GcProgress(plan.keys_scanned, deleted, plan.next)


def gc_log_chunk(
    reader: MvccReader,
    writer: MvccWriter,
    safepoint: int,
    retain: Sequence[RetainPoint],
    max_entries: int,
) -> GcProgress:
    """Plan and delete the keys of up to ``max_entries`` GC log entries in one command."""
    plan = plan_log(reader, safepoint, retain, K.GC_LOG, max_entries)
    deleted = _apply_plan(reader, writer, plan, GcBatch(safepoint, retain))
    return GcProgress(plan.keys_scanned, deleted, K.GC_LOG if plan.next is not None else None)
