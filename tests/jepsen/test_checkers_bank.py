"""The bank checker on hand-made histories: malformed reads, wrong totals, lost updates that
keep the total, stale reads, phantom, failed and future transfers are found; reads that may
or may not hold concurrent or unknown transfers pass. And the clients' ledger, which gives
each read its horizon."""

from __future__ import annotations

from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.jepsen.checkers import bank
from tests.jepsen.history import FINAL_READ, history_of
from tests.jepsen.workloads import TransferLedger

Row = tuple[int, str, str, Any]
INITIAL = {0: 100, 1: 100, 2: 100}


def transfer(p: int, tid: int, a: int, b: int, amount: int, t: str = "ok") -> list[Row]:
    value = {"id": tid, "from": a, "to": b, "amount": amount}
    return [(p, "invoke", "transfer", value), (p, t, "transfer", value)]


def read(
    p: int, balances: tuple[int, ...], ids: tuple[int, ...] = (), horizon: int = 0
) -> list[Row]:
    items = [["account", i, b] for i, b in enumerate(balances)] + [["transfer", i] for i in ids]
    return [(p, "invoke", "read", {"horizon": horizon}), (p, "ok", "read", items)]


def final(balances: tuple[int, ...], ids: tuple[int, ...] = (), p: int = 1000) -> list[Row]:
    items = [["account", i, b] for i, b in enumerate(balances)] + [["transfer", i] for i in ids]
    return [(p, "invoke", FINAL_READ, None), (p, "ok", FINAL_READ, items)]


def together(*ops: list[Row]) -> list[Row]:
    return [o[0] for o in ops] + [o[1] for o in ops]


def bk(*parts: list[Row]) -> dict[str, Any]:
    return bank.check(history_of(*(row for part in parts for row in part)), INITIAL)


def test_clean_history_passes() -> None:
    r = bk(
        read(0, (100, 100, 100)),
        transfer(1, 1, 0, 1, 10),
        together(transfer(1, 2, 1, 2, 5), read(0, (90, 110, 100), (), horizon=1)),  # may miss it
        together(transfer(1, 3, 1, 2, 5), read(0, (90, 105, 105), (2,), horizon=1)),  # or see it
        transfer(2, 4, 2, 0, 7, t="info"),  # unknown: may or may not have happened
        read(0, (90, 100, 110), (), horizon=4),
        read(0, (97, 100, 103), (4,), horizon=4),
        transfer(2, 5, 0, 1, 1000, t="fail"),
        final((97, 100, 103), (1, 2, 3, 4)),
        final((97, 100, 103), (4, 3, 2, 1), p=1001),
    )
    assert r["valid"] and not r["anomalies"], r
    assert r["reads"] == 5 and r["final_reads"] == 2 and r["unknown_transfers"] == 1, r


def test_wrong_total_and_negative_balances() -> None:
    r = bk(read(0, (100, 110, 100)), read(1, (200, 110, -10)), final((100, 100, 100)))
    assert not r["valid"] and r["anomaly_counts"]["wrong-total"] == 1, r
    assert r["anomaly_counts"]["negative"] == 1, r


def test_a_read_that_misses_an_account_or_holds_one_twice() -> None:
    missing = [
        (0, "invoke", "read", {"horizon": 0}),
        (0, "ok", "read", [["account", 0, 150], ["account", 1, 150]]),
    ]
    twice = [
        (0, "invoke", "read", {"horizon": 0}),
        (0, "ok", "read", [["account", 0, 100], ["account", 1, 100], ["account", 1, 100]]),
    ]
    r = bk(missing, twice, final((100, 100, 100)))
    malformed = r["anomalies"]["malformed"]
    assert not r["valid"] and len(malformed) == 2, r
    assert malformed[0]["missing"] == [2] and malformed[1]["twice"] == [1], malformed


def test_a_read_that_holds_a_transfer_twice_or_one_it_did_not_ask_for() -> None:
    parts = [transfer(0, 1, 0, 1, 10)]
    r = bk(*parts, read(1, (90, 110, 100), (1, 1)), read(1, (90, 110, 100), (1,), horizon=1))
    assert r["anomaly_counts"] == {"malformed": 2}, r
    assert r["anomalies"]["malformed"][0]["transfers_twice"] == [1], r
    assert r["anomalies"]["malformed"][1]["unasked"] == [1], r


