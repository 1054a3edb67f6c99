"""tests/cluster/netdelay.py's delay line without a kernel queue: when packets are let go, in
which order, and what it counts (the real queue is measured in test_netns.py)."""

from __future__ import annotations

import random

from tests.cluster.netdelay import DelayLine


class Packet:
    def __init__(self, n: int, out: list[int]) -> None:
        self.n, self.out = n, out

    def accept(self) -> None:
        self.out.append(self.n)


def feed(line: DelayLine, count: int, gap_s: float) -> list[int]:
    """``count`` packets ``gap_s`` apart; the order in which they are let go."""
    out: list[int] = []
    for i in range(count):
        now = i * gap_s
        line.release(now)
        line.hold(Packet(i, out), now)
    line.release(float("inf"))
    return out


def test_a_packet_waits_its_delay_and_no_more() -> None:
    line = DelayLine(0.05, 0.0, fifo=True)
    out: list[int] = []
    line.hold(Packet(0, out), 10.0)
    line.release(10.049)
    assert out == [] and line.next_due() == 10.05
    line.release(10.05)
    assert out == [0] and line.next_due() is None


def test_with_fifo_jitter_never_reorders() -> None:
    line = DelayLine(0.01, 0.01, fifo=True, rng=random.Random(1))
    assert feed(line, 1000, 0.0005) == list(range(1000))
    assert line.reordered == 0 and line.arrivals == 1000


def test_without_fifo_jitter_reorders_and_is_counted() -> None:
    line = DelayLine(0.01, 0.01, fifo=False, rng=random.Random(1))
    out = feed(line, 1000, 0.0005)
    assert sorted(out) == list(range(1000))  # nothing lost
    late = sum(1 for i, n in enumerate(out) if n < max(out[: i + 1]))
    assert line.reordered == late > 100


def test_stopping_lets_every_held_packet_go() -> None:
    line = DelayLine(10.0, 0.0, fifo=True)
    out: list[int] = []
    for i in range(5):
        line.hold(Packet(i, out), 0.0)
    line.release(1.0)
    assert out == []
    line.release(float("inf"))
    assert out == [0, 1, 2, 3, 4]
