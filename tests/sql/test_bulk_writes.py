"""Bulk writes (COPY FROM, INSERT ... SELECT, CREATE INDEX, ADD PRIMARY KEY) against
PostgreSQL: the same rows, and on a failure part-way the same SQLSTATE with nothing kept."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Iterable, Iterator
from pathlib import Path

import psycopg
import pytest

from kv.client import LocalKv, TxnClient, TxnOptions
from kv.errors import Db9Error
from sql.copy import parse_copy
from sql.database import Database
from sql.errors import QueryCanceled, UniqueViolation
from sql.session import Session
from sql.statements import split_statements
from tests.sql.differential import Differ, Outcome

_N = 3000  # rows: three COPY batches and more
_TABLE = (
    "CREATE TABLE b (id int PRIMARY KEY, code text UNIQUE, grp int NOT NULL, "
    "amount numeric(10,2) CHECK (amount >= 0), note varchar(20) DEFAULT 'none', "
    "pad char(4), at date)"
)
_SUMMARY = (
    "SELECT count(*), sum(id), sum(grp), sum(amount), count(DISTINCT code), "
    "md5(string_agg(id || ':' || code || ':' || grp || ':' || coalesce(amount::text, '-') || ':' "
    "|| note || ':' || coalesce(pad, '-') || ':' || coalesce(at::text, '-'), ',' ORDER BY id)) "
    "FROM {t}"
)


def _line(i: int) -> str:
    amount = "\\N" if i % 7 == 0 else f"{i % 1000}.{i % 100:02d}"
    pad = "\\N" if i % 5 == 0 else f"p{i % 10}"
    return f"{i}\tc{i}\t{i % 13}\t{amount}\t{pad}\t2024-01-{i % 28 + 1:02d}\n"


def _data(n: int = _N, bad: dict[int, str] | None = None) -> str:
    lines = [_line(i) for i in range(1, n + 1)]
    for row, text in (bad or {}).items():
        lines[row - 1] = text
    return "".join(lines)


_COPY = "COPY b (id, code, grp, amount, pad, at) FROM STDIN"


def _copy_both(differ: Differ, data: str) -> tuple[Outcome, Outcome]:
    (stmt,) = split_statements(_COPY)
    assert stmt.utility is not None
    try:
        tag = differ.session.copy_in(parse_copy(stmt.utility[1], stmt.text), data.encode()).tag
        ours = Outcome(None, tag=tag)
    except Db9Error as exc:
        ours = Outcome(exc.sqlstate)
    cur = differ.pg.cursor()
    try:
        with cur.copy(_COPY) as copy:
            copy.write(data.encode())
        theirs = Outcome(None, tag=cur.statusmessage)
    except psycopg.Error as exc:
        theirs = Outcome(exc.sqlstate)
    return ours, theirs


def test_copy_and_insert_select_of_many_rows_store_what_postgres_stores(differ: Differ) -> None:
    differ.check(_TABLE)
    ours, theirs = _copy_both(differ, _data())
    assert ours == theirs == Outcome(None, tag=f"COPY {_N}")
    differ.check(_SUMMARY.format(t="b"))
    differ.check(_TABLE.replace("TABLE b", "TABLE b2"))
    differ.check("INSERT INTO b2 SELECT * FROM b WHERE id % 3 <> 0")
    differ.check(_SUMMARY.format(t="b2"))
    differ.check("CREATE TABLE h (id int, code text)")  # no primary key: hidden row ids
    differ.check("INSERT INTO h SELECT id, code FROM b")
    differ.check("INSERT INTO h SELECT id, code FROM b WHERE id <= 10")
    differ.check("SELECT count(*), count(DISTINCT id), sum(id) FROM h")


@pytest.mark.parametrize(
    ("bad", "sqlstate"),
    [
        ({2500: "2500\tc2500\tnot-a-number\t1\tx\t2024-01-01\n"}, "22P02"),
        ({2500: "7\tc-dup\t1\t1\tx\t2024-01-01\n"}, "23505"),  # primary key, earlier batch
        ({1800: "1800\tc5\t1\t1\tx\t2024-01-01\n"}, "23505"),  # unique index
        ({2999: "2999\tc2999\t\\N\t1\tx\t2024-01-01\n"}, "23502"),
        ({1001: "1001\tc1001\t1\t-5\tx\t2024-01-01\n"}, "23514"),
        ({1500: "1500\tc1500\t1\n"}, "22P04"),  # missing columns
        # a NOT NULL failure read after a duplicate of the same batch: the duplicate is
        # found when the batch is written, so PostgreSQL reports the NOT NULL one
        ({10: "3\tc-dup\t1\t1\tx\t2024-01-01\n", 20: "20\tc20\t\\N\t1\tx\t2024-01-01\n"}, "23502"),
    ],
)
def test_a_bad_row_part_way_through_a_copy_keeps_nothing(
    differ: Differ, bad: dict[int, str], sqlstate: str
) -> None:
    differ.check(_TABLE)
    ours, theirs = _copy_both(differ, _data(bad=bad))
    assert ours == theirs == Outcome(sqlstate)
    differ.check("SELECT count(*) FROM b")
    ours, theirs = _copy_both(differ, _data(10))  # the keys the failed COPY wrote are free
    assert ours == theirs
    differ.check(_SUMMARY.format(t="b"))


@pytest.mark.parametrize(
    ("source", "sqlstate"),
    [
        ("SELECT id + 10000, code || 'x', grp, amount, note, pad, at FROM b", None),
        (
            "SELECT CASE WHEN id = 2900 THEN 5 ELSE id + 10000 END, code || 'x', grp, amount, "
            "note, pad, at FROM b",
            "23505",
        ),
        (
            "SELECT id + 10000, CASE WHEN id = 2900 THEN 'c5' ELSE code || 'x' END, grp, amount, "
            "note, pad, at FROM b",
            "23505",
        ),
        (
            "SELECT id + 10000, code || 'x', CASE WHEN id = 2900 THEN NULL ELSE grp END, amount, "
            "note, pad, at FROM b",
            "23502",
        ),
        # row 1500's duplicate comes before row 2900's NOT NULL: reported first, as row by row
        (
            "SELECT CASE WHEN id = 1500 THEN 5 ELSE id + 10000 END, code || 'x', "
            "CASE WHEN id = 2900 THEN NULL ELSE grp END, amount, note, pad, at FROM b",
            "23505",
        ),
    ],
)
def test_insert_select_failing_part_way_keeps_nothing(
    differ: Differ, source: str, sqlstate: str | None
) -> None:
    differ.check(_TABLE)
    _copy_both(differ, _data())
    outcome = differ.check(f"INSERT INTO b {source}")
    assert outcome.sqlstate == sqlstate
    differ.check(_SUMMARY.format(t="b"))


def test_indexes_built_on_a_loaded_table_enforce_uniqueness(differ: Differ) -> None:
    differ.check("CREATE TABLE p (a int NOT NULL, b int, c text)")
    differ.check("INSERT INTO p SELECT g, g % 100, 'c' || g FROM generate_series(1, 3000) g")
    assert differ.check("CREATE UNIQUE INDEX p_b ON p (b)").sqlstate == "23505"
    differ.check("CREATE UNIQUE INDEX p_c ON p (c)")
    differ.check("CREATE INDEX p_bb ON p (b)")
    differ.check("ALTER TABLE p ADD PRIMARY KEY (a)")
    assert differ.check("INSERT INTO p VALUES (3001, 1, 'c7')").sqlstate == "23505"
    assert differ.check("INSERT INTO p VALUES (7, 1, 'new')").sqlstate == "23505"
    differ.check("INSERT INTO p VALUES (3001, 1, 'new')")
    differ.check("SELECT count(*), sum(a), sum(b) FROM p WHERE b = 1")
    differ.check("SELECT a, c FROM p WHERE c = 'c2999'")
    differ.check("CREATE TABLE q (a int, b int)")
    differ.check("INSERT INTO q SELECT g % 1000, g FROM generate_series(1, 3000) g")
    assert differ.check("ALTER TABLE q ADD PRIMARY KEY (a)").sqlstate == "23505"
    differ.check("INSERT INTO q VALUES (NULL, 1)")
    # the unique build (NULLs left out) comes before NOT NULL, as in PostgreSQL
    assert differ.check("ALTER TABLE q ADD PRIMARY KEY (a)").sqlstate == "23505"
    differ.check("DELETE FROM q WHERE b > 1000")
    assert differ.check("ALTER TABLE q ADD PRIMARY KEY (a)").sqlstate == "23502"
    differ.check("DELETE FROM q WHERE a IS NULL")
    differ.check("ALTER TABLE q ADD PRIMARY KEY (a)")
    differ.check("SELECT count(*), sum(a), sum(b) FROM q")


_TYPES = [
    ("smallint", ["-32768", "32767", "0"]),
    ("integer", ["-2147483648", "2147483647", "+12", " 7"]),
    ("bigint", ["-9223372036854775808", "9223372036854775807", "0012"]),
    ("numeric", ["1.50", "-0.001", "NaN", "123456789012345678901234567890"]),
    ("real", ["1.5", "-Infinity", "NaN"]),
    ("double precision", ["3.141592653589793", "1e300"]),
    ("boolean", ["t", "false", "yes", "0"]),
    ("text", ["", "tab\\there", "back\\\\slash", "üñí©ødé"]),
    ("varchar(5)", ["abc", "abcde"]),
    ("char(3)", ["a", "abc"]),
    ("bytea", ["\\\\x00ff10", "\\\\x"]),
    ("date", ["2024-02-29", "1999-12-31"]),
    ("timestamp", ["2024-02-29 12:34:56.789", "2000-01-01 00:00:00"]),
    ("timestamptz", ["2024-02-29 12:34:56+02", "2000-01-01 00:00:00Z"]),
    ("interval", ["1 day 02:03:04", "-3 months", "1 year 2 mons"]),
    ("uuid", ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"]),
    ("json", ['{"a": [1, 2]}', "[]"]),
    ("jsonb", ['{"b": 1, "a": [1, 2.50]}', "[1, true]"]),
    ("int[]", ["{1,2,3}", "{}", "{NULL,4}"]),
    ("text[]", ['{a,"b c",NULL}']),
]


@pytest.mark.parametrize(("type_", "values"), _TYPES, ids=[t for t, _ in _TYPES])
def test_every_type_round_trips_through_copy(differ: Differ, type_: str, values: list[str]) -> None:
    differ.check("SET TIME ZONE 'UTC'")
    differ.check(f"CREATE TABLE t (i int PRIMARY KEY, v {type_})")
    data = "".join(f"{i}\t{v}\n" for i, v in enumerate([*values, "\\N"]))
    for sql in ("COPY t FROM STDIN", "COPY t (i, v) FROM STDIN"):
        (stmt,) = split_statements(sql)
        assert stmt.utility is not None
        spec = parse_copy(stmt.utility[1], stmt.text)
        differ.session.copy_in(spec, data.encode())
        with differ.pg.cursor().copy(sql) as copy:
            copy.write(data.encode())
        differ.check("SELECT i, v FROM t ORDER BY i")
        differ.check("DELETE FROM t")


# -- large transactions: writes spilled to disk, visible only at commit ------------------------


def _spilling_session(tmp_path: Path, spill_keys: int = 1000) -> Session:
    options = TxnOptions(spill_keys=spill_keys, spill_dir=str(tmp_path / "spill"))
    (tmp_path / "spill").mkdir(parents=True)
    kv = LocalKv.open(str(tmp_path / "store"), sync=False)
    s = Session(Database(TxnClient(kv, options), b"\x00\x0f"))
    s.execute("CREATE TABLE m (id int PRIMARY KEY, k int UNIQUE, note text)")
    return s


def _copy_pieces(rows: range, bad_at: int | None = None) -> Iterator[bytes]:
    """COPY data made as it is sent, 500 rows a piece (never held whole)."""
    for at in range(rows.start, rows.stop, 500):
        lines = []
        for i in range(at, min(at + 500, rows.stop)):
            k = "x" if i == bad_at else str(i)
            lines.append(f"{i}\t{k}\tnote number {i:06d} {'.' * 60}\n")
        yield "".join(lines).encode()


def _copy_m(s: Session, pieces: Iterable[bytes]) -> str:
    (stmt,) = split_statements("COPY m FROM STDIN")
    assert stmt.utility is not None
    return s.copy_in(parse_copy(stmt.utility[1], stmt.text), pieces).tag


def _peak_copy(tmp_path: Path, rows: int) -> int:
    s = _spilling_session(tmp_path)
    tracemalloc.start()
    try:
        assert _copy_m(s, _copy_pieces(range(rows))) == f"COPY {rows}"
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_large_copy_holds_a_bounded_amount_of_memory(tmp_path: Path) -> None:
    small = _peak_copy(tmp_path / "a", 5_000)
    large = _peak_copy(tmp_path / "b", 40_000)
    # Eight times the rows: a buffered transaction holds eight times the writes; a spilling
    # one holds the same at most (a spill's worth, a commit batch) plus a little.
    assert large < 1.5 * small, (small, large)


def test_readers_never_see_a_spilled_copy_before_it_commits(tmp_path: Path) -> None:
    s = _spilling_session(tmp_path)
    reader = Session(s.database)
    seen: list[object] = []

    def pieces() -> Iterator[bytes]:
        for n, piece in enumerate(_copy_pieces(range(10_000))):
            if n == 15:  # 7,500 rows written: spilled 7 times
                assert s.current_txn().write_count >= 7_000
                seen.append(reader.execute("SELECT count(*) FROM m")[-1].rows)
                seen.append(reader.execute("SELECT * FROM m WHERE id = 10")[-1].rows)
            yield piece

    assert _copy_m(s, pieces()) == "COPY 10000"
    assert seen == [[(0,)], []]
    assert reader.execute("SELECT count(*), count(DISTINCT k) FROM m")[-1].rows == [
        (10_000, 10_000)
    ]
    assert not any((tmp_path / "spill").iterdir())  # the spill went with the transaction


@pytest.mark.parametrize(
    ("failure", "sqlstate"),
    [("bad value", "22P02"), ("duplicate", "23505"), ("cancel", "57014")],
)
def test_a_spilled_copy_failing_late_keeps_nothing(
    tmp_path: Path, failure: str, sqlstate: str
) -> None:
    s = _spilling_session(tmp_path)
    s.execute("INSERT INTO m VALUES (1, 1, 'kept')")

    def pieces() -> Iterator[bytes]:
        yield from _copy_pieces(range(2, 9_000), bad_at=8_500 if failure == "bad value" else None)
        if failure == "duplicate":
            yield b"9000\t3\tk=3 was taken 9,000 rows ago\n"
        if failure == "cancel":
            raise QueryCanceled("COPY from stdin failed: cancelled by the client")

    with pytest.raises(Db9Error) as info:
        _copy_m(s, pieces())
    assert info.value.sqlstate == sqlstate
    assert s.execute("SELECT id, k, note FROM m")[-1].rows == [(1, 1, "kept")]
    assert not any((tmp_path / "spill").iterdir())
    assert _copy_m(s, _copy_pieces(range(2, 3_000))) == "COPY 2998"  # the keys are free
    assert s.execute("SELECT count(*) FROM m")[-1].rows == [(2999,)]


def test_a_spilled_transaction_reads_its_own_writes(tmp_path: Path) -> None:
    s = _spilling_session(tmp_path, spill_keys=100)
    s.execute("BEGIN")
    _copy_m(s, _copy_pieces(range(3_000)))
    s.execute("DELETE FROM m WHERE id % 2 = 0")
    s.execute("UPDATE m SET note = 'odd' WHERE id < 1000")
    s.execute("INSERT INTO m SELECT id + 1, k + 1, 'even again' FROM m WHERE id >= 1000")
    with pytest.raises(UniqueViolation):
        s.execute("INSERT INTO m VALUES (5, 99999, 'taken')")
    s.execute("ROLLBACK")
    s.execute("BEGIN")
    _copy_m(s, _copy_pieces(range(3_000)))
    s.execute("DELETE FROM m WHERE id % 2 = 0")
    s.execute("UPDATE m SET note = 'odd' WHERE id < 1000")
    s.execute("INSERT INTO m SELECT id + 1, k + 1, 'even again' FROM m WHERE id >= 1000")
    s.execute("COMMIT")
    got = s.execute("SELECT count(*), sum(id), count(*) FILTER (WHERE note = 'odd') FROM m")
    # the odd rows, and the even ones from 1002 on inserted again
    assert got[-1].rows == [(2_500, sum(range(1, 3000, 2)) + sum(range(1002, 3001, 2)), 500)]


def test_rolling_back_to_a_savepoint_after_a_spill_restores_the_spilled_rows(
    tmp_path: Path,
) -> None:
    s = _spilling_session(tmp_path, spill_keys=100)
    s.execute("BEGIN")
    _copy_m(s, _copy_pieces(range(1_000)))
    s.execute("SAVEPOINT a")
    s.execute("DELETE FROM m WHERE id < 500")
    s.execute("INSERT INTO m SELECT id + 1000, k + 1000, 'more' FROM m")  # no spill: a savepoint
    assert s.execute("SELECT count(*) FROM m")[-1].rows == [(1_000,)]
    s.execute("ROLLBACK TO SAVEPOINT a")
    assert s.execute("SELECT count(*), sum(id) FROM m")[-1].rows == [(1_000, sum(range(1_000)))]
    s.execute("RELEASE SAVEPOINT a")
    s.execute("DELETE FROM m WHERE id >= 900")
    s.execute("COMMIT")
    assert s.execute("SELECT count(*), sum(id) FROM m")[-1].rows == [(900, sum(range(900)))]


def test_a_primary_key_added_in_the_transaction_that_loaded_the_rows(differ: Differ) -> None:
    # Row ids and keys overlap (both count from 1, reversed here): every old key is a new one.
    differ.check(
        "BEGIN; CREATE TABLE r (a int NOT NULL, b text); "
        "INSERT INTO r SELECT 3001 - g, 'b' || g FROM generate_series(1, 3000) g; "
        "DELETE FROM r WHERE a % 10 = 0; UPDATE r SET b = 'u' WHERE a % 7 = 0; "
        "ALTER TABLE r ADD PRIMARY KEY (a); INSERT INTO r VALUES (3001, 'x'); COMMIT"
    )
    differ.check("SELECT count(*), sum(a), count(*) FILTER (WHERE b = 'u') FROM r")
    assert differ.check("INSERT INTO r VALUES (7, 'dup')").sqlstate == "23505"
    differ.check("SELECT a, b FROM r WHERE a BETWEEN 5 AND 15 ORDER BY a")


def test_a_transaction_dropped_without_ending_takes_its_spill_with_it(tmp_path: Path) -> None:
    s = _spilling_session(tmp_path, spill_keys=100)
    s.execute("BEGIN")
    _copy_m(s, _copy_pieces(range(1_000)))
    assert any((tmp_path / "spill").iterdir())
    del s
    gc.collect()
    assert not any((tmp_path / "spill").iterdir())


def test_copy_folds_unquoted_names_to_lower_case(differ: Differ) -> None:
    differ.check('CREATE TABLE copy_tbl (x int, "Y" text)')
    for sql in ['COPY COPY_TBL (X, "Y") FROM STDIN', 'COPY "COPY_TBL" FROM STDIN',
                'COPY copy_tbl (x, y) FROM STDIN']:  # fmt: skip
        try:
            (res,) = differ.session.execute(sql)
            ours = Outcome(None, tag=differ.session.copy_in(res.copy, b"1\ta\n").tag)
        except Db9Error as exc:
            ours = Outcome(exc.sqlstate)
        cur = differ.pg.cursor()
        try:
            with cur.copy(sql) as copy:
                copy.write(b"1\ta\n")
            theirs = Outcome(None, tag=cur.statusmessage)
        except psycopg.Error as exc:
            theirs = Outcome(exc.sqlstate)
            differ.pg.rollback()
        assert ours == theirs, sql
    differ.check("SELECT * FROM copy_tbl")
