"""Key ranges of scans, from bounds evaluated when the scan starts; a NULL bound selects
no rows (None)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kv.codec import encode_key
from sql.layout import prefix_end
from sql.plan.nodes import RangeScan
from sql.scope import Typed
from sql.types import to_storage


def key_range(
    lo: bytes,
    hi: bytes,
    lower: list[tuple[Typed, bool]],
    upper: list[tuple[Typed, bool]],
    key_of: Callable[[Any], bytes],
) -> tuple[bytes, bytes] | None:
    """Narrow ``[lo, hi)`` by bounds evaluated now; None when a bound is NULL (no rows)."""
    for typed, inclusive in lower:
        v = typed.fn(())
        if v is None:
            return None
        at = key_of(v)
        lo = max(lo, at if inclusive else prefix_end(at))
    for typed, inclusive in upper:
        v = typed.fn(())
        if v is None:
            return None
        at = key_of(v)
        hi = min(hi, prefix_end(at) if inclusive else at)
    return (lo, hi) if lo < hi else None


def pk_range(node: RangeScan) -> tuple[bytes, bytes] | None:
    """The row keys ``node`` reads: its leading primary-key column's bounds."""
    prefix = node.codec.prefix
    t = node.codec.types[node.codec.pk_idx[0]]
    return key_range(prefix, prefix_end(prefix), node.lower, node.upper,
                     lambda v: prefix + encode_key(to_storage(v, t)))  # fmt: skip
