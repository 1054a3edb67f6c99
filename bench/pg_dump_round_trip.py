"""The pg_dump round trip at size: the fixture of tests/dump plus ``--rows`` generated rows
loaded into db9, dumped by pg_dump 15 (plain and -Fc), restored into PostgreSQL 15, dumped
from there and restored into fresh db9 servers (psql -f, and pg_restore -j N), with each
step's wall time and whether schema and data came back equal (schema as PostgreSQL prints it,
as tests/dump/test_pg_dump_round_trip.py compares it).

    python -m bench.pg_dump_round_trip --rows 20000 --jobs 2
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.servers import Server, db9_server, free_base, pg_server
from tests.dump.test_pg_dump_round_trip import FIXTURE, normalised, run

EXTRA = """CREATE TABLE public.bulk (id bigint PRIMARY KEY, owner integer REFERENCES
    shop.customer (id), label text NOT NULL, amount numeric(12, 2), at timestamptz, tags text[]);
INSERT INTO public.bulk SELECT g, 1 + g % 4, 'row ' || g, g * 1.25, '2024-01-01'::timestamptz
    + (g || ' minutes')::interval, ARRAY['t' || (g % 7)] FROM generate_series(1, {rows}) g;
CREATE INDEX bulk_owner_at ON public.bulk (owner, at DESC);"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows of the generated table")
    parser.add_argument("--jobs", type=int, default=2, help="pg_restore -j into db9")
    args = parser.parse_args()
    base = free_base(4)
    times: list[tuple[str, float]] = []

    def timed(step: str, fn: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        out = fn()
        times.append((step, time.perf_counter() - started))
        return out

    with tempfile.TemporaryDirectory() as tmp, db9_server(base) as db9, pg_server(base + 1) as pg:
        archive, back_archive = Path(tmp) / "db9.dump", Path(tmp) / "pg.dump"
        timed("load fixture + rows into db9 (psql -f)", lambda: load(db9, args.rows))
        plain = timed("pg_dump db9 (plain)", lambda: run(db9, "pg_dump", db9.conninfo))
        timed("pg_dump -Fc db9", lambda: run(db9, "pg_dump", "-Fc", "-f", str(archive),
                                             db9.conninfo))  # fmt: skip
        run(pg, "psql", "-q", pg.conninfo, "-c", "CREATE ROLE admin")
        run(pg, "psql", "-q", pg.conninfo, "-c", "CREATE DATABASE middle")
        middle = pg.conninfo.replace("dbname=postgres", "dbname=middle")
        timed("psql -f into PostgreSQL", lambda: run(pg, "psql", "-q", "-v", "ON_ERROR_STOP=1",
                                                     middle, stdin=plain))  # fmt: skip
        back = run(pg, "pg_dump", middle)
        run(pg, "pg_dump", "-Fc", "-f", str(back_archive), middle)
        schema = normalised(run(pg, "pg_dump", "-s", "--no-owner", middle))
        rows = normalised(run(pg, "pg_dump", "-a", middle))
        results = []
        with db9_server(base + 2) as fresh:
            run(fresh, "psql", "-q", fresh.conninfo, "-c", "CREATE ROLE postgres")
            timed("psql -f into a fresh db9", lambda: run(fresh, "psql", "-q", "-v",
                                                          "ON_ERROR_STOP=1", fresh.conninfo,
                                                          stdin=back))  # fmt: skip
            results.append(("psql -f", *compare(pg, fresh, schema, rows, "again1")))
        with db9_server(base + 3) as fresh:
            timed(f"pg_restore -j {args.jobs} into a fresh db9", lambda: run(
                fresh, "pg_restore", "--no-owner", "--exit-on-error", "-j", str(args.jobs),
                "-d", fresh.conninfo, str(back_archive)))  # fmt: skip
            results.append((f"pg_restore -j {args.jobs}", *compare(pg, fresh, schema, rows,
                                                                   "again2")))  # fmt: skip
    print(f"rows generated: {args.rows:,}; plain dump {len(plain):,} bytes")
    print("| step | seconds |\n|---|---|")
    for step, secs in times:
        print(f"| {step} | {secs:.1f} |")
    print("\n| back into db9 by | schema equal | data equal |\n|---|---|---|")
    for how, same_schema, same_rows in results:
        print(f"| {how} | {'yes' if same_schema else 'NO'} | {'yes' if same_rows else 'NO'} |")


def load(db9: Server, rows: int) -> None:
    run(db9, "psql", "-q", "-v", "ON_ERROR_STOP=1", db9.conninfo, "-f", str(FIXTURE))
    run(db9, "psql", "-q", "-v", "ON_ERROR_STOP=1", db9.conninfo,
        stdin=EXTRA.format(rows=rows))  # fmt: skip


def compare(
    pg: Server, fresh: Server, schema: list[str], rows: list[str], name: str
) -> tuple[bool, bool]:
    """Whether ``fresh`` holds the same schema (through a PostgreSQL copy) and rows."""
    run(pg, "psql", "-q", pg.conninfo, "-c", f"CREATE DATABASE {name}")
    copy = pg.conninfo.replace("dbname=postgres", f"dbname={name}")
    run(pg, "psql", "-q", "-v", "ON_ERROR_STOP=1", copy,
        stdin=run(fresh, "pg_dump", "--no-owner", fresh.conninfo))  # fmt: skip
    same_schema = normalised(run(pg, "pg_dump", "-s", "--no-owner", copy)) == schema
    return same_schema, normalised(run(fresh, "pg_dump", "-a", fresh.conninfo)) == rows


if __name__ == "__main__":
    main()
