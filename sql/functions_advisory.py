"""The advisory lock functions (pg_advisory_lock and its family): argument forms, result
types, and the calls into the session's locks (sql.advisory_locks holds the semantics)."""

from __future__ import annotations

from typing import Any

from kv import nowait
from sql import settings as guc
from sql import types as T
from sql.advisory_locks import EXCLUSIVE, SHARE, SessionLocks, Tag
from sql.casts import base_type, coerce_to
from sql.errors import warning as warned
from sql.functions_numeric import implicitly_castable
from sql.functions_text import VOID, no_such_function
from sql.scope import Typed
from sql.session_api import SessionApi

# name -> (mode, transaction level, waits)
_LOCKERS = {
    "pg_advisory_lock": (EXCLUSIVE, False, True),
    "pg_advisory_lock_shared": (SHARE, False, True),
    "pg_try_advisory_lock": (EXCLUSIVE, False, False),
    "pg_try_advisory_lock_shared": (SHARE, False, False),
    "pg_advisory_xact_lock": (EXCLUSIVE, True, True),
    "pg_advisory_xact_lock_shared": (SHARE, True, True),
    "pg_try_advisory_xact_lock": (EXCLUSIVE, True, False),
    "pg_try_advisory_xact_lock_shared": (SHARE, True, False),
}
_UNLOCKERS = {"pg_advisory_unlock": EXCLUSIVE, "pg_advisory_unlock_shared": SHARE}
NAMES = frozenset({*_LOCKERS, *_UNLOCKERS, "pg_advisory_unlock_all"})


def compile_advisory(name: str, args: list[Typed], session: SessionApi | None) -> Typed:
    """A call of one of ``NAMES`` with (bigint) or (int, int), or () for unlock_all."""
    if name == "pg_advisory_unlock_all":
        if args:
            raise no_such_function(name, args)

        def unlock_all(_r: Any) -> str:
            nowait.check()  # a release writes to the store
            _locks(session).unlock_all()
            return ""

        return Typed(unlock_all, VOID, False, name)
    want = T.INT8 if len(args) == 1 else T.INT4
    if not all(implicitly_castable(base_type(a.type), want) for a in args):
        raise no_such_function(name, args)  # as PostgreSQL's resolution: (5.0), (bigint, int)
    if len(args) == 1:
        key = coerce_to(args[0], T.INT8)
        keys = [key.fn]

        def tag(r: Any) -> Tag | None:
            v = keys[0](r)
            return None if v is None else Tag.of_bigint(v)

    elif len(args) == 2:
        keys = [coerce_to(a, T.INT4).fn for a in args]

        def tag(r: Any) -> Tag | None:
            a, b = keys[0](r), keys[1](r)
            return None if a is None or b is None else Tag.of_pair(a, b)

    else:
        raise no_such_function(name, args)
    if name in _UNLOCKERS:
        mode = _UNLOCKERS[name]

        def unlock(r: Any) -> bool | None:
            t = tag(r)
            if t is None:
                return None
            nowait.check()  # a release writes to the store
            warning = _locks(session).unlock(t, mode)
            if warning is not None:
                assert session is not None
                session.notices.append(warned(warning))
                return False
            return True

        return Typed(unlock, T.BOOL, False, name)
    mode, xact, wait = _LOCKERS[name]

    def lock(r: Any) -> Any:
        t = tag(r)
        if t is None:
            return None
        nowait.check()  # taking a lock writes to the store, and may wait
        assert session is not None
        got = _locks(session).lock(
            t,
            mode,
            xact=xact,
            wait=wait,
            deadlock_timeout_s=guc.seconds(session.settings, "deadlock_timeout"),
        )
        return "" if wait else got

    return Typed(lock, VOID if wait else T.BOOL, False, name)


def _locks(session: SessionApi | None) -> SessionLocks:
    assert session is not None, "advisory locks belong to a session"
    return session.advisory
