"""Set: clients insert unique elements and now and then read the whole set through their own
node; after the faults heal every node reads it once more (``FINAL_READ``).

Every successful read, during the run or final, must hold each element at most once
(``duplicated``), nothing never inserted (``unexpected``), nothing whose insert surely failed
(``failed-present``), nothing whose insert began after the read completed (``future``). With
one timestamp oracle a read sees every insert that committed before it began, so a read
during the run must hold every element whose insert was acknowledged before the read was
invoked, and every element an earlier read (completed before it was invoked) held
(``stale``); a final read must hold every acknowledged insert (``lost``).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from tests.jepsen.history import FINAL_READ, History


def check(history: History) -> dict[str, Any]:
    invoked: dict[Any, float] = {}
    failed: set[Any] = set()
    acked: list[tuple[float, Any]] = []  # (completion, element)
    unsure: set[Any] = set()
    reads: list[tuple[float, float, int, bool, list[Any]]] = []  # inv, ret, process, final, xs
    for inv, done in history.pairs():
        if inv.f == "add":
            invoked[inv.value] = inv.time
            if done is not None and done.type == "ok":
                acked.append((done.time, inv.value))
            elif done is not None and done.type == "fail":
                failed.add(inv.value)
            else:
                unsure.add(inv.value)
        elif inv.f in ("read", FINAL_READ) and done is not None and done.type == "ok":
            reads.append((inv.time, done.time, inv.process, inv.f == FINAL_READ, done.value))
    acked.sort(key=lambda a: a[0])
    anomalies: dict[str, list[Any]] = {}

    def flag(kind: str, where: dict[str, Any], xs: list[Any] | set[Any]) -> None:
        if xs:
            anomalies.setdefault(kind, []).append(
                {**where, "count": len(xs), "elements": sorted(xs)[:20]}
            )

    # Sweep reads by invocation: what must be present grows with every acknowledgement and
    # every completed read before the invocation.
    must: set[Any] = set()
    seen_before: set[Any] = set()
    by_ret = sorted(reads, key=lambda r: r[1])
    n_acked = n_read = 0
    lost: set[Any] = set()
    unsure_present: set[Any] = set()
    final_reads = 0
    for r_inv, r_ret, process, final, xs in sorted(reads, key=lambda r: r[0]):
        while n_acked < len(acked) and acked[n_acked][0] < r_inv:
            must.add(acked[n_acked][1])
            n_acked += 1
        while n_read < len(by_ret) and by_ret[n_read][1] < r_inv:
            seen_before.update(by_ret[n_read][4])
            n_read += 1
        where = {"time": round(r_ret, 3), "process": process}
        counts = Counter(xs)
        present = set(counts)
        flag("duplicated", where, [x for x, n in counts.items() if n > 1])
        flag("unexpected", where, present - set(invoked))
        flag("failed-present", where, present & failed)
        flag("future", where, {x for x in present if invoked.get(x, -math.inf) > r_ret})
        if final:
            final_reads += 1
            missing = {x for _, x in acked} - present
            lost |= missing
            unsure_present |= present & unsure
            flag("lost", where, missing)
        else:
            flag("stale", where, (must | seen_before) - present)
    lost_list = sorted(lost)
    if not final_reads:
        anomalies["no-final-read"] = [{}]
    return {
        "valid": not anomalies,
        "acknowledged": len(acked),
        "unsure": len(unsure),
        "unsure_present": len(unsure_present),
        "reads": len(reads) - final_reads,
        "final_reads": final_reads,
        "lost": lost_list[:50],
        "lost_count": len(lost_list),
        "anomalies": {k: v[:10] for k, v in anomalies.items()},
        "anomaly_counts": {k: len(v) for k, v in anomalies.items()},
    }
