"""The text search functions and operators by PostgreSQL's names and argument types:
to_tsvector, json(b)_to_tsvector, to_tsquery and its plain/phrase/web-search forms,
ts_headline, setweight, strip, length, numnode, querytree, get_current_ts_config, and the
operators ``@@``, ``||`` (tsvector, tsquery), ``&&`` and ``!!`` (tsquery).

A form without a configuration reads default_text_search_config when it runs, so it is
never folded into a constant.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from sql import ts_config as C
from sql import types as T
from sql.casts import coerce_to
from sql.errors import (
    InvalidParameterValue,
    NullValueNotAllowed,
    ZeroLengthCharacterString,
)
from sql.functions_text import no_such_function, strict_call
from sql.scope import Context, Typed
from sql.ts_match import headline, headline_options, matches
from sql.ts_rank import ts_rank, ts_rank_cd, weights_arg
from sql.ts_values import (
    AND,
    MAX_POS,
    NOT,
    OR,
    PHRASE,
    Operator,
    TsQuery,
    TsVector,
    make_tsvector,
)

_QUERY_BUILDERS: dict[str, Callable[[C.Config, str], TsQuery]] = {
    "to_tsquery": C.to_tsquery,
    "plainto_tsquery": C.plainto_tsquery,
    "phraseto_tsquery": C.phraseto_tsquery,
    "websearch_to_tsquery": C.websearch_to_tsquery,
}
NAMES = frozenset({
    "to_tsvector", "json_to_tsvector", "jsonb_to_tsvector", "ts_headline", "setweight",
    "strip", "numnode", "querytree", "get_current_ts_config", "tsvector_to_array",
    "array_to_tsvector", "ts_delete", "ts_filter", "ts_rank", "ts_rank_cd", "tsquery_phrase",
    *_QUERY_BUILDERS,
})  # fmt: skip
_TEXTS = frozenset({"text", "character varying", "character", "name", "unknown"})


def _default_config(ctx: Context) -> Callable[[], C.Config]:
    def get() -> C.Config:
        session = ctx.session
        name = session.settings.get("default_text_search_config") if session else None
        return C.config(name or "english")

    return get


def _call(name: str, args: list[Typed], rtype: T.SqlType, impl: Callable[..., Any],
          ctx: Context | None) -> Typed:  # fmt: skip
    """A strict call; with ``ctx`` the default configuration is passed first, read at run
    time (the call is then not constant)."""
    if ctx is None:
        return strict_call(name, args, rtype, impl)
    get = _default_config(ctx)
    fns = [a.fn for a in args]

    def run(r: Any) -> Any:
        values = [f(r) for f in fns]
        return None if any(v is None for v in values) else impl(get(), *values)

    return Typed(run, rtype, False, name)


def _config_arg(a: Typed) -> Typed:
    """A configuration argument: a regconfig, or a name as text (42704 if unknown)."""
    if a.type.name not in _TEXTS and a.type.name != "regconfig":
        raise no_such_function("to_tsvector", [a])
    t = coerce_to(a, T.TEXT) if a.type.name != "regconfig" else a
    fn = t.fn

    def run(r: Any) -> C.Config | None:
        v = fn(r)
        return None if v is None else C.config(v)

    return Typed(run, T.REGCONFIG, False, a.name)


def _split_config(name: str, args: list[Typed], n_rest: int) -> tuple[list[Typed], bool]:
    """The arguments with the configuration first (True) or without one (False)."""
    if len(args) == n_rest + 1:
        return [_config_arg(args[0]), *args[1:]], True
    if len(args) == n_rest:
        return args, False
    raise no_such_function(name, args)


# -- json documents ---------------------------------------------------------------------------


def _json_doc(v: Any, type_name: str) -> Any:
    """A json value parsed in document order, or a jsonb value's document; numbers as
    JsonNumber (their text), the json null as None."""
    if type_name == "json":
        return json.loads(v, parse_float=C.JsonNumber, parse_int=C.JsonNumber,
                          parse_constant=C.JsonNumber)  # fmt: skip

    def walk(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: walk(y) for k, y in x.items()}
        if isinstance(x, list):
            return [walk(y) for y in x]
        if x is T.JSON_NULL or x is None:
            return None
        if isinstance(x, bool | str):
            return x
        return C.JsonNumber(T.format_jsonb(x))

    return walk(v)


def _json_strings_vector(kind: str, cfg: C.Config, v: Any, flags: Any = None) -> TsVector:
    """json(b)_to_tsvector of a value of type ``kind``; ``flags`` the jsonb filter (None:
    to_tsvector's, strings only)."""
    chosen = frozenset({"string"}) if flags is None else C.json_flags(T.jsonb_doc(flags))
    return C.json_to_tsvector(cfg, C.json_strings(_json_doc(v, kind), chosen))


def _compile_to_tsvector(name: str, args: list[Typed], ctx: Context) -> Typed:
    rest = 1 if name == "to_tsvector" else 2
    args, has_cfg = _split_config(name, args, rest)
    doc = args[-rest]
    kind = doc.type.name
    impl: Callable[..., TsVector]
    if name == "to_tsvector":
        if kind in ("json", "jsonb"):
            impl = functools.partial(_json_strings_vector, kind)
        elif kind in _TEXTS:
            args[-1] = coerce_to(doc, T.TEXT)
            impl = C.to_tsvector
        else:
            raise no_such_function(name, args)
    else:
        want = "json" if name == "json_to_tsvector" else "jsonb"
        if kind not in (want, "unknown"):
            raise no_such_function(name, args)
        args[-2] = coerce_to(doc, T.JSON if want == "json" else T.JSONB)
        args[-1] = coerce_to(args[-1], T.JSONB)
        impl = functools.partial(_json_strings_vector, want)
    return _call(name, args, T.TSVECTOR, impl, None if has_cfg else ctx)


def _compile_headline(args: list[Typed], ctx: Context) -> Typed:
    name = "ts_headline"
    # ts_headline([config,] document, query [, options])
    n = len(args)
    has_cfg = n == 4 or (n == 3 and args[1].type.name != "tsquery")
    if has_cfg:
        args = [_config_arg(args[0]), *args[1:]]
    body = args[1:] if has_cfg else args
    if len(body) not in (2, 3):
        raise no_such_function(name, args)
    doc, query = body[0], coerce_to(body[1], T.TSQUERY)
    options = coerce_to(body[2], T.TEXT) if len(body) == 3 else None
    kind = doc.type.name
    if kind in _TEXTS:
        doc, rtype = coerce_to(doc, T.TEXT), T.TEXT
    elif kind in ("json", "jsonb"):
        rtype = doc.type
    else:
        raise no_such_function(name, args)

    def impl(cfg: C.Config, v: Any, q: TsQuery, opts: str = "") -> Any:
        parsed = headline_options(opts)
        if kind in ("json", "jsonb"):
            return _json_headline(cfg, v, kind, q, parsed)
        return headline(cfg, v, q, parsed)

    typed = [doc, query] + ([options] if options is not None else [])
    if has_cfg:
        return _call(name, [args[0], *typed], rtype, impl, None)
    return _call(name, typed, rtype, impl, ctx)


def _json_headline(cfg: C.Config, v: Any, kind: str, q: TsQuery, opts: Any) -> Any:
    """The document with each string value (not key) replaced by its headline."""

    def walk(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: walk(y) for k, y in x.items()}
        if isinstance(x, list):
            return [walk(y) for y in x]
        if isinstance(x, str) and not isinstance(x, C.JsonNumber):
            return headline(cfg, x, q, opts)
        return x

    doc = walk(_json_doc(v, kind))
    if kind == "jsonb":
        return T.jsonb_value(T.parse_json(_compact_json(doc), jsonb=True))
    return _compact_json(doc)


def _compact_json(x: Any) -> str:
    """json text as PostgreSQL re-emits a transformed json value: no spaces."""
    if isinstance(x, dict):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + _compact_json(v)
                              for k, v in x.items()) + "}"  # fmt: skip
    if isinstance(x, list):
        return "[" + ",".join(_compact_json(v) for v in x) + "]"
    if isinstance(x, C.JsonNumber):
        return str.__str__(x)
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "true" if x else "false"
    return json.dumps(x, ensure_ascii=False)


