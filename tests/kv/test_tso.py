"""The timestamp oracle never repeats or goes back, across batches, clock jumps and restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from kv.engine.lmdb import LmdbEngine
from kv.errors import InvalidArgument
from kv.timestamp import physical_ms
from kv.tso import TimestampOracle


def test_timestamps_strictly_increase_and_batches_do_not_overlap() -> None:
    from kv.engine.memory import MemoryEngine

    tso = TimestampOracle(MemoryEngine())
    last = 0
    for n in [1, 5, 1, 1000, 3]:
        first = tso.get_ts(n)
        assert first > last
        last = first + n - 1
    with pytest.raises(InvalidArgument):
        tso.get_ts(0)


def test_clock_going_backwards_never_moves_timestamps_back() -> None:
    from kv.engine.memory import MemoryEngine

    times = iter([5_000, 4_000, 3_000, 6_000])
    tso = TimestampOracle(MemoryEngine(), clock_ms=lambda: next(times))
    got = [tso.get_ts() for _ in range(4)]
    assert got == sorted(set(got))
    assert physical_ms(got[-1]) == 6_000


def test_restart_resumes_above_everything_handed_out(tmp_path: Path) -> None:
    clock = [10_000]
    eng = LmdbEngine(str(tmp_path / "db"))
    tso = TimestampOracle(eng, clock_ms=lambda: clock[0], window_ms=3000)
    issued = [tso.get_ts() for _ in range(100)]
    eng.close()
    clock[0] = 1_000  # the clock jumped back before the restart
    eng = LmdbEngine(str(tmp_path / "db"))
    tso = TimestampOracle(eng, clock_ms=lambda: clock[0], window_ms=3000)
    assert tso.get_ts() > max(issued)
    eng.close()


def test_logical_overflow_moves_to_the_next_millisecond() -> None:
    from kv.engine.memory import MemoryEngine

    tso = TimestampOracle(MemoryEngine(), clock_ms=lambda: 42)
    a = tso.get_ts(60_000)
    b = tso.get_ts(60_000)
    c = tso.get_ts(60_000)
    d = tso.get_ts(60_000)
    e = tso.get_ts(60_000)
    assert a < b < c < d < e
    assert physical_ms(e) == 43
