"""RemoteKv: a ``KvBackend`` over the gRPC Kv service of a cluster.

It keeps a channel to each known node and sends requests to the leader when it knows it
(timestamps and writes are the leader's work: a follower would forward them), otherwise to
the node that answered last; when that node is unreachable or says it cannot serve (no
leader, not caught up), the next node is tried until ``retry_s`` runs out. Requests are
idempotent (see ``raft_kv``), so a retry after a lost answer is safe; a one-phase commit
whose outcome stays unknown raises OutcomeUnknown (SQLSTATE 40003).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

import grpc

from cluster.batching import CallBatcher, TsoBatcher
from cluster.convert import (
    OutcomeUnknown,
    Unavailable,
    lock_from_pb,
    mutations_to_pb,
    raise_if_error,
    retain_to_pb,
    status_from_pb,
)
from cluster.proto import db9kv_pb2 as pb
from cluster.proto import db9kv_pb2_grpc as pb_grpc
from kv import interrupt
from kv.mvcc.branches import BranchLink
from kv.mvcc.records import Lock, Mutation
from kv.txn.cleanup import TxnStatus
from kv.txn.gc import GcProgress, RetainPoint


class RemoteKv:
    inline_reads = False

    def __init__(
        self, addrs: Sequence[str], *, retry_s: float = 15.0, rpc_timeout_s: float = 10.0
    ) -> None:
        if not addrs:
            raise ValueError("RemoteKv needs at least one node address")
        self.addrs = list(addrs)
        self.retry_s = retry_s
        self.rpc_timeout_s = rpc_timeout_s
        self._channels = [grpc.insecure_channel(a) for a in self.addrs]
        self._stubs = [pb_grpc.KvStub(c) for c in self._channels]  # type: ignore[no-untyped-call]
        self._current = 0
        self._routed = False  # _current was pointed at the leader since the last failure
        self._tso = TsoBatcher(self._fetch_ts)  # concurrent threads share one Tso call
        # Concurrent fresh reads share one KvBatchGet (one timestamp), concurrent blind
        # writes one KvOnePcBatch: TiKV's batch commands.
        self._fresh_gets: CallBatcher[bytes, tuple[bytes | None, int]] = CallBatcher(
            self._serve_fresh_gets
        )
        self._blind_writes: CallBatcher[Sequence[Mutation], pb.OnePcResult] = CallBatcher(
            self._serve_blind_writes
        )

    def _route(self) -> None:
        """Point ``_current`` at the leader if the current node names one we know."""
        self._routed = True
        try:
            s = self._stubs[self._current].ClusterStatus(pb.StatusRequest(), timeout=1)
        except grpc.RpcError:
            return
        if s.leader and s.leader_grpc in self.addrs:
            self._current = self.addrs.index(s.leader_grpc)

    def close(self) -> None:
        for c in self._channels:
            c.close()

    def _call(self, name: str, request: Any, *, idempotent: bool = True) -> Any:
        """Send ``request`` to the leader, trying the next node while none can serve it;
        a request that is not ``idempotent`` is not sent again once it may have landed
        (OutcomeUnknown at once)."""
        deadline = time.monotonic() + self.retry_s
        backoff = 0.05
        last: Exception | None = None
        unknown = False
        while True:
            if not self._routed and len(self._stubs) > 1:
                self._route()
            stub = self._stubs[self._current]
            try:
                timeout = max(0.5, min(self.rpc_timeout_s, deadline - time.monotonic()))
                response = getattr(stub, name)(request, timeout=timeout)
                error = getattr(response, "error", None)
                if error is not None and error.kind in ("Unavailable", "OutcomeUnknown"):
                    unknown = unknown or error.kind == "OutcomeUnknown"
                    last = Unavailable(error.message)
                else:
                    if error is not None:
                        raise_if_error(error)
                    return response
            except grpc.RpcError as exc:
                # The request may have reached the node before it failed.
                unknown = unknown or exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED
                last = exc
            if unknown and not idempotent:
                raise OutcomeUnknown(f"{name} may or may not have been applied: {_describe(last)}")
            if time.monotonic() + backoff >= deadline:
                if unknown:
                    raise OutcomeUnknown(f"no node confirmed {name} in time: {_describe(last)}")
                raise Unavailable(f"no cluster node could serve {name}: {_describe(last)}")
            self._current = (self._current + 1) % len(self._stubs)
            self._routed = False
            if not unknown:  # a cancel must not hide a request that may have been applied
                interrupt.check()
            time.sleep(backoff)
            backoff = min(backoff * 2, 0.1)

    # -- KvBackend --------------------------------------------------------------------------

    def get_ts(self, count: int = 1) -> int:
        return self._tso.get_ts(count)[0]

    def begin_prepare(self) -> Callable[[], Future[Any]] | None:
        return None  # no reads inline: a statement on it runs in a worker thread

    def _fetch_ts(self, count: int) -> tuple[int, int]:
        return int(self._call("Tso", pb.TsoRequest(count=count)).ts), 0

    def get(self, key: bytes, ts: int) -> bytes | None:
        r = self._call("KvGet", pb.GetRequest(key=key, ts=ts))
        return bytes(r.value) if r.found else None

    def get_fresh(self, key: bytes) -> tuple[bytes | None, int]:
        return self._fresh_gets.call(key)

    def _serve_fresh_gets(self, keys: Sequence[bytes]) -> list[tuple[bytes | None, int]]:
        r = self._call("KvBatchGet", pb.BatchGetRequest(keys=list(set(keys)), ts=0))
        found = {p.key: p.value for p in r.pairs}
        return [(found.get(k), int(r.ts)) for k in keys]

    def batch_get(self, keys: Sequence[bytes], ts: int) -> dict[bytes, bytes]:
        r = self._call("KvBatchGet", pb.BatchGetRequest(keys=list(keys), ts=ts))
        return {p.key: p.value for p in r.pairs}

    def scan(
        self,
        start: bytes,
        end: bytes | None,
        ts: int,
        *,
        limit: int | None = None,
        reverse: bool = False,
    ) -> list[tuple[bytes, bytes]]:
        req = pb.ScanRequest(
            start=start,
            has_end=end is not None,
            end=end or b"",
            ts=ts,
            limit=limit or 0,
            reverse=reverse,
        )
        return [(p.key, p.value) for p in self._call("KvScan", req).pairs]

    def scan_locks(
        self, max_ts: int, start: bytes = b"", end: bytes | None = None, limit: int | None = None
    ) -> list[Lock]:
        req = pb.ScanLocksRequest(
            max_ts=max_ts, start=start, has_end=end is not None, end=end or b"", limit=limit or 0
        )
        return [lock_from_pb(m) for m in self._call("KvScanLock", req).locks]

    def prewrite(
        self,
        mutations: Sequence[Mutation],
        primary: bytes,
        start_ts: int,
        lock_ttl_ms: int,
        txn_size: int = 0,
    ) -> None:
        self._call(
            "KvPrewrite",
            pb.PrewriteRequest(
                mutations=mutations_to_pb(mutations),
                primary=primary,
                start_ts=start_ts,
                lock_ttl_ms=lock_ttl_ms,
                txn_size=txn_size,
            ),
        )

    def commit(self, keys: Sequence[bytes], start_ts: int, commit_ts: int) -> None:
        self._call(
            "KvCommit", pb.CommitRequest(keys=list(keys), start_ts=start_ts, commit_ts=commit_ts)
        )

    def one_pc(self, mutations: Sequence[Mutation], start_ts: int) -> int:
        if not start_ts:  # a blind write: batched, its start_ts drawn by the leader
            done = self._blind_writes.call(mutations)
            if done.error.kind in ("Unavailable", "OutcomeUnknown"):
                return self.one_pc(mutations, done.start_ts)  # the same commit, retried
            raise_if_error(done.error)
            return int(done.commit_ts)
        r = self._call(
            "KvOnePc", pb.OnePcRequest(mutations=mutations_to_pb(mutations), start_ts=start_ts)
        )
        return int(r.ts)

    def _serve_blind_writes(self, batch: Sequence[Sequence[Mutation]]) -> list[pb.OnePcResult]:
        req = pb.OnePcBatchRequest(
            commits=[pb.OnePcRequest(mutations=mutations_to_pb(m)) for m in batch]
        )
        return list(self._call("KvOnePcBatch", req, idempotent=False).results)

    def rollback(self, keys: Sequence[bytes], start_ts: int) -> None:
        self._call("KvBatchRollback", pb.RollbackRequest(keys=list(keys), start_ts=start_ts))

    def check_txn_status(
        self, primary: bytes, lock_ts: int, current_ts: int, *, rollback_if_not_exist: bool = True
    ) -> TxnStatus:
        r = self._call(
            "KvCheckTxnStatus",
            pb.CheckTxnStatusRequest(
                primary=primary,
                lock_ts=lock_ts,
                current_ts=current_ts,
                rollback_if_not_exist=rollback_if_not_exist,
            ),
        )
        return status_from_pb(r)

    def txn_heart_beat(self, primary: bytes, start_ts: int, ttl_ms: int) -> int:
        r = self._call(
            "KvTxnHeartBeat", pb.HeartBeatRequest(primary=primary, start_ts=start_ts, ttl_ms=ttl_ms)
        )
        return int(r.count)

    def resolve_lock(
        self, start_ts: int, commit_ts: int, keys: Sequence[bytes] | None = None
    ) -> int:
        r = self._call(
            "KvResolveLock",
            pb.ResolveLockRequest(
                start_ts=start_ts, commit_ts=commit_ts, all_keys=keys is None, keys=list(keys or [])
            ),
        )
        return int(r.count)

    def gc(
        self, safepoint: int, retain: Sequence[RetainPoint] = (), *, full: bool = False
    ) -> GcProgress:
        req = pb.GcRequest(safepoint=safepoint, retain=retain_to_pb(retain), full=full)
        r = self._call("KvGC", req)
        return GcProgress(r.keys_scanned, r.versions_deleted, None)

    def safepoint(self) -> int:
        return int(self._call("KvSafepoint", pb.StatusRequest()).ts)

    def set_branch(self, child: bytes, parent: bytes, fork_ts: int) -> None:
        self._call("KvSetBranch", pb.SetBranchRequest(child=child, parent=parent, fork_ts=fork_ts))

    def drop_prefix(self, prefix: bytes) -> int:
        return int(self._call("KvDropPrefix", pb.DropPrefixChunk(prefix=prefix)).count)

    def branch_links(self) -> dict[bytes, BranchLink]:
        r = self._call("KvBranchLinks", pb.StatusRequest())
        return {m.child: BranchLink(m.parent, m.fork_ts) for m in r.links}

    def reset_branch(self, child: bytes, fork_ts: int) -> None:
        self._call("KvResetBranch", pb.SetBranchRequest(child=child, fork_ts=fork_ts))

    # -- cluster ----------------------------------------------------------------------------

    def status(self, addr_index: int | None = None) -> pb.StatusResponse:
        """One node's view (the first answering node, or the node at ``addr_index``)."""
        if addr_index is not None:
            status: pb.StatusResponse = self._stubs[addr_index].ClusterStatus(
                pb.StatusRequest(), timeout=3
            )
            return status
        answer: pb.StatusResponse = self._call("ClusterStatus", pb.StatusRequest())
        return answer

    def add_node(self, raft_addr: str) -> None:
        self._call("AddNode", pb.MembershipRequest(raft_addr=raft_addr))

    def remove_node(self, raft_addr: str) -> None:
        self._call("RemoveNode", pb.MembershipRequest(raft_addr=raft_addr))

    # -- consistency check (cluster/consistency.py) -----------------------------------------

    def compute_hash(self, chunk_bits: int) -> int:
        """Propose a compute_hash entry through any member; its Raft index."""
        return int(self._call("ComputeHash", pb.ComputeHashRequest(chunk_bits=chunk_bits)).index)

    def get_hash(self, addr_index: int, index: int, wait_s: float) -> pb.HashResponse:
        """The hash at ``index`` of the node at ``addr_index``, waiting up to ``wait_s``."""
        answer: pb.HashResponse = self._stubs[addr_index].GetHash(
            pb.HashRequest(index=index, wait_ms=int(wait_s * 1000)), timeout=wait_s + 5
        )
        return answer

    def identity(self, addr_index: int) -> pb.IdentityResponse:
        """The node's identity and role, and the members as it knows them."""
        r: pb.IdentityResponse = self._stubs[addr_index].IdentityStatus(
            pb.StatusRequest(), timeout=3
        )
        raise_if_error(r.error)
        return r

    def readmit(self, raft_addr: str, timeout_s: int) -> pb.IdentityResponse:
        """Have the leader catch the learner at ``raft_addr`` up and make it a voter."""
        r: pb.IdentityResponse = self._call(
            "Readmit", pb.ReadmitRequest(raft_addr=raft_addr, timeout_s=timeout_s)
        )
        return r


def _describe(exc: Exception | None) -> str:
    """One readable line for the last failure (gRPC errors print as several lines)."""
    if isinstance(exc, grpc.RpcError) and isinstance(exc, grpc.Call):
        return f"{exc.code().name.lower()}: {exc.details()}"
    return str(exc)
