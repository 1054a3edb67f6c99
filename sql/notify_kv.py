"""LISTEN/NOTIFY across the nodes of a cluster: ``KvHub``, the ``Hub`` of one node's view of a
database (one per ``Database`` object), which delivers to this node's listeners at once (as
``LocalHub``) and passes committed notifications to the other nodes through the store.

- publishing: after the notifying transaction commits (inside the hub's commit lock), one
  record per transaction is written in a KV transaction of its own under
  ``notify_key(db, ts, instance, n)`` (sql.layout), ``ts`` a timestamp drawn after the commit.
  A failed write delivers to this node's listeners only (the transaction has committed and the
  client is told so), as PostgreSQL loses its queue in a crash.
- delivering (``poll``): the records of the last ``LATE_S`` seconds of timestamps are read at
  a fresh snapshot, and each not delivered yet goes, in ts order, to the listeners whose
  LISTEN began before its ts: this node's own records too, so that a listener receives
  everyone's transactions in one order. A node polls right after it publishes (its own
  listeners are told at once) and, while some session of it listens, every ``POLL_S`` from a
  thread (the other nodes' notifications). The order is commit order, except for a record
  that landed after a later one was read (it comes with the next poll).
- cleanup: a publishing node deletes records older than ``KEEP_S`` now and then; a watcher
  that falls further behind than that misses them.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Sequence

from kv.client import Transaction, TxnClient
from kv.errors import Db9Error
from kv.timestamp import compose, physical_ms
from sql.layout import notify_key, notify_range, notify_ts
from sql.notify_hub import Listener, LocalHub, Notification

log = logging.getLogger(__name__)
POLL_S = 0.1  # how often a node with listeners reads the other nodes' notifications
LATE_S = 10.0  # how long after its ts a record may still land and be delivered
KEEP_S = 60.0  # how long records are kept
_CLEAN_S = 10.0  # how often a publishing node deletes expired records


class KvHub(LocalHub):
    """``Hub`` for one node's sessions of a database, joined to the other nodes' through the
    store: see the module docstring."""

    def __init__(self, client: TxnClient, db: bytes, *, poll_s: float = POLL_S) -> None:
        super().__init__()
        self.client = client
        self.db = db
        self.poll_s = poll_s
        self.instance = secrets.token_bytes(8)
        self._numbers = itertools.count()
        self._since: dict[Listener, int] = {}  # the ts after which a listener hears others
        self._watcher: threading.Thread | None = None
        self._seen: dict[bytes, int] = {}  # records read in the window: key -> ts
        self._cursor = 0  # the snapshot of the latest read
        self._polling = threading.Lock()  # one poll at a time: deliveries in ts order
        self._cleaned = 0.0  # monotonic time of the latest cleanup

    # -- listening -----------------------------------------------------------------------------

    def listen(self, listener: Listener, channels: frozenset[str]) -> None:
        since = self.client.backend.get_ts() if channels and listener not in self._since else 0
        super().listen(listener, channels)
        with self._lock:
            if not channels:
                self._since.pop(listener, None)
                return
            if since:
                self._since[listener] = since
            if self._watcher is None:
                self._cursor = max(self._cursor, min(self._since.values()))
                self._watcher = threading.Thread(target=self._watch, daemon=True,
                                                 name="notify-watcher")  # fmt: skip
                self._watcher.start()

    def _hears(self, listener: Listener, ts: int | None) -> bool:
        return ts is None or self._since.get(listener, ts) < ts

    def _watch(self) -> None:
        while True:
            time.sleep(self.poll_s)
            with self._lock:
                if not self._since:
                    self._watcher = None
                    return
            try:
                self.poll()
            except Db9Error as exc:  # unreachable for now: read again next time
                log.debug("reading notifications failed: %s", exc)

    def poll(self) -> None:
        """Deliver the notifications committed since the last read, every node's."""
        with self._polling:
            txn = self.client.begin()
            try:
                lo = compose(max(0, physical_ms(self._cursor) - int(LATE_S * 1000)))
                records = txn.scan(*notify_range(self.db, lo))
            finally:
                txn.rollback()
            for key, value in records:
                if key in self._seen:
                    continue
                ts, _ = notify_ts(key)
                self._seen[key] = ts
                notes = [Notification(pid, ch, text) for pid, ch, text in json.loads(value)]
                self.deliver(notes, ts)
            self._cursor = txn.start_ts
            self._seen = {k: ts for k, ts in self._seen.items() if ts >= lo}

    # -- notifying -----------------------------------------------------------------------------

    def publish(self, notes: Sequence[Notification]) -> None:
        try:
            ts = self.client.backend.get_ts()
            key = notify_key(self.db, ts, self.instance, next(self._numbers))
            value = json.dumps([[n.pid, n.channel, n.payload] for n in notes]).encode()
            self._run(lambda txn: txn.put(key, value))
        except Db9Error as exc:
            log.warning("notifications not passed to other nodes: %s", exc)
            self.deliver(notes)
            return
        if time.monotonic() - self._cleaned > _CLEAN_S:
            self._cleaned = time.monotonic()
            self._clean(ts)
        if self._since:
            try:
                self.poll()
            except Db9Error as exc:  # the watcher delivers them
                log.debug("reading notifications failed: %s", exc)

    def _clean(self, now_ts: int) -> None:
        """Delete the records older than ``KEEP_S`` (any node's: a dead node's too)."""
        expired = compose(max(0, physical_ms(now_ts) - int(KEEP_S * 1000)))

        def delete(txn: Transaction) -> None:
            for key, _ in txn.scan(*notify_range(self.db, 0, expired)):
                txn.delete(key)

        with contextlib.suppress(Db9Error):  # another node deleting them too: one wins
            self._run(delete)

    def _run(self, action: Callable[[Transaction], None]) -> None:
        txn = self.client.begin()
        try:
            action(txn)
            txn.commit()
        except BaseException:
            txn.rollback()
            raise
