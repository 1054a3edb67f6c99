"""The consistency check: every replica hashes its store at the same Raft index; compare.

As TiKV's ComputeHash/VerifyHash: ``compute_hash`` is a Raft entry, so every replica reaches it
after exactly the same entries. A replica applying it opens an LMDB read snapshot there (the
previous entry's transaction has committed, the next one has not started) and hashes that
snapshot on a background thread while applying goes on. ``db9 cluster check`` proposes the
entry, collects each member's hash at its index (``GetHash``) and reports every key range where
members differ.

The keyspace is cut into chunks at content-defined boundaries: a key starts a chunk when the
low ``bits`` bits of its CRC-32 are zero (about 2**bits keys per chunk; the first chunk starts
at the empty key). Boundaries depend only on the keys present, so an extra, missing or changed
key on one replica disturbs the chunk around it, not every chunk after it. Node-local keys
(such as the index of the last applied entry) are not replicated state and are skipped.
Hashing runs at about 200k keys/s per node; it gives way (state "aborted") when the LMDB map
must grow, since a resize waits for every open snapshot.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import grpc

from cluster.client import RemoteKv
from cluster.proto import db9kv_pb2 as pb
from kv.engine.base import Snapshot
from kv.engine.lmdb import LmdbEngine
from kv.mvcc import keys as K

log = logging.getLogger(__name__)

DEFAULT_CHUNK_BITS = 10  # chunks of ~1024 keys: 10M keys answer in ~1 MB
MAX_CHUNK_BITS = 24
KEEP_RESULTS = 16  # hashes a replica remembers, by index
_LENS = struct.Struct(">II")
_STOP_EVERY = 4096  # keys between two looks at a pending map resize


@dataclass(frozen=True)
class Chunk:
    """The keys from ``start`` (inclusive) up to the next chunk's start."""

    start: bytes
    keys: int
    digest: bytes


@dataclass
class HashResult:
    index: int
    state: str = "running"  # running, done, aborted
    chunks: list[Chunk] = field(default_factory=list)
    detail: str = ""


class _Aborted(Exception):
    pass


def hash_snapshot(
    snap: Snapshot, bits: int, skip: frozenset[bytes], should_stop: Callable[[], bool]
) -> list[Chunk]:
    """The chunks of everything in ``snap`` but the ``skip`` keys (see the module docstring)."""
    mask = (1 << bits) - 1
    chunks: list[Chunk] = []
    start, n, h = b"", 0, hashlib.blake2b(digest_size=16)
    for i, (key, value) in enumerate(snap.scan(b"")):
        if i % _STOP_EVERY == 0 and should_stop():
            raise _Aborted
        if key in skip:
            continue
        if zlib.crc32(key) & mask == 0:
            chunks.append(Chunk(start, n, h.digest()))
            start, n, h = key, 0, hashlib.blake2b(digest_size=16)
        h.update(_LENS.pack(len(key), len(value)))
        h.update(key)
        h.update(value)
        n += 1
    chunks.append(Chunk(start, n, h.digest()))
    return chunks


