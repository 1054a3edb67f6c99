"""List-append (after Elle): transactions append unique values to lists and read whole lists;
after the faults heal every node reads every list once more (``FINAL_READ``).

Within one transaction (``internal``): a read must show what the transaction's own earlier
read and appends imply (a read after its own append ends with it); a read must not hold an
element the transaction appends later (``future-read``), nor an element twice
(``duplicate-elements``).

Version order. Every read returns a whole list, so each key's reads must be prefixes of one
another (``incompatible-order`` otherwise) and the longest gives the order of the appends it
holds. Like Elle, the order is also inferred from writes: an append no read shows came after
every element some read shows (a key with one append and no read has that one element). Each
append's predecessor on its key is therefore known (an element, or the empty initial list),
and with it the dependencies:

    ww  the writer of the predecessor -> the appender
    wr  the writer of a read's last element -> the reader
    rw  every reader whose read ended at the predecessor (or read the key empty, when there
        is none) -> the appender: it did not see the append
    rt  a transaction acknowledged before another was invoked -> that one (one timestamp
        oracle: the later one's snapshot holds the earlier one)

Reads of values that a failed transaction appended are G1a, of a value that was not its
writer's last append to the key G1b, of a value never appended ``garbage-read``. An
acknowledged append missing from a node's final read is ``lost``. Cycles are classified by
``cycles``: G0, G1c, G-single, G-nonadjacent (and their ``-realtime`` forms) are forbidden by
snapshot isolation; G2-item (write skew) is allowed and reported as information only.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from tests.jepsen.checkers import cycles
from tests.jepsen.history import FINAL_READ, History

Micro = tuple[str, Any, Any]  # ("append", key, value) or ("r", key, list | None)
INIT: Any = object()  # the predecessor of a key's first element: the initial empty list
ALLOWED = frozenset({"G2-item"})


@dataclass
class _Txn:
    ops: list[Micro]
    status: str  # ok, fail, info
    inv: float
    ret: float  # math.inf unless ok
    process: int
    final: bool


def _txns(history: History) -> list[_Txn]:
    out = []
    for inv, done in history.pairs():
        if inv.f not in ("txn", FINAL_READ):
            continue
        final = inv.f == FINAL_READ
        if done is not None and done.type == "ok":
            ops, status, ret = done.value, "ok", done.time
        elif final:
            continue  # a final read that never answered: nothing to learn
        else:
            ops, ret = inv.value, math.inf
            status = "fail" if done is not None and done.type == "fail" else "info"
        micro = [(f, k, v if f == "append" or v is None else list(v)) for f, k, v in ops]
        out.append(_Txn(micro, status, inv.time, ret, inv.process, final))
    return out


def _internal(t: int, ops: list[Micro], anomalies: dict[str, list[Any]]) -> None:
    # Per key: (whether the whole list is known, the list or its known suffix).
    state: dict[Any, tuple[bool, list[Any]]] = {}
    seen: dict[Any, set[Any]] = defaultdict(set)  # elements read so far, per key
    for f, k, v in ops:
        if f == "append":
            if v in seen[k]:
                anomalies["future-read"].append({"txn": t, "key": k, "value": v})
            whole, xs = state.get(k, (False, []))
            state[k] = (whole, [*xs, v])
            continue
        if v is None:
            continue
        dups = sorted(x for x, n in Counter(v).items() if n > 1)
        if dups:
            anomalies["duplicate-elements"].append({"txn": t, "key": k, "read": v, "twice": dups})
        if k in state:
            whole, xs = state[k]
            bad = v != xs if whole else len(v) < len(xs) or v[len(v) - len(xs) :] != xs
            if bad:
                expected = xs if whole else ["...", *xs]
                anomalies["internal"].append({"txn": t, "key": k, "read": v, "expected": expected})
        state[k] = (True, list(v))
        seen[k].update(v)


def _orders(txns: list[_Txn], anomalies: dict[str, list[Any]]) -> dict[Any, list[Any]]:
    """Each key's version order: the longest read, every read a prefix of it; a key with no
    non-empty read and exactly one append has that element."""
    reads: dict[Any, set[tuple[Any, ...]]] = defaultdict(set)
    appends: dict[Any, list[Any]] = defaultdict(list)
    for t in txns:
        for f, k, v in t.ops:
            if t.status == "ok" and f == "r" and v:
                reads[k].add(tuple(v))
            elif t.status != "fail" and f == "append":
                appends[k].append(v)
    order: dict[Any, list[Any]] = {}
    for k, vs in reads.items():
        ordered = sorted(vs, key=len)
        for a, b in itertools.pairwise(ordered):
            if b[: len(a)] != a:
                anomalies["incompatible-order"].append({"key": k, "a": list(a), "b": list(b)})
        order[k] = list(dict.fromkeys(ordered[-1]))
    for k, xs in appends.items():
        if k not in order and len(xs) == 1:
            order[k] = list(xs)
    return order


def check(history: History) -> dict[str, Any]:
    txns = _txns(history)
    anomalies: dict[str, list[Any]] = defaultdict(list)
    ok = [i for i, t in enumerate(txns) if t.status == "ok"]

    writer: dict[tuple[Any, Any], int] = {}  # (key, value) -> txn
    last_append: dict[tuple[int, Any], Any] = {}  # (txn, key) -> its last value for key
    for i, t in enumerate(txns):
        for f, k, v in t.ops:
            if f == "append":
                writer[(k, v)] = i
                last_append[(i, k)] = v
    for i in ok:
        _internal(i, txns[i].ops, anomalies)
    order = _orders(txns, anomalies)

    for i in ok:
        for f, k, v in txns[i].ops:
            if f != "r" or not v:
                continue
            for x in v:
                w = writer.get((k, x))
                if w is None:
                    anomalies["garbage-read"].append({"txn": i, "key": k, "value": x})
                elif txns[w].status == "fail":
                    anomalies["G1a"].append({"reader": i, "writer": w, "key": k, "value": x})
            w = writer.get((k, v[-1]))
            if w is not None and w != i and last_append.get((w, k)) != v[-1]:
                anomalies["G1b"].append({"reader": i, "writer": w, "key": k, "value": v[-1]})

    # Acknowledged appends every node's final read must hold.
    for i in ok:
        if not txns[i].final:
            continue
        present = {k: set(v) for f, k, v in txns[i].ops if f == "r" and v is not None}
        for (k, x), w in writer.items():
            if txns[w].status == "ok" and k in present and x not in present[k]:
                where = {"final_read_process": txns[i].process, "writer": w}
                anomalies["lost"].append({**where, "key": k, "value": x})

    edges = _edges(txns, order, writer)
    for found in cycles.classify(edges):
        kind = found.pop("kind")
        steps = found.get("cycle", [])
        involved = [a for a, _, _ in steps] or found.get("component", [])
        found["txns"] = {n: _describe(txns[n]) for n in involved[:6]}
        anomalies[kind].append(found)

    forbidden = {k: v for k, v in anomalies.items() if k not in ALLOWED and v}
    return {
        "valid": not forbidden,
        "transactions": len(txns),
        "ok": len(ok),
        "anomalies": {k: v[:5] for k, v in anomalies.items() if v},
        "anomaly_counts": {k: len(v) for k, v in anomalies.items() if v},
    }


def _describe(t: _Txn) -> dict[str, Any]:
    ret = None if t.ret == math.inf else round(t.ret, 3)
    return {"process": t.process, "status": t.status, "inv": round(t.inv, 3), "ret": ret,
            "ops": t.ops[:8]}  # fmt: skip


def _edges(
    txns: list[_Txn], order: dict[Any, list[Any]], writer: dict[tuple[Any, Any], int]
) -> cycles.Edges:
    """ww, wr, rw and rt edges between transactions that committed (ok) or may have (info)."""
    edges: cycles.Edges = defaultdict(lambda: defaultdict(set))

    def link(a: int, b: int, kind: str) -> None:
        if a != b and txns[a].status != "fail" and txns[b].status != "fail":
            edges[a][b].add(kind)

    position = {(k, x): n for k, xs in order.items() for n, x in enumerate(xs)}
    readers: dict[tuple[Any, Any], set[int]] = defaultdict(set)  # (key, last element) -> txns
    for i, t in enumerate(txns):
        if t.status != "ok":
            continue
        for f, k, v in t.ops:
            if f != "r" or v is None:
                continue
            readers[(k, v[-1] if v else INIT)].add(i)
            if v and (k, v[-1]) in writer:
                link(writer[(k, v[-1])], i, "wr")
    for i, t in enumerate(txns):
        if t.status == "fail":
            continue
        for f, k, v in t.ops:
            if f != "append":
                continue
            xs = order.get(k, [])
            n = position.get((k, v))
            # Unobserved: after every observed element.
            prev = (xs[n - 1] if n > 0 else INIT) if n is not None else (xs[-1] if xs else INIT)
            if prev is not INIT and (k, prev) in writer:
                link(writer[(k, prev)], i, "ww")
            for r in readers.get((k, prev), ()):
                link(r, i, "rw")
    # Real time, transitively reduced: each transaction's predecessors are the acknowledged
    # ones that no later-acknowledged one already follows.
    events = []
    for i, t in enumerate(txns):
        if t.status == "fail":
            continue
        events.append((t.inv, 1, i))  # at a tie the invocation comes first: no edge
        if t.status == "ok":
            events.append((t.ret, 2, i))
    frontier: set[int] = set()
    preds: dict[int, set[int]] = {}
    for _, kind, i in sorted(events):
        if kind == 1:
            preds[i] = set(frontier)
            for p in frontier:
                link(p, i, "rt")
        else:
            frontier -= preds.get(i, set())
            frontier.add(i)
    return edges
