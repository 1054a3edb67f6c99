"""A query's rows are produced as they are fetched (``Session.run_statement(stream=True)``): a
suspended query keeps its own transaction, parameters and snapshot while other statements run,
ends its autocommit transaction with its last row, and is released when its transaction (or
the implicit one, at Sync) ends."""

from __future__ import annotations

import itertools

import pytest

from kv.client import TxnClient
from sql.database import Database
from sql.session import Session
from sql.statements import split_statements
from tests.kv.conftest import local_kv


@pytest.fixture
def session() -> Session:
    s = Session(Database(TxnClient(local_kv()), b"\x00\x0e"))
    s.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
    s.execute("INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 3000) g")
    return s


def stream(s: Session, sql: str, params: list[object] | None = None):  # type: ignore[no-untyped-def]
    (stmt,) = split_statements(sql)
    result = s.run_statement(stmt, params or [], stream=True)
    assert result.stream is not None
    return result.stream


def test_an_autocommit_stream_leaves_the_session_free_and_commits_with_its_last_row(
    session: Session,
) -> None:
    st = stream(session, "SELECT id FROM t ORDER BY id")
    assert [r[0] for r in st.fetch(10)] == list(range(1, 11))
    assert session.txn is None  # the stream owns its transaction
    session.execute("INSERT INTO t VALUES (5000, 'later')")  # another statement meanwhile
    rest = st.drain()
    assert [r[0] for r in rest] == list(range(11, 3001))  # its own snapshot: no 5000
    assert st.done and st.tag == "SELECT 3000"
    assert session.streams == [] and session.txn is None


def test_interleaved_executions_of_one_cached_plan_keep_their_own_parameters(
    session: Session,
) -> None:
    sql = "SELECT id FROM t WHERE id > $1 ORDER BY id"
    session.execute("SELECT 1")
    a = stream(session, sql, [100])
    assert a.fetch(2) == [(101,), (102,)]
    b = stream(session, sql, [2000])  # same text: must not take over a's plan and params
    assert b.fetch(2) == [(2001,), (2002,)]
    assert a.fetch(2) == [(103,), (104,)]
    assert len(b.drain()) == 998
    assert len(a.drain()) == 3000 - 104
    c = stream(session, sql, [2990])  # the cached plan is free again
    assert [r[0] for r in c.drain()] == list(range(2991, 3001))


def test_sync_closes_the_implicit_transactions_streams(session: Session) -> None:
    st = stream(session, "SELECT id FROM t")
    st.fetch(5)
    assert session.end_implicit_transaction() == [st]
    assert st.done and st.closed and session.streams == []
    assert session.execute("SELECT count(*) FROM t")[-1].rows == [(3000,)]


def test_a_block_stream_survives_read_committed_snapshots_and_ends_with_the_block(
    session: Session,
) -> None:
    session.execute("BEGIN")
    st = stream(session, "SELECT id FROM t ORDER BY id")
    assert st.fetch(3) == [(1,), (2,), (3,)]
    # READ COMMITTED takes a new snapshot for the next statement; the portal keeps reading
    assert session.execute("SELECT count(*) FROM t")[-1].rows == [(3000,)]
    assert st.fetch(2) == [(4,), (5,)]
    session.execute("COMMIT")
    assert st.closed and session.streams == []
    assert st.fetch(10) == []


def test_an_error_mid_stream_comes_after_the_rows_before_it(session: Session) -> None:
    from sql.errors import SqlError

    st = stream(session, "SELECT 10 / (2000 - id) FROM t")
    got = []
    with pytest.raises(SqlError) as info:
        while True:
            rows = st.fetch(256)
            got += rows
            if st.done and st.error is None:
                break
    assert info.value.sqlstate == "22012"
    assert len(got) == 1999
    assert session.streams == [] and session.txn is None
    session.execute("BEGIN")
    st = stream(session, "SELECT 10 / (2000 - id) FROM t")
    with pytest.raises(SqlError):
        st.drain()
    assert session.status == "E"  # an error in a block's portal aborts the block
    session.execute("ROLLBACK")


# -- COPY FROM, piece by piece -----------------------------------------------------------------

_ROWS = [
    (1, "plain"),
    (2, "tab\tand\\backslash"),
    (3, 'new\nline, "quoted"'),
    (4, "ünïcødé €"),
    (5, None),
    (6, ""),
]


def _copy_text(fmt: str) -> bytes:
    from sql.copy import CopySpec, format_row
    from sql.types import INT4, TEXT

    spec = CopySpec("in", format=fmt, delimiter="," if fmt == "csv" else "\t",
                    null="" if fmt == "csv" else "\\N")  # fmt: skip
    head = "id,v\n" if fmt == "csv" else ""
    body = "".join(format_row(spec, list(r), [INT4, TEXT]) for r in _ROWS)
    return (head + body).encode()


@pytest.mark.parametrize("fmt", ["text", "csv"])
def test_copy_from_gives_the_same_rows_however_the_input_is_cut(session: Session, fmt: str) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from sql.copy import parse_copy

    data = _copy_text(fmt)
    options = "(FORMAT csv, HEADER true)" if fmt == "csv" else ""
    sql = f"COPY c FROM STDIN {options}"
    (stmt,) = split_statements(sql)
    assert stmt.utility is not None
    session.execute("CREATE TABLE c (id int PRIMARY KEY, v text)")

    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.integers(0, len(data)), max_size=12))
    def check(cuts: list[int]) -> None:
        bounds = [0, *sorted(cuts), len(data)]
        pieces = [data[a:b] for a, b in itertools.pairwise(bounds)]
        spec = parse_copy(stmt.utility[1], stmt.text)  # type: ignore[index]
        session.execute("DELETE FROM c")
        assert session.copy_in(spec, iter(pieces)).tag == f"COPY {len(_ROWS)}"
        assert session.execute("SELECT id, v FROM c ORDER BY id")[-1].rows == _ROWS

    check()
