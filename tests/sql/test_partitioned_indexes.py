"""Partitioned indexes against a live PostgreSQL: CREATE INDEX ON ONLY, ALTER INDEX ...
ATTACH PARTITION and its checks, the index tree pg_partition_tree / pg_partition_ancestors /
pg_inherits / pg_class show, DROP INDEX of an attached index and of the partitioned one."""

from __future__ import annotations

from tests.sql.differential import Differ


def test_attach_partition_indexes(differ: Differ) -> None:
    for stmt in [
        "CREATE TABLE p (a int, b int) PARTITION BY RANGE (a)",
        "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10) PARTITION BY LIST (b)",
        "CREATE TABLE p11 PARTITION OF p1 FOR VALUES IN (1)",
        "CREATE TABLE p2 PARTITION OF p FOR VALUES FROM (10) TO (20)",
        "CREATE TABLE q (a int)",
        "CREATE INDEX pi ON ONLY p (a)",
        "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
        "CREATE INDEX p1i ON ONLY p1 (a)",
        "CREATE INDEX p2b ON p2 (b)",
        "CREATE INDEX qa ON q (a)",
        "ALTER INDEX pi ATTACH PARTITION p2b",  # 42P17
        "ALTER INDEX pi ATTACH PARTITION qa",  # 55000
        "ALTER INDEX qa ATTACH PARTITION p2b",  # 42809
        "ALTER INDEX pi ATTACH PARTITION nope",  # 42P01
        "ALTER INDEX pi ATTACH PARTITION p1i",
        "ALTER INDEX pi ATTACH PARTITION p1i",
        "CREATE INDEX p11i ON p11 (a)",
        "ALTER INDEX p1i ATTACH PARTITION p11i",
        "CREATE INDEX p2a ON p2 (a)",
        "CREATE INDEX p2a2 ON p2 (a)",
        "ALTER INDEX pi ATTACH PARTITION p2a",
        "ALTER INDEX pi ATTACH PARTITION p2a2",  # 55000
        "SELECT relname, relkind FROM pg_class WHERE relname IN ('pi', 'p1i', 'p2a') ORDER BY 1",
        "SELECT relid, parentrelid, isleaf, level FROM pg_partition_tree('pi') ORDER BY relid",
        "SELECT relid, parentrelid, level FROM pg_partition_tree('p1i') ORDER BY relid",
        "SELECT * FROM pg_partition_ancestors('p11i')",
        "SELECT inhrelid::regclass, inhparent::regclass FROM pg_inherits"
        " WHERE inhrelid::regclass::text LIKE 'p%i%' ORDER BY 1",
        "DROP INDEX p2a",  # 2BP01
        "CREATE INDEX pb ON p (b)",  # clones down, attaching p2b
        "SELECT relid, parentrelid, level FROM pg_partition_tree('pb') ORDER BY relid",
        "DROP INDEX pi",
        "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
    ]:
        differ.check(stmt)


def test_regclass_orders_by_oid_and_its_text_by_name(differ: Differ) -> None:
    for stmt in [
        "CREATE TABLE zz (a int)",
        "CREATE TABLE aa (a int)",
        "SELECT c::regclass FROM (VALUES ('zz'::regclass::oid), ('aa'::regclass::oid)) v(c)"
        " ORDER BY 1",
        "SELECT c::regclass::text FROM (VALUES ('zz'::regclass::oid), ('aa'::regclass::oid))"
        " v(c) ORDER BY 1",
    ]:
        differ.check(stmt)


def test_reindex_of_partitioned_relations_refused_in_a_block(differ: Differ) -> None:
    for stmt in [
        "CREATE TABLE p (a int) PARTITION BY RANGE (a)",
        "CREATE INDEX pi ON p (a)",
        "BEGIN",
        "REINDEX INDEX pi",  # 25001
        "ROLLBACK",
        "BEGIN",
        "REINDEX TABLE p",  # 25001
        "ROLLBACK",
        "REINDEX TABLE p",
        "CREATE TABLE f (a text, b text)",
        "CREATE INDEX ON f ((a || b), (row(a, b)))",  # 42P16
    ]:
        differ.check(stmt)
