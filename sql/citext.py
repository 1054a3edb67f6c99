"""The citext extension's own versions of text functions: where the first argument is
citext (and the other string arguments citext or untyped, as PostgreSQL resolves them),
strpos, replace, split_part, translate and the regexp functions ignore case. Each is the
SQL citext--1.4.sql defines it as, compiled over the call's arguments (``$1``...), so it
reuses db9's text and regexp functions."""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

from sql import types as T
from sql.casts import coerce_to
from sql.functions_text import strict_call
from sql.pg_dialect import DIALECT
from sql.scope import ExprCompiler, Typed

_ESCAPED = r"regexp_replace($2::text, '([^a-zA-Z_0-9])', E'\\\\\\1', 'g')"
_FLAGS = "CASE WHEN strpos($3, 'c') = 0 THEN $3 || 'i' ELSE $3 END"
_FLAGS4 = "CASE WHEN strpos($4, 'c') = 0 THEN $4 || 'i' ELSE $4 END"

# (name, number of arguments) -> (the SQL, which arguments are citext in the signature)
DEFINITIONS: dict[tuple[str, int], tuple[str, tuple[int, ...]]] = {
    ("strpos", 2): ("strpos(lower($1::text), lower($2::text))", (1, 2)),
    ("replace", 3): (f"regexp_replace($1::text, {_ESCAPED}, $3::text, 'gi')", (1, 2, 3)),
    # (regexp_split_to_array($1::text, <$2 escaped>, 'i'))[$3]: _split_part
    ("split_part", 3): ("", (1, 2)),
    ("translate", 3): ("translate(translate($1::text, lower($2::text), $3), upper($2::text), $3)",
                       (1, 2)),
    ("regexp_match", 2): ("regexp_match($1::text, $2::text, 'i')", (1, 2)),
    ("regexp_match", 3): (f"regexp_match($1::text, $2::text, {_FLAGS})", (1, 2)),
    ("regexp_replace", 3): ("regexp_replace($1::text, $2::text, $3, 'i')", (1, 2)),
    ("regexp_replace", 4): (f"regexp_replace($1::text, $2::text, $3, {_FLAGS4})", (1, 2)),
    ("regexp_split_to_array", 2): ("regexp_split_to_array($1::text, $2::text, 'i')", (1, 2)),
    ("regexp_split_to_array", 3): (
        f"regexp_split_to_array($1::text, $2::text, {_FLAGS})", (1, 2)
    ),
}  # fmt: skip
NAMES = frozenset(name for name, _ in DEFINITIONS)
_PARSED: dict[tuple[str, int], exp.Expr] = {}


def _template(key: tuple[str, int]) -> exp.Expr:
    if key not in _PARSED:
        sql = DEFINITIONS[key][0]
        for i in range(4, 0, -1):  # $n as a column to put the argument in its place
            sql = sql.replace(f"${i}", f"__citext_arg{i}")
        _PARSED[key] = sqlglot.parse_one(sql, read=DIALECT)
    return _PARSED[key]


def compile_call(c: ExprCompiler, name: str, raw: list[exp.Expr]) -> Typed | None:
    """``name(raw...)`` as citext's function, or None when it is text's."""
    key = (name, len(raw))
    if key not in DEFINITIONS:
        return None
    positions = DEFINITIONS[key][1]
    types = [c.compile(a).type.name for a in raw]
    if types[0] != "citext" or any(types[p - 1] not in ("citext", "unknown") for p in positions):
        return None

    def put(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and node.name.startswith("__citext_arg"):
            return raw[int(node.name.removeprefix("__citext_arg")) - 1].copy()
        return node

    if name == "split_part":
        args = [coerce_to(c.compile(a), t, explicit=True) for a, t in zip(raw, _SPLIT, strict=True)]
        return strict_call(name, args, T.TEXT, _split_part)
    return c.compile(_template(key).copy().transform(put))


_SPLIT = (T.TEXT, T.TEXT, T.INT4)


def _split_part(s: str, delimiter: str, n: int) -> str | None:
    """citext's split_part: the n-th piece (from 1) of ``s`` split at ``delimiter`` in any
    case, NULL past the last (an array subscript); an empty delimiter splits characters."""
    parts = list(s) if not delimiter else re.split(re.escape(delimiter), s, flags=re.IGNORECASE)
    return parts[n - 1] if 1 <= n <= len(parts) else None
