"""A branch creation outlives its leader: three real db9-server processes run with the branch
step delayed (``DB9_FAULT_BRANCH``); the leader, whose reconciler alone works on branches, is
SIGKILLed while a branch is CREATING, and the new leader's reconciler finishes it, or fails it
with the injected reason, with no new request."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from control.plane import ControlPlane
from kv.client import TxnClient
from tests.cluster.harness import running_cluster

DELAY_S = 4.0  # the injected branch step: the leader is killed well inside it


@pytest.mark.parametrize(
    ("fault", "state", "reason"),
    [
        (f"delay:{DELAY_S:g}", "ACTIVE", None),
        (f"delay:{DELAY_S:g},fail:clone interrupted (injected)", "CREATE_FAILED",
         "clone interrupted (injected)"),
    ],
    ids=["finished", "failed"],
)  # fmt: skip
def test_the_new_leader_finishes_or_fails_a_branch_its_killed_predecessor_left_creating(
    tmp_path: Path, fault: str, state: str, reason: str | None
) -> None:
    with running_cluster(tmp_path, db9_fault_branch=fault) as cluster:
        kv = cluster.client(retry_s=30.0)
        # An in-process control plane only writes the records: it runs no reconciler.
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        plane = ControlPlane(TxnClient(kv), kv, host="127.0.0.1", pg_port=0, key=key)
        account = plane.registry.create_account("branch-recovery")
        plane.create(account, "main")
        plane.sql(account, "main", "CREATE TABLE t (id int PRIMARY KEY); "
                  "INSERT INTO t SELECT g FROM generate_series(1, 20) g")  # fmt: skip
        leader = cluster.wait_leader()
        rec = plane.branch(account, "main", "feature")
        cluster.kill(leader)
        assert rec.state == "CREATING" and time.time() - rec.created_at < DELAY_S
        survivors = [n for n in cluster.nodes if n is not leader]
        deadline = time.monotonic() + 60
        while (rec := plane.registry.database(account.id, "feature")).state == "CREATING":
            assert time.monotonic() < deadline, "the branch is still CREATING after 60 s"
            time.sleep(0.2)
        assert cluster.wait_leader(survivors) is not leader
        assert (rec.state, rec.state_reason) == (state, reason)
        if state == "ACTIVE":
            rows = plane.sql(account, "feature", "SELECT count(*) FROM t")[0]["rows"]
            assert rows == [[20]]
        kv.close()
