"""ts_rank and ts_rank_cd: PostgreSQL's ranking of a tsvector by a tsquery (tsrank.c's
formulas), with its single-precision arithmetic rounded where C rounds it, so the float4
results print as PostgreSQL's do.

Weights are indexed by weight number (D, C, B, A; default 0.1, 0.2, 0.4, 1.0). The
normalization bits: 1 log length, 2 length, 4 mean extent distance (cover density only),
8 unique words, 16 log unique words, 32 rank/(rank+1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sql.errors import InvalidParameterValue
from sql.ts_match import holds
from sql.ts_values import AND, PHRASE, Node, Operand, Operator, TsQuery, TsVector
from sql.types import round_float4 as f32

DEFAULT_WEIGHTS = tuple(f32(w) for w in (0.1, 0.2, 0.4, 1.0))  # C floats
MAX_ENTRY_POS = 1 << 14


def weights_arg(ws: Sequence[float | None] | None) -> tuple[float, ...]:
    """The weights array argument: four numbers in [-, 1] (a NULL or negative one keeps
    its default); 22023/2202E otherwise, as PostgreSQL reports."""
    if ws is None:
        return DEFAULT_WEIGHTS
    if len(ws) < 4:
        raise InvalidParameterValue("array of weight is too short")
    if any(w is None for w in ws):
        raise InvalidParameterValue("array of weight must not contain nulls")
    out = []
    for w, default in zip(ws, DEFAULT_WEIGHTS, strict=False):
        assert w is not None
        v = f32(float(w))
        if v > 1.0:
            raise InvalidParameterValue("weight out of range")
        out.append(v if v >= 0 else default)
    return tuple(out)


def _items(q: TsQuery) -> list[Operand]:
    """SortAndUniqItems: the query's operands sorted by lexeme bytes, each lexeme once."""
    found: dict[str, Operand] = {}

    def walk(n: Node) -> None:
        if isinstance(n, Operand):
            found.setdefault(n.lexeme, n)
            return
        walk(n.right)
        if n.left is not None:
            walk(n.left)

    if q.root is not None:
        walk(q.root)
    return [found[k] for k in sorted(found, key=lambda s: s.encode())]


def _entries(v: TsVector, item: Operand) -> list[tuple[tuple[int, int], ...] | None]:
    """find_wordentry: the positions of each matching lexeme (None: stored without any)."""
    if item.prefix:
        hits = [ps for lex, ps in v.entries if lex.startswith(item.lexeme)]
    else:
        hits = [ps for lex, ps in v.entries if lex == item.lexeme]
    return [ps if ps else None for ps in hits]


def _word_distance(d: int) -> float:
    if d > 100:
        return 1e-30
    return 1.0 / (1.005 + 0.05 * math.exp(f32(d / 1.5 - 2)))


def _rank_or(w: tuple[float, ...], v: TsVector, q: TsQuery) -> float:
    items = _items(q)
    res = 0.0
    for item in items:
        for ps in _entries(v, item):
            posts = ps if ps is not None else ((0, 0),)
            resj, wjm, jm = 0.0, -1.0, 0
            for j, (_, weight) in enumerate(posts):
                wp = w[weight]
                resj = f32(resj + f32(wp / ((j + 1) * (j + 1))))
                if wp > wjm:
                    wjm, jm = wp, j
            inner = f32(f32(wjm + resj) - f32(wjm / ((jm + 1) * (jm + 1))))
            res = f32(res + inner / 1.64493406685)
    if items:
        res = f32(res / len(items))
    return res


def _rank_and(w: tuple[float, ...], v: TsVector, q: TsQuery) -> float:
    items = _items(q)
    if len(items) < 2:
        return _rank_or(w, v, q)
    null = ((MAX_ENTRY_POS - 1, 0),)
    seen: list[tuple[tuple[int, int], ...] | None] = [None] * len(items)
    is_null = [False] * len(items)
    res = -1.0
    for i, item in enumerate(items):
        for ps in _entries(v, item):
            seen[i] = ps if ps is not None else null
            is_null[i] = ps is None
            post = seen[i]
            assert post is not None
            for k in range(i):
                ct = seen[k]
                if ct is None:
                    continue
                for lp, lw in post:
                    for cp, cw in ct:
                        dist = abs(lp - cp)
                        if dist or is_null[i] or is_null[k]:
                            if not dist:
                                dist = MAX_ENTRY_POS
                            curw = f32(math.sqrt(f32(f32(w[lw] * w[cw])
                                                     * f32(_word_distance(dist)))))  # fmt: skip
                            res = curw if res < 0 else f32(1.0 - (1.0 - res) * (1.0 - curw))
    return res


