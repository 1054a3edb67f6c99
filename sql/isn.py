"""The isn extension's types: EAN13 and the numbers that are EAN13s under a prefix (ISBN and
ISBN13 under 978/979, ISMN under 9790, ISSN under 977, UPC under 0), as PostgreSQL 15's isn
reads, checks and prints them.

A value is an int, ``ean << 1 | flag``: the 13-digit EAN (its check digit corrected on
input) and the flag of a number written with a wrong check digit (accepted when isn.weak is
on, or with a ``!`` suffix; printed with the ``!``), so values order as isn's btree does. The
short types print their own form (``1436-4522``, ``M-060-11561-5``, ``0-393...``, 12-digit
UPC), the 13 ones and ean13 the EAN's (``977-1436-452-00-8``), hyphenated after the GS1
prefix and then by the ISSN and ISMN ranges; ISBN registration groups are not split (isn
splits them by its range table). No binary I/O: clients read these types as text.
"""

from __future__ import annotations

from sql.errors import CannotCoerce, InvalidTextRepresentation, NumericValueOutOfRange

# the type -> the kind of number its input accepts
KINDS = {
    "ean13": "EAN13", "isbn": "ISBN", "isbn13": "ISBN", "ismn": "ISMN", "ismn13": "ISMN",
    "issn": "ISSN", "issn13": "ISSN", "upc": "UPC",
}  # fmt: skip
TYPES = frozenset(KINDS)
_SHORT = frozenset({"isbn", "ismn", "issn", "upc"})  # printed in their own form (isn_out)
_ANY = "EAN13/UPC/ISxN"

# GS1 prefixes isn knows (its 2006 list), as (first, last) 3-digit prefix pairs: an EAN13
# under one is hyphenated after the prefix, any other is not.
_GS1 = [
    (0, 19), (20, 29), (30, 39), (40, 49), (50, 59), (60, 99), (100, 139), (200, 299),
    (300, 379), (380, 380), (383, 383), (385, 385), (387, 387), (400, 440), (450, 459),
    (460, 469), *((n, n) for n in (470, 471, 474, 475, 476, 477, 478, 479, 480, 481, 482,
                                   484, 485, 486, 487, 489)),
    (490, 499), (500, 509), *((n, n) for n in (520, 528, 529, 530, 531, 535, 539)),
    (540, 549), (560, 560), (569, 569), (570, 579), (590, 590), (594, 594), (599, 599),
    (600, 601), *((n, n) for n in (603, 608, 609, 611, 613, 616, 618, 619, 621, 622, 624,
                                   625, 626, 627, 628, 629)),
    (640, 649), (690, 695), (700, 709), (729, 729), (730, 739),
    *((n, n) for n in (740, 741, 742, 743, 744, 745, 746, 750)), (754, 755), (759, 759),
    (760, 769), *((n, n) for n in (770, 773, 775, 777, 779, 780, 784, 786)), (789, 790),
    (800, 839), (840, 849), *((n, n) for n in (850, 858, 859, 860, 865, 867, 869)),
    (870, 879), *((n, n) for n in (880, 884, 885, 888, 890, 893, 899)), (900, 919),
    (930, 939), (940, 949), *((n, n) for n in (950, 955, 958, 977, 978, 979, 980)),
    (981, 982), (990, 999),
]  # fmt: skip
# ISMN publisher numbers (after 979-0): (length, first, last)
_ISMN_PUBLISHER = [
    (3, 0, 99), (4, 1000, 3999), (5, 40000, 69999), (6, 700000, 899999), (7, 9000000, 9999999),
]  # fmt: skip


def _bad(kind: str, text: str) -> InvalidTextRepresentation:
    return InvalidTextRepresentation(f'invalid input syntax for {kind} number: "{text}"')


def _checkdig(num: str, size: int) -> int:
    """The EAN check digit of the first ``size - 1`` digits of ``num`` (weights 1, 3, ...;
    a leading M counts as 3 at weight 3, as ISMN's does)."""
    check = check3 = pos = 0
    if num[:1] == "M":
        check3, pos = 3, 1
    for ch in num:
        if size <= 1:
            break
        if ch.isdigit():
            if pos % 2:
                check3 += int(ch)
            else:
                check += int(ch)
            pos += 1
            size -= 1
    check = (check + 3 * check3) % 10
    return 10 - check if check else 0


