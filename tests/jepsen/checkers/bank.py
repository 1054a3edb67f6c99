"""Bank: transfers between accounts in transactions, reads of every account's row.

Each transfer has an id (``value["id"]``, unique in the run) and inserts it into a
``transfers`` table in the same transaction as its two balance updates, so a read names the
transfers its snapshot holds instead of leaving the checker to guess them from the balances.
A read's invocation names its ``horizon``: every transfer with an id at or below it had ended
(acknowledged, failed or unknown) when the read began. It reads, in one snapshot, every
account and the ids of the transfers above its horizon and of the unknown ones at or below
it; the acknowledged ones at or below it are in its snapshot by real-time order, the failed
ones are not. A final read (one per node, after the heal) has horizon 0: it reads every id.
A read's value is a list of items, ``["account", id, balance]`` and ``["transfer", id]``.

db9 promises snapshot isolation with every timestamp drawn from one oracle, so each read must:

- hold each account exactly once and each transfer at most once (``malformed``; also a
  transfer at or below the horizon that is not unknown, which it did not ask for);
- keep the total and no balance negative (``wrong-total``, ``negative``);
- hold only transfers that were invoked (``phantom``), did not fail (``failed-seen``) and
  were invoked before it completed (``future``);
- have balances equal to the initial ones plus the transfers it holds (``wrong-balances``: a
  lost update, even one that keeps the total, or a transfer half applied);
- hold every transfer known to have happened before it began: acknowledged, or seen by a
  read that completed before it began (``stale``; ``lost`` for a final read).

Nothing is searched: every read is decided. Two wrongs that cancel (a failed transfer applied
and an acknowledged one with the same accounts and amount lost, both at or below a horizon)
show only in the final reads, which read every id.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tests.jepsen.history import FINAL_READ, History

Vector = tuple[int, ...]


@dataclass(frozen=True)
class _Transfer:
    id: int
    inv: float
    ret: float  # acknowledgement time; math.inf unless ok
    outcome: str  # ok, fail, unknown (info, or never completed)
    delta: Vector


@dataclass(frozen=True)
class _Read:
    inv: float
    ret: float
    process: int
    final: bool
    horizon: int
    accounts: list[tuple[int, int]]
    ids: list[int]


def _add(a: Vector, b: Vector) -> Vector:
    return tuple(x + y for x, y in zip(a, b, strict=True))


def _transfers(history: History, index: dict[int, int]) -> dict[int, _Transfer]:
    out = {}
    for inv, done in history.pairs():
        if inv.f != "transfer":
            continue
        v = inv.value
        delta = [0] * len(index)
        delta[index[v["from"]]] -= v["amount"]
        delta[index[v["to"]]] += v["amount"]
        outcome = "unknown" if done is None or done.type == "info" else done.type
        ret = done.time if done is not None and outcome == "ok" else math.inf
        out[v["id"]] = _Transfer(v["id"], inv.time, ret, outcome, tuple(delta))
    return out


def _reads(history: History) -> list[_Read]:
    out = []
    for inv, done in history.pairs():
        if inv.f not in ("read", FINAL_READ) or done is None or done.type != "ok":
            continue
        final = inv.f == FINAL_READ
        horizon = 0 if final else int(inv.value["horizon"])
        accounts = [(int(x[1]), int(x[2])) for x in done.value if x[0] == "account"]
        ids = [int(x[1]) for x in done.value if x[0] == "transfer"]
        out.append(_Read(inv.time, done.time, inv.process, final, horizon, accounts, ids))
    return out


def check(history: History, initial: dict[int, int]) -> dict[str, Any]:
    accounts = sorted(initial)
    index = {a: i for i, a in enumerate(accounts)}
    start = tuple(initial[a] for a in accounts)
    total = sum(start)
    transfers = _transfers(history, index)
    reads = _reads(history)
    all_ids = sorted(transfers)
    unknown_ids = [i for i in all_ids if transfers[i].outcome == "unknown"]
    # The acknowledged ones by id, with prefix sums: "every one at or below the horizon".
    ok_ids = [i for i in all_ids if transfers[i].outcome == "ok"]
    prefix = [(0,) * len(accounts)]
    for i in ok_ids:
        prefix.append(_add(prefix[-1], transfers[i].delta))
    # When each transfer was known to have happened: its acknowledgement, or the completion
    # of the first read that held it (a failed one held is ``failed-seen``, not known).
    known_at = {i: t.ret for i, t in transfers.items()}
    for r in reads:
        for i in r.ids:
            if i in known_at and transfers[i].outcome != "fail":
                known_at[i] = min(known_at[i], r.ret)

    anomalies: dict[str, list[Any]] = {}

    def report(kind: str, r: _Read, **detail: Any) -> None:
        where = {"time": round(r.ret, 3), "process": r.process, "horizon": r.horizon}
        anomalies.setdefault(kind, []).append({**where, **detail})

    for r in reads:
        counts = Counter(a for a, _ in r.accounts)
        twice = sorted(a for a, n in counts.items() if n > 1)
        missing = sorted(set(accounts) - set(counts))
        extra = sorted(set(counts) - set(accounts))
        ids_twice = sorted(i for i, n in Counter(r.ids).items() if n > 1)
        unasked = sorted(
            i for i in r.ids
            if i <= r.horizon and i in transfers and transfers[i].outcome != "unknown"
        )  # fmt: skip
        if twice or missing or extra or ids_twice or unasked:
            report(
                "malformed", r, twice=twice, missing=missing, unknown=extra,
                transfers_twice=ids_twice[:10], unasked=unasked[:10],
            )  # fmt: skip
            continue
        balances = dict(r.accounts)
        seen = tuple(balances[a] for a in accounts)
        if sum(seen) != total:
            report("wrong-total", r, total=sum(seen))
        negative = {a: b for a, b in balances.items() if b < 0}
        if negative:
            report("negative", r, negative=negative)
        held = set(r.ids)
        phantom = sorted(i for i in held if i not in transfers)
        failed = sorted(i for i in held if i in transfers and transfers[i].outcome == "fail")
        future = sorted(i for i in held if i in transfers and transfers[i].inv > r.ret)
        for kind, ids in (("phantom", phantom), ("failed-seen", failed), ("future", future)):
            if ids:
                report(kind, r, transfers=ids[:10], count=len(ids))
        expected = _add(start, prefix[bisect.bisect_right(ok_ids, r.horizon)])
        for i in held - set(phantom):
            expected = _add(expected, transfers[i].delta)
        if expected != seen:
            report("wrong-balances", r, read=list(seen), expected=list(expected))
        # Real time: the transfers it asked for that were known to have happened before it began.
        above = all_ids[bisect.bisect_right(all_ids, r.horizon) :]
        below = unknown_ids[: bisect.bisect_right(unknown_ids, r.horizon)]
        lost = sorted(i for i in (*above, *below) if known_at[i] < r.inv and i not in held)
        if lost:
            report("lost" if r.final else "stale", r, transfers=lost[:10], count=len(lost))
    return {
        "valid": not anomalies and any(not r.final for r in reads) and any(r.final for r in reads),
        "reads": sum(not r.final for r in reads),
        "final_reads": sum(r.final for r in reads),
        "ok_transfers": len(ok_ids),
        "unknown_transfers": len(unknown_ids),
        "anomalies": {k: v[:10] for k, v in anomalies.items()},
        "anomaly_counts": {k: len(v) for k, v in anomalies.items()},
    }
