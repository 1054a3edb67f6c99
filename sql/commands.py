"""PostgreSQL 15's SQL commands by name, and which of them db9 runs.

A statement is named by its leading keywords (``DROP MATERIALIZED VIEW``, ``ALTER TABLE``),
the way PostgreSQL's documentation names its commands. That name, not the tree sqlglot makes
of the text, decides whether db9 runs a statement: a command db9 does not implement answers
0A000 with its name before anything is parsed or resolved, so no statement ever runs as
another one that sqlglot mistook it for (``DROP DATABASE foo`` dropping table ``foo``).
"""

from __future__ import annotations

from sql.errors import FeatureNotSupported

# https://www.postgresql.org/docs/15/sql-commands.html, with the forms whose leading keywords
# differ (ROLLBACK TO, CREATE TABLE AS is told apart later, SELECT INTO by sqlglot's tree).
_COMMAND_LIST = """
    ABORT; ALTER AGGREGATE; ALTER COLLATION; ALTER CONVERSION; ALTER DATABASE;
    ALTER DEFAULT PRIVILEGES; ALTER DOMAIN; ALTER EVENT TRIGGER; ALTER EXTENSION;
    ALTER FOREIGN DATA WRAPPER; ALTER FOREIGN TABLE; ALTER FUNCTION; ALTER GROUP; ALTER INDEX;
    ALTER LANGUAGE; ALTER LARGE OBJECT; ALTER MATERIALIZED VIEW; ALTER OPERATOR;
    ALTER OPERATOR CLASS; ALTER OPERATOR FAMILY; ALTER POLICY; ALTER PROCEDURE;
    ALTER PUBLICATION; ALTER ROLE; ALTER ROUTINE; ALTER RULE; ALTER SCHEMA; ALTER SEQUENCE;
    ALTER SERVER; ALTER STATISTICS; ALTER SUBSCRIPTION; ALTER SYSTEM; ALTER TABLE;
    ALTER TABLESPACE; ALTER TEXT SEARCH CONFIGURATION; ALTER TEXT SEARCH DICTIONARY;
    ALTER TEXT SEARCH PARSER; ALTER TEXT SEARCH TEMPLATE; ALTER TRIGGER; ALTER TYPE;
    ALTER USER; ALTER USER MAPPING; ALTER VIEW; ANALYZE; ANALYSE; BEGIN; CALL; CHECKPOINT;
    CLOSE; CLUSTER; COMMENT; COMMIT; COMMIT PREPARED; COPY; CREATE ACCESS METHOD;
    CREATE AGGREGATE; CREATE CAST; CREATE COLLATION; CREATE CONVERSION; CREATE DATABASE;
    CREATE DOMAIN; CREATE EVENT TRIGGER; CREATE EXTENSION; CREATE FOREIGN DATA WRAPPER;
    CREATE FOREIGN TABLE; CREATE FUNCTION; CREATE GROUP; CREATE INDEX; CREATE LANGUAGE;
    CREATE MATERIALIZED VIEW; CREATE OPERATOR; CREATE OPERATOR CLASS; CREATE OPERATOR FAMILY;
    CREATE POLICY; CREATE PROCEDURE; CREATE PUBLICATION; CREATE ROLE; CREATE RULE;
    CREATE SCHEMA; CREATE SEQUENCE; CREATE SERVER; CREATE STATISTICS; CREATE SUBSCRIPTION;
    CREATE TABLE; CREATE TABLESPACE; CREATE TEXT SEARCH CONFIGURATION;
    CREATE TEXT SEARCH DICTIONARY; CREATE TEXT SEARCH PARSER; CREATE TEXT SEARCH TEMPLATE;
    CREATE TRANSFORM; CREATE TRIGGER; CREATE TYPE; CREATE USER; CREATE USER MAPPING;
    CREATE VIEW; DEALLOCATE; DECLARE; DELETE; DISCARD; DO; DROP ACCESS METHOD; DROP AGGREGATE;
    DROP CAST; DROP COLLATION; DROP CONVERSION; DROP DATABASE; DROP DOMAIN; DROP EVENT TRIGGER;
    DROP EXTENSION; DROP FOREIGN DATA WRAPPER; DROP FOREIGN TABLE; DROP FUNCTION; DROP GROUP;
    DROP INDEX; DROP LANGUAGE; DROP MATERIALIZED VIEW; DROP OPERATOR; DROP OPERATOR CLASS;
    DROP OPERATOR FAMILY; DROP OWNED; DROP POLICY; DROP PROCEDURE; DROP PUBLICATION; DROP ROLE;
    DROP ROUTINE; DROP RULE; DROP SCHEMA; DROP SEQUENCE; DROP SERVER; DROP STATISTICS;
    DROP SUBSCRIPTION; DROP TABLE; DROP TABLESPACE; DROP TEXT SEARCH CONFIGURATION;
    DROP TEXT SEARCH DICTIONARY; DROP TEXT SEARCH PARSER; DROP TEXT SEARCH TEMPLATE;
    DROP TRANSFORM; DROP TRIGGER; DROP TYPE; DROP USER; DROP USER MAPPING; DROP VIEW; END;
    EXECUTE; EXPLAIN; FETCH; GRANT; IMPORT FOREIGN SCHEMA; INSERT; LISTEN; LOAD; LOCK; MERGE;
    MOVE; NOTIFY; PREPARE; PREPARE TRANSACTION; REASSIGN OWNED; REFRESH MATERIALIZED VIEW;
    REINDEX; RELEASE; RESET; REVOKE; ROLLBACK; ROLLBACK PREPARED; SAVEPOINT; SECURITY LABEL;
    SELECT; SET; SET CONSTRAINTS; SET ROLE; SET SESSION AUTHORIZATION; SET TRANSACTION; SHOW;
    START TRANSACTION; TABLE; TRUNCATE; UNLISTEN; UPDATE; VACUUM; VALUES; WITH
"""
COMMANDS = frozenset(" ".join(c.split()) for c in _COMMAND_LIST.split(";"))

