"""The tsvector and tsquery values, with PostgreSQL's input and output text forms.

A TsVector holds its lexemes sorted by their UTF-8 bytes (tsvector's order), each once, with
its positions sorted and unique; a position carries a weight 0..3 (D, C, B, A; D is not
printed). A TsQuery is a tree of operands and operators, or empty (``root`` None).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from sql.errors import InvalidTextRepresentation, ProgramLimitExceeded, SyntaxError_

MAX_POS = 16383  # positions past it are stored as it
MAX_POSITIONS = 256  # positions kept per lexeme
WEIGHTS = "DCBA"  # weight number -> letter


@functools.total_ordering
@dataclass(frozen=True, eq=True)
class TsVector:
    """Lexemes in tsvector order; each with (position, weight) pairs, possibly none.
    Ordered by number of lexemes, then lexemes and positions (tsvector_cmp's order)."""

    entries: tuple[tuple[str, tuple[tuple[int, int], ...]], ...]

    def __str__(self) -> str:
        return format_tsvector(self)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, TsVector):
            return NotImplemented
        return _vector_key(self) < _vector_key(other)

    def positions(self) -> dict[str, tuple[tuple[int, int], ...]]:
        return dict(self.entries)


def _vector_key(v: TsVector) -> tuple[object, ...]:
    return (len(v.entries), [(len(x.encode()), x.encode(), ps) for x, ps in v.entries])


def _byte_key(lexeme: str) -> bytes:
    return lexeme.encode()


def make_tsvector(words: dict[str, list[tuple[int, int]]]) -> TsVector:
    """A TsVector of lexeme -> positions, normalised: sorted, duplicates merged (the highest
    weight of a position wins), at most 256 positions a lexeme."""
    entries = []
    for lexeme in sorted(words, key=_byte_key):
        best: dict[int, int] = {}
        for pos, weight in words[lexeme]:
            pos = min(pos, MAX_POS)
            best[pos] = max(best.get(pos, 0), weight)
        entries.append((lexeme, tuple(sorted(best.items()))[:MAX_POSITIONS]))
    return TsVector(tuple(entries))


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def format_tsvector(v: TsVector) -> str:
    out = []
    for lexeme, positions in v.entries:
        text = _quote(lexeme)
        if positions:
            text += ":" + ",".join(f"{p}{WEIGHTS[w] if w else ''}" for p, w in positions)
        out.append(text)
    return " ".join(out)


class _Reader:
    """A cursor over an input text; ``word`` reads a quoted or bare lexeme (backslash
    escapes the next character in both; '' is a quote inside quotes)."""

    def __init__(self, text: str, type_name: str, stops: str) -> None:
        self.text, self.i, self.type_name, self.stops = text, 0, type_name, stops

    def bad(self) -> SyntaxError_:
        return SyntaxError_(f'syntax error in {self.type_name}: "{self.text}"')

    def skip_space(self) -> None:
        while self.i < len(self.text) and self.text[self.i].isspace():
            self.i += 1

    def peek(self) -> str:
        return self.text[self.i] if self.i < len(self.text) else ""

    def word(self) -> str:
        t, out = self.text, []
        if self.peek() == "'":
            self.i += 1
            while True:
                if self.i >= len(t):
                    raise self.bad()
                ch = t[self.i]
                if ch == "\\" and self.i + 1 < len(t):
                    out.append(t[self.i + 1])
                    self.i += 2
                elif ch == "'":
                    if t[self.i + 1 : self.i + 2] == "'":
                        out.append("'")
                        self.i += 2
                    else:
                        self.i += 1
                        break
                else:
                    out.append(ch)
                    self.i += 1
            if not out:
                raise self.bad()
            return "".join(out)
        while self.i < len(t) and not t[self.i].isspace() and t[self.i] not in self.stops:
            if t[self.i] == "\\" and self.i + 1 < len(t):
                self.i += 1
            out.append(t[self.i])
            self.i += 1
        if not out:
            raise self.bad()
        return "".join(out)


