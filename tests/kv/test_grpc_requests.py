"""The gRPC Kv service's batched and server-timestamped requests, sent raw: bad input gets an
error in the answer (never a crash or a half-applied batch), and edge cases answer sanely."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cluster.client import RemoteKv
from cluster.proto import db9kv_pb2 as pb
from tests.kv.conftest import open_backend


@pytest.fixture(scope="module")
def remote() -> Iterator[RemoteKv]:
    with open_backend("grpc") as kv:
        assert isinstance(kv, RemoteKv)
        yield kv


def test_a_batch_with_a_bad_mutation_is_refused_whole(remote: RemoteKv) -> None:
    good = pb.OnePcRequest(mutations=[pb.Mutation(op=1, key=b"g/good", value=b"v")])
    bad = pb.OnePcRequest(mutations=[pb.Mutation(op=99, key=b"g/bad", value=b"v")])
    answer = remote._stubs[0].KvOnePcBatch(pb.OnePcBatchRequest(commits=[good, bad]))
    assert answer.error.kind == "InvalidArgument" and not answer.results
    fresh = remote._stubs[0].KvBatchGet(pb.BatchGetRequest(keys=[b"g/good"], ts=0))
    assert not fresh.pairs and fresh.ts > 0  # nothing of the refused batch landed


def test_per_commit_errors_and_edges(remote: RemoteKv) -> None:
    stub = remote._stubs[0]
    assert not stub.KvOnePcBatch(pb.OnePcBatchRequest()).results  # an empty batch
    oversized = pb.OnePcRequest(mutations=[pb.Mutation(op=1, key=b"k" * 100_000, value=b"")])
    ok = pb.OnePcRequest(mutations=[pb.Mutation(op=1, key=b"g/ok", value=b"v")])
    empty = pb.OnePcRequest()
    got = stub.KvOnePcBatch(pb.OnePcBatchRequest(commits=[oversized, ok, empty])).results
    assert got[0].error.kind == "LimitExceeded" and got[0].start_ts
    assert not got[1].error.kind and got[1].commit_ts > got[1].start_ts
    assert len({r.start_ts for r in got}) == 3  # each commit its own start_ts
    fresh = stub.KvBatchGet(pb.BatchGetRequest(keys=[b"g/ok", b"g/ok", b"g/none"], ts=0))
    assert [(p.key, p.value) for p in fresh.pairs] == [(b"g/ok", b"v")]
    assert fresh.ts > got[1].commit_ts  # drawn after the commit was acknowledged
    assert stub.KvBatchGet(pb.BatchGetRequest(ts=0)).ts > fresh.ts  # no keys: still a read


def test_timestamp_requests_out_of_range_are_refused(remote: RemoteKv) -> None:
    stub = remote._stubs[0]
    assert stub.Tso(pb.TsoRequest(count=1 << 20)).error.kind == "InvalidArgument"
    first = stub.Tso(pb.TsoRequest(count=0))  # 0 means one
    assert not first.error.kind and first.ts > 0
