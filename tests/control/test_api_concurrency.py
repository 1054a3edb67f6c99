"""Parallel control-plane requests (as parallel CI workers send them) get only the documented
answers: 201 or 409 for databases, 202 or 429 for branches, 403 past the anonymous cap, never
a 400 or 500 made of a KV write conflict; the registry retries its own conflicts, and past its
deadline answers 503 with Retry-After. A real uvicorn server in-process, real HTTP, threads."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cluster.convert import OutcomeUnknown, Unavailable
from control.api import build_app
from control.plane import ControlPlane
from control.registry import (
    ANONYMOUS_DATABASE_LIMIT,
    MAX_BRANCHES_IN_FLIGHT,
    Account,
    ControlError,
    Registry,
)
from kv.client import TxnClient
from kv.errors import Db9Error, DiskFull, WriteConflict
from tests.control.test_api import KEY, auth
from tests.control.test_api_runaway import Api, serve, wait_until
from tests.kv.conftest import local_kv

N = 50
ROUNDS = 3


@pytest.fixture
def api() -> Iterator[Api]:
    """The API with its reconciler running, as in a node."""
    for running in serve():
        running.plane.start()
        try:
            yield running
        finally:
            running.plane.stop()


def parallel(calls: list[Callable[[], tuple[int, Any]]]) -> list[tuple[int, Any]]:
    """Run ``calls`` at once (released together by a barrier), their answers in order."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], tuple[int, Any]]) -> tuple[int, Any]:
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def statuses(answers: list[tuple[int, Any]]) -> Counter[int]:
    return Counter(status for status, _ in answers)


def branch_round(
    names: list[str], call: Callable[[str, str, Any], tuple[int, Any]], timeout_s: float
) -> None:
    """Branch database "main" as each of ``names`` at once through ``call(method, path,
    body)``: only 202s and 429s, at least one 202, and every 202'd branch ACTIVE in time."""
    answers = parallel([
        (lambda n=n: call("POST", "/v1/databases/main/branches", {"name": n})) for n in names
    ])  # fmt: skip
    counts = statuses(answers)
    assert set(counts) <= {202, 429} and counts[202] >= 1, answers
    made = [body["name"] for status, body in answers if status == 202]
    wait_until(
        lambda: all(call("GET", f"/v1/databases/{m}", None)[1]["state"] == "ACTIVE" for m in made),
        timeout_s,
    )


def create(api: Api, name: str, token: str | None = None) -> Callable[[], tuple[int, Any]]:
    as_token = Api(api.port, token or api.token, api.slots, api.plane)
    return lambda: as_token.call("POST", "/v1/databases", {"name": name})


def test_parallel_creates_of_distinct_names_are_all_201(api: Api) -> None:
    for r in range(ROUNDS):
        names = [f"ci-{r}-{i}" for i in range(N)]
        answers = parallel([create(api, name) for name in names])
        assert statuses(answers) == {201: N}, [a for a in answers if a[0] != 201][:3]
        ids = {body["id"] for _, body in answers}
        assert len(ids) == N  # each got its own database id
    _, listed = api.call("GET", "/v1/databases")
    assert len(listed) == 1 + ROUNDS * N


def test_parallel_creates_of_one_name_are_one_201_and_the_rest_409(api: Api) -> None:
    for r in range(ROUNDS):
        answers = parallel([create(api, f"same-{r}") for _ in range(N)])
        assert statuses(answers) == {201: 1, 409: N - 1}, [a for a in answers if a[0] >= 500][:3]
        assert all(body["code"] == "Conflict" for status, body in answers if status == 409)


def test_parallel_creates_of_an_anonymous_account_stop_exactly_at_its_cap(api: Api) -> None:
    status, signup = api.call("POST", "/v1/accounts/anonymous")
    assert status == 201
    answers = parallel([create(api, f"anon-{i}", signup["token"]) for i in range(N)])
    assert statuses(answers) == {201: ANONYMOUS_DATABASE_LIMIT, 403: N - ANONYMOUS_DATABASE_LIMIT}


