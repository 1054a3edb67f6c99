"""Bulk writes (COPY FROM, INSERT ... SELECT, CREATE INDEX, ADD PRIMARY KEY) against
PostgreSQL: the same rows, and on a failure part-way the same SQLSTATE with nothing kept."""

from __future__ import annotations

import psycopg
import pytest

from kv.errors import Db9Error
from sql.copy import parse_copy
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
