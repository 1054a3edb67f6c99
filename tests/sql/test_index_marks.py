"""ALTER TABLE ... CLUSTER ON / SET WITHOUT CLUSTER / REPLICA IDENTITY against a live
PostgreSQL: their checks and what pg_index and pg_class show of them."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = """
CREATE TABLE cr (i int NOT NULL, j int);
CREATE UNIQUE INDEX cri ON cr (i);
CREATE INDEX crj ON cr (j);
CREATE UNIQUE INDEX crj2 ON cr (j);
ALTER TABLE cr REPLICA IDENTITY USING INDEX crj;
ALTER TABLE cr REPLICA IDENTITY USING INDEX crj2;
ALTER TABLE cr REPLICA IDENTITY USING INDEX nope;
ALTER TABLE cr REPLICA IDENTITY USING INDEX cri;
SELECT relreplident FROM pg_class WHERE relname = 'cr';
SELECT indexrelid::regclass, indisreplident
  FROM pg_index WHERE indrelid = 'cr'::regclass ORDER BY 1;
ALTER TABLE cr REPLICA IDENTITY FULL;
SELECT relreplident FROM pg_class WHERE relname = 'cr';
SELECT indexrelid::regclass, indisreplident
  FROM pg_index WHERE indrelid = 'cr'::regclass ORDER BY 1;
ALTER TABLE cr CLUSTER ON nope;
ALTER TABLE cr CLUSTER ON crj;
ALTER TABLE cr CLUSTER ON cri;
SELECT indexrelid::regclass, indisclustered
  FROM pg_index WHERE indrelid = 'cr'::regclass ORDER BY 1;
ALTER TABLE cr SET WITHOUT CLUSTER;
SELECT indexrelid::regclass, indisclustered
  FROM pg_index WHERE indrelid = 'cr'::regclass ORDER BY 1;
"""


def test_cluster_on_and_replica_identity(differ: Differ) -> None:
    assert differ.run_script(SCRIPT) > 0
