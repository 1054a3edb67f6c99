"""JSON and JSONB as PostgreSQL has them: the operators (-> ->> #> #>> @> <@ ? ?| ?& || - #-),
the json_*/jsonb_* functions, and the set-returning ones (in FROM and in a select list).

Values: a jsonb value is its parsed document (dict, list, str, int or Decimal, bool; None for
a JSON null inside it, ``T.JSON_NULL`` for a whole value that is the JSON null, which is not
SQL NULL). A json value is its text, kept as written: its parts are read out of the text
(``raw_items``), so ``->`` on json returns the part exactly as the input spelled it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlglot import exp
from sqlglot.optimizer.annotate_types import annotate_types

from kv.errors import Db9Error
from sql import types as T
from sql.casts import coerce_to, domain_check, hstore_json
from sql.errors import (
    ArraySubscriptError,
    DatatypeMismatch,
    FeatureNotSupported,
    InvalidParameterValue,
    InvalidTextRepresentation,
    NullValueNotAllowed,
    SyntaxError_,
    UndefinedFunction,
)
from sql.hstore_values import Hstore
from sql.scope import ExprCompiler, Row, Typed
from sql.types import SqlType

# PostgreSQL's names of the json calls sqlglot parses into classes of its own
PG_NAMES = {
    "JSONArrayAgg": "json_agg",
    "JSONObjectAgg": "json_object_agg",
    "JSONBObjectAgg": "jsonb_object_agg",
    "ParseJSON": "json",
    "JSONStripNulls": "json_strip_nulls",
    "JSONBExists": "jsonb_exists",
    "JSONBContains": "jsonb_contains",
}

MISSING = object()  # no such key or element (the operators give SQL NULL)

# -- json text, read in place -----------------------------------------------------------------

_WS = " \t\n\r"


def _skip_ws(s: str, i: int) -> int:
    while i < len(s) and s[i] in _WS:
        i += 1
    return i


def _value_end(s: str, i: int) -> int:
    """The end of the (valid) JSON value that starts at ``s[i]``."""
    c = s[i]
    if c == '"':
        i += 1
        while s[i] != '"':
            i += 2 if s[i] == "\\" else 1
        return i + 1
    if c in "[{":
        depth = 0
        while True:
            c = s[i]
            if c == '"':
                i = _value_end(s, i)
                continue
            if c in "[{":
                depth += 1
            elif c in "]}":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
    while i < len(s) and s[i] not in ",]}" + _WS:
        i += 1
    return i


def raw_items(s: str) -> tuple[str, list[tuple[str | None, str]]]:
    """The kind of a valid json text ("object", "array" or "scalar") and its members as
    (key or None, text as written)."""
    i = _skip_ws(s, 0)
    opener = s[i]
    if opener not in "[{":
        return "scalar", []
    close = "}" if opener == "{" else "]"
    items: list[tuple[str | None, str]] = []
    i = _skip_ws(s, i + 1)
    while s[i] != close:
        key = None
        if opener == "{":
            e = _value_end(s, i)
            key = json.loads(s[i:e])
            i = _skip_ws(s, _skip_ws(s, e) + 1)
        e = _value_end(s, i)
        items.append((key, s[i:e]))
        i = _skip_ws(s, e)
        if s[i] == ",":
            i = _skip_ws(s, i + 1)
    return ("object" if opener == "{" else "array"), items


def _json_scalar_text(raw: str) -> str | None:
    """->> of a json part: a string de-escaped, a JSON null SQL NULL, others as written."""
    if raw.startswith('"'):
        v = T.parse_json(raw, jsonb=True)
        assert isinstance(v, str)
        return v
    if raw == "null":
        return None
    return raw


# -- documents --------------------------------------------------------------------------------


def doc_of(v: Any, t: SqlType) -> Any:
    """The parsed document of a non-NULL json or jsonb value."""
    if t.name == "json":
        return T.parse_json(v, jsonb=True)
    return T.jsonb_doc(v)


def kind_of(d: Any) -> str:
    if isinstance(d, dict):
        return "object"
    if isinstance(d, list):
        return "array"
    if isinstance(d, str):
        return "string"
    if isinstance(d, bool):
        return "boolean"
    if d is None or d is T.JSON_NULL:
        return "null"
    return "number"


def compact(d: Any) -> str:
    """A document as json text without spaces, keys in their order (json_strip_nulls)."""
    if isinstance(d, dict):
        return "{" + ",".join(_quote(k) + ":" + compact(v) for k, v in d.items()) + "}"
    if isinstance(d, list):
        return "[" + ",".join(compact(v) for v in d) + "]"
    return T.format_jsonb(d)


def _quote(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _number(x: Any) -> Any:
    if isinstance(x, float):
        if x != x or x in (float("inf"), float("-inf")):
            return None  # NaN and infinities are strings in JSON
        return Decimal(repr(x))
    return x


def to_doc(v: Any, t: SqlType) -> Any:
    """to_jsonb of an SQL value: numbers, booleans and text as themselves, arrays as arrays,
    json and jsonb as their documents, date/time in ISO 8601, anything else as its text."""
    if v is None:
        return None
    if t.element is not None:
        return [to_doc(x, _sub(x, t)) for x in v]
    if t.fields is not None:  # a composite: an object of its fields
        return {n: to_doc(x, ft) for x, (n, ft) in zip(v, t.fields, strict=True)}
    name = t.name
    if name in ("json", "jsonb"):
        return doc_of(v, t)
    if name == "hstore" and isinstance(v, Hstore):  # through its cast to jsonb: an object
        return v.as_dict()
    if isinstance(v, bool):
        return v
    if isinstance(v, int | Decimal):
        return v
    if isinstance(v, float):
        n = _number(v)
        return T.format_value(v, t) if n is None else n
    if isinstance(v, dt.datetime):
        return v.isoformat().replace("+00:00", "+00:00")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, str):
        return v
    return T.format_value(v, t)


def to_json_text(v: Any, t: SqlType) -> str:
    """to_json of an SQL value: json as written, the rest as to_jsonb spelled compactly."""
    if v is None:
        return "null"
    if t.name == "json":
        return str(v)
    if t.element is not None:
        return "[" + ",".join(to_json_text(x, _sub(x, t)) for x in v) + "]"
    if t.name == "jsonb":
        return T.format_jsonb(v)
    if t.fields is not None:
        return record_json(v, t)
    if t.name == "hstore" and isinstance(v, Hstore):  # through its cast to json
        return hstore_json(v)
    return compact(to_doc(v, t))


def record_json(v: tuple[Any, ...], t: SqlType, pretty: bool = False) -> str:
    """row_to_json: the fields in their order, each as to_json makes it."""
    parts = [
        _quote(n) + ":" + to_json_text(x, ft) for x, (n, ft) in zip(v, t.fields or (), strict=True)
    ]
    return "{" + (",\n " if pretty else ",").join(parts) + "}"


def _sub(x: Any, t: SqlType) -> SqlType:
    assert t.element is not None
    return t if T.is_subarray(x, t.element) else t.element


def _scalar_eq(a: Any, b: Any) -> bool:
    return kind_of(a) == kind_of(b) and a == b


def contains(a: Any, b: Any, top: bool = True) -> bool:
    """jsonb ``a @> b``: every member of b is in a, nested containers matched recursively;
    a top-level array contains a scalar that is one of its elements."""
    ka, kb = kind_of(a), kind_of(b)
    if ka == "object":
        if kb != "object":
            return False
        for k, v in b.items():
            if k not in a:
                return False
            w = a[k]
            if isinstance(v, dict | list):
                if kind_of(w) != kind_of(v) or not contains(w, v, False):
                    return False
            elif not _scalar_eq(w, v):
                return False
        return True
    if ka == "array":
        if kb != "array":
            if kb in ("object",) or not top:
                return False
            return any(_scalar_eq(x, b) for x in a if not isinstance(x, dict | list))
        for v in b:
            if isinstance(v, dict | list):
                if not any(kind_of(x) == kind_of(v) and contains(x, v, False) for x in a):
                    return False
            elif not any(_scalar_eq(x, v) for x in a if not isinstance(x, dict | list)):
                return False
        return True
    return ka == kb and _scalar_eq(a, b)


def sort_key(v: Any) -> tuple[Any, ...]:
    """A tuple Python orders as PostgreSQL's btree orders jsonb values: object > array >
    boolean > number > string > null; arrays by length, then element by element; objects by
    their number of pairs, then pair by pair in stored key order. A whole scalar value is
    stored as a one-element array, which sorts before the one-element arrays (and after
    ``[]``)."""
    d = T.jsonb_doc(v)
    if isinstance(d, dict | list):
        return _key(d)
    return (4, 1, 0, (_key(d),))


def _key(d: Any) -> tuple[Any, ...]:
    if d is None:
        return (0,)
    if isinstance(d, str):
        return (1, d)
    if isinstance(d, bool):
        return (3, d)
    if isinstance(d, int | Decimal):
        return (2, d)
    if isinstance(d, list):
        return (4, len(d), 1, tuple(_key(x) for x in d))
    keys = sorted(d, key=lambda k: (len(k.encode()), k.encode()))
    return (5, len(d), tuple((k, _key(d[k])) for k in keys))


def keyed(f: Callable[[Row], Any]) -> Callable[[Row], Any]:
    """``f`` (of jsonb values) giving their sort keys, NULL staying NULL."""
    return lambda r: None if (v := f(r)) is None else sort_key(v)


def has_key(d: Any, key: str) -> bool:
    """jsonb ``?``: a top-level key, or a string element of a top-level array (or the string
    itself)."""
    if isinstance(d, dict):
        return key in d
    if isinstance(d, list):
        return any(isinstance(x, str) and x == key for x in d)
    return isinstance(d, str) and d == key


def concat(a: Any, b: Any) -> Any:
    """jsonb ``||``: two objects merge (b's keys win); otherwise arrays concatenate, a
    non-array taken as a one-element array."""
    if isinstance(a, dict) and isinstance(b, dict):
        return {**a, **b}
    left = a if isinstance(a, list) else [a]
    right = b if isinstance(b, list) else [b]
    return left + right


def delete(d: Any, what: Any) -> Any:
    """jsonb ``-`` text, text[] or int."""
    if isinstance(what, int) and not isinstance(what, bool):
        if not isinstance(d, list):
            if isinstance(d, dict):
                raise InvalidParameterValue("cannot delete from object using integer index")
            raise InvalidParameterValue("cannot delete from scalar")
        i = what + len(d) if what < 0 else what
        return [x for j, x in enumerate(d) if j != i]
    keys = set(what) if isinstance(what, list) else {what}
    if isinstance(d, dict):
        return {k: v for k, v in d.items() if k not in keys}
    if isinstance(d, list):
        return [x for x in d if not (isinstance(x, str) and x in keys)]
    raise InvalidParameterValue("cannot delete from scalar")


def _index(step: str) -> int | None:
    try:
        return int(step.strip())
    except ValueError:
        return None


def child(v: Any, step: str | int, is_json: bool, text_index: bool = True) -> Any:
    """Member ``step`` (key, or index counting from the end when negative) of a json text or
    a jsonb document, in the same form; MISSING if there is none. A text step on an array
    is read as an index (the #> paths)."""
    if is_json:
        kind, items = raw_items(v)
        if kind == "object" and isinstance(step, str):
            found = [raw for k, raw in items if k == step]
            return found[-1] if found else MISSING
        if kind != "array":
            return MISSING
        members: list[Any] = [raw for _, raw in items]
    elif isinstance(v, dict):
        return v.get(step, MISSING) if isinstance(step, str) else MISSING
    elif isinstance(v, list):
        members = v
    else:
        return MISSING
    if isinstance(step, str) and not text_index:
        return MISSING  # -> 'k' on an array: keys name object members only
    i = _index(step) if isinstance(step, str) else step
    if i is None:
        return MISSING
    if i < 0:
        i += len(members)
    return members[i] if 0 <= i < len(members) else MISSING


def walk(v: Any, path: list[Any], is_json: bool, text_index: bool = True) -> Any:
    """The part of ``v`` at ``path`` (a #> path, text steps index arrays; with
    ``text_index`` false, the one step of ->, text a key only), or MISSING."""
    if not is_json:
        v = T.jsonb_doc(v)
    for step in path:
        if step is None:
            return MISSING
        v = child(v, step, is_json, text_index)
        if v is MISSING:
            return MISSING
    return v


def as_value(part: Any, is_json: bool) -> Any:
    """A part found by ``walk`` as a json or jsonb value (MISSING is SQL NULL)."""
    if part is MISSING:
        return None
    return part if is_json else T.jsonb_value(part)


def as_text(part: Any, is_json: bool) -> str | None:
    """A part found by ``walk`` as ->> gives it: a string de-escaped, a JSON null NULL."""
    if part is MISSING:
        return None
    if is_json:
        return _json_scalar_text(part)
    if part is None or part is T.JSON_NULL:
        return None
    return part if isinstance(part, str) else T.format_jsonb(part)


# -- the operators ----------------------------------------------------------------------------


def _operand(c: ExprCompiler, a: Typed, other: SqlType) -> Typed:
    if a.type.name == "unknown":
        return coerce_to(a, T.JSONB if other.name != "json" else T.JSON)
    return a


def is_function_form(e: exp.Expr) -> bool:
    """Whether sqlglot's JSONExtract(Scalar) ``e`` is json_extract_path(_text), not -> (->>)."""
    return e.args.get("only_json_types") is False or bool(e.args.get("expressions"))


def compile_get(c: ExprCompiler, e: exp.Expr, text_out: bool, path_op: bool) -> Typed:
    """``->``/``->>`` (one key or index) and ``#>``/``#>>`` (a text[] path) on json and jsonb."""
    doc = c.compile(e.this)
    op = ("#>>" if text_out else "#>") if path_op else ("->>" if text_out else "->")
    if doc.type.name == "unknown":
        doc = coerce_to(doc, T.JSON)
    if doc.type.name not in ("json", "jsonb"):
        raise UndefinedFunction(f"operator does not exist: {doc.type.display()} {op} unknown")
    is_json = doc.type.name == "json"
    path_expr = e.expression
    function_form = is_function_form(e)
    text_index = path_op or function_form
    if function_form and not isinstance(path_expr, exp.JSONPath):
        path = _variadic_text(c, [path_expr, *e.expressions])
    elif isinstance(path_expr, exp.JSONPath):
        steps: list[Any] = []
        for p in path_expr.expressions:
            if isinstance(p, exp.JSONPathKey):
                steps.append(str(p.this))
            elif isinstance(p, exp.JSONPathSubscript):
                # json_extract_path(j, '0'), which sqlglot parses so, takes text keys
                steps.append(int(p.this) if e.args.get("only_json_types") else str(p.this))
        path = Typed(lambda _r: steps, T.TEXT.array_of(), True)
    else:
        key = c.compile(path_expr)
        if path_op:
            key = coerce_to(key, T.TEXT.array_of())
        elif key.type.name == "unknown":
            key = coerce_to(key, T.TEXT)
        elif key.type.name in ("smallint", "bigint"):
            key = coerce_to(key, T.INT4)
        if not path_op and key.type.name not in ("text", "integer"):
            raise UndefinedFunction(
                f"operator does not exist: {doc.type.display()} {op} {key.type.display()}"
            )
        kf = key.fn
        path = Typed(
            (lambda r: kf(r)) if path_op else (lambda r: [kf(r)]), T.TEXT.array_of(), key.const
        )
    f, pf = doc.fn, path.fn
    out_type = T.TEXT if text_out else doc.type

    def run(r: Row) -> Any:
        v = f(r)
        if v is None:
            return None
        steps = pf(r)
        if steps is None:
            return None
        if path_op and any(isinstance(s, list) for s in steps):
            return None
        if not (is_json or path_op) and isinstance(steps[0], int) and kind_of(v) != "object":
            # PostgreSQL stores a scalar jsonb as a one-element array, and -> int sees that
            v = v if isinstance(v, list) else [T.jsonb_doc(v)]
        part = walk(v, steps, is_json, text_index)
        return as_text(part, is_json) if text_out else as_value(part, is_json)

    return Typed(run, out_type, doc.const and path.const)


def _lowered(base: exp.Expr, index: exp.Expr) -> bool:
    """Whether sqlglot lowered ``base[index]``'s index by one when parsing: it does so (for
    1-based arrays) when it took ``base`` for an array or did not know its type, and the
    index for an integer; jsonb's subscripts are 0-based, so the lowering is undone."""
    bt = base.type or annotate_types(base.copy(), dialect="postgres").type
    if bt is not None and bt.this not in (exp.DataType.Type.UNKNOWN, exp.DataType.Type.ARRAY):
        return False
    it = index.type or annotate_types(index.copy(), dialect="postgres").type
    return it is not None and it.this in exp.DataType.INTEGER_TYPES


def _plus_one(g: Callable[[Row], Any]) -> Callable[[Row], Any]:
    return lambda r: None if (v := g(r)) is None else v + 1


def compile_subscript(c: ExprCompiler, doc: Typed, e: exp.Bracket) -> Typed:
    """``jsonb[key]`` and ``jsonb[index]`` (0-based, negative from the end), as -> chained."""
    levels: list[tuple[exp.Expr, exp.Expr]] = []
    node: exp.Expr = e
    while isinstance(node, exp.Bracket):
        levels.insert(0, (node.expressions[0], node.this))
        node = node.this
    steps: list[Typed] = []
    for x, base in levels:
        t = c.compile(x)
        if t.type.name == "unknown":
            t = coerce_to(t, T.TEXT)
        elif t.type.name in ("smallint", "bigint"):
            t = coerce_to(t, T.INT4)
        if t.type.name not in ("text", "integer"):
            raise DatatypeMismatch("subscript type " + t.type.display() + " is not supported")
        if t.type.name == "integer" and _lowered(base, x):
            t = Typed(_plus_one(t.fn), T.INT4, t.const)
        steps.append(t)
    f, fns = doc.fn, [s.fn for s in steps]

    def run(r: Row) -> Any:
        v = f(r)
        if v is None:
            return None
        path = [g(r) for g in fns]
        if any(p is None for p in path):
            return None
        return as_value(walk(v, path, False, False), False)

    return Typed(run, T.JSONB, doc.const and all(s.const for s in steps))


def _binary(
    c: ExprCompiler,
    e: exp.Binary,
    op: str,
    right: SqlType | None,
    fn: Callable[[Any, Any], Any],
    rtype: SqlType,
) -> Typed:
    a, b = c.compile(e.this), c.compile(e.expression)
    if a.type.name == "unknown":
        a = coerce_to(a, T.JSONB)
    if right is not None and b.type.name == "unknown":
        b = coerce_to(b, right)
    if a.type.name != "jsonb" or (right is not None and b.type != right):
        raise UndefinedFunction(
            f"operator does not exist: {a.type.display()} {op} {b.type.display()}"
        )
    fa, fb = a.fn, b.fn

    def run(r: Row) -> Any:
        x = fa(r)
        if x is None:
            return None
        y = fb(r)
        if y is None:
            return None
        return fn(T.jsonb_doc(x), y)

    return Typed(run, rtype, a.const and b.const)


def compile_operator(c: ExprCompiler, e: exp.Binary, op: str) -> Typed:
    """The jsonb operators other than the getters, by PostgreSQL's name."""
    if op in ("@>", "<@"):

        def cont(x: Any, y: Any) -> bool:
            y = T.jsonb_doc(y)
            return contains(x, y) if op == "@>" else contains(y, x)

        return _binary(c, e, op, T.JSONB, cont, T.BOOL)
    if op == "?":
        return _binary(c, e, op, T.TEXT, has_key, T.BOOL)
    if op == "?|":
        return _binary(
            c,
            e,
            op,
            T.TEXT.array_of(),
            lambda x, ks: any(k is not None and has_key(x, k) for k in ks),
            T.BOOL,
        )
    if op == "?&":
        return _binary(
            c,
            e,
            op,
            T.TEXT.array_of(),
            lambda x, ks: all(k is not None and has_key(x, k) for k in ks),
            T.BOOL,
        )
    if op == "||":
        return _binary(
            c, e, op, T.JSONB, lambda x, y: T.jsonb_value(concat(x, T.jsonb_doc(y))), T.JSONB
        )
    if op == "#-":
        return _binary(
            c, e, op, T.TEXT.array_of(), lambda x, p: T.jsonb_value(delete_path(x, p)), T.JSONB
        )
    if op == "-":
        b = c.compile(e.expression)
        right = b.type if b.type.name in ("integer", "text") or b.type.element else T.TEXT
        if right.name in ("smallint", "bigint"):
            right = T.INT4
        return _binary(c, e, op, right, lambda x, y: T.jsonb_value(delete(x, y)), T.JSONB)
    raise UndefinedFunction(f"operator does not exist: jsonb {op}")


def is_jsonb_operation(c: ExprCompiler, e: exp.Binary, left_only: bool = False) -> bool:
    """Whether an operator sqlglot shares with arrays, text or numbers (@> <@ || -) is the
    jsonb one here: its left side is jsonb (or untyped, beside a jsonb right side)."""
    try:
        left = c.compile(e.this).type.name
        if left == "jsonb" or left_only:
            return left == "jsonb"
        return left == "unknown" and c.compile(e.expression).type.name == "jsonb"
    except Db9Error:  # not ours: the operator's own compile reports it
        return False


# -- paths: jsonb_set, jsonb_insert, #- ------------------------------------------------------


def _path_index(step: str, n: int, pos: int) -> int:
    i = _index(step)
    if i is None:
        raise InvalidTextRepresentation(
            f'path element at position {pos} is not an integer: "{step}"'
        )
    return i


def delete_path(d: Any, path: list[Any]) -> Any:
    if not isinstance(d, dict | list):
        raise InvalidParameterValue("cannot delete path in scalar")
    if not path or not d:
        return d
    if any(p is None for p in path):
        raise InvalidParameterValue("path element at position 1 is null")
    return _delete_at(d, path, 1)


def _delete_at(d: Any, path: list[str], pos: int) -> Any:
    step = path[0]
    if isinstance(d, dict):
        if step not in d:
            return d
        if len(path) == 1:
            return {k: v for k, v in d.items() if k != step}
        return {**d, step: _delete_at(d[step], path[1:], pos + 1)}
    if isinstance(d, list):
        i = _path_index(step, len(d), pos)
        if i < 0:
            i += len(d)
        if not 0 <= i < len(d):
            return d
        if len(path) == 1:
            return d[:i] + d[i + 1 :]
        return [*d[:i], _delete_at(d[i], path[1:], pos + 1), *d[i + 1 :]]
    return d


def set_path(d: Any, path: list[Any], new: Any, create: bool, insert: str | None) -> Any:
    """jsonb_set (``insert`` None) and jsonb_insert (``insert`` "before"/"after")."""
    if not isinstance(d, dict | list):
        raise InvalidParameterValue("cannot set path in scalar")
    for pos, p in enumerate(path, 1):
        if p is None:
            raise InvalidParameterValue(f"path element at position {pos} is null")
    if not path:
        return d
    return _set_at(d, path, new, create, insert, 1)


def _set_at(d: Any, path: list[str], new: Any, create: bool, insert: str | None, pos: int) -> Any:
    step = path[0]
    last = len(path) == 1
    if isinstance(d, dict):
        if step in d:
            if last:
                if insert is not None:
                    raise InvalidParameterValue(
                        "cannot replace existing key",
                        hint="Try using the function jsonb_set to replace key value.",
                    )
                return {**d, step: new}
            return {**d, step: _set_at(d[step], path[1:], new, create, insert, pos + 1)}
        if last and (create or insert is not None):
            return {**d, step: new}
        return d
    if isinstance(d, list):
        i = _path_index(step, len(d), pos)
        n = len(d)
        if i < 0:
            i += n
            if i < 0:
                if last and (create or insert is not None):
                    return [new, *d]
                return d
        if i >= n:
            if last and (create or insert is not None):
                return [*d, new]
            return d
        if last:
            if insert is None:
                return [*d[:i], new, *d[i + 1 :]]
            at = i + 1 if insert == "after" else i
            return [*d[:at], new, *d[at:]]
        return [*d[:i], _set_at(d[i], path[1:], new, create, insert, pos + 1), *d[i + 1 :]]
    return d


def pretty(d: Any, indent: int = 0) -> str:
    """jsonb_pretty: four spaces a level, one member a line."""
    pad = "    " * (indent + 1)
    if isinstance(d, dict):
        if not d:
            return "{\n" + "    " * indent + "}"
        keys = sorted(d, key=lambda k: (len(k.encode()), k.encode()))
        body = ",\n".join(pad + _quote(k) + ": " + pretty(d[k], indent + 1) for k in keys)
        return "{\n" + body + "\n" + "    " * indent + "}"
    if isinstance(d, list):
        if not d:
            return "[\n" + "    " * indent + "]"
        body = ",\n".join(pad + pretty(x, indent + 1) for x in d)
        return "[\n" + body + "\n" + "    " * indent + "]"
    return T.format_jsonb(d)


def strip_nulls(d: Any) -> Any:
    if isinstance(d, dict):
        return {k: strip_nulls(v) for k, v in d.items() if v is not None}
    if isinstance(d, list):
        return [strip_nulls(x) for x in d]
    return d


# -- functions --------------------------------------------------------------------------------

_JSONB_OUT = {"jsonb_set", "jsonb_insert", "jsonb_strip_nulls", "jsonb_extract_path"}


def _doc_arg(a: Typed, want: SqlType) -> Typed:
    if a.type.name == "unknown":
        a = coerce_to(a, want)
    if a.type.name != want.name:
        raise UndefinedFunction(f"function does not exist for {a.type.display()}")
    return a


def _variadic_text(c: ExprCompiler, raw: list[exp.Expr]) -> Typed:
    if len(raw) == 1 and isinstance(raw[0], exp.Anonymous | exp.Expr) and _is_variadic(raw[0]):
        arr = coerce_to(c.compile(raw[0].this), T.TEXT.array_of())
        return arr
    parts = [coerce_to(c.compile(x), T.TEXT) for x in raw]
    fns = [p.fn for p in parts]
    return Typed(lambda r: [f(r) for f in fns], T.TEXT.array_of(), all(p.const for p in parts))


def _is_variadic(e: exp.Expr) -> bool:
    return type(e).__name__ == "Variadic" or (
        isinstance(e, exp.Anonymous) and str(e.this).lower() == "variadic"
    )


def _strict(fn: Callable[..., Any], args: list[Typed], rtype: SqlType, name: str) -> Typed:
    fns = [a.fn for a in args]

    def run(r: Row) -> Any:
        vals = [f(r) for f in fns]
        if any(v is None for v in vals):
            return None
        return fn(*vals)

    return Typed(run, rtype, all(a.const for a in args), name)


def compile_call(c: ExprCompiler, name: str, raw: list[exp.Expr]) -> Typed:
    """A json/jsonb function (``name`` in FUNCTIONS) called in an expression."""
    jt = T.JSONB if name.startswith("jsonb") else T.JSON
    is_json = jt is T.JSON
    if name in ("json_build_object", "jsonb_build_object", "json_build_array", "jsonb_build_array"):
        return _build(c, name, raw)
    if name in ("to_json", "to_jsonb"):
        if len(raw) != 1:
            raise UndefinedFunction(f"function {name}() does not exist")
        a = c.compile(raw[0])
        if a.type.name == "unknown":
            a = coerce_to(a, T.TEXT)
        at = a.type
        if name == "to_json":
            return _strict(lambda v: to_json_text(v, at), [a], T.JSON, name)
        return _strict(lambda v: T.jsonb_value(to_doc(v, at)), [a], T.JSONB, name)
    if name in ("json_populate_record", "jsonb_populate_record"):
        return compile_populate(c, name, raw)
    if name == "row_to_json":
        row = c.compile(raw[0]) if raw else None
        if row is None or row.type.fields is None or len(raw) > 2:
            shown = ", ".join(c.compile(x).type.display() for x in raw)
            raise UndefinedFunction(f"function row_to_json({shown}) does not exist")
        rt = row.type
        pretty_row = [coerce_to(c.compile(raw[1]), T.BOOL)] if len(raw) > 1 else []
        return _strict(lambda v, p=False: record_json(v, rt, p), [row, *pretty_row], T.JSON, name)
    if name == "array_to_json":
        a = c.compile(raw[0])
        if a.type.element is None:
            raise UndefinedFunction(f"function array_to_json({a.type.display()}) does not exist")
        at = a.type
        pretty_arg = coerce_to(c.compile(raw[1]), T.BOOL) if len(raw) > 1 else None

        def arr_json(v: Any, p: bool = False) -> str:
            parts = [to_json_text(x, _sub(x, at)) for x in v]
            return "[" + (",\n " if p else ",").join(parts) + "]"

        args = [a] if pretty_arg is None else [a, pretty_arg]
        return _strict(arr_json, args, T.JSON, name)
    if name in ("json_object", "jsonb_object"):
        return _object(c, name, raw, jt)
    if name in (
        "jsonb_path_exists",
        "jsonb_path_query",
        "jsonb_path_match",
        "jsonb_path_query_array",
        "jsonb_path_query_first",
    ):
        raise FeatureNotSupported(f"function {name} (SQL/JSON path) is not supported")
    args = [c.compile(x) for x in raw]
    if not args:
        raise UndefinedFunction(f"function {name}() does not exist")
    doc = _doc_arg(args[0], jt)
    base = name.removeprefix("jsonb_").removeprefix("json_")
    if base == "typeof":
        return _strict(lambda v: kind_of(doc_of(v, jt)), [doc], T.TEXT, name)
    if base == "array_length":

        def length(v: Any) -> int:
            d = doc_of(v, jt)
            if isinstance(d, list):
                return len(d)
            if isinstance(d, dict):
                raise InvalidParameterValue("cannot get array length of a non-array")
            raise InvalidParameterValue("cannot get array length of a scalar")

        return _strict(length, [doc], T.INT4, name)
    if base in ("extract_path", "extract_path_text"):
        path = _variadic_text(c, raw[1:])
        text_out = base.endswith("text")

        def extract(v: Any, p: list[Any]) -> Any:
            part = walk(v, p, is_json)
            return as_text(part, is_json) if text_out else as_value(part, is_json)

        return _strict(extract, [doc, path], T.TEXT if text_out else jt, name)
    if base == "strip_nulls":
        if is_json:
            return _strict(lambda v: compact(strip_nulls(doc_of(v, jt))), [doc], jt, name)
        return _strict(lambda v: T.jsonb_value(strip_nulls(T.jsonb_doc(v))), [doc], jt, name)
    if name == "jsonb_pretty":
        return _strict(lambda v: pretty(T.jsonb_doc(v)), [doc], T.TEXT, name)
    if name in ("jsonb_set", "jsonb_insert", "jsonb_set_lax"):
        if len(args) < 3:
            raise UndefinedFunction(f"function {name}() does not exist")
        path = coerce_to(args[1], T.TEXT.array_of())
        new = _doc_arg(args[2], T.JSONB)
        flag = (
            coerce_to(args[3], T.BOOL)
            if len(args) > 3
            else Typed(lambda _r: name == "jsonb_set", T.BOOL, True)
        )
        insert = name == "jsonb_insert"

        def setter(v: Any, p: list[Any], n: Any, f: bool) -> Any:
            mode = ("after" if f else "before") if insert else None
            d = set_path(T.jsonb_doc(v), p, T.jsonb_doc(n), bool(f), mode)
            return T.jsonb_value(d)

        return _strict(setter, [doc, path, new, flag], T.JSONB, name)
    if name in ("jsonb_concat", "jsonb_contains", "jsonb_contained", "jsonb_exists"):
        other = coerce_to(args[1], T.TEXT if name == "jsonb_exists" else T.JSONB)

        def op2(v: Any, w: Any) -> Any:
            x = T.jsonb_doc(v)
            if name == "jsonb_exists":
                return has_key(x, w)
            y = T.jsonb_doc(w)
            if name == "jsonb_concat":
                return T.jsonb_value(concat(x, y))
            return contains(x, y) if name == "jsonb_contains" else contains(y, x)

        rt = T.JSONB if name == "jsonb_concat" else T.BOOL
        return _strict(op2, [doc, other], rt, name)
    raise UndefinedFunction(f"function {name}() does not exist")


def _object(c: ExprCompiler, name: str, raw: list[exp.Expr], jt: SqlType) -> Typed:
    """json_object(text[]) of pairs or of a two-column array, and json_object(keys, values)."""
    args = [coerce_to(c.compile(x), T.TEXT.array_of()) for x in raw]
    if len(args) not in (1, 2):
        raise UndefinedFunction(f"function {name}() does not exist")

    def pairs_of(v: Any, w: Any = None) -> Any:
        if w is not None:
            if _depth(v) > 1 or _depth(w) > 1:
                raise ArraySubscriptError("wrong number of array subscripts")
            if len(v) != len(w):
                raise ArraySubscriptError("mismatched array dimensions")
            pairs = list(zip(v, w, strict=True))
        elif v and isinstance(v[0], list):
            if _depth(v) != 2 or any(len(x) != 2 for x in v):
                raise ArraySubscriptError("array must have two columns")
            pairs = [(x[0], x[1]) for x in v]
        else:
            if _depth(v) > 2:
                raise ArraySubscriptError("wrong number of array subscripts")
            if len(v) % 2:
                raise ArraySubscriptError("array must have even number of elements")
            pairs = list(zip(v[::2], v[1::2], strict=True))
        for k, _ in pairs:
            if k is None:
                raise NullValueNotAllowed("null value not allowed for object key")
        if jt is T.JSONB:
            return dict(pairs)
        return (
            "{"
            + ", ".join(_quote(k) + " : " + ("null" if x is None else _quote(x)) for k, x in pairs)
            + "}"
        )

    return _strict(pairs_of, args, jt, name)


def _depth(v: Any) -> int:
    n = 1
    while v and isinstance(v[0], list):
        n += 1
        v = v[0]
    return n


def _build(c: ExprCompiler, name: str, raw: list[exp.Expr]) -> Typed:
    if len(raw) == 1 and _is_variadic(raw[0]):
        arr = c.compile(raw[0].this)
        if arr.type.name == "unknown":
            arr = coerce_to(arr, T.TEXT.array_of())
        if arr.type.element is None:
            raise SyntaxError_("VARIADIC argument must be an array")
        elem = arr.type.element
        af = arr.fn
        is_obj = name.endswith("object")

        def spread(r: Row) -> Any:
            v = af(r)
            if v is None:
                return None
            return _assemble(name, [(x, elem) for x in _flat(v, elem)], is_obj)

        return Typed(spread, T.JSONB if name.startswith("jsonb") else T.JSON, name=name)
    args = [c.compile(a) for a in raw]
    args = [coerce_to(a, T.TEXT) if a.type.name == "unknown" else a for a in args]
    is_object = name.endswith("object")
    if is_object and len(args) % 2:
        raise InvalidParameterValue(
            "argument list must have even number of elements",
            hint=f"The arguments of {name}() must consist of alternating keys and values.",
        )
    fns = [(a.fn, a.type) for a in args]
    rtype = T.JSONB if name.startswith("jsonb") else T.JSON
    return Typed(
        lambda r: _assemble(name, [(f(r), t) for f, t in fns], is_object), rtype, name=name
    )


def _assemble(name: str, vals: list[tuple[Any, SqlType]], is_object: bool) -> Any:
    if is_object and len(vals) % 2:
        raise InvalidParameterValue("argument list must have even number of elements")
    keys = vals[::2]
    if is_object:
        for i, (k, _) in enumerate(keys):
            if k is None:
                raise InvalidParameterValue(f"argument {2 * i + 1}: key must not be null")
    if name.startswith("jsonb"):
        if is_object:
            return {
                _key_text(k, t): to_doc(v, vt)
                for (k, t), (v, vt) in zip(vals[::2], vals[1::2], strict=True)
            }
        return [to_doc(v, t) for v, t in vals]
    if is_object:
        return (
            "{"
            + ", ".join(
                _quote(_key_text(k, t)) + " : " + to_json_text(v, vt)
                for (k, t), (v, vt) in zip(vals[::2], vals[1::2], strict=True)
            )
            + "}"
        )
    return "[" + ", ".join(to_json_text(v, t) for v, t in vals) + "]"


def _flat(v: list[Any], elem: SqlType) -> list[Any]:
    """The elements of a (maybe multi-dimensional) array in storage order."""
    out: list[Any] = []
    for x in v:
        if T.is_subarray(x, elem):
            out.extend(_flat(x, elem))
        else:
            out.append(x)
    return out


def _key_text(k: Any, t: SqlType) -> str:
    if t.element is not None or t.fields is not None or t.name in ("json", "jsonb"):
        raise InvalidParameterValue("key value must be scalar, not array, composite, or json")
    if isinstance(k, str):
        return k
    text = T.format_value(k, t)
    assert text is not None
    return text


FUNCTIONS = frozenset(
    f"{p}_{base}"
    for p in ("json", "jsonb")
    for base in (
        "build_object",
        "build_array",
        "object",
        "typeof",
        "array_length",
        "extract_path",
        "extract_path_text",
        "strip_nulls",
    )
) | {
    "to_json",
    "to_jsonb",
    "row_to_json",
    "json_populate_record",
    "jsonb_populate_record",
    "array_to_json",
    "jsonb_pretty",
    "jsonb_set",
    "jsonb_insert",
    "jsonb_set_lax",
    "jsonb_concat",
    "jsonb_contains",
    "jsonb_contained",
    "jsonb_exists",
    "jsonb_path_exists",
    "jsonb_path_query",
    "jsonb_path_match",
    "jsonb_path_query_array",
    "jsonb_path_query_first",
}


# -- set-returning functions ------------------------------------------------------------------

SRFS = frozenset(
    f"{p}_{base}"
    for p in ("json", "jsonb")
    for base in ("each", "each_text", "object_keys", "array_elements", "array_elements_text")
)


def compile_set(
    c: ExprCompiler, name: str, raw: list[exp.Expr]
) -> tuple[Callable[[Row], list[tuple[Any, ...]]], list[tuple[str, SqlType]]]:
    """A json set-returning function: a function from a row to its rows, and its columns."""
    jt = T.JSONB if name.startswith("jsonb") else T.JSON
    is_json = jt is T.JSON
    if len(raw) != 1:
        raise UndefinedFunction(f"function {name}() does not exist")
    doc = _doc_arg(c.compile(raw[0]), jt)
    base = name.removeprefix("jsonb_").removeprefix("json_")
    as_text_out = base.endswith("_text")
    value_type = T.TEXT if as_text_out else jt
    f = doc.fn

    def members(v: Any, want: str) -> list[tuple[str | None, Any]]:
        if is_json:
            kind, items = raw_items(v)
            if kind == "object":
                got = "object"
                pairs: list[tuple[str | None, Any]] = list(items)
            elif kind == "array":
                got = "array"
                pairs = list(items)
            else:
                got = "scalar"
                pairs = []
        else:
            d = T.jsonb_doc(v)
            if isinstance(d, dict):
                got, pairs = "object", list(d.items())
            elif isinstance(d, list):
                got, pairs = "array", [(None, x) for x in d]
            else:
                got, pairs = "scalar", []
        if got != want:
            if want == "object":
                what = "a scalar" if got == "scalar" else "an array"
                raise InvalidParameterValue(f"cannot call {name} on {what}")
            if got == "scalar":
                raise InvalidParameterValue("cannot extract elements from a scalar")
            raise InvalidParameterValue("cannot extract elements from an object")
        return pairs

    def value(x: Any) -> Any:
        return as_text(x, is_json) if as_text_out else as_value(x, is_json)

    if base in ("each", "each_text"):

        def each(r: Row) -> list[tuple[Any, ...]]:
            v = f(r)
            return [] if v is None else [(k, value(x)) for k, x in members(v, "object")]

        return each, [("key", T.TEXT), ("value", value_type)]
    if base == "object_keys":

        def keys(r: Row) -> list[tuple[Any, ...]]:
            v = f(r)
            return [] if v is None else [(k,) for k, _ in members(v, "object")]

        return keys, [(name, T.TEXT)]

    def elements(r: Row) -> list[tuple[Any, ...]]:
        v = f(r)
        return [] if v is None else [(value(x),) for _, x in members(v, "array")]

    return elements, [("value", value_type)]


# -- aggregates -------------------------------------------------------------------------------

AGGREGATES = frozenset(["json_agg", "jsonb_agg", "json_object_agg", "jsonb_object_agg"])


def aggregate_input(name: str, args: list[Typed]) -> tuple[Typed, SqlType]:
    """What a json aggregate collects per row (never None, so NULL inputs count) and its
    result type: json_agg keeps each value's json text, the others documents or pairs."""
    want = 2 if "object" in name else 1
    if len(args) != want:
        raise UndefinedFunction(f"function {name} with {len(args)} arguments does not exist")
    args = [coerce_to(a, T.TEXT) if a.type.name == "unknown" else a for a in args]
    fns = [(a.fn, a.type) for a in args]
    rtype = T.JSONB if name.startswith("jsonb") else T.JSON
    if want == 1:
        ((f, t),) = fns
        if rtype is T.JSON:
            structured = t.element is not None or t.fields is not None
            return Typed(lambda r: [structured, to_json_text(f(r), t)], T.JSON), rtype
        return Typed(lambda r: [to_doc(f(r), t)], T.JSONB), rtype
    (fk, tk), (fv, tv) = fns

    def pair(r: Row) -> list[Any]:
        k = fk(r)
        if k is None:
            raise InvalidParameterValue("field name must not be null")
        key = _key_text(k, tk) if tk.element is None else T.format_value(k, tk)
        v = fv(r)
        return [key, to_json_text(v, tv) if rtype is T.JSON else to_doc(v, tv)]

    return Typed(pair, rtype), rtype


def aggregate_result(name: str, items: list[list[Any]]) -> Any:
    """The value of a json aggregate over what ``aggregate_input`` collected, in order."""
    if name == "json_agg":
        parts = [("\n " if structured and i else "") + text
                 for i, (structured, text) in enumerate(items)]  # fmt: skip
        return "[" + ", ".join(parts) + "]"
    if name == "jsonb_agg":
        return [d for (d,) in items]
    if name == "json_object_agg":
        return "{ " + ", ".join(f"{_quote(k)} : {v}" for k, v in items) + " }"
    return {k: v for k, v in items}


# -- json(b)_to_record(set), json(b)_populate_record(set) --------------------------------------

RECORD_SRFS = frozenset(
    f"{p}_{base}"
    for p in ("json", "jsonb")
    for base in ("to_record", "to_recordset", "populate_record", "populate_recordset")
)


def compile_records(
    c: ExprCompiler,
    name: str,
    doc_expr: exp.Expr,
    columns: list[tuple[str, SqlType]],
    base: exp.Expr | None = None,
) -> Callable[[Row], list[tuple[Any, ...]]]:
    """The rows of json(b)_to_record(set) and populate_record(set) as ``columns``: each
    object's member of a column's name, as that column's type; a member an object lacks is
    the ``base`` record's field (populate_record's first argument), else NULL."""
    jt = T.JSONB if name.startswith("jsonb") else T.JSON
    doc = _doc_arg(c.compile(doc_expr), jt)
    fallback = c.compile(base).fn if base is not None else (lambda _r: None)
    many = name.endswith("set")
    f = doc.fn
    checks = [domain_check(t) if t.domain is not None else _same for _, t in columns]
    defaults: tuple[Any, ...] = tuple(None for _ in columns)

    def record(d: Any, raw: str | None) -> tuple[Any, ...]:
        if not isinstance(d, dict):
            raise InvalidParameterValue(
                f"cannot call {name} on {'a scalar' if not isinstance(d, list) else 'an array'}"
                if not many
                else "argument of json_populate_recordset must be an array of objects"
            )
        # A json column keeps its member's text as written (json input only).
        written = dict(raw_items(raw)[1]) if raw is not None else {}
        return tuple(
            check(
                (written[col] if t.name == "json" and col in written
                 else _column_value(d[col], t, default))
                if col in d
                else default
            )
            for (col, t), check, default in zip(columns, checks, defaults, strict=True)
        )  # fmt: skip

    def rows(r: Row) -> list[tuple[Any, ...]]:
        nonlocal defaults
        defaults = fallback(r) or defaults
        v = f(r)
        if v is None:
            return [] if many else [tuple(None for _ in columns)]
        d = doc_of(v, jt)
        text = v if jt is T.JSON and isinstance(v, str) else None
        if not many:
            return [record(d, text)]
        if not isinstance(d, list):
            what = "an object" if isinstance(d, dict) else "a scalar"
            raise InvalidParameterValue(f"cannot call {name} on {what}")
        raws: list[str | None] = [x for _, x in raw_items(text)[1]] if text else [None] * len(d)
        return [record(x, w) for x, w in zip(d, raws, strict=True)]

    return rows


def compile_populate(c: ExprCompiler, name: str, raw: list[exp.Expr]) -> Typed:
    """json(b)_populate_record in an expression: a value of its base record's type."""
    if len(raw) != 2:
        raise UndefinedFunction(f"function {name}() does not exist")
    base = c.compile(raw[0])
    t = base.type
    if t.fields is None or not t.fields:
        raise FeatureNotSupported(f"could not determine row type for result of {name}")
    rows = compile_records(c, name, raw[1], list(t.fields), raw[0])
    check = domain_check(t) if t.domain is not None else _same
    return Typed(lambda r: check(rows(r)[0]), t, False, name)


POPULATE_SETS = frozenset({"json_populate_recordset", "jsonb_populate_recordset"})


def compile_populate_set(
    c: ExprCompiler, name: str, raw: list[exp.Expr]
) -> tuple[Callable[[Row], list[Any]], SqlType]:
    """json(b)_populate_recordset in a select list: its records, of its base record's type."""
    if len(raw) != 2:
        raise UndefinedFunction(f"function {name}() does not exist")
    t = c.compile(raw[0]).type
    if t.fields is None or not t.fields:
        raise FeatureNotSupported(f"could not determine row type for result of {name}")
    rows = compile_records(c, name, raw[1], list(t.fields), raw[0])
    check = domain_check(t) if t.domain is not None else _same
    return (lambda r: [check(x) for x in rows(r)]), t


def _same(v: Any) -> Any:
    return v


def _column_value(d: Any, t: SqlType, default: Any = None) -> Any:
    """A JSON member as a column of type ``t``: null is NULL, json/jsonb keep it, a string's
    text and other scalars' JSON text go through ``t``'s input function, arrays element-wise."""
    if d is None:
        return None
    if t.name == "json":
        return compact(d) if isinstance(d, dict | list) else T.format_jsonb(d)
    if t.name == "jsonb":
        return T.jsonb_value(d)
    if t.fields is not None and isinstance(d, dict):  # a composite from an object
        base = default if isinstance(default, tuple) else (None,) * len(t.fields)
        return tuple(
            _column_value(d[n], ft, b) if n in d else b
            for (n, ft), b in zip(t.fields, base, strict=True)
        )
    if t.element is not None and isinstance(d, list):
        return [_column_value(x, t if isinstance(x, list) else t.element) for x in d]
    if isinstance(d, dict | list):
        if t.element is not None:
            raise InvalidTextRepresentation("expected JSON array", hint="")
        return T.parse_text(compact(d), t)
    return T.parse_text(d if isinstance(d, str) else T.format_jsonb(d), t)
