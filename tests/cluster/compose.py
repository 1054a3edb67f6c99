"""The three-node cluster of deploy/compose.yml, driven from this machine (``ComposeCluster``):
the fault tests' other kind of cluster (``interface.Cluster``), whose faults are Docker's own:
``docker kill``/``start``, ``docker pause``/``unpause``, ``docker network disconnect``/``connect``.

Clients reach each node through its published ports (deploy/README.md: pgwire 15433/25433/35433,
gRPC 17100/27100/37100 on 127.0.0.1) as ``local.admin`` with ``PASSWORD`` over TLS
(``sslmode=require``); the nodes reach each other on the Compose network ``db9`` as
``node1:7000``..``node3:7000``, their Raft addresses. A run uses its own Compose project
(``PROJECT``): its containers, network and named volumes (the nodes' data) are its own, and
``down()`` deletes them all. The published ports are fixed by compose.yml, so one such cluster
(this one or tests/cluster/test_compose.py's) runs on a machine at a time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from tests.cluster.interface import Node, node_status, wait_leader

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "deploy" / "compose.yml"
PROJECT = "db9jepsen"
IMAGE = "db9:dev"  # compose.yml's image
LOCAL_BASE_IMAGE = "db9-base:bookworm"  # deploy/build-base-image.sh's
OFFICIAL_BASE_IMAGE = "python:3.11-slim-bookworm"  # compose.yml's default base
PASSWORD = "jepsen-compose-password"
SECRET = "jepsen-compose-secret"
RAFT_PORT = 7000


def compose_command() -> list[str] | None:
    """``docker compose`` (v2) or ``docker-compose`` (v1), whichever is installed."""
    if shutil.which("docker") is None:
        return None
    v2 = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
    if v2.returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


def unavailable() -> str | None:
    """Why the compose cluster cannot run here, or None."""
    if shutil.which("docker") is None:
        return "the compose cluster needs the docker CLI"
    info = subprocess.run(["docker", "info"], capture_output=True, timeout=60)
    if info.returncode != 0:
        return "the compose cluster needs a Docker daemon (docker info failed)"
    if compose_command() is None:
        return "the compose cluster needs docker compose (v2) or docker-compose (v1)"
    return None


def image_exists(name: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", name], capture_output=True).returncode == 0


def base_image() -> str | None:
    """The image to build ``IMAGE`` on: ``DB9_BASE_IMAGE``, else the local Debian base or the
    official Python image if present here (nothing is pulled); None if there is none."""
    if os.environ.get("DB9_BASE_IMAGE"):
        return os.environ["DB9_BASE_IMAGE"]
    return next((i for i in (LOCAL_BASE_IMAGE, OFFICIAL_BASE_IMAGE) if image_exists(i)), None)


def docker(*args: str, timeout: float = 60) -> str:
    res = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if res.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)} failed: {res.stderr.strip()[-500:]}")
    return res.stdout


@dataclass
class ComposeNode:
    """A service of compose.yml; ``container`` is known once the cluster is up."""

    node_id: int
    pg_port: int
    grpc_port: int
    container: str = ""
    host: str = "127.0.0.1"  # the published ports listen here

    @property
    def service(self) -> str:
        return f"node{self.node_id}"

    @property
    def raft_addr(self) -> str:
        return f"{self.service}:{RAFT_PORT}"

    @property
    def grpc_addr(self) -> str:
        return f"{self.host}:{self.grpc_port}"

    def dsn(self) -> str:
        return (f"host={self.host} port={self.pg_port} dbname=postgres user=local.admin "
                f"password={PASSWORD} sslmode=require connect_timeout=10")  # fmt: skip

    def inspect(self) -> dict[str, Any]:
        """``docker inspect`` of the container: ``State`` (Status, Running, Paused, ExitCode),
        ``NetworkSettings.Networks``, ..."""
        found: list[dict[str, Any]] = json.loads(docker("inspect", self.container))
        return found[0]

    @property
    def alive(self) -> bool:
        return bool(self.inspect()["State"]["Running"])  # a paused container runs too

    @property
    def stopped(self) -> bool:
        return bool(self.inspect()["State"]["Paused"])

    def networks(self) -> list[str]:
        return sorted(self.inspect()["NetworkSettings"]["Networks"] or {})


@dataclass
class ComposeCluster:
    base: Path  # each container's log lands here when the cluster stops
    project: str = PROJECT
    nodes: list[ComposeNode] = field(default_factory=list)
    network: str = ""  # the Compose network ``db9`` under its project name, once up

    @classmethod
    def create(cls, base: Path, project: str = PROJECT) -> ComposeCluster:
        nodes = [ComposeNode(i, pg_port=i * 10000 + 5433, grpc_port=i * 10000 + 7100)
                 for i in (1, 2, 3)]  # fmt: skip
        return cls(base, project, nodes)

    # -- compose ---------------------------------------------------------------------------

    def compose(self, *args: str, timeout: float = 300) -> str:
        cmd = compose_command()
        if cmd is None:
            raise RuntimeError(unavailable() or "no docker compose")
        env = {
            **os.environ,
            "COMPOSE_PROJECT_NAME": self.project,
            "DB9_PASSWORD": PASSWORD,
            "DB9_CLUSTER_SECRET": SECRET,
            "DB9_BASE_IMAGE": base_image() or OFFICIAL_BASE_IMAGE,
        }
        argv = [*cmd, "-f", str(COMPOSE_FILE), "-p", self.project, *args]
        res = subprocess.run(
            argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
        if res.returncode != 0:
            out = f"{res.stdout[-1000:]}{res.stderr[-2000:]}"
            raise RuntimeError(f"{' '.join(argv)} failed:\n{out}")
        return res.stdout

    def build(self) -> None:
        """Build ``IMAGE`` from this checkout (Docker's layer cache makes a rebuild of an
        unchanged tree take seconds)."""
        if base_image() is None:
            raise RuntimeError(
                f"no base image to build {IMAGE} on: run deploy/build-base-image.sh "
                f"(-> {LOCAL_BASE_IMAGE}) or set DB9_BASE_IMAGE"
            )
        self.compose("build", timeout=1800)

    def down(self) -> None:
        """Containers, network and volumes (the data) gone; the images stay."""
        self.compose("down", "-v", "--remove-orphans", "-t", "5")

    # -- the cluster -----------------------------------------------------------------------

    def start_all(self) -> None:
        """Start the containers from fresh volumes and wait until every node answers."""
        self.down()  # what a killed earlier run of this project left behind
        self.compose("up", "-d", "--no-build")
        for node in self.nodes:
            node.container = self.compose("ps", "-q", node.service).strip()
            assert node.container, f"no container for {node.service}"
        self.network = next(n for n in self.nodes[0].networks() if n.endswith("_db9"))
        for node in self.nodes:
            self.wait_serving(node, 180)

    def stop_all(self) -> None:
        """Save each container's log under ``base``, then stop every container (paused ones
        unpaused first); the volumes stay until ``down``. Best effort: it runs in ``finally``
        blocks before ``down``, which must not be skipped."""
        self.base.mkdir(parents=True, exist_ok=True)
        try:
            for node in self.nodes:
                if not node.container:
                    continue
                log = subprocess.run(["docker", "logs", node.container], capture_output=True)
                (self.base / f"{node.service}.log").write_bytes(log.stdout + log.stderr)
                if node.stopped:
                    self.resume(node)
            self.compose("stop", "-t", "10")
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            print(f"compose cluster: stopping failed ({exc}); down removes it", file=sys.stderr)

    def kill(self, node: ComposeNode) -> None:
        docker("kill", node.container)  # SIGKILL; the restart policy leaves it down

    def dump_stacks(self) -> None:
        """Every running container's node writes its threads' stacks to its log (SIGUSR1,
        ``docker logs``) and goes on."""
        for node in self.nodes:
            if node.alive:
                if node.stopped:
                    self.resume(node)
                docker("kill", "-s", "USR1", node.container)

    def start(self, node: ComposeNode) -> None:
        docker("start", node.container)  # same container, same volume: the same data

    def pause(self, node: ComposeNode) -> None:
        docker("pause", node.container)  # the cgroup freezer: every process stops at once

    def resume(self, node: ComposeNode) -> None:
        docker("unpause", node.container)

    def disconnect(self, node: ComposeNode) -> None:
        """Off the Compose network: no peer reaches it, nor any client (its published ports
        go with the network)."""
        docker("network", "disconnect", self.network, node.container)

    def connect(self, node: ComposeNode) -> None:
        """Back on the network, under its service name (the peers' name for it)."""
        docker("network", "connect", "--alias", node.service, self.network, node.container)

    def status(self, node: Node) -> dict[str, object] | None:
        return node_status(node)

    def wait_serving(self, node: ComposeNode, timeout_s: float) -> float:
        """Seconds until ``node`` answers a gRPC status request (a started container takes
        about 10 s to load Python and open its ports)."""
        began = time.monotonic()
        while node_status(node) is None:
            if time.monotonic() - began > timeout_s:
                raise AssertionError(f"{node.service} did not answer in {timeout_s} s")
            time.sleep(0.2)
        return time.monotonic() - began

    def wait_leader(
        self, among: list[ComposeNode] | None = None, timeout_s: float = 60.0
    ) -> ComposeNode:
        return wait_leader(among or [n for n in self.nodes if n.alive and not n.stopped], timeout_s)

    def wait_pgwire(self, node: Node, timeout_s: float = 120.0) -> None:
        """Until ``node`` runs a query: a TCP connect proves nothing here, since Docker's proxy
        accepts on the published port whether or not the server listens behind it."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with psycopg.connect(node.dsn(), autocommit=True, connect_timeout=3) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.Error as exc:
                if time.monotonic() > deadline:
                    raise AssertionError(f"node {node.node_id} never served SQL: {exc}") from exc
                time.sleep(0.2)
