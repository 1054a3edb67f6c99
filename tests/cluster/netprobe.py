"""Measure a link between two network namespaces with UDP: round trips, and what arrives of a
numbered burst (how many, how many out of order). Used to check that ``Netns.degrade`` does
what it says.

    python -m tests.cluster.netprobe serve IP PORT         # in the receiving namespace
    python -m tests.cluster.netprobe rtt IP PORT COUNT     # prints the round trips (ms, JSON)
    python -m tests.cluster.netprobe burst IP PORT COUNT   # prints {"received", "reordered"}

The server answers ``P<n>`` with the same bytes (a round trip), counts ``D<run>:<seq>``
datagrams per run, and answers ``S<run>`` with that run's figures. ``reordered`` counts the
datagrams that arrived after one with a higher sequence number.
"""

from __future__ import annotations

import json
import socket
import sys
import time
import uuid
from dataclasses import dataclass


@dataclass
class _Run:
    received: int = 0
    highest: int = -1
    reordered: int = 0


def serve(ip: str, port: int) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((ip, port))
    print("ready", flush=True)
    runs: dict[bytes, _Run] = {}
    while True:
        data, peer = sock.recvfrom(256)
        if data[:1] == b"P":
            sock.sendto(data, peer)
        elif data[:1] == b"D":
            run_id, seq = data[1:].split(b":")
            r = runs.setdefault(run_id, _Run())
            r.received += 1
            if int(seq) < r.highest:
                r.reordered += 1
            r.highest = max(r.highest, int(seq))
        elif data[:1] == b"S":
            r = runs.get(data[1:], _Run())
            sock.sendto(json.dumps({"received": r.received, "reordered": r.reordered}).encode(),
                        peer)  # fmt: skip


def rtt(ip: str, port: int, count: int, timeout_s: float = 2.0) -> list[float | None]:
    """``count`` round trips one after another, in ms; None for one that did not come back."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect((ip, port))
    out: list[float | None] = []
    for i in range(count):
        msg = f"P{i}".encode()
        start = time.monotonic()
        sock.sendto(msg, (ip, port))
        sock.settimeout(timeout_s)
        try:
            while sock.recv(256) != msg:  # a late answer to an earlier probe
                pass
            out.append((time.monotonic() - start) * 1000)
        except TimeoutError:
            out.append(None)
    return out


def burst(
    ip: str, port: int, count: int, gap_s: float = 0.0005, settle_s: float = 0.3
) -> dict[str, int]:
    """Send ``count`` numbered datagrams ``gap_s`` apart, then, ``settle_s`` later (longer
    than any delay on the link: nothing announces the last datagram that will arrive), ask
    the server what arrived, again until it answers (the question can be lost too)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect((ip, port))
    run_id = uuid.uuid4().hex[:8]
    for seq in range(count):
        sock.send(f"D{run_id}:{seq}".encode())
        time.sleep(gap_s)
    time.sleep(settle_s)
    sock.settimeout(0.5)
    for _ in range(20):
        sock.send(f"S{run_id}".encode())
        try:
            answer: dict[str, int] = json.loads(sock.recv(256))
            return answer
        except TimeoutError:
            continue
    raise TimeoutError(f"{ip}:{port} did not answer")


def main() -> None:
    what, ip, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if what == "serve":
        serve(ip, port)
    elif what == "rtt":
        print(json.dumps(rtt(ip, port, int(sys.argv[4]))))
    else:
        print(json.dumps(burst(ip, port, int(sys.argv[4]))))


if __name__ == "__main__":
    main()
