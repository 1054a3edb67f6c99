"""Collecting the engine writes of one MVCC command into a single atomic batch."""

from __future__ import annotations

from kv.engine.base import WriteBatch
from kv.mvcc import keys as K
from kv.mvcc.records import Lock, Write


class MvccWriter:
    """Every command's effects land in one ``WriteBatch``, so a command is all-or-nothing."""

    def __init__(self) -> None:
        self.batch = WriteBatch()

    def put_lock(self, key_enc: bytes, lock: Lock) -> None:
        self.batch.put(K.LOCK + key_enc, lock.encode())

    def unlock(self, key_enc: bytes) -> None:
        self.batch.delete(K.LOCK + key_enc)

    def put_write(self, key_enc: bytes, commit_ts: int, write: Write) -> None:
        self.batch.put(K.write_key(key_enc, commit_ts), write.encode())

    def delete_write(self, key_enc: bytes, commit_ts: int) -> None:
        self.batch.delete(K.write_key(key_enc, commit_ts))

    def log_gc(self, key_enc: bytes, commit_ts: int) -> None:
        self.batch.put(K.gc_log_key(commit_ts, key_enc), b"")

    def put_value(self, key_enc: bytes, start_ts: int, value: bytes) -> None:
        self.batch.put(K.data_key(key_enc, start_ts), value)

    def delete_value(self, key_enc: bytes, start_ts: int) -> None:
        self.batch.delete(K.data_key(key_enc, start_ts))

    def put_meta(self, name: str, value: bytes) -> None:
        self.batch.put(K.meta_key(name), value)
