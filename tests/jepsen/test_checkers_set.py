"""The set checker on hand-made histories: lost, unexpected, duplicated, failed-yet-present
and stale elements are found; reads concurrent with inserts pass either way."""

from __future__ import annotations

from typing import Any

from tests.jepsen.checkers import replicas, sets
from tests.jepsen.history import FINAL_READ, history_of

Row = tuple[int, str, str, Any]


def add(p: int, x: int, t: str = "ok") -> list[Row]:
    return [(p, "invoke", "add", x), (p, t, "add", x)]


def read(p: int, xs: list[int], f: str = "read") -> list[Row]:
    return [(p, "invoke", f, None), (p, "ok", f, xs)]


def final(xs: list[int], p: int = 1000) -> list[Row]:
    return read(p, xs, f=FINAL_READ)


def together(*ops: list[Row]) -> list[Row]:
    return [o[0] for o in ops] + [o[1] for o in ops]


def st(*parts: list[Row]) -> dict[str, Any]:
    return sets.check(history_of(*(row for part in parts for row in part)))


def test_clean_history_passes() -> None:
    r = st(
        add(0, 1),
        read(1, [1]),
        together(add(0, 2), read(1, [1])),  # concurrent: may miss it
        add(0, 3, t="info"),
        read(1, [1, 2]),  # the unknown one may be missing
        read(1, [1, 2, 3]),  # or there
        add(0, 4, t="fail"),
        final([1, 2, 3]),
        final([3, 2, 1], p=1001),
    )
    assert r["valid"] and not r["anomalies"], r
    assert r["reads"] == 4 and r["final_reads"] == 2 and r["unsure_present"] == 1, r


def test_lost_and_unexpected_elements() -> None:
    r = st(add(0, 1), add(0, 2, t="info"), final([2, 9]))
    assert not r["valid"] and r["lost"] == [1], r
    assert r["anomalies"]["unexpected"][0]["elements"] == [9], r


def test_an_element_read_twice() -> None:
    r = st(add(0, 1), final([1, 1]))
    assert not r["valid"] and r["anomaly_counts"] == {"duplicated": 1}, r
    r = st(add(0, 1), read(1, [1, 1]), final([1]))
    assert not r["valid"] and r["anomaly_counts"] == {"duplicated": 1}, r


def test_an_insert_that_failed_is_present() -> None:
    r = st(add(0, 1, t="fail"), final([1]))
    assert not r["valid"] and r["anomaly_counts"] == {"failed-present": 1}, r


def test_a_read_during_the_run_that_misses_an_acknowledged_insert_is_stale() -> None:
    r = st(add(0, 1), add(0, 2), read(1, [1]), final([1, 2]))
    assert not r["valid"] and r["anomaly_counts"] == {"stale": 1}, r
    assert r["anomalies"]["stale"][0]["elements"] == [2], r


def test_an_element_once_read_must_stay() -> None:
    # The unknown insert of 1 showed in a completed read: every later read must hold it.
    r = st(add(0, 1, t="info"), read(1, [1]), read(2, []), final([1]))
    assert not r["valid"] and r["anomaly_counts"] == {"stale": 1}, r


def test_a_read_that_holds_an_element_inserted_after_it_completed() -> None:
    r = st(read(1, [1]), add(0, 1), final([1]))
    assert not r["valid"] and r["anomaly_counts"] == {"future": 1}, r


def test_no_final_read_is_invalid() -> None:
    assert not st(add(0, 1))["valid"]


def test_final_reads_differ_across_nodes() -> None:
    same = history_of(*final([1, 2]), *final([2, 1], p=1001), *final([1, 2], p=1002))
    assert replicas.check(same, 3)["ok"]
    differ = history_of(*final([1, 2]), *final([1], p=1001), *final([1, 2, 2], p=1002))
    r = replicas.check(differ, 3)
    assert not r["ok"], r
    assert [(d["node"], d["missing_here"], d["only_here"]) for d in r["differences"]] == [
        (2, ["2"], []),
        (3, [], ["2"]),
    ], r
    unread = history_of(*final([1]), (1001, "invoke", FINAL_READ, None))
    r = replicas.check(unread, 3)
    assert not r["ok"] and r["unread_nodes"] == [2, 3], r
