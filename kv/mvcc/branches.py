"""Copy-on-write branches: a key prefix that reads through to its parent's prefix.

A branch is a link ``child prefix -> (parent prefix, fork_ts)`` kept as a meta record; making
one writes nothing else, whatever the parent's size. A read of a branch key looks at the
branch's own versions first; if it finds none visible (a delete is visible: it hides the
parent's value), it reads the same key under the parent at ``min(ts, fork_ts)``, and so on
up the chain. Writes only ever go to the branch's own prefix. GC keeps, for each link, the
parent's versions a branch can still see (``RetainPoint(parent, fork_ts)``).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass

from kv.errors import InvalidArgument, SnapshotTooOld
from kv.mvcc import keys as K
from kv.mvcc.reader import ABSENT, MvccReader, mvcc_lookup
from kv.mvcc.writer import MvccWriter

LINK_META = K.META + b"branch/"
_LINK = struct.Struct(">Q")


@dataclass(frozen=True, slots=True)
class BranchLink:
    parent: bytes
    fork_ts: int

    def encode(self) -> bytes:
        return _LINK.pack(self.fork_ts) + self.parent

    @classmethod
    def decode(cls, raw: bytes) -> BranchLink:
        return cls(raw[8:], _LINK.unpack_from(raw)[0])


def link_key(child: bytes) -> bytes:
    return LINK_META + child


def load_links(reader: MvccReader) -> dict[bytes, BranchLink]:
    hi = LINK_META[:-1] + bytes([LINK_META[-1] + 1])
    return {k[len(LINK_META) :]: BranchLink.decode(v) for k, v in reader.snap.scan(LINK_META, hi)}


def next_prefix(prefix: bytes) -> bytes:
    """The smallest key greater than every key starting with ``prefix``."""
    b = bytearray(prefix)
    while b and b[-1] == 0xFF:
        b.pop()
    if not b:
        raise ValueError("prefix has no successor")
    b[-1] += 1
    return bytes(b)


def linked_prefix(
    links: Mapping[bytes, BranchLink], start: bytes, end: bytes | None
) -> bytes | None:
    """The branch prefix that the whole range ``[start, end)`` lies in, if it is a branch."""
    prefix = start[: K.PREFIX_LEN]
    if len(prefix) < K.PREFIX_LEN or prefix not in links or end is None:
        return None
    if end[: K.PREFIX_LEN] == prefix or end == next_prefix(prefix):
        return prefix
    return None


def _to_parent(key: bytes, prefix: bytes, link: BranchLink) -> bytes:
    if key == next_prefix(prefix):
        return next_prefix(link.parent)
    return link.parent + key[len(prefix) :]


def overlay_get(reader: MvccReader, key: bytes, ts: int) -> bytes | None:
    links = reader.links
    while True:
        value = mvcc_lookup(reader.snap, key, ts)
        if value is not ABSENT:
            return value
        prefix = key[: K.PREFIX_LEN]
        link = links.get(prefix)
        if link is None:
            return None
        key = link.parent + key[K.PREFIX_LEN :]
        ts = min(ts, link.fork_ts)


def overlay_exists(reader: MvccReader, key: bytes) -> bool:
    """Whether a branch key has a live value inherited from its parent chain (the parent as
    of the fork): what a unique check must also see, besides the branch's own versions."""
    link = reader.links.get(key[: K.PREFIX_LEN])
    if link is None:
        return False
    return reader.get(link.parent + key[K.PREFIX_LEN :], link.fork_ts) is not None


