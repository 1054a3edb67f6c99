"""The harness around the checkers: a client that raises something unexpected records the
operation as unknown and goes on; runs draw fresh seeds; every nemesis given is drawn."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.cluster.harness import LocalCluster
from tests.jepsen import nemeses, recheck, workloads
from tests.jepsen.history import CLIENT_ERROR, FINAL_PROCESS, FINAL_READ, history_of
from tests.jepsen.nemeses.base import Nemesis
from tests.jepsen.run import Run, RunConfig
from tests.jepsen.runner import check


class _FakeConn:
    closed = False

    def execute(self, *_: Any) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def test_an_unexpected_exception_in_a_sql_client_is_recorded_and_the_client_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = Run(RunConfig("set", [], seed=1), LocalCluster(Path(".")))
    connects: list[_FakeConn] = []

    def connect(_run: Run, _process: int) -> _FakeConn:
        connects.append(_FakeConn())
        return connects[-1]

    monkeypatch.setattr(workloads, "_connect", connect)
    calls = 0

    def op(_conn: Any, _rng: random.Random, holder: list[Any]) -> Any:
        nonlocal calls
        calls += 1
        holder.append(("add", calls))
        run.history.add(0, "invoke", "add", calls)
        if calls == 3:
            run.stop.set()
            return "add", calls, calls
        raise KeyError("no such thing")

    workloads.sql_client(run, 0, random.Random(1), op)
    types = [(o.type, o.f, o.value) for o in run.history.ops]
    assert types == [
        ("invoke", "add", 1), ("info", "add", 1),
        ("invoke", "add", 2), ("info", "add", 2),
        ("invoke", "add", 3), ("ok", "add", 3),
    ]  # fmt: skip
    infos = [o for o in run.history.ops if o.type == "info"]
    assert all((o.error or "").startswith(CLIENT_ERROR + "KeyError") for o in infos), infos
    assert len(connects) == 3  # a connection in an unknown state is not reused
    run.history.add(1000, "invoke", "final-read", None)
    run.history.add(1000, "ok", "final-read", [1, 2, 3])
    assert check(run)["client_errors"] == 2


def test_an_exception_before_the_invocation_is_still_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = Run(RunConfig("set", [], seed=1), LocalCluster(Path(".")))

    def connect(_run: Run, _process: int) -> _FakeConn:
        run.stop.set()
        raise ValueError("bad dsn")

    monkeypatch.setattr(workloads, "_connect", connect)
    workloads.sql_client(run, 0, random.Random(1), lambda *_: ("add", 1, 1))
    assert [(o.type, o.f) for o in run.history.ops] == [("invoke", "error"), ("info", "error")]
    assert (run.history.ops[1].error or "").startswith(CLIENT_ERROR + "ValueError")


def test_an_unexpected_exception_in_the_register_client_is_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = Run(RunConfig("register", [], seed=1), LocalCluster(Path(".")))
    run.cluster.nodes.append(SimpleNamespace(grpc_addr="127.0.0.1:1"))  # type: ignore[arg-type]
    begun = 0

    class Client:
        def __init__(self, _kv: Any) -> None:
            pass

        def begin(self) -> Any:
            nonlocal begun
            begun += 1
            if begun == 2:
                run.stop.set()
            raise KeyError("boom")

    monkeypatch.setattr(workloads, "RemoteKv", lambda *a, **k: SimpleNamespace(close=lambda: 0))
    monkeypatch.setattr(workloads, "TxnClient", Client)
    workloads.register_client(run, 0, random.Random(1))
    done = [o for o in run.history.ops if o.type != "invoke"]
    assert [o.type for o in done] == ["info", "info"]
    assert all((o.error or "").startswith(CLIENT_ERROR + "KeyError") for o in done)


def test_runs_draw_a_fresh_seed_unless_given_one() -> None:
    seeds = {RunConfig("set", []).seed for _ in range(5)}
    assert len(seeds) == 5
    assert RunConfig("set", [], seed=42).seed == 42


def test_every_nemesis_strikes_once_per_round(monkeypatch: pytest.MonkeyPatch) -> None:
    names = [f"fake-{i}" for i in range(5)]
    struck: list[str] = []
    rounds = 20

    def nemesis(name: str) -> Nemesis:
        def strike(run: Run, *_: Any) -> str:
            struck.append(name)
            if len(struck) == rounds * len(names):
                run.stop.set()
            return name

        return Nemesis(name, strike)

    for n in names:
        monkeypatch.setitem(nemeses.REGISTRY, n, nemesis(n))
    node = SimpleNamespace(alive=True, stopped=False)
    cluster = SimpleNamespace(nodes=[node], status=lambda _n: {"state": "leader"})
    run = Run(RunConfig("set", names, interval_s=0.0001, seed=3), cluster)  # type: ignore[arg-type]
    nemeses.run_nemeses(run, random.Random(3))
    assert len(struck) == rounds * len(names)
    for r in range(rounds):
        assert sorted(struck[r * 5 : r * 5 + 5]) == names, struck
    # Random order: the rounds are not all alike.
    assert len({tuple(struck[r * 5 : r * 5 + 5]) for r in range(rounds)}) > 1
    assert Counter(struck) == dict.fromkeys(names, rounds)


def test_recheck_runs_the_current_checkers_on_a_recorded_run(tmp_path: Path) -> None:
    """A recorded history is checked again from its files; what only the live run saw (a
    heal that failed, the replicas' hashes) still counts."""
    history = history_of(
        (0, "invoke", "write", ("r0", 1)),
        (0, "ok", "write", ("r0", 1)),
        (1, "invoke", "read", ("r0", None)),
        (1, "ok", "read", ("r0", 2)),  # never written
        *[
            row
            for node in range(3)
            for row in (
                (FINAL_PROCESS + node, "invoke", FINAL_READ, None),
                (FINAL_PROCESS + node, "ok", FINAL_READ, [("r0", 1)]),
            )
        ],
    )
    history.dump(str(tmp_path / "history.jsonl"))
    summary = {"workload": "register", "valid": True, "consistency": {"ok": True}}
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    result = recheck.recheck(tmp_path)
    assert not result["valid"] and result["non_linearizable_keys"] == ["r0"]

    history.ops[3].value = ("r0", 1)
    history.dump(str(tmp_path / "history.jsonl"))
    assert recheck.recheck(tmp_path)["valid"]
    (tmp_path / "summary.json").write_text(json.dumps({**summary, "heal_error": "no leader"}))
    result = recheck.recheck(tmp_path)
    assert not result["valid"] and result["heal_error"] == "no leader"


def test_an_invalid_run_keeps_its_nodes_logs(tmp_path: Path) -> None:
    """The run's directory is removed after it; the reason a node never came back is in its
    server.log, so a run that fails keeps a copy (``__main__`` calls ``keep_logs``)."""
    from tests.jepsen.runner import keep_logs

    for n in (1, 2):
        (tmp_path / "run" / f"node{n}").mkdir(parents=True)
        (tmp_path / "run" / f"node{n}" / "server.log").write_text(f"node {n} says why\n")
    # a node on the disk nemesis's tmpfs: its log was copied out before the unmount
    (tmp_path / "run" / "node2-server.log").write_text("node 2 from its tmpfs\n")
    keep_logs(tmp_path / "run", tmp_path / "report" / "logs")
    kept = sorted(p.name for p in (tmp_path / "report" / "logs").iterdir())
    assert kept == ["node1.log", "node2.log"]
    assert (tmp_path / "report" / "logs" / "node1.log").read_text() == "node 1 says why\n"
    assert (tmp_path / "report" / "logs" / "node2.log").read_text() == "node 2 from its tmpfs\n"


@pytest.mark.parametrize("strike", ["wipe", "unsafe-wipe", "stale-quorum", "membership"])
def test_no_strike_destroys_a_second_members_data_while_one_is_a_learner(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, strike: str
) -> None:
    """Wiping a member while another is still a learner leaves one voter of three, which can
    never elect a leader: the run then fails its heal by the harness's doing (the proof
    run's list-append-1). Such a strike is skipped; nothing is killed or emptied."""
    from tests.cluster.harness import NodeProc
    from tests.jepsen.nemeses import REGISTRY, membership

    cluster = LocalCluster.create(tmp_path, 3)
    roles = {1: "voter", 2: "learner", 3: "voter"}
    monkeypatch.setattr(
        membership,
        "member_identity",
        lambda n: SimpleNamespace(role=roles[n.node_id]),
        raising=False,
    )

    def untouchable(*_a: object) -> None:
        raise AssertionError("a node was killed, paused or started")

    for action in ("kill", "pause", "start", "stop_all"):
        monkeypatch.setattr(cluster, action, untouchable)
    monkeypatch.setattr(NodeProc, "alive", property(lambda _self: True))
    for node in cluster.nodes:
        (node.data_dir / "keep").parent.mkdir(parents=True, exist_ok=True)
        (node.data_dir / "keep").write_text("data")
    monkeypatch.setattr(cluster, "status", lambda _n: {"state": "leader"}, raising=False)
    monkeypatch.setattr(membership, "VOTERS_WAIT_S", 0.5, raising=False)
    run = Run(RunConfig("set", [strike], seed=1), cluster)
    leader: NodeProc = cluster.nodes[0]
    what = REGISTRY[strike].strike(run, random.Random(1), cluster.nodes[2], leader)
    assert "skipped, node2 is a learner" in what, what
    assert all((n.data_dir / "keep").exists() for n in cluster.nodes)
