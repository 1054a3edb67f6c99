"""Linearizability of single registers (read / write / compare-and-set), per key.

A Wing-Gong-Lowe search: repeatedly pick an operation that may take effect next (invoked
before every pending operation's completion), apply it to the model register, and backtrack
on a contradiction; states already explored (operations done, register value) are memoised.
Indeterminate (info) writes and CASes may take effect at any point after their invocation,
or never; indeterminate reads tell nothing and are dropped; failed CASes wrote nothing, but
the value each read (recorded with it) is a read like any other. The final reads (one per
node, every key) are reads too.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any

from tests.jepsen.history import FINAL_READ, History


@dataclass(frozen=True)
class _Op:
    index: int
    inv: float
    ret: float  # math.inf for info
    f: str
    value: Any
    required: bool


def _ops_by_key(history: History) -> dict[Any, list[_Op]]:
    out: dict[Any, list[_Op]] = {}

    def add(key: Any, inv: float, ret: float, f: str, value: Any, required: bool) -> None:
        ops = out.setdefault(key, [])
        ops.append(_Op(len(ops), inv, ret, f, value, required))

    for inv, done in history.pairs():
        if inv.f == FINAL_READ:
            # Every node's read of every key after the heal: reads like any other.
            if done is not None and done.type == "ok":
                for key, value in done.value:
                    add(key, inv.time, done.time, "read", value, True)
            continue
        if inv.f not in ("read", "write", "cas"):
            continue
        key, arg = inv.value
        if done is None or done.type == "info":
            if inv.f != "read":
                add(key, inv.time, math.inf, inv.f, arg, False)
        elif done.type == "fail":
            # A failed CAS wrote nothing but read the register: that read must be linearizable.
            if inv.f == "cas" and len(done.value) > 2:
                add(key, inv.time, done.time, "read", done.value[2], True)
        else:
            add(key, inv.time, done.time, inv.f, done.value[1] if inv.f == "read" else arg, True)
    return out


def _apply(op: _Op, state: Any) -> tuple[bool, Any]:
    if op.f == "read":
        return op.value == state, state
    if op.f == "write":
        return True, op.value
    old, new = op.value  # cas
    return (state == old), new


def linearizable(ops: list[_Op], initial: Any = None, budget: int = 2_000_000) -> bool | None:
    """True, False, or None when the search gave up (too many states)."""
    required = frozenset(o.index for o in ops if o.required)
    seen: set[tuple[frozenset[int], Any]] = set()
    steps = 0
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(ops) + 1000))

    def search(done: frozenset[int], state: Any) -> bool | None:
        nonlocal steps
        if required <= done:
            return True
        key = (done, state)
        if key in seen:
            return False
        seen.add(key)
        steps += 1
        if steps > budget:
            return None
        horizon = min(o.ret for o in ops if o.index not in done and o.required)
        for o in ops:
            if o.index in done or o.inv > horizon:
                continue
            ok, new_state = _apply(o, state)
            if ok:
                found = search(done | {o.index}, new_state)
                if found is None or found:
                    return found
        return False

    return search(frozenset(), initial)


def check(history: History) -> dict[str, Any]:
    bad, unknown = [], []
    keys = _ops_by_key(history)
    for key, ops in keys.items():
        verdict = linearizable(ops)
        if verdict is False:
            bad.append(key)
        elif verdict is None:
            unknown.append(key)
    return {
        "valid": not bad and not unknown if keys else False,
        "keys": len(keys),
        "non_linearizable_keys": bad,
        "undecided_keys": unknown,
    }
