"""A delay line for packets: run inside a node's network namespace, it takes the packets an
``NFQUEUE`` rule queues there (``netns.Netns.degrade``) and lets each go after its own delay.

This kernel has no netem, so delay and reordering are made in userspace: the kernel holds a
queued packet until this process gives its verdict, and this process accepts it
``delay_ms +- jitter_ms`` (uniform, never below 0) after it arrived. With ``--fifo`` a packet
never leaves before one that arrived earlier (a slow link: delay and jitter, no reordering);
without it each packet's delay is its own, so packets overtake each other (reordering).

    ip netns exec NS python -m tests.cluster.netdelay --queue 0 --delay-ms 50 --jitter-ms 5

It prints ``ready`` once bound. It stops when its stdin closes (the process that started it
closed it, or is gone): it then lets every packet it holds go at once and prints one JSON
line, ``{"packets": queued, "reordered": released after a later arrival}``. If it is killed,
the kernel drops the packets it held, and later ones pass undelayed (the rule has
``--queue-bypass``).
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import random
import select
import sys
import time
from dataclasses import dataclass, field
from typing import Any

MAX_HELD = 16384  # 250 ms of 65,000 packets a second


@dataclass
class DelayLine:
    """Packets held until their due time; ``release`` lets the due ones go, in due order."""

    delay_s: float
    jitter_s: float
    fifo: bool
    rng: random.Random = field(default_factory=random.Random)
    held: list[tuple[float, int, Any]] = field(default_factory=list)  # (due, arrival no., pkt)
    arrivals: int = 0
    released_max: int = -1  # the latest arrival number let go so far
    reordered: int = 0
    _last_due: float = 0.0

    def hold(self, packet: Any, now: float) -> None:
        delay = max(0.0, self.delay_s + self.rng.uniform(-self.jitter_s, self.jitter_s))
        due = now + delay
        if self.fifo:
            due = max(due, self._last_due)
            self._last_due = due
        heapq.heappush(self.held, (due, self.arrivals, packet))
        self.arrivals += 1

    def next_due(self) -> float | None:
        return self.held[0][0] if self.held else None

    def release(self, now: float) -> None:
        """Accept every packet due by ``now`` (every packet held, for ``now=inf``)."""
        while self.held and self.held[0][0] <= now:
            _, seq, packet = heapq.heappop(self.held)
            if seq < self.released_max:
                self.reordered += 1
            self.released_max = max(self.released_max, seq)
            packet.accept()


def serve(queue_num: int, line: DelayLine) -> dict[str, int]:
    from netfilterqueue import COPY_META, NetfilterQueue

    nfq = NetfilterQueue()
    # Only the metadata: the verdict needs the packet id, not the bytes. The kernel drops
    # what arrives while MAX_HELD packets wait, which would add loss nobody asked for.
    nfq.bind(queue_num, lambda pkt: line.hold(pkt, time.monotonic()), max_len=MAX_HELD,
             mode=COPY_META)  # fmt: skip
    fd = nfq.get_fd()
    os.set_blocking(fd, False)
    print("ready", flush=True)
    try:
        while True:
            due = line.next_due()
            timeout = None if due is None else max(0.0, due - time.monotonic())
            readable, _, _ = select.select([fd, sys.stdin], [], [], timeout)
            if sys.stdin in readable and not sys.stdin.readline():
                break  # closed: stop
            if fd in readable:
                nfq.run(block=False)
            line.release(time.monotonic())
        line.release(float("inf"))
    finally:
        nfq.unbind()
    return {"packets": line.arrivals, "reordered": line.reordered}


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m tests.cluster.netdelay")
    ap.add_argument("--queue", type=int, default=0)
    ap.add_argument("--delay-ms", type=float, required=True)
    ap.add_argument("--jitter-ms", type=float, default=0.0)
    ap.add_argument("--fifo", action="store_true", help="keep packets in their order")
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    line = DelayLine(
        args.delay_ms / 1000, args.jitter_ms / 1000, args.fifo, random.Random(args.seed)
    )
    print(json.dumps(serve(args.queue, line)), flush=True)


if __name__ == "__main__":
    main()
