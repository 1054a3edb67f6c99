"""PostgreSQL's range and multirange values (rangetypes.c, multirangetypes.c), independent
of any subtype: a subtype's values arrive here already parsed, and compare with Python's
operators (int, Decimal, date, datetime, str).

Invariants, as PostgreSQL keeps them:
- a ``Range`` is canonical: an empty range is ``EMPTY`` whatever bounds made it; an infinite
  bound is ``None`` and never inclusive; a discrete subtype's range (int4range, int8range,
  daterange: ``step`` given) is held as ``[lower, upper)``.
- a ``Multirange`` holds its ranges sorted, none empty, no two overlapping or adjacent.
- ranges order as range_cmp orders them: empty first, then by lower bound (an infinite one
  first, an inclusive one before an exclusive one at the same value), then by upper bound;
  multiranges range by range, a prefix first (``range_cmp``); the stored (key) form,
  ``to_storage``, is a tuple in that order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from sql.errors import DataException, InvalidTextRepresentation, SyntaxError_

Step = Callable[[Any], Any]  # a discrete subtype's next value (raises past its range)


@dataclass(frozen=True)
class Range:
    lower: Any = None  # None: infinite (or the range is empty)
    upper: Any = None
    lower_inc: bool = False
    upper_inc: bool = False
    empty: bool = False

    @property
    def lower_inf(self) -> bool:
        return not self.empty and self.lower is None

    @property
    def upper_inf(self) -> bool:
        return not self.empty and self.upper is None

    def __lt__(self, other: Range) -> bool:
        return range_cmp(self, other) < 0

    def __le__(self, other: Range) -> bool:
        return range_cmp(self, other) <= 0

    def __gt__(self, other: Range) -> bool:
        return range_cmp(self, other) > 0

    def __ge__(self, other: Range) -> bool:
        return range_cmp(self, other) >= 0


EMPTY = Range(empty=True)


@dataclass(frozen=True)
class Multirange:
    ranges: tuple[Range, ...] = ()

    def __lt__(self, other: Multirange) -> bool:
        return multirange_cmp(self, other) < 0

    def __le__(self, other: Multirange) -> bool:
        return multirange_cmp(self, other) <= 0

    def __gt__(self, other: Multirange) -> bool:
        return multirange_cmp(self, other) > 0

    def __ge__(self, other: Multirange) -> bool:
        return multirange_cmp(self, other) >= 0


class Bound(NamedTuple):
    val: Any
    inf: bool
    inc: bool
    lower: bool


def lower_of(r: Range) -> Bound:
    return Bound(r.lower, r.lower is None, r.lower_inc, True)


def upper_of(r: Range) -> Bound:
    return Bound(r.upper, r.upper is None, r.upper_inc, False)


def _cmp(x: Any, y: Any) -> int:
    """The subtype's order; a NaN (numeric's, float8's) equals NaN and is above the rest."""
    if x != x or y != y:
        return 0 if x != x and y != y else (1 if x != x else -1)
    return -1 if x < y else 1 if x > y else 0


def range_cmp(r1: Range, r2: Range) -> int:
    """range_cmp: empty first, then by lower bound, then by upper bound."""
    if r1.empty or r2.empty:
        return 0 if r1.empty and r2.empty else (-1 if r1.empty else 1)
    c = cmp_bounds(lower_of(r1), lower_of(r2))
    return c if c != 0 else cmp_bounds(upper_of(r1), upper_of(r2))


def multirange_cmp(m1: Multirange, m2: Multirange) -> int:
    """multirange_cmp: range by range, then the one with fewer ranges first."""
    for r1, r2 in zip(m1.ranges, m2.ranges, strict=False):
        c = range_cmp(r1, r2)
        if c != 0:
            return c
    return _cmp(len(m1.ranges), len(m2.ranges))


