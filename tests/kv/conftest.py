"""Backends for the KV contract tests: every test taking the ``kv`` fixture runs on the local
store, on an in-process single-node Raft cluster (RaftKv) and on the gRPC client (RemoteKv)
talking to such a node, so the three implementations of ``KvBackend`` keep one behaviour."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from typing import Protocol

import pytest

from cluster.client import RemoteKv
from cluster.node import ClusterConfig, ClusterNode
from cluster.state_machine import RaftOptions
from kv.client import KvBackend, LocalKv, TxnClient, TxnOptions
from kv.engine.base import Engine
from kv.engine.memory import MemoryEngine
from kv.tso import TimestampOracle
from tests.cluster.harness import free_ports

BACKENDS = ("local", "raft", "grpc")
SECRET = "kv-contract-secret"


class SteppingClock:
    """A clock that moves 10 ms per reading, so TTL expiry is decided without waiting."""

    def __init__(self) -> None:
        self.now_ms = 1_700_000_000_000

    def __call__(self) -> int:
        self.now_ms += 10
        return self.now_ms


def local_kv(engine: Engine | None = None) -> LocalKv:
    engine = engine or MemoryEngine()
    return LocalKv(engine, TimestampOracle(engine, clock_ms=SteppingClock()))


def client(kv: KvBackend | None = None, **options: object) -> TxnClient:
    return TxnClient(kv or local_kv(), TxnOptions(**options))  # type: ignore[arg-type]


class Backend(KvBackend, Protocol):
    """A backend under test, with the engine that holds its data for raw inspection."""

    @property
    def engine(self) -> Engine: ...


@contextlib.contextmanager
def open_backend(kind: str) -> Iterator[Backend]:
    """A fresh, empty backend of ``kind`` (see BACKENDS); Raft ones on a temp directory."""
    if kind == "local":
        yield local_kv()
        return

    class EngineRemoteKv(RemoteKv):
        def __init__(self, addr: str, engine: Engine) -> None:
            super().__init__([addr])
            self.engine = engine

    raft_port, grpc_port = free_ports(2)
    with tempfile.TemporaryDirectory(prefix="db9-kv-") as data_dir:
        config = ClusterConfig(
            1, data_dir, f"127.0.0.1:{raft_port}", [], f"127.0.0.1:{grpc_port}", SECRET, False
        )
        # Alone, the node elects itself after min_timeout_s: keep it short.
        options = RaftOptions(
            password=SECRET,
            sync=False,
            min_timeout_s=0.1,
            max_timeout_s=0.15,
            leader_fallback_s=0.08,
            append_period_s=0.02,
        )
        node = ClusterNode(config, options)
        try:
            node.kv.get_ts()  # waits for the election; later reads of old timestamps don't wait
            if kind == "raft":
                yield node.kv
            else:
                remote = EngineRemoteKv(config.grpc_addr, node.engine)
                try:
                    yield remote
                finally:
                    remote.close()
        finally:
            node.close()


@pytest.fixture(params=BACKENDS)
def kv(request: pytest.FixtureRequest) -> Iterator[Backend]:
    with open_backend(request.param) as backend:
        yield backend
