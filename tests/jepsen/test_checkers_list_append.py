"""The list-append checker on hand-made histories: each anomaly is found, clean histories
(including write skew, which snapshot isolation allows) pass."""

from __future__ import annotations

from typing import Any

from tests.jepsen.checkers import list_append
from tests.jepsen.history import FINAL_READ, history_of

Row = tuple[int, str, str, Any]


def txn(p: int, *micro: tuple[str, Any, Any], t: str = "ok") -> list[Row]:
    """One transaction, invoked and completed before the next row."""
    ops = [list(m) for m in micro]
    invoke = [[f, k, None if f == "r" else v] for f, k, v in ops]
    return [(p, "invoke", "txn", invoke), (p, t, "txn", ops)]


def together(*txns: list[Row]) -> list[Row]:
    """Concurrent transactions: every invocation before any completion."""
    return [t[0] for t in txns] + [t[1] for t in txns]


def final(*reads: tuple[Any, list[Any]], p: int = 1000) -> list[Row]:
    value = [["r", k, v] for k, v in reads]
    return [(p, "invoke", FINAL_READ, None), (p, "ok", FINAL_READ, value)]


def la(*parts: list[Row]) -> dict[str, Any]:
    return list_append.check(history_of(*(row for part in parts for row in part)))


def test_clean_history_passes() -> None:
    r = la(
        txn(0, ("append", "x", 1)),
        txn(1, ("r", "x", [1]), ("append", "x", 2), ("r", "x", [1, 2])),
        together(txn(0, ("r", "x", [1, 2]), ("append", "y", 3)), txn(1, ("r", "y", []))),
        final(("x", [1, 2]), ("y", [3])),
        final(("x", [1, 2]), ("y", [3]), p=1001),
    )
    assert r["valid"] and not r["anomalies"], r


def test_g0_write_cycle() -> None:
    # x order 1,2 (T0 then T1) but y order 3,4 (T1 then T0): ww both ways.
    r = la(
        together(
            txn(0, ("append", "x", 1), ("append", "y", 4)),
            txn(1, ("append", "x", 2), ("append", "y", 3)),
        ),
        txn(2, ("r", "x", [1, 2]), ("r", "y", [3, 4])),
    )
    assert not r["valid"] and "G0" in r["anomalies"], r


def test_g1a_aborted_read() -> None:
    r = la(txn(0, ("append", "x", 1), t="fail"), txn(1, ("r", "x", [1])))
    assert not r["valid"] and "G1a" in r["anomalies"]


def test_g1b_intermediate_read() -> None:
    r = la(txn(0, ("append", "x", 1), ("append", "x", 2)), txn(1, ("r", "x", [1])))
    assert not r["valid"] and "G1b" in r["anomalies"]


def test_g1c_circular_information_flow() -> None:
    # T0 reads T1's write of y; T1 reads T0's write of x.
    r = la(
        together(
            txn(0, ("append", "x", 1), ("r", "y", [2])),
            txn(1, ("append", "y", 2), ("r", "x", [1])),
        )
    )
    assert not r["valid"] and "G1c" in r["anomalies"], r


def test_g_single_read_skew() -> None:
    # T2 saw T1's append to x (wr T1 -> T2) but not T1's append to y (rw T2 -> T1): a cycle
    # with one anti-dependency, which snapshot isolation forbids. T3 reveals y's order.
    r = la(
        txn(0, ("append", "x", 1), ("append", "y", 1)),
        together(
            txn(1, ("append", "x", 2), ("append", "y", 2)),
            txn(2, ("r", "x", [1, 2]), ("r", "y", [1])),
        ),
        txn(3, ("r", "y", [1, 2])),
    )
    assert not r["valid"] and "G-single" in r["anomalies"], r


def test_g_single_with_the_version_order_inferred_from_an_append_no_read_shows() -> None:
    # x's 1 is never read: it came after 0, the last element any read shows, so T1 (which
    # read x = [0]) missed T2's append while it saw T2's append to y. No read reveals it.
    r = la(
        txn(0, ("append", "x", 0)),
        together(
            txn(1, ("r", "x", [0]), ("r", "y", [1])),
            txn(2, ("append", "x", 1), ("append", "y", 1)),
        ),
    )
    assert not r["valid"] and "G-single" in r["anomalies"], r


def test_g_single_with_a_key_appended_once_and_never_read() -> None:
    r = la(
        together(
            txn(1, ("r", "x", []), ("r", "y", [1])),
            txn(2, ("append", "x", 1), ("append", "y", 1)),
        )
    )
    assert not r["valid"] and "G-single" in r["anomalies"], r


def _nonadjacent(*extra: list[Row]) -> dict[str, Any]:
    # T1 -rw-> T2 -wr-> T3 -rw-> T4 -wr-> T1: two anti-dependencies, never adjacent. Under SI
    # start(T1) < commit(T2) < start(T3) < commit(T4) < start(T1): impossible.
    return la(
        together(
            txn(1, ("r", "a", []), ("r", "d", [4])),
            txn(2, ("append", "a", 1), ("append", "b", 2)),
            txn(3, ("r", "b", [2]), ("r", "c", [])),
            txn(4, ("append", "c", 3), ("append", "d", 4)),
        ),
        *extra,
    )


