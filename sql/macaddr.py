"""The macaddr type: six bytes held as one int (so values order as macaddr_cmp orders them),
read in the forms macaddr_in's sscanf patterns take (``08:00:2b:01:02:03``, with ``-``,
``08002b:010203``, ``0800.2b01.0203``, ``08002b010203``, ...) and printed lower-case with
colons; binary as its six bytes."""

from __future__ import annotations

import re

from sql.errors import InvalidTextRepresentation, NumericValueOutOfRange

_X = r"\s*([+-]?(?:0[xX])?[0-9a-fA-F]+)"  # sscanf's %x: white space, a sign, 0x, digits
_X2 = r"([0-9a-fA-F]{1,2}+)"  # %2x (in these patterns only ever digits)
_FORMS = [
    re.compile(":".join([_X] * 6) + r"\s*"),
    re.compile("-".join([_X] * 6) + r"\s*"),
    re.compile(r"\s*" + _X2 * 3 + ":" + _X2 * 3 + r"\s*"),
    re.compile(r"\s*" + _X2 * 3 + "-" + _X2 * 3 + r"\s*"),
    re.compile(r"\s*" + _X2 * 2 + r"\." + _X2 * 2 + r"\." + _X2 * 2 + r"\s*"),
    re.compile(r"\s*" + _X2 * 2 + "-" + _X2 * 2 + "-" + _X2 * 2 + r"\s*"),
    re.compile(r"\s*" + _X2 * 6 + r"\s*"),
]


def parse(text: str) -> int:
    for form in _FORMS:
        m = form.fullmatch(text)
        if m is not None:
            break
    else:
        raise InvalidTextRepresentation(f'invalid input syntax for type macaddr: "{text}"')
    octets = [int(g, 16) for g in m.groups()]
    if any(not 0 <= o <= 255 for o in octets):
        raise NumericValueOutOfRange(f'invalid octet value in "macaddr" value: "{text}"')
    return int.from_bytes(bytes(octets))


def format_macaddr(v: int) -> str:
    return ":".join(f"{b:02x}" for b in v.to_bytes(6))
