"""Secrets and credentials: the registry keeps SCRAM verifiers, never a password; an
unknown user's salt is as stable as a real one's and salts differ per installation; a
password reset revokes the tenant's connect tokens and ends its sessions; a login reads
only live token records and expired ones are purged. In-process node over an in-memory store."""

from __future__ import annotations

import json
import select
import struct
import time
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from bench import dos
from control import registry
from control.api import build_app
from control.plane import ControlPlane, RegistryAuthenticator
from control.registry import SYSTEM, TooManyRequests
from kv.client import TxnClient
from pgwire.auth import make_verifier
from pgwire.server import PgServer, PgServerConfig
from pgwire.tls import ensure_tls_files, server_context
from tests.control.test_sql_databases import KEY, running_node
from tests.kv.conftest import local_kv
from tests.pgwire.conftest import serving


def _dsn(port: int, user: str, password: str) -> str:
    return (f"host=127.0.0.1 port={port} dbname=postgres user={user} password={password} "
            "sslmode=require")  # fmt: skip


def _system_bytes(plane: ControlPlane) -> bytes:
    txn = plane.client.begin()
    try:
        return b"".join(k + v for k, v in txn.iter_scan(SYSTEM, SYSTEM + b"\xff"))
    finally:
        txn.rollback()


def _password(url: str) -> str:
    return url.split("://", 1)[1].split("@", 1)[0].partition(":")[2]


def test_registry_keeps_verifiers_and_shows_a_password_only_when_made_or_reset(
    tmp_path: Path,
) -> None:
    with running_node(tmp_path) as node:
        plane, port = node.plane, node.server.port
        token = plane.registry.create_token(plane.registry.databases()[0].account_id, "t")[0]
        headers = {"Authorization": f"Bearer {token}"}
        with TestClient(build_app(plane)) as api:
            made = api.post("/v1/databases", json={"name": "app"}, headers=headers).json()
            password = _password(made["connection_string"])
            reset = api.post("/v1/databases/app/reset-password", headers=headers).json()
            new_password = _password(reset["connection_string"])
            listed = api.get("/v1/databases", headers=headers).json()
            status = api.get("/v1/databases/app", headers=headers).json()
        assert password and new_password and new_password != password
        stored = _system_bytes(plane)
        for secret in (password, new_password, "pw-for-tests"):
            assert secret.encode() not in stored
        # a listing shows no password; status a working connection string, whose password
        # is a fresh connect token
        assert all(_password(d["connection_string"]) == "" for d in listed)
        assert _password(status["connection_string"]) not in ("", new_password)
        url = status["connection_string"].replace(":0/", f":{port}/")
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        with psycopg.connect(_dsn(port, made["user"], new_password)) as conn:
            assert conn.execute("SELECT current_user").fetchone() == ("admin",)


def _server_salt(port: int, user: str) -> str:
    """The salt the server's SCRAM first message gives ``user`` (a raw login over TLS)."""
    with dos.connect("127.0.0.1", port) as s:
        s.sendall(dos.startup_packet(user))
        kind, _ = dos.read_message(s)  # AuthenticationSASL
        assert kind == b"R"
        first = b"n,,n=,r=clientnonce"
        s.sendall(dos.message(b"p", b"SCRAM-SHA-256\0" + struct.pack(">I", len(first)) + first))
        kind, data = dos.read_message(s)
    assert kind == b"R"
    attrs = dict(p.split("=", 1) for p in data[4:].decode().split(","))
    return attrs["s"]


def test_unknown_user_salt_is_stable_and_salts_differ_per_installation(tmp_path: Path) -> None:
    ports = []
    with running_node(tmp_path) as a:
        kv = local_kv()  # another installation, the same password
        plane = ControlPlane(TxnClient(kv), kv, host="127.0.0.1", pg_port=0, key=KEY)
        plane.bootstrap("pw-for-tests")
        _, cert, key = ensure_tls_files(str(tmp_path / "b-tls"))
        context = server_context(cert, key)
        b = PgServer(RegistryAuthenticator(plane), PgServerConfig(port=0), context)
        with serving(b):
            ports = [a.server.port, b.port]
            # two attempts at a user that does not exist look like two at one that does
            assert _server_salt(ports[0], "nosuch.admin") == _server_salt(ports[0], "nosuch.admin")
            assert _server_salt(ports[0], "local.admin") == _server_salt(ports[0], "local.admin")
            assert _server_salt(ports[0], "nosuch.admin") != _server_salt(ports[0], "x.admin")
            # neither local.admin's salt nor a made-up user's is the same elsewhere
            assert _server_salt(ports[0], "local.admin") != _server_salt(ports[1], "local.admin")
            assert _server_salt(ports[0], "nosuch.admin") != _server_salt(ports[1], "nosuch.admin")


