"""The REST API's limits and hostile input, in-process: the tenant QPS limit shared with pgwire,
sign-ups per address, claim needing a verified account, lone surrogates, the body limit,
and what /metrics shows with and without the operator's token."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from control.api import build_app
from control.bodylimit import BodyLimit
from control.plane import ControlPlane, RegistryAuthenticator
from kv.client import TxnClient
from pgwire.auth import StaticAuthenticator
from pgwire.ratelimit import RateLimiter
from pgwire.server import PgServer, PgServerConfig
from pgwire.tls import ensure_tls_files, server_context
from tests.kv.conftest import local_kv
from tests.pgwire.conftest import serving

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PASSWORD = "pw-for-tests"


def new_plane() -> tuple[ControlPlane, str]:
    kv = local_kv()
    plane = ControlPlane(TxnClient(kv), kv, host="127.0.0.1", pg_port=0, key=KEY)
    _, token = plane.bootstrap(PASSWORD)
    assert token is not None
    return plane, token


@pytest.fixture
def api() -> Iterator[tuple[TestClient, ControlPlane, str]]:
    plane, token = new_plane()
    with TestClient(build_app(plane, max_body_bytes=1 << 20)) as client:
        yield client, plane, token


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sql(client: TestClient, token: str, query: str, db: str = "default") -> Any:
    return client.post(f"/v1/databases/{db}/sql", json={"query": query}, headers=auth(token))


def test_rest_sql_and_pgwire_share_one_tenant_qps_limit(tmp_path: Path) -> None:
    plane, token = new_plane()
    _, cert, key = ensure_tls_files(str(tmp_path / "tls"))
    pg = PgServer(
        RegistryAuthenticator(plane),
        PgServerConfig(port=0, tenant_qps_limit=2.0),
        server_context(cert, key),
    )
    app = build_app(plane, pg.slots, statement_rate=pg.rate)
    with serving(pg), TestClient(app) as client:
        dsn = (f"host=127.0.0.1 port={pg.port} dbname=postgres user=local.admin "
               f"password={PASSWORD} sslmode=require")  # fmt: skip
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("SELECT 1")
            conn.execute("SELECT 2")  # the burst (one second's worth) is spent over pgwire
        r = sql(client, token, "SELECT 3")
        assert r.status_code == 429, r.text
        assert r.json()["code"] == "TooManyRequests" and "rate limit" in r.json()["error"]
        assert r.headers["Retry-After"] == "1"


def test_a_qps_limit_under_one_a_second_still_admits_at_that_rate() -> None:
    pg = PgServer(StaticAuthenticator(), PgServerConfig(tenant_qps_limit=0.5, require_tls=False))
    assert pg.admit_statement(b"t")  # one statement every 2 s, not none at all
    assert not pg.admit_statement(b"t")


def test_rest_sql_alone_is_held_to_the_tenant_qps_limit() -> None:
    plane, token = new_plane()
    with TestClient(build_app(plane, statement_rate=RateLimiter(5.0))) as client:
        codes = [sql(client, token, "SELECT 1").status_code for _ in range(20)]
        assert codes[0] == 200 and 429 in codes, codes
        # Another tenant has a bucket of its own.
        other = client.post("/v1/accounts/anonymous").json()["token"]
        client.post("/v1/databases", json={"name": "mine"}, headers=auth(other))
        assert sql(client, other, "SELECT 1", "mine").status_code == 200


def test_anonymous_signups_are_rate_limited_per_client_address() -> None:
    plane, _ = new_plane()
    app = build_app(plane, signups_per_minute=10)
    with TestClient(app) as client:
        codes = [client.post("/v1/accounts/anonymous").status_code for _ in range(15)]
        assert codes[:10] == [201] * 10 and codes[10:] == [429] * 5, codes
        r = client.post("/v1/accounts/anonymous")
        assert r.json()["code"] == "TooManyRequests" and "sign-ups" in r.json()["error"]
        assert 1 <= int(r.headers["Retry-After"]) <= 6  # one sign-up every 6 s
    with TestClient(app, client=("192.0.2.7", 40000)) as elsewhere:
        assert elsewhere.post("/v1/accounts/anonymous").status_code == 201


def test_an_anonymous_token_alone_cannot_claim_its_account(api: Any) -> None:
    client, _, operator = api
    anon = client.post("/v1/accounts/anonymous").json()
    for i in range(5):
        r = client.post("/v1/databases", json={"name": f"d{i}"}, headers=auth(anon["token"]))
        assert r.status_code == 201
    for body in (None, {"account_id": anon["account_id"]}):
        r = client.post("/v1/claim", json=body, headers=auth(anon["token"]))
        assert r.status_code == 403 and "verified" in r.json()["error"], r.text
    r = client.post("/v1/databases", json={"name": "d5"}, headers=auth(anon["token"]))
    assert r.status_code == 403  # still capped
    r = client.post("/v1/claim", json={"account_id": anon["account_id"]}, headers=auth(operator))
    assert r.status_code == 200 and r.json() == {
        "account_id": anon["account_id"],
        "anonymous": False,
    }
    r = client.post("/v1/databases", json={"name": "d5"}, headers=auth(anon["token"]))
    assert r.status_code == 201


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/databases", '{"name": "\\ud800"}'),
        ("/v1/databases/default/sql", '{"query": "SELECT \'\\ud800\'"}'),
        ("/v1/databases/default/branches", '{"name": "x\\udfff"}'),
        ("/v1/tokens", '{"name": "\\ud800"}'),
    ],
)
def test_a_lone_surrogate_in_a_request_is_a_400_with_a_json_error(
    api: Any, path: str, body: str
) -> None:
    client, _, token = api
    headers = {**auth(token), "Content-Type": "application/json"}
    r = client.post(path, content=body, headers=headers)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "BadRequest" and "surrogate" in r.json()["error"]


def test_a_body_over_the_limit_is_413_and_errors_never_echo_unbounded_input(api: Any) -> None:
    client, _, token = api
    r = client.post("/v1/databases", json={"name": "x" * (2 << 20)}, headers=auth(token))
    assert r.status_code == 413 and r.json()["code"] == "PayloadTooLarge"

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        yield b'{"name": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    r = client.post("/v1/databases", content=chunks(), headers=auth(token))
    assert r.status_code == 413
    # Under the limit, a bad name is refused without repeating it whole.
    r = client.post("/v1/databases", json={"name": "y" * 500_000}, headers=auth(token))
    assert r.status_code == 400 and len(r.content) < 1000 and "500000" in r.json()["error"]
    r = sql(client, token, "SELECT " + "z" * 500_000 + " FROM")
    assert r.status_code == 400 and len(r.content) < 5000
    r = client.post("/v1/tokens", json={"name": "t" * 500_000}, headers=auth(token))
    assert r.status_code == 400 and len(r.content) < 1000


def test_a_flood_of_new_keys_does_not_grow_a_rate_limiter_past_its_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pgwire import ratelimit

    monkeypatch.setattr(ratelimit, "MAX_KEYS", 100)
    limiter = RateLimiter(1 / 60, burst=5)
    for n in range(1000):
        assert limiter.admit(f"198.51.100.{n}")
    assert len(limiter._buckets) <= 100


def test_the_body_limit_refuses_before_reading_past_it() -> None:
    """A declared 50 MB body is refused with nothing read; a chunked one as soon as it
    passes the limit, the rest left unread."""
    reads = 0

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b"x" * 65536, "more_body": True}

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the app must not run")

    limit = BodyLimit(app, max_bytes=1 << 20)
    declared = {"type": "http", "headers": [(b"content-length", str(50 << 20).encode())]}
    asyncio.run(limit(declared, receive, send))
    assert reads == 0 and sent[0]["status"] == 413
    sent.clear()
    asyncio.run(limit({"type": "http", "headers": []}, receive, send))
    assert reads == 17 and sent[0]["status"] == 413  # 1 MiB / 64 KiB, plus the one past it


def test_metrics_without_the_operator_token_name_no_database(api: Any) -> None:
    client, _, operator = api
    anon = client.post("/v1/accounts/anonymous").json()["token"]
    for token in (operator, anon):
        client.post("/v1/databases", json={"name": "app"}, headers=auth(token))
        assert sql(client, token, "SELECT 1", "app").status_code == 200
    public = client.get("/metrics")
    assert public.status_code == 200
    assert "app" not in public.text and "database=" not in public.text
    assert "db9_statements_running 0" in public.text
    assert "db9_server_queries_total 2.0" in public.text
    r = client.get("/metrics", headers=auth(anon))
    assert r.status_code == 403 and r.json()["code"] == "Forbidden"
    assert client.get("/metrics", headers=auth("db9_bogus")).status_code == 401
    full = client.get("/metrics", headers=auth(operator)).text
    # Two accounts' "app" are two series, told apart by tenant id.
    series = re.findall(r'db9_queries_total\{database="app",tenant="([^"]+)"\} 1.0', full)
    assert len(series) == 2 and series[0] != series[1], full


def test_a_node_applies_its_configured_api_limits(tmp_path: Path) -> None:
    """The node's REST API gets its limits from DB9_* settings, and pgwire's QPS limiter."""
    from control.config import ServerConfig
    from control.server import Node

    env = {"DB9_PASSWORD": PASSWORD, "DB9_TENANT_QPS_LIMIT": "1",
           "DB9_API_SIGNUPS_PER_MINUTE": "2", "DB9_API_MAX_BODY_BYTES": "100000"}  # fmt: skip
    node = Node(ServerConfig.from_env(env, data_dir=str(tmp_path), sync=False))
    try:
        node.bootstrap()
        assert node.api_token is not None
        headers = auth(node.api_token)
        with TestClient(node.api_app()) as api:
            account = node.plane.registry.authenticate(node.api_token)
            db = node.plane.sql_session(account, "default").db
            assert node.pg.admit_statement(db)  # pgwire takes the one token a second ...
            r = sql(api, node.api_token, "SELECT 1")  # ... and REST /sql finds none left
            assert r.status_code == 429 and "rate limit" in r.json()["error"], r.text
            signups = [api.post("/v1/accounts/anonymous").status_code for _ in range(3)]
            assert signups == [201, 201, 429]
            big = api.post("/v1/databases", json={"name": "x" * 200_000}, headers=headers)
            assert big.status_code == 413 and big.json()["code"] == "PayloadTooLarge"
            assert "default" not in api.get("/metrics").text
            assert 'database="default"' in api.get("/metrics", headers=headers).text
    finally:
        node.close()
