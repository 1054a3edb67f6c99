"""Secrets and credentials: the registry keeps SCRAM verifiers, never a password; an
unknown user's salt is as stable as a real one's and salts differ per installation; a
password reset revokes the tenant's connect tokens and ends its sessions; a login reads
only live token records and expired ones are purged. In-process node over an in-memory store."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest

from control.plane import ControlPlane, RegistryAuthenticator
from control.registry import SYSTEM, Registry
from kv.client import TxnClient
from pgwire.auth import ITERATIONS, ScramExchange, make_verifier
from tests.control.test_sql_databases import KEY, running_node
from tests.kv.conftest import local_kv


def _dsn(port: int, user: str, password: str) -> str:
    return (f"host=127.0.0.1 port={port} dbname=postgres user={user} password={password} "
            "sslmode=require")  # fmt: skip


def _system_bytes(plane: ControlPlane) -> bytes:
    txn = plane.client.begin()
    try:
        return b"".join(k + v for k, v in txn.iter_scan(SYSTEM, SYSTEM + b"\xff"))
    finally:
        txn.rollback()


def test_registry_keeps_verifiers_and_shows_a_password_only_when_made_or_reset(
    tmp_path: Path,
) -> None:
    with running_node(tmp_path) as node:
        plane, port = node.plane, node.server.port
        account = plane.registry.account(plane.registry.databases()[0].account_id)
        rec = plane.create(account, "app")
        assert rec.password and rec.password in plane.describe(rec)["connection_string"]
        stored = _system_bytes(plane)
        assert rec.password.encode() not in stored and b"pw-for-tests" not in stored
        assert b"admin_password" not in stored
        # read back, the record has no password: a listing shows none
        again = plane.registry.database(account.id, "app")
        assert again.password is None
        assert plane.describe(again)["connection_string"].startswith(f"postgresql://{rec.user}@")
        # status gives a working connection string (a fresh connect token as the password)
        url = plane.status(account, "app")["connection_string"].replace(":0/", f":{port}/")
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        with psycopg.connect(_dsn(port, rec.user, rec.password)) as conn:
            assert conn.execute("SELECT current_user").fetchone() == ("admin",)


def _server_salt(auth: RegistryAuthenticator, user: str) -> str:
    exchange = ScramExchange(auth.role(user), auth.fake_salt(user))
    first = exchange.first("n,,n=,r=clientnonce")
    return dict(p.split("=", 1) for p in first.split(","))["s"]


def test_unknown_user_salt_is_stable_and_salts_differ_per_installation() -> None:
    planes = []
    for _ in range(2):
        kv = local_kv()
        plane = ControlPlane(TxnClient(kv), kv, host="127.0.0.1", pg_port=0, key=KEY)
        plane.bootstrap("same-password")
        planes.append(plane)
    a, b = (RegistryAuthenticator(p) for p in planes)
    # two attempts at a user that does not exist look like two at one that does
    assert _server_salt(a, "nosuch.admin") == _server_salt(a, "nosuch.admin")
    assert _server_salt(a, "local.admin") == _server_salt(a, "local.admin")
    assert _server_salt(a, "nosuch.admin") != _server_salt(a, "other.admin")
    # and neither local.admin's salt nor a fake one is the same on another installation
    assert _server_salt(a, "local.admin") != _server_salt(b, "local.admin")
    assert _server_salt(a, "nosuch.admin") != _server_salt(b, "nosuch.admin")


def test_reset_password_revokes_connect_tokens_and_ends_open_sessions(tmp_path: Path) -> None:
    with running_node(tmp_path) as node:
        plane, port = node.plane, node.server.port
        plane.end_logins = node.server.end_logins
        account = plane.registry.account(plane.registry.databases()[0].account_id)
        rec = plane.create(account, "app")
        assert rec.password is not None
        token = plane.connect_token(account, "app")["token"]
        open_session = psycopg.connect(_dsn(port, rec.user, rec.password), autocommit=True)
        by_token = psycopg.connect(_dsn(port, rec.user, token), autocommit=True)
        other = node.connect()  # another tenant's session goes on
        try:
            new = plane.reset_password(account, "app")
            assert new.password is not None and new.password != rec.password
            for conn in (open_session, by_token):
                with pytest.raises(psycopg.OperationalError) as info:
                    conn.execute("SELECT 1")
                assert info.value.sqlstate == "57P01"
            assert other.execute("SELECT 1").fetchone() == (1,)
            for old in (token, rec.password):
                with pytest.raises(psycopg.OperationalError, match="password authentication"):
                    psycopg.connect(_dsn(port, rec.user, old))
            with psycopg.connect(_dsn(port, rec.user, new.password)) as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
            fresh = plane.connect_token(account, "app")["token"]
            with psycopg.connect(_dsn(port, rec.user, fresh)) as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
        finally:
            for c in (open_session, by_token, other):
                c.close()


def test_login_reads_only_live_tokens_and_expired_ones_are_purged() -> None:
    kv = local_kv()
    plane = ControlPlane(TxnClient(kv), kv, host="127.0.0.1", pg_port=0, key=KEY)
    plane.bootstrap("pw")
    registry: Registry = plane.registry
    salt = registry.by_tenant("local").salt  # type: ignore[union-attr]
    now = time.time()
    dead = make_verifier("old", salt, ITERATIONS, now - 60)
    for i in range(2000):
        registry.add_login("local", f"dead{i}", dead)
    live = plane.connect_token(
        registry.account(registry.by_tenant("local").account_id),  # type: ignore[union-attr]
        "default",
    )
    found = registry.credentials("local")
    assert found is not None
    _, tokens = found
    assert len(tokens) == 1 and tokens[0].expires_at is not None
    assert registry.login_count() == 2001
    started = time.perf_counter()
    role = RegistryAuthenticator(plane).role("local.admin")
    assert time.perf_counter() - started < 0.05
    assert role is not None and len(role.verifiers) == 2
    assert registry.purge_logins() == 2000
    assert registry.login_count() == 1
    assert live["token"]
