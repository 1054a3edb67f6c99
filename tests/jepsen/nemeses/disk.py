"""A full disk: each data directory is a tmpfs of ``DISK_MB``; the nemesis fills one node's,
then frees it (root only)."""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator

from tests.cluster.harness import FILLER, fill_disk, tmpfs_data_dirs
from tests.cluster.interface import Node
from tests.jepsen.nemeses.base import Nemesis, local, local_node
from tests.jepsen.run import Run

# Each node's tmpfs under the disk nemesis (memory is used only as it is written; the filler
# takes the rest while a node's disk is full). At 128 MB, 300 s runs of list-append (each
# append writes its list anew, and old versions stay until GC) filled every node's disk for
# real: writes stopped and the heal found no leader.
DISK_MB = 1024


@contextlib.contextmanager
def mount(run: Run) -> Iterator[None]:
    with tmpfs_data_dirs(local(run), DISK_MB):
        yield


def fill(run: Run, rng: random.Random, target: Node, leader: Node | None) -> str:
    filler = fill_disk(local_node(target).data_dir)
    run.stop.wait(run.config.fault_s)
    filler.unlink()
    return f"disk full on node{target.node_id}{' (leader)' if target is leader else ''}"


def heal(run: Run) -> None:
    for node in local(run).nodes:
        (node.data_dir / FILLER).unlink(missing_ok=True)


def unavailable() -> str | None:
    return None if os.geteuid() == 0 else "the disk nemesis mounts a tmpfs per node: run as root"


NEMESES = [Nemesis("disk", fill, prepare=mount, heal=heal, unavailable=unavailable)]
