"""Concurrent calls that travel as one request (TiDB's TSO client, TiKV's batch commands).

``CallBatcher`` is the mechanism: each caller queues its item and waits; one caller at a
time (up to ``max_inflight``) sends everything queued as one request and hands the lead to
the first caller that queued meanwhile. ``TsoBatcher`` uses it for timestamps (a follower
fetching them from its leader, ``RemoteKv`` from the cluster); ``RemoteKv`` also batches
its fresh single-key reads and blind one-phase commits with it. ``FutureBatcher`` is the
same for callers waiting on futures: a follower's statements on the event loop.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, InvalidStateError
from typing import Generic, TypeVar

I = TypeVar("I")  # noqa: E741
O = TypeVar("O")  # noqa: E741


class CallBatcher(Generic[I, O]):
    """``call(item)`` returns ``serve(batch)``'s answer for ``item``, where ``batch`` is
    every item queued while earlier calls were in flight (``item`` among them).

    ``serve`` returns one answer per item, in order; an exception it raises is raised by
    every caller of that batch. No caller serves others' batches after its own answered.
    """

    def __init__(self, serve: Callable[[Sequence[I]], Sequence[O]], max_inflight: int = 2) -> None:
        self._serve = serve
        self.max_inflight = max_inflight
        self._lock = threading.Lock()
        self._queue: list[_Wait[I, O]] = []
        self._busy = 0

    def call(self, item: I) -> O:
        me: _Wait[I, O] = _Wait(item)
        with self._lock:
            self._queue.append(me)
            if self._busy < self.max_inflight:
                self._busy += 1
                me.lead = True
        while True:
            if me.lead:  # a lead is always passed on, even when another call served us
                me.lead = False
                self._lead()
            if me.served:
                break
            me.done.wait()  # served, or promoted to lead the next call
            me.done.clear()  # the flags hold the state; the event only wakes us
        if me.error is not None:
            raise me.error
        return me.answer  # type: ignore[return-value]  # set when served without error

    def _lead(self) -> None:
        """Send one request for everything queued, then hand the lead to the first caller
        that queued meanwhile."""
        with self._lock:
            batch, self._queue = self._queue, []
        try:
            if batch:
                self._answer(batch)
        finally:
            with self._lock:
                if self._queue:
                    successor = self._queue[0]
                    successor.lead = True
                    successor.done.set()
                else:
                    self._busy -= 1

    def _answer(self, batch: list[_Wait[I, O]]) -> None:
        try:
            answers = self._serve([w.item for w in batch])
            if len(answers) != len(batch):
                raise RuntimeError(f"{len(answers)} answers to {len(batch)} batched calls")
        except Exception as exc:
            for w in batch:
                w.error, w.served = exc, True
                w.done.set()
            return
        for w, answer in zip(batch, answers, strict=True):
            w.answer, w.served = answer, True
            w.done.set()


class _Wait(Generic[I, O]):
    __slots__ = ("answer", "done", "error", "item", "lead", "served")

    def __init__(self, item: I) -> None:
        self.item = item
        self.lead = False
        self.served = False
        self.done = threading.Event()
        self.answer: O | None = None
        self.error: Exception | None = None


class FutureBatcher(Generic[I, O]):
    """``CallBatcher`` for callers that wait on a future instead of a thread (a statement
    on an event loop): ``request(item)`` returns a future of ``item``'s answer.

    ``send(batch, reply)`` starts one request for ``batch`` and later calls ``reply`` once,
    from any thread, with one answer per item or the exception that failed them all. Up to
    ``max_inflight`` requests are in flight; items queued meanwhile go in the next.
    """

    def __init__(
        self,
        send: Callable[[Sequence[I], Callable[[Sequence[O] | Exception], None]], None],
        max_inflight: int = 2,
    ) -> None:
        self._send = send
        self.max_inflight = max_inflight
        self._lock = threading.Lock()
        self._queue: list[tuple[I, Future[O]]] = []
        self._busy = 0

    def request(self, item: I) -> Future[O]:
        future: Future[O] = Future()
        with self._lock:
            self._queue.append((item, future))
            batch = self._take() if self._busy < self.max_inflight else None
        if batch:
            self._start(batch)
        return future

    def _take(self) -> list[tuple[I, Future[O]]]:
        """Under ``_lock``: everything queued, now one request in flight."""
        batch, self._queue = self._queue, []
        self._busy += 1
        return batch

    def _start(self, batch: list[tuple[I, Future[O]]]) -> None:
        try:
            self._send([item for item, _ in batch], lambda answers: self._reply(batch, answers))
        except Exception as exc:
            self._reply(batch, exc)

    def _reply(self, batch: list[tuple[I, Future[O]]], answers: Sequence[O] | Exception) -> None:
        if not isinstance(answers, Exception) and len(answers) != len(batch):
            answers = RuntimeError(f"{len(answers)} answers to {len(batch)} batched requests")
        for n, (_, future) in enumerate(batch):
            with contextlib.suppress(InvalidStateError):  # its waiter gave up (cancelled)
                if isinstance(answers, Exception):
                    future.set_exception(answers)
                else:
                    future.set_result(answers[n])
        with self._lock:
            self._busy -= 1
            following = self._take() if self._queue else None
        if following:
            self._start(following)


class TsoBatcher:
    """Concurrent requests for timestamps travel in one call (TiDB's TSO client).

    ``fetch(count)`` returns the first of ``count`` consecutive timestamps and a read index
    for the last of them (0: none); each waiting caller gets its own slice.
    """

    def __init__(self, fetch: Callable[[int], tuple[int, int]], max_inflight: int = 2) -> None:
        self._fetch = fetch
        self._calls: CallBatcher[int, tuple[int, int]] = CallBatcher(self._slices, max_inflight)

    def get_ts(self, count: int = 1) -> tuple[int, int]:
        return self._calls.call(count)

    def _slices(self, counts: Sequence[int]) -> list[tuple[int, int]]:
        return slices(counts, *self._fetch(sum(counts)))


def slices(counts: Sequence[int], first: int, read_index: int) -> list[tuple[int, int]]:
    """Each request's first timestamp (and the read index) out of one range from ``first``."""
    out = []
    for count in counts:
        out.append((first, read_index))
        first += count
    return out
