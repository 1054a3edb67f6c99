"""``readmit`` of a wiped member the leader has no link to says why, with three in-process
members (cluster.raft_identity).

A node accepts Raft links only from the members it knows. A node restarted empty knows only
its ``--peers``: started with a list that lacks the leader (written before the leader was
added), it refuses the leader's link, never receives the log, and ``readmit`` used to time out
with only "waiting for ... to answer the leader"."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from cluster import raft_fixes
from kv.errors import Db9Error


def wait(ready: Any, what: str, timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (value := ready()):
        assert time.monotonic() < deadline, what
        time.sleep(0.05)
    return value


def test_readmit_names_the_missing_link_and_succeeds_once_the_peers_list_the_leader(
    tmp_path: Path,
) -> None:
    from cluster.identity import NodeIdentity
    from cluster.state_machine import KvStateMachine, RaftOptions
    from kv.engine.lmdb import LmdbEngine
    from tests.cluster.harness import free_ports

    raft_fixes.apply()
    addrs = [f"127.0.0.1:{p}" for p in free_ports(3)]
    running: dict[int, KvStateMachine] = {}

    def start(i: int, name: str, peers: list[str]) -> KvStateMachine:
        data_dir = tmp_path / name
        data_dir.mkdir(exist_ok=True)
        engine = LmdbEngine(str(data_dir), metasync=False)
        identity = NodeIdentity.load_or_create(str(data_dir), has_state=False)
        options = RaftOptions(password="pw")
        running[i] = KvStateMachine(engine, addrs[i], peers, str(data_dir), options,
                                    identity=identity)  # fmt: skip
        return running[i]

    def stop(i: int) -> None:
        machine = running.pop(i)
        machine.close()
        machine.engine.close()

    try:
        for i in range(3):
            start(i, f"n{i}", addrs)
        leader = wait(lambda: next((m for m in running.values() if m._isLeader()), None), "leader")
        guard = leader.identity_guard
        wait(lambda: len(guard.registry.members) == 3, "every member registered")
        lead = next(i for i, m in running.items() if m is leader)
        gone, other = (i for i in range(3) if i != lead)
        stop(gone)
        start(gone, "wiped", [addrs[gone], addrs[other]])  # its --peers lack the leader
        with pytest.raises(Db9Error) as info:
            guard.readmit(addrs[gone], timeout_s=2.0)
        message = str(info.value)
        assert f"to answer the leader (the leader {addrs[lead]} has no connection" in message
        assert f"--peers list {addrs[lead]}" in message

        stop(gone)  # as the message says: the same node restarted, its --peers complete
        start(gone, "wiped", addrs)
        peer = guard.readmit(addrs[gone], timeout_s=30.0)
        assert peer.role == "voter"
        assert running[gone].applied_index >= leader.applied_index - 1
    finally:
        for i in list(running):
            stop(i)
