"""Files replaced crash-atomically: a crash (power loss, or a file system that loses unsynced
data) leaves the old file or the new one, never an empty or partial one.

The one implementation of "sync the new file, rename it over the old, sync the directory"
for every layer: small files (``write_durably``: keys, certificates, tokens, identities),
the Raft journal's meta and snapshot files (``durable_replace``), LMDB snapshot installs.
Without it a node's key written just before a crash came back as an empty file it could not
start with (the lost-writes fault test found that: tests/jepsen/nemeses/crash.py).

Everything in a data directory is private to the server's user (directories 0700, files
0600): the store holds every database's rows and the registry's verifiers, the directory
the node's keys and tokens. ``private_dir`` makes (or tightens) one.
"""

from __future__ import annotations

import os


def fsync_dir(path: str) -> None:
    """Make the entries of directory ``path`` (a rename into it) durable."""
    fd = os.open(path or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def durable_replace(src: str, dst: str) -> bool:
    """Sync ``src``, rename it over ``dst`` and sync the directory (True: pysyncobj's
    ``atomicReplace`` contract)."""
    fsync_file(src)
    os.replace(src, dst)
    fsync_dir(os.path.dirname(os.path.abspath(dst)))
    return True


PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: str) -> None:
    """Create directory ``path`` 0700, or make an existing one and everything under it
    private (0700 directories, 0600 files: data directories of older versions were 0755 with
    0644 files)."""
    os.makedirs(path, mode=PRIVATE_DIR, exist_ok=True)
    os.chmod(path, PRIVATE_DIR)
    for root, dirs, files in os.walk(path):
        for d in dirs:
            os.chmod(os.path.join(root, d), PRIVATE_DIR)
        for f in files:
            full = os.path.join(root, f)
            if not os.path.islink(full):
                os.chmod(full, PRIVATE_FILE)


def write_durably(path: str, data: bytes, mode: int = PRIVATE_FILE) -> None:
    """Replace ``path`` with ``data`` (permissions ``mode``), durably and atomically."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), mode=PRIVATE_DIR, exist_ok=True)
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
    try:
        os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
    durable_replace(tmp, path)