class HashStore:
    """The hashes this replica computed, by Raft index (the last ``KEEP_RESULTS``)."""

    def __init__(self, engine: LmdbEngine, local_keys: frozenset[bytes]) -> None:
        self.engine = engine
        self.local_keys = local_keys
        self._results: dict[int, HashResult] = {}
        self._cond = threading.Condition()

    def start(self, index: int, bits: int) -> None:
        """On the applying thread, at entry ``index``: snapshot here, hash on another thread.

        py-lmdb opens environments with MDB_NOTLS, so the read transaction may move threads.
        """
        snap = self.engine.snapshot()
        result = HashResult(index)
        with self._cond:
            self._results[index] = result
            for old in sorted(self._results)[:-KEEP_RESULTS]:
                del self._results[old]
            self._cond.notify_all()
        threading.Thread(
            target=self._run, args=(result, snap, bits), name=f"hash-{index}", daemon=True
        ).start()

    def _run(self, result: HashResult, snap: Snapshot, bits: int) -> None:
        started = time.monotonic()
        chunks: list[Chunk] = []
        try:
            # A map resize waits for every open snapshot: give way rather than stall writes.
            chunks = hash_snapshot(snap, bits, self.local_keys, self.engine.resize_waiting)
            state, detail = "done", ""
        except _Aborted:
            state, detail = "aborted", "the LMDB map had to grow while hashing: check again"
        except Exception as exc:  # reported to the checker, not raised into a daemon thread
            log.exception("hashing the store at index %d failed", result.index)
            state, detail = "aborted", f"hashing failed: {exc}"
        finally:
            snap.close()
        with self._cond:
            result.chunks, result.state, result.detail = chunks, state, detail
            self._cond.notify_all()
        log.info(
            "store hash at index %d: %s, %d keys in %d chunks, %.2fs",
            result.index,
            state,
            sum(c.keys for c in chunks),
            len(chunks),
            time.monotonic() - started,
        )

    def wait(
        self, index: int, timeout_s: float, applied_index: Callable[[], int]
    ) -> tuple[str, HashResult | None]:
        """The state of the hash at ``index`` once finished, or when ``timeout_s`` runs out:
        pending (not applied yet), running, done, aborted, or missing (applied without a hash
        here: replayed after a restart, or skipped by a snapshot install, or long forgotten).

        ``start`` runs inside the apply of ``index``, before the applied index passes it, so
        "applied and no result" means there will be none.
        """
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                result = self._results.get(index)
                if result is not None and result.state != "running":
                    return result.state, result
                if result is None and applied_index() >= index:
                    return "missing", None
                left = deadline - time.monotonic()
                if left <= 0:
                    return ("running" if result else "pending"), result
                self._cond.wait(min(left, 0.1))  # the applied index moves without a notify


# -- the checker's side ---------------------------------------------------------------------


@dataclass
class MemberHash:
    addr: str  # the gRPC address it was asked at
    state: str  # done, or why it is unchecked: unreachable, missing, aborted, pending, ...
    node_id: int = 0
    raft_addr: str = ""
    applied_index: int = 0
    chunks: list[Chunk] = field(default_factory=list)
    detail: str = ""

    @property
    def keys(self) -> int:
        return sum(c.keys for c in self.chunks)


@dataclass
class Mismatch:
    """A key range ``[start, end)`` (``end`` None: to the end) where members' hashes differ,
    and how many keys each member holds in it."""

    start: bytes
    end: bytes | None
    keys: dict[str, int]


@dataclass
class CheckReport:
    index: int
    members: list[MemberHash]
    mismatches: list[Mismatch]

    @property
    def unchecked(self) -> list[MemberHash]:
        return [m for m in self.members if m.state != "done"]

    @property
    def ok(self) -> bool:
        """Every member checked, at least two, and no difference."""
        return not self.mismatches and not self.unchecked and len(self.members) >= 2


def compare(members: dict[str, list[Chunk]]) -> list[Mismatch]:
    """Every maximal key range where the members' chunks differ.

    The union of all members' chunk starts cuts the keyspace into intervals; an interval is
    good when every member's chunk covering it has the same start, end and digest. Adjacent
    bad intervals merge, and a merged range never cuts through any member's chunk.
    """
    if len(members) < 2:
        return []
    views = {name: [c.start for c in chunks] for name, chunks in members.items()}
    bounds = sorted({c.start for chunks in members.values() for c in chunks})
    bad: list[tuple[bytes, bytes | None]] = []
    for i, lo in enumerate(bounds):
        hi = bounds[i + 1] if i + 1 < len(bounds) else None
        seen = set()
        for name, chunks in members.items():
            starts = views[name]
            j = bisect.bisect_right(starts, lo) - 1  # >= 0: every member starts at b""
            end = starts[j + 1] if j + 1 < len(starts) else None
            seen.add((starts[j], end, chunks[j].digest))
        if len(seen) > 1:
            if bad and bad[-1][1] == lo:
                bad[-1] = (bad[-1][0], hi)
            else:
                bad.append((lo, hi))
    return [
        Mismatch(
            lo,
            hi,
            {
                name: sum(c.keys for c in chunks if lo <= c.start and (hi is None or c.start < hi))
                for name, chunks in members.items()
            },
        )
        for lo, hi in bad
    ]


