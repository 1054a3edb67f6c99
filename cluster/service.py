"""The gRPC Kv service of one node: every RPC is the node's RaftKv call of the same name.

Any node answers any request: reads are served locally once caught up, and writes are
forwarded by Raft to the leader. Errors travel in the response's ``error`` field (as
``KvError``), so a client gets back the same kv.errors exception the store raised.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent import futures
from typing import Any, TypeVar

import grpc

from cluster.consistency import DEFAULT_CHUNK_BITS, hash_response
from cluster.convert import (
    error_to_pb,
    lock_to_pb,
    mutations_from_pb,
    retain_from_pb,
    status_to_pb,
)
from cluster.proto import db9kv_pb2 as pb
from cluster.proto import db9kv_pb2_grpc as pb_grpc
from cluster.raft_identity import IdentityGuard
from cluster.raft_kv import RaftKv
from kv.errors import Db9Error, DiskFull

log = logging.getLogger(__name__)
R = TypeVar("R")


def _answer(response: type[R], fn: Callable[[], Any]) -> R:
    """Run ``fn``; its dict result fills the response, a Db9Error its ``error`` field."""
    try:
        fields = fn() or {}
    except Db9Error as exc:
        return response(error=error_to_pb(exc))  # type: ignore[call-arg]
    return response(**fields)


class KvService(pb_grpc.KvServicer):
    def __init__(
        self,
        kv: RaftKv,
        status: Callable[[], pb.StatusResponse],
        add_node: Callable[[str], None],
        remove_node: Callable[[str], None],
    ) -> None:
        self.kv = kv
        self._status = status
        self._add = add_node
        self._remove = remove_node

    def KvGet(self, req: pb.GetRequest, ctx: Any) -> pb.GetResponse:
        def run() -> dict[str, Any]:
            value = self.kv.get(req.key, req.ts)
            return {"found": value is not None, "value": value or b""}

        return _answer(pb.GetResponse, run)

    def KvBatchGet(self, req: pb.BatchGetRequest, ctx: Any) -> pb.PairsResponse:
        def run() -> dict[str, Any]:
            if req.ts:
                found, ts = self.kv.batch_get(list(req.keys), req.ts), req.ts
            else:
                found, ts = self.kv.batch_get_fresh(list(req.keys))
            return {"pairs": [pb.KvPair(key=k, value=v) for k, v in found.items()], "ts": ts}

        return _answer(pb.PairsResponse, run)

    def KvScan(self, req: pb.ScanRequest, ctx: Any) -> pb.PairsResponse:
        def run() -> dict[str, Any]:
            rows = self.kv.scan(
                req.start,
                req.end if req.has_end else None,
                req.ts,
                limit=req.limit or None,
                reverse=req.reverse,
            )
            return {"pairs": [pb.KvPair(key=k, value=v) for k, v in rows]}

        return _answer(pb.PairsResponse, run)

    def KvScanLock(self, req: pb.ScanLocksRequest, ctx: Any) -> pb.LocksResponse:
        def run() -> dict[str, Any]:
            locks = self.kv.scan_locks(
                req.max_ts, req.start, req.end if req.has_end else None, req.limit or None
            )
            return {"locks": [lock_to_pb(lk) for lk in locks]}

        return _answer(pb.LocksResponse, run)

    def KvPrewrite(self, req: pb.PrewriteRequest, ctx: Any) -> pb.EmptyResponse:
        return _answer(
            pb.EmptyResponse,
            lambda: self.kv.prewrite(
                mutations_from_pb(req.mutations),
                req.primary,
                req.start_ts,
                req.lock_ttl_ms,
                req.txn_size,
            ),
        )

    def KvCommit(self, req: pb.CommitRequest, ctx: Any) -> pb.EmptyResponse:
        return _answer(
            pb.EmptyResponse, lambda: self.kv.commit(list(req.keys), req.start_ts, req.commit_ts)
        )

    def KvOnePc(self, req: pb.OnePcRequest, ctx: Any) -> pb.TsResponse:
        return _answer(
            pb.TsResponse,
            lambda: {"ts": self.kv.one_pc(mutations_from_pb(req.mutations), req.start_ts)},
        )

    def KvOnePcBatch(self, req: pb.OnePcBatchRequest, ctx: Any) -> pb.OnePcBatchResponse:
        def run() -> dict[str, Any]:
            done = self.kv.one_pc_many(
                [(mutations_from_pb(c.mutations), c.start_ts) for c in req.commits]
            )
            return {"results": [_one_pc_result(s, r) for s, r in done]}

        return _answer(pb.OnePcBatchResponse, run)

    def KvBatchRollback(self, req: pb.RollbackRequest, ctx: Any) -> pb.EmptyResponse:
        return _answer(pb.EmptyResponse, lambda: self.kv.rollback(list(req.keys), req.start_ts))

    def KvCheckTxnStatus(self, req: pb.CheckTxnStatusRequest, ctx: Any) -> pb.TxnStatusResponse:
        try:
            status = self.kv.check_txn_status(
                req.primary,
                req.lock_ts,
                req.current_ts,
                rollback_if_not_exist=req.rollback_if_not_exist,
            )
        except Db9Error as exc:
            return pb.TxnStatusResponse(error=error_to_pb(exc))
        return status_to_pb(status)

    def KvTxnHeartBeat(self, req: pb.HeartBeatRequest, ctx: Any) -> pb.CountResponse:
        return _answer(
            pb.CountResponse,
            lambda: {"count": self.kv.txn_heart_beat(req.primary, req.start_ts, req.ttl_ms)},
        )

    def KvResolveLock(self, req: pb.ResolveLockRequest, ctx: Any) -> pb.CountResponse:
        keys = None if req.all_keys else list(req.keys)
        return _answer(
            pb.CountResponse,
            lambda: {"count": self.kv.resolve_lock(req.start_ts, req.commit_ts, keys)},
        )

    def KvGC(self, req: pb.GcRequest, ctx: Any) -> pb.GcResponse:
        def run() -> dict[str, Any]:
            p = self.kv.gc(req.safepoint, retain_from_pb(req.retain), full=req.full)
            return {"keys_scanned": p.keys_scanned, "versions_deleted": p.versions_deleted}

        return _answer(pb.GcResponse, run)

    def KvSafepoint(self, req: pb.StatusRequest, ctx: Any) -> pb.TsResponse:
        return pb.TsResponse(ts=self.kv.safepoint())

    def Tso(self, req: pb.TsoRequest, ctx: Any) -> pb.TsResponse:
        def run() -> dict[str, Any]:
            full = self.kv.disk_full()
            if full:  # a remote client would write with it: no stale timestamps over gRPC
                raise DiskFull(f"this node's disk is full ({full})")
            ts, index = self.kv.get_ts_with_index(req.count or 1)
            return {"ts": ts, "read_index": index}

        return _answer(pb.TsResponse, run)

    def ReadIndex(self, req: pb.ReadIndexRequest, ctx: Any) -> pb.ReadIndexResponse:
        return _answer(pb.ReadIndexResponse, lambda: {"index": self.kv.read_index(req.ts)})

    def KvSetBranch(self, req: pb.SetBranchRequest, ctx: Any) -> pb.EmptyResponse:
        return _answer(
            pb.EmptyResponse, lambda: self.kv.set_branch(req.child, req.parent, req.fork_ts)
        )

    def KvDropPrefix(self, req: pb.DropPrefixChunk, ctx: Any) -> pb.CountResponse:
        return _answer(pb.CountResponse, lambda: {"count": self.kv.drop_prefix(req.prefix)})

    def KvBranchLinks(self, req: pb.StatusRequest, ctx: Any) -> pb.LinksResponse:
        links = self.kv.branch_links()
        return pb.LinksResponse(
            links=[
                pb.BranchLinkInfo(child=c, parent=lk.parent, fork_ts=lk.fork_ts)
                for c, lk in links.items()
            ]
        )

    def KvResetBranch(self, req: pb.SetBranchRequest, ctx: Any) -> pb.EmptyResponse:
        return _answer(pb.EmptyResponse, lambda: self.kv.reset_branch(req.child, req.fork_ts))

    def ClusterStatus(self, req: pb.StatusRequest, ctx: Any) -> pb.StatusResponse:
        return self._status()

    def AddNode(self, req: pb.MembershipRequest, ctx: Any) -> pb.EmptyResponse:
        return _answer(pb.EmptyResponse, lambda: self._add(req.raft_addr))

    def RemoveNode(self, req: pb.MembershipRequest, ctx: Any) -> pb.EmptyResponse:
        return _answer(pb.EmptyResponse, lambda: self._remove(req.raft_addr))

    # -- consistency check (cluster/consistency.py) -----------------------------------------

    def ComputeHash(self, req: pb.ComputeHashRequest, ctx: Any) -> pb.ComputeHashResponse:
        bits = req.chunk_bits or DEFAULT_CHUNK_BITS
        return _answer(
            pb.ComputeHashResponse, lambda: {"index": self.kv.machine.request_hash(bits)}
        )

    def GetHash(self, req: pb.HashRequest, ctx: Any) -> pb.HashResponse:
        machine = self.kv.machine
        state, result = machine.hash_status(req.index, min(req.wait_ms, 30_000) / 1000)
        answer = hash_response(state, result, req.index)
        status = self._status()
        answer.node_id, answer.raft_addr = status.node_id, status.raft_addr
        answer.applied_index = int(machine.raftLastApplied)
        return answer

    # -- member identities (cluster.raft_identity) ------------------------------------------

    identity: IdentityGuard | None = None  # set by ClusterNode

    def IdentityStatus(self, req: pb.StatusRequest, ctx: Any) -> pb.IdentityResponse:
        return _answer(pb.IdentityResponse, lambda: identity_fields(self.identity))

    def Readmit(self, req: pb.ReadmitRequest, ctx: Any) -> pb.IdentityResponse:
        def run() -> dict[str, Any]:
            if self.identity is None:
                raise Db9Error("this node keeps no member identities")
            self.identity.readmit(req.raft_addr, float(req.timeout_s or 300))
            return identity_fields(self.identity)

        return _answer(pb.IdentityResponse, run)


def _one_pc_result(start_ts: int, result: int | Db9Error) -> pb.OnePcResult:
    if isinstance(result, Db9Error):
        return pb.OnePcResult(error=error_to_pb(result), start_ts=start_ts)
    return pb.OnePcResult(start_ts=start_ts, commit_ts=result)


def identity_fields(guard: IdentityGuard | None) -> dict[str, Any]:
    if guard is None:
        return {}
    ident = guard.identity
    return {
        "node_uuid": ident.node_uuid,
        "cluster_id": ident.cluster_id or guard.registry.cluster_id or "",
        "role": ident.role,
        "votes_withheld": guard.votes_withheld,
        "members": [
            pb.MemberIdentity(
                raft_addr=addr,
                registered_uuid=registered,
                node_uuid=seen.node_uuid if seen else "",
                role=seen.role if seen else "",
            )
            for addr, registered, seen in guard.members()
        ],
    }


def start_grpc(service: KvService, addr: str, workers: int = 32) -> grpc.Server:
    """Serve ``service`` on ``addr`` (host:port); raises OSError if the port is taken."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grpc"))
    pb_grpc.add_KvServicer_to_server(service, server)  # type: ignore[no-untyped-call]
    if server.add_insecure_port(addr) == 0:
        raise OSError(f"cannot listen for gRPC on {addr}")
    server.start()
    return server
