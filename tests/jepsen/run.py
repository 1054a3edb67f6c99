"""One fault-test run's configuration and shared state (workloads, nemeses and the runner
all hold the same ``Run``)."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any

from tests.cluster.interface import Cluster
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
    #: another broken build: the Raft journal is never synced (DB9_FAULT_UNSYNCED_JOURNAL)
    unsynced_journal: bool = False
    seed: int = field(default_factory=fresh_seed)  # clients' operations and the nemeses' draws
    #: more environment for the nodes: the deliberately broken builds' switches, e.g.
    #: DB9_UNSAFE_WIPED_VOTES=1 (a wiped member votes)
    node_env: dict[str, str] = field(default_factory=dict)
    cluster: str = "local"  # or "compose": the containers of deploy/compose.yml (clusters.py)
    cycle: bool = False  # the nemeses strike in turn, in ``nemeses`` order, not drawn at random


@dataclass
class Run:
    config: RunConfig
    cluster: Cluster
    history: History = field(default_factory=History)
    stop: threading.Event = field(default_factory=threading.Event)
    consistency: dict[str, Any] | None = None  # consistency_check's verdict, at the end
    #: why the cluster could not be healed and read at the end (a node that never came back,
    #: e.g. one that stopped because its log diverged): the run is invalid
    heal_error: str | None = None
    #: safety violations a nemesis saw happen (e.g. a wiped member accepted as a voter): each
    #: makes the run invalid, whatever the workload's checker says
    nemesis_anomalies: list[str] = field(default_factory=list)