def run_check(
    addrs: list[str],
    *,
    chunk_bits: int = DEFAULT_CHUNK_BITS,
    timeout_s: float = 60.0,
    unreachable_grace_s: float = 5.0,
) -> CheckReport:
    """Propose ``compute_hash`` through any reachable member, then collect every member's hash
    at that index (waiting up to ``timeout_s`` for members to apply and finish it) and compare.
    A member that stays unreachable for ``unreachable_grace_s`` is reported unchecked."""
    client = RemoteKv(addrs, retry_s=min(timeout_s, 15.0))
    try:
        index = client.compute_hash(chunk_bits)
        deadline = time.monotonic() + timeout_s
        members = [
            _collect(client, i, addr, index, deadline, unreachable_grace_s)
            for i, addr in enumerate(addrs)
        ]
        members += _not_asked(client, members)
    finally:
        client.close()
    done = {m.addr: m.chunks for m in members if m.state == "done"}
    return CheckReport(index, members, compare(done))


def _not_asked(client: RemoteKv, members: list[MemberHash]) -> list[MemberHash]:
    """Members of the Raft configuration that the check did not reach through ``addrs``: a
    check of some replicas must not read as a check of all."""
    try:
        status = client.status()
    except Exception:  # the hashes are the answer; this is a courtesy
        return []
    config = {status.raft_addr, *(p.raft_addr for p in status.peers)}
    unmatched = sorted(config - {m.raft_addr for m in members if m.raft_addr})
    unreachable = sum(1 for m in members if not m.raft_addr)
    if len(unmatched) <= unreachable:
        return []  # the unreachable addresses given may well be these members
    return [
        MemberHash(f"raft {r}", "not asked", raft_addr=r, detail="add its gRPC address to --grpc")
        for r in unmatched
    ]


def _collect(
    client: RemoteKv, i: int, addr: str, index: int, deadline: float, grace_s: float
) -> MemberHash:
    first_failure: float | None = None
    while True:
        left = deadline - time.monotonic()
        try:
            r = client.get_hash(i, index, wait_s=max(0.0, min(left, 2.0)))
        except grpc.RpcError as exc:
            now = time.monotonic()
            first_failure = first_failure if first_failure is not None else now
            if now - first_failure >= grace_s or now >= deadline:
                detail = f"{exc.code().name.lower()}: {exc.details()}"
                return MemberHash(addr, "unreachable", detail=detail)
            time.sleep(0.2)
            continue
        first_failure = None
        member = MemberHash(
            addr,
            r.state,
            node_id=r.node_id,
            raft_addr=r.raft_addr,
            applied_index=r.applied_index,
            chunks=[Chunk(c.start, c.keys, c.digest) for c in r.chunks],
            detail=r.detail,
        )
        if r.state not in ("pending", "running") or time.monotonic() >= deadline:
            if r.state in ("pending", "running"):
                member.detail = member.detail or f"not finished in time (applied {r.applied_index})"
            return member


def hash_response(state: str, result: HashResult | None, index: int) -> pb.HashResponse:
    chunks = result.chunks if result is not None and state == "done" else []
    return pb.HashResponse(
        state=state,
        index=index,
        chunks=[pb.HashChunk(start=c.start, keys=c.keys, digest=c.digest) for c in chunks],
        detail=result.detail if result is not None else "",
    )


# -- printing keys ---------------------------------------------------------------------------


def _printable(raw: bytes) -> str:
    return "".join(chr(b) if 32 <= b < 127 and b != 92 else f"\\x{b:02x}" for b in raw)


def describe_key(key: bytes | None) -> str:
    """An engine key for people: its column family, the user key and the timestamp."""
    if key is None:
        return "(end)"
    if key == b"":
        return "(start)"
    tag, rest = key[:1], key[1:]
    try:
        if tag == K.LOCK:
            return f"lock '{_printable(K.dec(rest))}'"
        if tag in (K.WRITE, K.DATA) and len(rest) > 8:
            user_enc, ts = K.split_versioned(key)
            kind = "write" if tag == K.WRITE else "data"
            return f"{kind} '{_printable(K.dec(user_enc))}' @{ts}"
        if tag == K.META:
            return f"meta '{_printable(rest)}'"
    except Exception:  # not a well-formed key (a corrupt one, say): show its bytes
        pass
    return f"raw '{_printable(key)}'"