_WEIGHT = {"a": 3, "b": 2, "c": 1, "d": 0}


def _setweight(v: TsVector, weight: str, lexemes: list[str] | None = None) -> TsVector:
    w = _WEIGHT.get(weight.lower())
    if w is None:
        raise InvalidParameterValue(f"unrecognized weight: {ord(weight[:1] or chr(0))}")
    chosen = None if lexemes is None else {x for x in lexemes if x is not None}
    return TsVector(tuple(
        (lex, tuple((p, w) for p, _ in ps) if chosen is None or lex in chosen else ps)
        for lex, ps in v.entries
    ))  # fmt: skip


def _array_to_tsvector(xs: list[str | None]) -> TsVector:
    if any(x is None for x in xs):
        raise NullValueNotAllowed("lexeme array may not contain nulls")
    if any(x == "" for x in xs):
        raise ZeroLengthCharacterString("lexeme array may not contain empty strings")
    return make_tsvector({x: [] for x in xs if x is not None})


def _delete(v: TsVector, lexemes: str | list[str | None]) -> TsVector:
    """ts_delete: the vector without the lexemes (an array may hold NULLs: ignored)."""
    drop = {lexemes} if isinstance(lexemes, str) else {x for x in lexemes if x is not None}
    return TsVector(tuple((lex, ps) for lex, ps in v.entries if lex not in drop))


