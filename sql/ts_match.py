"""Matching a tsquery against a tsvector (``@@``), and ts_headline's excerpts.

Phrase operators match on positions: a phrase match is a set of end positions and a width
(``a <2> b`` ends where ``b`` is and is 2 wide); a NOT inside a phrase is a set of positions
where its operand does not match. A lexeme without positions (a stripped vector) matches no
phrase, as in PostgreSQL 13 and later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sql import ts_parser as P
from sql.errors import InvalidParameterValue
from sql.ts_config import Config, Words
from sql.ts_values import AND, NOT, OR, Node, Operand, Operator, TsQuery, TsVector

Index = dict[str, tuple[tuple[int, int], ...]]


def matches(vector: TsVector, query: TsQuery) -> bool:
    """``vector @@ query``; an empty query matches nothing, and a phrase that meets a
    lexeme stored without positions does not match (its negation does)."""
    if query.root is None:
        return False
    return holds(query.root, vector.positions())


def _operand_positions(n: Operand, index: Index) -> list[int] | None:
    """The positions ``n`` matches at ([] for a lexeme without positions), None if absent."""
    if n.prefix:
        found = [ps for lex, ps in index.items() if lex.startswith(n.lexeme)]
    else:
        ps = index.get(n.lexeme)
        found = [] if ps is None else [ps]
    if not found:
        return None
    out: list[int] = []
    stripped = False
    for ps in found:
        if not ps:
            stripped = True
        out += [p for p, w in ps if not n.weights or n.weights & (1 << w)]
    if not out and not stripped:
        return None
    return sorted(set(out))


def holds(n: Node, index: Index) -> bool:
    if isinstance(n, Operand):
        return _operand_positions(n, index) is not None
    if n.op == NOT:
        return not holds(n.right, index)
    assert n.left is not None
    if n.op == AND:
        return holds(n.left, index) and holds(n.right, index)
    if n.op == OR:
        return holds(n.left, index) or holds(n.right, index)
    try:
        m = _phrase(n, index)
    except _NoPositions:
        return False
    return m is not None and (m.negate or bool(m.positions))


class _NoPositions(Exception):
    """A phrase met a lexeme stored without positions: it cannot match (PostgreSQL 13+)."""


@dataclass(frozen=True)
class _Match:
    """Where a phrase part matches: its end positions and width, or (``negate``) the
    positions where it does NOT match."""

    positions: frozenset[int]
    width: int = 0
    negate: bool = False


def _phrase(n: Node, index: Index) -> _Match | None:
    if isinstance(n, Operand):
        ps = _operand_positions(n, index)
        if ps == []:
            raise _NoPositions
        return None if ps is None else _Match(frozenset(ps))
    if n.op == NOT:
        m = _phrase(n.right, index)
        if m is None:
            return _Match(frozenset(), 0, True)  # matches at every position
        return _Match(m.positions, m.width, not m.negate)
    assert n.left is not None
    left, right = _phrase(n.left, index), _phrase(n.right, index)
    if n.op == OR:
        if left is None or right is None:
            return left or right
        width = max(left.width, right.width)
        if left.negate and right.negate:  # everywhere but where neither matches
            return _Match(left.positions & right.positions, width, True)
        if left.negate or right.negate:
            neg, pos = (left, right) if left.negate else (right, left)
            return _Match(neg.positions - pos.positions, width, True)
        return _Match(left.positions | right.positions, width)
    if left is None or right is None:
        return None
    if n.op == AND:
        width = max(left.width, right.width)
        if left.negate and right.negate:
            return _Match(left.positions | right.positions, width, True)
        if left.negate or right.negate:
            neg, pos = (left, right) if left.negate else (right, left)
            return _Match(pos.positions - neg.positions, width)
        return _Match(left.positions & right.positions, width)
    # left <d> right: left ends d before right starts
    width = left.width + n.distance + right.width
    shift = n.distance + right.width
    if left.negate and right.negate:
        return _Match(frozenset(p + shift for p in left.positions) | right.positions, width, True)
    if left.negate:  # TS_phrase_output's R_ONLY: where no left match ends before (0 too)
        return _Match(
            frozenset(r for r in right.positions if r - shift not in left.positions), width
        )
    if right.negate:
        return _Match(frozenset(p + shift for p in left.positions
                                if p + shift not in right.positions), width)  # fmt: skip
    return _Match(frozenset(r for r in right.positions if r - shift in left.positions), width)


# -- ts_headline ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadlineOptions:
    start_sel: str = "<b>"
    stop_sel: str = "</b>"
    max_words: int = 35
    min_words: int = 15
    short_word: int = 3
    highlight_all: bool = False
    max_fragments: int = 0
    fragment_delimiter: str = " ... "


_OPTION = re.compile(r"""\s*([A-Za-z]+)\s*=\s*("(?:[^"]|"")*"|'(?:[^']|'')*'|[^,\s]*)\s*(?:,|$)""")
_OPTION_NAMES = {
    "startsel": "start_sel", "stopsel": "stop_sel", "maxwords": "max_words",
    "minwords": "min_words", "shortword": "short_word", "highlightall": "highlight_all",
    "maxfragments": "max_fragments", "fragmentdelimiter": "fragment_delimiter",
}  # fmt: skip
_TRUE = ("1", "on", "true", "t", "y", "yes")


