"""hstore values (the hstore extension's type): a set of text keys, each with a text value
or NULL, as PostgreSQL's hstore_io.c reads and prints them.

A value is an ``Hstore``: its pairs kept in hstore's own order (keys by byte length, then
bytes), one pair per key (the first one written wins), so equal values are equal tuples
and print alike. Ordering is hstore_cmp's (btree_hstore_ops): the concatenated key and value
bytes, then the pair count, then where each key and value ends.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Any

from sql.errors import InternalError, InvalidBinaryRepresentation

_I32 = struct.Struct("!i")


def _order(key: str) -> tuple[int, bytes]:
    raw = key.encode()
    return len(raw), raw


class Hstore:
    """An hstore value: (key, value or None) pairs, in hstore's key order, keys unique."""

    __slots__ = ("pairs",)
    pairs: tuple[tuple[str, str | None], ...]

    def __init__(self, pairs: Iterable[tuple[str, str | None]] = ()) -> None:
        seen: dict[str, str | None] = {}
        for k, v in pairs:
            seen.setdefault(k, v)
        self.pairs = tuple(sorted(seen.items(), key=lambda kv: _order(kv[0])))

    @classmethod
    def merged(cls, first: Hstore, second: Hstore) -> Hstore:
        """``first || second``: second's value wins for a key both have."""
        return cls([*second.pairs, *first.pairs])

    def get(self, key: str) -> str | None:
        for k, v in self.pairs:
            if k == key:
                return v
        return None

    def key_list(self) -> list[str]:
        return [k for k, _ in self.pairs]

    def value_list(self) -> list[str | None]:
        return [v for _, v in self.pairs]

    def has(self, key: str) -> bool:
        return any(k == key for k, _ in self.pairs)

    def as_dict(self) -> dict[str, str | None]:
        return dict(self.pairs)

    def _cmp_key(self) -> tuple[Any, ...]:
        if not self.pairs:
            return (0,)
        data = b"".join(k.encode() + (v or "").encode() for k, v in self.pairs)
        ends, pos = [], 0
        for k, v in self.pairs:
            pos += len(k.encode())
            ends.append((pos, False))
            pos += len((v or "").encode())
            ends.append((pos, v is None))
        return (1, data, len(self.pairs), tuple(ends))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Hstore) and self.pairs == other.pairs

    def __hash__(self) -> int:
        return hash(self.pairs)

    def __lt__(self, other: Hstore) -> bool:
        return self._cmp_key() < other._cmp_key()

    def __le__(self, other: Hstore) -> bool:
        return self._cmp_key() <= other._cmp_key()

    def __gt__(self, other: Hstore) -> bool:
        return self._cmp_key() > other._cmp_key()

    def __ge__(self, other: Hstore) -> bool:
        return self._cmp_key() >= other._cmp_key()

    def __repr__(self) -> str:
        return f"Hstore({format_hstore(self)!r})"


# -- text: hstore_in / hstore_out ------------------------------------------------------------


_SPACE = " \t\n\r\f"  # scanner_isspace


def _syntax(text: str, pos: int) -> InternalError:
    # PostgreSQL 15's hstore reports bad input with elog: XX000, a byte position
    return InternalError(
        f'Syntax error near "{text[pos : pos + 1]}" at position {len(text[:pos].encode())}'
    )


def _end() -> InternalError:
    return InternalError("Unexpected end of string")


