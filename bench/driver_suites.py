"""psycopg 3's and asyncpg's own test suites against a fresh PostgreSQL 15 and a fresh db9.

    .venv/bin/python -m bench.driver_suites                       # both suites
    .venv/bin/python -m bench.driver_suites --suite asyncpg --modules test_copy,test_pool
    .venv/bin/python -m bench.driver_suites --suite psycopg -k "copy or cursor_server"

The suites are the installed versions' own tests: asyncpg's from its PyPI sdist (downloaded
once with ``pip download --no-binary``, kept under ~/.cache/db9-bench), run with PGHOST & co.
set, which makes its ``_testbase`` use the running server instead of starting a temporary
cluster. psycopg's sdist has no tests: they are taken from a checkout of psycopg's repository,
``--psycopg-tests`` (default ~/.cache/db9-bench/psycopg-tests, holding ``tests/`` and
``pyproject.toml``; e.g. ``git archive 3.3.9 tests pyproject.toml | tar x -C <dir>``), and run
with ``--test-dsn``. Both run under pytest with a junit report per server; the figure is how
many of the tests that pass on PostgreSQL also pass on db9, with the most common failure
messages among the rest. Per-test outcomes go to ``--out`` (bench/results/driver_suites.json).
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import shutil
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from bench.servers import Server, db9_server, free_base, pg_server

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path.home() / ".cache" / "db9-bench"

# asyncpg modules that need a managed cluster of their own (HBA edits, restarts, standbys),
# a TCP proxy, or check asyncpg's source tree: nothing a server can pass or fail.
ASYNCPG_SKIP = ("test__sourcecode", "test__environment", "test_subinterpreters", "test_adversity")
# psycopg tests that do not talk to a server at all or need tools we do not install.
PSYCOPG_IGNORE = (
    "tests/test_typing.py",
    "tests/test_gevent.py",
    "tests/crdb",
    "tests/pool",
    "tests/test_dns_srv.py",
    "tests/test_free_threading.py",
)


@dataclass(frozen=True)
class Outcome:
    passed: bool
    skipped: bool
    message: str


def sdist(name: str) -> Path:
    """The unpacked sdist of the installed version of ``name`` under the cache."""
    version = metadata.version(name)
    unpacked = CACHE / f"{name}-{version}"
    if unpacked.is_dir():
        return unpacked
    CACHE.mkdir(parents=True, exist_ok=True)
    archive = CACHE / f"{name}-{version}.tar.gz"
    if not archive.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
             "--no-build-isolation", "-d", str(CACHE), f"{name}=={version}"],
            check=True,
        )  # fmt: skip
    with tarfile.open(archive) as tar:
        tar.extractall(CACHE, filter="data")
    return unpacked


def asyncpg_tests() -> Path:
    """asyncpg's tests/ copied beside no ``asyncpg`` source package, so that the installed
    (compiled) asyncpg is the one imported."""
    src = sdist("asyncpg") / "tests"
    dest = CACHE / f"asyncpg-{metadata.version('asyncpg')}-tests"
    if not dest.is_dir():
        shutil.copytree(src, dest / "tests")
    return dest


def run_pytest(cwd: Path, args: list[str], env: dict[str, str], report: Path, log: Path) -> None:
    # psycopg's conftest reads pytest's cache: keep it, out of the test tree
    # (--tb=native: pytest's own traceback rendering crashes on some of asyncpg's frames)
    cmd = [sys.executable, "-m", "pytest", "-p", "no:randomly", "-q", "--timeout", "60",
           "--tb=native", "-o", f"cache_dir={report.parent / 'pytest-cache'}",
           "--continue-on-collection-errors",
           f"--junitxml={report}", "-o", "junit_family=xunit1", *args]  # fmt: skip
    with log.open("w") as out:
        subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)


def outcomes(report: Path) -> dict[str, Outcome]:
    if not report.exists():
        return {}
    result: dict[str, Outcome] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        skipped = case.find("skipped") is not None
        message = "" if failure is None else (failure.get("message") or failure.text or "")
        result[name] = Outcome(failure is None and not skipped, skipped, message)
    return result


def cause(message: str) -> str:
    """A failure message reduced to its kind: the first line, numbers and quoted names out."""
    line = message.strip().splitlines()[0] if message.strip() else "(no message)"
    line = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", line)
    line = re.sub(r"\b\d+\b", "N", line)
    return line[:150]


def suite_env(server: Server, extra: dict[str, str]) -> dict[str, str]:
    env = {**server.env(), **extra, "PYTHONDONTWRITEBYTECODE": "1"}
    return env


def run_asyncpg(server: Server, port: int, modules: list[str], k: str, work: Path) -> Path:
    root = asyncpg_tests()
    user = "postgres" if server.name == "postgresql" else "local.admin"
    env = suite_env(server, {"PGHOST": "127.0.0.1", "PGPORT": str(port), "PGUSER": user,
                             "PGDATABASE": "postgres", "PGSSLMODE": "disable"})  # fmt: skip
    if server.password:
        env["PGPASSWORD"] = server.password
    files = sorted((root / "tests").glob("test_*.py"))
    chosen = [
        f"tests/{f.name}"
        for f in files
        if f.stem not in ASYNCPG_SKIP and (not modules or f.stem in modules)
    ]
    args = [*chosen, *(["-k", k] if k else [])]
    report = work / f"asyncpg-{server.name}.xml"
    run_pytest(root, args, env, report, work / f"asyncpg-{server.name}.log")
    return report


def run_psycopg(server: Server, tests: Path, k: str, work: Path) -> Path:
    dsn = f"{server.conninfo} password={server.password}" if server.password else server.conninfo
    env = suite_env(server, {})
    args = ["tests", f"--test-dsn={dsn}", "-W", "ignore", "-m", "not slow and not timing",
            *(f"--ignore={p}" for p in PSYCOPG_IGNORE), *(["-k", k] if k else [])]  # fmt: skip
    report = work / f"psycopg-{server.name}.xml"
    run_pytest(tests, args, env, report, work / f"psycopg-{server.name}.log")
    return report


def compare(
    suite: str, pg: dict[str, Outcome], db9: dict[str, Outcome], top: int
) -> dict[str, object]:
    passing = [t for t, o in pg.items() if o.passed]
    agreed = [t for t in passing if t in db9 and db9[t].passed]
    failing = {
        t: db9[t].message if t in db9 else "(not run on db9)" for t in passing if t not in agreed
    }
    causes = collections.Counter(cause(m) for m in failing.values())
    pct = 100.0 * len(agreed) / len(passing) if passing else 0.0
    print(f"\n== {suite}: {len(pg)} tests; passing on PostgreSQL {len(passing)}, "
          f"of those passing on db9 {len(agreed)} ({pct:.1f}%)")  # fmt: skip
    for text, n in causes.most_common(top):
        print(f"  {n:5d}  {text}")
    return {"tests": len(pg), "pg_passed": len(passing), "db9_passed": len(agreed),
            "percent": round(pct, 1), "failing": failing,
            "causes": causes.most_common()}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--suite", choices=("both", "psycopg", "asyncpg"), default="both")
    ap.add_argument(
        "--modules",
        default="",
        help="asyncpg test modules, comma-separated (default: all that can use a running server)",
    )
    ap.add_argument("-k", default="", help="pytest -k expression for both suites")
    ap.add_argument("--psycopg-tests", type=Path, default=CACHE / "psycopg-tests")
    ap.add_argument("--top", type=int, default=15, help="failure causes to print")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "driver_suites.json")
    ap.add_argument(
        "--work", type=Path, default=CACHE / "driver-runs", help="junit reports and logs"
    )
    args = ap.parse_args()  # fmt: skip
    modules = [m for m in args.modules.split(",") if m]
    suites = ("psycopg", "asyncpg") if args.suite == "both" else (args.suite,)
    if "psycopg" in suites and not (args.psycopg_tests / "tests" / "conftest.py").exists():
        raise SystemExit(f"no psycopg tests at {args.psycopg_tests} (see --help)")
    args.work.mkdir(parents=True, exist_ok=True)
    base = free_base(2)
    reports: dict[str, dict[str, Path]] = collections.defaultdict(dict)
    with pg_server(base) as pg, db9_server(base + 1) as db9:
        for suite in suites:
            for server, port in ((pg, base), (db9, base + 1)):
                started = time.monotonic()
                if suite == "asyncpg":
                    report = run_asyncpg(server, port, modules, args.k, args.work)
                else:
                    report = run_psycopg(server, args.psycopg_tests, args.k, args.work)
                reports[suite][server.name] = report
                print(f"{suite} on {server.name}: {time.monotonic() - started:.0f} s", flush=True)
    results = {}
    for suite in suites:
        pg_out = outcomes(reports[suite]["postgresql"])
        db9_out = outcomes(reports[suite]["db9"])
        results[suite] = compare(suite, pg_out, db9_out, args.top)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
