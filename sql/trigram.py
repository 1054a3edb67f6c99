"""pg_trgm (built in: sql.extensions): trigrams of text, similarity, word_similarity and
strict_word_similarity, their operators (``%``, ``<%``, ``%>``, ``<<%``, ``%>>``, ``<->``,
``<<->``, ``<->>``, ``<<<->``, ``<->>>``), set_limit/show_limit, as contrib/pg_trgm's
trgm_op.c computes them.

A string's trigrams come from its words, a word being a run of alphanumeric characters under
db9's C locale (ASCII letters and digits: every other character separates words), lower-cased,
with two blanks before and one after (``"  cat "``: ``"  c"``, ``" ca"``, ``"cat"``,
``"at "``). Similarities are float4 and computed as PostgreSQL does (count / (len1 + len2 -
count) in float4); the operators compare them with the session's pg_trgm.* thresholds, read
when the row is evaluated (a SET after PREPARE counts). Like PostgreSQL's, the functions and
operators exist once CREATE EXTENSION pg_trgm ran (42883 before). Indexes with gin_trgm_ops /
gist_trgm_ops are accepted (sql.access_methods) but not scanned: the operators filter rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sql import types as T
from sql.casts import coerce_to
from sql.float_text import format_float
from sql.functions_text import no_such_function, strict_call
from sql.scope import Context, Typed

SETTINGS = {  # the GUCs pg_trgm defines, with their defaults (``double x = 0.3f`` in C)
    "pg_trgm.similarity_threshold": "0.3",
    "pg_trgm.word_similarity_threshold": "0.6",
    "pg_trgm.strict_word_similarity_threshold": "0.5",
}
NAMES = frozenset(
    {"show_trgm", "similarity", "word_similarity", "strict_word_similarity", "set_limit",
     "show_limit"}
)  # fmt: skip
# operator -> (similarity: plain/word/strict, operands swapped, threshold setting or None
# for a distance)
OPERATORS: dict[str, tuple[str, bool, str | None]] = {
    "%": ("plain", False, "pg_trgm.similarity_threshold"),
    "<%": ("word", False, "pg_trgm.word_similarity_threshold"),
    "%>": ("word", True, "pg_trgm.word_similarity_threshold"),
    "<<%": ("strict", False, "pg_trgm.strict_word_similarity_threshold"),
    "%>>": ("strict", True, "pg_trgm.strict_word_similarity_threshold"),
    "<->": ("plain", False, None),
    "<<->": ("word", False, None),
    "<->>": ("word", True, None),
    "<<<->": ("strict", False, None),
    "<->>>": ("strict", True, None),
}
_STRINGS = frozenset({"text", "character varying", "character", "name", "unknown"})
_LEFT, _RIGHT = 1, 2  # a trigram begins / ends a word (TRGM_BOUND_LEFT / _RIGHT)


def _word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _words(s: str) -> list[str]:
    out, word = [], []
    for ch in s:
        if _word_char(ch):
            word.append(ch)
        elif word:
            out.append("".join(word))
            word = []
    if word:
        out.append("".join(word))
    return out


def positional(s: str) -> tuple[list[str], list[int]]:
    """``s``'s trigrams in order, duplicates kept, and each one's word-bound flags."""
    trgs: list[str] = []
    bounds: list[int] = []
    for word in _words(s):
        padded = "  " + word.lower() + " "
        first = len(trgs)
        trgs.extend(padded[i : i + 3] for i in range(len(padded) - 2))
        bounds.extend([0] * (len(padded) - 2))
        bounds[first] |= _LEFT
        bounds[-1] |= _RIGHT
    return trgs, bounds


def trigram_set(s: str) -> list[str]:
    """The distinct trigrams of ``s``, sorted (bytewise: ASCII)."""
    return sorted(set(positional(s)[0]))


def _sml(count: int, len1: int, len2: int) -> float:
    """CALCSML in float4 (the quotient of two small ints, rounded once to float4)."""
    return T.round_float4(count / (len1 + len2 - count))


def similarity(a: str, b: str) -> float:
    ta, tb = set(positional(a)[0]), set(positional(b)[0])
    if not ta or not tb:
        return 0.0
    return _sml(len(ta & tb), len(ta), len(tb))


def word_similarity(a: str, b: str, strict: bool = False) -> float:
    """The greatest similarity between ``a``'s trigrams and a stretch of ``b``'s (for
    ``strict``, a stretch of whole words), as iterate_word_similarity finds it."""
    trg1 = positional(a)[0]
    trg2, bounds = positional(b)
    ids: dict[str, int] = {}
    for t in sorted(set(trg1) | set(trg2)):
        ids[t] = len(ids)
    found = [False] * len(ids)
    for t in trg1:
        found[ids[t]] = True
    ulen1 = sum(found)
    trg2indexes = [ids[t] for t in trg2]
    lastpos = [-1] * len(ids)
    ulen2 = count = 0
    upper = -1
    lower = 0 if strict else -1
    best = 0.0
    for i, trgindex in enumerate(trg2indexes):
        if lower >= 0 or found[trgindex]:
            if lastpos[trgindex] < 0:
                ulen2 += 1
                if found[trgindex]:
                    count += 1
            lastpos[trgindex] = i
        if not (bounds[i] & _RIGHT if strict else found[trgindex]):
            continue
        upper = i
        if lower == -1:
            lower, ulen2 = i, 1
        cur = _sml(count, ulen1, ulen2)
        tmp_count, tmp_ulen2, prev_lower = count, ulen2, lower
        for tmp_lower in range(lower, upper + 1):
            if not strict or bounds[tmp_lower] & _LEFT:
                tmp = _sml(tmp_count, ulen1, tmp_ulen2)
                if tmp > cur:
                    cur, ulen2, lower, count = tmp, tmp_ulen2, tmp_lower, tmp_count
            tmp_index = trg2indexes[tmp_lower]
            if lastpos[tmp_index] == tmp_lower:
                tmp_ulen2 -= 1
                if found[tmp_index]:
                    tmp_count -= 1
        best = max(best, cur)
        for tmp_lower in range(prev_lower, lower):
            tmp_index = trg2indexes[tmp_lower]
            if lastpos[tmp_index] == tmp_lower:
                lastpos[tmp_index] = -1
    return best


_KINDS: dict[str, Callable[[str, str], float]] = {
    "plain": similarity,
    "word": word_similarity,
    "strict": lambda a, b: word_similarity(a, b, strict=True),
}


def available(ctx: Context, extension: str = "pg_trgm") -> bool:
    """The extension is installed in the session's database (without a session, as when a
    table's CHECK is compiled, it is taken to be: it was when the expression was made)."""
    session = ctx.session
    return session is None or session.txn is None or extension in session.catalog().extensions


