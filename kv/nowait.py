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

_state = threading.local()


class WouldBlock(Exception):
    """The work would have to wait; rerun it where waiting is allowed."""


def active() -> bool:
    return getattr(_state, "on", False)


def check() -> None:
    if getattr(_state, "on", False):
        raise WouldBlock


class nonblocking:
    """Inside this block, ``check()`` raises ``WouldBlock`` instead of letting work wait.
    (A class rather than @contextmanager: it wraps every inline statement.)"""

    __slots__ = ("_prev",)

    def __enter__(self) -> None:
        self._prev = getattr(_state, "on", False)
        _state.on = True

    def __exit__(self, *exc: object) -> None:
        _state.on = self._prev
