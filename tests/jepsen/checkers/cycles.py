"""Cycles in a dependency graph between transactions, classified as Adya and Elle name them.

Edges are labelled ``ww`` (write-write), ``wr`` (write-read), ``rw`` (read-write, an
anti-dependency) and ``rt`` (real time: the first committed before the second began; with one
timestamp oracle the second's snapshot holds the first). Under snapshot isolation every
non-``rw`` edge T1 -> T2 means T1 committed before T2's snapshot, and every ``rw`` edge means
T1's snapshot was taken before T2 committed; so every cycle needs two *adjacent* ``rw`` edges
(Fekete et al., 2005). Forbidden, in the order they are looked for:

    G0              a cycle of ww edges
    G1c             a cycle of ww and wr edges (with a wr)
    G-single        a cycle with exactly one rw edge
    G-nonadjacent   a cycle with rw edges, no two of them adjacent

each also with ``-realtime`` when only ``rt`` edges close it. A cycle whose every witness has
two adjacent rw edges is ``G2-item`` (write skew), which snapshot isolation allows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any

Edges = dict[int, dict[int, set[str]]]
NON_RW = frozenset({"ww", "wr"})
SEARCH_BUDGET = 3_000_000  # edge visits per strongly connected component


class _Budget:
    def __init__(self, visits: int) -> None:
        self.left = visits

    def spend(self, n: int = 1) -> bool:
        self.left -= n
        return self.left >= 0


def _path(
    edges: Edges,
    members: set[int],
    src: int,
    dst: int,
    kinds: frozenset[str],
    nonadjacent_rw: bool,
    budget: _Budget,
) -> list[tuple[int, str, int]] | None:
    """A path src -> dst inside ``members`` over edges of ``kinds`` and, when
    ``nonadjacent_rw``, rw edges never two in a row, neither first nor last (the cycle closes
    with an rw edge dst -> src). Breadth first: the shortest such path, or None."""
    start = (src, nonadjacent_rw)  # (node, the edge into it was rw)
    parent: dict[tuple[int, bool], tuple[tuple[int, bool], str] | None] = {start: None}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        node, after_rw = state
        for nxt, ks in edges.get(node, {}).items():
            if not budget.spend():
                return None
            if nxt not in members:
                continue
            steps = [(k, False) for k in sorted(ks & kinds)[:1]]
            if nonadjacent_rw and "rw" in ks and not after_rw and nxt != dst:
                steps.append(("rw", True))
            for kind, is_rw in steps:
                nstate = (nxt, is_rw)
                if nstate in parent:
                    continue
                parent[nstate] = (state, kind)
                if nxt == dst and not is_rw:
                    path: list[tuple[int, str, int]] = []
                    cur: tuple[int, bool] = nstate
                    while (link := parent[cur]) is not None:
                        prev, k = link
                        path.append((prev[0], k, cur[0]))
                        cur = prev
                    return path[::-1]
                queue.append(nstate)
    return None


def _find(
    edges: Edges, members: set[int], kinds: frozenset[str], budget: _Budget
) -> tuple[str, list[tuple[int, str, int]]] | None:
    pairs = [
        (a, b, ks) for a in sorted(members) for b, ks in edges.get(a, {}).items() if b in members
    ]
    searches: list[tuple[str, str, frozenset[str], bool]] = [
        ("G0", "ww", frozenset({"ww"}) | (kinds & {"rt"}), False),
        ("G1c", "wr", kinds, False),
        ("G-single", "rw", kinds, False),
        ("G-nonadjacent", "rw", kinds, True),
    ]
    for name, first, path_kinds, nonadjacent in searches:
        for a, b, ks in pairs:
            if first not in ks:
                continue
            path = _path(edges, members, b, a, path_kinds, nonadjacent, budget)
            if budget.left < 0:
                return None
            if path is not None:
                return name, [(a, first, b), *path]
    return None


def classify(edges: Edges, budget: int = SEARCH_BUDGET) -> list[dict[str, Any]]:
    """One witness per strongly connected component: the first forbidden kind found (without
    real-time edges, then with them), else G2-item; ``undecided`` if the search ran out of
    budget first. A witness is the cycle as [from, edge kind, to] steps."""
    out: list[dict[str, Any]] = []
    for comp in sccs(edges):
        if len(comp) < 2:
            continue
        members = set(comp)
        left = _Budget(budget)
        found = _find(edges, members, NON_RW, left)
        realtime = False
        if found is None and left.left >= 0:
            found = _find(edges, members, NON_RW | {"rt"}, left)
            realtime = found is not None and any(k == "rt" for _, k, _ in found[1])
        if found is not None:
            name, steps = found
            out.append({"kind": name + ("-realtime" if realtime else ""), "cycle": steps})
        elif left.left < 0:
            out.append({"kind": "undecided", "component": sorted(comp)[:20], "size": len(comp)})
        else:
            out.append({"kind": "G2-item", "component": sorted(comp)[:20], "size": len(comp)})
    return out


def sccs(edges: Edges) -> list[list[int]]:
    """Tarjan's strongly connected components, iteratively."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    nodes: Iterable[int] = sorted(set(edges) | {m for n in edges for m in edges[n]})
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
