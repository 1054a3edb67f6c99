"""Table inheritance and declarative partitioning against a live PostgreSQL: INHERITS and
its column merging, reads of a parent (ONLY, tableoid), UPDATE / DELETE / TRUNCATE / DROP
over a tree, PARTITION BY LIST / RANGE / HASH with PARTITION OF, routing of INSERT and of
UPDATE that moves rows, ATTACH / DETACH PARTITION, and the errors PostgreSQL gives."""

from __future__ import annotations

from tests.sql.differential import Differ

INHERITANCE = [
    "CREATE TABLE person (name text, age int4 NOT NULL, location text, CHECK (age >= 0))",
    "CREATE TABLE emp (salary int4, manager name) INHERITS (person)",
    "CREATE TABLE student (gpa float8) INHERITS (person)",
    "CREATE TABLE stud_emp (percent int4) INHERITS (emp, student)",
    "INSERT INTO person VALUES ('ann', 30, 'x')",
    "INSERT INTO emp VALUES ('bob', 40, 'y', 100, 'ann')",
    "INSERT INTO student VALUES ('cy', 20, 'z', 3.5)",
    "INSERT INTO stud_emp VALUES ('di', 25, 'w', 10, 'bob', 3.9, 50)",
    "INSERT INTO emp VALUES ('eve', -1, 'y', 1, 'x')",
    "INSERT INTO student (name) VALUES ('nobody')",
    "SELECT * FROM person ORDER BY name",
    "SELECT tableoid::regclass, name FROM person ORDER BY name",
    "SELECT * FROM ONLY person",
    "SELECT name, salary FROM emp ORDER BY name",
    "SELECT * FROM stud_emp",
    "SELECT count(*) FROM person p WHERE p.age > 21",
    "SELECT attname, attislocal, attinhcount FROM pg_attribute "
    "WHERE attrelid = 'stud_emp'::regclass AND attnum > 0 ORDER BY attnum",
    "SELECT c.relname, p.relname, i.inhseqno FROM pg_inherits i "
    "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent ORDER BY 1, 3",
    "UPDATE person SET age = age + 1 WHERE name <> 'cy' RETURNING *",
    "SELECT name, age FROM person ORDER BY name",
    "UPDATE ONLY person SET age = 0",
    "DELETE FROM person WHERE age = 41",
    "SELECT tableoid::regclass, name, age FROM person ORDER BY name",
    "CREATE TABLE bad (age text) INHERITS (person)",
    "CREATE TABLE bad2 () INHERITS (person, person)",
    "CREATE TABLE bad3 () INHERITS (nothing)",
    "DROP TABLE person",
    "DROP TABLE student",
    "TRUNCATE ONLY person",
    "SELECT count(*) FROM person",
    "TRUNCATE person",
    "SELECT count(*) FROM person",
    "CREATE TABLE loner (name text, age int4 NOT NULL, location text)",
    "ALTER TABLE loner INHERIT person",
    "ALTER TABLE loner ADD CONSTRAINT person_age_check CHECK (age >= 0)",
    "ALTER TABLE loner INHERIT person",
    "INSERT INTO loner VALUES ('lo', 1, 'q')",
    "SELECT tableoid::regclass, * FROM person",
    "ALTER TABLE loner NO INHERIT person",
    "ALTER TABLE loner NO INHERIT person",
    "SELECT count(*) FROM person",
    "DROP TABLE person CASCADE",
    "SELECT relname FROM pg_class WHERE relname IN ('person', 'emp', 'student', 'stud_emp')",
]

