"""The extensions db9 has built in (sql.extensions), against a live PostgreSQL that installs
them: CREATE EXTENSION IF NOT EXISTS pgcrypto (Django's CryptoExtension migration) succeeds,
again without IF NOT EXISTS is 42710, pg_extension lists the installed ones (plpgsql from
the start, pgcrypto once created, until DROP EXTENSION), and pgcrypto's digest() hashes
text and bytea (Django's SHA1..SHA512 functions)."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "SELECT extname, extversion FROM pg_extension ORDER BY 1",
    "SELECT digest('abc', 'sha1')",  # no such function before CREATE EXTENSION
    'CREATE EXTENSION IF NOT EXISTS "pgcrypto"',
    "CREATE EXTENSION pgcrypto",
    "SELECT extname, extversion FROM pg_extension ORDER BY 1",
    "CREATE TABLE words (id int PRIMARY KEY, w text)",
    "INSERT INTO words VALUES (1, 'abc'), (2, 'ünïcode'), (3, NULL)",
    "SELECT ENCODE(DIGEST(w, 'sha1'), 'hex'), ENCODE(DIGEST(w, 'sha512'), 'hex')"
    " FROM words ORDER BY id",
    "SELECT encode(digest('abc'::bytea, 'sha256'), 'hex'), encode(digest('x', 'md5'), 'hex')",
    "SELECT digest('abc', 'nope')",
    # installed is catalog state, changed in the statement's transaction
    "BEGIN",
    "DROP EXTENSION pgcrypto",
    "SELECT extname FROM pg_extension ORDER BY 1",
    "ROLLBACK",
    "SELECT extname FROM pg_extension ORDER BY 1",
    "DROP EXTENSION pgcrypto CASCADE",
    "SELECT extname FROM pg_extension ORDER BY 1",
    "DROP EXTENSION pgcrypto",
    "DROP EXTENSION IF EXISTS pgcrypto",
    "CREATE EXTENSION pgcrypto",
    "SELECT extname FROM pg_extension ORDER BY 1",
]


def test_builtin_extensions_match_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)


MACHINERY = [
    'CREATE EXTENSION IF NOT EXISTS "uuid-ossp"',
    "CREATE EXTENSION hstore WITH SCHEMA public",
    "CREATE EXTENSION hstore",
    "CREATE EXTENSION IF NOT EXISTS hstore",
    "CREATE EXTENSION nosuch_thing_here",
    "SELECT extname, extversion, extrelocatable, extnamespace::regnamespace::text"
    " FROM pg_extension ORDER BY 1",
    "SELECT name, default_version, installed_version FROM pg_available_extensions"
    " WHERE name IN ('hstore', 'citext', 'uuid-ossp', 'plpgsql') ORDER BY 1",
    # the type exists with its array type, in the extension's schema, only once installed
    "SELECT t.typname, t.typtype, t.typcategory, a.typname, a.typelem = t.oid,"
    " t.typnamespace::regnamespace::text FROM pg_type t JOIN pg_type a ON a.oid = t.typarray"
    " WHERE t.typname IN ('hstore', 'citext')",
    "SELECT 'hstore'::regtype::text, 'hstore[]'::regtype::text",
    "CREATE EXTENSION citext",
    "SELECT typname, typinput, typoutput, typreceive, typsend, typalign, typstorage,"
    " typcollation, typdelim FROM pg_type"
    " WHERE typname IN ('hstore', 'citext', '_hstore', '_citext') ORDER BY 1",
    "DROP EXTENSION citext",
    # a member of the extension (pg_dump leaves it to CREATE EXTENSION)
    "SELECT refobjid = (SELECT oid FROM pg_extension WHERE extname = 'hstore'), deptype"
    " FROM pg_depend WHERE objid = 'hstore'::regtype AND classid = 'pg_type'::regclass"
    " AND deptype = 'e'",
    "CREATE TABLE kv (id int, h hstore, hs hstore[])",
    "CREATE INDEX kv_h ON kv USING gin (h)",
    "CREATE INDEX kv_ha ON kv ((h -> 'a'))",
    "CREATE INDEX kv_hk ON kv (akeys(h))",
    "ALTER TABLE kv ADD CONSTRAINT kv_has_a CHECK (h ? 'a' OR exist(h, 'b'))",
    "INSERT INTO kv VALUES (1, 'a=>1', NULL)",
    "DROP TYPE hstore",
    "DROP EXTENSION hstore",
    "DROP EXTENSION hstore RESTRICT",
    "DROP EXTENSION hstore CASCADE",
    "SELECT attname FROM pg_attribute WHERE attrelid = 'kv'::regclass AND attnum > 0"
    " AND NOT attisdropped",
    "SELECT indexname FROM pg_indexes WHERE tablename = 'kv'",  # the indexes went too
    "INSERT INTO kv VALUES (2)",
    "SELECT id FROM kv ORDER BY id",
    "SELECT count(*) FROM pg_type WHERE typname IN ('hstore', '_hstore')",
    "CREATE TABLE kv2 (h hstore)",
    # what pg_dump writes after CREATE EXTENSION, and ALTER EXTENSION ... UPDATE
    "COMMENT ON EXTENSION hstore IS 'data type for storing sets of (key, value) pairs'",
    "COMMENT ON EXTENSION \"uuid-ossp\" IS 'mine'",
    "COMMENT ON EXTENSION nosuch IS 'x'",
    "SELECT e.extname, d.description FROM pg_extension e LEFT JOIN pg_description d"
    " ON d.objoid = e.oid AND d.classoid = 'pg_extension'::regclass ORDER BY 1",
    'COMMENT ON EXTENSION "uuid-ossp" IS NULL',
    "SELECT obj_description(oid, 'pg_extension') FROM pg_extension ORDER BY extname",
    "ALTER EXTENSION hstore UPDATE",
    "ALTER EXTENSION hstore UPDATE TO '1.8'",
    "ALTER EXTENSION hstore UPDATE TO '9.9'",
    "ALTER EXTENSION nosuch UPDATE",
    'DROP EXTENSION IF EXISTS hstore, "uuid-ossp"',
    "SELECT extname FROM pg_extension ORDER BY 1",
    # an extension in another schema: its types are there; DROP SCHEMA drops it (CASCADE)
    "CREATE SCHEMA ext",
    "CREATE EXTENSION hstore SCHEMA nosuch",
    "CREATE EXTENSION hstore SCHEMA ext",
    "SELECT 'a=>1'::hstore",
    "SELECT 'a=>1'::ext.hstore",
    "CREATE TABLE kv3 (h ext.hstore)",
    "CREATE SCHEMA ext2",
    "ALTER EXTENSION hstore SET SCHEMA ext2",
    "ALTER EXTENSION hstore SET SCHEMA ext2",
    "ALTER EXTENSION hstore SET SCHEMA nosuch",
    "ALTER EXTENSION plpgsql SET SCHEMA ext2",
    "SELECT 'a=>1'::ext2.hstore, format_type(atttypid, NULL) FROM pg_attribute"
    " WHERE attrelid = 'kv3'::regclass AND attname = 'h'",
    "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'hstore'",
    "ALTER EXTENSION hstore SET SCHEMA ext",
    "DROP SCHEMA ext2",
    "DROP SCHEMA ext",
    "DROP SCHEMA ext CASCADE",
    "SELECT extname FROM pg_extension ORDER BY 1",
    "SELECT count(*) FROM pg_type WHERE typname = 'hstore'",
]


def test_extension_installs_and_drops_its_types(differ: Differ) -> None:
    for sql in MACHINERY:
        differ.check(sql)


BLOOM = [
    # bloom is not trusted: only a superuser installs it
    "CREATE ROLE ext_plain",
    "SET ROLE ext_plain",
    "CREATE EXTENSION bloom",
    "RESET ROLE",
    "DROP ROLE ext_plain",
    "SELECT name, superuser, trusted FROM pg_available_extension_versions"
    " WHERE name IN ('bloom', 'hstore', 'plpgsql') AND version IN ('1.0', '1.8') ORDER BY 1",
    "CREATE TABLE b (id int, a int, s text, f float8, v varchar(64))",
    "CREATE INDEX b_bloom ON b USING bloom (a, s)",  # no such method before the extension
    "SELECT amname FROM pg_am WHERE amname = 'bloom'",
    "CREATE EXTENSION bloom",
    "SELECT amname, amtype FROM pg_am WHERE amname = 'bloom'",
    "CREATE INDEX b_bloom ON b USING bloom (a, s) WITH (length=80, col1=2, col2=4)",
    "CREATE INDEX b_bloom2 ON b USING bloom (a)",
    "CREATE INDEX b_bloom3 ON b USING bloom (f)",
    "CREATE INDEX b_bloom_v ON b USING bloom (v, a) WITH (length=40, col1=3)",
    "CREATE INDEX b_bloom4 ON b USING bloom (a) WITH (length=0)",
    "CREATE INDEX b_bloom5 ON b USING bloom (a) WITH (col1=4096)",
    "CREATE INDEX b_bloom6 ON b USING bloom (a) WITH (nope=1)",
    "CREATE UNIQUE INDEX b_bloom7 ON b USING bloom (a)",
    "INSERT INTO b VALUES (1, 10, 'x', 1.5), (2, 20, 'y', 2.5)",
    "SELECT id FROM b WHERE a = 20 AND s = 'y'",
    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'b' ORDER BY 1",
]


def test_bloom_access_method_is_the_extensions(differ: Differ) -> None:
    for sql in BLOOM:
        differ.check(sql)


UUID_OSSP = [
    "SELECT uuid_generate_v4() IS NOT NULL",  # 42883 before the extension
    'CREATE EXTENSION "uuid-ossp"',
    "SELECT uuid_nil(), uuid_ns_dns(), uuid_ns_url(), uuid_ns_oid(), uuid_ns_x500()",
    "SELECT uuid_generate_v3(uuid_ns_dns(), 'www.example.com'),"
    " uuid_generate_v5(uuid_ns_url(), 'http://x/y'), uuid_generate_v5(uuid_nil(), NULL)",
    "SELECT length(uuid_generate_v4()::text), substr(uuid_generate_v4()::text, 15, 1),"
    " substr(uuid_generate_v1()::text, 15, 1), substr(uuid_generate_v1mc()::text, 15, 1)",
    "SELECT uuid_generate_v4() = uuid_generate_v4()",
    "CREATE TABLE u (id uuid PRIMARY KEY DEFAULT uuid_generate_v4(), n int)",
    "INSERT INTO u (n) VALUES (1), (2)",
    "SELECT count(DISTINCT id) FROM u",
]


def test_uuid_ossp_functions(differ: Differ) -> None:
    for sql in UUID_OSSP:
        differ.check(sql)


PG_PROC = [
    "SELECT count(*) FROM pg_proc WHERE proname IN ('akeys', 'skeys', 'uuid_generate_v4')",
    "CREATE EXTENSION hstore",
    'CREATE EXTENSION "uuid-ossp"',
    "SELECT p.proname, pg_get_function_arguments(p.oid), pg_get_function_result(p.oid),"
    " p.proretset, p.pronamespace::regnamespace::text FROM pg_proc p"
    " WHERE p.proname IN ('akeys', 'skeys', 'exist', 'slice', 'uuid_generate_v4',"
    " 'uuid_generate_v5', 'hstore_to_jsonb') ORDER BY 1, 2",
    "SELECT p.proname, count(*) FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid"
    " AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'"
    " JOIN pg_extension e ON e.oid = d.refobjid WHERE e.extname = 'hstore'"
    " AND p.proname IN ('delete', 'hstore', 'each') GROUP BY 1 ORDER BY 1",
    # called in their schema, as pg_dump writes them in defaults
    "SELECT public.akeys('a=>1'::public.hstore),"
    " public.uuid_generate_v5(public.uuid_ns_url(), 'x')",
    "CREATE TABLE u (id uuid DEFAULT public.uuid_generate_v4(), h public.hstore)",
    "INSERT INTO u DEFAULT VALUES",
    "SELECT count(id) FROM u",
    "DROP TABLE u",
    "DROP EXTENSION hstore",
    "SELECT count(*) FROM pg_proc WHERE proname IN ('akeys', 'skeys')",
]


def test_extension_functions_in_pg_proc(differ: Differ) -> None:
    for sql in PG_PROC:
        differ.check(sql)