def _read_token(text: str, i: int, value: bool) -> tuple[str, bool, int] | None:
    """hstore_io.c's get_val from ``text[i]``: a key (``value`` False) or a value, whether
    it was quoted, and the index of the character that ended it (it is looked at again
    by the caller: ``=`` after a key, ``,`` after a value, the end); None at the end of the
    text before any character of it. Bare tokens end at a blank, and keys at ``=``, values
    at ``,``; a backslash takes the next character as it is, in quotes or not."""
    n = len(text)
    out: list[str] = []
    state = "wait"
    while True:
        ch = text[i] if i < n else ""
        if state == "wait":
            if ch == '"':
                state = "quoted"
            elif ch == "":
                return None
            elif ch == "=" and not value:
                raise _syntax(text, i)
            elif ch == "\\":
                state = "escape"
            elif ch not in _SPACE:
                out.append(ch)
                state = "bare"
        elif state == "bare":
            if ch == "\\":
                state = "escape"
            elif ch == "" or ch == ("," if value else "="):
                return "".join(out), False, i
            elif ch in _SPACE:
                return "".join(out), False, i + 1
            else:
                out.append(ch)
        elif state == "quoted":
            if ch == "\\":
                state = "quoted escape"
            elif ch == '"':
                return "".join(out), True, i + 1
            elif ch == "":
                raise _end()
            else:
                out.append(ch)
        else:  # after a backslash
            if ch == "":
                raise _end()
            out.append(ch)
            state = "quoted" if state == "quoted escape" else "bare"
        i += 1


def parse_hstore(text: str) -> Hstore:
    """hstore_in, as hstore_io.c's parse_hstore reads: ``key => value`` pairs separated by
    commas; a bare NULL value (any case) is NULL."""
    pairs: list[tuple[str, str | None]] = []
    n = len(text)
    i, state = 0, "key"
    key = ""
    while True:
        ch = text[i] if i < n else ""
        if state == "key":
            got = _read_token(text, i, value=False)
            if got is None:
                break
            key, _, i = got
            state = "eq"
            continue
        if state == "eq":
            if ch == "=":
                state = "gt"
            elif ch == "":
                raise _end()
            elif ch not in _SPACE:
                raise _syntax(text, i)
        elif state == "gt":
            if ch == ">":
                state = "value"
            elif ch == "":
                raise _end()
            else:
                raise _syntax(text, i)
        elif state == "value":
            got = _read_token(text, i, value=True)
            if got is None:
                raise _end()
            raw, quoted, i = got
            pairs.append((key, None if not quoted and raw.upper() == "NULL" else raw))
            state = "delimiter"
            continue
        else:  # after a value
            if ch == ",":
                state = "key"
            elif ch == "":
                break
            elif ch not in _SPACE:
                raise _syntax(text, i)
        i += 1
    return Hstore(pairs)


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_hstore(h: Hstore) -> str:
    """hstore_out: ``"key"=>"value"`` pairs joined by ``, ``; a NULL value as NULL."""
    return ", ".join(f"{_quote(k)}=>{'NULL' if v is None else _quote(v)}" for k, v in h.pairs)


# -- binary: hstore_send / hstore_recv -------------------------------------------------------


def send_hstore(h: Hstore) -> bytes:
    """The pair count, then each key and value as a length (-1: NULL) and UTF-8 bytes."""
    out = [_I32.pack(len(h.pairs))]
    for k, v in h.pairs:
        kb = k.encode()
        out.append(_I32.pack(len(kb)) + kb)
        if v is None:
            out.append(_I32.pack(-1))
        else:
            vb = v.encode()
            out.append(_I32.pack(len(vb)) + vb)
    return b"".join(out)


def recv_hstore(raw: bytes) -> Hstore:
    def take(pos: int, size: int) -> bytes:
        if size < 0 or pos + size > len(raw):
            raise InvalidBinaryRepresentation("insufficient data left in message")
        return raw[pos : pos + size]

    (count,) = _I32.unpack(take(0, 4))
    if count < 0:
        raise InvalidBinaryRepresentation("number of pairs exceeds the maximum allowed")
    pos, pairs = 4, []
    for _ in range(count):
        (klen,) = _I32.unpack(take(pos, 4))
        if klen < 0:
            raise InvalidBinaryRepresentation("null value not allowed for hstore key")
        key = take(pos + 4, klen).decode()
        pos += 4 + klen
        (vlen,) = _I32.unpack(take(pos, 4))
        pos += 4
        value = None if vlen == -1 else take(pos, vlen).decode()
        pos += max(vlen, 0)
        pairs.append((key, value))
    return Hstore(pairs)
