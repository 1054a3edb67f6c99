"""The checkers on hand-made histories: each anomaly is found, clean histories pass."""

from __future__ import annotations

from typing import Any

from tests.jepsen.checkers import bank, list_append, register, sets
from tests.jepsen.history import history_of


def txn(p: int, *micro: tuple[str, Any, Any], t: str = "ok") -> list[tuple[int, str, str, Any]]:
    ops = [list(m) for m in micro]
    invoke = [[f, k, None if f == "r" else v] for f, k, v in ops]
    return [(p, "invoke", "txn", invoke), (p, t, "txn", ops)]


def la(*txns: list[tuple[int, str, str, Any]]) -> dict[str, Any]:
    return list_append.check(history_of(*(row for t in txns for row in t)))


def test_list_append_clean_history_passes() -> None:
    r = la(
        txn(0, ("append", "x", 1)),
        txn(1, ("r", "x", [1]), ("append", "x", 2)),
        txn(0, ("r", "x", [1, 2])),
    )
    assert r["valid"] and not r["anomalies"], r


def test_list_append_finds_g0_write_cycle() -> None:
    # x order 1,2 (T0 then T1) but y order 3,4 (T1 then T0): ww both ways.
    r = la(
        txn(0, ("append", "x", 1), ("append", "y", 4)),
        txn(1, ("append", "x", 2), ("append", "y", 3)),
        txn(2, ("r", "x", [1, 2]), ("r", "y", [3, 4])),
    )
    assert not r["valid"] and "G0" in r["anomalies"]


def test_list_append_finds_g1a_aborted_read() -> None:
    r = la(txn(0, ("append", "x", 1), t="fail"), txn(1, ("r", "x", [1])))
    assert not r["valid"] and "G1a" in r["anomalies"]


def test_list_append_finds_g1b_intermediate_read() -> None:
    r = la(txn(0, ("append", "x", 1), ("append", "x", 2)), txn(1, ("r", "x", [1])))
    assert not r["valid"] and "G1b" in r["anomalies"]


def test_list_append_finds_g1c_circular_information_flow() -> None:
    # T0 reads T1's write of y; T1 reads T0's write of x.
    r = la(txn(0, ("append", "x", 1), ("r", "y", [2])), txn(1, ("append", "y", 2), ("r", "x", [1])))
    assert not r["valid"] and "G1c" in r["anomalies"]


def test_list_append_finds_g_single_read_skew() -> None:
    # T2 saw T1's append to x (wr T1 -> T2) but not T1's append to y (rw T2 -> T1): a cycle
    # with one anti-dependency, which snapshot isolation forbids. T3 reveals y's order.
    r = la(
        txn(0, ("append", "x", 1), ("append", "y", 1)),
        txn(1, ("append", "x", 2), ("append", "y", 2)),
        txn(2, ("r", "x", [1, 2]), ("r", "y", [1])),
        txn(3, ("r", "y", [1, 2])),
    )
    assert not r["valid"] and "G-single" in r["anomalies"], r


def test_list_append_reports_write_skew_as_information_only() -> None:
    # Each reads the other's key empty and appends to its own: two rw edges, allowed by SI.
    r = la(
        txn(0, ("r", "y", []), ("append", "x", 1)),
        txn(1, ("r", "x", []), ("append", "y", 1)),
        txn(2, ("r", "x", [1]), ("r", "y", [1])),
    )
    assert r["valid"] and "G2-item" in r["anomalies"], r


def test_list_append_finds_incompatible_orders() -> None:
    r = la(
        txn(0, ("append", "x", 1)),
        txn(1, ("append", "x", 2)),
        txn(2, ("r", "x", [1, 2])),
        txn(3, ("r", "x", [2, 1])),
    )
    assert not r["valid"] and "incompatible-order" in r["anomalies"]


def reg(*rows: tuple[int, str, str, Any]) -> dict[str, Any]:
    return register.check(history_of(*rows))


def test_register_linearizable_history_passes() -> None:
    r = reg(
        (0, "invoke", "write", ("k", 1)),
        (1, "invoke", "read", ("k", None)),
        (0, "ok", "write", ("k", 1)),
        (1, "ok", "read", ("k", 1)),
        (0, "invoke", "cas", ("k", (1, 2))),
        (0, "ok", "cas", ("k", (1, 2))),
        (1, "invoke", "read", ("k", None)),
        (1, "ok", "read", ("k", 2)),
    )
    assert r["valid"], r


def test_register_finds_a_stale_read() -> None:
    r = reg(
        (0, "invoke", "write", ("k", 1)),
        (0, "ok", "write", ("k", 1)),
        (0, "invoke", "write", ("k", 2)),
        (0, "ok", "write", ("k", 2)),
        (1, "invoke", "read", ("k", None)),
        (1, "ok", "read", ("k", 1)),
    )
    assert not r["valid"] and r["non_linearizable_keys"] == ["k"]


def test_register_indeterminate_write_may_or_may_not_have_happened() -> None:
    for seen in (None, 5):
        r = reg(
            (0, "invoke", "write", ("k", 5)),
            (0, "info", "write", ("k", 5)),
            (1, "invoke", "read", ("k", None)),
            (1, "ok", "read", ("k", seen)),
        )
        assert r["valid"], (seen, r)


def test_register_successful_cas_from_a_value_never_there_is_caught() -> None:
    r = reg((0, "invoke", "cas", ("k", (7, 8))), (0, "ok", "cas", ("k", (7, 8))))
    assert not r["valid"]


def test_bank_checker_finds_a_wrong_total_and_negative_balances() -> None:
    ok = history_of((0, "invoke", "read", None), (0, "ok", "read", {"a": 60, "b": 40}))
    assert bank.check(ok, 100)["valid"]
    bad = history_of(
        (0, "invoke", "read", None),
        (0, "ok", "read", {"a": 70, "b": 40}),
        (1, "invoke", "read", None),
        (1, "ok", "read", {"a": 110, "b": -10}),
    )
    r = bank.check(bad, 100)
    assert not r["valid"] and r["bad_read_count"] == 2


def test_set_checker_finds_lost_and_unexpected_elements() -> None:
    h = history_of(
        (0, "invoke", "add", 1),
        (0, "ok", "add", 1),
        (0, "invoke", "add", 2),
        (0, "info", "add", 2),
        (1, "invoke", "read", None),
        (1, "ok", "read", [2, 9]),
    )
    r = sets.check(h)
    assert not r["valid"] and r["lost"] == [1] and r["unexpected"] == [9]
    clean = history_of(
        (0, "invoke", "add", 1),
        (0, "ok", "add", 1),
        (1, "invoke", "read", None),
        (1, "ok", "read", [1]),
    )
    assert sets.check(clean)["valid"]


def test_a_run_whose_replicas_differ_is_invalid_even_if_its_history_checks_out() -> None:
    from pathlib import Path

    from tests.cluster.harness import LocalCluster
    from tests.jepsen.runner import Run, RunConfig, check

    run = Run(RunConfig("set", []), LocalCluster(Path(".")))
    run.history.add(999, "invoke", "read", None)
    run.history.add(999, "ok", "read", [])
    assert check(run)["valid"]
    run.consistency = {"ok": True, "mismatches": []}
    assert check(run)["valid"]  # identical replicas keep a clean history valid
    run.consistency = {"ok": False, "mismatches": ["[write 'k' @1 .. (end)) keys {...}"]}
    result = check(run)
    assert not result["valid"] and result["consistency"]["mismatches"]
