"""A private PostgreSQL server for differential tests, started from Debian's binaries.

It runs as the ``postgres`` user when we are root (PostgreSQL refuses root), listens only on a
Unix socket in a temporary directory, uses the C locale (byte-order text comparison, as db9
does) and UTC, and is stopped when the test session ends.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"PostgreSQL binary {name} not found (run scripts/setup)")
    return path


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@contextmanager
def postgres_server(options: str = "") -> Iterator[str]:
    """Yields a conninfo string for a fresh server; removes it afterwards. ``options`` are
    extra server settings (``-c name=value ...``); the log goes to ``<root>/log``."""
    root = tempfile.mkdtemp(prefix="db9-pg-")
    os.chmod(root, 0o777)
    data, sock = os.path.join(root, "data"), os.path.join(root, "sock")
    os.makedirs(sock)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    subprocess.run(
        _as_postgres(
            [
                _bin("initdb"),
                "-D",
                data,
                "--locale=C",
                "-E",
                "UTF8",
                "--auth=trust",
                "-U",
                "postgres",
            ]
        ),
        check=True,
        capture_output=True,
    )
    subprocess.run(
        _as_postgres(
            [
                _bin("pg_ctl"),
                "-D",
                data,
                "-w",
                "-l",
                os.path.join(root, "log"),
                "-o",
                f"-k {sock} -c listen_addresses='' -c timezone=UTC -c fsync=off {options}",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"host={sock} user=postgres dbname=postgres"
    finally:
        subprocess.run(_as_postgres([_bin("pg_ctl"), "-D", data, "-m", "immediate", "stop"]),
                       capture_output=True)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


def connect(conninfo: str) -> psycopg.Connection[tuple[object, ...]]:
    # No server-side prepared statements: the tests change table shapes under equal query text.
    return psycopg.connect(conninfo, autocommit=True, prepare_threshold=None)
