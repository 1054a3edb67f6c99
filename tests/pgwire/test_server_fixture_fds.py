"""A server started and stopped on its own thread (tests.pgwire.conftest.serving) gives back
every file descriptor it took: the test process starts hundreds, and a loop left unclosed
(its selector, eventfd and pipes) made select() fail on descriptors past 1024 late in CI."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg

from tests.pgwire.conftest import start_server


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_starting_and_stopping_servers_leaks_no_file_descriptor(tmp_path: Path) -> None:
    def cycle(i: int) -> None:
        for running in start_server(tmp_path / str(i)):
            with psycopg.connect(running.dsn()) as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)

    (tmp_path / "0").mkdir()
    cycle(0)  # the first one loads what stays loaded (TLS context, codecs)
    before = _open_fds()
    for i in range(1, 11):
        (tmp_path / str(i)).mkdir()
        cycle(i)
    assert _open_fds() - before <= 2, (before, _open_fds())
