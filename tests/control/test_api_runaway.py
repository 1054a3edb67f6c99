"""Runaway statements over the REST API (a real uvicorn server in-process): a /sql call whose
client disconnects is cancelled within a second; /sql obeys the server's statement timeout;
45 slow /sql calls leave /v1/health and another database's statements answering fast."""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn

from control.api import build_app
from control.plane import ControlPlane
from kv.client import TxnClient
from pgwire.slots import StatementSlots
from tests.control.test_api import KEY
from tests.kv.conftest import local_kv

SLOW = "SELECT count(*) FROM generate_series(1, 20000) a, generate_series(1, 20000) b"


@dataclass
class Api:
    port: int
    token: str
    slots: StatementSlots
    plane: ControlPlane

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        resp = conn.getresponse()
        status, data = resp.status, json.loads(resp.read() or b"null")
        conn.close()
        return status, data

    def start_sql(self, query: str, db: str = "default") -> socket.socket:
        """A /sql call left waiting for its answer (its socket, to close or read)."""
        body = json.dumps({"query": query}).encode()
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        sock.sendall(
            f"POST /v1/databases/{db}/sql HTTP/1.1\r\nHost: x\r\n"
            f"Content-Type: application/json\r\nAuthorization: Bearer {self.token}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        return sock


def wait_until(cond: Callable[[], bool], timeout: float = 10.0) -> float:
    start = time.monotonic()
    while not cond():
        assert time.monotonic() - start < timeout, "condition not reached in time"
        time.sleep(0.01)
    return time.monotonic() - start


def serve(sql_timeout_s: float = 30.0) -> Iterator[Api]:
    kv = local_kv()
    plane = ControlPlane(TxnClient(kv), kv, host="127.0.0.1", pg_port=5433, key=KEY)
    _, token = plane.bootstrap("admin-pw")
    assert token is not None
    slots = StatementSlots(8, 6)
    app = build_app(plane, slots, sql_timeout_s=sql_timeout_s)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    thread = threading.Thread(target=lambda: asyncio.run(server.serve([sock])), daemon=True)
    thread.start()
    wait_until(lambda: server.started)
    try:
        yield Api(port, token, slots, plane)
    finally:
        slots.close()
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def api() -> Iterator[Api]:
    yield from serve()


def test_disconnected_sql_call_is_cancelled_within_a_second(api: Api) -> None:
    assert api.call("POST", "/v1/databases/default/sql", {"query": "CREATE TABLE t (v int)"})[0]
    sock = api.start_sql(f"BEGIN; INSERT INTO t VALUES (1); {SLOW}; COMMIT")
    wait_until(lambda: api.slots.running == 1)
    sock.close()
    assert wait_until(lambda: api.slots.running == 0, timeout=1.0) < 1.0
    status, out = api.call("POST", "/v1/databases/default/sql", {"query": "SELECT count(*) FROM t"})
    assert status == 200 and out["results"][0]["rows"] == [[0]]  # the INSERT never committed


def test_sql_call_obeys_the_server_statement_timeout() -> None:
    for api in serve(sql_timeout_s=0.3):
        start = time.monotonic()
        status, out = api.call("POST", "/v1/databases/default/sql", {"query": SLOW})
        assert time.monotonic() - start < 5
        assert status == 400 and out["sqlstate"] == "57014", out
        assert "statement timeout" in out["error"]
        assert api.slots.running == 0
        # A statement may ask for a longer timeout itself.
        query = "SET statement_timeout = '10s'; SELECT count(*) FROM generate_series(1, 10)"
        status, out = api.call("POST", "/v1/databases/default/sql", {"query": query})
        assert status == 200 and out["results"][-1]["rows"] == [[10]]


def test_slow_sql_calls_leave_health_and_other_databases_fast(api: Api) -> None:
    assert api.call("POST", "/v1/databases", {"name": "other"})[0] == 201
    flood = [api.start_sql(SLOW) for _ in range(45)]
    try:
        wait_until(lambda: api.slots.running == 6 and api.slots.queued == 39)
        for _ in range(5):
            start = time.monotonic()
            assert api.call("GET", "/v1/health") == (200, {"status": "ok"})
            assert time.monotonic() - start < 1.0
            start = time.monotonic()
            status, out = api.call("POST", "/v1/databases/other/sql", {"query": "SELECT 1"})
            assert status == 200 and out["results"][0]["rows"] == [[1]]
            assert time.monotonic() - start < 1.0
    finally:
        for sock in flood:
            sock.close()
    assert wait_until(lambda: api.slots.running == api.slots.queued == 0, timeout=1.0) < 1.0
