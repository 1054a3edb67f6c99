"""The cluster a run drives, by its kind (``RunConfig.cluster``):

- ``local``: three ``db9-server`` processes on this machine (``tests/cluster/harness.py``),
  each in its own network namespace when run as root (the partition nemesis needs them);
- ``compose``: the three containers of deploy/compose.yml (``tests/cluster/compose.py``),
  started from fresh volumes; the image is built beforehand (``ComposeCluster.build``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from tests.cluster import compose, netns
from tests.cluster.harness import LocalCluster
from tests.cluster.interface import Cluster
from tests.cluster.netns import Netns
from tests.jepsen.run import RunConfig

CLUSTERS = ("local", "compose")


def node_env(cfg: RunConfig) -> dict[str, str]:
    """The environment the run's deliberately broken build needs on every node (none for
    the real build)."""
    env = dict(cfg.node_env)
    if cfg.unsafe_reads:
        env["DB9_UNSAFE_FOLLOWER_READS"] = "1"
    if cfg.unsynced_journal:
        env["DB9_FAULT_UNSYNCED_JOURNAL"] = "1"
    return env


def unavailable(cfg: RunConfig) -> str | None:
    """Why the run's kind of cluster cannot run here (with its build), or None."""
    if cfg.cluster == "compose":
        if node_env(cfg):
            return "broken builds need --cluster local (the compose nodes' environment is fixed)"
        return compose.unavailable()
    return None


@contextlib.contextmanager
def open_cluster(base: Path, cfg: RunConfig) -> Iterator[Cluster]:
    """A cluster not yet started; on exit whatever it holds (namespaces, containers, volumes)
    is gone. The caller stops the nodes first (``stop_all``)."""
    if cfg.cluster == "compose":
        cluster = compose.ComposeCluster.create(base)
        try:
            yield cluster
        finally:
            cluster.down()
        return
    net = Netns(3).create() if netns.available() else None
    try:
        yield LocalCluster.create(base, 3, net=net, **node_env(cfg))
    finally:
        if net is not None:
            net.close()
