"""Liveness under pauses and restarts, on three real db9-server processes (issue 13):
a paused leader answers soon after it resumes, and a member that comes back (restarted, or
paused past the election timeout) rejoins without deposing the healthy leader (PreVote,
leader stickiness, CheckQuorum: cluster/raft_prevote.py)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import psycopg
import pytest

from cluster import raft_prevote
from tests.cluster import netns
from tests.cluster.harness import LocalCluster, NodeProc, running_cluster
from tests.cluster.netns import Netns


def _wait(predicate: object, timeout_s: float, what: str) -> float:
    """Poll ``predicate`` until it is true; the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if predicate():  # type: ignore[operator]
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout_s}s")


def _leader_view(cluster: LocalCluster, node: NodeProc) -> tuple[str, int]:
    s = cluster.status(node) or {}
    return str(s.get("leader", "")), int(s.get("term", -1))  # type: ignore[call-overload]


def test_a_resumed_leader_steps_down_and_answers_within_2s(tmp_path: Path) -> None:
    with running_cluster(tmp_path) as cluster:
        old = cluster.wait_leader()
        with psycopg.connect(old.dsn(), autocommit=True) as conn:
            conn.execute("CREATE TABLE t (k INT PRIMARY KEY, v INT)")
        # Writers on the leader, each on its own connection; every statement's start, end
        # and outcome is recorded.
        done: list[tuple[float, float, str]] = []
        stop = threading.Event()

        def writer(w: int) -> None:
            conn: psycopg.Connection[tuple[object, ...]] | None = None
            i = 0
            while not stop.is_set():
                i += 1
                start = time.monotonic()
                try:
                    if conn is None:
                        conn = psycopg.connect(old.dsn(), autocommit=True)
                    conn.execute("INSERT INTO t VALUES (%s, 1)", (w * 1_000_000 + i,))
                    done.append((start, time.monotonic(), "ok"))
                except psycopg.Error as exc:
                    done.append((start, time.monotonic(), exc.sqlstate or type(exc).__name__))
                    if conn is not None:
                        conn.close()
                    conn = None
                    time.sleep(0.05)
            if conn is not None:
                conn.close()

        writers = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
        for t in writers:
            t.start()
        try:
            _wait(lambda: len(done) > 20, 30, "writes before the pause")
            cluster.pause(old)
            paused_at = time.monotonic()
            cluster.wait_leader([n for n in cluster.nodes if n is not old], timeout_s=9)
            time.sleep(max(0.0, paused_at + 10 - time.monotonic()))  # the fault, 10 s long
            cluster.resume(old)
            resumed = time.monotonic()
            # It knows it no longer leads, and a statement sent to it now gets an answer.
            stepped = _wait(
                lambda: (cluster.status(old) or {}).get("state") not in (None, "leader"),
                2.0,
                "the resumed leader stepped down",
            )
            probe_start = time.monotonic()
            with psycopg.connect(old.dsn(), autocommit=True, connect_timeout=3) as conn:
                conn.execute("SET statement_timeout = 5000")
                try:
                    conn.execute("INSERT INTO t VALUES (-1, 1)")
                    outcome = "ok"
                except psycopg.Error as exc:
                    outcome = exc.sqlstate or "error"
            answered = time.monotonic() - resumed
            _wait(lambda: any(s >= resumed for s, _, r in done if r == "ok"), 5, "writes resume")
        finally:
            stop.set()
            for t in writers:
                t.join(30)
        # Statements that were in flight on the paused leader ended soon after it resumed.
        in_flight = [e - resumed for s, e, _ in done if s < resumed <= e]
        print(f"stepped down {stepped:.2f}s, probe {outcome} at {answered:.2f}s "
              f"(sent {probe_start - resumed:.2f}s), in flight ended {in_flight}")  # fmt: skip
        assert answered < 2.0, f"the resumed leader answered only after {answered:.2f}s"
        assert all(t < 2.0 for t in in_flight), in_flight


