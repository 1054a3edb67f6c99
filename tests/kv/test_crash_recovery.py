"""kill -9 of a process writing through the engine: after reopening, every transaction it
reported committed is there in full, and no transaction is there in part."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from kv.client import LocalKv, TxnClient, TxnOptions

ROOT = Path(__file__).resolve().parents[2]


def run_and_kill(path: Path, first: int, commits_before_kill: int, threads: int) -> dict[int, int]:
    """Start the writer, wait for some commits, SIGKILL it; return the commits it reported."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.kv.crash_writer", str(path), str(first), str(threads)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    reported: dict[int, int] = {}
    for line in proc.stdout:
        i, size = map(int, line.split())
        reported[i] = size
        if len(reported) >= commits_before_kill:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    for line in proc.stdout:  # lines already in the pipe were committed too
        i, size = map(int, line.split())
        reported[i] = size
    return reported


@pytest.mark.parametrize("threads", [1, 8], ids=["one-writer", "concurrent-writers"])
def test_kill_9_loses_no_committed_transaction_and_leaves_none_partial(
    tmp_path: Path, threads: int
) -> None:
    """With concurrent writers the kill lands inside group commits: every transaction a
    writer was told committed survives, whichever group it shared."""
    path = tmp_path / "db"
    reported: dict[int, int] = {}
    first = 0
    for round_, n in enumerate([150, 97, 211]):
        reported.update(run_and_kill(path, first, n, threads))
        kv = LocalKv.open(str(path))
        # Wait out the dead writer's lock TTL (300 ms) rather than failing on its locks.
        client = TxnClient(kv, TxnOptions(lock_wait_s=5.0))
        txn = client.begin()
        present: dict[int, list[bytes]] = defaultdict(list)
        for key, value in txn.iter_scan(b"", None):
            present[int(key[1:8])].append(value)
        txn.rollback()
        for i, size in reported.items():
            assert len(present.get(i, [])) == size, f"round {round_}: txn {i} lost or partial"
        for i, values in present.items():
            expected = 1 + (i * 7) % 23  # the writer's size rule
            assert len(values) == expected, f"round {round_}: txn {i} is partial: {len(values)}"
            assert all(v.startswith(str(expected).encode()) for v in values)
        assert kv.scan_locks(max_ts=kv.get_ts()) == []
        first = max(max(present), max(reported)) + 1
        kv.close()
