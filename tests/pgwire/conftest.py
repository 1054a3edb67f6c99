from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kv.client import TxnClient
from pgwire.auth import StaticAuthenticator
from pgwire.server import PgServer, PgServerConfig, new_event_loop
from pgwire.tls import ensure_tls_files, server_context
from sql.database import Database
from tests.kv.conftest import local_kv

PASSWORD = "s3cret-pass"
USER = "tenant1.admin"


@dataclass
class Running:
    server: PgServer
    loop: asyncio.AbstractEventLoop
    auth: StaticAuthenticator
    ca: str  # the CA certificate that signed the server's, for sslmode=verify-full

    @property
    def port(self) -> int:
        return self.server.port

    def dsn(self, *, sslmode: str = "require", password: str = PASSWORD, user: str = USER) -> str:
        return (
            f"host=127.0.0.1 port={self.port} dbname=postgres user={user} "
            f"password={password} sslmode={sslmode}"
        )


def start_server(tmp: Path, **config: object) -> Iterator[Running]:
    """A server on a free port with the defaults (TLS required) overridden by ``config``."""
    ca, cert, key = ensure_tls_files(str(tmp / "tls"))
    auth = StaticAuthenticator()
    auth.add(USER, Database(TxnClient(local_kv()), b"\x00\x09"), PASSWORD)
    server = PgServer(auth, PgServerConfig(port=0, **config), server_context(cert, key))  # type: ignore[arg-type]
    with serving(server) as loop:
        yield Running(server, loop, auth, ca)


@contextlib.contextmanager
def serving(server: PgServer) -> Iterator[asyncio.AbstractEventLoop]:
    """``server`` started on an event loop of its own thread, until the block ends; then
    stopped, and its loop closed (a test process runs hundreds of these: an unclosed loop
    keeps its selector and pipes, and the process runs out of file descriptors)."""
    loop = new_event_loop()
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(10)
    try:
        yield loop
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        if not thread.is_alive():
            loop.close()


@pytest.fixture
def pg(tmp_path: Path) -> Iterator[Running]:
    yield from start_server(tmp_path)


@pytest.fixture
def plain_pg(tmp_path: Path) -> Iterator[Running]:
    """A server that takes plaintext logins too (``require_tls=False``): for tests that write
    raw frames on the client's socket."""
    yield from start_server(tmp_path, require_tls=False)
