"""Transaction boundaries of the extended protocol, against PostgreSQL 15 on the same bytes.

PostgreSQL runs every statement from the first Execute to Sync outside a block as one
implicit transaction: an error rolls all of them back, a ROLLBACK among them undoes what came
before it, and nothing is visible to other sessions before Sync. Hypothesis draws pipelines
of statements split into Sync-ended batches; each statement is sent either together with the
rest of its batch (the server sees Sync buffered) or alone behind a Flush, its answer awaited
before the next is sent (the server cannot know whether more follows). After each statement
sent alone a second session counts the rows it can see. Every answer, the other session's
counts and the table's final rows must be PostgreSQL's."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.pgwire.conftest import Running, start_server
from tests.pgwire.test_bind_values import RawClient
from tests.sql.pg import postgres_server


def _msg(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!i", len(body) + 4) + body


def _statement(sql: str) -> bytes:
    """Parse, Bind and Execute of ``sql`` through the unnamed statement and portal; AGAIN:
    Bind and Execute of the statement parsed last."""
    parse = _msg(b"P", b"\x00" + sql.encode() + b"\x00" + struct.pack("!h", 0))
    bind = _msg(b"B", b"\x00\x00" + struct.pack("!hhh", 0, 0, 0))
    return (b"" if sql == "AGAIN" else parse) + bind + _msg(b"E", b"\x00" + struct.pack("!i", 0))


FLUSH = _msg(b"H", b"")
SYNC = _msg(b"S", b"")


class Raw(RawClient):
    """Answers summarised as message kinds, with an error's SQLSTATE and a row's text."""

    def read_until(self, ends: bytes, count: int = 1) -> list[str]:
        """Answers up to and including the ``count``-th message whose kind is in ``ends``
        (or an error, after which the server skips to Sync)."""
        out: list[str] = []
        while True:
            kind, body = self._message()
            if kind == b"E":
                fields = {f[:1]: f[1:].decode() for f in body.split(b"\x00") if f}
                out.append(f"E{fields[b'C']}")
            elif kind == b"N":
                fields = {f[:1]: f[1:].decode() for f in body.split(b"\x00") if f}
                out.append(f"N{fields[b'C']}")
            elif kind == b"D":
                out.append(f"D{body[6:].decode()}")  # one column, never NULL here
            elif kind == b"Z":
                out.append(f"Z{body.decode()}")
            elif kind == b"C":
                out.append(f"C{body[:-1].decode()}")
            else:
                out.append(kind.decode())
            if kind in ends:
                count -= 1
                if count == 0 or kind == b"E":
                    return out


@dataclass
class Pair:
    ours: Raw
    theirs: Raw
    ours_other: psycopg.Connection
    theirs_other: psycopg.Connection


@pytest.fixture(scope="module")
def db9(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    # plaintext: compared frame by frame with PostgreSQL over raw sockets
    yield from start_server(tmp_path_factory.mktemp("extended"), require_tls=False)


@pytest.fixture(scope="module")
def pair(db9: Running) -> Iterator[Pair]:
    with postgres_server() as pg_dsn:
        dsns = (db9.dsn(sslmode="disable"), pg_dsn)
        ours, theirs = Raw(dsns[0]), Raw(dsns[1])
        others = [psycopg.connect(d, autocommit=True) for d in dsns]
        for c in others:
            c.execute("CREATE TABLE t (k int PRIMARY KEY)")
        try:
            yield Pair(ours, theirs, *others)
        finally:
            ours.close()
            theirs.close()
            for c in others:
                c.close()


STATEMENTS = st.one_of(
    st.integers(1, 4).map(lambda k: f"INSERT INTO t VALUES ({k})"),
    st.sampled_from(
        [
            "SELECT count(*) FROM t",
            "BEGIN",
            "COMMIT",
            "ROLLBACK",
            "SELECT 1 / (SELECT count(*) - count(*) FROM t)",  # division by zero when run
            "DELETE FROM t WHERE k = 2",
            "AGAIN",
        ]
    ),
)
# A batch: its statements, each sent with the rest (False) or alone behind a Flush (True).
BATCHES = st.lists(st.lists(st.tuples(STATEMENTS, st.booleans()), max_size=5), max_size=4)


def _run(
    raw: Raw, other: psycopg.Connection, batches: list[list[tuple[str, bool]]]
) -> list[object]:
    out: list[object] = []
    for batch in batches:
        pending, sent, failed = b"", 0, False
        for sql, alone in batch:
            pending, sent = pending + _statement(sql), sent + 1
            if not alone or failed:
                continue
            raw.sock.sendall(pending + FLUSH)
            answers = raw.read_until(b"CEI", sent)
            pending, sent = b"", 0
            out.append(answers)
            failed = answers[-1].startswith("E")
            out.append(other.execute("SELECT count(*) FROM t").fetchone())
        raw.sock.sendall(pending + SYNC)
        out.append(raw.read_until(b"Z"))
    raw.sock.sendall(_msg(b"Q", b"ROLLBACK\x00"))  # a block left open ends here
    raw.read_until(b"Z")
    out.append(other.execute("SELECT k FROM t ORDER BY k").fetchall())
    other.execute("DELETE FROM t")
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(BATCHES)
@example([[("INSERT INTO t VALUES (1)", False), ("INSERT INTO t VALUES (1)", False)]])
@example([[("INSERT INTO t VALUES (1)", True), ("INSERT INTO t VALUES (2)", True),
           ("ROLLBACK", False)]])  # fmt: skip
@example([[("INSERT INTO t VALUES (1)", True), ("INSERT INTO t VALUES (1)", False)]])
@example([[("INSERT INTO t VALUES (1)", True), ("BEGIN", True),
           ("INSERT INTO t VALUES (2)", False)]])  # fmt: skip
@example([[("BEGIN", False), ("SELECT 1 / (SELECT count(*) - count(*) FROM t)", False)],
           [("BEGIN", False), ("COMMIT", False)]])  # fmt: skip
def test_pipelines_commit_and_fail_as_postgres(
    pair: Pair, batches: list[list[tuple[str, bool]]]
) -> None:
    ours = _run(pair.ours, pair.ours_other, batches)
    theirs = _run(pair.theirs, pair.theirs_other, batches)
    assert ours == theirs