def parse_tsvector(text: str) -> TsVector:
    """tsvector_in: lexemes separated by spaces, each optionally followed by :positions
    (1A,2,3B); 22P02 for a bad position, 54000 for a lexeme past 2 KB."""
    r = _Reader(text, "tsvector", ":")
    words: dict[str, list[tuple[int, int]]] = {}
    while True:
        r.skip_space()
        if not r.peek():
            break
        lexeme = r.word()
        if len(lexeme.encode()) > 2047:
            raise ProgramLimitExceeded("word is too long (2047 bytes, max 2046 bytes)")
        positions = words.setdefault(lexeme, [])
        if r.peek() == ":":
            r.i += 1
            while True:
                start = r.i
                while r.peek().isdigit():
                    r.i += 1
                if r.i == start:
                    raise r.bad()
                pos = int(text[start : r.i])
                if pos == 0:
                    raise InvalidTextRepresentation(f'wrong position info in tsvector: "{text}"')
                weight = 0
                while r.peek() and r.peek() in "ABCDabcd*":  # the last letter wins; * is A
                    weight = 3 if r.peek() == "*" else WEIGHTS.index(r.peek().upper())
                    r.i += 1
                if r.peek() and not r.peek().isspace() and r.peek() != ",":
                    raise r.bad()
                positions.append((pos, weight))
                if r.peek() != ",":
                    break
                r.i += 1
    return make_tsvector(words)


# -- tsquery ---------------------------------------------------------------------------------

OR, AND, PHRASE, NOT = "|", "&", "<->", "!"
PRIORITY = {OR: 1, AND: 2, PHRASE: 3, NOT: 4}


@dataclass(frozen=True)
class Operand:
    """A lexeme to match; ``weights`` a mask (A=8, B=4, C=2, D=1; 0 = any)."""

    lexeme: str
    weights: int = 0
    prefix: bool = False
    stop: bool = False


@dataclass(frozen=True)
class Operator:
    """``!right``, ``left & right``, ``left | right`` or ``left <distance> right``."""

    op: str
    right: Node
    left: Node | None = None
    distance: int = 0


Node = Operand | Operator


@functools.total_ordering
@dataclass(frozen=True, eq=True)
class TsQuery:
    """A query tree, or None (the empty query). Ordered as tsquery_cmp orders: by number
    of nodes, then the operands' total length, then node by node (where PostgreSQL
    compares operands by a CRC of their text first, lexemes compare by their bytes)."""

    root: Node | None

    def __str__(self) -> str:
        return format_tsquery(self)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, TsQuery):
            return NotImplemented
        return _query_key(self) < _query_key(other)


_OP_CODE = {NOT: 1, AND: 2, OR: 3, PHRASE: 4}


def _nodes(n: Node | None) -> list[Node]:
    if n is None:
        return []
    if isinstance(n, Operand):
        return [n]
    return [n, *_nodes(n.right), *_nodes(n.left)]


def _node_key(n: Node) -> tuple[object, ...]:
    """QTNodeCompare's order: operators before operands, higher operator codes first."""
    if isinstance(n, Operand):
        return (1, n.lexeme.encode())
    children = [n.right] if n.left is None else [n.left, n.right]
    return (0, -_OP_CODE[n.op], -len(children), [_node_key(c) for c in children], -n.distance)


def _query_key(q: TsQuery) -> tuple[object, ...]:
    nodes = _nodes(q.root)
    size = sum(len(n.lexeme.encode()) + 1 for n in nodes if isinstance(n, Operand))
    return (len(nodes), size, _node_key(q.root) if q.root is not None else ())


def _format_node(n: Node, parent: int, right_of_phrase: bool) -> str:
    if isinstance(n, Operand):
        text = _quote(n.lexeme)
        if n.prefix or n.weights:
            text += ":" + ("*" if n.prefix else "")
            text += "".join(ch for bit, ch in ((8, "A"), (4, "B"), (2, "C"), (1, "D"))
                            if n.weights & bit)  # fmt: skip
        return text
    prio = PRIORITY[n.op]
    if n.op == NOT:
        inner = "!" + _format_node(n.right, prio, False)
        return f"( {inner} )" if prio < parent else inner
    assert n.left is not None
    left = _format_node(n.left, prio, False)
    right = _format_node(n.right, prio, n.op == PHRASE)
    sym = n.op if n.op != PHRASE or n.distance == 1 else f"<{n.distance}>"
    text = f"{left} {sym} {right}"
    return f"( {text} )" if prio < parent or (n.op == PHRASE and right_of_phrase) else text


def format_tsquery(q: TsQuery) -> str:
    return "" if q.root is None else _format_node(q.root, 0, False)


STOP = Operand("", stop=True)  # an operand that normalised to nothing (``clean`` drops it)
Tree = Node  # a parsed query, stop-word placeholders not yet dropped


