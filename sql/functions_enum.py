"""enum_first, enum_last and enum_range: an enum type's labels, from the type of their
argument (its value only bounds enum_range(a, b); a NULL argument names the type)."""

from __future__ import annotations

from typing import Any

from sql.errors import UndefinedFunction
from sql.scope import Row, Typed
from sql.types import EnumLabel

NAMES = frozenset({"enum_first", "enum_last", "enum_range"})


def compile_enum(name: str, args: list[Typed]) -> Typed:
    t = next((a.type for a in args if a.type.name != "unknown"), None)
    if (
        t is None
        or t.labels is None
        or len(args) > (2 if name == "enum_range" else 1)
        or any(a.type.name not in (t.name, "unknown") for a in args)
    ):
        shown = ", ".join(a.type.display() for a in args)
        raise UndefinedFunction(f"function {name}({shown}) does not exist")
    labels = [EnumLabel(x, i) for i, x in enumerate(t.labels)]
    if name == "enum_first":
        first = labels[0] if labels else None
        return Typed(lambda _r: first, t, True, name)
    if name == "enum_last":
        last = labels[-1] if labels else None
        return Typed(lambda _r: last, t, True, name)
    if len(args) == 1:
        return Typed(lambda _r: list(labels), t.array_of(), True, name)
    lo, hi = args[0].fn, args[1].fn

    def between(r: Row) -> Any:
        a, b = lo(r), hi(r)
        start = labels.index(a) if a is not None else 0
        stop = labels.index(b) if b is not None else len(labels) - 1
        return labels[start : stop + 1]

    return Typed(between, t.array_of(), args[0].const and args[1].const, name)
