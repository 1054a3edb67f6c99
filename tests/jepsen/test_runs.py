"""The short version of the fault tests, for CI: each workload for a few nemesis cycles against
a real 3-node cluster must check out valid, and the deliberately broken build (reads skip the
replication barrier) must be caught. The long run is ``python -m tests.jepsen`` (see
tests/jepsen/README.md).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.cluster import netns
from tests.jepsen.runner import RunConfig, execute, report

# The broken builds' runs beyond one per kind: with DB9_FULL_FAULT_TESTS=1 (~2.5 minutes more).
full_only = pytest.mark.skipif(
    os.environ.get("DB9_FULL_FAULT_TESTS") != "1",
    reason="a longer fault-test run: DB9_FULL_FAULT_TESTS=1 runs it",
)

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


def test_a_member_wiped_and_restarted_the_unsafe_way_gets_no_vote(tmp_path: Path) -> None:
    """A member loses its directory and comes back with its old identity.json put back (seed
    1 draws that), is re-added by remove+add instead of readmit, and the leader is paused:
    each step is refused (it is a learner, and the other voter is not elected), readmit
    brings it back, and no acknowledged insert is lost."""
    cfg = RunConfig("set", ["unsafe-wipe"], seconds=14, interval_s=3.0, seed=1)
    result, _ = execute(tmp_path / "run", cfg)
    assert result["valid"] and result["lost"] == [] and result["acknowledged"] > 100, result
    assert result["consistency"]["ok"], result["consistency"]
    strikes = [f for f in result["faults"] if "unsafe-wipe" in f]
    assert strikes and not any("ACCEPTED" in f for f in strikes), result["faults"]
    first = strikes[0]
    assert "identity restored" in first, first
    for step in ("restart refused", "remove+add refused", "vote refused", "readmitted"):
        assert step in first, (step, first)


@pytest.mark.skipif(netns.degrade_available() is not None, reason="needs root and NFQUEUE")
def test_inserts_survive_delayed_lossy_and_reordering_links(tmp_path: Path) -> None:
    """Each of delay, loss and reorder strikes (seed 7 draws all three in the first three
    strikes), touches the nodes' own traffic (its line counts the packets it delayed,
    dropped or reordered), and heals; nothing acknowledged is lost."""
    cfg = RunConfig("set", ["delay", "loss", "reorder"], seconds=14, interval_s=1.0,
                    fault_s=1.0, seed=7)  # fmt: skip
    result, _ = execute(tmp_path / "run", cfg)
    assert result["valid"] and result["lost"] == [] and result["acknowledged"] > 100, result
    assert result["consistency"]["ok"], result["consistency"]
    faults = " | ".join(result["faults"])
    for kind, effect in [("delay", "packets delayed"), ("loss", "packets dropped"),
                         ("reorder", "overtaken")]:  # fmt: skip
        counts = [int(n) for n in re.findall(rf"s {kind} [^|]*?(\d+) {effect}", faults)]
        assert counts and max(counts) > 0, (kind, faults)


@pytest.mark.skipif(not netns.available(), reason="partitions need root, ip and nft")
@pytest.mark.parametrize(
    "workload",
    ["register", *(pytest.param(w, marks=full_only) for w in ("list-append", "bank", "set"))],
)
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


@pytest.mark.parametrize("broken", [False, pytest.param(True, marks=full_only)])
def test_stale_quorum_scenario(broken: bool, tmp_path: Path) -> None:
    """Issue 13's incident as a nemesis: a paused follower, the leader and the other follower
    killed, that one wiped and started empty. The real build loses nothing; the build whose
    wiped members vote (DB9_UNSAFE_WIPED_VOTES) loses acknowledged inserts, and the run says
    so (lost inserts, differing replicas, or a node that stopped instead of diverging)."""
    env = {"DB9_UNSAFE_WIPED_VOTES": "1"} if broken else {}
    cfg = RunConfig("set", ["stale-quorum"], seconds=14, interval_s=2.0, seed=1, node_env=env)
    result, _ = execute(tmp_path / "run", cfg)
    struck = [f for f in result["faults"] if "wiped and started empty" in str(f)]
    assert struck, result["faults"]
    if broken:
        assert not result["valid"], result
    else:
        assert result["valid"] and result["lost"] == [], result
        assert not any("failed" in str(f) for f in struck), result["faults"]
