"""The uuid-ossp extension's functions (only where it is installed: sql.extensions):
uuid_generate_v1, _v1mc, _v3, _v4, _v5 and the constants uuid_nil and uuid_ns_dns, _url,
_oid, _x500. Generated ones are volatile: a new value each call."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from typing import Any

from sql import types as T
from sql.casts import coerce_to
from sql.errors import UndefinedFunction
from sql.functions_text import strict_call
from sql.scope import Typed

CONSTANTS = {
    "uuid_nil": uuid.UUID(int=0),
    "uuid_ns_dns": uuid.NAMESPACE_DNS,
    "uuid_ns_url": uuid.NAMESPACE_URL,
    "uuid_ns_oid": uuid.NAMESPACE_OID,
    "uuid_ns_x500": uuid.NAMESPACE_X500,
}
_GENERATED: dict[str, Callable[[], uuid.UUID]] = {
    "uuid_generate_v1": uuid.uuid1,
    # a random multicast MAC address instead of the host's
    "uuid_generate_v1mc": lambda: uuid.uuid1(node=secrets.randbits(48) | (1 << 40)),
    "uuid_generate_v4": uuid.uuid4,
}
_NAMED: dict[str, Callable[[uuid.UUID, str], uuid.UUID]] = {
    "uuid_generate_v3": uuid.uuid3,
    "uuid_generate_v5": uuid.uuid5,
}
NAMES = frozenset({*CONSTANTS, *_GENERATED, *_NAMED})


def compile_call(name: str, args: list[Typed]) -> Typed:
    if name in CONSTANTS and not args:
        value = CONSTANTS[name]
        return Typed(lambda _r: value, T.UUID, True, name)
    if name in _GENERATED and not args:
        gen = _GENERATED[name]
        return Typed(lambda _r: gen(), T.UUID, False, name)
    if name in _NAMED and len(args) == 2:
        ns, text = coerce_to(args[0], T.UUID), coerce_to(args[1], T.TEXT, explicit=True)
        make = _NAMED[name]

        def named(namespace: Any, s: Any) -> uuid.UUID:
            return make(namespace, s)

        return strict_call(name, [ns, text], T.UUID, named)
    shown = ", ".join(a.type.display() for a in args)
    raise UndefinedFunction(f"function {name}({shown}) does not exist")
