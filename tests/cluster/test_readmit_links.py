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

from kv.errors import Db9Error
from tests.cluster.members import members


def wait(ready: Any, what: str, timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (value := ready()):
        assert time.monotonic() < deadline, what
        time.sleep(0.05)
    return value


def test_readmit_names_the_missing_link_and_succeeds_once_the_peers_list_the_leader(
    tmp_path: Path,
) -> None:
    with members(tmp_path, identities=True) as group:
        for i in range(3):
            group.start(i)
        leader = group.leader()
        guard = leader.identity_guard
        wait(lambda: len(guard.registry.members) == 3, "every member registered")
        lead, addrs = group.index(leader), group.addrs
        gone, other = (i for i in range(3) if i != lead)
        group.stop(gone)
        group.start(gone, "wiped", [addrs[gone], addrs[other]])  # its --peers lack the leader
        with pytest.raises(Db9Error) as info:
            guard.readmit(addrs[gone], timeout_s=2.0)
        message = str(info.value)
        assert f"to answer the leader (the leader {addrs[lead]} has no connection" in message
        assert f"--peers list {addrs[lead]}" in message

        group.stop(gone)  # as the message says: the same node restarted, its --peers complete
        group.start(gone, "wiped")
        peer = guard.readmit(addrs[gone], timeout_s=30.0)
        assert peer.role == "voter"
        assert group.running[gone].applied_index >= leader.applied_index - 1
