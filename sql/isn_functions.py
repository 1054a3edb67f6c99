"""The isn extension's functions: is_valid and make_valid of each of its types (the flag of a
number written with a wrong check digit: sql.isn), and isn_weak(), isn_weak(boolean) (the
isn.weak setting, read and set)."""

from __future__ import annotations

from sqlglot import exp

from sql import isn
from sql import types as T
from sql.casts import coerce_to
from sql.errors import UndefinedFunction
from sql.functions_text import strict_call
from sql.scope import ExprCompiler, Typed

NAMES = frozenset({"is_valid", "make_valid", "isn_weak"})


def compile_call(c: ExprCompiler, name: str, raw: list[exp.Expr]) -> Typed:
    args = [c.compile(a) for a in raw]
    shown = ", ".join(a.type.display() for a in args)
    missing = UndefinedFunction(f"function {name}({shown}) does not exist")
    if name == "isn_weak":
        session = c.ctx.session
        if len(args) > 1 or session is None:
            raise missing
        if not args:
            return Typed(lambda _r: _weak(session.settings), T.BOOL, False, name)
        flag = coerce_to(args[0], T.BOOL).fn

        def set_weak(r: tuple[object, ...]) -> bool:
            on = flag(r)
            if on is not None:  # strict
                session.set_config("isn.weak", "on" if on else "off")
            return _weak(session.settings)

        return Typed(set_weak, T.BOOL, False, name)
    if len(args) != 1 or args[0].type.name not in isn.TYPES:
        raise missing
    if name == "is_valid":
        return strict_call(name, args, T.BOOL, lambda v: not v & 1)
    return strict_call(name, args, args[0].type, lambda v: v & ~1)  # make_valid


def _weak(settings: dict[str, str]) -> bool:
    return settings.get("isn.weak", "off").lower() in ("on", "true", "1", "yes")