OperandFn = Callable[[str, int, bool], Tree]


class QueryParser:
    """The tsquery text syntax: operands (quoted or bare, with :*ABCD), ! & | <-> <N> and
    parentheses; ``operand`` turns each operand's text into a subtree (or None for a stop
    word), as to_tsquery normalises it and tsquery_in does not."""

    def __init__(self, text: str, operand: OperandFn | None = None) -> None:
        self.r = _Reader(text, "tsquery", "&|!()<:")
        self.operand = operand or _literal

    def parse(self) -> Tree | None:
        r = self.r
        r.skip_space()
        if not r.peek():
            return None
        node = self._or()
        r.skip_space()
        if r.peek():
            raise r.bad()
        return node

    def _or(self) -> Tree:
        left = self._and()
        while self._take("|"):
            left = Operator(OR, self._and(), left)
        return left

    def _and(self) -> Tree:
        left = self._phrase()
        while self._take("&"):
            left = Operator(AND, self._phrase(), left)
        return left

    def _phrase(self) -> Tree:
        left = self._not()
        while (d := self._distance()) is not None:
            left = Operator(PHRASE, self._not(), left, d)
        return left

    def _distance(self) -> int | None:
        r = self.r
        r.skip_space()
        t = r.text[r.i :]
        if t.startswith("<->"):
            r.i += 3
            return 1
        if t.startswith("<"):
            end = t.find(">")
            body = t[1:end] if end > 0 else ""
            if not body.strip().isdigit():
                raise r.bad()
            r.i += end + 1
            d = int(body)
            if d > MAX_POS:
                raise r.bad()
            return d
        return None

    def _not(self) -> Tree:
        if self._take("!"):
            return Operator(NOT, self._not())
        if self._take("("):
            node = self._or()
            if not self._take(")"):
                raise self.r.bad()
            return node
        return self._operand()

    def _take(self, ch: str) -> bool:
        self.r.skip_space()
        if self.r.peek() == ch:
            self.r.i += 1
            return True
        return False

    def _operand(self) -> Tree:
        r = self.r
        r.skip_space()
        if not r.peek() or r.peek() in "&|)<":
            raise r.bad()
        word = r.word()
        weights, prefix = 0, False
        if r.peek() == ":":
            r.i += 1
            while r.peek() and r.peek() in "*ABCDabcd":
                ch = r.peek().upper()
                if ch == "*":
                    prefix = True
                else:
                    weights |= {"A": 8, "B": 4, "C": 2, "D": 1}[ch]
                r.i += 1
        return self.operand(word, weights, prefix)


def _literal(word: str, weights: int, prefix: bool) -> Tree:
    if len(word.encode()) > 2047:
        raise ProgramLimitExceeded("word is too long in tsquery")
    return Operand(word, weights, prefix)


def clean(tree: Tree | None) -> Node | None:
    """Drops stop-word placeholders as PostgreSQL's clean_stopwords does: an operator with
    one side left becomes that side, and a phrase's dropped width moves into the distance of
    the nearest phrase operator kept."""
    if tree is None:
        return None
    node, _, _ = _clean(tree)
    return node


def _clean(n: Tree) -> tuple[Node | None, int, int]:
    if isinstance(n, Operand):
        if n.stop:
            return None, 0, 0
        return n, 0, 0
    if n.op == NOT:
        right, ladd, radd = _clean(n.right)
        return (Operator(NOT, right) if right is not None else None), ladd, radd
    assert n.left is not None
    left, lladd, lradd = _clean(n.left)
    right, rladd, rradd = _clean(n.right)
    phrase = n.op == PHRASE
    d = n.distance if phrase else 0
    if left is None and right is None:
        add = lladd + d + rladd if phrase else 0
        return None, add, add
    if left is None:
        assert right is not None
        return (right, lladd + d + rladd, rradd) if phrase else (right, rladd, rradd)
    if right is None:
        return (left, lladd, lradd + d + rradd) if phrase else (left, lladd, lradd)
    if phrase:
        return Operator(PHRASE, right, left, d + lradd + rladd), lladd, rradd
    return Operator(n.op, right, left), 0, 0


def parse_tsquery(text: str) -> TsQuery:
    """tsquery_in: the operands taken as written (no normalisation)."""
    return TsQuery(clean(QueryParser(text).parse()))
