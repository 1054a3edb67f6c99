"""A follower's gRPC calls to its leader: timestamps, read indexes and one-phase commits.

The leader's gRPC address comes from its lease pings (``cluster.lease``); each call goes to
the leader this member last heard from and raises Unavailable when none is known or the
call fails before an answer (the caller retries, possibly at a new leader).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import grpc

from cluster import lease
from cluster.convert import (
    OutcomeUnknown,
    Unavailable,
    error_from_pb,
    mutations_to_pb,
    raise_if_error,
)
from cluster.proto import db9kv_pb2 as pb
from cluster.proto import db9kv_pb2_grpc as pb_grpc
from kv.errors import Db9Error
from kv.mvcc.records import Mutation


class LeaderLink:
    def __init__(self, machine: Any, *, rpc_timeout_s: float = 5.0) -> None:
        self._machine = machine
        self.rpc_timeout_s = rpc_timeout_s
        self._lock = threading.Lock()
        self._stubs: dict[str, tuple[grpc.Channel, Any]] = {}

    def _stub(self) -> Any:
        addr = lease.state(self._machine).leader_grpc
        if not addr or self._machine._getLeader() is None:
            raise Unavailable("no Raft leader is known to this node")
        with self._lock:
            found = self._stubs.get(addr)
            if found is None:
                channel = grpc.insecure_channel(addr)
                found = (channel, pb_grpc.KvStub(channel))  # type: ignore[no-untyped-call]
                self._stubs[addr] = found
            return found[1]

    def _call(self, name: str, request: Any, *, writes: bool = False) -> Any:
        try:
            response = getattr(self._stub(), name)(request, timeout=self.rpc_timeout_s)
        except grpc.RpcError as exc:
            if writes and exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                raise OutcomeUnknown(f"the leader did not answer {name} in time") from None
            raise Unavailable(f"the leader did not answer {name}: {exc.code().name}") from None
        raise_if_error(response.error)
        return response

    def tso(self, count: int) -> tuple[int, int]:
        r = self._call("Tso", pb.TsoRequest(count=count))
        return int(r.ts), int(r.read_index)

    def read_index(self, ts: int) -> int:
        return int(self._call("ReadIndex", pb.ReadIndexRequest(ts=ts)).index)

    def one_pc(self, mutations: Sequence[Mutation], start_ts: int) -> int:
        req = pb.OnePcRequest(mutations=mutations_to_pb(mutations), start_ts=start_ts)
        return int(self._call("KvOnePc", req, writes=True).ts)

    def one_pc_many(self, batch: Sequence[tuple[Sequence[Mutation], int]]) -> list[int | Db9Error]:
        """Commits with their start_ts set (so each is idempotent); commit_ts or error each."""
        req = pb.OnePcBatchRequest(
            commits=[pb.OnePcRequest(mutations=mutations_to_pb(m), start_ts=s) for m, s in batch]
        )
        results = self._call("KvOnePcBatch", req, writes=True).results
        return [error_from_pb(r.error) if r.error.kind else int(r.commit_ts) for r in results]

    def close(self) -> None:
        with self._lock:
            for channel, _ in self._stubs.values():
                channel.close()
            self._stubs.clear()
