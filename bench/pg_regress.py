"""PostgreSQL's own regression scripts against db9 and a live PostgreSQL 15, statement by statement.

    .venv/bin/python -m bench.pg_regress                  # the 36 core files
    .venv/bin/python -m bench.pg_regress --files int4,case --out /tmp/r.json

Each file runs in a fresh database on both sides (a new PostgreSQL database, a new db9
server), after ``test_setup.sql`` (not counted, except as its own file), with the data files
the scripts load replaced by generated rows (``bench/regress/data.py``). Agreement is the share
of statements where both servers gave the same outcome (``bench/regress/compare.py``). Prints
the per-file table and the top causes of disagreement; writes every statement's verdict to
``--out`` (default bench/results/pg_regress.json). Issue 15's goal: 90% over the core set, no
file below 70%.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from psycopg import pq
from psycopg.pq.abc import PGconn

from bench.regress.compare import FileRun, Verdict
from bench.regress.script import CORE, REGRESS
from bench.servers import Server, db9_server, pg_server

ROOT = Path(__file__).resolve().parents[1]
# The ratchet's files: quick on db9, together ~1 minute.
QUICK = (
    "boolean",
    "case",
    "select_having",
    "limit",
    "returning",
    "delete",
    "insert",
    "window",
    "truncate",
    "prepare",
    "transactions",
)


@dataclass
class FileResult:
    name: str
    verdicts: list[Verdict]
    seconds: float

    @property
    def agreed(self) -> int:
        return sum(v.agree for v in self.verdicts)

    @property
    def share(self) -> float:
        return self.agreed / len(self.verdicts) if self.verdicts else 1.0


def _connect(conninfo: str) -> PGconn:
    conn = pq.PGconn.connect(conninfo.encode())
    if conn.status != pq.ConnStatus.OK:
        raise SystemExit(f"cannot connect ({conninfo}): {conn.error_message.decode()}")
    return conn


@contextmanager
def _pg_database(server: Server, name: str) -> Iterator[PGconn]:
    admin = _connect(server.conninfo)
    admin.exec_(f"DROP DATABASE IF EXISTS {name}".encode())
    admin.exec_(f"CREATE DATABASE {name}".encode())
    conn = _connect(server.conninfo.replace("dbname=postgres", f"dbname={name}"))
    try:
        yield conn
    finally:
        conn.finish()
        admin.exec_(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)".encode())
        admin.finish()


def run_file(name: str, pg: Server, db9_port: int, timeout: float) -> FileResult:
    """``name``.sql in fresh databases on both servers, after test_setup.sql."""
    started = time.monotonic()
    with _pg_database(pg, f"regress_{name}") as pg_conn, db9_server(db9_port) as db9:
        db9_conn = _connect(f"{db9.conninfo} password={db9.password}")

        def stop_db9() -> None:
            os.kill(db9.pid, signal.SIGKILL)

        run = FileRun(name, pg_conn, db9_conn, timeout, stop_db9)
        try:
            if name != "test_setup":
                run.run_script((REGRESS / "test_setup.sql").read_text(), count=False)
            run.run_script((REGRESS / f"{name}.sql").read_text())
        finally:
            db9_conn.finish()
    return FileResult(name, run.verdicts, time.monotonic() - started)


def cause(v: Verdict) -> str:
    """A disagreement's kind, its literals masked, so that alike ones group together."""
    if v.db9.lost:
        return "db9 connection lost or statement stuck"
    if v.db9.sqlstate is not None and v.pg.sqlstate is None:
        message = re.sub(r'"[^"]*"', '"?"', v.db9.message)
        message = re.sub(r"'[^']*'", "'?'", message)
        message = re.sub(r"\b\d+\b", "N", message)
        return f"db9 {v.db9.sqlstate}: {message[:120]}"
    if v.db9.sqlstate is None and v.pg.sqlstate is not None:
        return f"db9 accepts what PostgreSQL rejects with {v.pg.sqlstate}"
    if v.db9.sqlstate is not None:
        return f"error class: db9 {v.db9.sqlstate} vs PostgreSQL {v.pg.sqlstate}"
    return v.why


def table(results: list[FileResult]) -> str:
    lines = ["| file | statements | agree | share |", "|---|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r.name} | {len(r.verdicts)} | {r.agreed} | {r.share:.1%} |")
    total = sum(len(r.verdicts) for r in results)
    agreed = sum(r.agreed for r in results)
    lines.append(f"| **all** | {total} | {agreed} | **{agreed / max(total, 1):.1%}** |")
    return "\n".join(lines)


def causes(results: list[FileResult], top: int = 25) -> str:
    counts: collections.Counter[str] = collections.Counter()
    example: dict[str, Verdict] = {}
    for r in results:
        for v in r.verdicts:
            if not v.agree:
                key = cause(v)
                counts[key] += 1
                example.setdefault(key, v)
    lines = []
    for key, n in counts.most_common(top):
        ex = example[key]
        sql = " ".join(ex.sql.split())[:100]
        lines.append(f"{n:5d}  {key}\n       e.g. {ex.file}:{ex.line}: {sql}")
    return "\n".join(lines)


def run(files: list[str], port_base: int, timeout: float) -> list[FileResult]:
    results = []
    with pg_server(port_base) as pg:
        for name in files:
            r = run_file(name, pg, port_base + 1, timeout)
            print(f"  {name:<18}{len(r.verdicts):>6} statements  {r.share:7.1%}  "
                  f"({r.seconds:.0f} s)", flush=True)  # fmt: skip
            results.append(r)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", help="comma-separated script names (default: the core set)")
    ap.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}")
    ap.add_argument("--port-base", type=int, default=26600)
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds per db9 statement")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "pg_regress.json"))
    args = ap.parse_args()
    if not REGRESS.exists():
        raise SystemExit(f"no regression scripts at {REGRESS} (set DB9_PG_REGRESS)")
    files = args.files.split(",") if args.files else list(QUICK if args.quick else CORE)
    if not args.files and not args.quick:
        files = ["test_setup", *files]
    missing = [f for f in files if not (REGRESS / f"{f}.sql").exists()]
    if missing:
        raise SystemExit(f"no regression script {', '.join(missing)} in {REGRESS}")
    results = run(files, args.port_base, args.timeout)
    print()
    print(table(results))
    print("\nTop causes of disagreement:")
    print(causes(results))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "files": {r.name: {"statements": len(r.verdicts), "agreed": r.agreed} for r in results},
        "verdicts": [v.record() for r in results for v in r.verdicts],
    }, indent=1))  # fmt: skip
    print(f"\nper-statement verdicts: {out}")


if __name__ == "__main__":
    main()