def test_parallel_branch_creations_are_202_or_429_with_at_most_two_in_flight(api: Api) -> None:
    """Whatever the interleaving, no snapshot of the registry shows more than
    MAX_BRANCHES_IN_FLIGHT branches CREATING, and every 202'd branch becomes ACTIVE."""
    assert api.call("POST", "/v1/databases", {"name": "main"})[0] == 201
    account_id = api.plane.registry.authenticate(api.token).id
    seen: list[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            dbs = api.plane.registry.databases(account_id)
            seen.append(sum(d.state == "CREATING" for d in dbs))
            time.sleep(0.005)  # a sample every few ms, leaving the server the CPU

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for r in range(ROUNDS):
            branch_round([f"b{r}-{i}" for i in range(N)], api.call, 10)
    finally:
        done.set()
        watcher.join()
    assert seen and max(seen) <= MAX_BRANCHES_IN_FLIGHT


def test_parallel_deletes_and_password_resets_are_202_404_and_200(api: Api) -> None:
    names = [f"gone-{i}" for i in range(N // 5)]
    assert statuses(parallel([create(api, n) for n in names])) == {201: len(names)}
    answers = parallel([
        (lambda n=n: api.call("DELETE", f"/v1/databases/{n}")) for n in names for _ in range(5)
    ])  # fmt: skip
    assert set(statuses(answers)) <= {202, 404} and statuses(answers)[202] >= len(names), answers

    def all_gone() -> bool:
        return all(api.call("GET", f"/v1/databases/{n}")[0] == 404 for n in names)

    wait_until(all_gone, 10)
    answers = parallel([
        (lambda: api.call("POST", "/v1/databases/default/reset-password")) for _ in range(N)
    ])  # fmt: skip
    assert statuses(answers) == {200: N}
    passwords = {body["connection_string"] for _, body in answers}
    assert len(passwords) == N  # each answer's password is its own


# -- the reconciler against concurrent changes ------------------------------------------------


def _plane() -> tuple[ControlPlane, Account]:
    kv = local_kv()
    plane = ControlPlane(TxnClient(kv), kv, host="127.0.0.1", pg_port=5433, key=KEY)
    account, _ = plane.bootstrap("admin-pw")
    return plane, account


def test_creations_racing_from_five_registries_over_one_store_are_exact() -> None:
    """As on five nodes of a cluster, whose latches do not see each other: their creations
    race in the KV store, the losers run again, and the answers are still exact."""
    plane, account = _plane()
    registries = [plane.registry, *(Registry(plane.client) for _ in range(4))]
    anonymous = plane.registry.create_account("anonymous", anonymous=True)

    def create(i: int, name: str, owner: Account) -> Callable[[], tuple[int, Any]]:
        def run() -> tuple[int, Any]:
            try:
                return 201, registries[i % len(registries)].create_database(owner, name)
            except ControlError as exc:
                return exc.status, exc.message

        return run

    assert statuses(parallel([create(i, f"ci-{i}", account) for i in range(N)])) == {201: N}
    same = parallel([create(i, "same", account) for i in range(N)])
    assert statuses(same) == {201: 1, 409: N - 1}
    capped = parallel([create(i, f"anon-{i}", anonymous) for i in range(N)])
    assert statuses(capped) == {201: ANONYMOUS_DATABASE_LIMIT, 403: N - ANONYMOUS_DATABASE_LIMIT}


def test_the_reconciler_does_not_revive_a_branch_deleted_while_it_was_made() -> None:
    plane, account = _plane()
    stale = plane.branch(account, "default", "pr-1")  # as the reconciler read it: CREATING
    plane.delete(account, "pr-1")
    plane._finish_branch(stale)
    assert plane.registry.database(account.id, "pr-1").state == "DELETING"
    plane.reconcile()
    assert [d.name for d in plane.registry.databases(account.id)] == ["default"]


def test_the_reconciler_finishes_a_branch_renamed_while_it_was_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plane, account = _plane()
    stale = plane.branch(account, "default", "pr-1")
    plane.rename(stale, "pr-2")
    with monkeypatch.context() as m:  # a pass that read the records before the rename
        m.setattr(plane.registry, "databases", lambda account_id=None: [stale])
        plane.reconcile()
    plane.reconcile()
    assert plane.registry.database(account.id, "pr-2").state == "ACTIVE"


def test_a_registry_that_cannot_commit_answers_503_with_retry_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plane, account = _plane()
    token, _ = plane.registry.create_token(account.id, "t")

    def conflict(mutations: Any, start_ts: int) -> int:
        raise WriteConflict(mutations[0].key, start_ts, start_ts + 1)

    monkeypatch.setattr(plane.kv, "one_pc", conflict)
    monkeypatch.setattr(plane.registry, "retry_deadline_s", 0.3, raising=False)
    with TestClient(build_app(plane)) as client:
        r = client.post("/v1/databases", json={"name": "x"}, headers=auth(token))
    assert r.status_code == 503, r.text
    assert int(r.headers["Retry-After"]) >= 1
    assert r.json()["code"] == "Busy" and "retry" in r.json()["error"]


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Unavailable("no Raft leader is reachable"), 503),  # 57P03
        (OutcomeUnknown("the commit's outcome is unknown"), 503),  # 40003
        (DiskFull("no space left on device"), 503),  # 53100
        (Db9Error("internal"), 500),  # XX000
    ],
)
def test_a_store_that_cannot_answer_is_503_or_500_never_a_400(
    monkeypatch: pytest.MonkeyPatch, error: Db9Error, status: int
) -> None:
    """A request the store could not serve (no leader, an unknown outcome, a full disk) is
    the server's condition, not bad input: 503 with Retry-After; an internal error 500."""
    plane, account = _plane()
    token, _ = plane.registry.create_token(account.id, "t")

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(plane.registry, "create_database", fail)
    with TestClient(build_app(plane)) as client:
        r = client.post("/v1/databases", json={"name": "x"}, headers=auth(token))
    assert r.status_code == status, r.text
    assert r.json()["sqlstate"] == error.sqlstate
    assert (status == 503) == ("Retry-After" in r.headers)
