"""The REST API and control plane in-process (FastAPI TestClient over an in-memory store):
databases, branch lifecycle and limits, tokens, accounts, tenant isolation."""

from __future__ import annotations

import calendar
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from cluster.convert import OutcomeUnknown, Unavailable
from control.api import build_app
from control.config import BranchFault
from control.plane import ControlPlane, RegistryAuthenticator
from kv.client import TxnClient
from sql.layout import database_prefix
from tests.kv.conftest import local_kv

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def setup() -> Iterator[tuple[TestClient, ControlPlane, str]]:
    kv = local_kv()
    plane = ControlPlane(TxnClient(kv), kv, host="127.0.0.1", pg_port=5433, key=KEY)
    _, token = plane.bootstrap("admin-pw")
    assert token is not None
    with TestClient(build_app(plane)) as client:
        yield client, plane, token


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def call(
    client: TestClient, token: str, method: str, path: str, body: Any = None, status: int = 200
) -> Any:
    r = client.request(method, path, json=body, headers=auth(token))
    assert r.status_code == status, r.text
    return r.json()


def test_create_list_status_and_delete(setup: Any) -> None:
    client, plane, token = setup
    rec = call(client, token, "POST", "/v1/databases", {"name": "ci-1"}, 201)
    assert rec["state"] == "ACTIVE" and rec["connection_string"].startswith("postgresql://")
    assert (
        rec["user"] == f"{rec['tenant_id']}.admin"
        and ":5433/postgres?sslmode=require" in (rec["connection_string"])
    )
    names = [d["name"] for d in call(client, token, "GET", "/v1/databases")]
    assert names == ["default", "ci-1"]
    err = call(client, token, "POST", "/v1/databases", {"name": "ci-1"}, 409)
    assert err["code"] == "Conflict" and "already exists" in err["error"]
    assert call(client, token, "POST", "/v1/databases", {"name": "Bad Name!"}, 400)["error"]
    assert call(client, token, "POST", "/v1/databases", {}, 400)["code"] == "BadRequest"
    assert call(client, token, "GET", "/v1/databases/ci-1")["state"] == "ACTIVE"
    assert call(client, token, "DELETE", "/v1/databases/ci-1", None, 202)["state"] == "DELETING"
    plane.reconcile()
    assert call(client, token, "GET", "/v1/databases/ci-1", None, 404)["code"] == "NotFound"


def test_sql_and_branches_copy_on_write(setup: Any) -> None:
    client, plane, token = setup
    call(client, token, "POST", "/v1/databases", {"name": "staging"}, 201)
    call(
        client,
        token,
        "POST",
        "/v1/databases/staging/sql",
        {
            "query": "CREATE TABLE t (id int PRIMARY KEY, v text);"
            "INSERT INTO t SELECT g, 'v' FROM generate_series(1, 50) g"
        },
    )
    b = call(client, token, "POST", "/v1/databases/staging/branches", {"name": "pr-1"}, 202)
    assert b["state"] == "CREATING" and b["parent"] == "staging"
    plane.reconcile()
    assert call(client, token, "GET", "/v1/databases/pr-1")["state"] == "ACTIVE"
    q = "SELECT count(*) FROM t"
    out = call(client, token, "POST", "/v1/databases/pr-1/sql", {"query": q})
    assert out["results"][0]["rows"] == [[50]]
    call(client, token, "POST", "/v1/databases/pr-1/sql", {"query": "DELETE FROM t WHERE id > 10"})
    for name, count in (("pr-1", 10), ("staging", 50)):
        out = call(client, token, "POST", f"/v1/databases/{name}/sql", {"query": q})
        assert out["results"][0]["rows"] == [[count]]
    err = call(
        client,
        token,
        "POST",
        "/v1/databases/pr-1/sql",
        {"query": "INSERT INTO t VALUES (1, 'dup')"},
        400,
    )
    assert err["sqlstate"] == "23505"
    kids = call(client, token, "GET", "/v1/databases/staging/branches")
    assert [k["name"] for k in kids] == ["pr-1"]
    assert call(client, token, "DELETE", "/v1/databases/staging", None, 409)["code"] == "Conflict"
    call(client, token, "DELETE", "/v1/databases/pr-1", None, 202)
    plane.reconcile()
    call(client, token, "DELETE", "/v1/databases/staging", None, 202)


