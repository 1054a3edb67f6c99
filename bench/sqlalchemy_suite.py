"""SQLAlchemy's dialect compliance suite against PostgreSQL 15 and db9 in the same run.

    .venv/bin/python -m bench.sqlalchemy_suite                       # psycopg, then asyncpg
    .venv/bin/python -m bench.sqlalchemy_suite --drivers psycopg -k ComponentReflectionTest

Fetches the sdist of the installed SQLAlchemy (``pip download --no-binary``, cached under
~/.cache/db9-bench), and runs its ``test/dialect/test_suite.py`` (the ``sqlalchemy.testing.suite``
classes, with the sdist's own test/requirements.py and conftest) with ``--dburi`` pointed at a
fresh PostgreSQL 15 and at a fresh db9 server, once per driver. Per-test outcomes come from
pytest's junit xml. Prints, per driver: the tests passing on PostgreSQL, how many of those pass
on db9, the share, and the most common failure causes on db9. Issue 16's goal: 95%.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import psycopg

from bench.servers import Server, db9_server, free_base, pg_server

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path.home() / ".cache" / "db9-bench"
# The suite's tests that use schemas other than the default one expect these to exist.
SCHEMAS = ("test_schema", "test_schema_2")
DRIVERS = ("psycopg", "asyncpg")


def sdist(package: str = "sqlalchemy") -> Path:
    """The unpacked sdist of the installed ``package`` (downloaded once)."""
    ver = version(package)
    target = CACHE / f"{package}-{ver}"
    if (target / "test").is_dir():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    archive = CACHE / f"{package}-{ver}.tar.gz"
    if not archive.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", f"{package}=={ver}",
             "--no-binary", ":all:", "--no-deps", "--no-build-isolation", "-d", str(CACHE)],
            check=True,
        )  # fmt: skip
    with tarfile.open(archive) as tar:
        tar.extractall(CACHE, filter="data")
    return target


def url(server: Server, driver: str) -> str:
    """The SQLAlchemy URL of ``server`` for ``driver``."""
    fields = dict(part.split("=", 1) for part in server.conninfo.split())
    auth = fields["user"] + (f":{server.password}" if server.password else "")
    return f"postgresql+{driver}://{auth}@{fields['host']}:{fields['port']}/{fields['dbname']}"


def prepare(server: Server) -> None:
    with psycopg.connect(server.conninfo, password=server.password, autocommit=True) as conn:
        for schema in SCHEMAS:
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")


@dataclass
class Outcome:
    passed: bool
    skipped: bool
    cause: str = ""


def _cause(message: str) -> str:
    """A failure's message reduced to what tends to be shared between tests."""
    line = message.strip().split("\n")[0]
    line = re.sub(r'^failed on (setup|teardown) with "', "", line)
    line = re.sub(r"^sqlalchemy\.exc\.\w+: ", "", line)
    line = re.sub(r"\d+", "N", line)
    return line[:160]


def outcomes(junit: Path) -> dict[str, Outcome]:
    """Each test's outcome; a teardown error fails a test that passed its call."""
    result: dict[str, Outcome] = {}
    for case in ET.parse(junit).iter("testcase"):
        # The class name carries the server version ("..._postgresql+psycopg_15_4"): drop it.
        cls = re.sub(r"_postgresql\+\w+_[\d_]+$", "", case.get("classname", ""))
        key = f"{cls}::{case.get('name')}"
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        skipped = case.find("skipped") is not None
        if bad is not None:
            result[key] = Outcome(False, False, _cause(bad.get("message") or bad.text or ""))
        elif key not in result:
            result[key] = Outcome(not skipped, skipped)
    return result


def run_suite(server: Server, driver: str, junit: Path, extra: list[str]) -> dict[str, Outcome]:
    tree = sdist()
    cmd = [
        sys.executable, "-m", "pytest", "test/dialect/test_suite.py",
        "--dburi", url(server, driver), "--maxfail=100000", "-q", "-p", "no:cacheprovider",
        "--tb", "line", "-p", "bench.sqlalchemy_plugin", f"--junitxml={junit}", *extra,
    ]  # fmt: skip
    env = {**server.env(), "PYTHONPATH": str(ROOT)}
    log = junit.with_suffix(".log")
    with log.open("w") as out:
        subprocess.run(cmd, cwd=tree, env=env, stdout=out, stderr=subprocess.STDOUT)
    if not junit.exists():
        raise SystemExit(f"no results from {server.name}/{driver}: see {log}")
    return outcomes(junit)


@dataclass
class Comparison:
    driver: str
    pg_passed: int
    db9_passed: int
    causes: list[tuple[str, int]]
    failing: list[str]

    @property
    def share(self) -> float:
        return self.db9_passed / self.pg_passed if self.pg_passed else 1.0


def compare(driver: str, pg: dict[str, Outcome], db9: dict[str, Outcome]) -> Comparison:
    on_pg = [k for k, o in pg.items() if o.passed]
    failing = [k for k in on_pg if not (k in db9 and db9[k].passed)]
    causes = collections.Counter(db9[k].cause if k in db9 else "not run" for k in failing)
    return Comparison(driver, len(on_pg), len(on_pg) - len(failing), causes.most_common(), failing)


def main(argv: list[str] | None = None) -> list[Comparison]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--drivers", default=",".join(DRIVERS), help="comma-separated: psycopg,asyncpg")
    ap.add_argument("-k", dest="select", help="pytest -k expression (a subset of the suite)")
    ap.add_argument("--out", type=Path, default=CACHE / "sqlalchemy-results")
    ap.add_argument("--causes", type=int, default=15, help="how many failure causes to print")
    ap.add_argument("--list-failing", action="store_true", help="print each failing test")
    args = ap.parse_args(argv)
    extra = ["-k", args.select] if args.select else []
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for driver in args.drivers.split(","):
        base = free_base(2)
        runs = {}
        for name, server_cm in (("postgresql", pg_server(base)), ("db9", db9_server(base + 1))):
            with server_cm as server:
                prepare(server)
                runs[name] = run_suite(server, driver, args.out / f"{name}-{driver}.xml", extra)
        cmp = compare(driver, runs["postgresql"], runs["db9"])
        results.append(cmp)
        print(f"\n{driver}: {cmp.pg_passed} pass on PostgreSQL 15, {cmp.db9_passed} of those "
              f"on db9 ({100 * cmp.share:.1f}%)")  # fmt: skip
        for cause, n in cmp.causes[: args.causes]:
            print(f"  {n:5d}  {cause}")
        if args.list_failing:
            for key in cmp.failing:
                print(f"    {key}: {runs['db9'][key].cause if key in runs['db9'] else 'not run'}")
    print("\n| driver | pass on PostgreSQL 15 | of those on db9 | share |")
    print("|---|---:|---:|---:|")
    for cmp in results:
        print(f"| {cmp.driver} | {cmp.pg_passed} | {cmp.db9_passed} | {100 * cmp.share:.1f}% |")
    return results


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
