"""Bank: transfers between accounts in transactions, reads of every account's row.

db9 promises snapshot isolation with every timestamp drawn from one oracle, so a read sees
exactly the transfers that committed before its snapshot, and a transaction that starts after
another committed sees it. Every successful read (and every node's final read after the heal)
must therefore:

- hold each account exactly once (``malformed``: an account missing, read twice, or unknown);
- keep the total and no balance negative (``wrong-total``, ``negative``);
- equal the initial balances plus every transfer acknowledged before the read was invoked,
  none invoked after it completed, and some subset of the rest (concurrent ones, and unknown
  ones invoked before it completed): ``stale`` otherwise, or ``final-mismatch`` for a final
  read, which is a lost (or invented) update even when the total is kept.

The subset is searched over balance vectors (``reachable``), up to ``MAX_CANDIDATES``
transfers and ``MAX_STATES`` search states; past either the read is ``undecided`` (counted,
not passed silently).
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tests.jepsen.history import FINAL_READ, History

MAX_CANDIDATES = 200
MAX_STATES = 100_000  # search states per read
_TAIL = 8  # the last deltas, whose subset sums are tabled

Vector = tuple[int, ...]


@dataclass(frozen=True)
class _Transfer:
    inv: float
    ret: float  # math.inf when unknown (info, or never completed)
    delta: Vector


class _Exhausted(Exception):
    pass


def reachable(target: Vector, deltas: list[Vector]) -> bool | None:
    """Whether some subset of ``deltas`` sums to ``target``; None when the search is too big.

    Depth first, leaving each delta out before putting it in (most unknown transfers never
    happened), pruned by the least and greatest sums the remaining deltas can still add per
    account, with failed (depth, partial sum) states remembered, and the last few deltas'
    subset sums looked up in a table."""
    if len(deltas) > MAX_CANDIDATES:
        return None
    dims, n = len(target), len(deltas)
    lo = [[0] * dims for _ in range(n + 1)]
    hi = [[0] * dims for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for a in range(dims):
            lo[i][a] = lo[i + 1][a] + min(0, deltas[i][a])
            hi[i][a] = hi[i + 1][a] + max(0, deltas[i][a])
    tail_at = max(0, n - _TAIL)
    tail = {(0,) * dims}
    for d in deltas[tail_at:]:
        tail |= {tuple(x + y for x, y in zip(t, d, strict=True)) for t in tail}
    failed: set[tuple[int, Vector]] = set()
    visits = 0

    def search(i: int, rest: Vector) -> bool:  # rest: what deltas[i:] must still add
        nonlocal visits
        if i == tail_at:
            return rest in tail
        if (i, rest) in failed or not all(lo[i][a] <= rest[a] <= hi[i][a] for a in range(dims)):
            return False
        visits += 1
        if visits > MAX_STATES:
            raise _Exhausted
        d = deltas[i]
        if search(i + 1, rest) or search(i + 1, tuple(x - y for x, y in zip(rest, d, strict=True))):
            return True
        failed.add((i, rest))
        return False

    try:
        return search(0, target)
    except _Exhausted:
        return None


def _transfers(history: History, index: dict[int, int]) -> list[_Transfer]:
    out = []
    for inv, done in history.pairs():
        if inv.f != "transfer" or (done is not None and done.type == "fail"):
            continue
        delta = [0] * len(index)
        delta[index[inv.value["from"]]] -= inv.value["amount"]
        delta[index[inv.value["to"]]] += inv.value["amount"]
        ret = done.time if done is not None and done.type == "ok" else math.inf
        out.append(_Transfer(inv.time, ret, tuple(delta)))
    return out


def check(history: History, initial: dict[int, int]) -> dict[str, Any]:
    accounts = sorted(initial)
    index = {a: i for i, a in enumerate(accounts)}
    start = tuple(initial[a] for a in accounts)
    total = sum(start)
    transfers = _transfers(history, index)
    # Acknowledged transfers by completion, with prefix sums: "every one acknowledged before
    # time t" is a prefix. Unknown ones by invocation.
    acked = sorted((t for t in transfers if t.ret < math.inf), key=lambda t: t.ret)
    acked_ret = [t.ret for t in acked]
    prefix = [(0,) * len(accounts)]
    for t in acked:
        prefix.append(tuple(x + y for x, y in zip(prefix[-1], t.delta, strict=True)))
    by_inv = sorted(acked, key=lambda t: t.inv)
    by_inv_time = [t.inv for t in by_inv]
    longest = max((t.ret - t.inv for t in acked), default=0.0)
    unknown = sorted((t for t in transfers if t.ret == math.inf), key=lambda t: t.inv)
    unknown_inv = [t.inv for t in unknown]

    anomalies: dict[str, list[Any]] = {}
    reads = undecided = 0
    final_reads = 0
    for inv, done in history.pairs():
        if inv.f not in ("read", FINAL_READ) or done is None or done.type != "ok":
            continue
        final = inv.f == FINAL_READ
        reads += not final
        final_reads += final
        where = {"time": round(done.time, 3), "process": inv.process}
        rows = [(int(a), int(b)) for a, b in done.value]
        ids = Counter(a for a, _ in rows)
        twice = sorted(a for a, n in ids.items() if n > 1)
        missing = sorted(set(accounts) - set(ids))
        extra = sorted(set(ids) - set(accounts))
        if twice or missing or extra:
            anomalies.setdefault("malformed", []).append(
                {**where, "twice": twice, "missing": missing, "unknown": extra}
            )
            continue
        balances = dict(rows)
        seen = tuple(balances[a] for a in accounts)
        if sum(seen) != total:
            anomalies.setdefault("wrong-total", []).append({**where, "total": sum(seen)})
        negative = {a: b for a, b in balances.items() if b < 0}
        if negative:
            anomalies.setdefault("negative", []).append({**where, "negative": negative})
        # Real time: the transfers acknowledged before the read began must all show; the
        # ones it may or may not show are those that overlap it, or are unknown.
        n_before = bisect.bisect_left(acked_ret, inv.time)
        must = prefix[n_before]
        lo = bisect.bisect_left(by_inv_time, inv.time - longest)
        hi = bisect.bisect_left(by_inv_time, done.time)
        maybe = [t.delta for t in by_inv[lo:hi] if t.ret >= inv.time]
        maybe += [t.delta for t in unknown[: bisect.bisect_left(unknown_inv, done.time)]]
        target = tuple(s - b - m for s, b, m in zip(seen, start, must, strict=True))
        verdict = reachable(target, maybe)
        if verdict is None:
            undecided += 1
        elif not verdict:
            kind = "final-mismatch" if final else "stale"
            anomalies.setdefault(kind, []).append(
                {**where, "read": list(seen), "acknowledged_before": n_before, "maybe": len(maybe)}
            )
    return {
        "valid": not anomalies and reads > 0 and final_reads > 0,
        "reads": reads,
        "final_reads": final_reads,
        "ok_transfers": len(acked),
        "unknown_transfers": len(unknown),
        "undecided_reads": undecided,
        "anomalies": {k: v[:10] for k, v in anomalies.items()},
        "anomaly_counts": {k: len(v) for k, v in anomalies.items()},
    }
