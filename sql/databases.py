"""CREATE / DROP / ALTER DATABASE, read from their tokens, and the databases a session sees.

A login sees a set of databases: the one it logged in to plus those made from it with SQL.
They are not the SQL layer's to keep (each is a key prefix the control plane registers), so
whoever serves the session hands it a ``DatabaseDirectory`` that creates, drops, renames and
lists them; these statements check what PostgreSQL checks that needs no directory (a
transaction block, the current database, option names and values), then call it.

PostgreSQL's rules kept here: CREATE and DROP DATABASE refuse to run in a transaction block
(25001); the current database cannot be dropped (55006) or renamed (0A000); CREATE checks its
options in PostgreSQL 15's order, and refuses an encoding other than UTF8 or a locale other
than C / POSIX / C.UTF-8 with PostgreSQL's errors. What differs: ALTER DATABASE takes effect
at once, not at COMMIT of a block around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

from sql import roles
from sql import settings as guc
from sql.errors import (
    ActiveSqlTransaction,
    FeatureNotSupported,
    InvalidCatalogName,
    InvalidObjectDefinition,
    InvalidParameterValue,
    ObjectInUse,
    SyntaxError_,
    UndefinedObject,
    WrongObjectType,
)
from sql.result import Result
from sql.session_api import SessionApi

if TYPE_CHECKING:
    from sql.database import Database

COMMANDS = frozenset({"CREATE DATABASE", "DROP DATABASE", "ALTER DATABASE"})
TEMPLATES = ("template0", "template1")  # PostgreSQL's empty templates: a new empty database
UTF8 = 6  # pg_database.encoding of UTF8
# The locales db9 has (glibc's names, case as written); POSIX is C by its canonical name.
_LOCALES = {"C": "C", "POSIX": "C", "C.UTF-8": "C.UTF-8", "C.utf8": "C.utf8"}
_ENCODINGS = {"utf8", "utf-8", "unicode"}
# PostgreSQL's other server encodings: valid names db9 refuses (it stores text as UTF-8).
_OTHER_ENCODINGS = {
    "sql_ascii", "latin1", "latin2", "latin3", "latin4", "latin5", "latin6", "latin7",
    "latin8", "latin9", "latin10", "win1250", "win1251", "win1252", "win1253", "win1254",
    "win1255", "win1256", "win1257", "win1258", "win866", "win874", "koi8r", "koi8u",
    "euc_jp", "euc_cn", "euc_kr", "euc_tw", "euc_jis_2004", "mule_internal", "iso_8859_5",
    "iso_8859_6", "iso_8859_7", "iso_8859_8", "sjis", "big5", "gbk", "uhc", "gb18030",
    "johab", "shift_jis_2004", "windows1252", "alt", "win",
}  # fmt: skip


@dataclass
class DatabaseInfo:
    """One database as pg_database shows it."""

    oid: int
    name: str
    owner: str | None = None  # a role name; None: the login's bootstrap role
    conn_limit: int = -1
    is_template: bool = False
    allow_connections: bool = True
    settings: dict[str, str] = field(default_factory=dict)  # ALTER DATABASE SET, at login


@dataclass
class CreateOptions:
    template: str | None = None  # None or template0/1: empty; else a copy of that database
    owner: str | None = None
    conn_limit: int = -1
    is_template: bool = False
    allow_connections: bool = True


class DatabaseDirectory(Protocol):
    """The databases one login sees (its own, named ``postgres``, and those made from it).

    Errors are ``Db9Error``s with PostgreSQL's SQLSTATEs: 3D000 for a name it does not know,
    42P04 for one taken, 55006 for one in use. ``current`` is the asking session's database
    name (a session on the template or the dropped database is not "another" session)."""

    def list(self) -> list[DatabaseInfo]: ...

    def open(self, name: str) -> tuple[Database, DatabaseInfo]:
        """The database a login with dbname ``name`` reaches (checked: it exists and allows
        connections)."""
        ...

    def create(self, name: str, options: CreateOptions, current: str) -> None: ...

    def drop(self, name: str, *, force: bool, current: str) -> None: ...

    def rename(self, name: str, new_name: str, current: str) -> None: ...

    def alter(self, name: str, **changes: Any) -> None:
        """Set the named DatabaseInfo fields (owner, conn_limit, is_template,
        allow_connections, settings)."""
        ...


def run(
    session: SessionApi, directory: DatabaseDirectory | None, command: str, tokens: list[Any]
) -> Result:
    """Run CREATE, DROP or ALTER DATABASE for ``session``, whose login sees ``directory``."""
    reader = _Reader(tokens[2:])
    verb = command.split()[0]
    if directory is None:  # a session of the SQL layer alone, not served by a node
        raise FeatureNotSupported(
            f"{command} is not supported in this session",
            hint="Databases are created and deleted with the db9 CLI (db9 create --name ...,"
            " db9 delete), the REST API, or over SQL on a db9 server.",
        )
    if verb in ("CREATE", "DROP") and session.in_block:
        raise ActiveSqlTransaction(f"{command} cannot run inside a transaction block")
    current = session.info("current_database")
    if verb == "CREATE":
        name = reader.name()
        directory.create(name, _create_options(session, directory, reader), current)
        return Result("CREATE DATABASE")
    if verb == "DROP":
        return _drop(session, directory, reader, current)
    return _alter(session, directory, reader, current)


_CREATE_OPTIONS = {
    "owner", "template", "encoding", "strategy", "locale", "lc_collate", "lc_ctype",
    "icu_locale", "locale_provider", "collation_version", "tablespace", "allow_connections",
    "connection limit", "is_template", "oid",
}  # fmt: skip


def _create_options(
    session: SessionApi, directory: DatabaseDirectory, reader: _Reader
) -> CreateOptions:
    """CREATE DATABASE's options, checked in the order PostgreSQL 15's createdb() checks
    them (so that of several wrong ones, the same is reported)."""
    reader.accept("WITH")
    given: dict[str, str | None] = {}  # option -> value (None: DEFAULT)
    while not reader.done():
        option = reader.word().lower()
        if option == "connection":
            reader.expect("LIMIT")
            option = "connection limit"
        if option not in _CREATE_OPTIONS:
            raise SyntaxError_(f'option "{option}" not recognized')
        if option in given:
            raise SyntaxError_("conflicting or redundant options")
        reader.accept("=")
        given[option] = reader.value()
    out = CreateOptions()
    template = given.get("template") or "template1"
    named_encoding = given.get("encoding")
    encoding = _encoding(named_encoding) if named_encoding else None
    collate = given.get("lc_collate") or given.get("locale")  # (PostgreSQL 15: LC_* win)
    ctype = given.get("lc_ctype") or given.get("locale")
    provider = given.get("locale_provider")
    if provider and provider.lower() not in ("libc", "icu"):
        raise InvalidObjectDefinition(f"unrecognized locale provider: {provider}")
    if provider and provider.lower() == "icu":
        raise FeatureNotSupported("locale provider icu is not supported: db9 collates as C")
    if given.get("icu_locale"):
        raise SyntaxError_("ICU locale cannot be specified unless locale provider is ICU")
    if given.get("is_template"):
        out.is_template = _boolean("is_template", given["is_template"] or "")
    if given.get("allow_connections"):
        out.allow_connections = _boolean("allow_connections", given["allow_connections"] or "")
    if given.get("connection limit"):
        out.conn_limit = _conn_limit(given["connection limit"] or "")
    for option in ("oid", "collation_version"):
        if given.get(option):
            raise FeatureNotSupported(f"CREATE DATABASE option {option.upper()} is not supported")
    owner = given.get("owner")
    if owner:
        _check_role(session, owner)
        out.owner = owner
    if template not in TEMPLATES:
        if template not in {d.name for d in directory.list()}:
            raise InvalidCatalogName(f'template database "{template}" does not exist')
        out.template = template
    # after the template's lookup, before locales and encodings (PostgreSQL's order)
    strategy = given.get("strategy")
    if strategy and strategy.lower() not in ("wal_log", "file_copy"):
        raise InvalidParameterValue(
            f'invalid create database strategy "{strategy}"',
            hint="Valid strategies are 'wal_log', and 'file_copy'.",
        )
    for value in (collate, ctype):
        if value is not None and value not in _LOCALES:
            raise WrongObjectType(
                f'invalid locale name: "{value}"',
                hint="If the locale name is specific to ICU, use ICU_LOCALE.",
            )
    collate, ctype = (_LOCALES[v] if v is not None else None for v in (collate, ctype))
    if template != "template0":  # every db9 database is UTF8 and C
        if encoding is not None:
            raise InvalidParameterValue(
                f"new encoding ({encoding}) is incompatible with the encoding of the template "
                "database (UTF8)",
                hint="Use the same encoding as in the template database, or use template0 as "
                "template.",
            )
        for what, value in (("collation", collate), ("LC_CTYPE", ctype)):
            if value is not None and value != "C":
                raise InvalidParameterValue(
                    f"new {what} ({value}) is incompatible with the {what} of the template "
                    "database (C)",
                    hint=f"Use the same {what} as in the template database, or use template0 "
                    "as template.",
                )
    if encoding is not None:
        raise FeatureNotSupported(f"encoding {encoding} is not supported: db9 stores UTF8")
    tablespace = given.get("tablespace")
    if tablespace and tablespace != "pg_default":
        raise UndefinedObject(f'tablespace "{tablespace}" does not exist')
    return out


def _drop(
    session: SessionApi, directory: DatabaseDirectory, reader: _Reader, current: str
) -> Result:
    if_exists = reader.accept("IF")
    if if_exists:
        reader.expect("EXISTS")
    name = reader.name()
    force = False
    if not reader.done():
        reader.accept("WITH")
        reader.expect("(")
        while True:
            if not reader.accept("FORCE"):  # the grammar's only option
                raise reader.error()
            force = True
            if not reader.accept(","):
                break
        reader.expect(")")
    reader.end()
    if name == current:
        raise ObjectInUse("cannot drop the currently open database")
    known = {d.name: d for d in directory.list()}
    if name not in known:
        if if_exists:
            session.notices.append(f'database "{name}" does not exist, skipping')
            return Result("DROP DATABASE")
        raise InvalidCatalogName(f'database "{name}" does not exist')
    if known[name].is_template:
        raise WrongObjectType("cannot drop a template database")
    directory.drop(name, force=force, current=current)
    return Result("DROP DATABASE")


def _alter(
    session: SessionApi, directory: DatabaseDirectory, reader: _Reader, current: str
) -> Result:
    name = reader.name()
    word = reader.word().upper()
    known = {d.name: d for d in directory.list()}
    if name not in known and word != "OWNER":  # (PostgreSQL resolves the new owner first)
        raise InvalidCatalogName(f'database "{name}" does not exist')
    if word == "RENAME":
        reader.expect("TO")
        new_name = reader.name()
        reader.end()
        if name == current:
            raise FeatureNotSupported("current database cannot be renamed")
        directory.rename(name, new_name, current)
        return Result("ALTER DATABASE")
    if word == "OWNER":
        reader.expect("TO")
        owner = reader.name()
        reader.end()
        if owner.lower() in ("current_user", "current_role", "session_user"):
            owner = session.info(owner.lower() if owner != "current_role" else "current_user")
        _check_role(session, owner)
        if name not in known:
            raise InvalidCatalogName(f'database "{name}" does not exist')
        directory.alter(name, owner=owner)
        return Result("ALTER DATABASE")
    settings = dict(known[name].settings)
    if word == "RESET":
        param = reader.word().lower()
        reader.end()
        if param == "all":
            settings.clear()
        else:
            settings.pop(param, None)
        directory.alter(name, settings=settings)
        return Result("ALTER DATABASE")
    if word == "SET":
        param = reader.word().lower()
        if param == "tablespace":
            raise FeatureNotSupported("ALTER DATABASE SET TABLESPACE is not supported")
        if reader.accept("FROM"):
            reader.expect("CURRENT")
            reader.end()
            settings[param] = session.settings.get(param, "")
        else:
            if not (reader.accept("TO") or reader.accept("=")):
                raise reader.error()
            values = reader.rest()
            if not values:
                raise SyntaxError_("syntax error at end of input")
            if [v.lower() for v in values] == ["default"]:
                settings.pop(param, None)
            else:
                settings[param] = _setting(session, param, values)
        directory.alter(name, settings=settings)
        return Result("ALTER DATABASE")
    # ALTER DATABASE name [WITH] option ...
    reader.back()
    reader.accept("WITH")
    changes: dict[str, Any] = {}
    while not reader.done():
        option = reader.word().lower()
        if option == "connection":
            reader.expect("LIMIT")
            option = "connection limit"
        reader.accept("=")
        value = reader.value()
        if option == "connection limit":
            changes["conn_limit"] = -1 if value is None else _conn_limit(value)
        elif option == "is_template":
            changes["is_template"] = value is not None and _boolean(option, value)
        elif option == "allow_connections":
            changes["allow_connections"] = value is None or _boolean(option, value)
        else:
            raise SyntaxError_(f'option "{option}" not recognized')
    if changes:
        directory.alter(name, **changes)
    return Result("ALTER DATABASE")


def _check_role(session: SessionApi, name: str) -> None:
    if roles.find(session, session.catalog(), name) is None:
        raise UndefinedObject(f'role "{name}" does not exist')


def _setting(session: SessionApi, param: str, values: list[str]) -> str:
    if param not in session.settings and "." not in param:
        raise UndefinedObject(f'unrecognized configuration parameter "{param}"')
    joined = ", ".join(values) if param == "search_path" else " ".join(values)
    return guc.normalise(param, joined)


def _encoding(value: str) -> str | None:
    """None for UTF8; the canonical name of another server encoding; 42704 for no such."""
    low = "utf8" if value.lower() == "utf-8" else value.lower().replace("-", "_")
    if low in _ENCODINGS:
        return None
    if low in _OTHER_ENCODINGS:
        return low.upper()
    raise UndefinedObject(f"{value} is not a valid encoding name")


def _conn_limit(value: str) -> int:
    try:
        limit = int(value)
    except ValueError:
        raise SyntaxError_(f"invalid connection limit: {value}") from None
    if limit < -1:
        raise InvalidParameterValue(f"invalid connection limit: {limit}")
    return limit


def _boolean(option: str, value: str) -> bool:
    low = value.lower()
    if low in ("true", "on", "yes", "1", "t", "y"):
        return True
    if low in ("false", "off", "no", "0", "f", "n"):
        return False
    raise SyntaxError_(f"{option} requires a Boolean value")


class _Reader:
    """The tokens after ``CREATE/DROP/ALTER DATABASE``, read one word or value at a time."""

    def __init__(self, tokens: list[Any]) -> None:
        self.tokens = tokens
        self.i = 0

    def done(self) -> bool:
        return self.i >= len(self.tokens)

    def error(self) -> SyntaxError_:
        if self.done():
            return SyntaxError_("syntax error at end of input")
        return SyntaxError_(f'syntax error at or near "{self.tokens[self.i].text}"')

    def back(self) -> None:
        self.i -= 1

    def word(self) -> str:
        if self.done():
            raise self.error()
        self.i += 1
        return str(self.tokens[self.i - 1].text)

    def name(self) -> str:
        """An identifier as PostgreSQL folds it (quoted ones as written)."""
        if self.done():
            raise self.error()
        tok = self.tokens[self.i]
        if tok.token_type == TokenType.STRING or tok.token_type in (
            TokenType.L_PAREN,
            TokenType.R_PAREN,
            TokenType.COMMA,
            TokenType.EQ,
            TokenType.NUMBER,
        ):
            raise self.error()
        self.i += 1
        text = str(tok.text)
        return text if tok.token_type == TokenType.IDENTIFIER else text.lower()

    def value(self) -> str | None:
        """An option's value: a name, string or (signed) number; None for DEFAULT."""
        if self.done():
            raise self.error()
        tok = self.tokens[self.i]
        self.i += 1
        text = str(tok.text)
        if tok.token_type == TokenType.DASH and not self.done():
            self.i += 1
            return "-" + str(self.tokens[self.i - 1].text)
        if tok.token_type in (TokenType.STRING, TokenType.IDENTIFIER, TokenType.NUMBER):
            return text
        if text.upper() == "DEFAULT":
            return None
        return text.lower()

    def rest(self) -> list[str]:
        """The remaining values, commas dropped (a SET's value list)."""
        out = []
        while not self.done():
            tok = self.tokens[self.i]
            self.i += 1
            if tok.token_type == TokenType.COMMA:
                continue
            text = str(tok.text)
            if tok.token_type == TokenType.DASH and not self.done():
                text = "-" + str(self.tokens[self.i].text)
                self.i += 1
            out.append(text)
        return out

    def accept(self, word: str) -> bool:
        if not self.done() and str(self.tokens[self.i].text).upper() == word:
            self.i += 1
            return True
        return False

    def expect(self, word: str) -> None:
        if not self.accept(word):
            raise self.error()

    def end(self) -> None:
        if not self.done():
            raise self.error()