def headline_options(text: str) -> HeadlineOptions:
    """prsd_headline's options: ``Name=value`` pairs separated by commas (22023 for an
    unknown name or a bad combination)."""
    values: dict[str, object] = {}
    pos = 0
    while pos < len(text.strip()):
        m = _OPTION.match(text, pos)
        if m is None or m.end() == pos:
            raise InvalidParameterValue(f'invalid parameter list format: "{text}"')
        pos = m.end()
        key, raw = m.group(1).lower(), m.group(2)
        if raw[:1] in ('"', "'"):  # deserialize_deflist: either quote, doubled inside
            raw = raw[1:-1].replace(raw[0] * 2, raw[0])
        name = _OPTION_NAMES.get(key)
        if name is None:
            raise InvalidParameterValue(f'unrecognized headline parameter: "{m.group(1)}"')
        if name in ("start_sel", "stop_sel", "fragment_delimiter"):
            values[name] = raw
        elif name == "highlight_all":
            values[name] = raw.lower() in _TRUE
        else:
            try:
                values[name] = int(raw)
            except ValueError:
                raise InvalidParameterValue(
                    f'invalid value for integer option "{m.group(1)}": {raw}'
                ) from None
    opts = HeadlineOptions(**values)  # type: ignore[arg-type]
    if not opts.highlight_all:
        if opts.min_words >= opts.max_words:
            raise InvalidParameterValue("MinWords should be less than MaxWords")
        if opts.min_words <= 0:
            raise InvalidParameterValue("MinWords should be positive")
        if opts.short_word < 0:
            raise InvalidParameterValue("ShortWord should be >= 0")
        if opts.max_fragments < 0:
            raise InvalidParameterValue("MaxFragments should be >= 0")
    return opts


@dataclass
class _Word:
    """A token of a headline's text. A word matching a query operand carries its number
    (the first it matches; a repeated copy follows for each further one, never shown)."""

    kind: str
    text: str
    pos: int = 0
    operand: int | None = None
    repeated: bool = False
    selected: bool = False
    shown: bool = False

    @property
    def item(self) -> bool:
        return self.operand is not None

    @property
    def interesting(self) -> bool:
        return self.operand is not None and not self.repeated


def _words(cfg: Config, text: str, operands: list[Operand]) -> list[_Word]:
    """hlparsetext: every token (blanks too), with its position and the operands it
    matches (repeated copies count as words when a headline's length is measured)."""
    out = []
    counter = Words([])
    for token in P.flat(text):
        w = _Word(token.kind, token.text)
        out.append(w)
        lexemes = cfg.lexize(token)
        if lexemes is None:
            continue
        counter.pos += 1
        w.pos = counter.pos
        hits = [
            i
            for i, o in enumerate(operands)
            if any(lex.startswith(o.lexeme) if o.prefix else lex == o.lexeme for lex in lexemes)
        ]
        if hits:
            w.operand = hits[0]
        for i in hits[1:]:
            out.append(_Word(w.kind, w.text, w.pos, i, repeated=True))
    return out


def _operands(n: Node) -> list[Operand]:
    if isinstance(n, Operand):
        return [n]
    return _operands(n.right) + (_operands(n.left) if n.left is not None else [])


def _numbered(n: Node, counter: list[int]) -> Node:
    """The query with each operand replaced by its number (in ``_operands`` order), so a
    cover is checked operand by operand, as checkcondition_HL does."""
    if isinstance(n, Operand):
        counter[0] += 1
        return Operand(f"\x00{counter[0] - 1}")
    right = _numbered(n.right, counter)
    left = _numbered(n.left, counter) if n.left is not None else None
    return Operator(n.op, right, left, n.distance)


