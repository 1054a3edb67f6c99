"""The MVCC key layout: three column families as one-byte tags in a single ordered keyspace.

    lock CF   b"L" <esc(key)>                      -> Lock record  (at most one lock per key)
    write CF  b"W" <esc(key)> <be64(~commit_ts)>   -> Write record (one per committed version)
    data CF   b"D" <esc(key)> <be64(~start_ts)>    -> value bytes  (only values too big to inline)
    meta      b"M" <name>                          -> store metadata (TSO limit, GC safepoint, ...)
    GC log    b"G" <be64(commit_ts)> <esc(key)>    -> b""  (a write record that may leave
                                                       garbage once the safepoint passes it)

``esc`` is the codec's escaped, self-delimiting byte encoding, so no user key's encoding is a
prefix of another's and every version of a key sits in one contiguous run. Timestamps are stored
inverted (``~ts``), so the newest version of a key comes first in a forward scan: a point read
at ``ts`` is a single seek to ``W <esc(key)> <be64(~ts)>``.
"""

from __future__ import annotations

import struct

from kv.codec import escape_bytes, unescape_bytes

LOCK = b"L"
WRITE = b"W"
DATA = b"D"
META = b"M"
GC_LOG = b"G"

# Databases and branches are key prefixes of this many bytes (sql.layout: b"d" + be32 id);
# the store knows only that much of the layout, to let a branch read through to its parent.
PREFIX_LEN = 5

_U64 = struct.Struct(">Q")
_MASK = (1 << 64) - 1
# Eight 0xff bytes follow every versioned key's last possible timestamp byte; one more byte
# after them bounds the run of all versions of one key.
VERSIONS_END = b"\xff" * 9


enc = escape_bytes  # esc(key); an alias, not a wrapper: it is on every read's path


def dec(key_enc: bytes) -> bytes:
    raw, _ = unescape_bytes(key_enc)
    return raw


def lock_key(key_enc: bytes) -> bytes:
    return LOCK + key_enc


def write_key(key_enc: bytes, commit_ts: int) -> bytes:
    return WRITE + key_enc + _U64.pack(_MASK ^ commit_ts)


def inverted_ts(ts: int) -> bytes:
    """The 8 timestamp bytes as stored after a versioned key."""
    return _U64.pack(_MASK ^ ts)


def data_key(key_enc: bytes, start_ts: int) -> bytes:
    return DATA + key_enc + _U64.pack(_MASK ^ start_ts)


def split_versioned(engine_key: bytes) -> tuple[bytes, int]:
    """(esc(key), ts) of a write or data CF key."""
    return engine_key[1:-8], _MASK ^ _U64.unpack_from(engine_key, len(engine_key) - 8)[0]


def versions_range(tag: bytes, key_enc: bytes) -> tuple[bytes, bytes]:
    """The engine range holding every version of one key in the write or data CF."""
    return tag + key_enc, tag + key_enc + VERSIONS_END


def cf_range(tag: bytes, start: bytes, end: bytes | None) -> tuple[bytes, bytes]:
    """The engine range of a user-key range ``[start, end)`` within one column family."""
    lo = tag + escape_bytes(start)
    hi = tag + escape_bytes(end) if end is not None else bytes([tag[0] + 1])
    return lo, hi


def gc_log_key(commit_ts: int, key_enc: bytes) -> bytes:
    return GC_LOG + _U64.pack(commit_ts) + key_enc


def gc_log_end(ts: int) -> bytes:
    """The end of the GC log's entries at or below ``ts``."""
    return GC_LOG + _U64.pack(ts + 1)


def split_gc_log(engine_key: bytes) -> tuple[int, bytes]:
    """(commit_ts, esc(key)) of a GC log entry."""
    return _U64.unpack_from(engine_key, 1)[0], engine_key[9:]


def meta_key(name: str) -> bytes:
    return META + name.encode()
