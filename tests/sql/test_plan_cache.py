"""A session reuses the plans of statements it ran before (queries and DML alike): every
rerun must give what planning the statement anew would give. Hypothesis draws sequences
from a small pool of statement texts, so texts repeat and run from the cache, interleaved
with what invalidates a plan (DDL, SET search_path, constraints added, tables recreated);
after every statement db9 must report what PostgreSQL reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from kv.client import TxnClient
from kv.mvcc.records import Mutation, Op
from sql.catalog import TableDef
from sql.database import Database
from sql.rows import RowCodec
from sql.sequences import BLOCK, Sequences
from sql.session import Session
from tests.kv.conftest import local_kv
from tests.sql.differential import Differ

SETUP = [
    "CREATE SCHEMA s1",
    "CREATE SCHEMA s2",
    "CREATE TABLE s1.t (id int PRIMARY KEY, v int, w text)",
    "CREATE TABLE s2.t (id int PRIMARY KEY, v int, w text)",
    "CREATE TABLE s1.h (id serial PRIMARY KEY, tid int, delta int)",
    "CREATE TABLE s2.h (id serial PRIMARY KEY, tid int, delta int)",
    "INSERT INTO s1.t VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 30, 'c')",
    "INSERT INTO s2.t VALUES (1, 100, 'x'), (2, 200, 'y')",
    "SET search_path = s1",
]

KEYS = st.integers(1, 5)
DELTAS = st.sampled_from([-7, 0, 1, 5])

STATEMENTS = st.one_of(
    st.builds("UPDATE t SET v = v + {} WHERE id = {}".format, DELTAS, KEYS),
    st.builds(
        "UPDATE t SET v = v * 2, w = w || 'z' WHERE v > {} RETURNING id, v, w".format,
        st.sampled_from([0, 25, 150]),
    ),
    st.builds("INSERT INTO t VALUES ({}, {}, 'n')".format, KEYS, DELTAS),
    st.builds(
        "INSERT INTO t VALUES ({}, 1, 'o') ON CONFLICT (id) DO UPDATE SET v = t.v + 1"
        " RETURNING id, v".format,
        KEYS,
    ),
    st.builds("INSERT INTO h (tid, delta) VALUES ({}, {}) RETURNING id, tid".format, KEYS, DELTAS),
    st.builds("DELETE FROM t WHERE id = {} RETURNING *".format, KEYS),
    st.builds("SELECT v, w FROM t WHERE id = {}".format, KEYS),
    st.just("SELECT * FROM t ORDER BY id"),
    st.just("SELECT count(*), sum(delta) FROM h"),
    st.sampled_from(
        [
            "SELECT id FROM t WHERE v > (SELECT avg(v) FROM t) ORDER BY id",
            "SELECT (SELECT count(*) FROM h), 1 IN (SELECT tid FROM h)",
            "UPDATE t SET v = v + 1 WHERE id IN (SELECT tid FROM h) RETURNING id, v",
            "DELETE FROM h WHERE delta < (SELECT max(delta) FROM h) RETURNING tid, delta",
            "INSERT INTO h (tid, delta) SELECT id, v FROM t WHERE v < (SELECT sum(v) FROM t)"
            " RETURNING tid",
        ]
    ),
    st.sampled_from(
        [
            "SET search_path = s1",
            "SET search_path = s2",
            "SET search_path = s2, s1",
            "BEGIN",
            "COMMIT",
            "ROLLBACK",
            "ALTER TABLE t ADD COLUMN extra int DEFAULT 7",
            "ALTER TABLE t ADD CONSTRAINT small CHECK (v < 120)",
            "CREATE INDEX ON t (v)",
            "DROP TABLE t; CREATE TABLE t (w text, id int PRIMARY KEY, v int NOT NULL)",
        ]
    ),
)


@pytest.fixture
def differ(differ: Differ) -> Iterator[Differ]:
    """The shared PostgreSQL server keeps no schema of these tests for the next ones."""
    yield differ
    differ.pg.execute("ROLLBACK")
    differ.pg.execute("DROP SCHEMA IF EXISTS s1 CASCADE")
    differ.pg.execute("DROP SCHEMA IF EXISTS s2 CASCADE")


def _fresh(differ: Differ) -> None:
    differ.pg.execute("ROLLBACK")
    differ.reset()
    differ.pg.execute("DROP SCHEMA IF EXISTS s1 CASCADE")
    differ.pg.execute("DROP SCHEMA IF EXISTS s2 CASCADE")
    for sql in SETUP:
        differ.check(sql)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
)
@given(st.lists(STATEMENTS, min_size=5, max_size=40))
def test_cached_plans_answer_as_postgresql(differ: Differ, statements: list[str]) -> None:
    _fresh(differ)
    for sql in statements:
        differ.check(sql)


def test_search_path_picks_the_table_of_a_cached_statement(differ: Differ) -> None:
    """The same text names another table once search_path changes (found by hand: the
    cached plan kept reading the first schema's table)."""
    _fresh(differ)
    for path in ("s1", "s2", "s1"):
        differ.check(f"SET search_path = {path}")
        differ.check("SELECT * FROM t ORDER BY id")
        differ.check("UPDATE t SET v = v + 1 WHERE id = 1 RETURNING v")
        differ.check("INSERT INTO h (tid, delta) VALUES (1, 2) RETURNING id")


def test_uncorrelated_subquery_is_evaluated_by_each_run(differ: Differ) -> None:
    """An uncorrelated subquery runs once per execution of its statement, not once per
    cached plan (found by hand: a rerun kept the first run's count)."""
    _fresh(differ)
    for _ in range(3):
        differ.check("INSERT INTO h (tid, delta) VALUES (1, 1)")
        differ.check("SELECT (SELECT count(*) FROM h), 2 IN (SELECT count(*) FROM h)")
        differ.check("UPDATE t SET v = (SELECT count(*) FROM h) WHERE id = 1 RETURNING v")


def _session() -> Session:
    return Session(Database(TxnClient(local_kv()), b"d\x00\x00\x00\x01"))


def test_cached_insert_takes_now_of_each_transaction() -> None:
    """now() is the transaction's start: a cached INSERT must not keep the first run's."""
    s = _session()
    s.execute("CREATE TABLE e (n int, at timestamptz DEFAULT now(), t2 timestamptz)")
    ins = s.prepare("INSERT INTO e (n, t2) VALUES ($1, CURRENT_TIMESTAMP)")
    s.execute_prepared(ins, [1])
    s.execute("BEGIN")
    s.execute_prepared(ins, [2])
    s.execute_prepared(ins, [3])
    s.execute("COMMIT")
    rows = s.execute("SELECT n, at, t2 FROM e ORDER BY n")[0].rows or []
    at = {n: (a, b) for n, a, b in rows}
    assert all(a == b for a, b in at.values())
    assert at[2] == at[3], "one transaction, one now()"
    assert at[1][0] < at[2][0], "a later transaction, a later now()"
    assert isinstance(at[1][0], dt.datetime)


def test_dml_plans_are_reused() -> None:
    """A rerun DML statement comes from the cache (the speed of pgbench's writes)."""
    s = _session()
    s.execute("CREATE TABLE a (id int PRIMARY KEY, v int)")
    s.execute("INSERT INTO a SELECT g, 0 FROM generate_series(1, 10) g")
    upd = s.prepare("UPDATE a SET v = v + $1 WHERE id = $2")
    for i in range(1, 11):
        s.execute_prepared(upd, [i, i])
    assert [k[0] for k in s.dml_cache].count("UPDATE a SET v = v + $1 WHERE id = $2") == 1
    assert s.execute("SELECT sum(v) FROM a")[0].rows == [(55,)]


def _lock(s: Session, key: bytes, start_ts: int) -> None:
    """Leave a live lock on ``key``: the prewrite of a transaction that started at
    ``start_ts`` and has not committed."""
    s.client.backend.prewrite([Mutation(Op.PUT, key, b"x")], key, start_ts, 60_000)


def test_inline_write_that_would_wait_takes_its_writes_back() -> None:
    """A block's point write runs on the caller's thread until something would wait; then
    the transaction must hold exactly what it held before, and the statement run anew (in a
    worker) must find it so: here the primary key's row is written before the unique
    index's entry turns out to be locked."""
    s = _session()
    s.execute("CREATE TABLE u (id int PRIMARY KEY, k int UNIQUE, v int)")
    s.execute("INSERT INTO u VALUES (1, 1, 0), (2, 2, 0)")
    ins = s.prepare("INSERT INTO u VALUES ($1, $2, 0)")
    upd = s.prepare("UPDATE u SET v = v + 1 WHERE id = $1")
    s.execute_prepared(ins, [3, 3])  # cached from here on
    s.execute_prepared(upd, [3])
    other = s.client.backend.get_ts()  # a writer older than the block's snapshot
    assert s.execute_inline(s.prepare("BEGIN"), []) is not None
    assert s.in_block
    done = s.execute_inline(upd, [1])
    assert done is not None and done.tag == "UPDATE 1"
    before = s.current_txn().mutations()
    codec = RowCodec(s.db, s.catalog().table("u", None, s.search_path()))
    index = next(i for i in codec.table.indexes if not i.primary)
    locked = [codec.index_entry(index, (9, 9, 0))[0], codec.key((2, 2, 0))]
    _lock(s, locked[0], other)
    assert s.execute_inline(ins, [9, 9]) is None  # would wait for the lock
    assert s.current_txn().mutations() == before
    _lock(s, locked[1], other)
    assert s.execute_inline(upd, [2]) is None
    assert s.current_txn().mutations() == before
    assert not s.failed
    s.client.backend.rollback(locked, other)  # the other writer gives up
    s.execute("COMMIT")
    assert s.execute("SELECT id, v FROM u WHERE id IN (1, 3) ORDER BY id")[0].rows == [
        (1, 1),
        (3, 1),
    ]


def test_single_row_inserts_share_row_id_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """A table without a primary key numbers its rows from a sequence reserved a block at a
    time: a rerun single-row INSERT must not commit a reservation of its own each time (it
    did once its plan was cached: an fsync'd sequence commit per row, and 8 writers
    conflicting on it, pgbench -N's history table)."""
    s = _session()
    s.execute("CREATE TABLE hist (tid int, delta int)")
    reserved: list[int] = []
    real = Sequences._reserve

    def counting(self: Sequences, seq: TableDef, n: int) -> int:
        reserved.append(n)
        return real(self, seq, n)

    monkeypatch.setattr(Sequences, "_reserve", counting)
    ins = s.prepare("INSERT INTO hist (tid, delta) VALUES ($1, $2)")
    for i in range(100):
        s.execute_prepared(ins, [i, i])
    assert len(reserved) <= 100 // BLOCK + 1, reserved
    assert s.execute("SELECT count(*), count(DISTINCT ctid) FROM hist")[0].rows == [(100, 100)]


def test_a_constraint_name_is_taken_once(differ: Differ) -> None:
    """ADD CONSTRAINT with a name the table already has is 42710, as in PostgreSQL (found by
    the hypothesis test above: db9 added a second constraint of the same name)."""
    _fresh(differ)
    differ.check("ALTER TABLE t ADD CONSTRAINT small CHECK (v < 1000)")
    differ.check("ALTER TABLE t ADD CONSTRAINT small CHECK (v < 2000)")
    differ.check("ALTER TABLE t ADD CONSTRAINT small UNIQUE (w)")


def test_a_plan_of_rolled_back_ddl_is_not_reused(differ: Differ) -> None:
    """A rolled-back DDL's catalog version number is made again by the next DDL, for another
    catalog: plans cached under the uncommitted one must not answer for it (SQLAlchemy's
    tests create and drop a table of one name and different types in rolled-back blocks)."""
    for typ in ("numeric(18,14)", "float8", "text"):
        for sql in [
            "BEGIN",
            f"CREATE TABLE rb (x {typ})",
            "INSERT INTO rb VALUES ('1')",
            "SELECT rb.x FROM rb",
            "INSERT INTO rb VALUES ('2')",
            "SELECT rb.x FROM rb WHERE rb.x IS NOT NULL",
            "ROLLBACK",
        ]:
            differ.check(sql)
    differ.check("BEGIN")
    for typ in ("int", "text"):  # the same version number again after ROLLBACK TO
        for sql in [
            "SAVEPOINT a",
            f"CREATE TABLE rb (x {typ})",
            "INSERT INTO rb VALUES ('1')",
            "SELECT rb.x FROM rb",
            "SELECT rb.x FROM rb",
            "ROLLBACK TO a",
        ]:
            differ.check(sql)
    differ.check("ROLLBACK")


@pytest.mark.parametrize("undo", ["ROLLBACK", "ROLLBACK TO SAVEPOINT a"])
def test_plans_of_rolled_back_ddl_are_not_reused(differ: Differ, undo: str) -> None:
    """A rollback gives a transaction's catalog versions back: the next DDL makes the same
    version number with other contents, and a plan cached under the rolled-back one must
    not run (found by Django's ExclusionConstraint tests: a rolled-back EXCLUDE kept
    rejecting rows)."""
    _fresh(differ)
    for sql in [
        "CREATE TABLE ex (id int PRIMARY KEY, v int)",
        "INSERT INTO ex VALUES (1, 15)",
        "BEGIN",
        "SAVEPOINT a",
        "ALTER TABLE ex ADD CONSTRAINT v_pos CHECK (v > 0)",
        "UPDATE ex SET v = v - 10 RETURNING v",
        undo,
        "ALTER TABLE ex ADD CONSTRAINT v_big CHECK (v > -100)",
        "UPDATE ex SET v = v - 10 RETURNING v",
        "UPDATE ex SET v = v - 10 RETURNING v",
        "SELECT * FROM ex",
        "ROLLBACK",
    ]:
        differ.check(sql)