def cmp_bounds(b1: Bound, b2: Bound) -> int:
    """range_cmp_bounds: lower and upper bounds on one line (an exclusive lower bound at v
    lies just above v, an exclusive upper bound just below)."""
    if b1.inf and b2.inf:
        return 0 if b1.lower == b2.lower else (-1 if b1.lower else 1)
    if b1.inf:
        return -1 if b1.lower else 1
    if b2.inf:
        return 1 if b2.lower else -1
    c = _cmp(b1.val, b2.val)
    if c != 0:
        return c
    if not b1.inc and not b2.inc:
        return 0 if b1.lower == b2.lower else (1 if b1.lower else -1)
    if not b1.inc:
        return 1 if b1.lower else -1
    if not b2.inc:
        return -1 if b2.lower else 1
    return 0


def make(lower: Bound, upper: Bound, step: Step | None) -> Range:
    """make_range: 22000 when lower is above upper; then canonical (``[)`` for a discrete
    subtype), empty when nothing lies between the bounds."""
    if not lower.inf and not upper.inf:
        c = _cmp(lower.val, upper.val)
        if c > 0:
            raise DataException("range lower bound must be less than or equal to range upper bound")
        if c == 0 and not (lower.inc and upper.inc):
            return EMPTY
    lo, lo_inc = (None, False) if lower.inf else (lower.val, lower.inc)
    hi, hi_inc = (None, False) if upper.inf else (upper.val, upper.inc)
    if step is not None:
        if lo is not None and not lo_inc:
            lo, lo_inc = step(lo), True
        if hi is not None and hi_inc:
            hi, hi_inc = step(hi), False
        if lo is not None and hi is not None and _cmp(lo, hi) >= 0:
            return EMPTY
    return Range(lo, hi, lo_inc, hi_inc)


def construct(lo: Any, hi: Any, flags: str, step: Step | None) -> Range:
    """int4range(lo, hi, '[)'): NULL is an infinite bound; flags one of (), (], [), []."""
    if flags not in ("()", "(]", "[)", "[]"):
        raise SyntaxError_(
            "invalid range bound flags", hint='Valid values are "[]", "[)", "(]", and "()".'
        )
    return make(
        Bound(lo, lo is None, flags[0] == "[", True),
        Bound(hi, hi is None, flags[1] == "]", False),
        step,
    )


# -- text ---------------------------------------------------------------------------------

_SPACE = " \t\n\r\v\f"


def _malformed(text: str, detail: str) -> InvalidTextRepresentation:
    return InvalidTextRepresentation(f'malformed range literal: "{text}"', detail=detail)


def _parse_bound(text: str, i: int) -> tuple[str | None, int]:
    """range_parse_bound: the bound's text from ``i`` (None: infinite), and where it ends."""
    if i < len(text) and text[i] in ",)]":
        return None, i
    out: list[str] = []
    quoted = False
    while quoted or not (i < len(text) and text[i] in ",)]"):
        if i >= len(text):
            raise _malformed(text, "Unexpected end of input.")
        ch = text[i]
        i += 1
        if ch == "\\":
            if i >= len(text):
                raise _malformed(text, "Unexpected end of input.")
            out.append(text[i])
            i += 1
        elif ch == '"':
            if not quoted:
                quoted = True
            elif i < len(text) and text[i] == '"':
                out.append('"')
                i += 1
            else:
                quoted = False
        else:
            out.append(ch)
    return "".join(out), i


