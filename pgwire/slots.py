"""Statement slots: where SQL statements run, at most ``limit`` at once per server.

A statement takes a slot before it runs and holds it until its function returns in a worker
thread of this module (never asyncio's default executor, so slow statements cannot take the
threads the REST API and the event loop's other work need). At most ``per_tenant`` slots go to
one tenant (a database's key prefix): with ``per_tenant < limit`` another tenant's statement
always finds a slot without waiting for anyone's slow statement. Waiting statements queue per
tenant, and freed slots go to the tenants round-robin, FIFO within a tenant.

A statement waiting for another transaction's row lock is parked (``kv.interrupt.parked``): it
gives its slot back while it waits and takes it again, without queueing, when the wait ends,
so statements waiting for a lock can never take every slot from the transaction holding it.

Invariants: all state changes happen under one lock and end with every waiter that fits
granted, so a waiter is queued only while its tenant is at its share or the server is full; a
slot is released when the work ends in its thread, not when the awaiting coroutine resumes, so
busy threads never outnumber ``limit`` (but for those just back from a lock wait); worker
threads are daemons, so a statement that never reaches an interrupt check cannot hold the
process at exit.

``on_idle`` (if given) runs in a thread of its own once no statement has run for ``IDLE_S``
after some did: where the server hands memory back after a load. It starts only while no
statement runs, once per quiet period.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import queue
import sys
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from kv.interrupt import Interrupted, Reason, set_park_hook

T = TypeVar("T")

_NEW, _QUEUED, _GRANTED, _DONE = range(4)
# The event loop takes the GIL many times per request, and at Python's default interval (5 ms)
# it waits up to one interval per busy statement thread each time: six CPU-bound statements
# made /v1/health take up to a second. At 1 ms a short request stays well under 100 ms.
SWITCH_INTERVAL_S = 0.001
IDLE_S = 1.0  # quiet seconds after the last statement before ``on_idle`` runs


def default_limit() -> int:
    """Statements a server runs at once unless configured: twice the cores, at least 8."""
    return max(8, 2 * (os.cpu_count() or 1))


def default_tenant_share(limit: int) -> int:
    """One tenant's share of ``limit``: three quarters, leaving others at least one slot."""
    return max(1, limit - max(1, limit // 4))


class Ticket:
    """One statement's place: new, queued for a slot, holding one, done.

    ``on_interrupt`` stops the statement once it runs (e.g. ``Session.cancel``); before that,
    ``StatementSlots.interrupt`` takes the ticket out of the queue and its wait raises."""

    __slots__ = ("_fut", "_loop", "on_interrupt", "reason", "state", "tenant")

    def __init__(self, tenant: bytes, on_interrupt: Callable[[Reason], None] | None = None):
        self.tenant = tenant
        self.on_interrupt = on_interrupt
        self.state = _NEW
        self.reason: Reason | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._fut: asyncio.Future[None] | None = None


class StatementSlots:
    def __init__(
        self, limit: int = 0, per_tenant: int = 0, on_idle: Callable[[], None] | None = None
    ) -> None:
        self.limit = limit if limit > 0 else default_limit()
        share = per_tenant if per_tenant > 0 else default_tenant_share(self.limit)
        self.per_tenant = min(share, self.limit)
        self.closed: Reason | None = None  # set by close(): new statements are refused
        if sys.getswitchinterval() > SWITCH_INTERVAL_S:
            sys.setswitchinterval(SWITCH_INTERVAL_S)
        self._lock = threading.Lock()
        self._held: dict[bytes, int] = {}  # slots held per tenant
        self._total = 0
        self._queues: dict[bytes, deque[Ticket]] = {}  # insertion order is the round-robin
        self._granted: set[Ticket] = set()
        self._jobs: queue.SimpleQueue[tuple[Ticket, Callable[[], Any], Callable[..., None]]]
        self._jobs = queue.SimpleQueue()
        self._threads = 0
        self._busy = 0  # jobs submitted and not finished
        self._idle_waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._worked = threading.Event()  # a statement ended since the idle watch last looked
        if on_idle is not None:
            threading.Thread(
                target=self._watch_idle, args=(on_idle,), name="idle-release", daemon=True
            ).start()

    # -- what the server reports -------------------------------------------------------------

    @property
    def running(self) -> int:
        """Slots held: statements running (or granted and about to)."""
        return self._total

    @property
    def queued(self) -> int:
        with self._lock:
            return sum(len(q) for q in self._queues.values())

    def running_for(self, tenant: bytes) -> int:
        return self._held.get(tenant, 0)

    # -- running a statement -----------------------------------------------------------------

    async def run(self, ticket: Ticket, fn: Callable[[], T]) -> T:
        """Wait for a slot, then run ``fn`` in a worker thread and return what it returns.

        Raises ``Interrupted`` if the ticket is interrupted while queued, or the slots are
        closed. If the caller is cancelled while ``fn`` runs, ``fn`` keeps its slot until it
        returns (stop it through ``interrupt``)."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] | None = None
        with self._lock:
            if ticket.reason is None and self.closed is not None:
                ticket.reason = self.closed
            if ticket.reason is not None:
                ticket.state = _DONE
                raise Interrupted(ticket.reason)
            queue_ = self._queues.get(ticket.tenant)
            if not queue_ and self._fits(ticket.tenant):
                self._grant(ticket)
            else:
                ticket.state = _QUEUED
                ticket._loop = loop
                ticket._fut = fut = loop.create_future()
                self._queues.setdefault(ticket.tenant, deque()).append(ticket)
        if fut is not None:
            try:
                await fut
            except BaseException:  # interrupted, or the caller was cancelled
                with self._lock:
                    if ticket.state == _QUEUED:
                        self._dequeue(ticket)
                    elif ticket.state == _GRANTED:  # granted as the caller left
                        self._release(ticket)
                raise
        done: asyncio.Future[T] = loop.create_future()

        def resolve(result: Any, exc: BaseException | None) -> None:
            if done.cancelled():
                return
            if exc is not None:
                done.set_exception(exc)
            else:
                done.set_result(result)

        def post(result: Any, exc: BaseException | None) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                loop.call_soon_threadsafe(resolve, result, exc)

        with self._lock:
            self._busy += 1
            if self._busy > self._threads:
                self._threads += 1
                threading.Thread(target=self._work, name="statement", daemon=True).start()
            self._jobs.put((ticket, fn, post))
        return await done

    def interrupt(self, ticket: Ticket, reason: Reason) -> None:
        """Stop a statement from any thread: a queued one leaves the queue and its ``run``
        raises ``Interrupted``; a running one gets ``on_interrupt(reason)``."""
        with self._lock:
            if ticket.reason is None:
                ticket.reason = reason
            if ticket.state == _QUEUED:
                self._dequeue(ticket)
                self._wake(ticket, Interrupted(ticket.reason))
                return
            call = ticket.on_interrupt if ticket.state == _GRANTED else None
        if call is not None:
            call(reason)

    def close(self, reason: Reason = Reason.SHUTDOWN) -> None:
        """Refuse new statements and interrupt every queued and running one."""
        with self._lock:
            self.closed = reason
            tickets = [*self._granted, *(t for q in self._queues.values() for t in q)]
        self._worked.set()  # the idle watch sees ``closed`` and ends
        for ticket in tickets:
            self.interrupt(ticket, reason)

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no slot is held (at most ``timeout`` seconds); True if none is."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if not self._total:
                return True
            fut: asyncio.Future[None] = loop.create_future()
            self._idle_waiters.append((loop, fut))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(fut, timeout)
        return not self._total

    # -- under the lock ----------------------------------------------------------------------

    def _fits(self, tenant: bytes) -> bool:
        return self._total < self.limit and self._held.get(tenant, 0) < self.per_tenant

    def _grant(self, ticket: Ticket) -> None:
        ticket.state = _GRANTED
        self._held[ticket.tenant] = self._held.get(ticket.tenant, 0) + 1
        self._total += 1
        self._granted.add(ticket)

    def _dequeue(self, ticket: Ticket) -> None:
        ticket.state = _DONE
        q = self._queues.get(ticket.tenant)
        if q is not None:
            with contextlib.suppress(ValueError):
                q.remove(ticket)
            if not q:
                del self._queues[ticket.tenant]

    def _release(self, ticket: Ticket) -> None:
        ticket.state = _DONE
        self._granted.discard(ticket)
        left = self._held[ticket.tenant] - 1
        if left:
            self._held[ticket.tenant] = left
        else:
            del self._held[ticket.tenant]
        self._total -= 1
        self._dispatch()
        if not self._total:
            for loop, fut in self._idle_waiters:
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_settle, fut, None)
            self._idle_waiters.clear()

    def _dispatch(self) -> None:
        """Grant free slots to waiters, one tenant at a time in round-robin order."""
        while self._total < self.limit and self._queues:
            held, share = self._held, self.per_tenant
            tenant = next((t for t in self._queues if held.get(t, 0) < share), None)
            if tenant is None:
                return  # every waiting tenant is at its share
            q = self._queues.pop(tenant)  # re-inserted at the end: the next grant goes elsewhere
            ticket = q.popleft()
            if q:
                self._queues[tenant] = q
            self._grant(ticket)
            self._wake(ticket, None)

    @staticmethod
    def _wake(ticket: Ticket, exc: BaseException | None) -> None:
        loop, fut = ticket._loop, ticket._fut
        if loop is not None and fut is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, fut, exc)

    # -- worker threads ----------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            ticket, fn, post = self._jobs.get()
            result: Any = None
            error: BaseException | None = None
            set_park_hook(functools.partial(self._park, ticket))
            try:
                if ticket.reason is not None:  # interrupted between grant and start
                    raise Interrupted(ticket.reason)
                result = fn()
            except BaseException as exc:  # handed to the awaiting coroutine
                error = exc
            set_park_hook(None)
            with self._lock:
                self._busy -= 1
                self._release(ticket)
            post(result, error)
            del ticket, fn, post, result, error
            self._worked.set()

    def _park(self, ticket: Ticket, parked: bool) -> None:
        """The statement of ``ticket`` starts (True) or ends (False) a wait for a lock."""
        with self._lock:
            held = self._held.get(ticket.tenant, 0) + (-1 if parked else 1)
            if held:
                self._held[ticket.tenant] = held
            else:
                del self._held[ticket.tenant]
            self._total += -1 if parked else 1
            if parked:
                self._dispatch()

    def _watch_idle(self, on_idle: Callable[[], None]) -> None:
        while True:
            self._worked.wait()
            self._worked.clear()
            # Quiet means: no statement ended for IDLE_S and none is running now.
            while self.closed is None and (self._worked.wait(IDLE_S) or self._busy):
                self._worked.clear()
            if self.closed is not None:
                return
            with contextlib.suppress(Exception):  # a failed release must not end the watch
                on_idle()


def _settle(fut: asyncio.Future[None], exc: BaseException | None) -> None:
    if fut.done():
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(None)
