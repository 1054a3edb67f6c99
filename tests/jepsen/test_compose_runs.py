"""The fault tests against the compose cluster (deploy/compose.yml: three containers) under
Docker's own faults: each of ``docker kill``, ``docker pause`` and ``docker network
disconnect`` strikes while the set workload runs, is seen in ``docker inspect`` during the
fault, is undone after it, and the run checks out valid with every replica holding the same
data.

It builds the db9 image from this checkout and starts containers, which takes minutes (on a
clean machine also the base image, deploy/build-base-image.sh), so like
tests/cluster/test_compose.py it runs only with DB9_TEST_COMPOSE=1:

    DB9_TEST_COMPOSE=1 .venv/bin/pytest tests/jepsen/test_compose_runs.py
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.cluster import compose
from tests.jepsen.runner import RunConfig, execute, report

pytestmark = pytest.mark.skipif(
    os.environ.get("DB9_TEST_COMPOSE") != "1",
    reason="builds the db9 image and starts containers (minutes): DB9_TEST_COMPOSE=1",
)

DOCKER_NEMESES = ["docker-pause", "docker-disconnect", "docker-kill"]

# What ``docker inspect`` must have shown during each fault and after its heal
# (nemeses/docker.py writes these lines).
SEEN = {
    "docker-kill": r"during exited\(137\) on-net; after running on-net$",
    "docker-pause": r"during paused on-net; after running on-net$",
    "docker-disconnect": r"during running off-net; after running on-net$",
}


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> None:
    why = compose.unavailable()
    if why:
        pytest.skip(why)
    if compose.base_image() is None:
        pytest.skip("no base image: run deploy/build-base-image.sh or set DB9_BASE_IMAGE")
    compose.ComposeCluster.create(tmp_path_factory.mktemp("build")).build()


def test_set_valid_under_docker_kill_pause_and_disconnect(image: None, tmp_path: Path) -> None:
    # In turn, so that each strikes within the 20 s: a pause (2 s), a disconnect (4 s), a
    # kill (2 s, then the restarted container takes 10-30 s to serve again), ...
    cfg = RunConfig("set", DOCKER_NEMESES, seconds=20, interval_s=2.0, seed=5, cluster="compose",
                    cycle=True)  # fmt: skip
    result, history = execute(tmp_path / "run", cfg)
    report(result, history, tmp_path / "report")
    assert result["valid"], result
    assert result["lost"] == [] and result["acknowledged"] > 100, result
    # Healed: every replica answered the final check, at one Raft index, with the same data.
    consistency = result["consistency"]
    assert consistency["ok"] and not consistency["unchecked"], consistency
    assert len(consistency["keys"]) == 3, consistency
    assert not [f for f in result["faults"] if "FAILED" in f], result["faults"]
    struck = {name: [f for f in result["faults"] if f" {name} " in f] for name in SEEN}
    for name, pattern in SEEN.items():
        assert struck[name], (name, result["faults"])
        for fault in struck[name]:
            assert re.search(pattern, fault), fault
    # The containers, network and volumes are gone; the image stays.
    assert compose.ComposeCluster.create(tmp_path).compose("ps", "-q").strip() == ""
    assert compose.image_exists(compose.IMAGE)
