"""The GC worker's CPU on a db9 server of its own: pgbench's tables loaded (100,000 x scale
accounts), GC passes every ``interval`` seconds with a 1-second life time (versions become
collectable at once), then a window with no writes and a window of ``pgbench -N`` with 8
clients. The worker logs each pass's CPU (``time.thread_time`` of its thread); the section
sums the passes that ended in each window and divides by the window: the share of one core
the GC took. Goal (issue 14): a pass that collects nothing costs under 5% of one core.

With ``ctx.compare_root`` the same runs on that checkout too (e.g. the code before a change;
if its worker does not log CPU, the idle row falls back to the whole server's CPU, which on an
idle server is the GC's plus the event loop's idling).
"""

from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench.compare.load import init
from bench.compare.rows import Context, Goal, Row, Section
from bench.servers import Server, db9_server, pgbench

PASS = re.compile(
    r"gc: GcReport\(safepoint=\d+, locks_resolved=\d+, keys_scanned=(\d+), "
    r"versions_deleted=(\d+).*?\) in ([\d.]+)s(?:, cpu ([\d.]+)s)?"
)
_TICK = 100.0  # USER_HZ: /proc/<pid>/stat counts CPU in 1/100 s


@dataclass
class Window:
    seconds: float
    passes: int
    gc_cpu_s: float | None  # None when the worker does not log its CPU
    gc_wall_s: float
    process_cpu_s: float
    keys_visited: int
    versions_deleted: int

    @property
    def core_share(self) -> float:
        cpu = self.gc_cpu_s if self.gc_cpu_s is not None else self.process_cpu_s
        return cpu / self.seconds


def process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


def passes(log: Path) -> list[re.Match[str]]:
    return [m for m in PASS.finditer(log.read_text())]


def wait_passes(log: Path, count: int, timeout_s: float) -> None:
    """Until ``count`` more passes than now have ended (the first after a load is long)."""
    target = len(passes(log)) + count
    deadline = time.monotonic() + timeout_s
    while len(passes(log)) < target:
        if time.monotonic() > deadline:
            raise SystemExit(f"no GC pass within {timeout_s:.0f} s; log: {log}")
        time.sleep(0.2)


def window(server: Server, seconds: float, load: subprocess.Popen[str] | None) -> Window:
    assert server.log is not None
    before = len(passes(server.log))
    cpu0, t0 = process_cpu(server.pid), time.monotonic()
    if load is not None:
        load.wait()
    else:
        time.sleep(seconds)
    took = time.monotonic() - t0
    ms = passes(server.log)[before:]
    logged = [m.group(4) for m in ms]
    return Window(
        seconds=took,
        passes=len(ms),
        gc_cpu_s=None if any(c is None for c in logged) else sum(float(c) for c in logged),
        gc_wall_s=sum(float(m.group(3)) for m in ms),
        process_cpu_s=process_cpu(server.pid) - cpu0,
        keys_visited=sum(int(m.group(1)) for m in ms),
        versions_deleted=sum(int(m.group(2)) for m in ms),
    )


def measure(ctx: Context, port: int, root: str | None) -> dict[str, Window]:
    interval = 2 if ctx.quick else 10
    seconds = 10 if ctx.quick else 60
    env = {"DB9_GC_INTERVAL_S": str(interval), "DB9_GC_LIFE_TIME_S": "1"}
    with db9_server(port, root, env) as server:
        assert server.log is not None
        init(server, ctx.scale)
        wait_passes(server.log, 2, 600)  # the pass over the load, then one more
        idle = window(server, seconds, None)
        cmd = ["pgbench", "-N", "-M", "prepared", "-c", "8", "-j", "2", "-T", str(seconds),
               server.conninfo]  # fmt: skip
        load = subprocess.Popen(cmd, env=server.env(), stdout=subprocess.PIPE, text=True)
        busy = window(server, seconds, load)
        assert load.stdout is not None
        out = load.stdout.read()
        busy_tps = float(m.group(1)) if (m := re.search(r"tps = ([\d.]+)", out)) else 0.0
        pgbench(server, "-S", "-T", "1")  # the server is still alive and answering
    print(f"  idle: {idle}\n  -N c8 ({busy_tps:,.0f} tps): {busy}", flush=True)
    return {"idle": idle, "pgbench -N": busy}


def run(ctx: Context) -> Section:
    got = {"db9": measure(ctx, ctx.port_base + 2, None)}
    if ctx.compare_root:
        got["before"] = measure(ctx, ctx.port_base + 3, ctx.compare_root)
    rows = []
    for name, windows in got.items():
        label = "" if name == "db9" else f" [{ctx.compare_root}]"
        idle, busy = windows["idle"], windows["pgbench -N"]
        rows.append(
            Row(
                "gc",
                f"GC CPU, no writes, {ctx.scale * 100_000:,} rows{label}",
                "% of a core",
                None,
                100 * idle.core_share,
                Goal(at_most=5.0, absolute=True),
                note=f"{idle.passes} passes, {idle.keys_visited:,} keys visited",
            )
        )
        rows.append(Row("gc", f"GC CPU under pgbench -N, 8 clients{label}", "% of a core", None,
                        100 * busy.core_share,
                        note=f"{busy.passes} passes, {busy.keys_visited:,} keys visited, "
                             f"{busy.versions_deleted:,} versions deleted"))  # fmt: skip
    raw = {name: {k: vars(w) for k, w in ws.items()} for name, ws in got.items()}
    return Section(rows, raw)
