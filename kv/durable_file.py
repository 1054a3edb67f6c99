"""Small files written crash-atomically: a crash (power loss, or a file system that loses
unsynced data) leaves the old file or the new one, never an empty or partial one.

The data goes to ``<path>.tmp``, which is synced, renamed over ``path``, and then the
directory is synced so the rename itself survives. Without this a node's key or certificate
written just before a crash can come back as an empty file it cannot start with (the
lost-writes fault test found that: tests/jepsen/nemeses/crash.py).
"""

from __future__ import annotations

import os


def write_durably(path: str, data: bytes, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` (permissions ``mode``), durably and atomically."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
    try:
        os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
