"""Sequence options as PostgreSQL reads and checks them (CREATE / ALTER SEQUENCE: AS, INCREMENT,
MINVALUE / MAXVALUE, START, RESTART, CACHE, CYCLE), nextval at the ends of the range, setval's
bounds and lastval(), each statement against a live PostgreSQL."""

from __future__ import annotations

from tests.sql.differential import Differ

OPTION_ERRORS = [
    "CREATE SEQUENCE s INCREMENT BY 0",
    "CREATE SEQUENCE s INCREMENT BY -1 MINVALUE 20",
    "CREATE SEQUENCE s INCREMENT BY 1 MAXVALUE -20",
    "CREATE SEQUENCE s INCREMENT BY -1 START 10",
    "CREATE SEQUENCE s INCREMENT BY 1 START -10",
    "CREATE SEQUENCE s CACHE 0",
    "CREATE SEQUENCE s AS text",
    "CREATE SEQUENCE s AS nosuchtype",
    "CREATE SEQUENCE s AS smallint MAXVALUE 100000",
    "CREATE SEQUENCE s AS smallint MINVALUE -100000",
    "CREATE SEQUENCE s INCREMENT 1 INCREMENT 2",
    "CREATE SEQUENCE s START WITH x",
]


def test_bad_sequence_options_fail_as_in_postgres(differ: Differ) -> None:
    for sql in OPTION_ERRORS:
        differ.check(sql)


def test_alter_sequence_options_as_in_postgres(differ: Differ) -> None:
    for sql in [
        "CREATE SEQUENCE s2 START 24 INCREMENT BY 4 MAXVALUE 36 MINVALUE 5 CYCLE",
        "SELECT nextval('s2'), nextval('s2'), nextval('s2'), nextval('s2')",
        "ALTER SEQUENCE s2 RESTART WITH 24 NO CYCLE",
        "SELECT nextval('s2'), nextval('s2'), nextval('s2'), nextval('s2')",
        "SELECT nextval('s2')",
        "ALTER SEQUENCE s2 RESTART WITH 0",
        "ALTER SEQUENCE s2 RESTART",
        "SELECT nextval('s2')",
        "SELECT setval('s2', 100)",
        "SELECT setval('s2', 30)",
        "SELECT currval('s2'), lastval()",
        "CREATE SEQUENCE s3 AS integer MAXVALUE 100000",
        "ALTER SEQUENCE s3 AS smallint",
        "ALTER SEQUENCE s3 AS smallint MAXVALUE 20000",
        "CREATE SEQUENCE s4 AS integer",
        "ALTER SEQUENCE s4 AS smallint",
        "SELECT seqtypid, seqmax, seqmin, seqcache, seqcycle FROM pg_sequence ORDER BY seqmax",
        "SELECT nextval('s4')",
        "ALTER SEQUENCE s4 INCREMENT BY 10",
        "SELECT nextval('s4'), lastval()",
        "ALTER SEQUENCE s4 SET UNLOGGED",
        "CREATE SEQUENCE s5 INCREMENT BY -1 MAXVALUE -20 MINVALUE -22",
        "SELECT nextval('s5'), nextval('s5'), nextval('s5')",
        "SELECT nextval('s5')",
        "CREATE SEQUENCE s6 MINVALUE 1 MAXVALUE 3 CYCLE CACHE 2",
        "SELECT nextval('s6') FROM generate_series(1, 7)",
        "DROP SEQUENCE s6",
        "SELECT lastval()",
    ]:
        differ.check(sql)


def test_lastval_before_any_nextval_is_55000(differ: Differ) -> None:
    differ.check("SELECT lastval()")


def test_serial2_and_smallserial_take_a_smallint_sequence(differ: Differ) -> None:
    for sql in [
        "CREATE TABLE st (f1 text, f2 serial, f3 smallserial, f4 serial2, f5 serial8)",
        "INSERT INTO st (f1, f3) VALUES ('bogus', 32768)",
        "INSERT INTO st (f1) VALUES ('a')",
        "SELECT * FROM st",
        "SELECT sequence_name, data_type, maximum_value FROM information_schema.sequences"
        " ORDER BY sequence_name",
    ]:
        differ.check(sql)


def test_as_type_moves_bounds_that_were_the_old_types(differ: Differ) -> None:
    for sql in [
        "CREATE SEQUENCE s13 AS smallint MINVALUE -32768",
        "CREATE SEQUENCE s14 AS smallint MAXVALUE 32767 INCREMENT -1",
        "ALTER SEQUENCE s13 AS int",
        "ALTER SEQUENCE s14 AS int",
        "SELECT seqmin, seqmax, seqstart FROM pg_sequence ORDER BY seqmin, seqstart",
    ]:
        differ.check(sql)


