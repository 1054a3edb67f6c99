"""pgbench cells: select-only (-S), simple update (-N) and TPC-B-like at 1 and 8 clients, with
prepared statements, and the point-select latency (pgbench -S with one client).

Both servers run READ COMMITTED by default; TPC-B-like counts 40001 failures
(``--failures-detailed``, no retries: ``--max-tries 1``), which the goal says must be none.
"""

from __future__ import annotations

from bench.compare.rows import Context, Goal, Row, Section, median
from bench.servers import Server, latency_ms, pgbench, serialization_failures, tps

CELLS = (("-S", 1), ("-S", 8), ("-N", 1), ("-N", 8), ("tpcb", 1), ("tpcb", 8))
GOALS = {("-S", 8): Goal(at_least=0.35), ("-N", 8): Goal(at_least=0.30),
         ("tpcb", 8): Goal(at_least=0.25)}  # fmt: skip
NAMES = {"-S": "pgbench -S", "-N": "pgbench -N", "tpcb": "TPC-B-like (READ COMMITTED)"}


def cell(server: Server, workload: str, clients: int, seconds: int) -> str:
    mode = [] if workload == "tpcb" else [workload]
    return pgbench(server, *mode, "-M", "prepared", "-c", str(clients), "-j", str(min(clients, 2)),
                   "-T", str(seconds), "--failures-detailed", "--max-tries", "1")  # fmt: skip


def run(ctx: Context) -> Section:
    rows: list[Row] = []
    raw: dict[str, object] = {}
    for workload, clients in CELLS:
        outputs: dict[str, list[str]] = {"postgresql": [], "db9": []}
        got: dict[str, list[float]] = {"postgresql": [], "db9": []}
        for round_ in range(ctx.rounds):
            for server in ctx.order(round_):
                out = cell(server, workload, clients, ctx.seconds)
                outputs[server.name].append(out)
                got[server.name].append(tps(out))
                print(f"  {workload} c{clients} {server.name:<11}{tps(out):>10,.0f} tps"
                      f"  40001 {serialization_failures(out)}", flush=True)  # fmt: skip
        fails = {name: sum(serialization_failures(o) for o in outs)
                 for name, outs in outputs.items()}  # fmt: skip
        note = f"40001: db9 {fails['db9']}, PG {fails['postgresql']}" if workload == "tpcb" else ""
        goal = GOALS.get((workload, clients))
        rows.append(Row("pgbench", f"{NAMES[workload]}, {clients} client{'s' * (clients > 1)}",
                        "TPS", median(got["postgresql"]), median(got["db9"]), goal,
                        higher_is_better=True, note=note,
                        also_required=not (workload == "tpcb" and fails["db9"])))  # fmt: skip
        raw[f"{workload} c{clients}"] = {"tps": got, "serialization_failures": fails}
        if (workload, clients) == ("-S", 1):
            lat = {n: median([latency_ms(o) * 1000 for o in outs]) for n, outs in outputs.items()}
            rows.append(Row("pgbench", "point select by key (pgbench -S, 1 client, latency)",
                            "µs", lat["postgresql"], lat["db9"], Goal(at_most=2.0)))  # fmt: skip
    return Section(rows, raw)