_NON_WORD = frozenset({P.BLANK, P.TAG, P.URL, P.NUMHWORD, P.ASCIIHWORD, P.HWORD})
_SKIPPED = frozenset({P.URL, P.NUMHWORD, P.ASCIIHWORD, P.HWORD})
_NO_END = _NON_WORD | P.NUMBERS | {P.PROTOCOL, P.ENTITY}


def headline(cfg: Config, text: str, query: TsQuery, opts: HeadlineOptions) -> str:
    operands = _operands(query.root) if query.root is not None else []
    words = _words(cfg, text, operands)
    if query.root is not None:
        query = TsQuery(_numbered(query.root, [0]))
    if opts.highlight_all:
        _mark(words, 0, len(words) - 1)
    elif opts.max_fragments > 0:
        _mark_fragments(words, query, opts)
    else:
        _mark_words(words, query, opts)
    return _generate(words, opts)


def _covers(
    words: list[_Word], query: TsQuery, start: int, max_cover: int
) -> list[tuple[int, int]]:
    """hlCover's results from ``start`` on: the earliest shortest spans of words, both ends
    words that match an operand (repeated copies too), whose operands satisfy the query."""
    interesting = [i for i, w in enumerate(words) if w.item]
    out: list[tuple[int, int]] = []
    if query.root is None:
        return out
    for a, pmin in enumerate(interesting):
        if pmin < start:
            continue
        for pmax in interesting[a:]:
            if pmax - pmin >= max_cover:
                break
            if _satisfied(words, pmin, pmax, query):
                out.append((pmin, pmax))
                break
    return out


def _satisfied(words: list[_Word], lo: int, hi: int, query: TsQuery) -> bool:
    index: dict[str, list[tuple[int, int]]] = {}
    for w in words[lo : hi + 1]:
        if w.operand is not None:
            index.setdefault(f"\x00{w.operand}", []).append((w.pos, 0))
    assert query.root is not None
    return holds(query.root, {k: tuple(v) for k, v in index.items()})


def _bad_end(w: _Word, opts: HeadlineOptions) -> bool:
    return (w.kind in _NO_END or len(w.text.encode()) <= opts.short_word) and not w.interesting


def _mark_words(words: list[_Word], query: TsQuery, opts: HeadlineOptions) -> None:
    """mark_hl_words: the best cover stretched to between MinWords and MaxWords words,
    preferring ends that are not short words; the first MinWords words if no cover."""
    max_words, min_words = opts.max_words, opts.min_words
    bestb = beste = -1
    bestlen = -1
    bestcover = False
    n = len(words)
    for p, q in _covers(words, query, 0, max(max_words * 10, 100)):
        curlen = poslen = 0
        posb = pose = p
        i = p
        while i <= q and curlen < max_words:
            if words[i].kind not in _NON_WORD:
                curlen += 1
            if words[i].interesting:
                poslen += 1
            pose = i
            i += 1
        if curlen < max_words:
            i -= 1
            while i < n and curlen < max_words:
                if i > q:
                    if words[i].kind not in _NON_WORD:
                        curlen += 1
                    if words[i].interesting:
                        poslen += 1
                pose = i
                if _bad_end(words[i], opts):
                    i += 1
                    continue
                if curlen >= min_words:
                    break
                i += 1
            if curlen < min_words:
                i = p - 1
                while i >= 0:
                    if words[i].kind not in _NON_WORD:
                        curlen += 1
                    if words[i].interesting:
                        poslen += 1
                    if curlen >= max_words:
                        break
                    if _bad_end(words[i], opts):
                        i -= 1
                        continue
                    if curlen >= min_words:
                        break
                    i -= 1
                posb = max(i, 0)
        else:
            if i > q:
                i = q
            while curlen > min_words:
                if not _bad_end(words[i], opts):
                    break
                if words[i].kind not in _NON_WORD:
                    curlen -= 1
                if words[i].interesting:
                    poslen -= 1
                pose = i - 1
                i -= 1
        poscover = posb <= p and pose >= q
        if (
            poscover > bestcover
            or (poscover == bestcover and poslen > bestlen)
            or (poscover == bestcover and poslen == bestlen and not _bad_end(words[pose], opts)
                and beste >= 0 and _bad_end(words[beste], opts))
        ):  # fmt: skip
            bestb, beste, bestlen, bestcover = posb, pose, poslen, poscover
    if bestlen < 0:
        curlen = 0
        pose = 0
        for i, w in enumerate(words):
            if curlen >= min_words:
                break
            if w.kind not in _NON_WORD:
                curlen += 1
            pose = i
        bestb, beste = 0, pose
    _mark(words, bestb, beste)


