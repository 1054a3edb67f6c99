"""COPY FROM STDIN and TO STDOUT, text and CSV, through psycopg's copy API."""

from __future__ import annotations

import psycopg
import pytest

from tests.pgwire.conftest import Running


def test_copy_in_and_out_in_text_and_csv(pg: Running) -> None:
    with psycopg.connect(pg.dsn(), autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE c (id int PRIMARY KEY, name text, note text DEFAULT 'd')")
        with cur.copy("COPY c (id, name) FROM STDIN") as copy:
            copy.write(b"1\tann\n2\t\\N\n3\ttab\\there\n")
        assert cur.rowcount == 3
        with cur.copy("COPY c (id, name) FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            copy.write(b'id,name\n4,"quoted, comma"\n5,\n6,""\n')
        cur.execute("SELECT id, name, note FROM c ORDER BY id")
        assert cur.fetchall() == [
            (1, "ann", "d"),
            (2, None, "d"),
            (3, "tab\there", "d"),
            (4, "quoted, comma", "d"),
            (5, None, "d"),
            (6, "", "d"),
        ]
        with cur.copy("COPY c TO STDOUT") as copy:
            text = b"".join(bytes(chunk) for chunk in copy)
        assert text.splitlines()[:3] == [b"1\tann\td", b"2\t\\N\td", b"3\ttab\\there\td"]
        with cur.copy(
            "COPY (SELECT id, name FROM c WHERE id > 3 ORDER BY id) TO STDOUT "
            "WITH (FORMAT csv, HEADER)"
        ) as copy:
            csv_text = b"".join(bytes(chunk) for chunk in copy)
        assert csv_text == b'id,name\n4,"quoted, comma"\n5,\n6,""\n'


def test_bad_copy_data_fails_the_statement_and_keeps_the_connection(pg: Running) -> None:
    with psycopg.connect(pg.dsn(), autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE d (id int PRIMARY KEY, n int)")
        with (
            pytest.raises(psycopg.errors.InvalidTextRepresentation),
            cur.copy("COPY d FROM STDIN") as copy,
        ):
            copy.write(b"1\t2\n2\tnot-a-number\n")
        with pytest.raises(psycopg.errors.BadCopyFileFormat), cur.copy("COPY d FROM STDIN") as copy:
            copy.write(b"1\n")
        cur.execute("SELECT count(*) FROM d")
        assert cur.fetchone() == (0,)  # nothing of a failed COPY is kept
        with pytest.raises(psycopg.errors.UndefinedTable), cur.copy("COPY nosuch FROM STDIN") as c:
            c.write(b"1\n")


def test_copy_to_reads_the_table_alone_and_quotes_its_names(pg: Running) -> None:
    with psycopg.connect(pg.dsn(), autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(
            'CREATE TABLE animal (id int, name text); CREATE TABLE "Odd ""N""" ("a""b" int)'
        )
        cur.execute("CREATE TABLE dog (good bool) INHERITS (animal)")
        cur.execute("INSERT INTO animal VALUES (1, 'x'); INSERT INTO dog VALUES (2, 'rex', true)")
        cur.execute('INSERT INTO "Odd ""N""" VALUES (7)')
        with cur.copy("COPY animal TO STDOUT") as copy:  # pg_dump's per-table COPY
            assert b"".join(bytes(chunk) for chunk in copy) == b"1\tx\n"
        with cur.copy('COPY public."Odd ""N""" ("a""b") TO STDOUT') as copy:
            assert b"".join(bytes(chunk) for chunk in copy) == b"7\n"
        cur.execute("CREATE TABLE m (d int) PARTITION BY RANGE (d)")
        with pytest.raises(psycopg.errors.WrongObjectType), cur.copy("COPY m TO STDOUT") as copy:
            list(copy)
