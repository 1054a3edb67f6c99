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


Pending = frozenset[tuple[tuple[str, Any], int]]  # (kind, count): indeterminate ops not applied


def _kind(op: _Op) -> tuple[str, Any]:
    """What an op does to the register: two pending ops of one kind are interchangeable."""
    value = tuple(op.value) if isinstance(op.value, list) else op.value
    return op.f, value


def _counted(pending: Pending, kind: tuple[str, Any], by: int) -> Pending:
    counts = dict(pending)
    left = counts.get(kind, 0) + by
    if left:
        counts[kind] = left
    else:
        counts.pop(kind, None)
    return frozenset(counts.items())


def _needs(f: str, value: Any) -> Any:
    """The register value a read or CAS must see (``_NOTHING`` for a write)."""
    if f == "read":
        return value
    if f == "cas":
        return value[0]
    return _NOTHING


_NOTHING = object()


def linearizable(ops: list[_Op], initial: Any = None, budget: int = 2_000_000) -> bool | None:
    """True, False, or None when the search gave up (too many states).

    ``ops`` are in invocation order. A search state is kept small, whatever the history's
    length: ``prefix`` (every op below it is done, or is an indeterminate one still
    pending: it may take effect later or never), the done ops at or above ``prefix``,
    the pending ops as a multiset of kinds (which of two pending writes of one value takes
    effect changes nothing, so the search never tries both), and the register's value.

    A pending write is only ever applied just before a read or CAS that sees its value: in
    any linearization, a pending write followed by another write, or by nothing, can be
    left out (it may never take effect), so the search needs no other place for it.
    """
    n = len(ops)
    seen: set[tuple[int, frozenset[int], Pending, Any]] = set()
    steps = 0
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * n + 1000))

    def search(prefix: int, done: frozenset[int], pending: Pending, state: Any) -> bool | None:
        nonlocal steps
        while prefix < n and (prefix in done or not ops[prefix].required):
            if prefix not in done:
                pending = _counted(pending, _kind(ops[prefix]), 1)
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
        window: list[_Op] = []
        for o in ops[prefix:]:
            if o.inv > horizon:
                break
            if o.index in done:
                continue
            window.append(o)
            if o.required:
                horizon = min(horizon, o.ret)
        # Moves: (op index or None for a pending kind, kind, f, value)
        moves: list[tuple[int | None, tuple[str, Any], str, Any]] = [
            (None, kind, kind[0], kind[1]) for kind, _ in pending if kind[0] != "write"
        ]
        moves += [(o.index, _kind(o), o.f, o.value) for o in window if o.inv <= horizon]
        for index, kind, f, value in moves:
            left = pending if index is not None else _counted(pending, kind, -1)
            now_done = done | {index} if index is not None else done
            starts = [(state, left)]
            need = _needs(f, value)
            if need is not _NOTHING and need != state and ("write", need) in dict(left):
                starts.append((need, _counted(left, ("write", need), -1)))
            for before, rest in starts:
                ok, new_state = _apply(_Op(-1, 0.0, math.inf, f, value, False), before)
                if not ok:
                    continue
                found = search(prefix, now_done, rest, new_state)
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