def test_at_most_two_branch_creations_in_flight_and_names_are_unique(setup: Any) -> None:
    client, plane, token = setup
    call(client, token, "POST", "/v1/databases", {"name": "main"}, 201)
    for n in ("b1", "b2"):
        call(client, token, "POST", "/v1/databases/main/branches", {"name": n}, 202)
    err = call(client, token, "POST", "/v1/databases/main/branches", {"name": "b3"}, 429)
    assert err["code"] == "TooManyRequests"
    plane.reconcile()
    call(client, token, "POST", "/v1/databases/main/branches", {"name": "b3"}, 202)
    assert call(client, token, "POST", "/v1/databases/main/branches", {"name": "b1"}, 409)


def test_a_creation_past_the_servers_branch_timeout_fails_naming_it(setup: Any) -> None:
    client, plane, token = setup
    call(client, token, "POST", "/v1/databases", {"name": "main"}, 201)
    call(client, token, "POST", "/v1/databases/main/branches", {"name": "slow"}, 202)
    plane.branch_fault = BranchFault(delay_s=600)  # the branch step takes 10 minutes
    plane.branch_timeout_s = 0.001
    plane.reconcile()
    rec = call(client, token, "GET", "/v1/databases/slow")
    assert rec["state"] == "CREATE_FAILED"
    assert rec["state_reason"] == (
        "branch creation timed out after 0.001s (the server's --branch-timeout)"
    )


def test_injected_branch_faults_hold_a_creation_then_fail_it_with_their_reason(
    setup: Any,
) -> None:
    client, plane, token = setup
    call(client, token, "POST", "/v1/databases", {"name": "main"}, 201)
    call(client, token, "POST", "/v1/databases/main/branches", {"name": "b1"}, 202)
    plane.branch_fault = BranchFault.parse("delay:600")
    plane.reconcile()
    assert call(client, token, "GET", "/v1/databases/b1")["state"] == "CREATING"
    plane.branch_fault = BranchFault.parse("fail:disk quota exceeded")
    plane.reconcile()
    rec = call(client, token, "GET", "/v1/databases/b1")
    assert (rec["state"], rec["state_reason"]) == ("CREATE_FAILED", "disk quota exceeded")
    call(client, token, "POST", "/v1/databases/main/branches", {"name": "b2"}, 202)
    plane.branch_fault = BranchFault.parse("fail")
    plane.reconcile()
    rec = call(client, token, "GET", "/v1/databases/b2")
    assert rec["state"] == "CREATE_FAILED" and "--fault-branch" in rec["state_reason"]
    plane.branch_fault = None
    call(client, token, "POST", "/v1/databases/main/branches", {"name": "b3"}, 202)
    plane.reconcile()
    assert call(client, token, "GET", "/v1/databases/b3")["state"] == "ACTIVE"


def test_a_transient_store_error_leaves_the_branch_creating_for_the_next_pass(
    setup: Any, monkeypatch: Any
) -> None:
    """A reconciler that lost its leadership (or has no lease yet) gets Unavailable or
    OutcomeUnknown: not a reason to fail the branch; the next pass, or the new leader's,
    finishes it (the timeout still bounds it)."""
    client, plane, token = setup
    call(client, token, "POST", "/v1/databases", {"name": "main"}, 201)
    real = plane.kv.set_branch
    for error in (Unavailable("no Raft leader is reachable"), OutcomeUnknown("leader changed")):
        name = type(error).__name__.lower()
        call(client, token, "POST", "/v1/databases/main/branches", {"name": name}, 202)

        def flaky(child: bytes, parent: bytes, fork_ts: int, error: Exception = error) -> None:
            if isinstance(error, OutcomeUnknown):
                real(child, parent, fork_ts)  # applied, but the answer was lost
            raise error

        monkeypatch.setattr(plane.kv, "set_branch", flaky)
        plane.reconcile()
        assert call(client, token, "GET", f"/v1/databases/{name}")["state"] == "CREATING"
        monkeypatch.setattr(plane.kv, "set_branch", real)
        plane.reconcile()
        assert call(client, token, "GET", f"/v1/databases/{name}")["state"] == "ACTIVE"


