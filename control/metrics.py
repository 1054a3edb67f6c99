"""Per-database statement metrics for ``db9 db inspect`` and the Prometheus /metrics page.

Each database gets a ``DbMetrics`` (the observer its SQL sessions report to): per-second
buckets of queries and commits for QPS/TPS over the last minute, a window of recent latencies
for the average and p99, recent query samples, and a slow-query log. Its Prometheus series
are labelled by tenant id (unique in the store) as well as name (unique per account only).
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

WINDOW_S = 60
SLOW_QUERY_S = 0.1  # statements slower than this go to the slow-query log
SAMPLES = 200


@dataclass
class Sample:
    at: float
    query: str
    ms: float
    error: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.at)),
            "query": self.query,
            "latency_ms": round(self.ms, 3),
            "error": self.error,
        }


@dataclass
class DbMetrics:
    name: str
    prom: PromMetrics
    tenant: str = ""  # the database's tenant id: what tells two accounts' "app" apart
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _queries: collections.Counter[int] = field(default_factory=collections.Counter)
    _commits: collections.Counter[int] = field(default_factory=collections.Counter)
    _latencies: collections.deque[tuple[float, float]] = field(
        default_factory=lambda: collections.deque(maxlen=10_000)
    )
    samples: collections.deque[Sample] = field(
        default_factory=lambda: collections.deque(maxlen=SAMPLES)
    )
    slow: collections.deque[Sample] = field(
        default_factory=lambda: collections.deque(maxlen=SAMPLES)
    )

    def __post_init__(self) -> None:
        # This database's series, looked up once: labels() costs more than the update.
        labels = (self.tenant, self.name)
        self._queries_total = self.prom.queries.labels(*labels)
        self._transactions_total = self.prom.transactions.labels(*labels)
        self._latency = self.prom.latency.labels(*labels)

    def __call__(
        self, query: str | None, seconds: float, error: str | None, committed: bool
    ) -> None:
        """One statement, or (``query`` None) the commit of a string's implicit block."""
        now = time.time()
        second = int(now)
        if query is None:
            with self._lock:
                self._commits[second] += 1
            self._transactions_total.inc()
            return
        sample = Sample(now, query[:2000], seconds * 1000, error)
        with self._lock:
            self._queries[second] += 1
            if committed:
                self._commits[second] += 1
            self._latencies.append((now, seconds))
            self.samples.append(sample)
            if seconds >= SLOW_QUERY_S:
                self.slow.append(sample)
            if len(self._queries) > 2 * WINDOW_S:
                for s in [s for s in self._queries if s < second - WINDOW_S]:
                    self._queries.pop(s, None)
                    self._commits.pop(s, None)
        self._queries_total.inc()
        if committed:
            self._transactions_total.inc()
        self._latency.observe(seconds)

    def summary(self, active_connections: int) -> dict[str, Any]:
        now = time.time()
        lo = int(now) - WINDOW_S
        with self._lock:
            queries = sum(n for s, n in self._queries.items() if s >= lo)
            commits = sum(n for s, n in self._commits.items() if s >= lo)
            recent = sorted(sec for t, sec in self._latencies if t >= now - WINDOW_S)
        avg = sum(recent) / len(recent) * 1000 if recent else 0.0
        p99 = recent[min(len(recent) - 1, int(len(recent) * 0.99))] * 1000 if recent else 0.0
        return {
            "window_s": WINDOW_S,
            "qps": round(queries / WINDOW_S, 3),
            "tps": round(commits / WINDOW_S, 3),
            "avg_latency_ms": round(avg, 3),
            "p99_latency_ms": round(p99, 3),
            "active_connections": active_connections,
            "queries": queries,
            "transactions": commits,
        }


class PromMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        labels = ["tenant", "database"]
        self.queries = Counter("db9_queries", "SQL statements run", labels, registry=self.registry)
        self.transactions = Counter(
            "db9_transactions", "transactions committed", labels, registry=self.registry
        )
        self.latency = Histogram(
            "db9_query_seconds", "statement latency", labels, registry=self.registry
        )


def server_totals(prom: PromMetrics) -> str:
    """The server's statement and commit totals over every database, in Prometheus text
    format: what /metrics shows without the operator's token (no database names)."""
    out = []
    for counter, name, help_text in (
        (prom.queries, "db9_server_queries_total", "SQL statements run, all databases"),
        (prom.transactions, "db9_server_transactions_total", "commits, all databases"),
    ):
        total = sum(
            s.value for m in counter.collect() for s in m.samples if s.name.endswith("_total")
        )
        out.append(f"# HELP {name} {help_text}\n# TYPE {name} counter\n{name} {total}\n")
    return "".join(out)
