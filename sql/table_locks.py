"""LOCK TABLE: the weak modes a reader takes.

ACCESS SHARE, ROW SHARE and ROW EXCLUSIVE only conflict with the modes DDL and explicit
LOCK ... EXCLUSIVE take. db9's DDL never blocks on a reader: a transaction reads rows and
catalog at its snapshot (MVCC; GC keeps what an open snapshot sees), so a table dropped or
altered meanwhile stays whole for it, which is what these modes guarantee (pg_dump takes ACCESS
SHARE on every table it dumps). The modes that would exclude other writers are refused with
0A000 rather than granted without excluding anything.
"""

from __future__ import annotations

import re

from sql import relations
from sql.errors import (
    FeatureNotSupported,
    NoActiveSqlTransaction,
    SyntaxError_,
    UndefinedTable,
    WrongObjectType,
)
from sql.session_api import SessionApi
from sql.statements import split_statements

_WEAK = ("ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE")
_MODES = (*_WEAK, "SHARE UPDATE EXCLUSIVE", "SHARE ROW EXCLUSIVE", "SHARE", "EXCLUSIVE",
          "ACCESS EXCLUSIVE")  # fmt: skip
_STATEMENT = re.compile(
    r"\s*LOCK\s+(?:TABLE\s+)?(?:ONLY\s+)?(?P<names>.+?)(?:\s+IN\s+(?P<mode>[A-Z ]+?)\s+MODE)?"
    r"(?P<nowait>\s+NOWAIT)?\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)


def lock(session: SessionApi, text: str, in_block: bool) -> None:
    """Run ``LOCK [TABLE] [ONLY] name [, ...] [IN mode MODE] [NOWAIT]``."""
    m = _STATEMENT.match(text)
    if m is None:
        raise SyntaxError_('syntax error at or near "LOCK"')
    mode = " ".join((m.group("mode") or "ACCESS EXCLUSIVE").upper().split())
    if mode not in _MODES:
        raise SyntaxError_(f'syntax error at or near "{mode.split()[0]}"')
    if not in_block:
        raise NoActiveSqlTransaction("LOCK TABLE can only be used in transaction blocks")
    catalog = session.catalog()
    path = session.search_path()
    for name in _names(m.group("names")):
        rel = relations.lookup(catalog, name, path)
        if rel is None:
            raise UndefinedTable(f'relation "{name}" does not exist')
        if rel.kind not in ("TABLE", "VIEW"):
            raise WrongObjectType(
                f'cannot lock relation "{name.name}"',
                detail=f"This operation is not supported for {rel.plural}.",
            )
    if mode not in _WEAK:
        raise FeatureNotSupported(f"LOCK TABLE IN {mode} MODE is not supported")


def _names(text: str) -> list[relations.Name]:
    """The comma-separated relation names, read by the lexer (quoted names may hold commas)."""
    stmt = split_statements(f"COMMENT ON TABLE {text} IS ''")[0]
    names, _ = relations.read_names(stmt.tokens, 3)
    return names
