"""Timing SQL statements on a server over one psycopg connection (autocommit, text protocol)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from bench.compare.rows import median
from bench.servers import Server


@contextmanager
def connect(server: Server) -> Iterator[psycopg.Connection]:
    with psycopg.connect(server.conninfo, password=server.password or None,
                         autocommit=True) as conn:  # fmt: skip
        yield conn


def execute(server: Server, *statements: str) -> None:
    with connect(server) as conn:
        for sql in statements:
            conn.execute(sql)


def timed(conn: psycopg.Connection, sql: str) -> tuple[float, int]:
    """(seconds, rows returned) of one run of ``sql``."""
    t0 = time.perf_counter()
    cur = conn.execute(sql)
    n = len(cur.fetchall()) if cur.description else cur.rowcount
    return time.perf_counter() - t0, n


def latency(conn: psycopg.Connection, sql: str, *, budget_s: float = 1.0, most: int = 50,
            least: int = 3) -> tuple[float, int]:  # fmt: skip
    """Median seconds of repeated runs of ``sql`` (at least ``least``, then until ``budget_s``
    or ``most`` runs) after one warm-up run; and the rows it returned."""
    _, n = timed(conn, sql)
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < least or (len(times) < most and time.perf_counter() - started < budget_s):
        times.append(timed(conn, sql)[0])
    return median(times), n