def test_a_restarted_or_paused_follower_does_not_depose_the_leader(tmp_path: Path) -> None:
    with running_cluster(tmp_path) as cluster:
        leader = cluster.wait_leader()
        with psycopg.connect(leader.dsn(), autocommit=True) as conn:
            conn.execute("CREATE TABLE t (k INT PRIMARY KEY)")
            conn.execute("INSERT INTO t SELECT generate_series(1, 100)")
        before = _leader_view(cluster, leader)
        assert before[0] == leader.raft_addr
        for node in cluster.nodes:
            _wait(lambda n=node: _leader_view(cluster, n) == before, 30, "all follow the leader")
        followers = [n for n in cluster.nodes if n is not leader]

        # kill -9 and start again: it serves SQL within a few seconds, the term is unchanged.
        restarted = followers[0]
        cluster.kill(restarted)
        started = time.monotonic()
        cluster.start(restarted)
        cluster.wait_pgwire(restarted, timeout_s=30)
        with psycopg.connect(restarted.dsn(), autocommit=True) as conn:
            rows = conn.execute("SELECT count(*) FROM t").fetchone()
        serves = time.monotonic() - started
        assert rows == (100,)
        assert _leader_view(cluster, leader) == before
        assert serves < 8, f"the restarted follower served SQL only after {serves:.1f}s"

        # Paused for longer than the election timeout (1.4 s) and than pysyncobj's connection
        # timeout (3.5 s: no leader's message waits in its socket): its timer fires on resume.
        paused = followers[1]
        cluster.pause(paused)
        time.sleep(5)  # the fault itself, not synchronisation
        cluster.resume(paused)
        _wait(lambda: _leader_view(cluster, paused) == before, 10, "the paused follower rejoined")
        time.sleep(1.5)  # an election it started would show by now
        for node in cluster.nodes:
            assert _leader_view(cluster, node) == before, (node.node_id, cluster.status(node))
        with psycopg.connect(paused.dsn(), autocommit=True) as conn:
            conn.execute("INSERT INTO t VALUES (0)")


# -- the resolver ------------------------------------------------------------------------------


def test_peer_names_are_resolved_again_after_the_refresh_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A restarted container gets a new address: the resolver must not keep the old one
    for pysyncobj's 600 s, nor block the caller while it looks the name up again."""
    answers = {"peer": "10.0.0.2"}
    lookups: list[str] = []

    def getaddrinfo(host: str, port: object) -> list[tuple[object, ...]]:
        lookups.append(host)
        if host not in answers:
            raise socket.gaierror("unknown")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    resolver = raft_prevote.RefreshingResolver(refresh_s=0.05)
    assert resolver.resolve("peer") == "10.0.0.2"
    del answers["peer"]  # the container is down: a failed lookup keeps the last address
    time.sleep(0.1)
    assert resolver.resolve("peer") == "10.0.0.2"
    _wait(lambda: len(lookups) >= 2, 2, "a background lookup")
    answers["peer"] = "10.0.0.7"  # up again, elsewhere
    _wait(lambda: resolver.resolve("peer") == "10.0.0.7", 2, "the new address")


# -- one link cut ------------------------------------------------------------------------------


@pytest.mark.skipif(not netns.available(), reason="needs root, ip and nft")
def test_a_follower_cut_off_from_the_leader_alone_does_not_depose_it(tmp_path: Path) -> None:
    """The shape of the compose restart: one member cannot reach the leader (there, the
    leader kept dialling the member's old address) but reaches the other follower."""
    net = Netns(3).create()
    cluster = LocalCluster.create(tmp_path, 3, net=net)
    try:
        cluster.start_all()
        leader = cluster.wait_leader()
        before = _leader_view(cluster, leader)
        for node in cluster.nodes:
            _wait(lambda n=node: _leader_view(cluster, n) == before, 30, "all follow the leader")
        cut, other = [n for n in cluster.nodes if n is not leader]
        net.partition([(leader.node_id, cut.node_id)])
        deadline = time.monotonic() + 6  # four election timeouts and more
        while time.monotonic() < deadline:
            for node in (leader, other):
                assert _leader_view(cluster, node) == before, (node.node_id, cluster.status(node))
            time.sleep(0.2)
        net.heal()
        _wait(lambda: _leader_view(cluster, cut) == before, 20, "the cut follower rejoined")
        assert _leader_view(cluster, leader) == before
    finally:
        cluster.stop_all()
        net.close()