PARTITIONS = [
    "CREATE TABLE lp (a int, b text) PARTITION BY LIST (a)",
    "CREATE TABLE lp1 PARTITION OF lp FOR VALUES IN (1, 2)",
    "CREATE TABLE lp2 PARTITION OF lp FOR VALUES IN ('3')",
    "CREATE TABLE lpn PARTITION OF lp FOR VALUES IN (NULL)",
    "CREATE TABLE lp_bad PARTITION OF lp FOR VALUES IN (2)",
    "CREATE TABLE lp_bad PARTITION OF lp FOR VALUES FROM (1) TO (2)",
    "CREATE TABLE lp_bad PARTITION OF lp FOR VALUES IN ('x')",
    "INSERT INTO lp VALUES (1, 'one'), (3, 'three'), (NULL, 'null')",
    "INSERT INTO lp VALUES (7, 'seven')",
    "CREATE TABLE lpd PARTITION OF lp DEFAULT",
    "CREATE TABLE lpd2 PARTITION OF lp DEFAULT",
    "INSERT INTO lp VALUES (7, 'seven')",
    "CREATE TABLE lp7 PARTITION OF lp FOR VALUES IN (7)",
    "INSERT INTO lp1 VALUES (3, 'wrong')",
    "INSERT INTO lpd VALUES (1, 'wrong')",
    "SELECT tableoid::regclass, * FROM lp ORDER BY a",
    "SELECT relname, relkind, relispartition, pg_get_expr(relpartbound, oid) FROM pg_class "
    "WHERE relname LIKE 'lp%' ORDER BY 1",
    "SELECT pg_get_partkeydef('lp'::regclass)",
    "UPDATE lp SET a = 2 WHERE a = 3",
    "UPDATE lp1 SET a = 3",
    "UPDATE lp SET a = 9 WHERE a = 7 RETURNING *",
    "SELECT tableoid::regclass, * FROM lp ORDER BY a",
    "DELETE FROM lp WHERE a = 2",
    "SELECT tableoid::regclass, * FROM lp ORDER BY a",
    "CREATE TABLE rp (a int, b int, c text) PARTITION BY RANGE (a, b)",
    "CREATE TABLE rp1 PARTITION OF rp FOR VALUES FROM (MINVALUE, MINVALUE) TO (10, 5)",
    "CREATE TABLE rp2 PARTITION OF rp FOR VALUES FROM (10, 5) TO (20, MAXVALUE)",
    "CREATE TABLE rp_bad PARTITION OF rp FOR VALUES FROM (15, 0) TO (30, 0)",
    "CREATE TABLE rp_bad PARTITION OF rp FOR VALUES FROM (30, 0) TO (25, 0)",
    "CREATE TABLE rp_bad PARTITION OF rp FOR VALUES FROM (30) TO (40)",
    "CREATE TABLE rp_bad PARTITION OF rp FOR VALUES FROM (NULL, 1) TO (40, 1)",
    "CREATE TABLE rp_bad PARTITION OF rp FOR VALUES FROM (MAXVALUE, 1) TO (MAXVALUE, 2)",
    "INSERT INTO rp VALUES (1, 1, 'a'), (10, 4, 'b'), (10, 5, 'c'), (19, 100, 'd')",
    "INSERT INTO rp VALUES (20, 0, 'e')",
    "INSERT INTO rp VALUES (NULL, 0, 'e')",
    "SELECT tableoid::regclass, * FROM rp ORDER BY a, b",
    "UPDATE rp SET a = a + 5 WHERE c IN ('a', 'b')",
    "SELECT tableoid::regclass, * FROM rp ORDER BY a, b",
    "UPDATE rp SET a = 100",
    "CREATE TABLE rp3 (c text, b int, a int)",
    "INSERT INTO rp3 VALUES ('x', 1, 25), ('y', 1, 45)",
    "ALTER TABLE rp ATTACH PARTITION rp3 FOR VALUES FROM (20, 0) TO (40, 0)",
    "DELETE FROM rp3 WHERE a = 45",
    "ALTER TABLE rp ATTACH PARTITION rp3 FOR VALUES FROM (20, 0) TO (40, 0)",
    "SELECT tableoid::regclass, * FROM rp ORDER BY a, b",
    "ALTER TABLE rp DETACH PARTITION rp3",
    "ALTER TABLE rp DETACH PARTITION rp3",
    "SELECT count(*) FROM rp",
    "SELECT count(*) FROM rp3",
    "CREATE TABLE sub (a int, b int) PARTITION BY LIST (a)",
    "CREATE TABLE sub1 PARTITION OF sub FOR VALUES IN (1) PARTITION BY RANGE (b)",
    "CREATE TABLE sub1_lo PARTITION OF sub1 FOR VALUES FROM (0) TO (10)",
    "INSERT INTO sub VALUES (1, 5)",
    "INSERT INTO sub VALUES (1, 50)",
    "INSERT INTO sub VALUES (2, 5)",
    "SELECT tableoid::regclass, * FROM sub",
    "CREATE TABLE hp (a int) PARTITION BY HASH (a)",
    "CREATE TABLE hp0 PARTITION OF hp FOR VALUES WITH (MODULUS 2, REMAINDER 0)",
    "CREATE TABLE hp1 PARTITION OF hp FOR VALUES WITH (MODULUS 2, REMAINDER 1)",
    "CREATE TABLE hp_bad PARTITION OF hp FOR VALUES WITH (MODULUS 3, REMAINDER 1)",
    "CREATE TABLE hp_bad PARTITION OF hp FOR VALUES WITH (MODULUS 0, REMAINDER 1)",
    "CREATE TABLE hp_bad PARTITION OF hp DEFAULT",
    "INSERT INTO hp SELECT generate_series(1, 20)",
    "SELECT count(*) FROM hp",
    "CREATE TABLE bad (a int) PARTITION BY LIST (a, a)",
    "CREATE TABLE bad (a int) PARTITION BY RANGE (b)",
    "CREATE TABLE bad (a int) PARTITION BY MAGIC (a)",
    "CREATE TABLE bad (a int) PARTITION BY RANGE ((42))",
    "CREATE TABLE bad (a int PRIMARY KEY, b int) PARTITION BY RANGE (b)",
    "CREATE TABLE bad PARTITION OF rp3 FOR VALUES IN (1)",
    "CREATE TABLE bad () INHERITS (lp)",
    "CREATE TABLE pk (a int PRIMARY KEY, b text) PARTITION BY RANGE (a)",
    "CREATE TABLE pk1 PARTITION OF pk FOR VALUES FROM (0) TO (100)",
    "INSERT INTO pk VALUES (1, 'x')",
    "INSERT INTO pk VALUES (1, 'y')",
    "SELECT partstrat, partnatts, partattrs FROM pg_partitioned_table "
    "WHERE partrelid = 'rp'::regclass",
    "BEGIN",
    "INSERT INTO lp VALUES (1, 'rolled back')",
    "UPDATE lp SET a = 1 WHERE a = 9",
    "ROLLBACK",
    "SELECT tableoid::regclass, * FROM lp ORDER BY a",
    "TRUNCATE lp",
    "SELECT count(*) FROM lp",
    "DROP TABLE lp",
    "SELECT count(*) FROM pg_class WHERE relname LIKE 'lp%'",
]


