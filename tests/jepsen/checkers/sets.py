"""Set: rows inserted; the final read after the faults heal must hold every acknowledged
insert ("lost" otherwise) and nothing that was never attempted ("unexpected")."""

from __future__ import annotations

from typing import Any

from tests.jepsen.history import History


def check(history: History) -> dict[str, Any]:
    attempted, acked, unsure = set(), set(), set()
    final: set[Any] | None = None
    for inv, done in history.pairs():
        if inv.f == "add":
            attempted.add(inv.value)
            if done is not None and done.type == "ok":
                acked.add(inv.value)
            elif done is None or done.type == "info":
                unsure.add(inv.value)
        elif inv.f == "read" and done is not None and done.type == "ok":
            final = set(done.value)
    if final is None:
        return {"valid": False, "error": "no successful final read"}
    lost = sorted(acked - final)
    unexpected = sorted(final - attempted)
    return {
        "valid": not lost and not unexpected,
        "acknowledged": len(acked),
        "unsure": len(unsure),
        "unsure_present": len(unsure & final),
        "lost": lost[:50],
        "lost_count": len(lost),
        "unexpected": unexpected[:50],
    }
