"""Backends for the KV contract tests: every test taking the ``kv`` fixture runs on the local
store, on an in-process single-node Raft cluster (RaftKv) and on the gRPC client (RemoteKv)
talking to such a node, so the three implementations of ``KvBackend`` keep one behaviour."""

from __future__ import annotations

import contextlib
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

import pytest

from cluster.client import RemoteKv
from cluster.node import ClusterConfig, ClusterNode
from cluster.state_machine import RaftOptions
from kv.client import KvBackend, LocalKv, TxnClient, TxnOptions
from kv.engine.base import Engine, WriteView
from kv.engine.lmdb import LmdbEngine
from kv.engine.memory import MemoryEngine
from kv.mvcc import keys as K
from kv.tso import TimestampOracle
from tests.cluster.harness import free_ports

BACKENDS = ("local", "raft", "grpc")
SECRET = "kv-contract-secret"
T = TypeVar("T")
WAIT_S = 10.0


class SteppingClock:
    """A clock that moves 10 ms per reading, so TTL expiry is decided without waiting."""

    def __init__(self) -> None:
        self.now_ms = 1_700_000_000_000

    def __call__(self) -> int:
        self.now_ms += 10
        return self.now_ms


class HoldCommits:
    """An engine mixin that can hold its next write transaction open after its commands ran,
    before it commits, until the test sets ``release``: writers arriving meanwhile queue,
    and form the next group commit together."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._hold_next = False
        self.held = threading.Event()
        self.release = threading.Event()

    def hold_next(self) -> None:
        self.held.clear()
        self.release.clear()
        self._hold_next = True

    def transact(self, fn: Callable[[WriteView], T]) -> T:
        hold, self._hold_next = self._hold_next, False

        def run(view: WriteView) -> T:
            result = fn(view)
            if hold:
                self.held.set()
                assert self.release.wait(WAIT_S), "the test never released the commit"
            return result

        return super().transact(run)  # type: ignore[misc]


class HeldLmdbEngine(HoldCommits, LmdbEngine):
    pass


class HeldMemoryEngine(HoldCommits, MemoryEngine):
    pass


def wait_for(condition: Callable[[], bool]) -> None:
    """Wait for a state of the store that no event announces (writers queued)."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.001)


def local_kv(engine: Engine | None = None) -> LocalKv:
    engine = engine or MemoryEngine()
    return LocalKv(engine, TimestampOracle(engine, clock_ms=SteppingClock()))


def client(kv: KvBackend | None = None, **options: object) -> TxnClient:
    return TxnClient(kv or local_kv(), TxnOptions(**options))  # type: ignore[arg-type]


class Backend(KvBackend, Protocol):
    """A backend under test, with the engine that holds its data for raw inspection."""

    @property
    def engine(self) -> Engine: ...


def engine_keys(kv: Backend | LocalKv, prefix: bytes) -> int:
    """Every engine key (lock, write record, data) of user keys under ``prefix``."""
    end = prefix[:-1] + bytes([prefix[-1] + 1])
    with kv.engine.snapshot() as snap:
        return sum(
            len(list(snap.scan(*K.cf_range(tag, prefix, end)))) for tag in (K.LOCK, K.WRITE, K.DATA)
        )


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