def overlay_scan(
    reader: MvccReader,
    prefix: bytes,
    start: bytes,
    end: bytes | None,
    ts: int,
    limit: int | None,
    reverse: bool,
) -> list[tuple[bytes, bytes]]:
    """Live pairs of a branch range: its own versions (deletes included, to hide the
    parent's) merged over the parent's range at ``min(ts, fork_ts)``, page by page."""
    assert end is not None
    link = reader.links[prefix]
    parent_ts = min(ts, link.fork_ts)
    out: list[tuple[bytes, bytes]] = []
    lo, hi = start, end
    while lo < hi and (limit is None or len(out) < limit):
        want = None if limit is None else limit - len(out)
        own = reader.own_scan(lo, hi, ts, limit=want, reverse=reverse, tombstones=True)
        # The part of [lo, hi) that ``own`` covers completely.
        if want is not None and len(own) >= want:
            last = own[-1][0]
            c_lo, c_hi = (last, hi) if reverse else (lo, last + b"\x00")
        else:
            c_lo, c_hi = lo, hi
        p_limit = None if want is None else want + len(own)
        parent = reader.scan(_to_parent(c_lo, prefix, link), _to_parent(c_hi, prefix, link),
                             parent_ts, limit=p_limit, reverse=reverse)  # fmt: skip
        if p_limit is not None and len(parent) >= p_limit:
            # The parent's page ended early: only up to its last key is complete.
            edge = prefix + parent[-1][0][len(link.parent) :]
            c_lo, c_hi = (edge, c_hi) if reverse else (c_lo, edge + b"\x00")
        mine = {k: v for k, v in own if c_lo <= k < c_hi}
        merged: dict[bytes, bytes | None] = {}
        for pk, pv in parent:
            key = prefix + pk[len(link.parent) :]
            if c_lo <= key < c_hi:
                merged[key] = pv
        merged.update(mine)
        for k in sorted(merged, reverse=reverse):
            value = merged[k]
            if value is not None:
                out.append((k, value))
                if limit is not None and len(out) >= limit:
                    break
        if reverse:
            hi = c_lo
        else:
            lo = c_hi
    return out


# -- commands (run through kv.commands, by kv.storage and the Raft state machine) ------------


def set_branch(
    reader: MvccReader,
    writer: MvccWriter,
    child: bytes,
    parent: bytes,
    fork_ts: int,
    safepoint: int,
    *,
    replace: bool = False,
) -> BranchLink:
    """Link ``child`` to ``parent`` as of ``fork_ts``. ``replace`` re-forks an existing
    branch whose own data was just dropped (a reset). Setting the link ``child`` already has
    changes nothing and succeeds: a retry whose first attempt was applied (its answer lost to
    a leader change, or not yet applied where the reconciler looked) is not an error."""
    if len(child) != K.PREFIX_LEN or len(parent) != K.PREFIX_LEN:
        raise InvalidArgument(f"branch prefixes are {K.PREFIX_LEN} bytes")
    existing = reader.snap.get(link_key(child))
    if existing is not None and not replace:
        same = BranchLink.decode(existing)
        if same.parent == parent and same.fork_ts == fork_ts:
            return same
    if child == parent:
        raise InvalidArgument("a branch cannot be its own parent")
    if fork_ts < safepoint:
        raise SnapshotTooOld(fork_ts, safepoint)
    if existing is not None and not replace:
        raise InvalidArgument(f"prefix {child!r} is already a branch")
    lo, hi = K.cf_range(K.WRITE, child, next_prefix(child))
    if reader.snap.seek(lo, hi) is not None:
        raise InvalidArgument(f"prefix {child!r} already holds data")
    up: bytes | None = parent
    for _ in range(len(reader.links) + 1):  # no cycles: the parent's chain must not reach us
        if up == child:
            raise InvalidArgument("branch links would form a cycle")
        link = reader.links.get(up) if up is not None else None
        up = link.parent if link is not None else None
    link = BranchLink(parent, fork_ts)
    writer.batch.put(link_key(child), link.encode())
    return link


def drop_prefix_chunk(
    reader: MvccReader,
    writer: MvccWriter,
    prefix: bytes,
    max_keys: int,
    *,
    keep_link: bool = False,
) -> tuple[int, bool]:
    """Delete up to ``max_keys`` engine keys under ``prefix``; (deleted, finished). With
    ``keep_link`` a branch keeps its link (a reset re-forks it afterwards)."""
    children = [c for c, link in reader.links.items() if link.parent == prefix]
    if children:
        raise InvalidArgument(f"prefix {prefix!r} still has {len(children)} branch(es)")
    n = 0
    for tag in (K.LOCK, K.WRITE, K.DATA):
        lo, hi = K.cf_range(tag, prefix, next_prefix(prefix))
        for ek, _ in reader.snap.scan(lo, hi, limit=max_keys - n):
            writer.batch.delete(ek)
            n += 1
        if n >= max_keys:
            return n, False
    if not keep_link:
        writer.batch.delete(link_key(prefix))
    return n, True
