"""Server memory under a long mixed load: PostgreSQL's regression scripts in a loop.

    .venv/bin/python -m bench.memory_soak --minutes 30 [--clients 4] [--out <path prefix>]

A real ``db9-server`` runs in a subprocess. Each client connection loops: a fresh schema,
``test_setup.sql`` (with generated rows for the tables it loads from data files), one script of
the core set (../shared/pg-regress/README.md), then DROP SCHEMA ... CASCADE. Statements that
fail are fine; a client-side watchdog cancels a statement running over --stmt-timeout. The
server's VmRSS is sampled every --interval seconds from /proc, also after every client has
left. Goal (issue 12): less than 20% growth between minute 5 and the end of the load, and RSS
after the clients leave back near the baseline. Writes <out>.json, <out>.csv and <out>.png.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

from bench.regress.script import CORE, REGRESS, Meta, items, set_value

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "soak-password"

# Rows for the tables test_setup.sql loads from data files (onek, tenk1): the same layout,
# deterministic values.
_TENK_ROWS = (
    "INSERT INTO {table} SELECT u1, i, u1 % 2, u1 % 4, u1 % 10, u1 % 20, u1 % 100, u1 % 1000, "
    "u1 % 2000, u1 % 5000, u1 % 10000, (u1 % 100) * 2 + 1, (u1 % 100) * 2, "
    "'A' || u1::text, 'B' || i::text, 'OOOOxx' "
    "FROM (SELECT g AS i, (g * 7919) % {n} AS u1 FROM generate_series(0, {last}) AS g) AS s"
)
_DATA = {
    "onek": _TENK_ROWS.format(table="onek", n=1000, last=999),
    # 1,000 rows, not 10,000: the scripts' correlated subqueries over tenk1 are quadratic, and
    # at 10,000 rows some run for hours (ignoring cancel) and starve the server's workers.
    "tenk1": _TENK_ROWS.format(table="tenk1", n=1000, last=999),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> dict[str, float]:
    """VmRSS and its parts: RssAnon (the heap) and RssFile (mapped files: LMDB's pages)."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key = line.split(":")[0]
            if key in ("VmRSS", "RssAnon", "RssFile"):
                out[key] = round(int(line.split()[1]) / 1024, 1)
    return {"rss_mb": out["VmRSS"], "anon_mb": out["RssAnon"], "file_mb": out["RssFile"]}


def statements(path: Path) -> list[str]:
    """The SQL statements of a regression script as psql reads them (meta-commands dropped,
    inline COPY data skipped); a COPY from a data file becomes an INSERT of generated rows."""
    variables: dict[str, str] = {}
    out = []
    for item in items(path.read_text(), variables):
        if isinstance(item, Meta):
            if item.name == "set":
                name, value = set_value(item.args, variables)
                variables[name] = value
            elif item.name == "getenv" and item.args:
                variables[item.args.split()[0]] = "/pg-regress"
            continue
        stmt = item.sql
        if re.match(r"\s*COPY\b.*\b(STDIN|STDOUT)\b", stmt, re.IGNORECASE | re.DOTALL):
            continue  # the client's copy protocol is not what this measures
        m = re.match(r"COPY\s+(\w+)\s+FROM\s+'", stmt, re.IGNORECASE)
        if m:
            if m.group(1).lower() in _DATA:
                out.append(_DATA[m.group(1).lower()])
            continue
        out.append(stmt)
    return out


class Server:
    def __init__(self, data: Path, port: int) -> None:
        env = {**os.environ, "DB9_PASSWORD": PASSWORD, "DB9_API_PORT": "0"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "control.server", "--data-dir", str(data), "--pg-port",
             str(port), "--no-sync"],
            cwd=os.getcwd(), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.strip().startswith("psql "):
                break
        else:
            raise SystemExit(f"db9-server exited: {self.proc.wait()}")
        # Keep reading its output so a full pipe never blocks it.
        threading.Thread(target=self._drain, daemon=True).start()
        self.url = f"postgresql://local.admin:{PASSWORD}@127.0.0.1:{port}/postgres?sslmode=require"

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for _ in self.proc.stdout:
            pass

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Client(threading.Thread):
    def __init__(self, n: int, url: str, scripts: dict[str, list[str]], stop: threading.Event,
                 stmt_timeout: float) -> None:  # fmt: skip
        super().__init__(daemon=True)
        self.n, self.url, self.scripts, self.stop = n, url, scripts, stop
        self.stmt_timeout = stmt_timeout
        self.ok = self.failed = self.cancelled = self.loops = self.dropped = self.abandoned = 0
        self.last_drop = ""
        self.conn: psycopg.Connection | None = None
        self.started: float | None = None  # monotonic start of the running statement

    def run(self) -> None:
        order = [s for s in CORE if s in self.scripts]
        i = self.n
        while not self.stop.is_set():
            name = order[i % len(order)]
            i += 1
            try:
                self.one_loop(name, f"soak_{self.n}_{self.loops}")
            except psycopg.OperationalError as exc:
                self.dropped += 1  # the connection broke: start over with a new one
                self.last_drop = str(exc)[:200]
                time.sleep(0.5)
            self.loops += 1

    def one_loop(self, script: str, schema: str) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            self.conn = conn
            self.run_stmt(conn, f"CREATE SCHEMA {schema}")
            self.run_stmt(conn, f"SET search_path TO {schema}, public")
            self.run_stmt(conn, f"SET statement_timeout = '{int(self.stmt_timeout)}s'")
            for stmt in [*self.scripts["test_setup"], *self.scripts[script]]:
                if self.stop.is_set():
                    break
                self.run_stmt(conn, stmt)
            if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                self.run_stmt(conn, "ROLLBACK")
            self.run_stmt(conn, "RESET ALL")
            self.run_stmt(conn, f"DROP SCHEMA {schema} CASCADE")
            self.conn = None

    def run_stmt(self, conn: psycopg.Connection, stmt: str) -> None:
        self.started = time.monotonic()
        try:
            cur = conn.execute(stmt.encode())  # bytes: no client-side % interpolation
            if cur.description is not None:
                cur.fetchall()
            self.ok += 1
        except psycopg.errors.QueryCanceled:
            self.cancelled += 1
        except psycopg.Error:
            if conn.closed or conn.broken:
                raise psycopg.OperationalError("the connection was lost") from None
            self.failed += 1  # e.g. 40001 (an OperationalError too): the statement failed
        finally:
            self.started = None

    def watchdog(self, force: bool = False) -> None:
        """Cancel a statement running over twice the timeout; drop the connection of one that
        ignored the cancel (or of any, with ``force``), so this client goes on."""
        started, conn = self.started, self.conn
        if conn is None or (started is None and not force):
            return
        age = time.monotonic() - started if started is not None else 0.0
        if force or age > self.stmt_timeout * 6:
            self.abandoned += 1
            with contextlib.suppress(Exception):
                sock = socket.socket(fileno=os.dup(conn.pgconn.socket))
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()
        elif age > self.stmt_timeout * 2:
            with contextlib.suppress(Exception):
                conn.cancel_safe(timeout=2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--interval", type=float, default=5.0, help="seconds between RSS samples")
    ap.add_argument("--cooldown", type=float, default=60.0, help="seconds sampled after load")
    ap.add_argument("--stmt-timeout", type=float, default=10.0)
    ap.add_argument("--out", default="bench/results/memory_soak")
    ap.add_argument("--regress", default=str(REGRESS), help="the pg-regress scripts' folder")
    args = ap.parse_args()
    regress = Path(args.regress)

    scripts = {
        name: statements(regress / f"{name}.sql")
        for name in ["test_setup", *CORE]
        if (regress / f"{name}.sql").exists()
    }
    samples: list[dict[str, float | str]] = []
    t0 = time.monotonic()

    def sample(phase: str) -> None:
        samples.append({"t_s": round(time.monotonic() - t0, 1), **rss_mb(pid), "phase": phase})

    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "node", free_port())
        pid = server.proc.pid
        try:
            for _ in range(3):
                sample("baseline")
                time.sleep(1)
            stop = threading.Event()
            clients = [Client(i, server.url, scripts, stop, args.stmt_timeout)
                       for i in range(args.clients)]  # fmt: skip
            load_start = time.monotonic()
            for c in clients:
                c.start()
            end = load_start + args.minutes * 60
            next_report = load_start + 60
            while time.monotonic() < end:
                sample("load")
                for c in clients:
                    c.watchdog()
                if time.monotonic() >= next_report:
                    next_report += 60
                    done = sum(c.ok + c.failed + c.cancelled for c in clients)
                    print(f"{(time.monotonic() - load_start) / 60:5.1f} min  "
                          f"rss {samples[-1]['rss_mb']:8.1f} MB  statements {done}",
                          flush=True)  # fmt: skip
                time.sleep(min(args.interval, max(0.0, end - time.monotonic())))
            stop.set()
            for c in clients:
                waited = 0
                while c.is_alive():
                    c.watchdog(force=waited > 20)
                    c.join(1)
                    waited += 1
            left = time.monotonic()
            while time.monotonic() - left < args.cooldown:
                sample("after")
                time.sleep(args.interval)
            sample("after")
        finally:
            server.stop()

    load = [s for s in samples if s["phase"] == "load"]
    load_t0 = load[0]["t_s"] if load else 0.0

    def at_minute(m: float) -> float:
        target = float(load_t0) + m * 60
        return float(min(load, key=lambda s: abs(float(s["t_s"]) - target))["rss_mb"])

    baseline = float(samples[0]["rss_mb"])
    five = at_minute(min(5.0, args.minutes))
    final = float(load[-1]["rss_mb"])
    after = float(samples[-1]["rss_mb"])
    anon_five = float(
        min(
            load, key=lambda s: abs(float(s["t_s"]) - float(load_t0) - min(5.0, args.minutes) * 60)
        )["anon_mb"]
    )
    summary = {
        "minutes": args.minutes,
        "clients": args.clients,
        "statements_ok": sum(c.ok for c in clients),
        "statements_failed": sum(c.failed for c in clients),
        "statements_cancelled": sum(c.cancelled for c in clients),
        "loops": sum(c.loops for c in clients),
        "connections_dropped": sum(c.dropped for c in clients),
        "statements_abandoned": sum(c.abandoned for c in clients),
        "last_drop": next((c.last_drop for c in clients if c.last_drop), ""),
        "baseline_mb": baseline,
        "minute5_mb": five,
        "end_of_load_mb": final,
        "peak_mb": max(float(s["rss_mb"]) for s in samples),
        "after_clients_left_mb": after,
        "growth_5_to_end_pct": round((final - five) / five * 100, 1),
        "after_over_baseline_mb": round(after - baseline, 1),
        "anon_baseline_mb": float(samples[0]["anon_mb"]),
        "anon_minute5_mb": anon_five,
        "anon_end_of_load_mb": float(load[-1]["anon_mb"]),
        "anon_after_mb": float(samples[-1]["anon_mb"]),
        "file_after_mb": float(samples[-1]["file_mb"]),
        "anon_growth_5_to_end_pct": round(
            (float(load[-1]["anon_mb"]) - anon_five) / anon_five * 100, 1
        ),
        "command": " ".join(sys.argv),
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps({"summary": summary, "samples": samples},
                                                   indent=1))  # fmt: skip
    with out.with_suffix(".csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["t_s", "rss_mb", "anon_mb", "file_mb", "phase"])
        w.writeheader()
        w.writerows(samples)
    plot(samples, summary, out.with_suffix(".png"))
    print(json.dumps(summary, indent=1))


def plot(samples: list[dict[str, float | str]], summary: dict[str, object], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.5))
    for phase, color in (("baseline", "grey"), ("load", "tab:blue"), ("after", "tab:green")):
        pts = [s for s in samples if s["phase"] == phase]
        xs = [float(s["t_s"]) / 60 for s in pts]
        ax.plot(xs, [float(s["rss_mb"]) for s in pts], ".-", color=color,
                label=f"RSS ({phase})", markersize=3)  # fmt: skip
        ax.plot(xs, [float(s["anon_mb"]) for s in pts], ":", color=color,
                label=f"anonymous (heap) ({phase})")  # fmt: skip
    ax.set_xlabel("minutes since server start")
    ax.set_ylabel("server RSS (MB)")
    ax.set_ylim(bottom=0)
    ax.set_title(f"db9-server RSS, {summary['clients']} clients running PostgreSQL regression "
                 f"scripts (growth min 5 -> end: {summary['growth_5_to_end_pct']}%)",
                 fontsize=9)  # fmt: skip
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
