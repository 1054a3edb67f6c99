"""The jsonpath type's input and output as PostgreSQL 15 reads and prints it: a value is its
canonical text (keys and variables quoted, numbers as numeric prints them, operators spaced,
parentheses where jsonpath_out puts them: around a binary operation at the top or under an
operation of no lower priority, around a number an accessor follows), so equal paths are
equal strings. Syntax errors are 42601, as the jsonpath grammar's; a path is not evaluated
here (db9 has no SQL/JSON path functions)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal

from sql.errors import InvalidTextRepresentation, SqlError, UntranslatableCharacter
from sql.regex_engine import pg_regex

# characters that end an identifier or a number (everything else is part of one)
_SPECIAL = set('?%$.[]{}()|&!=<>@#,*:-+/\\" \t\n\r\f')
_SPACE = " \t\n\r\f"
_OPS = ("**", "==", "!=", "<>", "<=", ">=", "&&", "||", *"<>!()[]{}.,?@$*+-/%")
_NUMBER = re.compile(r"(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_METHODS = ("type", "size", "double", "ceiling", "floor", "abs", "keyvalue")
_FLAGS = "ismxq"
_COMPARISONS = {"==": "==", "!=": "!=", "<>": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">="}
# operationPriority: what decides the parentheses jsonpath_out prints
_PRIORITY = {"||": 0, "&&": 1, **dict.fromkeys(("==", "!=", "<", ">", "<=", ">=", "starts"), 2),
             "+": 3, "-": 3, "*": 4, "/": 4, "%": 4, "unary": 5}  # fmt: skip


def _syntax(message: str) -> SqlError:
    return SqlError(message).with_state("42601")


@dataclass
class _Tok:
    kind: str  # num, str, var, ident, op, end
    text: str
    value: str = ""


def _string(text: str, i: int) -> tuple[str, int]:
    """The double-quoted string starting at ``text[i]`` (the quote): its value, the end."""
    out: list[str] = []
    i += 1
    while True:
        if i >= len(text):
            raise _syntax("unexpected end of quoted string of jsonpath input")
        ch = text[i]
        if ch == '"':
            return "".join(out), i + 1
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        esc = text[i + 1 : i + 2]
        i += 2
        simple = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
        if esc in simple:
            out.append(simple[esc])
        elif esc == "x" and re.match(r"[0-9a-fA-F]{1,2}", text[i:]):
            m = re.match(r"[0-9a-fA-F]{1,2}", text[i:])
            assert m is not None
            out.append(chr(int(m[0], 16)))
            i += len(m[0])
        elif esc == "u":
            m = re.match(r"\{([0-9a-fA-F]{1,6})\}|([0-9a-fA-F]{4})", text[i:])
            if m is None:
                raise _syntax("invalid Unicode escape sequence of jsonpath input")
            code = int(m[1] or m[2], 16)
            i += len(m[0])
            if code == 0:
                raise UntranslatableCharacter("unsupported Unicode escape sequence")
            if 0xD800 <= code <= 0xDBFF:  # a surrogate pair's first half: the second follows
                low = re.match(r"\\u([0-9a-fA-F]{4})", text[i:])
                if low is None or not 0xDC00 <= int(low[1], 16) <= 0xDFFF:
                    raise InvalidTextRepresentation("invalid input syntax for type jsonpath")
                code = 0x10000 + ((code - 0xD800) << 10) + (int(low[1], 16) - 0xDC00)
                i += 6
            elif 0xDC00 <= code <= 0xDFFF:
                raise InvalidTextRepresentation("invalid input syntax for type jsonpath")
            out.append(chr(code))
        elif esc:
            out.append(esc)  # any other escaped character is itself
        else:
            raise _syntax("unexpected end of quoted string of jsonpath input")


def _tokens(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in _SPACE:
            i += 1
            continue
        m = _NUMBER.match(text, i)
        if m and (ch.isdigit() or (ch == "." and text[i + 1 : i + 2].isdigit())):
            end = m.end()
            if end < len(text) and text[end] not in _SPECIAL:
                junk = text[i : end + 1]
                raise _syntax(
                    f'trailing junk after numeric literal at or near "{junk}" of jsonpath input'
                )
            toks.append(_Tok("num", m[0]))
            i = end
            continue
        if ch == '"':
            value, i = _string(text, i)
            toks.append(_Tok("str", text, value))
            continue
        if ch == "$" and i + 1 < len(text) and (text[i + 1] == '"' or text[i + 1] not in _SPECIAL):
            if text[i + 1] == '"':
                name, i = _string(text, i + 1)
            else:
                j = i + 1
                while j < len(text) and text[j] not in _SPECIAL:
                    j += 1
                name, i = text[i + 1 : j], j
            toks.append(_Tok("var", "$", name))
            continue
        if ch not in _SPECIAL:
            j = i
            while j < len(text) and text[j] not in _SPECIAL:
                j += 1
            toks.append(_Tok("ident", text[i:j]))
            i = j
            continue
        op = next((o for o in _OPS if text.startswith(o, i)), None)
        if op is None:
            raise _syntax(f'syntax error at or near "{ch}" of jsonpath input')
        toks.append(_Tok("op", op))
        i += len(op)
    toks.append(_Tok("end", ""))
    return toks


@dataclass
class _Item:
    """One jsonpath item: ``kind`` (an operator, key, num, str, var, root, current, last,
    bool, null, any_key, any_array, index, any, method, datetime, filter, not, exists,
    unknown, like, unary +/-) and what it holds; ``next`` the accessor that follows it."""

    kind: str
    args: list[_Item] = field(default_factory=list)
    text: str = ""  # a key, number, string, variable name, method, regex, template
    extra: str = ""  # like_regex flags; an any path's levels
    subs: list[tuple[_Item, _Item | None]] = field(default_factory=list)  # [a, b to c]
    predicate: bool = False
    next: _Item | None = None

    def last(self) -> _Item:
        item = self
        while item.next is not None:
            item = item.next
        return item


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.at = 0

    def peek(self, offset: int = 0) -> _Tok:
        return self.toks[min(self.at + offset, len(self.toks) - 1)]

    def is_op(self, *ops: str) -> bool:
        t = self.peek()
        return t.kind == "op" and t.text in ops

    def is_word(self, word: str) -> bool:
        t = self.peek()
        return t.kind == "ident" and t.text == word

    def take(self) -> _Tok:
        t = self.peek()
        self.at += 1
        return t

    def error(self) -> SqlError:
        t = self.peek()
        if t.kind == "end":
            return _syntax("syntax error at end of jsonpath input")
        shown = {"num": t.text, "op": t.text, "ident": t.text, "var": "$"}.get(t.kind, '"')
        return _syntax(f'syntax error at or near "{shown}" of jsonpath input')

    def expect(self, op: str) -> None:
        if not self.is_op(op):
            raise self.error()
        self.at += 1

    # grammar, by priority

    def predicate_or_expr(self) -> _Item:
        left = self.conjunction()
        while self.is_op("||"):
            self.take()
            left = _binary("||", left, self.conjunction(), pred=True)
        return left

    def conjunction(self) -> _Item:
        left = self.negation()
        while self.is_op("&&"):
            self.take()
            left = _binary("&&", left, self.negation(), pred=True)
        return left

    def negation(self) -> _Item:
        if self.is_op("!"):
            self.take()
            inner = self.delimited_predicate()
            if inner is None:
                raise self.error()
            return _Item("not", [inner], predicate=True)
        return self.comparison()

    def delimited_predicate(self) -> _Item | None:
        if self.is_word("exists") and self.peek(1).kind == "op" and self.peek(1).text == "(":
            self.at += 2
            inner = self.predicate_or_expr()
            if inner.predicate:
                raise self.error()
            self.expect(")")
            return _Item("exists", [inner], predicate=True)
        if self.is_op("("):
            self.take()
            inner = self.predicate_or_expr()
            self.expect(")")
            if not inner.predicate:
                raise self.error()
            return inner
        return None

    def comparison(self) -> _Item:
        left = self.additive()
        t = self.peek()
        if t.kind == "op" and t.text in _COMPARISONS:
            self.take()
            return _binary(
                _COMPARISONS[t.text], _expr(left, self), _expr(self.additive(), self), pred=True
            )
        if self.is_word("starts") and self.peek(1).kind == "ident" and self.peek(1).text == "with":
            self.at += 2
            init = self.take()
            if init.kind == "str":
                right = _Item("str", text=init.value)
            elif init.kind == "var":
                right = _Item("var", text=init.value)
            else:
                self.at -= 1
                raise self.error()
            return _binary("starts", _expr(left, self), right, pred=True)
        if self.is_word("like_regex"):
            self.take()
            pattern = self.take()
            if pattern.kind != "str":
                self.at -= 1
                raise self.error()
            flags = ""
            if self.is_word("flag"):
                self.take()
                given = self.take()
                if given.kind != "str":
                    self.at -= 1
                    raise self.error()
                if any(f not in _FLAGS for f in given.value):
                    raise _syntax("invalid input syntax for type jsonpath")
                flags = "".join(f for f in _FLAGS if f in given.value)
            _check_regex(pattern.value, flags)
            like = _Item("like", [_expr(left, self)], text=pattern.value, extra=flags)
            like.predicate = True
            return like
        if left.predicate and self.is_word("is"):
            self.take()
            if not self.is_word("unknown"):
                raise self.error()
            self.take()
            return _Item("unknown", [left], predicate=True)
        return left

    def additive(self) -> _Item:
        left = self.multiplicative()
        while self.is_op("+", "-"):
            op = self.take().text
            left = _binary(op, _expr(left, self), _expr(self.multiplicative(), self))
        return left

    def multiplicative(self) -> _Item:
        left = self.unary()
        while self.is_op("*", "/", "%"):
            op = self.take().text
            left = _binary(op, _expr(left, self), _expr(self.unary(), self))
        return left

    def unary(self) -> _Item:
        if self.is_op("+", "-"):
            op = self.take().text
            arg = _expr(self.unary(), self)
            if arg.kind == "num" and arg.next is None:  # folded, as makeItemUnary does
                if op == "-":
                    arg.text = _numeric_text(-Decimal(arg.text))
                return arg
            return _Item(op, [arg])
        return self.accessors(self.primary())

    def primary(self) -> _Item:
        t = self.take()
        if t.kind == "num":
            return _Item("num", text=_numeric_text(Decimal(t.text)))
        if t.kind == "str":
            return _Item("str", text=t.value)
        if t.kind == "var":
            return _Item("var", text=t.value)
        if t.kind == "ident" and t.text in ("true", "false"):
            return _Item("bool", text=t.text)
        if t.kind == "ident" and t.text in ("null", "last"):
            return _Item(t.text)
        if t.kind == "op" and t.text in ("$", "@"):
            return _Item("root" if t.text == "$" else "current")
        if t.kind == "ident" and t.text == "exists":
            self.at -= 1
            found = self.delimited_predicate()
            if found is None:
                raise self.error()
            return found
        if t.kind == "op" and t.text == "(":
            inner = self.predicate_or_expr()
            self.expect(")")
            return inner
        self.at -= 1
        raise self.error()

    def accessors(self, item: _Item) -> _Item:
        ops: list[_Item] = []
        while True:
            if self.is_op("."):
                self.take()
                ops.append(self.dot_accessor())
            elif self.is_op("["):
                self.take()
                ops.append(self.subscripts())
            elif self.is_op("?"):
                self.take()
                self.expect("(")
                pred = self.predicate_or_expr()
                if not pred.predicate:
                    raise self.error()
                self.expect(")")
                ops.append(_Item("filter", [pred]))
            else:
                break
        tail = item.last()  # an operation's accessors follow it, printed after its text
        for op in ops:
            tail.next = op
            tail = op
        if ops:
            item.predicate = False
        return item

    def dot_accessor(self) -> _Item:
        t = self.take()
        if t.kind == "op" and t.text == "*":
            return _Item("any_key")
        if t.kind == "op" and t.text == "**":
            levels = ""
            if self.is_op("{"):
                self.take()
                first = self.level()
                if self.is_word("to"):
                    self.take()
                    levels = f"{first} to {self.level()}"
                else:
                    levels = first
                self.expect("}")
            return _Item("any", extra=levels)
        if t.kind == "str":
            return _Item("key", text=t.value)
        if t.kind == "ident":
            if self.is_op("(") and (t.text in _METHODS or t.text == "datetime"):
                self.take()
                template = ""
                if t.text == "datetime" and self.peek().kind == "str":
                    template = self.take().value
                    self.expect(")")
                    return _Item("datetime", text=template, extra="t")
                self.expect(")")
                return _Item("datetime" if t.text == "datetime" else "method", text=t.text)
            return _Item("key", text=t.text)
        self.at -= 1
        raise self.error()

    def level(self) -> str:
        t = self.take()
        if t.kind == "num" and t.text.isdigit():
            return str(int(t.text))
        if t.kind == "ident" and t.text == "last":
            return "last"
        self.at -= 1
        raise self.error()

    def subscripts(self) -> _Item:
        if self.is_op("*"):
            self.take()
            self.expect("]")
            return _Item("any_array")
        subs: list[tuple[_Item, _Item | None]] = []
        while True:
            start = _expr(self.predicate_or_expr(), self)
            end = None
            if self.is_word("to"):
                self.take()
                end = _expr(self.predicate_or_expr(), self)
            subs.append((start, end))
            if self.is_op(","):
                self.take()
                continue
            self.expect("]")
            return _Item("index", subs=subs)


def _expr(item: _Item, parser: _Parser) -> _Item:
    if item.predicate:  # a predicate where the grammar wants an expression
        raise parser.error()
    return item


def _binary(op: str, left: _Item, right: _Item, *, pred: bool = False) -> _Item:
    return _Item(op, [left, right], predicate=pred)


def _numeric_text(d: Decimal) -> str:
    """As numeric_out prints a literal: its scale kept, no exponent, no negative zero."""
    return format(d.copy_abs() if d.is_zero() else d, "f")


def _check_regex(pattern: str, flags: str) -> None:
    """like_regex's pattern compiles, as PostgreSQL's regex engine reads it (2201B if not)."""
    pg_regex(pattern, flags.replace("s", "").replace("m", "n"))


def _check(item: _Item | None, *, filters: int, subscripts: int) -> None:
    """@ only inside a filter, last only inside a subscript (flattenJsonPathParseItem)."""
    while item is not None:
        if item.kind == "current" and filters == 0:
            raise _syntax("@ is not allowed in root expressions")
        if item.kind == "last" and subscripts == 0:
            raise _syntax("LAST is allowed only in array subscripts")
        for arg in item.args:
            _check(arg, filters=filters + (item.kind == "filter"), subscripts=subscripts)
        for a, b in item.subs:
            _check(a, filters=filters, subscripts=subscripts + 1)
            _check(b, filters=filters, subscripts=subscripts + 1)
        item = item.next


def _quoted(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _print(item: _Item, in_key: bool, brackets: bool) -> str:
    k = item.kind
    out: str
    if k in _PRIORITY and len(item.args) == 2:
        left, right = item.args
        prio = _PRIORITY[k]
        name = "starts with" if k == "starts" else k
        out = (
            _print(left, False, _priority(left) <= prio) + f" {name} "
            + _print(right, False, _priority(right) <= prio)
        )  # fmt: skip
        out = f"({out})" if brackets else out
    elif k in ("+", "-"):
        (arg,) = item.args
        out = k + _print(arg, False, _priority(arg) <= _PRIORITY["unary"])
        out = f"({out})" if brackets else out
    elif k == "like":
        (arg,) = item.args
        out = _print(arg, False, _priority(arg) <= 6) + " like_regex " + _quoted(item.text)
        out += f' flag "{item.extra}"' if item.extra else ""
        out = f"({out})" if brackets else out
    elif k == "filter":
        out = "?(" + _print(item.args[0], False, False) + ")"
    elif k == "not":
        out = "!(" + _print(item.args[0], False, False) + ")"
    elif k == "unknown":
        out = "(" + _print(item.args[0], False, False) + ") is unknown"
    elif k == "exists":
        out = "exists (" + _print(item.args[0], False, False) + ")"
    elif k == "root":
        out = "$"
    elif k == "current":
        out = "@"
    elif k == "last":
        out = "last"
    elif k == "null":
        out = "null"
    elif k == "bool":
        out = item.text
    elif k == "var":
        out = "$" + _quoted(item.text)
    elif k == "str":
        out = _quoted(item.text)
    elif k == "num":
        out = f"({item.text})" if item.next is not None else item.text
    elif k == "key":
        out = ("." if in_key else "") + _quoted(item.text)
    elif k == "any_key":
        out = ("." if in_key else "") + "*"
    elif k == "any_array":
        out = "[*]"
    elif k == "index":
        parts = [
            _print(a, False, False) + ("" if b is None else " to " + _print(b, False, False))
            for a, b in item.subs
        ]
        out = "[" + ",".join(parts) + "]"
    elif k == "any":
        out = ("." if in_key else "") + "**" + (f"{{{item.extra}}}" if item.extra else "")
    elif k == "method":
        out = f".{item.text}()"
    else:  # datetime
        out = ".datetime(" + (_quoted(item.text) if item.extra else "") + ")"
    if item.next is not None:
        out += _print(item.next, True, True)
    return out


def _priority(item: _Item) -> int:
    if item.kind in ("+", "-") and len(item.args) == 1:
        return _PRIORITY["unary"]
    return _PRIORITY.get(item.kind, 6) if item.kind not in ("like",) else 6


def parse(text: str) -> str:
    """jsonpath_in: the canonical text of the path ``text``; 42601 for a syntax error."""
    p = _Parser(text)
    strict = False
    if p.peek().kind == "ident" and p.peek().text in ("strict", "lax"):
        strict = p.take().text == "strict"
    if p.peek().kind == "end":
        raise InvalidTextRepresentation(f'invalid input syntax for type jsonpath: "{text}"')
    item = p.predicate_or_expr()
    if p.peek().kind != "end":
        raise p.error()
    _check(item, filters=0, subscripts=0)
    return ("strict " if strict else "") + _print(item, False, True)
