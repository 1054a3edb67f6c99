"""Errors raised by the KV layer, each carrying the PostgreSQL SQLSTATE it maps to.

Every layer above (sql, pgwire, the API, the CLI) raises or translates these same types, so a
write conflict deep in MVCC reaches a psql user as SQLSTATE 40001 without any layer guessing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kv.mvcc.records import Lock


class Db9Error(Exception):
    """Base of all db9 errors: a message plus the SQLSTATE a PostgreSQL client expects."""

    sqlstate = "XX000"  # internal_error

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class RetryableError(Db9Error):
    """The transaction lost a race; running it again from the start may succeed."""

    sqlstate = "40001"  # serialization_failure


class WriteConflict(RetryableError):
    """Another transaction committed this key after our snapshot: the first committer wins."""

    def __init__(self, key: bytes, start_ts: int, conflict_commit_ts: int) -> None:
        super().__init__(
            "could not serialize access due to concurrent update",
            detail=f"key {key!r} was committed at {conflict_commit_ts} after snapshot {start_ts}",
        )
        self.key = key
        self.start_ts = start_ts
        self.conflict_commit_ts = conflict_commit_ts


class KeyIsLocked(RetryableError):
    """A key carries the lock of another, possibly unfinished, transaction."""

    def __init__(self, lock: Lock) -> None:
        super().__init__(
            "could not serialize access: key is locked by another transaction",
            detail=f"key {lock.key!r} locked by transaction {lock.start_ts}",
        )
        self.lock = lock


class TxnAborted(RetryableError):
    """Our transaction was rolled back by someone else (e.g. its lock expired and was resolved)."""

    def __init__(self, start_ts: int, reason: str) -> None:
        super().__init__(f"transaction {start_ts} was aborted: {reason}")
        self.start_ts = start_ts


class TxnLockNotFound(TxnAborted):
    """Commit found neither our lock nor a commit record: the transaction was rolled back."""

    def __init__(self, key: bytes, start_ts: int) -> None:
        super().__init__(start_ts, f"lock on {key!r} not found")
        self.key = key


class Deadlock(Db9Error):
    """Waiting for a row lock would close a cycle of transactions waiting for each other."""

    sqlstate = "40P01"  # deadlock_detected

    def __init__(self, start_ts: int, holder_ts: int, key: bytes) -> None:
        super().__init__(
            "deadlock detected",
            detail=f"transaction {start_ts} waits for transaction {holder_ts} on key {key!r}, "
            "which waits for it",
        )


class AlreadyExists(Db9Error):
    """An insert-if-absent mutation found a live value (the basis of UNIQUE and PRIMARY KEY)."""

    sqlstate = "23505"  # unique_violation

    def __init__(self, key: bytes) -> None:
        super().__init__(f"key {key!r} already exists")
        self.key = key


class AlreadyCommitted(Db9Error):
    """A rollback was asked for a transaction that has already committed."""

    sqlstate = "40003"  # statement_completion_unknown

    def __init__(self, start_ts: int, commit_ts: int) -> None:
        super().__init__(f"transaction {start_ts} is already committed at {commit_ts}")
        self.start_ts = start_ts
        self.commit_ts = commit_ts


class SnapshotTooOld(Db9Error):
    """The read timestamp is below the GC safepoint: the versions it needs may be gone."""

    sqlstate = "72000"  # snapshot_too_old

    def __init__(self, ts: int, safepoint: int) -> None:
        super().__init__(f"snapshot too old: read at {ts} is below the GC safepoint {safepoint}")
        self.ts = ts
        self.safepoint = safepoint


class LimitExceeded(Db9Error):
    """A key, value or transaction is larger than the store accepts."""

    sqlstate = "54000"  # program_limit_exceeded


class StorageError(Db9Error):
    """The engine failed (disk full, corrupt file, locked data directory)."""

    sqlstate = "58000"  # system_error


class DiskFull(StorageError):
    """This node is out of disk space: it takes no writes until space returns (reads go on)."""

    sqlstate = "53100"  # disk_full


class InvalidArgument(Db9Error):
    """A caller passed something the store cannot act on (bad range, bad timestamp)."""

    sqlstate = "22023"  # invalid_parameter_value