def test_inheritance_script(differ: Differ) -> None:
    for stmt in INHERITANCE:
        differ.check(stmt)


def test_partition_script(differ: Differ) -> None:
    for stmt in PARTITIONS:
        differ.check(stmt)


ALTERING = [
    "CREATE TABLE parted (a text, b int NOT NULL DEFAULT 0, "
    "CONSTRAINT check_a CHECK (length(a) > 0)) PARTITION BY LIST (a)",
    "CREATE TABLE part_b PARTITION OF parted (CONSTRAINT check_a CHECK (length(a) > 0), "
    "CONSTRAINT check_b CHECK (b >= 0)) FOR VALUES IN ('b')",
    "SELECT conname, conislocal, coninhcount FROM pg_constraint "
    "WHERE conrelid = 'part_b'::regclass ORDER BY 1",
    "ALTER TABLE parted ADD CONSTRAINT check_b CHECK (b >= 0)",
    "SELECT conname, conislocal, coninhcount FROM pg_constraint "
    "WHERE conrelid = 'part_b'::regclass ORDER BY 1",
    "ALTER TABLE part_b DROP CONSTRAINT check_a",
    "ALTER TABLE parted DROP CONSTRAINT check_a, DROP CONSTRAINT check_b",
    "SELECT count(*) FROM pg_constraint WHERE conrelid = 'part_b'::regclass",
    "ALTER TABLE parted ADD COLUMN c int",
    "INSERT INTO parted VALUES ('b', 1, 7) RETURNING tableoid::regclass, *",
    "SELECT tableoid::regclass, * FROM parted",
    "ALTER TABLE parted DROP COLUMN c",
    "SELECT * FROM part_b",
    "CREATE TABLE p (a int, b text)",
    "CREATE TABLE c (b text, x int) INHERITS (p)",
    "SELECT attname, attislocal, attinhcount FROM pg_attribute "
    "WHERE attrelid = 'c'::regclass AND attnum > 0 ORDER BY attnum",
    "ALTER TABLE p ADD COLUMN z int",
    "ALTER TABLE ONLY p ADD COLUMN w int",
    "ALTER TABLE p DROP COLUMN b",
    "SELECT attname, attislocal, attinhcount FROM pg_attribute "
    "WHERE attrelid = 'c'::regclass AND attnum > 0 ORDER BY attnum",
    "INSERT INTO c (a, b, x, z) VALUES (1, 'q', 2, 3)",
    "SELECT * FROM p",
    "CREATE TABLE l (LIKE c)",
    "SELECT attname FROM pg_attribute WHERE attrelid = 'l'::regclass AND attnum > 0 "
    "ORDER BY attnum",
    "CREATE TABLE lp (a int) PARTITION BY LIST (a)",
    "CREATE TABLE x PARTITION OF lp FOR VALUES IN (somename)",
    "CREATE TABLE x PARTITION OF lp FOR VALUES IN (sum(1))",
    "CREATE TABLE x PARTITION OF lp FOR VALUES IN (generate_series(4, 6))",
    "CREATE TABLE x PARTITION OF lp FOR VALUES IN ()",
    "CREATE TABLE lpd PARTITION OF lp DEFAULT",
    "INSERT INTO lp VALUES (5)",
    "CREATE TABLE lp5 PARTITION OF lp FOR VALUES IN (4, 5)",
]