def test_sequence_names_in_text_fold_as_identifiers(differ: Differ) -> None:
    for sql in [
        "CREATE TABLE serialTest2 (f1 text, f2 serial)",
        "SELECT nextval('serialTest2_f2_seq')",
        "SELECT nextval('\"serialTest2_f2_seq\"')",
        "SELECT nextval('public.serialtest2_f2_seq'), currval('PUBLIC.SERIALTEST2_F2_SEQ')",
        "SELECT nextval('a.b.c.d')",
        "SELECT to_regclass('SERIALTEST2')",
    ]:
        differ.check(sql)


def test_nextval_and_setval_refuse_a_read_only_transaction(differ: Differ) -> None:
    for sql in [
        "CREATE SEQUENCE ro",
        "SELECT nextval('ro')",
        "BEGIN READ ONLY",
        "SELECT nextval('ro')",
        "ROLLBACK",
        "BEGIN READ ONLY",
        "SELECT currval('ro')",
        "SELECT setval('ro', 3)",
        "ROLLBACK",
    ]:
        differ.check(sql)


def test_a_sequence_reads_as_its_one_row(differ: Differ) -> None:
    for sql in [
        "CREATE SEQUENCE foo_seq",
        "SELECT * FROM foo_seq",
        "SELECT nextval('foo_seq')",
        "SELECT * FROM foo_seq",
        "SELECT nextval('foo_seq')",
        "SELECT last_value, log_cnt IN (31, 32) AS log_cnt_ok, is_called FROM foo_seq",
        "SELECT s.last_value FROM foo_seq s",
        "CREATE SEQUENCE s2 START 10 INCREMENT 5",
        "SELECT * FROM s2",
        "SELECT nextval('s2'), nextval('s2')",
        "SELECT * FROM s2",
        "INSERT INTO foo_seq VALUES (1)",
        "UPDATE foo_seq SET last_value = 1",
        "DELETE FROM foo_seq",
    ]:
        differ.check(sql)


def test_a_read_only_transaction_may_draw_from_a_temporary_sequence(differ: Differ) -> None:
    for sql in [
        "CREATE TEMPORARY SEQUENCE seq_temp1",
        "CREATE SEQUENCE seq_plain",
        "START TRANSACTION READ ONLY",
        "SELECT nextval('seq_temp1')",
        "SELECT setval('seq_temp1', 5)",
        "SELECT nextval('seq_temp1')",
        "ROLLBACK",
        "START TRANSACTION READ ONLY",
        "SELECT nextval('seq_plain')",
        "ROLLBACK",
        "START TRANSACTION READ ONLY",
        "SELECT setval('seq_plain', 1)",
        "ROLLBACK",
    ]:
        differ.check(sql)


def test_pg_sequences_and_information_schema_list_sequences(differ: Differ) -> None:
    for sql in [
        "CREATE SEQUENCE sequence_test1 START 5 INCREMENT 2 MAXVALUE 100 CYCLE",
        "CREATE TABLE serialtest1 (a serial, b smallserial)",
        "SELECT nextval('sequence_test1')",
        "SELECT schemaname, sequencename, data_type, start_value, min_value, max_value,"
        " increment_by, cycle, cache_size, last_value FROM pg_sequences"
        " WHERE sequencename ~ ANY(ARRAY['sequence_test', 'serialtest']) ORDER BY sequencename",
        "SELECT * FROM information_schema.sequences"
        " WHERE sequence_name ~ ANY(ARRAY['sequence_test', 'serialtest']) ORDER BY sequence_name",
    ]:
        differ.check(sql)


def test_drop_sequence_used_by_a_default_needs_cascade(differ: Differ) -> None:
    for sql in [
        "CREATE SEQUENCE myseq2",
        "CREATE TABLE t1 (f1 serial, f2 int DEFAULT nextval('myseq2'))",
        "DROP SEQUENCE t1_f1_seq",
        "DROP SEQUENCE myseq2",
        "DROP SEQUENCE myseq2 CASCADE",
        "INSERT INTO t1 DEFAULT VALUES",
        "SELECT * FROM t1",
        "DROP TABLE t1",
        "SELECT count(*) FROM pg_class WHERE relname IN ('t1_f1_seq', 'myseq2')",
    ]:
        differ.check(sql)
