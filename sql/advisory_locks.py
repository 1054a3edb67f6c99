"""PostgreSQL's advisory locks as a session sees them: lock tags, modes, and
``SessionLocks``, one session's local lock table.

``SessionLocks`` counts how many times the session holds each (tag, mode) at session level
and at transaction level (locks are reentrant), gives the WARNING of an unlock it does not
own, releases transaction-level locks at COMMIT/ROLLBACK (and a subtransaction's at ROLLBACK
TO), and everything at session end. It asks the shared ``LockTable`` only when a (tag, mode)
goes from not held to held or back; sql.advisory_table implements that table on the KV
store, so that the locks exclude across sessions and across the nodes of a cluster.

Invariants: a session's (tag, mode) is in the shared table exactly while one of its counts
is positive; a statement db9 runs again (``mark``/``undo``) counts its takes once.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Protocol

EXCLUSIVE = "ExclusiveLock"
SHARE = "ShareLock"
_TAG = struct.Struct(">IIB")
_MASK32 = 0xFFFFFFFF


def conflicts(a: str, b: str) -> bool:
    """Whether modes ``a`` and ``b`` of two sessions exclude each other."""
    return a == EXCLUSIVE or b == EXCLUSIVE


@dataclass(frozen=True, order=True)
class Tag:
    """An advisory lock's identity as pg_locks shows it: a bigint key is split into its high
    (classid) and low (objid) halves with objsubid 1; an (int, int) key is (classid, objid)
    with objsubid 2, so the two key spaces never meet."""

    classid: int
    objid: int
    objsubid: int

    @classmethod
    def of_bigint(cls, key: int) -> Tag:
        return cls((key >> 32) & _MASK32, key & _MASK32, 1)

    @classmethod
    def of_pair(cls, key1: int, key2: int) -> Tag:
        return cls(key1 & _MASK32, key2 & _MASK32, 2)

    def encode(self) -> bytes:
        return _TAG.pack(self.classid, self.objid, self.objsubid)

    @classmethod
    def decode(cls, raw: bytes) -> Tag:
        return cls(*_TAG.unpack(raw[: _TAG.size]))


@dataclass(frozen=True)
class LockRow:
    """One pg_locks row: a held (granted) or awaited advisory lock."""

    tag: Tag
    mode: str
    pid: int
    vxid: str
    granted: bool
    wait_start_ms: int | None = None  # TSO physical ms the wait began (waiters only)


class LockTable(Protocol):
    """The advisory locks of one database, shared by its sessions (and, through the store,
    by every node's sessions)."""

    def new_holder(self) -> bytes:
        """An identity for a new session's locks."""
        ...

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
        """Take (tag, mode) for ``holder`` (which holds no such entry yet); if another holds
        a conflicting mode, wait (``wait``) or return False."""
        ...

    def release(self, holder: bytes, locks: Collection[tuple[Tag, str]]) -> None:
        """Drop ``holder``'s entries for ``locks`` and wake whoever waits for them."""
        ...

    def rows(self) -> list[LockRow]:
        """Every live holder and waiter of the database's advisory locks (pg_locks)."""
        ...


class SessionLocks:
    """One session's advisory locks: counts per (tag, mode) at session and transaction level
    (PostgreSQL's local lock table), the shared table asked only on the first take and the
    last release."""

    def __init__(self, table: LockTable, pid: int) -> None:
        self.table = table
        self.holder = table.new_holder()
        self.pid = pid
        self.session: dict[tuple[Tag, str], int] = {}
        self.xact: dict[tuple[Tag, str], int] = {}
        self.xacts = 1  # local transaction number, for pg_locks' virtualtransaction
        self._marks: list[dict[tuple[Tag, str], int]] = []  # ``xact`` at each savepoint

    @property
    def held(self) -> bool:
        return bool(self.session or self.xact)

    def lock(
        self, tag: Tag, mode: str, *, xact: bool, wait: bool, deadlock_timeout_s: float = 1.0
    ) -> bool:
        """Take the lock (again); False if ``wait`` is off and another session holds it."""
        key = (tag, mode)
        if key not in self.session and key not in self.xact:
            vxid = f"{self.pid}/{self.xacts}"
            if not self.table.acquire(
                self.holder,
                tag,
                mode,
                wait=wait,
                pid=self.pid,
                vxid=vxid,
                deadlock_timeout_s=deadlock_timeout_s,
            ):
                return False
        counts = self.xact if xact else self.session
        counts[key] = counts.get(key, 0) + 1
        return True

    def unlock(self, tag: Tag, mode: str) -> str | None:
        """Release one session-level hold; PostgreSQL's WARNING text if there is none."""
        key = (tag, mode)
        n = self.session.get(key, 0)
        if n == 0:
            return f"you don't own a lock of type {mode}"
        if n > 1:
            self.session[key] = n - 1
        else:
            del self.session[key]
            if key not in self.xact:
                self.table.release(self.holder, [key])
        return None

    def unlock_all(self) -> None:
        """pg_advisory_unlock_all(): every session-level hold (transaction-level ones stay)."""
        gone = [k for k in self.session if k not in self.xact]
        self.session.clear()
        self.table.release(self.holder, gone)

    def mark(self) -> tuple[dict[tuple[Tag, str], int], dict[tuple[Tag, str], int]]:
        """The holds as a statement starts, for ``undo`` if db9 runs it again."""
        return dict(self.session), dict(self.xact)

    def undo(self, mark: tuple[dict[tuple[Tag, str], int], dict[tuple[Tag, str], int]]) -> None:
        """db9 runs the statement again (it lost a write race, unseen by the client): the
        holds its first run took go, so the rerun's take the count to what one run would.
        (An unlock of the first run stays: the rerun's finds less to release.)"""
        before_s, before_x = mark
        gone = []
        for counts, before in ((self.session, before_s), (self.xact, before_x)):
            for key, n in list(counts.items()):
                was = before.get(key, 0)
                if n > was:
                    if was:
                        counts[key] = was
                    else:
                        del counts[key]
                        gone.append(key)
        self.table.release(
            self.holder, [k for k in set(gone) if k not in self.session and k not in self.xact]
        )

    def savepoint(self) -> None:
        self._marks.append(dict(self.xact))

    def rollback_to(self, level: int) -> None:
        """ROLLBACK TO savepoint ``level`` (1 = the first): transaction-level holds taken
        since are undone, as PostgreSQL releases a subtransaction's locks."""
        kept = self._marks[level - 1]
        del self._marks[level:]
        gone = [k for k in self.xact if k not in kept and k not in self.session]
        self.xact = dict(kept)
        self.table.release(self.holder, gone)

    def release(self, level: int) -> None:
        """RELEASE savepoint ``level``: its holds pass to the enclosing transaction."""
        del self._marks[level - 1 :]

    def end_transaction(self) -> None:
        """COMMIT or ROLLBACK: the transaction-level holds go."""
        self.xacts += 1
        self._marks.clear()
        if not self.xact:
            return
        gone = [k for k in self.xact if k not in self.session]
        self.xact.clear()
        self.table.release(self.holder, gone)

    def release_all(self) -> None:
        """The session ends (its connection closed or dropped)."""
        release = self.detach()
        if release is not None:
            release()

    def detach(self) -> Callable[[], None] | None:
        """Forget every hold now (no I/O: the session is closing on an event loop) and return
        what drops them from the shared table, to run where I/O may wait (None: none held)."""
        gone = set(self.session) | set(self.xact)
        self.session.clear()
        self.xact.clear()
        if not gone:
            return None
        table, holder = self.table, self.holder
        return lambda: table.release(holder, gone)
