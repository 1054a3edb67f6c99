from __future__ import annotations

from kv.client import LocalKv, TxnClient, TxnOptions
from kv.engine.base import Engine
from kv.engine.memory import MemoryEngine
from kv.tso import TimestampOracle


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


def client(kv: LocalKv | None = None, **options: object) -> TxnClient:
    return TxnClient(kv or local_kv(), TxnOptions(**options))  # type: ignore[arg-type]