def test_altering_a_tree(differ: Differ) -> None:
    for stmt in ALTERING:
        differ.check(stmt)


FOREIGN_KEYS = [
    "CREATE TABLE ta (a int PRIMARY KEY) PARTITION BY RANGE (a)",
    "CREATE TABLE ta1 PARTITION OF ta FOR VALUES FROM (0) TO (10)",
    "CREATE TABLE ta2 PARTITION OF ta FOR VALUES FROM (10) TO (20) PARTITION BY RANGE (a)",
    "CREATE TABLE ta21 PARTITION OF ta2 FOR VALUES FROM (10) TO (12)",
    "CREATE TABLE ta2d PARTITION OF ta2 DEFAULT",
    "INSERT INTO ta VALUES (0), (5), (10), (15)",
    "CREATE TABLE rb (b int PRIMARY KEY, a int REFERENCES ta (a) ON DELETE CASCADE)",
    "INSERT INTO rb VALUES (10, 0), (50, 5), (100, 10), (150, 15)",
    "INSERT INTO rb VALUES (1, 99)",
    "TRUNCATE ta1",
    "TRUNCATE ONLY ta",
    "TRUNCATE ta1 CASCADE",
    "SELECT a FROM rb",
    "DROP TABLE rb",
    "CREATE TABLE rc (c int PRIMARY KEY, a int REFERENCES ta (a) ON DELETE CASCADE) "
    "PARTITION BY RANGE (c)",
    "CREATE TABLE rc1 PARTITION OF rc FOR VALUES FROM (100) TO (200)",
    "INSERT INTO ta VALUES (1)",
    "INSERT INTO rc VALUES (100, 10), (150, 15), (160, 1)",
    "DELETE FROM ta WHERE a = 1",
    "SELECT * FROM rc ORDER BY c",
    "TRUNCATE ta21 CASCADE",
    "SELECT count(*) FROM rc",
    "SELECT a FROM ta ORDER BY a",
    "DROP TABLE ta, rc",
]