def _filter(v: TsVector, weights: list[str | None]) -> TsVector:
    """ts_filter: the positions of the given weights; lexemes left without any dropped."""
    if any(w is None for w in weights):
        raise NullValueNotAllowed("weight array may not contain nulls")
    keep = set()
    for w in weights:
        assert w is not None
        if w.lower() not in _WEIGHT:
            raise InvalidParameterValue(f'unrecognized weight: "{w}"')
        keep.add(_WEIGHT[w.lower()])
    out = []
    for lex, ps in v.entries:
        kept = tuple((p, wt) for p, wt in ps if wt in keep)
        if kept:
            out.append((lex, kept))
    return TsVector(tuple(out))


def _strip(v: TsVector) -> TsVector:
    return TsVector(tuple((lex, ()) for lex, _ in v.entries))


def _negate(q: TsQuery) -> TsQuery:
    return q if q.root is None else TsQuery(Operator(NOT, q.root))


def _numnode(q: TsQuery) -> int:
    def count(n: Any) -> int:
        if isinstance(n, Operator):
            return 1 + count(n.right) + (count(n.left) if n.left is not None else 0)
        return 1

    return 0 if q.root is None else count(q.root)


def compile_text_search(name: str, args: list[Typed], ctx: Context) -> Typed:
    if name in ("to_tsvector", "json_to_tsvector", "jsonb_to_tsvector"):
        return _compile_to_tsvector(name, args, ctx)
    if name in _QUERY_BUILDERS:
        build = _QUERY_BUILDERS[name]
        args, has_cfg = _split_config(name, args, 1)
        args[-1] = coerce_to(args[-1], T.TEXT, explicit=True)
        return _call(name, args, T.TSQUERY, build, None if has_cfg else ctx)
    if name == "ts_headline":
        return _compile_headline(args, ctx)
    if name == "get_current_ts_config" and not args:
        get = _default_config(ctx)
        return Typed(lambda _r: get().name, T.REGCONFIG, False, name)
    if name == "setweight" and len(args) in (2, 3):
        typed = [coerce_to(args[0], T.TSVECTOR), coerce_to(args[1], T.CHAR)]
        if len(args) == 3:
            typed.append(coerce_to(args[2], T.TEXT.array_of()))
        return strict_call(name, typed, T.TSVECTOR, _setweight)
    if name == "strip" and len(args) == 1:
        return strict_call(name, [coerce_to(args[0], T.TSVECTOR)], T.TSVECTOR, _strip)
    if name == "numnode" and len(args) == 1:
        return strict_call(name, [coerce_to(args[0], T.TSQUERY)], T.INT4, _numnode)
    if name == "querytree" and len(args) == 1:
        return strict_call(name, [coerce_to(args[0], T.TSQUERY)], T.TEXT, str)
    if name == "tsvector_to_array" and len(args) == 1:
        return strict_call(name, [coerce_to(args[0], T.TSVECTOR)], T.TEXT.array_of(),
                           lambda v: [lex for lex, _ in v.entries])  # fmt: skip
    if name == "array_to_tsvector" and len(args) == 1:
        typed = [coerce_to(args[0], T.TEXT.array_of())]
        return strict_call(name, typed, T.TSVECTOR, _array_to_tsvector)
    if name == "ts_delete" and len(args) == 2:
        many = args[1].type.element is not None
        typed = [coerce_to(args[0], T.TSVECTOR),
                 coerce_to(args[1], T.TEXT.array_of() if many else T.TEXT)]  # fmt: skip
        return strict_call(name, typed, T.TSVECTOR, _delete)
    if name == "ts_filter" and len(args) == 2:
        typed = [coerce_to(args[0], T.TSVECTOR), coerce_to(args[1], T.CHAR.array_of())]
        return strict_call(name, typed, T.TSVECTOR, _filter)
    if name in ("ts_rank", "ts_rank_cd"):
        return _compile_rank(name, args)
    if name == "tsquery_phrase" and len(args) in (2, 3):
        typed = [coerce_to(args[0], T.TSQUERY), coerce_to(args[1], T.TSQUERY)]
        if len(args) == 3:
            typed.append(coerce_to(args[2], T.INT4))
        return strict_call(name, typed, T.TSQUERY, _phrase_of)
    raise no_such_function(name, args)