def _weight_checkdig(num: str, size: int) -> int:
    """The ISBN/ISSN check value (0-10, 10 being X) of the first ``size - 1`` digits."""
    weight = 0
    for ch in num:
        if size <= 1:
            break
        if ch.isdigit():
            weight += size * int(ch)
            size -= 1
    weight %= 11
    return 11 - weight if weight else 0


def parse(text: str, type_name: str, *, weak: bool) -> int:
    """isn's input of ``text`` as a number of type ``type_name``: digits with hyphens or
    spaces anywhere, X as an ISBN's or ISSN's last, M before an ISMN, ``?`` for a check
    digit to compute, a ``!`` suffix to keep a wrong one (flagged); a wrong check digit is
    22P02 unless ``weak`` (then flagged); a number of another kind is 22P02 (cannot cast)."""
    accept = KINDS[type_name]
    kind: str | None = None
    chars: list[str] = []
    magic, valid = False, True
    for i, ch in enumerate(text):
        if len(chars) > 13:
            break
        last = i + 1 == len(text) or text[i + 1] == "!"
        digit = ch.isascii() and ch.isdigit()
        if ch == "?" and last:
            magic = digit = True
        n = len(chars)
        if n == 0 and ch in "Mm":
            if kind is not None:
                raise _bad(accept, text)
            kind = "ISMN"
            chars.append("M")
        elif n == 7 and (digit or ch in "Xx") and last:
            if kind is not None:
                raise _bad(accept, text)
            kind = "ISSN"
            chars.append(ch.upper())
        elif n == 9 and (digit or ch in "Xx") and last:
            if kind not in (None, "ISMN"):
                raise _bad(accept, text)
            kind = kind or "ISBN"
            chars.append(ch.upper())
        elif n == 11 and digit and last:
            if kind is not None:
                raise _bad(accept, text)
            kind = "UPC"
            chars.append(ch)
        elif ch in "- ":
            pass
        elif ch == "!" and i + 1 == len(text):
            if not magic:
                valid = False
            magic = True
        elif not digit:
            raise _bad(accept, text)
        else:
            chars.append(ch)
            if len(chars) > 13:
                raise NumericValueOutOfRange(f'value "{text}" is out of range for {accept} type')
    length = len(chars)
    last_char = chars[-1] if chars else ""
    check = 10 if last_char == "X" else (ord(last_char) - 48 if last_char else 0)
    if length == 13:
        if kind is not None:
            raise _bad(accept, text)
        kind = "EAN13"
    elif length == 12:
        if kind != "UPC":
            raise _bad(accept, text)
    elif length == 10:
        if kind not in ("ISBN", "ISMN"):
            raise _bad(accept, text)
    elif length == 8:
        if kind not in (None, "ISSN"):
            raise _bad(accept, text)
        kind = "ISSN"
    else:
        raise _bad(accept, text)
    assert kind is not None
    wrong_type = InvalidTextRepresentation(f'cannot cast {kind} to {accept} for number: "{text}"')
    if (accept == "EAN13" and kind != accept) or (kind not in ("EAN13", accept)):
        raise wrong_type
    body = "".join(chars)
    rcheck: int | None = None
    if kind == "EAN13":
        if valid:
            rcheck = _checkdig(body, 13)
            valid = rcheck == check or magic
        sub = _kind_of(body)
        if accept not in ("EAN13", sub):
            raise InvalidTextRepresentation(
                f'cannot cast {sub} to {accept} for number: "{text}"'
            )  # fmt: skip
        ean = body
    elif kind == "ISMN":
        ean = "9790" + body[1:]
        if valid:
            rcheck = _checkdig(ean, 13)
            valid = rcheck == check or magic
    elif kind == "ISBN":
        ean = "978" + body
        if valid:
            rcheck = _weight_checkdig(body, 10)
            valid = rcheck == check or magic
    elif kind == "ISSN":
        ean = "977" + body[:7] + "00" + body[7:]
        if valid:
            rcheck = _weight_checkdig(body, 8)
            valid = rcheck == check or magic
    else:  # UPC
        ean = "0" + body
        if valid:
            rcheck = _checkdig(ean, 13)
            valid = rcheck == check or magic
    ean = ean[:12] + str(_checkdig(ean, 13))
    number = int("".join(c for c in ean if c.isdigit())) << 1
    if valid or magic:
        return number | (0 if valid else 1)
    if weak:
        return number | 1
    if rcheck is None:
        raise InvalidTextRepresentation(f'invalid {accept} number: "{text}"')
    should = "X" if rcheck == 10 else str(rcheck)
    raise InvalidTextRepresentation(
        f'invalid check digit for {accept} number: "{text}", should be {should}'
    )


