"""Parallel control-plane requests spread over the REST APIs of a three-node cluster get only
the documented answers (tests/control/test_api_concurrency.py on one node): 201 or 409 for
databases, 202 or 429 for branches, never more than MAX_BRANCHES_IN_FLIGHT branches CREATING
in any snapshot, and every 202'd branch ACTIVE once the leader's reconciler has made it."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from control.registry import MAX_BRANCHES_IN_FLIGHT
from tests.cluster.harness import LocalCluster, assert_replicas_equal, free_ports
from tests.control.test_api_concurrency import branch_round, parallel, statuses
from tests.control.test_api_runaway import wait_until

TOKEN = "db9_cluster-concurrency-test-token"
N = 50
ROUNDS = 2

Answer = tuple[int, Any]


def call(url: str, method: str, path: str, body: Any = None) -> Answer:
    r = httpx.request(method, url + path, json=body, timeout=60,
                      headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    return r.status_code, r.json()


def healthy(url: str) -> bool:
    try:
        return httpx.get(url + "/v1/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def test_parallel_requests_over_three_nodes_get_only_documented_answers(tmp_path: Path) -> None:
    cluster = LocalCluster.create(tmp_path, 3, db9_api_token=TOKEN)
    apis = [f"http://127.0.0.1:{port}" for port in free_ports(3)]
    try:
        for node, url in zip(cluster.nodes, apis, strict=True):
            cluster.env["DB9_API_PORT"] = url.rsplit(":", 1)[1]
            cluster.start(node)
        cluster.wait_leader()
        for node in cluster.nodes:
            cluster.wait_pgwire(node)
        wait_until(lambda: all(healthy(u) for u in apis), 60)

        def on(i: int, method: str, path: str, body: Any = None) -> Callable[[], Answer]:
            return lambda: call(apis[i % 3], method, path, body)

        rotation = itertools.cycle(apis)

        def anywhere(method: str, path: str, body: Any) -> Answer:  # each call the next node
            return call(next(rotation), method, path, body)

        for r in range(ROUNDS):
            answers = parallel([on(i, "POST", "/v1/databases", {"name": f"ci-{r}-{i}"})
                                for i in range(N)])  # fmt: skip
            assert statuses(answers) == {201: N}, [a for a in answers if a[0] != 201][:3]
            answers = parallel([on(i, "POST", "/v1/databases", {"name": f"same-{r}"})
                                for i in range(N)])  # fmt: skip
            assert statuses(answers) == {201: 1, 409: N - 1}, [a for a in answers if a[0] >= 500]

        assert call(apis[0], "POST", "/v1/databases", {"name": "main"})[0] == 201
        seen: list[int] = []  # branches CREATING in each snapshot the watcher read
        errors: list[Answer] = []
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                status, dbs = call(apis[len(seen) % 3], "GET", "/v1/databases")
                if status != 200:
                    errors.append((status, dbs))
                    return
                seen.append(sum(d["state"] == "CREATING" for d in dbs))
                time.sleep(0.02)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            for r in range(ROUNDS):
                branch_round([f"b{r}-{i}" for i in range(N)], anywhere, 60)
        finally:
            done.set()
            watcher.join()
        assert not errors and seen and max(seen) <= MAX_BRANCHES_IN_FLIGHT, errors
        assert_replicas_equal(cluster)
    finally:
        cluster.stop_all()
