"""Crashes: every node killed at once; nodes killed together with a file system that loses
what they wrote and did not sync; a disk whose syncs are slow.

``lost-writes`` and ``slow-disk`` put each node's data directory on ``lazyfs`` (a FUSE file
system that keeps written data in memory until fsync/fdatasync; root only). Its backing
directory is ``nodeN.lazyfs`` beside the data directory; when the data directory is already a
file system of its own (the disk nemesis's tmpfs), that one is bind-mounted there, so a full
disk still fails writes through lazyfs.
"""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
from collections.abc import Iterator
from typing import Any

from tests.cluster.harness import NodeProc
from tests.jepsen import lazyfs
from tests.jepsen.lazyfs import LazyMount
from tests.jepsen.nemeses import process
from tests.jepsen.nemeses.base import Nemesis
from tests.jepsen.run import Run

#: files the harness writes into a data directory (not db9's): written straight through
WRITE_THROUGH = ["server.log", "clock_offset_ms*"]
SLOW_MS = (20, 80)  # each fsync's delay under slow-disk

_MOUNTS: dict[int, dict[int, LazyMount]] = {}  # id(run) -> node id -> its lazyfs


def mounts(run: Run) -> dict[int, LazyMount]:
    return _MOUNTS.get(id(run), {})


@contextlib.contextmanager
def mount(run: Run) -> Iterator[None]:
    """Each node's data directory on its own lazyfs, until the nodes have stopped."""
    mounted = _MOUNTS.setdefault(id(run), {})
    binds: list[str] = []
    try:
        for node in run.cluster.nodes:
            node.data_dir.mkdir(parents=True, exist_ok=True)
            backing = node.data_dir.with_name(node.data_dir.name + ".lazyfs")
            backing.mkdir(exist_ok=True)
            if os.path.ismount(node.data_dir):
                subprocess.run(["mount", "--bind", str(node.data_dir), str(backing)], check=True)
                binds.append(str(backing))
            fs = mounted[node.node_id] = LazyMount(backing, node.data_dir, WRITE_THROUGH)
            fs.start()
        yield
    finally:
        run.cluster.stop_all()
        for fs in mounted.values():
            fs.stop()
        for path in binds:
            subprocess.run(["umount", "-l", path], check=False)
        _MOUNTS.pop(id(run), None)


def _leader_note(node: NodeProc, leader: NodeProc | None) -> str:
    return " (leader)" if node is leader else ""


def _dropped(stats: list[dict[str, Any]]) -> str:
    nbytes = sum(s["dirty_bytes"] for s in stats)
    names = sorted({name for s in stats for name in s["dirty_names"]})
    files = sum(s["dirty_files"] for s in stats)
    return f"dropped {nbytes} unsynced bytes in {files} files ({', '.join(names)})"


def lost_writes(run: Run, rng: random.Random, target: NodeProc, leader: NodeProc | None) -> str:
    """kill -9 the node, crash its file system (unsynced data gone), start both again."""
    fs = mounts(run)[target.node_id]
    run.cluster.kill(target)
    stats = fs.crash()
    fs.start()
    run.stop.wait(run.config.fault_s)
    run.cluster.start(target)
    return f"lost-writes node{target.node_id}{_leader_note(target, leader)}: {_dropped([stats])}"


def lost_writes_all(run: Run, rng: random.Random, target: NodeProc, leader: NodeProc | None) -> str:
    """Every node and its file system crash at once (a power loss of the whole cluster)."""
    cluster, fss = run.cluster, mounts(run)
    up = [n for n in cluster.nodes if n.alive]
    cluster.kill(*up)
    stats = []
    for node in cluster.nodes:
        stats.append(fss[node.node_id].crash())
        fss[node.node_id].start()
    run.stop.wait(run.config.fault_s)
    for node in cluster.nodes:
        cluster.start(node)
    return f"lost-writes on all nodes: {_dropped(stats)}"


def slow_disk(run: Run, rng: random.Random, target: NodeProc, leader: NodeProc | None) -> str:
    fs = mounts(run)[target.node_id]
    before = fs.command(f"slow {SLOW_MS[0]} {SLOW_MS[1]}")["delayed_fsyncs"]
    run.stop.wait(run.config.fault_s)
    delayed = fs.command("fast")["delayed_fsyncs"] - before
    return (
        f"slow-disk node{target.node_id}{_leader_note(target, leader)}: {delayed} fsyncs "
        f"delayed {SLOW_MS[0]}-{SLOW_MS[1]} ms"
    )


def kill_all(run: Run, rng: random.Random, target: NodeProc, leader: NodeProc | None) -> str:
    cluster = run.cluster
    cluster.kill(*[n for n in cluster.nodes if n.alive])
    run.stop.wait(run.config.fault_s)
    for node in cluster.nodes:
        cluster.start(node)
    return "kill all nodes"


def heal(run: Run) -> None:
    """Every lazyfs mounted and fast (the nodes are started by the process heal)."""
    for fs in mounts(run).values():
        if not fs.alive:
            if fs.mounted:
                subprocess.run(["umount", "-l", str(fs.mountpoint)], check=True)
            fs.start()
        fs.command("fast")


NEMESES = [
    Nemesis("lost-writes", lost_writes, prepare=mount, heal=heal, unavailable=lazyfs.unavailable),
    Nemesis(
        "lost-writes-all", lost_writes_all, prepare=mount, heal=heal, unavailable=lazyfs.unavailable
    ),
    Nemesis("slow-disk", slow_disk, prepare=mount, heal=heal, unavailable=lazyfs.unavailable),
    Nemesis("kill-all", kill_all, heal=process.heal),
]
