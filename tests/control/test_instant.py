"""Idempotent creation (the SDK's ``instantDatabase``: ``if_not_exists``, ``db9 create
--if-not-exists``) and starting as an anonymous account from the CLI (``db9 login
--anonymous``, then ``db9 claim``). The API in-process over an in-memory store; the CLI's
requests go to it."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient

from control import cloud_cli
from control.api import build_app
from control.cli import main
from control.plane import ControlPlane
from kv.client import TxnClient
from tests.control.test_api import KEY, call
from tests.kv.conftest import local_kv

API = "http://db9-api.test"


@pytest.fixture
def api() -> Iterator[tuple[TestClient, ControlPlane, str]]:
    """The API over an in-memory store, and the operator's token."""
    kv = local_kv()
    plane = ControlPlane(TxnClient(kv), kv, host="127.0.0.1", pg_port=5433, key=KEY)
    token = plane.bootstrap("admin-pw")[1]
    assert token is not None
    with TestClient(build_app(plane)) as client:
        yield client, plane, token


def test_if_not_exists_answers_201_then_200_with_the_existing_database(api: Any) -> None:
    client, _, token = api
    body = {"name": "ci-7", "if_not_exists": True}
    made = call(client, token, "POST", "/v1/databases", body, 201)
    again = call(client, token, "POST", "/v1/databases", body, 200)
    assert again["id"] == made["id"] and again["tenant_id"] == made["tenant_id"]
    assert set(again) == set(made)
    status = call(client, token, "GET", "/v1/databases/ci-7")
    assert {k: v for k, v in again.items() if k != "connection_string"} == {
        k: v for k, v in status.items() if k != "connection_string"
    }
    # The password is shown once, at creation; the existing database's string has a
    # connect token (the password itself is not kept).
    password = made["connection_string"].split(":")[2].split("@")[0]
    assert password not in again["connection_string"]
    assert again["connection_string"] == status["connection_string"]
    names = [d["name"] for d in call(client, token, "GET", "/v1/databases")]
    assert names.count("ci-7") == 1
    # Without the flag a taken name is still 409.
    assert call(client, token, "POST", "/v1/databases", {"name": "ci-7"}, 409)["code"] == (
        "Conflict"
    )


def test_parallel_if_not_exists_creates_of_one_name_all_succeed_one_creating(
    api: Any,
) -> None:
    client, plane, token = api
    n = 6
    start = threading.Barrier(n)
    statuses: list[int] = []
    ids: set[str] = set()

    def create() -> None:
        start.wait()
        r = client.post("/v1/databases", json={"name": "race", "if_not_exists": True},
                        headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        statuses.append(r.status_code)
        ids.add(r.json().get("id", r.text))

    threads = [threading.Thread(target=create) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * (n - 1) + [201]
    assert len(ids) == 1
    assert [d.name for d in plane.registry.databases()].count("race") == 1


def test_if_not_exists_of_a_database_being_deleted_or_branched_is_409_naming_its_state(
    api: Any,
) -> None:
    client, plane, token = api
    call(client, token, "POST", "/v1/databases", {"name": "gone"}, 201)
    call(client, token, "DELETE", "/v1/databases/gone", None, 202)
    err = call(client, token, "POST", "/v1/databases", {"name": "gone", "if_not_exists": True},
               status=409)  # fmt: skip
    assert err["code"] == "Conflict" and "DELETING" in err["error"]
    call(client, token, "POST", "/v1/databases/default/branches", {"name": "b1"}, 202)
    err = call(client, token, "POST", "/v1/databases", {"name": "b1", "if_not_exists": True},
               status=409)  # fmt: skip
    assert "CREATING" in err["error"]
    plane.reconcile()  # the branch is ACTIVE, the deleted database gone
    assert call(client, token, "POST", "/v1/databases", {"name": "b1", "if_not_exists": True},
                status=200)["parent"] == "default"  # fmt: skip
    call(client, token, "POST", "/v1/databases", {"name": "gone", "if_not_exists": True}, 201)


def test_if_not_exists_of_an_existing_name_is_200_for_an_anonymous_account_at_its_cap(
    api: Any,
) -> None:
    client, _, _ = api
    anon = client.post("/v1/accounts/anonymous").json()["token"]
    for i in range(5):
        call(client, anon, "POST", "/v1/databases", {"name": f"d{i}"}, 201)
    call(client, anon, "POST", "/v1/databases", {"name": "d0", "if_not_exists": True}, 200)
    err = call(client, anon, "POST", "/v1/databases", {"name": "d5", "if_not_exists": True},
               status=403)  # fmt: skip
    assert "5 databases" in err["error"]


# -- the CLI -------------------------------------------------------------------------------


@pytest.fixture
def cli(
    api: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Any, ControlPlane, str]]:
    """A ``db9`` runner whose requests go to the in-process API, with a credentials file and
    a data directory of its own and no token in its environment unless given."""
    client, plane, token = api

    def request(method: str, url: str, **kw: Any) -> Any:
        return client.request(method, url.removeprefix(API), json=kw.get("json"),
                              headers=kw.get("headers"))  # fmt: skip

    monkeypatch.setattr(cloud_cli.httpx, "request", request)
    base = {"DB9_API_URL": API, "DB9_TOKEN": None, "DB9_API_KEY": None,
            "DB9_CREDENTIALS": str(tmp_path / "credentials.json"),
            "DB9_DATA_DIR": str(tmp_path / "no-server")}  # fmt: skip

    def run(*args: str, **env: str) -> Result:
        return CliRunner().invoke(main, list(args), env={**base, **env})

    yield run, plane, token


def test_cli_create_if_not_exists_twice_exits_0_with_the_same_database(cli: Any) -> None:
    run, _, token = cli
    first = run("create", "--name", "ci-9", "--if-not-exists", "--json", DB9_TOKEN=token)
    assert first.exit_code == 0, first.output
    second = run("create", "--name", "ci-9", "--if-not-exists", "--json", DB9_TOKEN=token)
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout)["id"] == json.loads(first.stdout)["id"]
    text = run("create", "--name", "ci-9", "--if-not-exists", DB9_TOKEN=token)
    assert text.exit_code == 0 and text.stdout.startswith("ci-9 exists (id ")
    plain = run("create", "--name", "ci-9", DB9_TOKEN=token)
    assert plain.exit_code == 1
    assert plain.stderr == 'db9: database "ci-9" already exists (HTTP 409)\n'


