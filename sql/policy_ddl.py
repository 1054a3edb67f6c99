"""CREATE / ALTER / DROP POLICY and ALTER TABLE ... ROW LEVEL SECURITY, read from their tokens.
Policies are kept on their table's catalog entry (sql.catalog.TableDef.policies); what they
do is sql.policies'."""

from __future__ import annotations

import copy
from typing import Any

from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

from sql import privileges, relations, roles
from sql.catalog import TableDef
from sql.errors import DuplicateObject, SyntaxError_, UndefinedObject
from sql.result import Result
from sql.session_api import SessionApi

COMMANDS = frozenset({"CREATE POLICY", "ALTER POLICY", "DROP POLICY"})
_FOR = ("ALL", "SELECT", "INSERT", "UPDATE", "DELETE")


def run(session: SessionApi, command: str, text: str, tokens: list[Any], start: int) -> Result:
    i = 2
    if_exists = command == "DROP POLICY" and relations.words_at(tokens, i, "IF", "EXISTS")
    i += 2 * if_exists
    if i + 2 >= len(tokens) or not relations.words_at(tokens, i + 1, "ON"):
        raise SyntaxError_("syntax error at end of input")
    name = relations.ident(tokens[i])
    names, i = relations.read_names(tokens, i + 2)
    catalog = session.catalog()
    rel = relations.for_use(catalog, "TABLE", names[0], session.search_path())
    table = copy.deepcopy(rel.table)
    privileges.require_owner(session, table, "table")
    found = next((p for p in table.policies if p["name"] == name), None)
    if command == "DROP POLICY":
        if found is None:
            if if_exists:
                session.notices.append(
                    f'policy "{name}" for relation "{table.name}" does not exist, skipping'
                )
                return Result("DROP POLICY")
            raise UndefinedObject(f'policy "{name}" for table "{table.name}" does not exist')
        table.policies.remove(found)
    elif command == "CREATE POLICY":
        if found is not None:
            raise DuplicateObject(f'policy "{name}" for table "{table.name}" already exists')
        policy = {"name": name, "permissive": True, "command": "all", "roles": [],
                  "using": None, "check": None}  # fmt: skip
        _clauses(session, policy, text, tokens, i, start, create=True)
        table.policies.append(policy)
    else:
        if found is None:
            raise UndefinedObject(f'policy "{name}" for table "{table.name}" does not exist')
        if relations.words_at(tokens, i, "RENAME", "TO"):
            new = relations.ident(tokens[i + 2])
            if any(p["name"] == new for p in table.policies):
                raise DuplicateObject(f'policy "{new}" for table "{table.name}" already exists')
            found["name"] = new
        else:
            _clauses(session, found, text, tokens, i, start, create=False)
    session.database.catalogs.put_table(session.current_txn(), table, catalog, new=False)
    return Result(command)


def _clauses(
    session: SessionApi,
    policy: dict[str, Any],
    text: str,
    tokens: list[Any],
    i: int,
    start: int,
    *,
    create: bool,
) -> None:
    """AS, FOR, TO, USING and WITH CHECK from ``tokens[i]`` into ``policy``."""
    catalog = session.catalog()
    while i < len(tokens) and tokens[i].token_type != TokenType.SEMICOLON:
        word = str(tokens[i].text).upper()
        if create and word == "AS" and i + 1 < len(tokens):
            kind = str(tokens[i + 1].text).upper()
            if kind not in ("PERMISSIVE", "RESTRICTIVE"):
                raise SyntaxError_(f'unrecognized row security option "{tokens[i + 1].text}"')
            policy["permissive"] = kind == "PERMISSIVE"
            i += 2
        elif create and word == "FOR" and i + 1 < len(tokens):
            what = str(tokens[i + 1].text).upper()
            if what not in _FOR:
                raise SyntaxError_(f'syntax error at or near "{tokens[i + 1].text}"')
            policy["command"] = what.lower()
            i += 2
        elif word == "TO":
            i += 1
            oids: list[int] = []
            while i < len(tokens):
                tok = tokens[i]
                w = str(tok.text).upper()
                if w == "PUBLIC" and tok.token_type != TokenType.IDENTIFIER:
                    oids = []
                else:
                    role_name = w if w in roles.SPECIAL else relations.ident(tok)
                    oids.append(roles.named(session, catalog, role_name).oid)
                i += 1
                if i < len(tokens) and tokens[i].token_type == TokenType.COMMA:
                    i += 1
                    continue
                break
            policy["roles"] = oids
        elif word == "USING":
            policy["using"], i = relations.paren_text(text, tokens, i + 1, start)
        elif word == "WITH" and relations.words_at(tokens, i + 1, "CHECK"):
            policy["check"], i = relations.paren_text(text, tokens, i + 2, start)
        else:
            raise SyntaxError_(f'syntax error at or near "{tokens[i].text}"')
    if policy["command"] == "insert" and policy["using"] is not None:
        raise SyntaxError_("only WITH CHECK expression allowed for INSERT")
    if policy["command"] in ("select", "delete") and policy["check"] is not None:
        raise SyntaxError_("WITH CHECK cannot be applied to SELECT or DELETE")


def row_security(session: SessionApi, table: TableDef, tokens: list[Any], i: int) -> bool:
    """ALTER TABLE ... ENABLE | DISABLE | FORCE | NO FORCE ROW LEVEL SECURITY into ``table``
    (a copy the caller stores); False for any other action."""
    no = relations.words_at(tokens, i, "NO", "FORCE")
    word = "NO FORCE" if no else str(tokens[i].text).upper() if i < len(tokens) else ""
    j = i + (2 if no else 1)
    if word not in ("ENABLE", "DISABLE", "FORCE", "NO FORCE") or not relations.words_at(
        tokens, j, "ROW", "LEVEL", "SECURITY"
    ):
        return False
    if word in ("ENABLE", "DISABLE"):
        table.rls = word == "ENABLE"
    else:
        table.rls_forced = word == "FORCE"
    return True
