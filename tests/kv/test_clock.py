"""kv/clock.py: the injectable clock offset used by the clock-skew nemesis."""

from __future__ import annotations

import importlib
import os
import time
from pathlib import Path

import pytest

import kv.clock


def test_without_the_variable_it_is_the_system_clock() -> None:
    assert "DB9_FAULT_CLOCK_FILE" not in os.environ
    assert abs(kv.clock.wall_ms() - time.time_ns() // 1_000_000) < 1000


def test_offset_file_moves_the_clock_and_follows_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "offset"
    monkeypatch.setenv("DB9_FAULT_CLOCK_FILE", str(path))
    clock = importlib.reload(kv.clock)
    try:
        now = lambda: time.time_ns() // 1_000_000  # noqa: E731
        assert abs(clock.wall_ms() - now()) < 1000  # no file yet: no offset
        for offset in (60_000, -60_000, 0, 5_000):
            tmp = tmp_path / "offset.tmp"
            tmp.write_text(f"{offset}\n")
            tmp.replace(path)  # how the harness writes it: a rename, so a new inode
            assert abs(clock.wall_ms() - now() - offset) < 1000
        path.write_text("not a number")
        assert abs(clock.wall_ms() - now()) < 1000  # garbage means no offset, not a crash
    finally:
        monkeypatch.delenv("DB9_FAULT_CLOCK_FILE")
        importlib.reload(kv.clock)