def test_cli_anonymous_login_is_capped_at_five_databases_until_the_operator_claims_it(
    cli: Any, tmp_path: Path
) -> None:
    run, plane, operator = cli
    login = run("login", "--anonymous")
    assert login.exit_code == 0, login.output
    found = re.search(r"anonymous account ([0-9a-f]{12})", login.stdout)
    assert found, login.stdout
    account_id = found.group(1)
    assert plane.registry.account(account_id).anonymous
    assert "5 databases" in login.stdout and f"db9 claim {account_id}" in login.stdout
    stored = json.loads((tmp_path / "credentials.json").read_text())
    assert stored["api_url"] == API and stored["account_id"] == account_id
    assert (tmp_path / "credentials.json").stat().st_mode & 0o077 == 0
    for i in range(5):
        made = run("create", "--name", f"d{i}")
        assert made.exit_code == 0, made.output
    assert {d.name for d in plane.registry.databases() if d.account_id == account_id} == {
        f"d{i}" for i in range(5)
    }
    refused = run("create", "--name", "d5")
    assert refused.exit_code == 1 and refused.stdout == ""
    assert len(refused.stderr.splitlines()) == 1
    assert "limited to 5 databases" in refused.stderr and account_id in refused.stderr
    claimed = run("claim", account_id, DB9_TOKEN=operator)
    assert claimed.exit_code == 0, claimed.output
    assert run("create", "--name", "d5").exit_code == 0  # the same stored token, no cap
    assert len([d for d in plane.registry.databases() if d.account_id == account_id]) == 6


def test_cli_login_with_a_token_stores_it_after_checking_it(cli: Any) -> None:
    run, _, operator = cli
    bad = run("login", "--token", "not-a-token")
    assert bad.exit_code == 1 and "HTTP 401" in bad.stderr
    good = run("login", "--token", operator)
    assert good.exit_code == 0, good.output
    listed = run("list", "--json")
    assert listed.exit_code == 0 and json.loads(listed.stdout)[0]["name"] == "default"
    # DB9_TOKEN still wins over the stored token.
    assert run("list", DB9_TOKEN="not-a-token").exit_code == 1


def test_cli_branch_wait_waits_for_the_servers_verdict_not_a_clock_of_its_own(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``db9 branch create --wait`` ends when the branch leaves CREATING: the server fails a
    creation past its own --branch-timeout, which may be longer than the default 300 s (the
    CLI gave up after 300 s of its own, saying "timed out" of a branch still being made)."""
    run, plane, token = cli
    assert run("create", "--name", "base", DB9_TOKEN=token).exit_code == 0
    clock = [0.0]
    sleeps = [0]

    def sleep(_s: float) -> None:
        clock[0] += 200.0  # each poll is 200 s later: past 300 s by the second
        sleeps[0] += 1
        if sleeps[0] == 4:  # the server's reconciler finishes it then
            plane.reconcile()

    monkeypatch.setattr(cloud_cli, "_pause", sleep)
    monkeypatch.setattr(cloud_cli, "_clock", lambda: clock[0])
    result = run("branch", "create", "base", "--name", "b", "--wait", DB9_TOKEN=token)
    assert result.exit_code == 0, result.output
    assert "ACTIVE" in result.output and sleeps[0] == 4
