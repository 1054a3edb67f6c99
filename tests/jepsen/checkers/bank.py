"""Bank: transfers between accounts in transactions; every successful read must see the
total unchanged and no negative balance (snapshot isolation guarantees both)."""

from __future__ import annotations

from typing import Any

from tests.jepsen.history import History


def check(history: History, total: int) -> dict[str, Any]:
    bad = []
    reads = 0
    for inv, done in history.pairs():
        if inv.f != "read" or done is None or done.type != "ok":
            continue
        reads += 1
        balances: dict[str, int] = done.value
        s = sum(balances.values())
        negative = {k: v for k, v in balances.items() if v < 0}
        if s != total or negative:
            bad.append({"time": done.time, "total": s, "negative": negative})
    transfers = sum(1 for i, d in history.pairs() if i.f == "transfer" and d and d.type == "ok")
    return {
        "valid": not bad and reads > 0,
        "reads": reads,
        "ok_transfers": transfers,
        "bad_reads": bad[:20],
        "bad_read_count": len(bad),
    }
