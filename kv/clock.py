"""The wall clock timestamps are drawn from, with an offset that fault tests can inject.

A cluster's nodes on one machine share one kernel clock, so clock-skew faults cannot be made by
setting it. When ``DB9_FAULT_CLOCK_FILE`` names a file, this node's clock runs ahead (or behind)
by the number of milliseconds the file holds; the file is re-read when it changes. Nothing else
in db9 reads the environment variable, and without it this is just ``time.time_ns()``.
"""

from __future__ import annotations

import os
import time

_FILE = os.environ.get("DB9_FAULT_CLOCK_FILE", "")
_cache: dict[str, int] = {"version": -1, "offset": 0}


def _offset_ms() -> int:
    try:
        st = os.stat(_FILE)
    except OSError:
        return 0
    version = st.st_mtime_ns ^ (st.st_ino << 20)  # a file replaced by rename is a new inode
    if version != _cache["version"]:
        try:
            with open(_FILE) as f:
                _cache["offset"] = int(f.read().strip() or 0)
        except (OSError, ValueError):
            _cache["offset"] = 0
        _cache["version"] = version
    return _cache["offset"]


def wall_ms() -> int:
    """Milliseconds since the epoch, as this node believes them."""
    now = time.time_ns() // 1_000_000
    return now + _offset_ms() if _FILE else now
