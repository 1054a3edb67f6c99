"""pg_dump 15 against db9: a dump of the fixture (plain and custom format) restores into
PostgreSQL 15 without an error, and PostgreSQL's copy holds the same data.

Normalised before comparing: pg_dump's comment lines and \\restrict keys (they name the server
and owner), the search_path line, and blank lines. Not yet compared: the schema text, where
db9 prints expressions as it stores them (``DEFAULT TRUE``, views in sqlglot's layout) and
PostgreSQL as its deparser does (``DEFAULT true``, ``(0)::numeric``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bench.servers import Server, db9_server, free_base, pg_server
from tests.sql.pg import _bin

FIXTURE = Path(__file__).with_name("fixture.sql")


def _run(server: Server, *cmd: str, stdin: str | None = None) -> str:
    res = subprocess.run(
        list(cmd), env=server.env(), input=stdin, capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, f"{cmd[0]} failed: {res.stderr[-2000:]}"
    assert "ERROR" not in res.stderr, res.stderr[-2000:]
    return res.stdout


def _normalised(dump: str) -> list[str]:
    return [
        line
        for line in dump.splitlines()
        if line.strip()
        and not line.startswith(("--", "\\restrict", "\\unrestrict"))
        and "set_config('search_path'" not in line
    ]


@pytest.fixture(scope="module")
def servers() -> object:
    base = free_base(2)
    with db9_server(base) as db9, pg_server(base + 1) as pg:
        _run(db9, _bin("psql"), "-q", "-v", "ON_ERROR_STOP=1", db9.conninfo, "-f", str(FIXTURE))
        yield db9, pg


def test_plain_dump_of_db9_restores_into_postgresql_with_equal_data(
    servers: tuple[Server, Server],
) -> None:
    db9, pg = servers
    dump = _run(db9, _bin("pg_dump"), "--no-owner", db9.conninfo)
    _run(pg, _bin("psql"), "-q", pg.conninfo, "-c", "CREATE DATABASE plain")
    copy = pg.conninfo.replace("dbname=postgres", "dbname=plain")
    _run(pg, _bin("psql"), "-q", "-v", "ON_ERROR_STOP=1", copy, stdin=dump)
    ours = _run(db9, _bin("pg_dump"), "--data-only", db9.conninfo)
    theirs = _run(pg, _bin("pg_dump"), "--data-only", copy)
    assert _normalised(ours) == _normalised(theirs)


def test_custom_format_dump_of_db9_restores_with_pg_restore(
    servers: tuple[Server, Server], tmp_path: Path
) -> None:
    db9, pg = servers
    archive = tmp_path / "db9.dump"
    _run(db9, _bin("pg_dump"), "-Fc", "-f", str(archive), db9.conninfo)
    _run(pg, _bin("psql"), "-q", pg.conninfo, "-c", "CREATE DATABASE custom")
    copy = pg.conninfo.replace("dbname=postgres", "dbname=custom")
    _run(pg, _bin("pg_restore"), "--no-owner", "--exit-on-error", "-d", copy, str(archive))
    ours = _run(db9, _bin("pg_dump"), "--data-only", db9.conninfo)
    theirs = _run(pg, _bin("pg_dump"), "--data-only", copy)
    assert _normalised(ours) == _normalised(theirs)
