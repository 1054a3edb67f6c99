"""The extensions db9 has built in (sql.extensions), against a live PostgreSQL that installs
them: CREATE EXTENSION IF NOT EXISTS pgcrypto (Django's CryptoExtension migration) succeeds,
again without IF NOT EXISTS is 42710, pg_extension lists the installed ones (plpgsql from
the start, pgcrypto once created, until DROP EXTENSION), and pgcrypto's digest() hashes
text and bytea (Django's SHA1..SHA512 functions)."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "SELECT extname, extversion FROM pg_extension ORDER BY 1",
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
    "CREATE TABLE kv (id int, h hstore, hs hstore[])",
    "DROP TYPE hstore",
    "DROP EXTENSION hstore",
    "DROP EXTENSION hstore RESTRICT",
    "DROP EXTENSION hstore CASCADE",
    "SELECT attname FROM pg_attribute WHERE attrelid = 'kv'::regclass AND attnum > 0"
    " AND NOT attisdropped",
    "SELECT count(*) FROM pg_type WHERE typname IN ('hstore', '_hstore')",
    "CREATE TABLE kv2 (h hstore)",
    'DROP EXTENSION IF EXISTS hstore, "uuid-ossp"',
    "SELECT extname FROM pg_extension ORDER BY 1",
]


def test_extension_installs_and_drops_its_types(differ: Differ) -> None:
    for sql in MACHINERY:
        differ.check(sql)
