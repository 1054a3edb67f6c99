"""CPU per Raft message: pysyncobj's framing (pickle 2, zlib 3, Fernet) against
cluster.raft_transport's (pickle 5, no zlib, AES-GCM), sender and receiver side.

    python -m bench.raft_wire

The message is an append-entries of one command whose payload is small, 100 KB or 1 MB of
row-like bytes (keys and values with some repetition, as a bulk load sends), or 100 KB of
random bytes. Process CPU time, microseconds per message.
"""

from __future__ import annotations

import functools
import os
import random
import struct
import time
import zlib
from collections.abc import Callable
from typing import Any

import pysyncobj.pickle as ps_pickle
from pysyncobj.encryptor import getEncryptor as fernet_encryptor

from cluster import raft_transport


def rows(n: int) -> bytes:
    rnd = random.Random(1)
    words = [b"alpha", b"beta", b"gamma", b"customer", b"order", b"2026-11-30", b"paid"]
    out, size, i = [], 0, 0
    while size < n:
        row = b"\x00\x00\x01\x2a\x01" + struct.pack(">qqq", i, i, rnd.randrange(10**6))
        row += b" ".join(rnd.choice(words) for _ in range(6)) + rnd.randbytes(8)
        out.append(row)
        size += len(row)
        i += 1
    return b"".join(out)[:n]


def message(payload: bytes) -> Any:
    command = ps_pickle.dumps((7, (payload,), {}))  # what syncobj journals for a call
    entry = {"type": "append_entries", "term": 3, "commit_index": 1000, "prevLogIdx": 1000,
             "prevLogTerm": 3, "entries": [(command, 1001, 3)]}  # fmt: skip
    return (os.urandom(32), entry)  # with the connection's random key, as sent


def per_call_us(fn: Callable[[], Any], seconds: float = 0.4) -> float:
    fn()
    n, start = 0, time.process_time()
    while (elapsed := time.process_time() - start) < seconds:
        fn()
        n += 1
    return elapsed / n * 1e6


def main() -> None:
    fernet = fernet_encryptor("bench")
    aead = raft_transport.AeadEncryptor("bench")

    def old_send(m: Any) -> bytes:
        return bytes(fernet.encrypt_at_time(zlib.compress(ps_pickle.dumps(m), 3), 5))

    def old_recv(token: bytes) -> Any:
        fernet.extract_timestamp(token)
        return ps_pickle.loads(zlib.decompress(fernet.decrypt(token)))

    def new_send(m: Any) -> bytes:
        return aead.encrypt_at_time(raft_transport.encode(m), 5)

    def new_recv(token: bytes) -> Any:
        aead.extract_timestamp(token)
        return raft_transport.decode(aead.decrypt(token))

    print(f"{'us per message':<16}{'old send':>10}{'old recv':>10}{'old bytes':>11}"
          f"{'new send':>10}{'new recv':>10}{'new bytes':>11}")  # fmt: skip
    for name, payload in [
        ("small", b"k" * 40 + b"v" * 100),
        ("100KB rows", rows(100_000)),
        ("100KB random", random.Random(2).randbytes(100_000)),
        ("1MB rows", rows(1_000_000)),
    ]:
        row = f"{name:<16}"
        for send, recv in ((old_send, old_recv), (new_send, new_recv)):
            m = message(payload)
            token = send(m)
            assert recv(token) == m
            send_us = per_call_us(functools.partial(send, m))
            recv_us = per_call_us(functools.partial(recv, token))
            row += f"{send_us:>10.1f}{recv_us:>10.1f}{len(token):>11d}"
        print(row)


if __name__ == "__main__":
    main()