def _kind_of(ean: str) -> str:
    """The kind of number a 13-digit EAN is, by its prefix."""
    if ean[0] == "0":
        return "UPC"
    if ean.startswith("977"):
        return "ISSN"
    if ean.startswith("9790"):
        return "ISMN"
    if ean.startswith(("978", "979")):
        return "ISBN"
    return "EAN13"


def _split_ismn(rest: str) -> str | None:
    """``0-ppp``, the start of an ISMN's digits after 979 (0 and its publisher number), or
    None when they are not an ISMN's."""
    if rest[0] != "0":
        return None
    for size, first, last in _ISMN_PUBLISHER:
        if first <= int(rest[1 : 1 + size]) <= last:
            return f"0-{rest[1 : 1 + size]}"
    return None


def format_isn(v: int, type_name: str) -> str:
    """isn_out (the short types) or ean13_out."""
    ean = f"{v >> 1:013d}"
    flag = "!" if v & 1 else ""
    digits, check = ean[:12], ean[12]
    prefix = int(digits[:3])
    if not any(a <= prefix <= b for a, b in _GS1):
        long = f"{digits}-{check}{flag}"
        kind = "EAN13"
    else:
        kind = _kind_of(ean)
        rest = digits[3:]
        head = None  # the part of ``rest`` its kind's ranges split off, hyphenated
        if kind == "ISSN":
            head = f"{rest[:4]}-{rest[4:7]}"
        elif kind == "ISMN":
            head = _split_ismn(rest)
        if head is not None:
            rest = head + "-" + rest[len(head) - head.count("-") :]
        long = f"{digits[:3]}-{rest}-{check}{flag}"
    if type_name not in _SHORT:
        return long
    if kind == "ISBN" and long.startswith("978-"):
        short = long[4:]
        value = _weight_checkdig(short, 10)
        at = max(i for i, c in enumerate(short) if c.isdigit())
        return short[:at] + ("X" if value == 10 else str(value)) + short[at + 1 :]
    if kind == "ISMN":
        return "M" + long[5:]
    if kind == "ISSN":
        short = long[4:]
        value = _weight_checkdig(short, 8)
        return short[:8] + ("X" if value == 10 else str(value))
    if kind == "UPC":
        return "".join(c for c in long[1:] if c.isdigit())[:12]
    return long


def comparable(a: str, b: str) -> bool:
    """Whether isn has comparison operators between types ``a`` and ``b``: each type and
    ean13, and the 13 and short types of one kind (isbn13 and isbn)."""
    if a not in TYPES or b not in TYPES:
        return False
    return a == b or "ean13" in (a, b) or KINDS[a] == KINDS[b]


def cast(v: int, src: str, dst: str) -> int:
    """The casts isn defines: each type to ean13 and to its 13 or short sibling (as is),
    ean13 to the others when its prefix is of their kind (22P02 when not); 42846 between
    any other two."""
    if src == dst or dst == "ean13" or KINDS[src] == KINDS[dst] != "EAN13":
        return v
    if src != "ean13":
        raise CannotCoerce(f"cannot cast type {src} to {dst}")
    ean = f"{v >> 1:013d}"
    kind, accept = _kind_of(ean), KINDS[dst]
    if kind != accept:
        shown = f"EAN13({kind})" if kind != "EAN13" else kind
        raise InvalidTextRepresentation(f'cannot cast {shown} to {accept} for number: "{ean}"')
    return v