def test_foreign_keys_and_truncate_through_partitions(differ: Differ) -> None:
    for stmt in FOREIGN_KEYS:
        differ.check(stmt)


UPSERTS_AND_MOVES = [
    "CREATE TABLE up (a int PRIMARY KEY, b text) PARTITION BY LIST (a)",
    "CREATE TABLE up1 PARTITION OF up FOR VALUES IN (1)",
    "CREATE TABLE up2 (b text, a int NOT NULL)",
    "ALTER TABLE up2 ADD PRIMARY KEY (a)",
    "ALTER TABLE up ATTACH PARTITION up2 FOR VALUES IN (2)",
    "INSERT INTO up VALUES (1, 'x'), (2, 'y')",
    "INSERT INTO up VALUES (2, 'z') ON CONFLICT (a) DO UPDATE SET b = excluded.b || up.b "
    "RETURNING *, tableoid::regclass",
    "INSERT INTO up VALUES (1, 'z') ON CONFLICT DO NOTHING",
    "INSERT INTO up VALUES (1, 'q'), (1, 'r') ON CONFLICT (a) DO UPDATE SET b = excluded.b",
    "SELECT tableoid::regclass, * FROM up ORDER BY a",
    "UPDATE up SET a = 3 - a RETURNING *, tableoid::regclass",
    "SELECT tableoid::regclass, * FROM up ORDER BY a",
    "UPDATE up SET a = 3 WHERE a = 1",
    "UPDATE up1 SET a = 2",
    "CREATE TABLE sp (a int, b int) PARTITION BY LIST (a)",
    "CREATE TABLE sp1 PARTITION OF sp FOR VALUES IN (1) PARTITION BY LIST (b)",
    "CREATE TABLE sp11 PARTITION OF sp1 FOR VALUES IN (1)",
    "CREATE TABLE sp12 PARTITION OF sp1 FOR VALUES IN (2)",
    "CREATE TABLE sp2 PARTITION OF sp FOR VALUES IN (2)",
    "INSERT INTO sp VALUES (1, 1)",
    "UPDATE sp1 SET a = 2",
    "UPDATE sp1 SET b = 2 RETURNING tableoid::regclass, *",
    "UPDATE sp SET a = 2 RETURNING tableoid::regclass, *",
    "SELECT tableoid::regclass, * FROM sp",
]


def test_upserts_and_moves_through_partitions(differ: Differ) -> None:
    for stmt in UPSERTS_AND_MOVES:
        differ.check(stmt)


