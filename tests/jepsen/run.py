"""One fault-test run's configuration and shared state (workloads, nemeses and the runner
all hold the same ``Run``)."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any

from tests.cluster.harness import LocalCluster
from tests.jepsen.history import History


def fresh_seed() -> int:
    """A seed nobody chose: a run draws one unless told (``--seed`` replays it)."""
    return random.SystemRandom().randrange(1 << 31)


@dataclass
class RunConfig:
    workload: str
    nemeses: list[str]
    seconds: float = 20.0
    clients: int = 5
    interval_s: float = 3.0  # between the starts of two faults
    fault_s: float = 2.0  # how long a fault lasts
    unsafe_reads: bool = False  # the deliberately broken build (DB9_UNSAFE_FOLLOWER_READS)
    seed: int = field(default_factory=fresh_seed)  # clients' operations and the nemeses' draws


@dataclass
class Run:
    config: RunConfig
    cluster: LocalCluster
    history: History = field(default_factory=History)
    stop: threading.Event = field(default_factory=threading.Event)
    consistency: dict[str, Any] | None = None  # consistency_check's verdict, at the end
