"""Stopping a running statement from outside its thread, and bounding what it may use.

A statement runs in one thread inside ``running(control)``. Every loop that can run long calls
``check()``: the KV transaction once per scan page, every 256 writes, between 2PC prewrite
batches and between the sleeps of a lock wait (which also ends at ``lock_timeout_s``); the SQL
layer in loops over rows already in memory (sorts, windows, joins, CTEs, COPY). Another
thread (the event loop on a CancelRequest or a closed socket, the server on shutdown) calls
``control.interrupt(reason)``. The next ``check()`` in the statement's
thread raises ``Interrupted`` with the SQLSTATE and message PostgreSQL uses for that reason. A
deadline (statement_timeout) needs no timer: ``check()`` compares the clock itself, so every wait
must be a loop that calls ``check()`` between short sleeps, never one long blocking call.

Memory: ``charge(nbytes)`` counts what a statement holds (materialised rows, sort buffers, large
values); past the statement's cap it raises 53200 out_of_memory. ``release`` gives bytes back.

Waiting for another transaction (a row lock): ``parked()`` around the wait tells whoever runs
the thread (``set_park_hook``: pgwire's statement slots) that the statement uses no CPU until
it ends, so its slot may go to another statement meanwhile; the lock's holder may need one.

Invariants: a Control belongs to one statement and is never reused, so a cancel that arrives
between statements is dropped, as in PostgreSQL; ``interrupt`` only sets a field (safe from any
thread, no lock); outside ``running`` both ``check`` and ``charge`` cost one attribute read.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from enum import Enum

from kv.errors import Db9Error

_state = threading.local()


class Reason(Enum):
    """Why a statement is stopped: (SQLSTATE, PostgreSQL's message)."""

    CANCEL = ("57014", "canceling statement due to user request")
    STATEMENT_TIMEOUT = ("57014", "canceling statement due to statement timeout")
    LOCK_TIMEOUT = ("55P03", "canceling statement due to lock timeout")
    CLIENT_GONE = ("08006", "the client closed the connection")
    SHUTDOWN = ("57P01", "terminating connection due to administrator command")


class Interrupted(Db9Error):
    """The statement was stopped from outside; ``reason`` says why."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.value[1])
        self.sqlstate = reason.value[0]
        self.reason = reason


class OutOfMemory(Db9Error):
    """A statement needed more memory than its cap allows."""

    sqlstate = "53200"  # out_of_memory


class Control:
    """One statement's stop signal, deadlines and memory account."""

    __slots__ = ("deadline", "lock_timeout_s", "mem_limit", "mem_used", "reason", "waiting_for")

    def __init__(
        self,
        timeout_s: float = 0.0,
        lock_timeout_s: float = 0.0,
        mem_limit: int = 0,
    ) -> None:
        self.reason: Reason | None = None
        #: monotonic time past which the statement is stopped (None: no statement_timeout)
        self.deadline = time.monotonic() + timeout_s if timeout_s > 0 else None
        #: the longest one lock wait may take (0: only the store's own bound)
        self.lock_timeout_s = lock_timeout_s
        self.mem_limit = mem_limit  # bytes; 0: no cap
        self.mem_used = 0
        #: the start_ts of the transaction whose lock the statement waits for (0: none), for
        #: pg_blocking_pids
        self.waiting_for = 0

    def interrupt(self, reason: Reason) -> None:
        """Ask the statement to stop; the first reason given wins."""
        if self.reason is None:
            self.reason = reason

    def check(self) -> None:
        if self.reason is None and self.deadline is not None and time.monotonic() > self.deadline:
            self.reason = Reason.STATEMENT_TIMEOUT
        if self.reason is not None:
            raise Interrupted(self.reason)

    def charge(self, nbytes: int) -> None:
        self.mem_used += nbytes
        if self.mem_limit and self.mem_used > self.mem_limit:
            used, self.mem_used = self.mem_used, self.mem_used - nbytes
            raise OutOfMemory(
                "out of memory",
                detail=f"The statement needed {used} bytes; its limit is {self.mem_limit}.",
            )

    def release(self, nbytes: int) -> None:
        self.mem_used = max(0, self.mem_used - nbytes)


def current() -> Control | None:
    """The control of the statement running on this thread, if any."""
    return getattr(_state, "control", None)


@contextlib.contextmanager
def waiting_for(start_ts: int) -> Iterator[None]:
    """The statement on this thread waits for transaction ``start_ts``'s lock meanwhile."""
    control = current()
    if control is None:
        yield
        return
    control.waiting_for = start_ts
    try:
        yield
    finally:
        control.waiting_for = 0


def check() -> None:
    """Raise ``Interrupted`` if the statement on this thread was asked to stop."""
    control: Control | None = getattr(_state, "control", None)
    if control is not None:
        control.check()


def charge(nbytes: int) -> None:
    """Count ``nbytes`` against the running statement's memory cap (53200 past it)."""
    control: Control | None = getattr(_state, "control", None)
    if control is not None:
        control.charge(nbytes)


def release(nbytes: int) -> None:
    control: Control | None = getattr(_state, "control", None)
    if control is not None:
        control.release(nbytes)


class running:
    """Inside this block, ``check``/``charge`` on this thread act on ``control`` (None: on no
    statement). Blocks nest (an inner statement, e.g. a control-plane call, restores the outer
    one on exit)."""

    __slots__ = ("_control", "_prev")

    def __init__(self, control: Control | None) -> None:
        self._control = control

    def __enter__(self) -> Control | None:
        self._prev = getattr(_state, "control", None)
        _state.control = self._control
        return self._control

    def __exit__(self, *exc: object) -> None:
        _state.control = self._prev


def set_park_hook(hook: Callable[[bool], None] | None) -> None:
    """Have ``parked()`` on this thread call ``hook(True)`` before a wait, ``hook(False)`` after."""
    _state.park = hook


class parked:
    """Around a wait for another transaction to end (see the module docstring)."""

    __slots__ = ("_hook",)

    def __enter__(self) -> None:
        self._hook: Callable[[bool], None] | None = getattr(_state, "park", None)
        if self._hook is not None:
            self._hook(True)

    def __exit__(self, *exc: object) -> None:
        if self._hook is not None:
            self._hook(False)