ROUTED_TRIGGERS = [
    "CREATE TABLE rt (a int, b text, c int) PARTITION BY LIST (a)",
    "CREATE TABLE rt1 PARTITION OF rt FOR VALUES IN (1)",
    "CREATE TABLE rt2 PARTITION OF rt FOR VALUES IN (2)",
    "CREATE TABLE log (t text)",
    "CREATE FUNCTION rt1_a() RETURNS trigger AS $$ BEGIN NEW.a := 2; RETURN NEW; END $$ "
    "LANGUAGE plpgsql",
    "CREATE FUNCTION rt2_c() RETURNS trigger AS $$ BEGIN NEW.c := NEW.c + 1; RETURN NEW; END $$ "
    "LANGUAGE plpgsql",
    "CREATE FUNCTION rt_skip() RETURNS trigger AS $$ BEGIN RETURN NULL; END $$ LANGUAGE plpgsql",
    "CREATE FUNCTION rt_log() RETURNS trigger AS $$ BEGIN INSERT INTO log VALUES "
    "(TG_TABLE_NAME || ' ' || TG_LEVEL || ' ' || TG_WHEN); RETURN NULL; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER t1 BEFORE INSERT ON rt1 FOR EACH ROW EXECUTE FUNCTION rt1_a()",
    "CREATE TRIGGER t2 BEFORE INSERT ON rt2 FOR EACH ROW EXECUTE FUNCTION rt2_c()",
    "CREATE TRIGGER l1 AFTER INSERT ON rt2 FOR EACH ROW EXECUTE FUNCTION rt_log()",
    "CREATE TRIGGER l2 AFTER INSERT ON rt2 FOR EACH STATEMENT EXECUTE FUNCTION rt_log()",
    "CREATE TRIGGER l3 AFTER INSERT ON rt FOR EACH STATEMENT EXECUTE FUNCTION rt_log()",
    "INSERT INTO rt VALUES (1, 'x', 0)",
    "INSERT INTO rt VALUES (2, 'y', 10), (2, 'z', 20)",
    "SELECT * FROM rt ORDER BY c",
    "SELECT t, count(*) FROM log GROUP BY t ORDER BY t",
    "UPDATE rt SET a = 2, c = 30 WHERE a = 2 AND c = 11",
    "CREATE TABLE rt3 PARTITION OF rt FOR VALUES IN (3)",
    "CREATE TRIGGER s3 BEFORE INSERT ON rt3 FOR EACH ROW EXECUTE FUNCTION rt_skip()",
    "INSERT INTO rt VALUES (3, 'w', 1)",
    "UPDATE rt SET a = 3 WHERE c = 21",
    "SELECT tableoid::regclass, * FROM rt ORDER BY c",
    "CREATE TABLE rt4 PARTITION OF rt FOR VALUES IN (4)",
    "CREATE TRIGGER d2 BEFORE DELETE ON rt2 FOR EACH ROW EXECUTE FUNCTION rt_skip()",
    "UPDATE rt SET a = 4 WHERE a = 2",
    "DROP TRIGGER d2 ON rt2",
    "CREATE TRIGGER u2 AFTER UPDATE ON rt2 FOR EACH ROW EXECUTE FUNCTION rt_log()",
    "CREATE TRIGGER dl2 AFTER DELETE ON rt2 FOR EACH ROW EXECUTE FUNCTION rt_log()",
    "DELETE FROM log",
    "UPDATE rt SET c = c + 1 WHERE a = 2",
    "UPDATE rt SET a = 4 WHERE a = 2 AND c = 12",
    "SELECT t, count(*) FROM log GROUP BY t ORDER BY t",
    "SELECT tableoid::regclass, * FROM rt ORDER BY c",
]


def test_row_triggers_of_the_partition_a_row_is_routed_to(differ: Differ) -> None:
    for stmt in ROUTED_TRIGGERS:
        differ.check(stmt)


INDEXES = [
    "CREATE TABLE ip (a int, b int) PARTITION BY RANGE (a)",
    "CREATE TABLE ip1 PARTITION OF ip FOR VALUES FROM (0) TO (10)",
    "CREATE TABLE ip2 PARTITION OF ip FOR VALUES FROM (10) TO (20) PARTITION BY RANGE (b)",
    "CREATE TABLE ip21 PARTITION OF ip2 FOR VALUES FROM (0) TO (100)",
    "INSERT INTO ip VALUES (1, 1), (11, 1)",
    "CREATE UNIQUE INDEX ON ip (b)",
    "CREATE UNIQUE INDEX ON ip (a, b)",
    "CREATE INDEX ON ip (b)",
    "CREATE TABLE ip3 PARTITION OF ip FOR VALUES FROM (20) TO (30)",
    "INSERT INTO ip VALUES (1, 1)",
    "INSERT INTO ip VALUES (21, 5), (22, 5)",
    "INSERT INTO ip VALUES (23, 7), (23, 7)",
    "SELECT tablename, indexname FROM pg_indexes WHERE tablename LIKE 'ip%' ORDER BY 1, 2",
    "CREATE TABLE ip4 (a int, b int)",
    "INSERT INTO ip4 VALUES (30, 1), (30, 1)",
    "ALTER TABLE ip ATTACH PARTITION ip4 FOR VALUES FROM (30) TO (40)",
    "DELETE FROM ip4 WHERE b = 1",
    "ALTER TABLE ip ATTACH PARTITION ip4 FOR VALUES FROM (30) TO (40)",
    "INSERT INTO ip VALUES (30, 2), (30, 2)",
    "SELECT indexname FROM pg_indexes WHERE tablename = 'ip4' ORDER BY 1",
]


