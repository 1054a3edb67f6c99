"""Python values of the KV layer to protobuf messages and back, errors included.

Errors cross the wire as ``KvError`` (class name plus fields) and are raised again as the
same ``kv.errors`` class on the other side, so the transaction client handles a remote
KeyIsLocked exactly like a local one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cluster.proto import db9kv_pb2 as pb
from kv import errors as E
from kv.mvcc.records import Lock, Mutation, Op, WriteKind
from kv.txn.cleanup import TxnState, TxnStatus
from kv.txn.gc import GcBatch, RetainPoint


class Unavailable(E.Db9Error):
    """No Raft leader could take the command in time (a partition, an election)."""

    sqlstate = "57P03"  # cannot_connect_now


class OutcomeUnknown(E.Db9Error):
    """The command may or may not have been applied: the leader changed while it was in flight."""

    sqlstate = "40003"  # statement_completion_unknown


def mutations_to_pb(mutations: Iterable[Mutation]) -> list[pb.Mutation]:
    return [pb.Mutation(op=int(m.op), key=m.key, value=m.value) for m in mutations]


def mutations_from_pb(items: Iterable[pb.Mutation]) -> list[Mutation]:
    try:
        return [Mutation(Op(m.op), m.key, m.value) for m in items]
    except ValueError as exc:
        raise E.InvalidArgument(f"bad mutation: {exc}") from None


def lock_to_pb(lock: Lock) -> pb.LockInfo:
    return pb.LockInfo(
        key=lock.key,
        primary=lock.primary,
        start_ts=lock.start_ts,
        ttl_ms=lock.ttl_ms,
        kind=int(lock.kind),
        has_short_value=lock.short_value is not None,
        short_value=lock.short_value or b"",
        txn_size=lock.txn_size,
    )


def lock_from_pb(m: pb.LockInfo) -> Lock:
    return Lock(
        m.key,
        m.primary,
        m.start_ts,
        m.ttl_ms,
        WriteKind(m.kind),
        m.short_value if m.has_short_value else None,
        m.txn_size,
    )


def retain_to_pb(points: Sequence[RetainPoint]) -> list[pb.RetainPoint]:
    return [pb.RetainPoint(prefix=p.prefix, ts=p.ts) for p in points]


def retain_from_pb(items: Iterable[pb.RetainPoint]) -> list[RetainPoint]:
    return [RetainPoint(p.prefix, p.ts) for p in items]


def gc_batch_to_pb(batch: GcBatch) -> pb.GcDelete:
    return pb.GcDelete(
        safepoint=batch.safepoint,
        retain=retain_to_pb(batch.retain),
        versions=[pb.GcKeyVersions(key_enc=k, commit_ts=ts) for k, ts in batch.versions],
        log_keys=batch.log_keys,
        has_cursor=batch.cursor is not None,
        cursor=batch.cursor or b"",
    )


def gc_batch_from_pb(m: pb.GcDelete) -> GcBatch:
    return GcBatch(
        m.safepoint,
        retain_from_pb(m.retain),
        [(v.key_enc, list(v.commit_ts)) for v in m.versions],
        list(m.log_keys),
        m.cursor if m.has_cursor else None,
    )


def status_to_pb(s: TxnStatus) -> pb.TxnStatusResponse:
    return pb.TxnStatusResponse(
        state=s.state.value, commit_ts=s.commit_ts, lock_ttl_ms=s.lock_ttl_ms, reason=s.reason
    )


def status_from_pb(m: pb.TxnStatusResponse) -> TxnStatus:
    return TxnStatus(TxnState(m.state), m.commit_ts, m.lock_ttl_ms, m.reason)


# -- errors ---------------------------------------------------------------------------------


def error_to_pb(exc: E.Db9Error) -> pb.KvError:
    out = pb.KvError(kind=type(exc).__name__, message=exc.message, detail=exc.detail or "")
    key = getattr(exc, "key", None)
    if isinstance(key, bytes):
        out.key = key
    for name in ("start_ts", "commit_ts", "safepoint"):
        value = getattr(exc, name, None)
        if isinstance(value, int):
            setattr(out, name, value)
    if isinstance(exc, E.WriteConflict):
        out.commit_ts = exc.conflict_commit_ts
    if isinstance(exc, E.SnapshotTooOld):
        out.start_ts = exc.ts
    if isinstance(exc, E.KeyIsLocked):
        out.lock.CopyFrom(lock_to_pb(exc.lock))
    return out


def error_from_pb(m: pb.KvError) -> E.Db9Error:
    kind = m.kind
    if kind == "KeyIsLocked":
        return E.KeyIsLocked(lock_from_pb(m.lock))
    if kind == "WriteConflict":
        return E.WriteConflict(m.key, m.start_ts, m.commit_ts)
    if kind == "TxnLockNotFound":
        return E.TxnLockNotFound(m.key, m.start_ts)
    if kind == "TxnAborted":
        return E.TxnAborted(m.start_ts, m.message)
    if kind == "AlreadyExists":
        return E.AlreadyExists(m.key)
    if kind == "AlreadyCommitted":
        return E.AlreadyCommitted(m.start_ts, m.commit_ts)
    if kind == "SnapshotTooOld":
        return E.SnapshotTooOld(m.start_ts, m.safepoint)
    simple: dict[str, type[E.Db9Error]] = {
        "LimitExceeded": E.LimitExceeded,
        "StorageError": E.StorageError,
        "DiskFull": E.DiskFull,
        "InvalidArgument": E.InvalidArgument,
        "Unavailable": Unavailable,
        "OutcomeUnknown": OutcomeUnknown,
    }
    cls = simple.get(kind, E.Db9Error)
    return cls(m.message, detail=m.detail or None)


def raise_if_error(m: pb.KvError) -> None:
    """Raise the error a response carries, if it carries one."""
    if m.kind:
        raise error_from_pb(m)