def test_the_reconciler_thread_survives_an_unexpected_error(setup: Any, monkeypatch: Any) -> None:
    """Were its thread to end, every branch would stay CREATING with no timeout applied."""
    client, plane, token = setup
    call(client, token, "POST", "/v1/databases", {"name": "main"}, 201)
    real, calls = plane.registry.databases, []

    def broken_once(*args: Any) -> Any:
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("a bug")
        return real(*args)

    monkeypatch.setattr(plane.registry, "databases", broken_once)
    plane.start()
    try:
        call(client, token, "POST", "/v1/databases/main/branches", {"name": "b"}, 202)
        deadline = time.monotonic() + 10
        while call(client, token, "GET", "/v1/databases/b")["state"] == "CREATING":
            assert time.monotonic() < deadline, "the reconciler stopped"
            time.sleep(0.05)
    finally:
        plane.stop()
    assert call(client, token, "GET", "/v1/databases/b")["state"] == "ACTIVE"


def test_a_creating_record_whose_link_was_made_is_finished_not_failed(setup: Any) -> None:
    """A reconciler killed between setting the link and marking the record ACTIVE left
    both: the next pass finishes it."""
    client, plane, token = setup
    call(client, token, "POST", "/v1/databases", {"name": "main"}, 201)
    call(client, token, "POST", "/v1/databases/main/branches", {"name": "half"}, 202)
    rec = next(d for d in plane.registry.databases() if d.name == "half")
    assert rec.parent_id is not None and rec.fork_ts is not None
    plane.kv.set_branch(rec.prefix, database_prefix(rec.parent_id), rec.fork_ts)
    plane.reconcile()
    assert call(client, token, "GET", "/v1/databases/half")["state"] == "ACTIVE"


def test_tokens_create_list_revoke_and_unauthorized(setup: Any) -> None:
    client, _, token = setup
    assert client.get("/v1/databases").status_code == 401
    assert client.get("/v1/databases", headers=auth("db9_bogus")).status_code == 401
    new = call(client, token, "POST", "/v1/tokens", {"name": "ci", "expires_in_days": 90}, 201)
    assert new["token"].startswith("db9_") and new["expires_at"]
    listed = call(client, token, "GET", "/v1/tokens")
    assert {t["name"] for t in listed} == {"bootstrap", "ci"} and "token" not in listed[0]
    assert client.get("/v1/databases", headers={"X-API-Key": new["token"]}).status_code == 200
    call(client, token, "DELETE", f"/v1/tokens/{new['id']}")
    r = client.get("/v1/databases", headers=auth(new["token"]))
    assert r.status_code == 401 and "revoked" in r.json()["error"]
    assert call(client, token, "POST", "/v1/tokens", {"name": "x", "expires_in_days": -1}, 400)


def test_anonymous_accounts_are_limited_to_five_databases_until_claimed(setup: Any) -> None:
    client, _, token = setup
    signup = client.post("/v1/accounts/anonymous").json()
    anon = signup["token"]
    for i in range(5):
        call(client, anon, "POST", "/v1/databases", {"name": f"d{i}"}, 201)
    err = call(client, anon, "POST", "/v1/databases", {"name": "d5"}, 403)
    assert "5 databases" in err["error"]
    call(client, token, "POST", "/v1/claim", {"account_id": signup["account_id"]})
    call(client, anon, "POST", "/v1/databases", {"name": "d5"}, 201)