def _compile_rank(name: str, args: list[Typed]) -> Typed:
    """ts_rank([weights,] vector, query [, normalization]): a real."""
    rank = ts_rank if name == "ts_rank" else ts_rank_cd
    # ts_rank(weights, vector, query [, normalization]) or ts_rank(vector, query [, norm])
    has_weights = len(args) == 4 or (
        len(args) == 3 and args[0].type.name != "tsvector" and args[1].type.name != "tsquery"
    )
    body = args[1:] if has_weights else args
    if len(body) not in (2, 3):
        raise no_such_function(name, args)
    typed = [coerce_to(body[0], T.TSVECTOR), coerce_to(body[1], T.TSQUERY)]
    typed.append(
        coerce_to(body[2], T.INT4) if len(body) == 3 else Typed(lambda _r: 0, T.INT4, True)
    )
    if has_weights:
        typed.append(coerce_to(args[0], T.FLOAT4.array_of()))

    def impl(v: TsVector, q: TsQuery, method: int, ws: list[float] | None = None) -> float:
        return rank(v, q, weights_arg(ws), method)

    return strict_call(name, typed, T.FLOAT4, impl)


def _phrase_of(a: TsQuery, b: TsQuery, distance: int = 1) -> TsQuery:
    """tsquery_phrase / ``<->``: a followed by b ``distance`` positions later."""
    if distance < 0 or distance > MAX_POS:
        raise InvalidParameterValue(
            "distance in phrase operator must be an integer value between zero and "
            f"{MAX_POS} inclusive"
        )
    if a.root is None:
        return b
    if b.root is None:
        return a
    return TsQuery(Operator(PHRASE, b.root, a.root, distance))


# -- operators ------------------------------------------------------------------------------


def _concat_vectors(a: TsVector, b: TsVector) -> TsVector:
    """tsvector || tsvector: b's positions move past a's largest."""
    shift = max((p for _, ps in a.entries for p, _ in ps), default=0)
    words: dict[str, list[tuple[int, int]]] = {}
    for lex, ps in a.entries:
        words.setdefault(lex, []).extend(ps)
    for lex, ps in b.entries:
        words.setdefault(lex, []).extend((p + shift, w) for p, w in ps)
    return make_tsvector(words)


def _combine(op: str) -> Callable[[TsQuery, TsQuery], TsQuery]:
    def run(a: TsQuery, b: TsQuery) -> TsQuery:
        if a.root is None:
            return b
        if b.root is None:
            return a
        return TsQuery(Operator(op, b.root, a.root))

    return run


def tsquery_operator(symbol: str, args: list[Typed]) -> Typed | None:
    """``<->``, ``&&``, ``||`` of tsqueries and ``!!``; None for other operands."""
    names = [a.type.name for a in args]
    if "tsquery" not in names or "tsvector" in names:
        return None
    if symbol == "<->" and len(args) == 2:
        return strict_call("<->", [coerce_to(x, T.TSQUERY) for x in args], T.TSQUERY, _phrase_of)
    if symbol in ("&&", "||") and len(args) == 2:
        typed = [coerce_to(x, T.TSQUERY) for x in args]
        return strict_call(symbol, typed, T.TSQUERY, _combine(AND if symbol == "&&" else OR))
    if symbol == "!!" and len(args) == 1:
        return strict_call("!!", args, T.TSQUERY, _negate)
    return None


def compile_ts_operator(symbol: str, args: list[Typed], ctx: Context) -> Typed | None:
    """A text search operator, or None when neither operand is a text search type."""
    found = tsquery_operator(symbol, args)
    if found is not None:
        return found
    names = [a.type.name for a in args]
    if not {"tsvector", "tsquery"} & set(names):
        if symbol == "@@" and all(n in _TEXTS for n in names):
            vec = _call("to_tsvector", [coerce_to(args[0], T.TEXT)], T.TSVECTOR, C.to_tsvector, ctx)
            query = _call("plainto_tsquery", [coerce_to(args[1], T.TEXT)], T.TSQUERY,
                          C.plainto_tsquery, ctx)  # fmt: skip
            return strict_call("@@", [vec, query], T.BOOL, matches)
        return None
    if symbol == "@@" and len(args) == 2:
        a, b = args
        if a.type.name == "tsquery" or b.type.name == "tsvector":
            a, b = b, a
        if a.type.name in _TEXTS:
            a = _call("to_tsvector", [coerce_to(a, T.TEXT)], T.TSVECTOR, C.to_tsvector, ctx)
        return strict_call("@@", [coerce_to(a, T.TSVECTOR), coerce_to(b, T.TSQUERY)], T.BOOL,
                           matches)  # fmt: skip
    if symbol == "||" and len(args) == 2 and "tsvector" in names:
        typed = [coerce_to(x, T.TSVECTOR) for x in args]
        return strict_call("||", typed, T.TSVECTOR, _concat_vectors)
    return None
