"""Fault-test runs under crashes (``nemeses/crash.py``): nodes killed with file systems that
drop what was not synced, one node or all at once; slow fsyncs; every node killed at once.
Each fault must really have happened (the file systems dropped unsynced bytes, fsyncs were
delayed) and healed (the run checks out valid, replicas identical, nothing acknowledged lost).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.jepsen.lazyfs import unavailable
from tests.jepsen.runner import RunConfig, execute
from tests.jepsen.test_runs import full_only

needs_lazyfs = pytest.mark.skipif(unavailable() is not None, reason=str(unavailable()))


def struck(result: dict[str, object], name: str) -> list[str]:
    return [f for f in result["faults"] if f.split("s ", 1)[1].startswith(name)]  # type: ignore[attr-defined]


@needs_lazyfs
def test_acknowledged_inserts_survive_lost_unsynced_writes(tmp_path: Path) -> None:
    cfg = RunConfig("set", ["lost-writes", "lost-writes-all"], seconds=14, interval_s=3.0, seed=2)
    result, _ = execute(tmp_path / "run", cfg)
    assert result["valid"] and result["lost"] == [], result
    assert result["consistency"]["ok"] and result["acknowledged"] > 100, result
    one, every = struck(result, "lost-writes node"), struck(result, "lost-writes on all")
    assert one and every, result["faults"]
    dropped = [int(m) for f in one + every for m in re.findall(r"dropped (\d+) unsynced", f)]
    assert len(dropped) == len(one + every) and sum(dropped) > 0, result["faults"]


@needs_lazyfs
def test_inserts_survive_slow_fsyncs_and_the_whole_cluster_killed(tmp_path: Path) -> None:
    cfg = RunConfig("set", ["slow-disk", "kill-all"], seconds=14, interval_s=3.0, seed=3)
    result, _ = execute(tmp_path / "run", cfg)
    assert result["valid"] and result["lost"] == [], result
    assert result["consistency"]["ok"] and result["acknowledged"] > 100, result
    slow, kills = struck(result, "slow-disk"), struck(result, "kill all")
    assert slow and kills, result["faults"]
    delayed = [int(m) for f in slow for m in re.findall(r"(\d+) fsyncs delayed", f)]
    assert len(delayed) == len(slow) and sum(delayed) > 0, result["faults"]


@needs_lazyfs
@full_only
def test_an_unsynced_raft_journal_is_caught_by_lost_writes(tmp_path: Path) -> None:
    """The broken build whose Raft journal is never synced (DB9_FAULT_UNSYNCED_JOURNAL)
    passes kill -9 of every node (the kernel keeps what the killed processes wrote; checked by
    hand, see tests/jepsen/README.md), but not the crash of every node with its unsynced
    writes: the journals come back empty behind stores that applied more, and the cluster
    never serves again, so no final read can be made."""
    cfg = RunConfig("set", ["lost-writes-all"], seconds=6, interval_s=3.0, unsynced_journal=True)
    result, _ = execute(tmp_path / "run", cfg)
    assert not result["valid"], result
    assert struck(result, "lost-writes on all"), result["faults"]
    assert "did not recover" in result["heal_error"], result
