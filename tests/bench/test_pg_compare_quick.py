"""A ratchet on ``python -m bench.pg_compare --quick`` (scale 1, 2-second cells, one round):
a few db9 / PostgreSQL ratios may not fall below the floor measured when this test was written
(2026-11-30 on a shared 2-core machine), less a wide margin for a noisy CI machine. Both servers
and pgbench run on 2 CPUs (``--cpus 2``) whatever the machine has: PostgreSQL scales with cores
and a db9 server does not, so unpinned the 8-client ratios measured the machine (7.5% on a CI
machine where PostgreSQL did 50,649 tps, 25.5% on 2 cores). Raise a floor when a change lifts
its row for good; never lower one to let a change through."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench import pg_compare
from bench.servers import free_base

# workload -> (bound, "min" for ratios that must stay at least this, "max" for at most this).
# Measured with --quick on 2026-11-30 (in brackets), bounds with margin for a noisy machine.
FLOORS = {
    # [25.5% on 2026-11-30 on a shared machine; that day's table under load had PostgreSQL
    # at 19,462 tps here. On 2026-12-03 that same commit (9cbcf34) measured 4.4% and 10.9%
    # with PostgreSQL at 40,000-48,000 tps on 2 CPUs, so the old bound of 0.08 was above
    # what the commit that set it does. Main measured 4.6-7.5%. The bound is 9cbcf34's low
    # less a margin.]
    "pgbench -S, 8 clients": (0.03, "min"),
    "pgbench -N, 8 clients": (0.04, "min"),  # [12.2%]
    "count(*), 100,000 rows": (300.0, "max"),  # [87x]
    "100-row range by multi-column prefix": (100.0, "max"),  # [18x]
    "100-row range by BETWEEN": (5000.0, "max"),  # [1,337x: a full scan]
    "GC CPU, no writes, 100,000 rows": (5.0, "max"),  # [14% of a core before the GC log]
}


@pytest.mark.timeout(290)
def test_quick_comparison_stays_above_todays_floors(tmp_path: Path) -> None:
    out = tmp_path / "pg_compare.json"
    cpus = str(min(2, len(os.sched_getaffinity(0))))
    report = pg_compare.main(["--quick", "--cpus", cpus, "--only", "analytic,sargable,pgbench,gc",
                              "--port-base", str(free_base(4)), "--out", str(out)])  # fmt: skip
    assert out.exists()
    rows = {r["workload"]: r for r in report["rows"]}
    low = []
    for workload, (bound, kind) in FLOORS.items():
        ratio = rows[workload]["ratio"]
        assert ratio is not None, f"{workload}: not measured ({rows[workload]['note']})"
        if (kind == "min" and ratio < bound) or (kind == "max" and ratio > bound):
            low.append(f"{workload}: {ratio:.3g} (bound {kind} {bound:g})")
    assert not low, "below today's floor:\n" + "\n".join(low)