def _threshold(ctx: Context, name: str) -> float:
    session = ctx.session
    value = session.settings.get(name) if session is not None else None
    return float(value if value is not None else SETTINGS[name])


def _texts(args: list[Typed]) -> list[Typed]:
    return [coerce_to(a, T.TEXT, explicit=a.type.name != "unknown") for a in args]


def compile_call(name: str, args: list[Typed], ctx: Context) -> Typed:
    """pg_trgm's functions (42883 for other argument counts or types)."""
    if name == "show_limit" and not args:
        return Typed(
            lambda _r: T.round_float4(_threshold(ctx, "pg_trgm.similarity_threshold")),
            T.FLOAT4, False, name,
        )  # fmt: skip
    if name == "set_limit" and len(args) == 1:
        return _set_limit(coerce_to(args[0], T.FLOAT4), ctx)
    if any(a.type.name not in _STRINGS for a in args):
        raise no_such_function(name, args)
    if name == "show_trgm" and len(args) == 1:
        return strict_call(name, _texts(args), T.TEXT.array_of(), trigram_set)
    kind = {"similarity": "plain", "word_similarity": "word", "strict_word_similarity": "strict"}
    if name in kind and len(args) == 2:
        return strict_call(name, _texts(args), T.FLOAT4, _KINDS[kind[name]])
    raise no_such_function(name, args)


def _set_limit(arg: Typed, ctx: Context) -> Typed:
    """set_limit(real): SET pg_trgm.similarity_threshold to the value's text, returns it."""
    fn = arg.fn

    def run(r: Any) -> float | None:
        v = fn(r)
        if v is None or ctx.session is None:
            return None
        ctx.session.set_config("pg_trgm.similarity_threshold", format_float(v, single=True))
        return T.round_float4(_threshold(ctx, "pg_trgm.similarity_threshold"))

    return Typed(run, T.FLOAT4, False, "set_limit")


def takes(symbol: str, args: list[Typed]) -> bool:
    """``symbol`` applied to ``args`` is one of pg_trgm's text operators."""
    return symbol in OPERATORS and len(args) == 2 and all(a.type.name in _STRINGS for a in args)


def compile_operator(symbol: str, args: list[Typed], ctx: Context) -> Typed:
    """One of pg_trgm's operators on two texts: a bool against the threshold, or a float4
    distance (1 - similarity)."""
    kind, swapped, setting = OPERATORS[symbol]
    sml = _KINDS[kind]
    a, b = _texts(args)
    if swapped:
        a, b = b, a
    if setting is None:
        return strict_call(
            "?column?", [a, b], T.FLOAT4, lambda x, y: T.round_float4(1.0 - sml(x, y))
        )
    fa, fb = a.fn, b.fn

    def run(r: Any) -> bool | None:
        x, y = fa(r), fb(r)
        if x is None or y is None:
            return None
        return sml(x, y) >= _threshold(ctx, setting)

    return Typed(run, T.BOOL, False, "?column?")
