"""Hybrid timestamps: 46 bits of physical milliseconds, 18 bits of logical counter (as TiKV's PD).

Keeping the physical part readable lets a lock's TTL be checked against any later timestamp
without consulting a clock, which keeps every MVCC command deterministic (needed for Raft).
"""

from __future__ import annotations

from kv.errors import InvalidArgument

LOGICAL_BITS = 18
LOGICAL_MASK = (1 << LOGICAL_BITS) - 1
MAX_TS = (1 << 64) - 1


def compose(physical_ms: int, logical: int = 0) -> int:
    return (physical_ms << LOGICAL_BITS) | logical


def physical_ms(ts: int) -> int:
    return ts >> LOGICAL_BITS


def logical(ts: int) -> int:
    return ts & LOGICAL_MASK


MAX_BATCH = 1 << 16


def draw(last: int, now_ms: int, count: int = 1) -> int:
    """The first of ``count`` consecutive new timestamps after ``last``, at ``now_ms`` or later.

    The rule of both oracles (the local TSO and the Raft state machine's). A batch never
    straddles a physical millisecond's logical space, so each stays readable as (ms, n).
    """
    if not 1 <= count <= MAX_BATCH:
        raise InvalidArgument(f"timestamp batch must be 1..{MAX_BATCH}")
    first = max(last + 1, compose(now_ms))
    if (first & LOGICAL_MASK) + count > LOGICAL_MASK:
        first = ((first >> LOGICAL_BITS) + 1) << LOGICAL_BITS
    return first