def parse(text: str, parse_sub: Callable[[str], Any], step: Step | None) -> Range:
    """range_in."""
    i, n = 0, len(text)
    while i < n and text[i] in _SPACE:
        i += 1
    if text[i : i + 5].lower() == "empty":
        i += 5
        while i < n and text[i] in _SPACE:
            i += 1
        if i < n:
            raise _malformed(text, 'Junk after "empty" key word.')
        return EMPTY
    if i < n and text[i] in "[(":
        lower_inc = text[i] == "["
        i += 1
    else:
        raise _malformed(text, "Missing left parenthesis or bracket.")
    lo, i = _parse_bound(text, i)
    if i < n and text[i] == ",":
        i += 1
    else:
        raise _malformed(text, "Missing comma after lower bound.")
    hi, i = _parse_bound(text, i)
    if i < n and text[i] in "])":
        upper_inc = text[i] == "]"
        i += 1
    else:
        raise _malformed(text, "Too many commas.")
    while i < n and text[i] in _SPACE:
        i += 1
    if i < n:
        raise _malformed(text, "Junk after right parenthesis or bracket.")
    lower = Bound(None if lo is None else parse_sub(lo), lo is None, lower_inc, True)
    upper = Bound(None if hi is None else parse_sub(hi), hi is None, upper_inc, False)
    return make(lower, upper, step)


def _escape(s: str) -> str:
    """range_bound_escape: quoted when empty or holding a quote, backslash, bracket,
    parenthesis, comma or white space; quotes and backslashes doubled inside."""
    if s and not any(ch in '"\\()[],' or ch.isspace() for ch in s):
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '""') + '"'


def format_range(r: Range, format_sub: Callable[[Any], str]) -> str:
    """range_out."""
    if r.empty:
        return "empty"
    lo = "" if r.lower is None else _escape(format_sub(r.lower))
    hi = "" if r.upper is None else _escape(format_sub(r.upper))
    return ("[" if r.lower_inc else "(") + lo + "," + hi + ("]" if r.upper_inc else ")")


def _malformed_multi(text: str, detail: str) -> InvalidTextRepresentation:
    return InvalidTextRepresentation(f'malformed multirange literal: "{text}"', detail=detail)


def parse_multi(text: str, parse_range: Callable[[str], Range], step: Step | None) -> Multirange:
    """multirange_in: ``{}`` or ``{range, ...}`` (each range as range_in reads it)."""
    i, n = 0, len(text)
    while i < n and text[i] in _SPACE:
        i += 1
    if i >= n or text[i] != "{":
        raise _malformed_multi(text, "Missing left brace.")
    i += 1
    ranges: list[Range] = []
    while True:  # before a range
        while i < n and text[i] in _SPACE:
            i += 1
        if i < n and text[i] == "}" and not ranges:
            i += 1
            break
        if i < n and text[i] in "[(":
            start = i
            quoted = False
            i += 1
            while True:
                if i >= n:
                    raise _malformed_multi(text, "Unexpected end of input.")
                ch = text[i]
                i += 1
                if ch == "\\":
                    i += 1
                elif ch == '"':
                    if quoted and i < n and text[i] == '"':
                        i += 1
                    else:
                        quoted = not quoted
                elif not quoted and ch in "])":
                    break
            ranges.append(parse_range(text[start:i]))
        elif text[i : i + 5].lower() == "empty":
            ranges.append(EMPTY)
            i += 5
        else:
            raise _malformed_multi(text, "Expected range start.")
        while i < n and text[i] in _SPACE:
            i += 1
        if i < n and text[i] == ",":
            i += 1
            continue
        if i < n and text[i] == "}":
            i += 1
            break
        raise _malformed_multi(text, "Expected comma or end of multirange.")
    while i < n and text[i] in _SPACE:
        i += 1
    if i < n:
        raise _malformed_multi(text, "Junk after closing right brace.")
    return multirange(ranges, step)


def format_multi(m: Multirange, format_sub: Callable[[Any], str]) -> str:
    return "{" + ",".join(format_range(r, format_sub) for r in m.ranges) + "}"


# -- storage ------------------------------------------------------------------------------


def to_storage(r: Range, sub: Callable[[Any], Any]) -> tuple[Any, ...]:
    """``key()`` with the subtype's values in their stored forms: ordered as ranges order."""
    if r.empty:
        return (0,)
    lo = (0,) if r.lower is None else (1, sub(r.lower), 0 if r.lower_inc else 1)
    hi = (2,) if r.upper is None else (1, sub(r.upper), 1 if r.upper_inc else 0)
    return (1, lo, hi)


