"""The sections of ``python -m bench.pg_compare``: one module per group of issue 14's goal rows.

Each section is ``run(ctx: Context) -> Section``: it measures its rows on the servers in the
context (PostgreSQL and db9 started and loaded with ``pgbench -i`` by the orchestrator, rounds
interleaved between them) and returns them with the goal each row is judged by. A section that
needs servers of its own (the GC section) starts them from ``ctx``'s port range.
"""
