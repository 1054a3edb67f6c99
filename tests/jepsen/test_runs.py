"""The short version of the fault tests, for CI: each workload for a few nemesis cycles against
a real 3-node cluster must check out valid, and the deliberately broken build (reads skip the
replication barrier) must be caught. The long run is ``python -m tests.jepsen`` (see
tests/jepsen/README.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cluster import netns
from tests.jepsen.runner import RunConfig, execute, report

NEMESES = ["kill", "pause", "clock"] + (["partition"] if netns.available() else [])


@pytest.mark.parametrize("workload", ["register", "list-append", "bank", "set"])
def test_workload_valid_under_faults(workload: str, tmp_path: Path) -> None:
    cfg = RunConfig(workload, NEMESES, seconds=14, interval_s=2.5, seed=7)
    result, history = execute(tmp_path / "run", cfg)
    report(result, history, tmp_path / "report")
    assert result["valid"], result
    assert result["consistency"]["ok"], result["consistency"]  # replicas hold the same data
    assert result["replica_reads"]["ok"], result["replica_reads"]  # and every node reads it
    assert result["client_errors"] == 0, result
    assert (tmp_path / "report" / "timeline.png").stat().st_size > 0
    assert len(result["faults"]) >= 2, result["faults"]  # the nemesis really struck
    assert result["op_counts"].get("ok", 0) > 100, result["op_counts"]
    if workload == "set":
        assert result["lost"] == [] and result["acknowledged"] > 100, result


def test_acknowledged_inserts_survive_wiped_members(tmp_path: Path) -> None:
    """Members lose their data directories (and others are killed) while inserts run: a
    wiped member does not vote until readmitted, so nothing acknowledged is lost (issue 13)."""
    cfg = RunConfig("set", ["wipe", "kill"], seconds=14, interval_s=3.0, seed=13)
    result, _ = execute(tmp_path / "run", cfg)
    assert result["valid"] and result["lost"] == [], result
    wipes = [f for f in result["faults"] if "wipe" in str(f)]
    assert wipes and not any("failed" in str(f) for f in wipes), result["faults"]


@pytest.mark.skipif(not netns.available(), reason="partitions need root, ip and nft")
@pytest.mark.parametrize("workload", ["register", "list-append", "bank", "set"])
def test_broken_build_is_caught(workload: str, tmp_path: Path) -> None:
    """With DB9_UNSAFE_FOLLOWER_READS every node draws timestamps from its own clock and
    serves reads from its own copy (a node cut off from the leader keeps serving stale data):
    every workload's checker must say so, not only the replica comparison."""
    cfg = RunConfig(workload, ["partition"], seconds=12, interval_s=2.0, unsafe_reads=True)
    result, _ = execute(tmp_path / "run", cfg)
    assert not result["valid"], result
    if workload == "register":
        assert result["non_linearizable_keys"], result
    else:
        assert set(result["anomalies"]) - {"G2-item"}, result