def test_a_lost_update_that_keeps_the_total() -> None:
    # Both transfers acknowledged and their ids committed; the balances show only the first:
    # the second read the balance before the first wrote it, and wrote over it.
    parts = [transfer(0, 1, 0, 1, 10), transfer(1, 2, 1, 2, 10)]
    r = bk(*parts, final((90, 110, 100), (1, 2)))
    assert not r["valid"] and r["anomaly_counts"] == {"wrong-balances": 1}, r
    assert bk(*parts, read(2, (90, 100, 110), (), horizon=2), final((90, 100, 110), (1, 2)))[
        "valid"
    ]
    # The same in a read whose horizon covers both: their ids are inferred, not read.
    r = bk(*parts, read(2, (90, 110, 100), (), horizon=2), final((90, 100, 110), (1, 2)))
    assert r["anomaly_counts"] == {"wrong-balances": 1}, r


def test_an_acknowledged_transfer_missing_from_the_final_read_is_lost() -> None:
    parts = [transfer(0, 1, 0, 1, 10), transfer(1, 2, 1, 2, 7, t="info")]
    r = bk(*parts, final((100, 100, 100)))
    assert not r["valid"] and r["anomaly_counts"] == {"lost": 1}, r
    assert r["anomalies"]["lost"][0]["transfers"] == [1], r


def test_unknown_transfers_may_or_may_not_show() -> None:
    parts = [
        transfer(0, 1, 0, 1, 10),
        transfer(1, 2, 1, 2, 7, t="info"),
        transfer(2, 3, 2, 0, 3, t="info"),
    ]
    for balances, ids in [
        ((90, 110, 100), ()),
        ((90, 103, 107), (2,)),
        ((93, 110, 97), (3,)),
        ((93, 103, 104), (2, 3)),
    ]:
        r = bk(*parts, read(3, balances, ids, horizon=3), final(balances, (1, *ids)))
        assert r["valid"], (balances, r)


def test_a_stale_read_after_a_completed_transfer() -> None:
    r = bk(transfer(0, 1, 0, 1, 10), read(1, (100, 100, 100)), final((90, 110, 100), (1,)))
    assert not r["valid"] and r["anomaly_counts"] == {"stale": 1}, r


def test_a_read_that_misses_an_unknown_transfer_an_earlier_read_held_is_stale() -> None:
    parts = [
        transfer(0, 1, 0, 1, 10, t="info"),
        read(1, (90, 110, 100), (1,), horizon=1),
        read(2, (100, 100, 100), (), horizon=1),  # began after the first read completed
    ]
    r = bk(*parts, final((90, 110, 100), (1,)))
    assert not r["valid"] and r["anomaly_counts"] == {"stale": 1}, r
    overlapping = together(
        read(1, (90, 110, 100), (1,), horizon=1), read(2, (100, 100, 100), (), horizon=1)
    )
    assert bk(parts[0], overlapping, final((90, 110, 100), (1,)))["valid"]


def test_phantom_failed_and_future_transfers() -> None:
    r = bk(
        transfer(0, 1, 0, 1, 10, t="fail"),
        read(1, (90, 110, 100), (1,)),  # a failed transfer held
        read(1, (100, 100, 100), (9,)),  # a transfer never invoked
        read(1, (98, 100, 102), (2,)),  # one invoked after this read completed
        transfer(0, 2, 0, 2, 2),
        final((98, 100, 102), (2,)),
    )
    assert r["anomaly_counts"] == {"failed-seen": 1, "phantom": 1, "future": 1}, r


def test_a_half_applied_transfer() -> None:
    # The id committed without the balance updates (or the other way round).
    parts = [transfer(0, 1, 0, 1, 10, t="info")]
    assert bk(*parts, final((100, 100, 100), (1,)))["anomaly_counts"] == {"wrong-balances": 1}
    assert bk(*parts, final((90, 110, 100)))["anomaly_counts"] == {"wrong-balances": 1}


def test_a_run_without_reads_or_final_reads_is_not_valid() -> None:
    assert not bk(transfer(0, 1, 0, 1, 10), final((90, 110, 100), (1,)))["valid"]
    assert not bk(transfer(0, 1, 0, 1, 10), read(1, (90, 110, 100), (), horizon=1))["valid"]


def test_the_ledger_horizon_stops_below_the_oldest_open_transfer() -> None:
    ledger = TransferLedger()
    assert ledger.horizon() == (0, [])
    a, b, c = ledger.begin(), ledger.begin(), ledger.begin()
    assert (a, b, c) == (1, 2, 3) and ledger.horizon() == (0, [])
    ledger.end(b, "info")
    ledger.end(c, "ok")
    assert ledger.horizon() == (0, [])  # 1 is still open: 2 and 3 are read by id range
    ledger.end(a, "fail")
    assert ledger.horizon() == (3, [2])  # 2 is unknown: asked for by id
    d = ledger.begin()
    ledger.end(d, "info")
    assert ledger.horizon() == (4, [2, 4])


# -- model-based: histories of a correct bank pass, any one read altered fails ---------------

