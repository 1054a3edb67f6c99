"""client_encoding against a live PostgreSQL, through psycopg (which follows the server's
ParameterStatus): SET and the startup option, the names PostgreSQL accepts, text read and
sent in LATIN1 and EUC_JP, 22P05 for a character the client's encoding lacks (in a result
and in COPY), SQL_ASCII's unconverted bytes, and TimeZone reported after SET."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.pgwire.conftest import Running, start_server
from tests.sql.pg import postgres_server


@pytest.fixture(scope="module")
def db9(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    # plaintext: compared frame by frame with PostgreSQL over raw sockets
    yield from start_server(tmp_path_factory.mktemp("enc"), require_tls=False)


@pytest.fixture(scope="module")
def pg_dsn() -> Iterator[str]:
    with postgres_server() as conninfo:
        yield conninfo


def _answers(dsn: str, options: dict[str, str]) -> list[Any]:
    out: list[Any] = []
    with psycopg.connect(dsn, autocommit=True, **options) as conn:
        out.append(conn.info.encoding)
        for setting in ("latin1", "ISO-8859-15", "euc_jp", "sql_ascii", "utf8", "nonesuch"):
            try:
                conn.execute(f"SET client_encoding TO '{setting}'")
                out.append(conn.execute("SHOW client_encoding").fetchone())
            except psycopg.Error as exc:
                out.append(exc.sqlstate)
        conn.execute("SET client_encoding TO latin1")
        out.append(conn.execute("SELECT 'àé' || %s, length(%s)", ["ü", "ü"]).fetchone())
        for binary in (False, True):
            try:
                conn.cursor(binary=binary).execute("SELECT chr(8364)").fetchone()
            except psycopg.Error as exc:
                out.append(exc.sqlstate)
        with conn.cursor() as cur:
            try:
                with cur.copy("COPY (SELECT chr(8364)) TO STDOUT") as copy:
                    out.append(list(copy.rows()))
            except psycopg.Error as exc:
                out.append(exc.sqlstate)
        out.append(conn.execute("SELECT 1").fetchone())
        conn.execute("SET client_encoding TO euc_jp")
        out.append(conn.execute("SELECT '日本' || %s", ["語"]).fetchone())
        conn.execute("SET client_encoding TO sql_ascii")
        out.append(conn.execute("SELECT chr(8364)").fetchone())
        conn.execute("SET timezone TO 'Europe/Rome'")
        out.append(conn.info.timezone)
    return out


@pytest.mark.parametrize("options", [{}, {"client_encoding": "latin1"}])
def test_client_encoding_matches_postgres(
    db9: Running, pg_dsn: str, options: dict[str, str]
) -> None:
    assert _answers(db9.dsn(sslmode="disable"), options) == _answers(pg_dsn, options)