def test_accounts_and_tenants_are_isolated(setup: Any) -> None:
    client, plane, token = setup
    mine = call(client, token, "POST", "/v1/databases", {"name": "secret"}, 201)
    other = client.post("/v1/accounts/anonymous").json()["token"]
    assert call(client, other, "GET", "/v1/databases") == []
    for method, path, body in (
        ("GET", "/v1/databases/secret", None),
        ("POST", "/v1/databases/secret/sql", {"query": "SELECT 1"}),
        ("DELETE", "/v1/databases/secret", None),
        ("POST", "/v1/databases/secret/branches", {"name": "steal"}),
    ):
        assert call(client, other, method, path, body, 404)["code"] == "NotFound"
    # The same name in another account is another database.
    theirs = call(client, other, "POST", "/v1/databases", {"name": "secret"}, 201)
    assert theirs["tenant_id"] != mine["tenant_id"]
    authn = RegistryAuthenticator(plane)
    role = authn.role(mine["user"])
    assert (
        role is not None
        and role.database.db
        == plane.database_for(plane.registry.database(mine_account(plane, mine), "secret")).db
    )
    for crafted in (
        "",
        ".admin",
        mine["tenant_id"],
        f"{mine['tenant_id']}.reader",
        f"{mine['tenant_id']}.admin.x",
        f"{mine['tenant_id']}x.admin",
        "local.admin\x00",
        "../local.admin",
    ):
        assert authn.role(crafted) is None, crafted


def mine_account(plane: ControlPlane, rec: dict[str, Any]) -> str:
    found = plane.registry.by_tenant(rec["tenant_id"])
    assert found is not None
    return found.account_id


def test_connect_token_lifetime_and_registration(setup: Any) -> None:
    client, plane, token = setup
    rec = call(client, token, "POST", "/v1/databases", {"name": "app"}, 201)
    tok = call(client, token, "POST", "/v1/databases/app/connect-token", {})
    assert tok["user"] == rec["user"] and tok["port"] == 5433 and tok["expires_at"].endswith("Z")
    role = RegistryAuthenticator(plane).role(rec["user"])
    assert role is not None and len(role.verifiers) == 2  # password + the token
    for ttl in (4, 16):
        call(client, token, "POST", "/v1/databases/app/connect-token", {"ttl_minutes": ttl}, 400)


def test_connect_token_lifetime_defaults_to_the_servers_setting(setup: Any) -> None:
    client, plane, token = setup
    call(client, token, "POST", "/v1/databases", {"name": "app"}, 201)
    plane.token_ttl_min = 5

    def lifetime_min(body: Any) -> float:
        """The token's lifetime: its expiry less the time of the request (in whole seconds)."""
        before = time.time()
        tok = call(client, token, "POST", "/v1/databases/app/connect-token", body)
        after = time.time()
        expires = calendar.timegm(time.strptime(tok["expires_at"], "%Y-%m-%dT%H:%M:%SZ"))
        for ttl in (5, 12):
            if int(before) <= expires - ttl * 60 <= after:
                return ttl
        raise AssertionError(f"expires {expires}, requested in [{before}, {after}]")

    for body in (None, {}):
        assert lifetime_min(body) == 5
    assert lifetime_min({"ttl_minutes": 12}) == 12


def test_inspect_reports_rates_latency_samples_slow_queries_and_schema(setup: Any) -> None:
    client, _, token = setup
    call(client, token, "POST", "/v1/databases", {"name": "obs"}, 201)
    call(
        client,
        token,
        "POST",
        "/v1/databases/obs/sql",
        {
            "query": "CREATE TABLE t (id int PRIMARY KEY); CREATE INDEX t_idx ON t (id);"
            "INSERT INTO t VALUES (1), (2)"
        },
    )
    call(client, token, "POST", "/v1/databases/obs/sql", {"query": "SELECT * FROM nope"}, 400)
    summary = call(client, token, "GET", "/v1/databases/obs/inspect")
    # three statements in one string are one transaction (PostgreSQL's implicit block); the
    # failed SELECT committed nothing
    assert summary["queries"] == 4 and summary["transactions"] == 1
    assert summary["qps"] > 0 and summary["avg_latency_ms"] > 0
    assert summary["p99_latency_ms"] >= summary["avg_latency_ms"] * 0.5
    samples = call(client, token, "GET", "/v1/databases/obs/inspect?what=queries")["queries"]
    assert samples[0]["query"] == "SELECT * FROM nope" and samples[0]["error"] == "42P01"
    tables = call(client, token, "GET", "/v1/databases/obs/inspect?what=tables")["tables"]
    assert tables == [
        {"table_schema": "public", "table_name": "t", "table_type": "BASE TABLE", "rows": 2}
    ]
    idx = call(client, token, "GET", "/v1/databases/obs/inspect?what=indexes")["indexes"]
    assert {i["indexname"] for i in idx} == {"t_pkey", "t_idx"}
    assert (
        "slow-queries"
        and call(client, token, "GET", "/v1/databases/obs/inspect?what=slow-queries")["queries"]
        == []
    )
    assert call(client, token, "GET", "/v1/databases/obs/inspect?what=bogus", None, 400)
    metrics = client.get("/metrics", headers=auth(token)).text
    assert 'db9_queries_total{database="obs",tenant="' in metrics and '"} 4.0' in metrics
    assert "db9_query_seconds_bucket" in metrics