def test_indexes_of_a_partitioned_table(differ: Differ) -> None:
    for stmt in INDEXES:
        differ.check(stmt)


HASHING = [
    "CREATE TABLE hp (a int, b text, c bigint) PARTITION BY HASH (a, b)",
    "CREATE TABLE hp0 PARTITION OF hp FOR VALUES WITH (MODULUS 3, REMAINDER 0)",
    "CREATE TABLE hp1 PARTITION OF hp FOR VALUES WITH (MODULUS 3, REMAINDER 1)",
    "CREATE TABLE hp2 PARTITION OF hp FOR VALUES WITH (MODULUS 3, REMAINDER 2)",
    "INSERT INTO hp SELECT g, 'row ' || g, g * 1000000000 FROM generate_series(-20, 40) g",
    "INSERT INTO hp VALUES (NULL, NULL, NULL), (1, NULL, 1), (NULL, 'x', 2)",
    "SELECT tableoid::regclass, a, b FROM hp ORDER BY a, b",
    "CREATE TABLE hq (c bigint) PARTITION BY HASH (c)",
    "CREATE TABLE hq0 PARTITION OF hq FOR VALUES WITH (MODULUS 2, REMAINDER 0)",
    "CREATE TABLE hq1 PARTITION OF hq FOR VALUES WITH (MODULUS 4, REMAINDER 1)",
    "CREATE TABLE hq3 PARTITION OF hq FOR VALUES WITH (MODULUS 4, REMAINDER 3)",
    "INSERT INTO hq SELECT c FROM hp WHERE c IS NOT NULL",
    "SELECT tableoid::regclass, count(*) FROM hq GROUP BY 1 ORDER BY 1",
    "INSERT INTO hq0 VALUES (7)",
    "INSERT INTO hq1 VALUES (7)",
]


def test_hash_partitions_place_rows_as_postgres_does(differ: Differ) -> None:
    for stmt in HASHING:
        differ.check(stmt)


KEY_COLUMNS = [
    "CREATE TABLE p (a int, b int, c int) PARTITION BY LIST ((a + b))",
    "CREATE TABLE p1 PARTITION OF p FOR VALUES IN (2)",
    "ALTER TABLE p DROP COLUMN a",
    "ALTER TABLE p ALTER COLUMN b TYPE bigint",
    "ALTER TABLE p1 DROP COLUMN c",
    "ALTER TABLE p1 RENAME COLUMN c TO d",
    "ALTER TABLE p RENAME COLUMN b TO bb",
    "SELECT pg_get_partkeydef('p'::regclass)",
    "INSERT INTO p VALUES (1, 1, 5)",
    "INSERT INTO p VALUES (1, 2, 5)",
    "ALTER TABLE p DROP COLUMN c",
    "SELECT * FROM p1",
    "CREATE TABLE q (x int)",
    "CREATE TABLE qc () INHERITS (q)",
    "ALTER TABLE qc DROP COLUMN x",
    "ALTER TABLE q RENAME COLUMN x TO y",
    "SELECT * FROM qc",
]


def test_partition_key_and_inherited_columns(differ: Differ) -> None:
    for stmt in KEY_COLUMNS:
        differ.check(stmt)


TREE_FUNCTIONS = [
    "CREATE TABLE tp (a int, b int) PARTITION BY LIST (a)",
    "CREATE TABLE tp1 PARTITION OF tp FOR VALUES IN (1) PARTITION BY LIST (b)",
    "CREATE TABLE tp11 PARTITION OF tp1 FOR VALUES IN (1)",
    "CREATE TABLE tp2 PARTITION OF tp FOR VALUES IN (2)",
    "SELECT * FROM pg_partition_ancestors('tp11')",
    "SELECT * FROM pg_partition_tree('tp') ORDER BY level, relid::text",
    "SELECT * FROM pg_partition_tree('tp1') ORDER BY level, relid::text",
    "SELECT pg_partition_ancestors('tp1')",
    "SELECT pg_get_partkeydef('tp'::regclass), pg_get_partkeydef('tp2'::regclass)",
]


