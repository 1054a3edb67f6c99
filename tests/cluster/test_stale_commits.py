"""A read at a timestamp the cluster has served never changes afterwards (TiKV's guarantee,
the ground of snapshot isolation): no commit may land below a timestamp already read at.

A one-phase commit takes its commit_ts from the leader's oracle and is protected only by
that leader's in-memory lock table until its entry applies. The fault tests lost three
acknowledged appends (list-append, seed 2086838052, disk full on the leader): the leader
drew a commit_ts, stopped leading before its proposer handed the entry to Raft, and
pysyncobj forwarded the entry to the next leader, which logged it after its own timestamp
window. A reader at a later timestamp did not see it, wrote the key over it, and the old
commit landed beneath that write, never visible.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from kv.mvcc.reader import MvccReader


def test_a_commit_drawn_by_a_deposed_leader_never_lands_below_a_read(tmp_path: Path) -> None:
    from cluster import raft_journal
    from cluster.proposer import Proposer
    from cluster.raft_kv import RaftKv
    from cluster.state_machine import KvStateMachine, RaftOptions
    from kv.engine.lmdb import LmdbEngine
    from kv.mvcc.records import Mutation, Op
    from tests.cluster.harness import free_ports

    addrs = [f"127.0.0.1:{p}" for p in free_ports(3)]
    machines: list[KvStateMachine] = []
    kvs: list[RaftKv] = []
    for i in range(3):
        data_dir = tmp_path / f"n{i}"
        data_dir.mkdir()
        engine = LmdbEngine(str(data_dir))
        options = RaftOptions(password="pw")
        machines.append(KvStateMachine(engine, addrs[i], addrs, str(data_dir), options))

    def wait_leader(exclude: Any = None) -> KvStateMachine:
        deadline = time.monotonic() + 30
        while True:
            leaders = [m for m in machines if m._isLeader() and m is not exclude]
            if leaders:
                return leaders[0]
            assert time.monotonic() < deadline, "no leader"
            time.sleep(0.02)

    try:
        old = wait_leader()
        old_kv = RaftKv(old, Proposer(old), retry_s=2)
        kvs.append(old_kv)
        key = b"k"
        start_ts = old_kv.get_ts()

        # The old leader's proposer is held between taking the commit and handing it to
        # Raft, until leadership has moved and a read has been served above its commit_ts.
        release, landed = threading.Event(), threading.Event()
        replicated = old.apply_batch

        def held(payload: bytes, callback: Any) -> None:
            release.wait(30)

            def answered(res: Any, err: Any) -> None:
                landed.set()
                callback(res, err)

            replicated(payload, callback=answered)

        old.apply_batch = held  # type: ignore[method-assign]
        outcome: list[Any] = []
        committer = threading.Thread(
            target=lambda: outcome.extend(
                old_kv.one_pc_here([([Mutation(Op.PUT, key, b"from the old leader")], start_ts)])
            )
        )
        committer.start()
        deadline = time.monotonic() + 10
        while not old_kv.proposer._inflight:  # the commit_ts is drawn and the entry taken
            assert time.monotonic() < deadline, "the proposer never took the commit"
            time.sleep(0.01)

        # As a leader whose disk fills does: hand over and stop leading (on its Raft thread).
        stepped = threading.Event()

        def step_down() -> None:
            if not stepped.is_set():
                stepped.set()
                raft_journal._sit_out(old)

        old.addOnTickCallback(step_down)
        new = wait_leader(exclude=old)
        new_kv = RaftKv(new, Proposer(new), retry_s=5)
        kvs.append(new_kv)
        read_ts = new_kv.get_ts()
        assert new_kv.get(key, read_ts) is None  # served: nothing at ``read_ts``

        release.set()
        committer.join(30)
        # the entry reached the log through the new leader, and applied on the old one
        assert landed.wait(10), "the held entry never applied"
        print("the old leader's commit:", outcome)
        write = new_kv.one_pc([Mutation(Op.PUT, b"after", b"x")], new_kv.get_ts())
        for machine in machines:  # every member has applied everything up to that write
            deadline = time.monotonic() + 10
            while machine.applied_index < new.applied_index:
                assert time.monotonic() < deadline, "a member did not catch up"
                time.sleep(0.02)
            with machine.engine.snapshot() as snap:
                seen = MvccReader(snap, machine.links).get(key, read_ts)
            assert seen is None, (
                f"a read at {read_ts} found nothing; the same read now finds {seen!r}: the old "
                f"leader's commit ({outcome}) landed below it (write at {write})"
            )
    finally:
        for kv in kvs:
            kv.close()
            kv.proposer.stop()
        for machine in machines:
            machine.close()
            machine.engine.close()
