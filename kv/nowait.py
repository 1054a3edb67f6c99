"""Non-blocking mode for short reads run on an event-loop thread.

The pgwire server runs a cached primary-key SELECT inline on its event loop when the store
is local: the thread hop to a worker costs more than the read itself. That is only safe if
nothing on the read's path waits, so every place that could wait (a lock held by a live
transaction, a commit batch in flight, a timestamp window to persist, an LMDB map resize,
any write) calls ``check()`` first. Inside ``nonblocking()`` that raises ``WouldBlock``
and the caller reruns the statement in a worker thread; elsewhere it costs one attribute read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

_state = threading.local()


class WouldBlock(Exception):
    """The work would have to wait; rerun it where waiting is allowed.

    ``prepare``, when given, starts the wait elsewhere and returns a future of its result: a
    caller on an event loop may await that and rerun the work inline at once under
    ``prepared(result)``, where the code that raised takes the result (``take_prepared``)
    instead of waiting. The result is good for that one rerun only."""

    def __init__(self, prepare: Callable[[], Future[Any]] | None = None) -> None:
        super().__init__()
        self.prepare = prepare


def active() -> bool:
    return getattr(_state, "on", False)


def check(prepare: Callable[[], Future[Any]] | None = None) -> None:
    if getattr(_state, "on", False):
        raise WouldBlock(prepare)


def take_prepared() -> Any:
    """The result a ``prepared`` block holds for this thread (None: none); taken once."""
    value = getattr(_state, "prepared", None)
    _state.prepared = None
    return value


class prepared:
    """Inside this block, ``take_prepared()`` returns ``value`` once."""

    __slots__ = ("_value",)

    def __init__(self, value: Any) -> None:
        self._value = value

    def __enter__(self) -> None:
        _state.prepared = self._value

    def __exit__(self, *exc: object) -> None:
        _state.prepared = None


class nonblocking:
    """Inside this block, ``check()`` raises ``WouldBlock`` instead of letting work wait.
    (A class rather than @contextmanager: it wraps every inline statement.)"""

    __slots__ = ("_prev",)

    def __enter__(self) -> None:
        self._prev = getattr(_state, "on", False)
        _state.on = True

    def __exit__(self, *exc: object) -> None:
        _state.on = self._prev
