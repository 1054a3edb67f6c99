"""A member restarted with an empty data directory (issue 13), with real db9-server processes.

Leader A, followers B and C. C is paused; 50 inserts through A are acknowledged (A and B have
them); A and B are killed; B's directory is wiped; C resumes and B starts empty. Before
member identities, C won the next term with B's vote and the 50 rows were gone from the new
majority, while A, restarted, truncated entries it had applied and stayed diverged.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from tests.cluster.harness import LocalCluster, NodeProc, member_identity, running_cluster

ROWS = 50


def wait_for(what: str, ready: Callable[[], Any], timeout_s: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = ready()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def leader_among(cluster: LocalCluster, nodes: list[NodeProc]) -> NodeProc | None:
    leaders = [n for n in nodes if (cluster.status(n) or {}).get("state") == "leader"]
    return leaders[0] if len(leaders) == 1 else None


def count_rows(node: NodeProc) -> int:
    with psycopg.connect(node.dsn(), autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM t").fetchone()
    assert row is not None
    return int(row[0])


def cli(*args: str, timeout_s: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "control.cli", "cluster", *args],
                          capture_output=True, text=True, timeout=timeout_s)  # fmt: skip


def lose_b_while_c_was_paused(
    cluster: LocalCluster, *, unsafe_b: bool = False
) -> tuple[NodeProc, NodeProc, NodeProc]:
    """Run the scenario up to 'C resumed, B started empty, A still down'; returns A, B, C."""
    a = cluster.wait_leader()
    b, c = (n for n in cluster.nodes if n is not a)
    everyone = {n.raft_addr for n in cluster.nodes}
    # C must have applied every member's registration before it is paused (a build without
    # identities does not answer IdentityStatus: the scenario then shows the old behaviour).
    if member_identity(a) is not None:
        wait_for("C to record every member",
                 lambda: (r := member_identity(c)) is not None
                 and {m.raft_addr for m in r.members if m.registered_uuid} == everyone)  # fmt: skip
    with psycopg.connect(a.dsn(), autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
    cluster.wait_applied(c, int(cluster.status(a)["commit"]))  # type: ignore[index,call-overload]
    cluster.pause(c)
    with psycopg.connect(a.dsn(), autocommit=True) as conn:
        for i in range(ROWS):
            conn.execute("INSERT INTO t VALUES (%s)", (i,))  # each acknowledged by A and B
    cluster.kill(a)
    cluster.kill(b)
    for p in sorted(b.data_dir.rglob("*"), reverse=True):
        if p.name != "server.log":
            p.rmdir() if p.is_dir() else p.unlink()
    cluster.resume(c)
    if unsafe_b:
        cluster.env["DB9_UNSAFE_WIPED_VOTES"] = "1"  # the old behaviour: B votes
    cluster.start(b)
    cluster.env.pop("DB9_UNSAFE_WIPED_VOTES", None)
    return a, b, c


def test_a_wiped_member_does_not_vote_until_readmitted_and_no_acknowledged_row_is_lost(
    tmp_path: Path,
) -> None:
    with running_cluster(tmp_path) as cluster:
        a, b, c = lose_b_while_c_was_paused(cluster)
        # C campaigns; B must not give it the vote that would elect it without the 50 rows.
        wait_for("B to refuse C's vote requests, or a leader without A",
                 lambda: ((r := member_identity(b)) is not None and r.role == "learner"
                          and r.votes_withheld > 0) or leader_among(cluster, [b, c]))  # fmt: skip
        assert leader_among(cluster, [b, c]) is None, "C was elected without the 50 rows"
        assert "lost its state" in (b.data_dir / "server.log").read_text()

        cluster.start(a)
        leader = cluster.wait_leader(timeout_s=60)
        assert leader is a, "only A holds every acknowledged row"
        commit = int(cluster.status(a)["commit"])  # type: ignore[index,call-overload]
        for node in (a, b, c):
            cluster.wait_applied(node, commit)
            cluster.wait_pgwire(node)
            assert count_rows(node) == ROWS
        assert member_identity(b).role == "learner"  # caught up, but still not voting
        status = cli("status", "--grpc", ",".join(n.grpc_addr for n in cluster.nodes))
        assert f"LEARNER: lost its state, not voting; run db9 cluster readmit {b.raft_addr}" in (
            status.stdout
        ), status.stdout

        grpc = ",".join(n.grpc_addr for n in cluster.nodes)
        out = cli("readmit", b.raft_addr, "--grpc", grpc, "--timeout", "120")
        assert out.returncode == 0, out.stderr
        assert f"readmitted {b.raft_addr} as a voter" in out.stdout
        assert member_identity(b).role == "voter"

        # B votes again: without A, B and C elect a leader and keep every row.
        cluster.kill(a)
        survivor = cluster.wait_leader([b, c], timeout_s=60)
        with psycopg.connect(survivor.dsn(), autocommit=True) as conn:
            conn.execute("INSERT INTO t VALUES (%s)", (ROWS,))
            assert conn.execute("SELECT count(*) FROM t").fetchone() == (ROWS + 1,)


def test_a_node_that_would_lose_applied_entries_stops_instead_of_diverging(
    tmp_path: Path,
) -> None:
    """With the vote gate switched off on B (the old behaviour), C is elected without the 50
    rows; A, restarted, would have to truncate entries it has applied: it must exit with a
    clear error, not keep serving a diverged copy."""
    with running_cluster(tmp_path) as cluster:
        a, b, c = lose_b_while_c_was_paused(cluster, unsafe_b=True)
        wait_for("C to be elected with B's vote", lambda: leader_among(cluster, [b, c]), 60)
        cluster.start(a)
        assert a.proc is not None
        try:
            code = a.proc.wait(60)
        except subprocess.TimeoutExpired:
            raise AssertionError("A kept running on a log that differs from the leader's") from None
        assert code == 3
        text = (a.data_dir / "server.log").read_text()
        assert "diverged: the leader's log differs from this node's at index" in text
        assert "truncating already-applied" not in text