def test_partition_tree_functions(differ: Differ) -> None:
    for stmt in TREE_FUNCTIONS:
        differ.check(stmt)


ATTACH_KEYS = [
    "CREATE TABLE ref (id int PRIMARY KEY)",
    "INSERT INTO ref VALUES (1)",
    "CREATE TABLE fp (a int, r int REFERENCES ref (id)) PARTITION BY LIST (a)",
    "CREATE TABLE fp1 (a int, r int)",
    "INSERT INTO fp1 VALUES (1, 2)",
    "ALTER TABLE fp ATTACH PARTITION fp1 FOR VALUES IN (1)",
    "UPDATE fp1 SET r = 1",
    "ALTER TABLE fp ATTACH PARTITION fp1 FOR VALUES IN (1)",
    "INSERT INTO fp VALUES (1, 3)",
    "DELETE FROM ref",
    "SELECT conname FROM pg_constraint WHERE conrelid = 'fp1'::regclass",
]


def test_attached_partition_takes_foreign_keys(differ: Differ) -> None:
    for stmt in ATTACH_KEYS:
        differ.check(stmt)


ATTACH_PRIMARY_KEY = [
    "CREATE TABLE kp (a int PRIMARY KEY, b int UNIQUE) PARTITION BY RANGE (a, b)",
    "CREATE TABLE kp1 (a int NOT NULL, b int)",
    "INSERT INTO kp1 VALUES (1, 1)",
    "ALTER TABLE kp ATTACH PARTITION kp1 FOR VALUES FROM (0, 0) TO (10, 10)",
    "SELECT conname, contype FROM pg_constraint WHERE conrelid = 'kp1'::regclass ORDER BY 1",
    "INSERT INTO kp VALUES (1, 2)",
    "INSERT INTO kp VALUES (2, 1)",
    "SELECT * FROM kp",
]


def test_attached_partition_takes_keys(differ: Differ) -> None:
    for stmt in ATTACH_PRIMARY_KEY:
        differ.check(stmt)


NO_INHERIT = [
    "CREATE TABLE atacc1 (test int CHECK (test > 0) NO INHERIT)",
    "CREATE TABLE atacc2 (test2 int) INHERITS (atacc1)",
    "INSERT INTO atacc2 (test) VALUES (-3)",
    "INSERT INTO atacc1 (test) VALUES (-3)",
    "DROP TABLE atacc1 CASCADE",
    "CREATE TABLE atacc1 (test int, test2 int CHECK (test > 0), CHECK (test2 > 10) NO INHERIT)",
    "CREATE TABLE atacc2 () INHERITS (atacc1)",
    "INSERT INTO atacc2 (test) VALUES (-3)",
    "INSERT INTO atacc1 (test) VALUES (-3)",
    "INSERT INTO atacc2 (test2) VALUES (3)",
    "INSERT INTO atacc1 (test2) VALUES (3)",
    "ALTER TABLE atacc1 ADD CONSTRAINT big CHECK (test < 100) NO INHERIT",
    "INSERT INTO atacc2 (test) VALUES (300)",
    "INSERT INTO atacc1 (test, test2) VALUES (300, 20)",
    "SELECT conrelid::regclass, conname, connoinherit, pg_get_constraintdef(oid)"
    " FROM pg_constraint WHERE conrelid::regclass::text IN ('atacc1', 'atacc2')"
    " ORDER BY 1, 2",
    "CREATE TABLE atacc3 (test int, test2 int)",
    "ALTER TABLE atacc3 INHERIT atacc1",
    "DROP TABLE atacc1 CASCADE",
]


def test_check_no_inherit_stays_with_its_table(differ: Differ) -> None:
    for stmt in NO_INHERIT:
        differ.check(stmt)
