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
