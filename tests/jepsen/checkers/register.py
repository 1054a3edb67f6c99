"""Linearizability of single registers (read / write / compare-and-set), per key.

A Wing-Gong-Lowe search: repeatedly pick an operation that may take effect next (invoked
before every pending operation's completion), apply it to the model register, and backtrack
on a contradiction; states already explored (operations done, register value) are memoised.
Indeterminate (info) writes and CASes may take effect at any point after their invocation,
or never; indeterminate reads tell nothing and are dropped; failed CASes did not happen.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any

from tests.jepsen.history import History


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
    for inv, done in history.pairs():
        key, arg = inv.value
        if done is None or done.type == "info":
            if inv.f == "read":
                continue
            kind, ret, required, value = inv.f, math.inf, False, arg
        elif done.type == "fail":
            continue
        else:
            kind, ret, required = inv.f, done.time, True
            value = done.value[1] if inv.f == "read" else arg
        ops = out.setdefault(key, [])
        ops.append(_Op(len(ops), inv.time, ret, kind, value, required))
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