def from_storage(v: tuple[Any, ...], sub: Callable[[Any], Any]) -> Range:
    if v[0] == 0:
        return EMPTY
    _, lo, hi = v
    lower = None if lo[0] == 0 else sub(lo[1])
    upper = None if hi[0] == 2 else sub(hi[1])
    return Range(lower, upper, lo[0] == 1 and lo[2] == 0, hi[0] == 1 and hi[2] == 1)


# -- range operators ----------------------------------------------------------------------


def contains_elem(r: Range, v: Any) -> bool:
    if r.empty:
        return False
    if r.lower is not None and _cmp(v, r.lower) < (0 if r.lower_inc else 1):
        return False
    return not (r.upper is not None and _cmp(v, r.upper) > (0 if r.upper_inc else -1))


def contains(r1: Range, r2: Range) -> bool:
    if r2.empty:
        return True
    if r1.empty:
        return False
    return (
        cmp_bounds(lower_of(r1), lower_of(r2)) <= 0 and cmp_bounds(upper_of(r1), upper_of(r2)) >= 0
    )


def overlaps(r1: Range, r2: Range) -> bool:
    if r1.empty or r2.empty:
        return False
    l1, u1, l2, u2 = lower_of(r1), upper_of(r1), lower_of(r2), upper_of(r2)
    if cmp_bounds(l1, l2) >= 0 and cmp_bounds(l1, u2) <= 0:
        return True
    return cmp_bounds(l2, l1) >= 0 and cmp_bounds(l2, u1) <= 0


def before(r1: Range, r2: Range) -> bool:
    """``<<``: strictly left of."""
    if r1.empty or r2.empty:
        return False
    return cmp_bounds(upper_of(r1), lower_of(r2)) < 0


def after(r1: Range, r2: Range) -> bool:
    return before(r2, r1)


def overleft(r1: Range, r2: Range) -> bool:
    """``&<``: does not extend to the right of."""
    if r1.empty or r2.empty:
        return False
    return cmp_bounds(upper_of(r1), upper_of(r2)) <= 0


def overright(r1: Range, r2: Range) -> bool:
    """``&>``: does not extend to the left of."""
    if r1.empty or r2.empty:
        return False
    return cmp_bounds(lower_of(r1), lower_of(r2)) >= 0


def _bounds_adjacent(upper: Bound, lower: Bound, step: Step | None) -> bool:
    """bounds_adjacent: nothing lies between an upper bound and a following lower bound."""
    if upper.inf or lower.inf:
        return False
    c = _cmp(upper.val, lower.val)
    if c < 0:
        if step is None:
            return False
        between = make(
            Bound(upper.val, False, not upper.inc, True),
            Bound(lower.val, False, not lower.inc, False),
            step,
        )
        return between.empty
    if c == 0:
        return upper.inc != lower.inc
    return False


def adjacent(r1: Range, r2: Range, step: Step | None) -> bool:
    if r1.empty or r2.empty:
        return False
    return _bounds_adjacent(upper_of(r1), lower_of(r2), step) or _bounds_adjacent(
        upper_of(r2), lower_of(r1), step
    )


def _min_lower(r1: Range, r2: Range) -> Bound:
    a, b = lower_of(r1), lower_of(r2)
    return a if cmp_bounds(a, b) <= 0 else b


def _max_upper(r1: Range, r2: Range) -> Bound:
    a, b = upper_of(r1), upper_of(r2)
    return a if cmp_bounds(a, b) >= 0 else b


def merge(r1: Range, r2: Range, step: Step | None) -> Range:
    """range_merge: the smallest range holding both."""
    if r1.empty:
        return r2
    if r2.empty:
        return r1
    return make(_min_lower(r1, r2), _max_upper(r1, r2), step)


