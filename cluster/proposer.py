"""Group commit: the commands of concurrent transactions travel in one Raft entry.

Callers block in ``submit``; one thread drains the queue into a ``RaftBatch`` (up to
``max_batch_bytes``), proposes it and keeps up to ``max_inflight`` batches in the log at
once. While those are being replicated the next batch fills up, so under load each entry
(one LMDB write, one fsync per node) carries many transactions. Two batches in flight
gave the most throughput for pgbench -N through the leader (2026-12-01, timestamps from
memory: 360 TPS with one, 382 with two, 323 with four): the next batch is logged and sent
while the previous one is applied.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pysyncobj import FAIL_REASON

from cluster.convert import OutcomeUnknown, Unavailable
from cluster.proto import db9kv_pb2 as pb
from cluster.state_machine import KvStateMachine
from kv import nowait
from kv.clock import wall_ms
from kv.errors import Db9Error, DiskFull

log = logging.getLogger(__name__)

# Failures after which the command certainly did not reach the log.
_NOT_APPLIED = {
    FAIL_REASON.QUEUE_FULL,
    FAIL_REASON.MISSING_LEADER,
    FAIL_REASON.DISCARDED,
    FAIL_REASON.NOT_LEADER,
    FAIL_REASON.REQUEST_DENIED,
}


@dataclass(eq=False)  # compared by identity: a caller looks for its own item in the queue
class _Pending:
    command: pb.Command
    size: int
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: Db9Error | None = None


@dataclass
class _Batch:
    items: list[_Pending]
    deadline: float


class Proposer:
    def __init__(
        self,
        machine: KvStateMachine,
        *,
        max_batch_bytes: int = 4 << 20,
        max_inflight: int = 2,
        batch_timeout_s: float = 5.0,
    ) -> None:
        self.machine = machine
        self.max_batch_bytes = max_batch_bytes
        self.max_inflight = max_inflight
        self.batch_timeout_s = batch_timeout_s
        self._queue: list[_Pending] = []
        self._inflight: dict[int, _Batch] = {}
        self._ids = 0
        self._cond = threading.Condition()
        self._stopped = False
        self.batches = 0  # entries proposed, for status and the benchmark
        self.commands = 0
        self._thread = threading.Thread(target=self._run, name="raft-proposer", daemon=True)
        self._thread.start()

    def submit(self, command: pb.Command, timeout_s: float) -> Any:
        """Propose ``command`` and return its result, raising its error.

        Raises Unavailable if it surely was not applied, OutcomeUnknown if it may have been,
        DiskFull (53100) at once while this node's disk is full.
        """
        (item,) = self._enqueue([command])
        return self._outcome(item, time.monotonic() + timeout_s)

    def submit_many(self, commands: Sequence[pb.Command], timeout_s: float) -> list[Any]:
        """Propose independent ``commands`` together (they may share an entry); each one's
        result, or the Db9Error ``submit`` would have raised for it."""
        items = self._enqueue(commands)
        deadline = time.monotonic() + timeout_s
        out: list[Any] = []
        for item in items:
            try:
                out.append(self._outcome(item, deadline))
            except Db9Error as exc:
                out.append(exc)
        return out

    def _enqueue(self, commands: Sequence[pb.Command]) -> list[_Pending]:
        nowait.check()  # a write waits for the log
        full = self._disk_full()
        if full:
            raise DiskFull(f"this node's disk is full ({full}); no writes until space returns")
        items = [_Pending(c, c.ByteSize()) for c in commands]
        with self._cond:
            if self._stopped:
                raise Unavailable("node is shutting down")
            self._queue.extend(items)
            self._cond.notify_all()
        return items

    def _outcome(self, item: _Pending, deadline: float) -> Any:
        if not item.done.wait(max(deadline - time.monotonic(), 0.0)):
            with self._cond:
                if item in self._queue:  # never handed to Raft: surely not applied
                    self._queue.remove(item)
                    raise Unavailable(
                        "no Raft leader was reachable in time; the command was not sent"
                    )
            raise OutcomeUnknown("no answer from the Raft log in time")
        if item.error is not None:
            raise item.error
        return item.result

    def _disk_full(self) -> str:
        guard = self.machine.disk
        return guard.reason if guard is not None else ""

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            pending = self._queue
            self._queue = []
            self._cond.notify_all()
        for item in pending:
            item.error = Unavailable("node is shutting down")
            item.done.set()

    def abandon_inflight(self, reason: str) -> None:
        """Fail the batches in flight with OutcomeUnknown (they may still commit) and free
        their slots. Called when this node stops leading or loses its leader: an entry of
        the old term is settled only when this node applies that index under the new
        leader, which a deposed or paused leader may reach late; the commands are
        idempotent, so ``RaftKv`` proposes them again through the new leader."""
        with self._cond:
            batches = list(self._inflight.values())
            self._inflight.clear()
            self._cond.notify_all()
        for batch in batches:
            for item in batch.items:
                item.error = OutcomeUnknown(reason)
                item.done.set()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (
                    not self._queue or self._busy() or not self._leader_reachable()
                ):
                    self._cond.wait(0.05)
                if self._stopped:
                    return
                items: list[_Pending] = []
                size = 0
                while self._queue and (
                    not items or size + self._queue[0].size <= self.max_batch_bytes
                ):
                    item = self._queue.pop(0)
                    items.append(item)
                    size += item.size
                self._ids += 1
                batch_id = self._ids
                self._inflight[batch_id] = _Batch(items, time.monotonic() + self.batch_timeout_s)
            payload = pb.RaftBatch(
                clock_ms=wall_ms(), commands=[i.command for i in items]
            ).SerializeToString()
            self.batches += 1
            self.commands += len(items)
            try:
                self.machine.apply_batch(
                    payload, callback=lambda res, err, b=batch_id: self._finished(b, res, err)
                )
            except Exception as exc:  # the library refused the call outright
                log.warning("proposing a batch failed: %s", exc)
                self._finished(batch_id, None, FAIL_REASON.QUEUE_FULL)

    def _leader_reachable(self) -> bool:
        """Batches wait here, not in pysyncobj's queue, while no leader is known or the
        connection to it is down: from here a caller that gives up knows its command was
        never sent (Unavailable, not OutcomeUnknown), and pysyncobj drops a forwarded
        command silently when the connection is down (its caller would wait out its time)."""
        leader = self.machine._getLeader()
        return leader is not None and (
            leader == self.machine.selfNode or bool(self.machine.isNodeConnected(leader))
        )

    def _busy(self) -> bool:
        now = time.monotonic()
        for key in [k for k, b in self._inflight.items() if b.deadline < now]:
            del self._inflight[key]  # its callers time out on their own
        return len(self._inflight) >= self.max_inflight

    def _finished(self, batch_id: int, results: Any, err: int) -> None:
        with self._cond:
            batch = self._inflight.pop(batch_id, None)
            self._cond.notify_all()
        if batch is None:
            return
        for i, item in enumerate(batch.items):
            if err == FAIL_REASON.SUCCESS and results is not None:
                value = results[i]
                if isinstance(value, Db9Error):
                    item.error = value
                else:
                    item.result = value
            elif err in _NOT_APPLIED and self._disk_full():
                item.error = DiskFull("this node's disk is full; the command was not logged")
            elif err in _NOT_APPLIED:
                item.error = Unavailable(f"Raft did not take the command (reason {err})")
            else:
                item.error = OutcomeUnknown(f"the Raft leader changed (reason {err})")
            item.done.set()