def test_dump_restores_into_postgresql_shape_and_enforces_the_row_limit(
    setup: Any, monkeypatch: Any
) -> None:
    client, _, token = setup
    call(client, token, "POST", "/v1/databases", {"name": "src"}, 201)
    call(
        client,
        token,
        "POST",
        "/v1/databases/src/sql",
        {
            "query": "CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL UNIQUE, "
            "price numeric(8,2) DEFAULT 0, tags text[]);"
            "CREATE INDEX items_price ON items (price);"
            "INSERT INTO items (name, price, tags) VALUES ('a''b', 1.50, '{x,y}'), "
            "('c', NULL, NULL)"
        },
    )
    r = client.get("/v1/databases/src/dump", headers=auth(token))
    assert r.status_code == 200, r.text
    text = r.text
    assert "CREATE TABLE public.items" in text and "CREATE INDEX" in text
    # The dump replays into a fresh database and gives the same rows.
    call(client, token, "POST", "/v1/databases", {"name": "copy"}, 201)
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    call(client, token, "POST", "/v1/databases/copy/sql", {"query": body})
    q = {"query": "SELECT id, name, price, tags FROM items ORDER BY id"}
    assert call(client, token, "POST", "/v1/databases/copy/sql", q) == call(
        client, token, "POST", "/v1/databases/src/sql", q
    )
    from control import dump as dump_module

    monkeypatch.setattr(dump_module, "MAX_ROWS", 1)
    r = client.get("/v1/databases/src/dump", headers=auth(token))
    assert r.status_code == 413 and "COPY" in r.json()["error"]


def test_branch_diff_reset_and_fork_at_a_past_timestamp(setup: Any) -> None:
    client, plane, token = setup
    call(client, token, "POST", "/v1/databases", {"name": "p"}, 201)
    sql = "/v1/databases/{}/sql"
    call(
        client,
        token,
        "POST",
        sql.format("p"),
        {"query": "CREATE TABLE a (id int PRIMARY KEY);INSERT INTO a VALUES (1), (2)"},
    )
    before = plane.kv.get_ts()
    call(client, token, "POST", sql.format("p"), {"query": "INSERT INTO a VALUES (3)"})
    call(client, token, "POST", "/v1/databases/p/branches", {"name": "old", "at": before}, 202)
    call(client, token, "POST", "/v1/databases/p/branches", {"name": "now"}, 202)
    plane.reconcile()
    count = {"query": "SELECT count(*) FROM a"}
    assert call(client, token, "POST", sql.format("old"), count)["results"][0]["rows"] == [[2]]
    call(
        client,
        token,
        "POST",
        sql.format("now"),
        {"query": "CREATE TABLE b (x int);DELETE FROM a WHERE id = 1"},
    )
    diff = call(client, token, "GET", "/v1/databases/now/diff")
    assert diff["added_tables"] == ["public.b"] and diff["removed_tables"] == []
    assert diff["changed_tables"] == [{"table": "public.a", "parent_rows": 3, "branch_rows": 2}]
    call(client, token, "POST", sql.format("p"), {"query": "INSERT INTO a VALUES (4)"})
    call(client, token, "POST", "/v1/databases/now/reset")
    assert call(client, token, "GET", "/v1/databases/now/diff")["changed_tables"] == []
    assert call(client, token, "POST", sql.format("now"), count)["results"][0]["rows"] == [[4]]
    assert call(client, token, "POST", "/v1/databases/p/reset", None, 400)["error"]
    too_old = {"name": "ancient", "at": 1}
    call(client, token, "POST", "/v1/databases/p/branches", too_old, 400)