def test_g2_with_nonadjacent_anti_dependencies_is_forbidden() -> None:
    r = _nonadjacent()  # the orders of a and c inferred from their single appends
    assert not r["valid"] and "G-nonadjacent" in r["anomalies"], r
    r = _nonadjacent(final(("a", [1]), ("b", [2]), ("c", [3]), ("d", [4])))  # or read
    assert not r["valid"] and "G-nonadjacent" in r["anomalies"], r


def test_write_skew_is_information_only() -> None:
    # Each reads the other's key empty and appends to its own: two adjacent rw edges.
    r = la(
        together(
            txn(0, ("r", "y", []), ("append", "x", 1)),
            txn(1, ("r", "x", []), ("append", "y", 1)),
        ),
        txn(2, ("r", "x", [1]), ("r", "y", [1])),
    )
    assert r["valid"] and "G2-item" in r["anomalies"], r
    # The same without the read that reveals the orders: inferred from the appends.
    r = la(
        together(
            txn(0, ("r", "y", []), ("append", "x", 1)),
            txn(1, ("r", "x", []), ("append", "y", 1)),
        )
    )
    assert r["valid"] and "G2-item" in r["anomalies"], r


def test_incompatible_orders() -> None:
    r = la(
        together(txn(0, ("append", "x", 1)), txn(1, ("append", "x", 2))),
        txn(2, ("r", "x", [1, 2])),
        txn(3, ("r", "x", [2, 1])),
    )
    assert not r["valid"] and "incompatible-order" in r["anomalies"]


def test_an_element_read_twice() -> None:
    r = la(txn(0, ("append", "x", 1)), txn(1, ("r", "x", [1, 1])))
    assert not r["valid"] and "duplicate-elements" in r["anomalies"], r


def test_a_transaction_that_does_not_see_its_own_append() -> None:
    r = la(txn(0, ("append", "x", 1), ("r", "x", [])))
    assert not r["valid"] and "internal" in r["anomalies"], r
    r = la(txn(0, ("append", "x", 1)), txn(1, ("r", "x", [1]), ("append", "x", 2), ("r", "x", [1])))
    assert not r["valid"] and "internal" in r["anomalies"], r
    # Its own appends, then the rest of the list unknown: must end with them, in order.
    r = la(
        txn(0, ("append", "x", 1)),
        txn(1, ("append", "x", 2), ("append", "x", 3), ("r", "x", [1, 3, 2])),
    )
    assert not r["valid"] and "internal" in r["anomalies"], r
    clean = la(
        txn(0, ("append", "x", 1)),
        txn(1, ("append", "x", 2), ("append", "x", 3), ("r", "x", [1, 2, 3])),
    )
    assert clean["valid"], clean


def test_a_read_of_an_element_the_transaction_appends_later() -> None:
    r = la(txn(0, ("r", "x", [1]), ("append", "x", 1)))
    assert not r["valid"] and "future-read" in r["anomalies"], r


def test_an_acknowledged_append_missing_from_the_final_reads_is_lost() -> None:
    r = la(
        txn(0, ("append", "x", 1)),
        txn(1, ("append", "x", 2)),
        final(("x", [1, 2])),
        final(("x", [1]), p=1001),
    )
    assert not r["valid"] and [a["value"] for a in r["anomalies"]["lost"]] == [2], r
    # Unknown appends may be there or not.
    clean = la(
        txn(0, ("append", "x", 1)),
        txn(1, ("append", "x", 2), t="info"),
        final(("x", [1])),
    )
    assert clean["valid"], clean


def test_a_stale_read_after_a_completed_append_breaks_real_time() -> None:
    # T1 began after T0 was acknowledged, yet read x without T0's append.
    r = la(txn(0, ("append", "x", 1)), txn(1, ("r", "x", [])))
    assert not r["valid"] and "G-single-realtime" in r["anomalies"], r
    r = la(txn(0, ("append", "x", 1)), txn(1, ("append", "x", 2)), txn(2, ("r", "x", [1])))
    assert not r["valid"] and "G-single-realtime" in r["anomalies"], r
    # Concurrent, or unknown: it may miss it.
    assert la(together(txn(0, ("append", "x", 1)), txn(1, ("r", "x", []))))["valid"]
    assert la(txn(0, ("append", "x", 1), t="info"), txn(1, ("r", "x", [])))["valid"]


def test_a_lost_update_ordered_before_an_earlier_commit_breaks_real_time() -> None:
    # T1 was invoked after T0 was acknowledged, but x's order puts T1's append first.
    r = la(txn(0, ("append", "x", 1)), txn(1, ("append", "x", 2)), txn(2, ("r", "x", [2, 1])))
    assert not r["valid"] and "G0-realtime" in r["anomalies"], r
