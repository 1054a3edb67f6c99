"""Hybrid timestamps: 46 bits of physical milliseconds, 18 bits of logical counter (as TiKV's PD).

Keeping the physical part readable lets a lock's TTL be checked against any later timestamp
without consulting a clock, which keeps every MVCC command deterministic (needed for Raft).
"""

from __future__ import annotations

LOGICAL_BITS = 18
LOGICAL_MASK = (1 << LOGICAL_BITS) - 1
MAX_TS = (1 << 64) - 1


def compose(physical_ms: int, logical: int = 0) -> int:
    return (physical_ms << LOGICAL_BITS) | logical


def physical_ms(ts: int) -> int:
    return ts >> LOGICAL_BITS


def logical(ts: int) -> int:
    return ts & LOGICAL_MASK
