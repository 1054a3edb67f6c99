"""DROP TABLE (and DROP SCHEMA ... CASCADE) in constant time: the dropping transaction writes
catalog keys only, whatever the table's size (it wrote a tombstone per row and per index entry:
200,000 rows took minutes and held every tombstone in memory); snapshots older than the drop
still read the rows; GC destroys them once no reader can see them."""

from __future__ import annotations

from typing import Any

import pytest

from kv import dropped
from kv.client import LocalKv, TxnClient
from kv.gc_worker import GcWorker
from sql.layout import index_prefix, table_indexes_prefix, table_prefix
from sql.session import Database, Session
from tests.kv.conftest import engine_keys, local_kv

DB = b"d\x00\x00\x00\x09"


class Counting:
    """Counts the mutations each write command carries."""

    def __init__(self, kv: LocalKv) -> None:
        self.kv, self.sizes = kv, list[int]()
        for name in ("prewrite", "one_pc"):
            real = getattr(kv, name)

            def wrapped(mutations: Any, *args: Any, _real: Any = real, **kw: Any) -> Any:
                self.sizes.append(len(mutations))
                return _real(mutations, *args, **kw)

            setattr(kv, name, wrapped)


@pytest.mark.parametrize(
    "drop", ["DROP TABLE big", "DROP SCHEMA s CASCADE", "DROP TABLE big, small"]
)
def test_drop_writes_catalog_keys_only_and_gc_destroys_the_rows(drop: str) -> None:
    kv = local_kv()
    client = TxnClient(kv)
    s = Session(Database(client, DB))
    schema = "s." if "SCHEMA" in drop else ""
    if schema:
        s.execute("CREATE SCHEMA s")
    s.execute(f"CREATE TABLE {schema}big(id int PRIMARY KEY, a int, b text)")
    s.execute(f"CREATE INDEX ON {schema}big(a)")
    s.execute(f"CREATE TABLE {schema}small(x int)")
    s.execute(f"INSERT INTO {schema}big SELECT g, g % 7, 'x' || g FROM generate_series(1, 3000) g")
    table_id = s.execute("SELECT oid FROM pg_class WHERE relname = 'big'")[-1].rows[0][0]
    rows, entries = table_prefix(DB, table_id), table_indexes_prefix(DB, table_id)
    assert engine_keys(kv, rows) >= 3000 and engine_keys(kv, entries) >= 3000

    reader = Session(Database(client, DB))
    reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    assert reader.execute(f"SELECT count(*) FROM {schema}big")[-1].rows == [(3000,)]
    counting = Counting(kv)
    s.execute(drop)
    assert counting.sizes and max(counting.sizes) < 30, counting.sizes  # not 6,000 tombstones
    # The open snapshot still reads every row, by its index too.
    assert reader.execute(f"SELECT count(*) FROM {schema}big WHERE a = 3")[-1].rows == [(429,)]
    worker = GcWorker(kv, life_time_s=0, min_active_ts=client.min_active_ts)
    worker.run_once()
    assert engine_keys(kv, rows) > 0  # the reader holds the safepoint back
    reader.execute("COMMIT")
    worker.run_once()
    assert engine_keys(kv, rows) == 0 and engine_keys(kv, entries) == 0
    assert dropped.pending(kv, kv.get_ts()) == []
    with pytest.raises(Exception, match="does not exist"):
        s.execute(f"SELECT * FROM {schema}big")
    s.execute("CREATE SCHEMA IF NOT EXISTS s")
    s.execute(f"CREATE TABLE {schema}big(id int)")  # the name is free, the old id is not reused
    assert s.execute(f"SELECT count(*) FROM {schema}big")[-1].rows == [(0,)]


@pytest.mark.parametrize("drop", ["DROP INDEX big_a_idx", "ALTER TABLE big DROP COLUMN a"])
def test_dropping_an_index_writes_catalog_keys_only_and_ids_are_never_reused(drop: str) -> None:
    kv = local_kv()
    client = TxnClient(kv)
    s = Session(Database(client, DB))
    s.execute("CREATE TABLE big(id int PRIMARY KEY, a int, b text)")
    s.execute("CREATE INDEX big_a_idx ON big(a)")
    s.execute("INSERT INTO big SELECT g, g % 7, 'x' || g FROM generate_series(1, 3000) g")
    table_id = s.execute("SELECT oid FROM pg_class WHERE relname = 'big'")[-1].rows[0][0]
    old_entries = index_prefix(DB, table_id, 2)  # the primary key is index 1
    assert engine_keys(kv, old_entries) >= 3000
    counting = Counting(kv)
    s.execute(drop)
    assert counting.sizes and max(counting.sizes) < 30, counting.sizes
    # A new index on the same table gets a new id, so the old entries are never its own.
    s.execute("ALTER TABLE big ADD COLUMN IF NOT EXISTS a int")
    s.execute("CREATE INDEX big_b_idx ON big(b)")
    GcWorker(kv, life_time_s=0, min_active_ts=client.min_active_ts).run_once()
    assert engine_keys(kv, old_entries) == 0
    assert engine_keys(kv, index_prefix(DB, table_id, 3)) >= 3000
    assert s.execute("SELECT count(*) FROM big WHERE b = 'x42'")[-1].rows == [(1,)]
    assert s.execute("SELECT count(*) FROM big")[-1].rows == [(3000,)]
