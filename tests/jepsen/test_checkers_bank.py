"""The bank checker on hand-made histories: malformed reads, wrong totals, stale reads and
lost updates are found; reads that may have seen concurrent or unknown transfers pass."""

from __future__ import annotations

from typing import Any

import pytest

from tests.jepsen.checkers import bank
from tests.jepsen.history import FINAL_READ, history_of

Row = tuple[int, str, str, Any]
INITIAL = {0: 100, 1: 100, 2: 100}


def transfer(p: int, a: int, b: int, amount: int, t: str = "ok") -> list[Row]:
    value = {"from": a, "to": b, "amount": amount}
    return [(p, "invoke", "transfer", value), (p, t, "transfer", value)]


def read(p: int, *balances: int, f: str = "read") -> list[Row]:
    rows = [[i, b] for i, b in enumerate(balances)]
    return [(p, "invoke", f, None), (p, "ok", f, rows)]


def final(*balances: int, p: int = 1000) -> list[Row]:
    return read(p, *balances, f=FINAL_READ)


def together(*ops: list[Row]) -> list[Row]:
    return [o[0] for o in ops] + [o[1] for o in ops]


def bk(*parts: list[Row]) -> dict[str, Any]:
    return bank.check(history_of(*(row for part in parts for row in part)), INITIAL)


def test_clean_history_passes() -> None:
    r = bk(
        read(0, 100, 100, 100),
        transfer(1, 0, 1, 10),
        together(transfer(1, 1, 2, 5), read(0, 90, 110, 100)),  # concurrent: may miss it
        together(transfer(1, 1, 2, 5), read(0, 90, 100, 110)),  # or see it
        transfer(2, 2, 0, 7, t="info"),  # unknown: may or may not have happened
        read(0, 90, 100, 110),
        read(0, 97, 100, 103),
        transfer(2, 0, 1, 1000, t="fail"),
        final(97, 100, 103),
        final(97, 100, 103, p=1001),
    )
    assert r["valid"] and not r["anomalies"] and r["undecided_reads"] == 0, r


def test_wrong_total_and_negative_balances() -> None:
    r = bk(read(0, 100, 110, 100), read(1, 200, 110, -10), final(100, 100, 100))
    assert not r["valid"] and r["anomaly_counts"]["wrong-total"] == 1, r
    assert r["anomaly_counts"]["negative"] == 1, r


def test_a_read_that_misses_an_account_or_holds_one_twice() -> None:
    missing = [(0, "invoke", "read", None), (0, "ok", "read", [[0, 150], [1, 150]])]
    twice = [(0, "invoke", "read", None), (0, "ok", "read", [[0, 100], [1, 100], [1, 100]])]
    r = bk(missing, twice, final(100, 100, 100))
    malformed = r["anomalies"]["malformed"]
    assert not r["valid"] and len(malformed) == 2, r
    assert malformed[0]["missing"] == [2] and malformed[1]["twice"] == [1], malformed


def test_a_lost_update_that_keeps_the_total_is_caught_by_the_final_read() -> None:
    # Both transfers acknowledged; the final balances show only the first.
    parts = [transfer(0, 0, 1, 10), transfer(1, 1, 2, 10), read(2, 90, 100, 110)]
    r = bk(*parts, final(90, 110, 100))
    assert not r["valid"] and r["anomaly_counts"] == {"final-mismatch": 1}, r
    assert bk(*parts, final(90, 100, 110))["valid"]


def test_unknown_transfers_may_or_may_not_show_in_the_final_read() -> None:
    parts = [transfer(0, 0, 1, 10), transfer(1, 1, 2, 7, t="info"), transfer(2, 2, 0, 3, t="info")]
    for balances in [(90, 110, 100), (90, 103, 107), (93, 110, 97), (93, 103, 104)]:
        assert bk(*parts, read(3, *balances), final(*balances))["valid"], balances
    r = bk(*parts, final(100, 100, 100))  # the acknowledged one is missing
    assert not r["valid"] and "final-mismatch" in r["anomalies"], r


def test_a_stale_read_after_a_completed_transfer() -> None:
    r = bk(transfer(0, 0, 1, 10), read(1, 100, 100, 100), final(90, 110, 100))
    assert not r["valid"] and r["anomaly_counts"] == {"stale": 1}, r


def test_a_read_that_sees_a_transfer_invoked_after_it_completed() -> None:
    r = bk(read(1, 90, 110, 100), transfer(0, 0, 1, 10), final(90, 110, 100))
    assert not r["valid"] and r["anomaly_counts"] == {"stale": 1}, r


def test_too_big_a_search_leaves_a_read_undecided_not_passed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unknown = [transfer(0, i % 3, (i + 1) % 3, i + 1, t="info") for i in range(6)]
    monkeypatch.setattr(bank, "MAX_CANDIDATES", 5)
    r = bk(*unknown, read(1, 100, 100, 100), final(100, 100, 100))
    assert r["undecided_reads"] == 2 and r["valid"], r
    monkeypatch.setattr(bank, "MAX_CANDIDATES", 200)
    monkeypatch.setattr(bank, "MAX_STATES", 1)
    unknown = [transfer(0, i % 3, (i + 1) % 3, i + 1, t="info") for i in range(20)]
    r = bk(*unknown, read(1, 50, 150, 100), final(100, 100, 100))
    assert r["undecided_reads"] == 2 and r["valid"], r


def test_many_unknown_transfers_still_decide_reads() -> None:
    unknown = [transfer(0, i % 3, (i + 1) % 3, i + 1, t="info") for i in range(60)]
    # Unknown transfer 41 (1 -> 2, 42) happened; nothing else did.
    assert bk(*unknown, read(1, 100, 58, 142), final(100, 58, 142))["valid"]
    # A read no subset explains: 1000 more than the unknown transfers can move.
    r = bk(*unknown, read(1, -1000, 1200, 100), final(100, 100, 100))
    assert not r["valid"] and "stale" in r["anomalies"] and r["undecided_reads"] == 0, r


def test_subset_search() -> None:
    assert bank.reachable((3, -3), [(1, -1), (2, -2), (5, -5)])
    assert not bank.reachable((4, -4), [(1, -1), (2, -2), (5, -5)])
    assert bank.reachable((0, 0), [])
    assert bank.reachable((1, 0), []) is False
