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
    """True, False, or None when the search gave up (too many states).

    ``ops`` are in invocation order. A search state is kept small, whatever the history's
    length: ``prefix`` (every op below it is done, or is an indeterminate one still
    ``pending``: it may take effect later or never), the done ops at or above ``prefix``,
    and the register's value.
    """
    n = len(ops)
    seen: set[tuple[int, frozenset[int], frozenset[int], Any]] = set()
    steps = 0
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * n + 1000))

    def search(
        prefix: int, done: frozenset[int], pending: frozenset[int], state: Any
    ) -> bool | None:
        nonlocal steps
        while prefix < n and (prefix in done or not ops[prefix].required):
            if prefix not in done:
                pending = pending | {prefix}
            done = done - {prefix}
            prefix += 1
        if prefix == n:  # every required op is done
            return True
        key = (prefix, done, pending, state)
        if key in seen:
            return False
        seen.add(key)
        steps += 1
        if steps > budget:
            return None
        # The earliest completion among the required ops not done: nothing invoked after it
        # may take effect before it. Ops are in invocation order, so the scan stops early.
        horizon = math.inf
        candidates = [ops[i] for i in sorted(pending)]
        for o in ops[prefix:]:
            if o.inv > horizon:
                break
            if o.index in done:
                continue
            candidates.append(o)
            if o.required:
                horizon = min(horizon, o.ret)
        for o in candidates:
            if o.inv > horizon:
                continue
            ok, new_state = _apply(o, state)
            if not ok:
                continue
            if o.index in pending:
                found = search(prefix, done, pending - {o.index}, new_state)
            else:
                found = search(prefix, done | {o.index}, pending, new_state)
            if found is None or found:
                return found
        return False

    return search(0, frozenset(), frozenset(), initial)


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