TRANSFER_PROCESSES, READ_PROCESSES = (0, 1, 2), (3, 4)
Step = tuple[str, int, int]
STEP_KINDS = (
    "begin",
    "commit",
    "commit",
    "end",
    "end",
    "end-info",
    "late-commit",
    "read",
    "read-end",
)

steps = st.lists(
    st.tuples(
        st.sampled_from(STEP_KINDS),
        st.integers(0, 4),
        st.integers(0, 30),
    ),
    min_size=20,
    max_size=120,
)


def simulate(plan: list[Step]) -> list[Row]:
    """A correct bank with snapshot isolation: transfers commit at one instant between their
    invocation and completion (an unknown one maybe later, or never), a read's snapshot is one
    instant between its invocation and completion; reads ask what the clients' ledger says."""
    ledger, rows = TransferLedger(), []
    balances = dict(INITIAL)
    committed: set[int] = set()
    open_t: dict[int, dict[str, Any]] = {}  # process -> the transfer's value, committed/doomed
    limbo: list[dict[str, Any]] = []  # ended unknown, not applied: may still commit
    open_r: dict[int, tuple[int, list[int]]] = {}

    def apply(v: dict[str, Any]) -> bool:
        if balances[v["from"]] < v["amount"]:
            return False
        balances[v["from"]] -= v["amount"]
        balances[v["to"]] += v["amount"]
        committed.add(v["id"])
        return True

    def items(horizon: int, unknown: list[int]) -> list[list[Any]]:
        asked = [i for i in sorted(committed) if i > horizon or i in unknown]
        return [["account", a, b] for a, b in sorted(balances.items())] + [
            ["transfer", i] for i in asked
        ]

    for f, x, y in plan:
        free = [p for p in TRANSFER_PROCESSES if p not in open_t]
        busy = sorted(open_t)
        if f == "begin" and free:
            p, a = free[x % len(free)], x % 3
            v = {"id": ledger.begin(), "from": a, "to": (a + 1 + y % 2) % 3, "amount": y + 1}
            open_t[p] = {"value": v, "state": "open"}
            rows.append((p, "invoke", "transfer", v))
        elif f == "commit" and busy and open_t[busy[x % len(busy)]]["state"] == "open":
            t = open_t[busy[x % len(busy)]]
            t["state"] = "committed" if apply(t["value"]) else "doomed"
        elif f in ("end", "end-info") and busy:
            p = busy[x % len(busy)]
            t = open_t.pop(p)
            outcome = "info" if f == "end-info" else ("ok" if t["state"] == "committed" else "fail")
            if outcome == "info" and t["state"] == "open":
                limbo.append(t["value"])
            ledger.end(t["value"]["id"], outcome)
            rows.append((p, outcome, "transfer", t["value"]))
        elif f == "late-commit" and limbo:
            apply(limbo.pop(y % len(limbo)))
        elif f == "read":
            r = READ_PROCESSES[x % 2]
            if r not in open_r:
                open_r[r] = ledger.horizon()
                rows.append((r, "invoke", "read", {"horizon": open_r[r][0]}))
        elif f == "read-end" and open_r:
            r = sorted(open_r)[x % len(open_r)]
            rows.append((r, "ok", "read", items(*open_r.pop(r))))
    rows += [(5, "invoke", "read", {"horizon": 0}), (5, "ok", "read", items(0, []))]
    for n in range(3):
        rows += [(1000 + n, "invoke", FINAL_READ, None), (1000 + n, "ok", FINAL_READ, items(0, []))]
    return rows


@settings(max_examples=300, deadline=None)
@given(steps)
def test_a_correct_bank_is_valid(plan: list[Step]) -> None:
    r = bank.check(history_of(*simulate(plan)), INITIAL)
    assert r["valid"], r


@settings(max_examples=300, deadline=None)
@given(steps, st.integers(0, 10**6), st.sampled_from(["move", "drop"]))
def test_any_read_altered_is_caught(plan: list[Step], pick: int, how: str) -> None:
    rows = simulate(plan)
    reads = [
        i for i, (_, t, f, v) in enumerate(rows)
        if t == "ok" and f in ("read", FINAL_READ) and (how == "move" or len(v) > 3)
    ]  # fmt: skip
    assume(reads)
    i = reads[pick % len(reads)]
    p, t, f, value = rows[i]
    value = [list(x) for x in value]
    if how == "move":  # units moved between two accounts: the total kept
        value[0][2] -= 1 + pick % 7
        value[1][2] += 1 + pick % 7
    else:  # a transfer the snapshot held, left out
        value.pop(3 + pick % (len(value) - 3))
    rows[i] = (p, t, f, value)
    r = bank.check(history_of(*rows), INITIAL)
    assert not r["valid"], r
