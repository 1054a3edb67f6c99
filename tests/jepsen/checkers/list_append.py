"""List-append (after Elle): transactions append unique values to lists and read lists.
Because every read returns a whole list, the order of appends to each key is known, and the
dependencies between transactions follow from it:

    ww  T1 appended the element right before T2's on the same key
    wr  T2 read a list whose last element T1 appended
    rw  T1 read a list whose last element is right before T2's append (or read it empty
        and T2 appended the first element): T2 overwrote what T1 saw

Anomalies, as Adya names them: G0 (a cycle of ww edges), G1a (reading a value a failed
transaction appended), G1b (reading a value that was not its writer's last append to that
key), G1c (a cycle of ww/wr edges with a wr), G-single (a cycle with exactly one rw edge).
Snapshot isolation forbids all of these; G2-item (cycles that need two or more rw edges,
write skew) is allowed under SI and reported as information only. Reads that disagree on the
order of a key (neither a prefix of the other) are "incompatible-order".
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from typing import Any

from tests.jepsen.history import History

Micro = tuple[str, Any, Any]  # ("append", key, value) or ("r", key, list | None)


def check(history: History) -> dict[str, Any]:
    txns: list[list[Micro]] = []
    status: list[str] = []
    for inv, done in history.pairs():
        if inv.f != "txn":
            continue
        if done is not None and done.type == "ok":
            txns.append([tuple(m) for m in done.value])  # type: ignore[misc]
            status.append("ok")
        else:
            txns.append([tuple(m) for m in inv.value])  # type: ignore[misc]
            status.append("fail" if done is not None and done.type == "fail" else "info")
    anomalies: dict[str, list[Any]] = defaultdict(list)

    writer: dict[tuple[Any, Any], int] = {}  # (key, value) -> txn
    last_append: dict[tuple[int, Any], Any] = {}  # (txn, key) -> its last value for key
    for t, ops in enumerate(txns):
        for f, k, v in ops:
            if f == "append":
                writer[(k, v)] = t
                last_append[(t, k)] = v

    # The order of each key: the longest list read; every read must be a prefix of it.
    order: dict[Any, list[Any]] = {}
    for t, ops in enumerate(txns):
        if status[t] != "ok":
            continue
        for f, k, v in ops:
            if f == "r" and v is not None:
                cur = order.get(k, [])
                longer, shorter = (v, cur) if len(v) >= len(cur) else (cur, v)
                if list(longer[: len(shorter)]) != list(shorter):
                    anomalies["incompatible-order"].append({"key": k, "a": cur, "b": v})
                order[k] = list(longer)

    for t, ops in enumerate(txns):
        if status[t] != "ok":
            continue
        for f, k, v in ops:
            if f != "r" or not v:
                continue
            for x in v:
                w = writer.get((k, x))
                if w is None:
                    anomalies["garbage-read"].append({"txn": t, "key": k, "value": x})
                elif status[w] == "fail":
                    anomalies["G1a"].append({"reader": t, "writer": w, "key": k, "value": x})
            w = writer.get((k, v[-1]))
            if w is not None and w != t and last_append.get((w, k)) != v[-1]:
                anomalies["G1b"].append({"reader": t, "writer": w, "key": k, "value": v[-1]})

    # Dependency edges between transactions that committed (ok) or may have (info, when
    # their appends were seen).
    edges: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    position = {(k, x): i for k, xs in order.items() for i, x in enumerate(xs)}
    for k, xs in order.items():
        for a, b in itertools.pairwise(xs):
            ta, tb = writer.get((k, a)), writer.get((k, b))
            if ta is not None and tb is not None and ta != tb:
                edges[ta][tb].add("ww")
    for t, ops in enumerate(txns):
        if status[t] != "ok":
            continue
        for f, k, v in ops:
            if f != "r" or v is None:
                continue
            if v:
                w = writer.get((k, v[-1]))
                if w is not None and w != t:
                    edges[w][t].add("wr")
            nxt_pos = position.get((k, v[-1]), -1) + 1 if v else 0
            xs = order.get(k, [])
            if nxt_pos < len(xs):
                w2 = writer.get((k, xs[nxt_pos]))
                if w2 is not None and w2 != t:
                    edges[t][w2].add("rw")

    for name, cycle in _cycles(edges):
        anomalies[name].append(cycle)
    forbidden = {k: v for k, v in anomalies.items() if k != "G2-item" and v}
    return {
        "valid": not forbidden,
        "transactions": len(txns),
        "ok": status.count("ok"),
        "anomalies": {k: v[:5] for k, v in anomalies.items() if v},
        "anomaly_counts": {k: len(v) for k, v in anomalies.items() if v},
    }


def _reaches(
    edges: dict[int, dict[int, set[str]]], src: int, dst: int, kinds: set[str], limit: set[int]
) -> bool:
    stack, seen = [src], {src}
    while stack:
        n = stack.pop()
        for m, ks in edges.get(n, {}).items():
            if m not in limit or not ks & kinds or m in seen:
                continue
            if m == dst:
                return True
            seen.add(m)
            stack.append(m)
    return False


def _cycles(edges: dict[int, dict[int, set[str]]]) -> list[tuple[str, list[int]]]:
    """Classified cycles, one witness per strongly connected component and kind."""
    out: list[tuple[str, list[int]]] = []
    for comp in _sccs(edges):
        if len(comp) < 2:
            continue
        members = set(comp)
        pairs = [(a, b, ks) for a in comp for b, ks in edges.get(a, {}).items() if b in members]
        found = False
        for a, b, ks in pairs:
            if "ww" in ks and _reaches(edges, b, a, {"ww"}, members):
                out.append(("G0", [a, b]))
                found = True
                break
        if not found:
            for a, b, ks in pairs:
                if "wr" in ks and _reaches(edges, b, a, {"ww", "wr"}, members):
                    out.append(("G1c", [a, b]))
                    found = True
                    break
        if not found:
            for a, b, ks in pairs:
                if "rw" in ks and _reaches(edges, b, a, {"ww", "wr"}, members):
                    out.append(("G-single", [a, b]))
                    found = True
                    break
        if not found:
            out.append(("G2-item", sorted(comp)[:10]))
    return out


def _sccs(edges: dict[int, dict[int, set[str]]]) -> list[list[int]]:
    """Tarjan's strongly connected components, iteratively."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    nodes = set(edges) | {m for n in edges for m in edges[n]}
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(edges.get(root, {})))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(edges.get(nxt, {}))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    x = stack.pop()
                    on_stack.discard(x)
                    comp.append(x)
                    if x == node:
                        break
                out.append(comp)
    return out