def test_reset_password_revokes_connect_tokens_and_ends_open_sessions(tmp_path: Path) -> None:
    with running_node(tmp_path) as node:
        plane, port = node.plane, node.server.port
        account = plane.registry.account(plane.registry.databases()[0].account_id)
        made = plane.describe(plane.create(account, "app"))
        user, password = made["user"], _password(made["connection_string"])
        token = plane.connect_token(account, "app")["token"]
        # status polled: one connect token (a window's), not a new one per call
        status_url = plane.status(account, "app")["connection_string"]
        assert plane.status(account, "app")["connection_string"] == status_url
        status_token = _password(status_url)
        open_session = psycopg.connect(_dsn(port, user, password), autocommit=True)
        by_token = psycopg.connect(_dsn(port, user, token), autocommit=True)
        other = node.connect()  # another tenant's session goes on
        try:
            new = _password(
                plane.describe(plane.reset_password(account, "app"))["connection_string"]
            )
            assert new and new != password
            for conn in (open_session, by_token):
                with pytest.raises(psycopg.OperationalError) as info:
                    conn.execute("SELECT 1")
                assert info.value.sqlstate == "57P01"
            assert other.execute("SELECT 1").fetchone() == (1,)
            assert _password(plane.status(account, "app")["connection_string"]) != status_token
            for old in (token, password, status_token):
                with pytest.raises(psycopg.OperationalError, match="password authentication"):
                    psycopg.connect(_dsn(port, user, old))
            with psycopg.connect(_dsn(port, user, new)) as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
            fresh = plane.connect_token(account, "app")["token"]
            with psycopg.connect(_dsn(port, user, fresh)) as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
        finally:
            for c in (open_session, by_token, other):
                c.close()


def _login_keys(plane: ControlPlane) -> list[bytes]:
    txn = plane.client.begin()
    lo = SYSTEM + b"login/"
    try:
        return [k for k, _ in txn.iter_scan(lo, SYSTEM + b"login0")]
    finally:
        txn.rollback()


def test_expired_token_records_are_purged_and_a_login_skips_them() -> None:
    kv = local_kv()
    plane = ControlPlane(TxnClient(kv), kv, host="127.0.0.1", pg_port=0, key=KEY)
    account, _ = plane.bootstrap("pw")
    expired = json.dumps({"stored_key": "00" * 32, "server_key": "00" * 32,
                          "expires_at": int(time.time()) - 60}).encode()  # fmt: skip
    txn = plane.client.begin()
    for i in range(2000):  # as 2,000 tokens issued a while ago have left them
        txn.put(SYSTEM + f"login/local/{int(time.time()) - 60:010d}/{i:016x}".encode(), expired)
    txn.commit()
    plane.connect_token(account, "default")
    role = RegistryAuthenticator(plane).role("local.admin")
    assert role is not None and len(role.verifiers) == 2  # the password's and the live token's
    plane.reconcile()
    assert len(_login_keys(plane)) == 1


def test_an_older_stores_plaintext_passwords_become_verifiers_at_start() -> None:
    kv = local_kv()
    plane = ControlPlane(TxnClient(kv), kv, host="127.0.0.1", pg_port=0, key=KEY)
    account, _ = plane.bootstrap("pw")
    rec = plane.create(account, "app")
    legacy = {k: v for k, v in rec.stored().items() if k != "scram"}
    legacy["admin_password"] = "legacy-secret"  # as an older version wrote it
    txn = plane.client.begin()
    txn.put(SYSTEM + f"db/{account.id}/app".encode(), json.dumps(legacy).encode())
    txn.commit()
    assert b"legacy-secret" in _system_bytes(plane)
    plane.bootstrap("pw")  # the next start
    assert b"legacy-secret" not in _system_bytes(plane)
    role = RegistryAuthenticator(plane).role(rec.user)
    assert role is not None
    kept = make_verifier("legacy-secret", role.salt, role.iterations)
    assert role.verifiers[0].stored_key == kept.stored_key


def test_a_reset_made_elsewhere_ends_the_sessions_here(tmp_path: Path) -> None:
    """Another node resets the password (a registry write only): within a poll, sessions
    logged in here with the old credentials end with 57P01; the others go on."""
    with running_node(tmp_path) as node:
        plane, port = node.plane, node.server.port
        account = plane.registry.account(plane.registry.databases()[0].account_id)
        made = plane.describe(plane.create(account, "app"))
        user, password = made["user"], _password(made["connection_string"])
        conn = psycopg.connect(_dsn(port, user, password), autocommit=True)
        other = node.connect()
        try:
            plane.registry.reset_password(plane.registry.database(account.id, "app"))
            readable, _, _ = select.select([conn.fileno()], [], [], 5)  # the pushed FATAL
            assert readable, "the session was not ended within 5 s"
            with pytest.raises(psycopg.OperationalError) as info:
                conn.execute("SELECT 1")
            assert info.value.sqlstate == "57P01"
            assert other.execute("SELECT 1").fetchone() == (1,)
        finally:
            conn.close()
            other.close()


def test_live_connect_tokens_per_database_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A login checks every live token of its database (SCRAM never says which one the client
    holds): their number is bounded, so is a login's cost. Past the cap: 429, until some
    expire or a password reset revokes them."""
    monkeypatch.setattr(registry, "MAX_LIVE_TOKENS", 3)
    kv = local_kv()
    plane = ControlPlane(TxnClient(kv), kv, host="127.0.0.1", pg_port=0, key=KEY)
    account, _ = plane.bootstrap("pw")
    for _ in range(3):
        plane.connect_token(account, "default")
    with pytest.raises(TooManyRequests, match="at most 3 live connect tokens"):
        plane.connect_token(account, "default")
    plane.reset_password(account, "default")  # revokes them: room again
    plane.connect_token(account, "default")