def _length(v: TsVector) -> int:
    """cnt_length: positions counted, a lexeme without any counting one."""
    return sum(len(ps) or 1 for _, ps in v.entries)


def ts_rank(v: TsVector, q: TsQuery, weights: tuple[float, ...], method: int) -> float:
    if not v.entries or q.root is None:
        return 0.0
    root = q.root
    use_and = not isinstance(root, Operand) and root.op in (AND, PHRASE)
    res = (_rank_and if use_and else _rank_or)(weights, v, q)
    if res < 0:
        res = 1e-20
    if method & 1:
        res = f32(res / (math.log(_length(v) + 1) / math.log(2.0)))
    if method & 2:
        n = _length(v)
        if n > 0:
            res = f32(res / n)
    if method & 8:
        res = f32(res / len(v.entries))
    if method & 16:
        res = f32(res / (math.log(len(v.entries) + 1) / math.log(2.0)))
    if method & 32:
        res = f32(res / (res + 1))
    return f32(res)


def _doc(v: TsVector, q: TsQuery) -> list[tuple[int, int, frozenset[str]]]:
    """get_docrep: (position, weight, lexemes of query operands there), ordered by position
    then weight; occurrences at one position with different weights stay apart."""
    items = _items(q)
    at: dict[tuple[int, int], set[str]] = {}
    for item in items:
        for lex, ps in v.entries:
            hit = lex.startswith(item.lexeme) if item.prefix else lex == item.lexeme
            if not hit:
                continue
            for pos, weight in ps or ((0, 0),):
                if item.weights and not item.weights & (1 << weight):
                    continue
                at.setdefault((pos, weight), set()).add(item.lexeme)
    return [(p, w, frozenset(at[p, w])) for p, w in sorted(at)]


def _satisfied(doc: list[tuple[int, int, frozenset[str]]], q: TsQuery) -> bool:
    index: dict[str, list[tuple[int, int]]] = {}
    for pos, weight, names in doc:
        for name in names:
            index.setdefault(name, []).append((pos, weight))
    assert q.root is not None
    return holds(_exact(q.root), {k: tuple(ps) for k, ps in index.items()})


def _exact(n: Node) -> Node:
    """The query with prefix operands made exact (the doc lists them under their prefix)."""
    if isinstance(n, Operand):
        return Operand(n.lexeme, 0, False)
    return Operator(n.op, _exact(n.right), _exact(n.left) if n.left else None, n.distance)


def ts_rank_cd(v: TsVector, q: TsQuery, weights: tuple[float, ...], method: int) -> float:
    """Cover density: each minimal cover of the query counts by its weights and by the
    words between its query words."""
    inv = [1.0 / w for w in weights]
    doc = _doc(v, q)
    if not doc or q.root is None:
        return 0.0
    wdoc = sum_dist = prev = 0.0
    extents = 0
    start = 0
    last_q = 0
    while True:
        cover = _cover(doc, q, start, last_q)
        if cover is None:
            break
        b, e, next_start = cover
        last_q = doc[e][0]
        inv_sum = sum(inv[doc[i][1]] for i in range(b, e + 1))
        cpos = (e - b + 1) / inv_sum
        noise = (doc[e][0] - doc[b][0]) - (e - b)
        if noise < 0:
            noise = (e - b) // 2
        wdoc += cpos / (1 + noise)
        cur = (doc[e][0] + doc[b][0]) / 2.0
        if extents > 0 and cur > prev:
            sum_dist += 1.0 / (cur - prev)
        prev = cur
        extents += 1
        start = next_start
    if method & 1:
        wdoc /= math.log(_length(v) + 1)
    if method & 2:
        n = _length(v)
        if n > 0:
            wdoc /= n
    if method & 4 and extents > 0 and sum_dist > 0:
        wdoc /= extents / sum_dist
    if method & 8:
        wdoc /= len(v.entries)
    if method & 16:
        wdoc /= math.log(len(v.entries) + 1) / math.log(2.0)
    if method & 32:
        wdoc /= wdoc + 1
    return f32(wdoc)


def _cover(
    doc: list[tuple[int, int, frozenset[str]]], q: TsQuery, start: int, last_q: int
) -> tuple[int, int, int] | None:
    """Cover(): from ``start``, the first entry where the query holds (the cover's end,
    past the previous cover's end), then back to the last entry where it holds (its
    begin); returns (begin, end, where the next search starts)."""
    while start < len(doc):
        end = None
        for i in range(start, len(doc)):
            if _satisfied(doc[start : i + 1], q):
                if doc[i][0] > last_q:
                    end = i
                break
        if end is None:
            return None
        for b in range(end, start - 1, -1):
            if _satisfied(doc[b : end + 1], q):
                return b, end, b + 1
        start += 1
    return None
