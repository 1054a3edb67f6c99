"""Safe garbage collection: resolve old locks first, then let Storage drop old versions.

Storage.gc alone is not safe. A crashed transaction's secondaries stay locked until someone
asks its primary for the verdict; if GC removed the primary's commit record first, the verdict
would become "rolled back" and committed data would be lost. So, as TiKV's GC worker does,
every lock at or below the safepoint is resolved before any version is deleted, and a lock of
a transaction that is still alive holds the safepoint back.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kv import dropped, interrupt
from kv.client import KvBackend, LockResolver, TxnClient
from kv.errors import Db9Error
from kv.mvcc.records import Lock
from kv.timestamp import compose, physical_ms
from kv.txn.gc import RetainPoint, decode_points, encode_points

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GcReport:
    safepoint: int
    locks_resolved: int
    keys_scanned: int
    versions_deleted: int
    prefixes_destroyed: int = 0  # dropped tables' key prefixes removed (kv.dropped)


def collect_garbage(
    backend: KvBackend,
    safepoint: int,
    retain: Sequence[RetainPoint] = (),
    *,
    full: bool = False,
) -> GcReport:
    """Resolve locks at or below ``safepoint``, then GC (the keys written since the last pass,
    or with ``full`` every key); the safepoint used may be lower."""
    safepoint = max(safepoint, backend.safepoint())
    resolver = LockResolver(backend)
    locks = backend.scan_locks(max_ts=safepoint)
    # One status check per transaction (a bulk load holds many locks), each a write command.
    per_txn: dict[int, list[Lock]] = {}
    for lk in locks:
        per_txn.setdefault(lk.start_ts, []).append(lk)
    alive = [start for start, lks in per_txn.items() if not resolver.resolve(lks[:1])]
    if alive:
        safepoint = max(backend.safepoint(), min(alive) - 1)
    resolved = len(locks) - sum(len(per_txn[start]) for start in alive)
    progress = backend.gc(safepoint, retain, full=full)
    return GcReport(safepoint, resolved, progress.keys_scanned, progress.versions_deleted)


# The retain points of the last completed pass; outside every database's prefix (b"d" + id).
RETAINED_KEY = b"~gc/retained"


def load_retained(client: TxnClient) -> frozenset[RetainPoint] | None:
    txn = client.begin()
    try:
        raw = txn.get(RETAINED_KEY)
    finally:
        txn.rollback()
    return None if raw is None else frozenset(decode_points(raw))


def store_retained(client: TxnClient, retain: frozenset[RetainPoint]) -> None:
    raw = encode_points(retain)
    txn = client.begin()
    try:
        txn.put(RETAINED_KEY, raw)
        txn.commit()
    except BaseException:
        txn.rollback()
        raise


class GcWorker:
    """Runs ``collect_garbage`` every ``interval_s`` with a safepoint ``life_time_s`` back,
    never past the oldest transaction still running (``min_active_ts``).

    A pass visits the keys written since the last one (``kv.txn.gc``), except a full pass over
    every key when a retain point of the last completed pass went away (the versions it kept
    are garbage though nothing was written) or no pass completed yet (the store may predate
    the GC log). Those retain points are stored under ``RETAINED_KEY`` once a pass completes,
    so a restart or another node's worker (a new Raft leader) compares with them, and a full
    pass interrupted is asked for again (it goes on from the position it persisted, see
    ``kv.txn.gc.resume_at``)."""

    def __init__(
        self,
        backend: KvBackend,
        *,
        life_time_s: float = 600.0,
        interval_s: float = 60.0,
        min_active_ts: Callable[[], int | None] = lambda: None,
        retain: Callable[[], Sequence[RetainPoint]] = lambda: (),
        active: Callable[[], bool] = lambda: True,
    ) -> None:
        self.backend = backend
        self.life_time_s = life_time_s
        self.interval_s = interval_s
        self.min_active_ts = min_active_ts
        self.retain = retain
        self.active = active  # in a cluster only the Raft leader collects
        self.last_report: GcReport | None = None
        self._stop = threading.Event()
        self._control = interrupt.Control()  # what stop() interrupts; passes check it
        self._thread: threading.Thread | None = None

    def run_once(self) -> GcReport:
        now = self.backend.get_ts()
        safepoint = compose(max(0, physical_ms(now) - int(self.life_time_s * 1000)))
        oldest = self.min_active_ts()
        if oldest is not None:
            safepoint = min(safepoint, oldest - 1)
        retain = frozenset(self.retain())
        client = TxnClient(self.backend)
        last = load_retained(client)
        full = last is None or not last <= retain
        report = collect_garbage(self.backend, safepoint, sorted(retain), full=full)
        if last != retain:
            store_retained(client, retain)
        destroyed = dropped.destroy_due(client, report.safepoint, sorted(retain))
        self.last_report = dataclasses.replace(report, prefixes_destroyed=len(destroyed))
        return self.last_report

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="gc-worker", daemon=True)
        self._thread.start()

    def tick(self) -> GcReport | None:
        """One turn of the worker's loop: a pass if this node collects (in a cluster, the Raft
        leader)."""
        return self.run_once() if self.active() else None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            started, cpu = time.monotonic(), time.thread_time()
            try:
                with interrupt.running(self._control):
                    report = self.tick()
                if report is None:
                    continue
                log.info(  # bench/compare/gc.py reads these lines
                    "gc: %s in %.2fs, cpu %.3fs",
                    report,
                    time.monotonic() - started,
                    time.thread_time() - cpu,
                )
            except interrupt.Interrupted:
                log.info("gc: stopped between chunks")
            except Db9Error as exc:
                log.warning("gc failed: %s", exc)

    def stop(self) -> None:
        """Stop the worker; a pass in progress ends at its next chunk (a node's shutdown
        must not wait for a pass over the whole keyspace)."""
        self._stop.set()
        self._control.interrupt(interrupt.Reason.SHUTDOWN)
        if self._thread is not None:
            self._thread.join()
