"""Raft members of one cluster run in this process on loopback: the in-process counterpart of
``harness.LocalCluster``, for tests that reach into a member's pysyncobj state. Member ``i``
always has address ``addrs[i]``; its data directory is named by the caller, so a restart may
keep or wipe it."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

from cluster.identity import NodeIdentity
from cluster.state_machine import KvStateMachine, RaftOptions
from kv.engine.lmdb import LmdbEngine
from tests.cluster.harness import free_ports


class Members:
    def __init__(self, base: Path, n: int, options: RaftOptions, identities: bool) -> None:
        self.base, self.options, self.identities = base, options, identities
        self.addrs = [f"127.0.0.1:{p}" for p in free_ports(n)]
        self.running: dict[int, KvStateMachine] = {}

    def start(
        self, i: int, name: str | None = None, peers: list[str] | None = None
    ) -> KvStateMachine:
        """Member ``i`` on directory ``name`` (default ``n<i>``; kept if it exists), knowing
        ``peers`` (default: every member)."""
        data_dir = self.base / (name or f"n{i}")
        data_dir.mkdir(exist_ok=True)
        engine = LmdbEngine(str(data_dir), metasync=False)
        identity = (
            NodeIdentity.load_or_create(str(data_dir), has_state=False) if self.identities else None
        )
        machine = KvStateMachine(engine, self.addrs[i], peers or self.addrs, str(data_dir),
                                 self.options, identity=identity)  # fmt: skip
        self.running[i] = machine
        return machine

    def stop(self, i: int) -> None:
        machine = self.running.pop(i)
        machine.close()
        machine.engine.close()

    def leader(self, timeout_s: float = 30.0) -> KvStateMachine:
        deadline = time.monotonic() + timeout_s
        while not (leaders := [m for m in self.running.values() if m._isLeader()]):
            assert time.monotonic() < deadline, "no leader"
            time.sleep(0.05)
        return leaders[0]

    def index(self, machine: KvStateMachine) -> int:
        return next(i for i, m in self.running.items() if m is machine)


@contextlib.contextmanager
def members(
    base: Path, n: int = 3, options: RaftOptions | None = None, *, identities: bool = False
) -> Iterator[Members]:
    """``n`` members, none started yet; every running one is stopped at the end. The default
    options never compact the log or send a snapshot."""
    quiet = RaftOptions(password="pw", compaction_min_entries=10**6, catchup_min_entries=10**9)
    group = Members(base, n, options or quiet, identities)
    try:
        yield group
    finally:
        for i in list(group.running):
            group.stop(i)