# What db9 runs, fully or as a documented no-op (see ``NO_OPS``). Relation commands on kinds
# db9 cannot create (views, foreign tables) still run: they resolve their names and answer
# PostgreSQL's "does not exist" or "is not a view", which is exact since none can exist.
_SUPPORTED_LIST = """
    ABORT; ALTER FOREIGN TABLE; ALTER INDEX; ALTER TRIGGER; CALL; CREATE AGGREGATE; CREATE FUNCTION;
    DROP AGGREGATE;
    CREATE PROCEDURE; CREATE RULE; CREATE TRIGGER; DO; DROP RULE; DROP FUNCTION; DROP PROCEDURE;
    DROP ROUTINE; DROP TRIGGER;
    ALTER MATERIALIZED VIEW; ALTER SCHEMA; ALTER SEQUENCE;
    ALTER TABLE; ALTER VIEW; ANALYZE; ANALYSE; BEGIN; CHECKPOINT; CLOSE; COMMENT; COMMIT;
    COPY; CREATE DOMAIN; CREATE INDEX; CREATE SCHEMA; CREATE TYPE; DROP DOMAIN; DROP TYPE;
    ALTER TYPE; CREATE SEQUENCE; CREATE TABLE; CREATE VIEW; DEALLOCATE;
    DECLARE; DELETE; DISCARD; DROP FOREIGN TABLE; DROP INDEX; DROP MATERIALIZED VIEW; DROP SCHEMA;
    DROP SEQUENCE; DROP TABLE; DROP VIEW; END; EXECUTE; EXPLAIN; FETCH; GRANT; INSERT; LISTEN; MOVE;
    NOTIFY; PREPARE; REINDEX; RELEASE; RESET; REVOKE; ROLLBACK; SAVEPOINT; SECURITY LABEL; SELECT;
    SET;
    SET CONSTRAINTS; SET ROLE; SET SESSION AUTHORIZATION; SET TRANSACTION; SHOW;
    START TRANSACTION; TABLE; TRUNCATE; UNLISTEN; UPDATE; VACUUM; VALUES; WITH
"""
SUPPORTED = frozenset(" ".join(c.split()) for c in _SUPPORTED_LIST.split(";"))
assert SUPPORTED <= COMMANDS, SUPPORTED - COMMANDS

# Accepted and answered with PostgreSQL's tag after checking the objects they name, with no
# effect in db9: storage with no planner statistics and old versions reclaimed by the GC
# worker (VACUUM, ANALYZE, CHECKPOINT); no privileges beyond the session user (GRANT,
# REVOKE); no object comments (COMMENT); no asynchronous notifications (LISTEN, NOTIFY,
# UNLISTEN); indexes written with their rows, never to be rebuilt (REINDEX).
NO_OPS = frozenset(
    {"ANALYZE", "ANALYSE", "CHECKPOINT", "COMMENT", "GRANT", "LISTEN",
     "NOTIFY", "REINDEX", "REVOKE", "UNLISTEN", "VACUUM"}
)  # fmt: skip

# Commands run from their tokens (sql.ddl.run_named), never from sqlglot's reading of them:
# it reads DROP MATERIALIZED VIEW as DROP VIEW, and DROP INDEX a, b not at all.
NAMED = frozenset(
    {"DROP TABLE", "DROP SEQUENCE", "DROP INDEX", "DROP VIEW", "DROP MATERIALIZED VIEW",
     "DROP FOREIGN TABLE", "DROP SCHEMA", "ALTER TABLE", "ALTER INDEX", "ALTER SEQUENCE",
     "ALTER VIEW", "ALTER MATERIALIZED VIEW", "ALTER FOREIGN TABLE", "COMMENT", "GRANT",
     "REVOKE", "SECURITY LABEL"}
)  # fmt: skip

# Words between CREATE and the object kind that do not change which command it is.
_CREATE_MODIFIERS = {
    "OR", "REPLACE", "UNIQUE", "TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL", "LOCAL", "TRUSTED",
    "PROCEDURAL", "DEFAULT", "CONSTRAINT", "RECURSIVE",
}  # fmt: skip
_LONGEST = max(len(c.split()) for c in COMMANDS)


def command_name(words: list[str]) -> str:
    """The PostgreSQL command a statement starting with ``words`` is (upper case), or its first
    word when it is none of them."""
    upper = [w.upper() for w in words[: _LONGEST + 8]]
    if upper[:1] == ["CREATE"]:
        rest = upper[1:]
        while rest and rest[0] in _CREATE_MODIFIERS:
            rest = rest[1:]
        upper = ["CREATE", *rest]
    if upper[:2] in (["ROLLBACK", "TO"], ["ABORT", "TO"]):
        return "ROLLBACK"
    for n in range(min(_LONGEST, len(upper)), 0, -1):
        name = " ".join(upper[:n])
        if name in COMMANDS:
            return name
    return upper[0] if upper else ""


def check_supported(name: str) -> None:
    """Raise 0A000 for a PostgreSQL command db9 does not run."""
    if name in SUPPORTED or name not in COMMANDS:
        return
    if name in ("CREATE DATABASE", "DROP DATABASE", "ALTER DATABASE"):
        raise FeatureNotSupported(
            f"{name} is not supported over SQL",
            hint="Databases are created and deleted with the db9 CLI (db9 create --name ...,"
            " db9 delete) or the REST API.",
        )
    raise FeatureNotSupported(f"{name} is not supported")
