"""Every node reads everything the workload wrote after the faults heal (``FINAL_READ``, one
per node, each through that node's own pgwire or gRPC): the reads must be the same on every
node, as multisets of items (an item read twice counts twice; lists keep their order).

This is the clients' view of what ``db9 cluster check`` hashes from inside: a node that
serves what its store holds (and not what the cluster committed) shows here even when every
store hashes alike. A node whose final read never succeeded is an anomaly too.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from tests.jepsen.history import FINAL_PROCESS, FINAL_READ, History


def check(history: History, nodes: int) -> dict[str, Any]:
    reads: dict[int, Counter[str]] = {}
    unread: list[int] = []
    for inv, done in history.pairs():
        if inv.f != FINAL_READ:
            continue
        node = inv.process - FINAL_PROCESS + 1
        if done is not None and done.type == "ok":
            reads[node] = Counter(json.dumps(x, sort_keys=True) for x in done.value)
        else:
            unread.append(node)
    unread += [n for n in range(1, nodes + 1) if n not in reads and n not in unread]
    differences = []
    if reads:
        ref_node = min(reads)
        ref = reads[ref_node]
        for node, got in sorted(reads.items()):
            if got != ref:
                differences.append({
                    "node": node,
                    "against": ref_node,
                    "only_here": sorted((got - ref).elements())[:10],
                    "missing_here": sorted((ref - got).elements())[:10],
                })  # fmt: skip
    return {
        "ok": not differences and not unread,
        "nodes_read": sorted(reads),
        "unread_nodes": sorted(unread),
        "differences": differences,
    }