def _next_fragment(
    words: list[_Word], start: int, end: int, max_words: int
) -> tuple[int, int, int, int]:
    """get_next_fragment: from ``start``, a piece of the span up to ``end`` that starts and
    ends at query words and has at most MaxWords words: (start, end, words, query words)."""
    for i in range(start, end + 1):
        start = i
        if words[i].interesting:
            break
    curlen = poslen = 0
    i = start
    while i <= end and curlen < max_words:
        if words[i].kind not in _NON_WORD:
            curlen += 1
        if words[i].interesting:
            poslen += 1
        i += 1
    if end > i:
        end = i
        for j in range(end, start - 1, -1):
            end = j
            if words[j].interesting:
                break
            if words[j].kind not in _NON_WORD:
                curlen -= 1
    return start, end, curlen, poslen


def _mark_fragments(words: list[_Word], query: TsQuery, opts: HeadlineOptions) -> None:
    """mark_hl_fragments: every cover cut into pieces of at most MaxWords words, then up to
    MaxFragments of them (most query words first, then fewest words), each stretched
    toward MaxWords on both sides without reaching a chosen one; the first MinWords words
    if none."""
    max_words = opts.max_words
    pieces: list[list[int]] = []  # start, end, words, query words, chosen, excluded
    for p, q in _covers(words, query, 0, max(max_words * 10, 100)):
        start, end = p, q
        while start <= end:
            start, end, curlen, poslen = _next_fragment(words, start, end, max_words)
            pieces.append([start, end, curlen, poslen, 0, 0])
            start, end = end + 1, q
    chosen = 0
    for _ in range(opts.max_fragments):
        best = -1
        maxitems, minwords = 0, 1 << 31
        for i, (_, _, curlen, poslen, taken, excluded) in enumerate(pieces):
            if (
                not taken
                and not excluded
                and (maxitems < poslen or (maxitems == poslen and minwords > curlen))
            ):
                maxitems, minwords, best = poslen, curlen, i
        if best < 0:
            break
        start, end, curlen, _, _, _ = pieces[best]
        pieces[best][4] = 1
        if curlen < max_words:
            maxstretch = (max_words - curlen) // 2
            stretch = 0
            marker = start
            i = start - 1
            while i >= 0 and stretch < maxstretch and not words[i].shown:
                if words[i].kind not in _NON_WORD:
                    curlen += 1
                    stretch += 1
                marker = i
                i -= 1
            i = marker
            while i < start and _bad_end(words[i], opts):
                if words[i].kind not in _NON_WORD:
                    curlen -= 1
                i += 1
            start = i
            marker = end
            i = end + 1
            while i < len(words) and curlen < max_words and not words[i].shown:
                if words[i].kind not in _NON_WORD:
                    curlen += 1
                marker = i
                i += 1
            i = marker
            while i > end and _bad_end(words[i], opts):
                if words[i].kind not in _NON_WORD:
                    curlen -= 1
                i -= 1
            end = i
        pieces[best][0:3] = [start, end, curlen]
        _mark(words, start, end)
        chosen += 1
        for i, piece in enumerate(pieces):
            ps, pe = piece[0], piece[1]
            if i != best and (
                start <= ps <= end or start <= pe <= end or (ps < start and pe > end)
            ):
                piece[5] = 1
    if not chosen:
        curlen, last = 0, -1
        for i, w in enumerate(words):
            if curlen >= opts.min_words:
                break
            if w.kind not in _NON_WORD:
                curlen += 1
            last = i
        _mark(words, 0, last)


def _mark(words: list[_Word], lo: int, hi: int) -> None:
    for w in words[lo : hi + 1]:
        w.shown = not w.repeated
        w.selected = w.item


def _generate(words: list[_Word], opts: HeadlineOptions) -> str:
    """generateHeadline: the shown words, query words between the selection marks, tags
    as a space, compounds through their parts, fragments joined by the delimiter."""
    out: list[str] = []
    in_fragment = False
    fragments = 0
    for w in words:
        if not w.shown:
            in_fragment = in_fragment and w.repeated  # a repeated copy does not end one
            continue
        if not in_fragment:
            in_fragment = True
            fragments += 1
            if fragments > 1:
                out.append(opts.fragment_delimiter)
        if w.kind == P.TAG and not opts.highlight_all:
            out.append(" ")
        elif w.kind not in _SKIPPED:
            out.append(opts.start_sel + w.text + opts.stop_sel if w.selected else w.text)
    return "".join(out)