def union(r1: Range, r2: Range, step: Step | None) -> Range:
    """``+``: 22000 unless the two overlap or touch."""
    if not r1.empty and not r2.empty and not overlaps(r1, r2) and not adjacent(r1, r2, step):
        raise DataException("result of range union would not be contiguous")
    return merge(r1, r2, step)


def intersect(r1: Range, r2: Range, step: Step | None) -> Range:
    if r1.empty or r2.empty or not overlaps(r1, r2):
        return EMPTY
    a, b = lower_of(r1), lower_of(r2)
    lo = a if cmp_bounds(a, b) >= 0 else b
    c, d = upper_of(r1), upper_of(r2)
    hi = c if cmp_bounds(c, d) <= 0 else d
    return make(lo, hi, step)


def minus(r1: Range, r2: Range, step: Step | None) -> Range:
    """``-``: 22000 when r2 lies strictly inside r1 (two pieces)."""
    parts = _minus_parts(r1, r2, step)
    if len(parts) > 1:
        raise DataException("result of range difference would not be contiguous")
    return parts[0] if parts else EMPTY


def _minus_parts(r1: Range, r2: Range, step: Step | None) -> list[Range]:
    """r1 without r2: none, one or two ranges (range_minus_multi)."""
    if r1.empty:
        return []
    if r2.empty:
        return [r1]
    l1, u1, l2, u2 = lower_of(r1), upper_of(r1), lower_of(r2), upper_of(r2)
    c_l1l2, c_l1u2 = cmp_bounds(l1, l2), cmp_bounds(l1, u2)
    c_u1l2, c_u1u2 = cmp_bounds(u1, l2), cmp_bounds(u1, u2)
    if c_l1u2 > 0 or c_u1l2 < 0:
        return [r1]
    out: list[Range] = []
    if c_l1l2 < 0:
        out.append(make(l1, Bound(l2.val, False, not l2.inc, False), step))
    if c_u1u2 > 0:
        out.append(make(Bound(u2.val, False, not u2.inc, True), u1, step))
    return [r for r in out if not r.empty]


# -- multiranges --------------------------------------------------------------------------


def multirange(ranges: Iterable[Range], step: Step | None) -> Multirange:
    """multirange_canonicalize: sorted, empties dropped, overlapping or adjacent merged."""
    out: list[Range] = []
    for r in sorted(r for r in ranges if not r.empty):
        if out and (overlaps(out[-1], r) or adjacent(out[-1], r, step)):
            out[-1] = merge(out[-1], r, step)
        else:
            out.append(r)
    return Multirange(tuple(out))


def span(m: Multirange, step: Step | None) -> Range:
    """range_merge(multirange): from the first range's lower to the last one's upper."""
    if not m.ranges:
        return EMPTY
    return make(lower_of(m.ranges[0]), upper_of(m.ranges[-1]), step)


def multi_union(a: Multirange, b: Multirange, step: Step | None) -> Multirange:
    return multirange((*a.ranges, *b.ranges), step)


def multi_minus(a: Multirange, b: Multirange, step: Step | None) -> Multirange:
    out: list[Range] = []
    for r in a.ranges:
        pieces = [r]
        for s in b.ranges:
            pieces = [p for piece in pieces for p in _minus_parts(piece, s, step)]
        out.extend(pieces)
    return multirange(out, step)


def multi_intersect(a: Multirange, b: Multirange, step: Step | None) -> Multirange:
    return multirange((intersect(r, s, step) for r in a.ranges for s in b.ranges), step)


def multi_contains_elem(m: Multirange, v: Any) -> bool:
    return any(contains_elem(r, v) for r in m.ranges)


def multi_contains_range(m: Multirange, r: Range) -> bool:
    return r.empty or any(contains(x, r) for x in m.ranges)


def multi_contains(a: Multirange, b: Multirange) -> bool:
    return all(multi_contains_range(a, r) for r in b.ranges)


def as_multi(v: Range | Multirange) -> Multirange:
    return v if isinstance(v, Multirange) else Multirange(() if v.empty else (v,))
