"""One fault-test run's configuration and shared state (workloads, nemeses and the runner
all hold the same ``Run``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from tests.cluster.harness import LocalCluster
from tests.jepsen.history import History


@dataclass
class RunConfig:
    workload: str
    nemeses: list[str]
    seconds: float = 20.0
    clients: int = 5
    interval_s: float = 3.0  # between the starts of two faults
    fault_s: float = 2.0  # how long a fault lasts
    unsafe_reads: bool = False  # the deliberately broken build (DB9_UNSAFE_FOLLOWER_READS)
    #: another broken build: the Raft journal is never synced (DB9_FAULT_UNSYNCED_JOURNAL)
    unsynced_journal: bool = False
    seed: int = 0


@dataclass
class Run:
    config: RunConfig
    cluster: LocalCluster
    history: History = field(default_factory=History)
    stop: threading.Event = field(default_factory=threading.Event)
    consistency: dict[str, Any] | None = None  # consistency_check's verdict, at the end
    unrecovered: str = ""  # why no leader or node came back after the faults, if so
