"""The shared advisory lock table of one database, kept in the KV store so that locks
exclude across sessions and across the nodes of a cluster: ``KvLockTable``, one per
``Database`` object (a node's view of the database), the ``LockTable`` that
sql.advisory_locks' sessions use. The key layout is in sql.layout.


- one key per lock tag holds the list of its holders ``(holder, mode, pid, vxid)``; a
  holder is the lock table instance's 8 random bytes and a session number. Taking or
  dropping a lock is one KV transaction that reads the key, checks compatibility (share with
  share; exclusive with nothing), and writes the key back: two concurrent takers write the
  same key, so snapshot isolation lets only one commit (the other retries on a fresh
  snapshot) and two conflicting holders can never both be listed.
- every instance keeps a lease key, an expiry in the TSO's physical milliseconds, renewed by
  a thread while it holds or wants a lock. A holder whose instance's lease expired (a crashed
  or partitioned node) counts as gone: whoever meets it in a holder list drops it. The lease
  is compared with the reading transaction's start timestamp, so every node judges it by the
  same clock (the TSO), never by its own.
- a session that must wait writes a wait record (tag, mode, pid, since) under the tag, which
  pg_locks shows as not granted, which makes later conflicting requests queue behind it as
  PostgreSQL's wait queue does, and from which deadlock detection (after deadlock_timeout,
  as PostgreSQL) follows the wait-for edges across nodes: waiter -> the holders and earlier
  conflicting waiters of what it waits for. A cycle back to the checker raises 40P01.
- a waiter is woken at once by a release of a session of the same instance (a condition
  variable), and polls with a growing backoff (at most ``_POLL_MAX_S``) while a holder is on
  another node. Every wait checks the statement's cancel, statement_timeout (57014) and
  lock_timeout (55P03) between slices.

Invariants: the holder list of a tag never lists two live holders whose modes conflict; a
holder's entries are the (tag, mode) pairs it holds at either level, plus those whose
release the store refused (unreachable), which the renewer retries every period and the
session's next request first (so a late retry never drops a newer entry); an
instance's lease is written before its first entry and renewed while it has entries (its
count of ``_users`` includes requests in flight), so a live instance's entries never look
dead. An instance that cannot renew for a whole lease (a pause longer than the lease) may
lose its locks to others without knowing it: a lease without fencing, as every such design.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import secrets
import struct
import threading
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from kv import interrupt
from kv.client import Transaction, TxnClient
from kv.errors import Db9Error, RetryableError
from kv.timestamp import physical_ms
from sql.advisory_locks import EXCLUSIVE, SHARE, LockRow, Tag, conflicts
from sql.errors import DeadlockDetected
from sql.layout import (
    advisory_lease_key,
    advisory_lock_key,
    advisory_locks_range,
    advisory_wait_key,
    advisory_waits_range,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
_MODE_CODE = {EXCLUSIVE: "X", SHARE: "S"}
_CODE_MODE = {v: k for k, v in _MODE_CODE.items()}
_U32 = struct.Struct(">I")
LEASE_S = 10.0  # how long a node's locks outlive its last renewal
_POLL_MAX_S = 0.1  # the longest pause between looks at a tag held on another node
_ATTEMPTS = 1000  # write races lost in a row before the store's 40001 reaches the client


@dataclass(frozen=True)
class _Entry:
    holder: bytes
    mode: str
    pid: int
    vxid: str
    since: int = 0  # a waiter's: the start_ts of the transaction that queued it

    def encode(self) -> list[object]:
        return [self.holder.hex(), _MODE_CODE[self.mode], self.pid, self.vxid, self.since]

    @classmethod
    def decode(cls, item: list[object]) -> _Entry:
        holder, mode, pid, vxid, since = item
        assert isinstance(holder, str) and isinstance(mode, str)
        assert isinstance(pid, int) and isinstance(vxid, str) and isinstance(since, int)
        return cls(bytes.fromhex(holder), _CODE_MODE[mode], pid, vxid, since)


def _decode_list(raw: bytes | None) -> list[_Entry]:
    return [] if raw is None else [_Entry.decode(i) for i in json.loads(raw)]


def _encode_list(entries: Iterable[_Entry]) -> bytes:
    return json.dumps([e.encode() for e in entries]).encode()


class KvLockTable:
    """``LockTable`` on the KV store: see the module docstring."""

    def __init__(self, client: TxnClient, db: bytes, *, lease_s: float = LEASE_S) -> None:
        self.client = client
        self.db = db
        self.lease_s = lease_s
        self.instance = secrets.token_bytes(8)
        self._sessions = itertools.count(1)
        # Bumped (and waiters woken) whenever a session of this instance releases.
        self._cond = threading.Condition()
        self._generation = 0
        self._users = 0  # entries held plus requests in flight: the lease is kept while > 0
        self._waiting = 0  # sessions of this instance waiting (wait_for_waiters)
        self._renewer: threading.Thread | None = None
        self._closed = threading.Event()
        # Releases the store refused (unreachable): (holder, locks), retried by the renewer.
        self._unreleased: list[tuple[bytes, list[tuple[Tag, str]]]] = []
        self._stale_waits: list[bytes] = []  # wait records the store refused to delete

    # -- the lease ---------------------------------------------------------------------------

    def _use(self) -> None:
        """Count a request in; the lease is written (before any entry) and renewed from now."""
        with self._cond:
            self._users += 1
            if self._renewer is not None:
                return
            self._renew()
            self._renewer = threading.Thread(
                target=self._renew_loop, name="advisory-lease", daemon=True
            )
            self._renewer.start()

    def _unuse(self, n: int = 1) -> None:
        with self._cond:
            self._users -= n

    def _renew(self) -> None:
        def write(txn: Transaction) -> None:
            expiry = physical_ms(txn.start_ts) + int(self.lease_s * 1000)
            txn.put(advisory_lease_key(self.instance), str(expiry).encode())

        self._run(write)

    def _renew_loop(self) -> None:
        while not self._closed.wait(self.lease_s / 3):
            if self._unreleased or self._stale_waits:
                try:
                    self._retry_releases()
                except Db9Error:
                    log.warning("advisory lock release failed again", exc_info=True)
            with self._cond:
                if self._users <= 0:  # nothing held or wanted: the lease goes
                    self._renewer = None
                    with contextlib.suppress(Exception):  # else it lapses, as a crash's
                        self._run(lambda txn: txn.delete(advisory_lease_key(self.instance)))
                    return
            try:
                self._renew()
            except Exception:  # the store is unreachable: try again next period
                log.warning("advisory lock lease renewal failed", exc_info=True)
        with self._cond:
            self._renewer = None

    def close(self) -> None:
        """Stop renewing the lease (the node goes away): its locks lapse with the lease."""
        self._closed.set()

    # -- taking and dropping -----------------------------------------------------------------

    def new_holder(self) -> bytes:
        return self.instance + _U32.pack(next(self._sessions) & 0xFFFFFFFF)

    def acquire(
        self,
        holder: bytes,
        tag: Tag,
        mode: str,
        *,
        wait: bool,
        pid: int,
        vxid: str,
        deadlock_timeout_s: float,
    ) -> bool:
        me = _Entry(holder, mode, pid, vxid)
        if self._unreleased:
            self._retry_releases(holder)
        self._use()
        got = False
        try:
            generation = self._generation
            blockers = self._try(me, tag, queued_at=None)
            if blockers is None:
                got = True
            elif wait:
                self._wait(me, tag, generation, blockers, deadlock_timeout_s)
                got = True
            return got
        finally:
            if not got:
                self._unuse()

    def _wait(
        self,
        me: _Entry,
        tag: Tag,
        generation: int,
        blockers: list[bytes],
        deadlock_timeout_s: float,
    ) -> None:
        control = interrupt.current()
        lock_timeout = control.lock_timeout_s if control is not None else 0.0
        start = time.monotonic()
        deadlock_at = start + deadlock_timeout_s if deadlock_timeout_s > 0 else None
        since = self._enqueue(me, tag)
        backoff = 0.002
        with self._cond:
            self._waiting += 1
            self._cond.notify_all()
        try:
            with interrupt.parked():  # the holder may need this statement's slot
                while True:
                    interrupt.check()
                    now = time.monotonic()
                    if lock_timeout and now - start >= lock_timeout:
                        raise interrupt.Interrupted(interrupt.Reason.LOCK_TIMEOUT)
                    if deadlock_at is not None and now >= deadlock_at:
                        deadlock_at = None  # once per wait, as PostgreSQL
                        self._check_deadlock(me, tag, blockers)
                    remote = any(b[:8] != self.instance for b in blockers)
                    pause = min(backoff, _POLL_MAX_S) if remote else _POLL_MAX_S
                    backoff *= 2
                    if lock_timeout:
                        pause = min(pause, start + lock_timeout - now)
                    if deadlock_at is not None:
                        pause = min(pause, deadlock_at - now)
                    if control is not None and control.deadline is not None:
                        pause = min(pause, control.deadline - now + 0.001)
                    generation = self._released_since(generation, pause)
                    found = self._try(me, tag, queued_at=since)
                    if found is None:
                        return
                    blockers = found
        finally:
            with self._cond:
                self._waiting -= 1
            key = advisory_wait_key(self.db, tag.encode(), me.holder)
            try:
                self._run(lambda txn: txn.delete(key))
            except Db9Error:  # the renewer retries: a stale record would queue others
                log.warning("advisory lock wait record left; retrying later", exc_info=True)
                with self._cond:
                    self._stale_waits.append(key)

    def wait_for_waiters(self, n: int, timeout: float) -> bool:
        """True once at least ``n`` sessions of this instance wait (tests, diagnostics)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._waiting >= n, timeout)

    def _released_since(self, generation: int, timeout: float) -> int:
        """Wait (at most ``timeout`` s) for a release by a session of this instance after
        ``generation`` (read before the attempt that failed); the generation now."""
        with self._cond:
            self._cond.wait_for(lambda: self._generation != generation, max(timeout, 0.0))
            return self._generation

    def _enqueue(self, me: _Entry, tag: Tag) -> int:
        """Write ``me``'s wait record; its ``since`` (the writing transaction's start_ts)
        orders it among the tag's waiters."""

        def write(txn: Transaction) -> int:
            entry = _Entry(me.holder, me.mode, me.pid, me.vxid, txn.start_ts)
            key = advisory_wait_key(self.db, tag.encode(), me.holder)
            txn.put(key, _encode_list([entry]))
            return txn.start_ts

        return self._run(write)

    def _try(self, me: _Entry, tag: Tag, queued_at: int | None) -> list[bytes] | None:
        """One attempt: None if ``me`` now holds the tag, else the holders (and waiters
        queued earlier) it conflicts with."""

        def attempt(txn: Transaction) -> list[bytes] | None:
            key = advisory_lock_key(self.db, tag.encode())
            entries = _decode_list(txn.get(key))
            alive = _Liveness(txn, self.instance)
            live = [e for e in entries if alive(e.holder)]
            mine = any(e.holder == me.holder for e in live)
            blockers = [
                e.holder for e in live if e.holder != me.holder and conflicts(e.mode, me.mode)
            ]
            if not blockers and not mine:  # PostgreSQL's wait queue: no overtaking
                blockers = [
                    w.holder
                    for w in self._waiters(txn, tag)
                    if w.holder != me.holder
                    and conflicts(w.mode, me.mode)
                    and (queued_at is None or w.since < queued_at)
                    and alive(w.holder)
                ]
            if len(live) != len(entries):  # the dead holders met go, and their leases
                for instance in alive.expired:  # (their entries elsewhere stay dead)
                    txn.delete(advisory_lease_key(instance))
            if blockers:
                if len(live) != len(entries):
                    txn.put(key, _encode_list(live))
                return blockers
            txn.put(key, _encode_list([*live, me]))
            return None

        return self._run(attempt)

    def _waiters(self, txn: Transaction, tag: Tag) -> list[_Entry]:
        lo, hi = advisory_waits_range(self.db, tag.encode())
        return [e for _, raw in txn.iter_scan(lo, hi) for e in _decode_list(raw)]

    def release(self, holder: bytes, locks: Collection[tuple[Tag, str]]) -> None:
        """Drop the entries and wake the waiters. If the store cannot be reached, the renewer
        retries every period (the session no longer holds them: others see them go once
        the store answers, or when the lease lapses), and the holder's next request first."""
        if not locks:
            return
        pending = (holder, sorted(set(locks)))
        try:
            self._drop(*pending)
        except Db9Error:
            log.warning("advisory lock release failed; retrying later", exc_info=True)
            with self._cond:
                self._unreleased.append(pending)  # still counted in _users: the lease stays
            return
        self._released(len(pending[1]))

    def _drop(self, holder: bytes, locks: list[tuple[Tag, str]]) -> None:
        def drop(txn: Transaction) -> None:
            for tag, mode in locks:
                key = advisory_lock_key(self.db, tag.encode())
                entries = _decode_list(txn.get(key))
                left = [e for e in entries if not (e.holder == holder and e.mode == mode)]
                if len(left) == len(entries):
                    continue
                if left:
                    txn.put(key, _encode_list(left))
                else:
                    txn.delete(key)

        self._run(drop)

    def _released(self, n: int) -> None:
        with self._cond:
            self._users -= n
            self._generation += 1
            self._cond.notify_all()

    def _retry_releases(self, holder: bytes | None = None) -> None:
        """Drop what failed releases left (all of them, or ``holder``'s: before it takes a
        lock again, which a late retry would otherwise drop); the store's error if it
        still cannot be reached."""
        with self._cond:
            todo = [p for p in self._unreleased if holder is None or p[0] == holder]
            stale, self._stale_waits = self._stale_waits, []
        try:
            for key in stale:
                self._run(lambda txn, key=key: txn.delete(key))
        except Db9Error:
            with self._cond:
                self._stale_waits += stale
            raise
        for pending in todo:
            self._drop(*pending)
            with self._cond:
                self._unreleased.remove(pending)
            self._released(len(pending[1]))

    def _run(self, action: _Action[T]) -> T:
        """``action`` in a KV transaction of its own, committed; run again on a fresh
        snapshot while it loses write races (two sessions taking one tag)."""
        for attempt in range(_ATTEMPTS):
            txn = self.client.begin()
            try:
                result = action(txn)
                txn.commit()
                return result
            except RetryableError:
                txn.rollback()
                if attempt == _ATTEMPTS - 1:
                    raise
                time.sleep(min(0.0005 * (attempt + 1), 0.01))  # let the winner finish
            except BaseException:
                txn.rollback()
                raise
        raise AssertionError("unreachable")

    # -- deadlocks and pg_locks --------------------------------------------------------------

    def _check_deadlock(self, me: _Entry, tag: Tag, blockers: list[bytes]) -> None:
        """40P01 if the sessions ``me`` waits for wait, directly or not, for ``me``."""
        txn = self.client.begin()
        try:
            alive = _Liveness(txn, self.instance)
            waits: dict[bytes, tuple[Tag, _Entry]] = {}
            lo, hi = advisory_waits_range(self.db)
            for k, raw in txn.iter_scan(lo, hi):
                for e in _decode_list(raw):
                    if alive(e.holder):
                        waits[e.holder] = (Tag.decode(k[len(lo) :]), e)
            pids: dict[bytes, int] = {me.holder: me.pid}
            # who -> the session it waits for, found first on the way back to me
            parent: dict[bytes, bytes] = {b: me.holder for b in blockers}
            frontier = list(dict.fromkeys(blockers))
            seen = {me.holder}
            while frontier:
                b = frontier.pop()
                if b in seen:
                    continue
                seen.add(b)
                w = waits.get(b)
                if w is None:
                    continue
                wtag, went = w
                pids[b] = went.pid
                entries = _decode_list(txn.get(advisory_lock_key(self.db, wtag.encode())))
                nxt = [
                    e.holder
                    for e in entries
                    if e.holder != b and conflicts(e.mode, went.mode) and alive(e.holder)
                ]
                nxt += [
                    o.holder
                    for o in self._waiters(txn, wtag)
                    if o.holder != b and conflicts(o.mode, went.mode) and o.since < went.since
                ]
                for n in nxt:
                    if n == me.holder:
                        raise DeadlockDetected(
                            "deadlock detected",
                            detail=self._cycle_detail(me, tag, b, parent, waits, pids),
                        )
                    parent.setdefault(n, b)
                    frontier.append(n)
        finally:
            txn.rollback()

    def _cycle_detail(
        self,
        me: _Entry,
        tag: Tag,
        last: bytes,
        parent: dict[bytes, bytes],
        waits: dict[bytes, tuple[Tag, _Entry]],
        pids: dict[bytes, int],
    ) -> str:
        """PostgreSQL's DETAIL: one line per waiting session of the cycle."""
        chain = [last]
        while parent.get(chain[-1], me.holder) != me.holder:
            chain.append(parent[chain[-1]])
        order = [me.holder, *reversed(chain)]
        lines = []
        for i, who in enumerate(order):
            nxt = order[(i + 1) % len(order)]
            wtag, went = (tag, me) if who == me.holder else waits[who]
            lines.append(
                f"Process {pids.get(who, 0)} waits for {went.mode} on advisory lock "
                f"[{_DATABASE_OID},{wtag.classid},{wtag.objid},{wtag.objsubid}]; "
                f"blocked by process {pids.get(nxt, 0)}."
            )
        return "\n".join(lines)

    def rows(self) -> list[LockRow]:
        txn = self.client.begin()
        try:
            alive = _Liveness(txn, self.instance)
            out: list[LockRow] = []
            lo, hi = advisory_locks_range(self.db)
            for k, raw in txn.iter_scan(lo, hi):
                tag = Tag.decode(k[len(lo) :])
                out += [
                    LockRow(tag, e.mode, e.pid, e.vxid, True)
                    for e in _decode_list(raw)
                    if alive(e.holder)
                ]
            lo, hi = advisory_waits_range(self.db)
            for k, raw in txn.iter_scan(lo, hi):
                tag = Tag.decode(k[len(lo) :])
                out += [
                    LockRow(tag, e.mode, e.pid, e.vxid, False, physical_ms(e.since))
                    for e in _decode_list(raw)
                    if alive(e.holder)
                ]
            return out
        finally:
            txn.rollback()


# pg_database's oid of every db9 database (sql.system_catalog lists the session's one as 5)
_DATABASE_OID = 5


class _Action(Protocol[T_co]):
    def __call__(self, txn: Transaction, /) -> T_co: ...


class _Liveness:
    """Whether a holder's instance holds a live lease, as of ``txn``'s start (cached)."""

    def __init__(self, txn: Transaction, own: bytes) -> None:
        self.txn = txn
        self.now_ms = physical_ms(txn.start_ts)
        self.known: dict[bytes, bool] = {own: True}  # this instance is running: it renews
        self.expired: list[bytes] = []  # instances met whose lease key has lapsed

    def __call__(self, holder: bytes) -> bool:
        instance = holder[:8]
        alive = self.known.get(instance)
        if alive is None:
            raw = self.txn.get(advisory_lease_key(instance))
            alive = self.known[instance] = raw is not None and int(raw) >= self.now_ms
            if raw is not None and not alive:
                self.expired.append(instance)
        return alive
