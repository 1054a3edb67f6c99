"""The LISTEN/NOTIFY hub of one database: who listens on which channels, and the delivery of
a committed transaction's notifications to them.

A session's ``Listener`` holds the channels its committed LISTENs name and a queue of
notifications it has not yet sent to its client; the protocol layer empties the queue when
the session is idle (``wake`` tells it there is something) and sends each as a
NotificationResponse. ``Hub`` is what sessions use; ``LocalHub`` is the hub of the sessions of
one process, sql.notify_kv's ``KvHub`` extends it to every node of a cluster through the
store.

Invariants: a listener is in the hub exactly while its channel set is not empty; notifications
are queued in the order their transactions committed (``commit_lock`` spans a notifying
transaction's commit and its publication), each transaction's in the order it sent them.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Protocol

# PostgreSQL's queue holds 8 GB of pages (max_notify_queue_pages * BLCKSZ):
# pg_notification_queue_usage() is the fraction of that taken by notifications not yet read.
QUEUE_BYTES = 8 * 1024**3


@dataclass(frozen=True)
class Notification:
    """One NOTIFY as a listener receives it: the notifying session's pid."""

    pid: int
    channel: str
    payload: str


@dataclass(eq=False)
class Listener:
    """One session's place in the hub. ``queue`` is appended by committing sessions' threads
    and emptied by the session's own (deque appends and pops are atomic)."""

    pid: int
    channels: frozenset[str] = frozenset()
    queue: deque[Notification] = field(default_factory=deque)
    wake: Callable[[], None] | None = None  # called (from any thread) after queueing

    def take(self) -> list[Notification]:
        """The queued notifications, oldest first; the queue is left empty."""
        out = []
        while self.queue:
            out.append(self.queue.popleft())
        return out


class Hub(Protocol):
    """What sessions of one database use to listen and to notify."""

    def listen(self, listener: Listener, channels: frozenset[str]) -> None:
        """Set the channels ``listener`` listens on (empty: it leaves the hub)."""
        ...

    def committing(self) -> AbstractContextManager[None]:
        """Held around a notifying transaction's commit and its ``publish``: commit order."""
        ...

    def publish(self, notes: Sequence[Notification]) -> None:
        """Deliver a committed transaction's notifications to every listener of their
        channels (the notifying session's own too), after every transaction published
        before it."""
        ...

    def usage(self) -> float:
        """pg_notification_queue_usage(): the fraction of the queue not yet read."""
        ...


class LocalHub:
    """``Hub`` for the sessions of one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards _listeners and each listener's channels
        self.commit_lock = threading.Lock()
        self._listeners: set[Listener] = set()

    def listen(self, listener: Listener, channels: frozenset[str]) -> None:
        with self._lock:
            listener.channels = channels
            if channels:
                self._listeners.add(listener)
            else:
                self._listeners.discard(listener)

    def listening(self) -> bool:
        """Whether some session of this process listens."""
        return bool(self._listeners)

    @contextmanager
    def committing(self) -> Iterator[None]:
        with self.commit_lock:
            yield

    def publish(self, notes: Sequence[Notification]) -> None:
        self.deliver(notes)

    def deliver(self, notes: Sequence[Notification], ts: int | None = None) -> None:
        """Queue ``notes`` for this process's listeners of their channels and wake them;
        ``ts``: those of another process, committed at ``ts``, for the listeners that were
        listening by then."""
        woken = []
        with self._lock:
            for listener in self._listeners:
                if not self._hears(listener, ts):
                    continue
                mine = [n for n in notes if n.channel in listener.channels]
                if mine:
                    listener.queue.extend(mine)
                    woken.append(listener)
        for listener in woken:
            if listener.wake is not None:
                listener.wake()

    def _hears(self, listener: Listener, ts: int | None) -> bool:
        """Whether ``listener`` is to receive notifications committed at ``ts`` elsewhere."""
        return True

    def usage(self) -> float:
        with self._lock:
            queued = sum(
                len(n.channel) + len(n.payload) + 32 for lst in self._listeners for n in lst.queue
            )
        return queued / QUEUE_BYTES
