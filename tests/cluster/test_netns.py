"""tests/cluster/netns.py, the network the partition nemesis cuts: links between nodes are
cut exactly as asked, the host (where clients run) always reaches every node, and nothing is
left behind."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.cluster import netns
from tests.cluster.harness import ROOT
from tests.cluster.netns import Netns

pytestmark = pytest.mark.skipif(not netns.available(), reason="needs root, ip and nft")

PORT = 7999
LISTEN = (
    "import socket,sys\n"
    "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
    "s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(16); print('ready', flush=True)\n"
    "while True: s.accept()[0].close()\n"
)
CONNECT = (
    "import socket,sys\n"
    "try: socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=0.5).close()\n"
    "except OSError: sys.exit(1)\n"
)


@pytest.fixture
def net() -> Iterator[Netns]:
    net = Netns(3).create()
    listeners = []
    try:
        for i in (1, 2, 3):
            cmd = [*net.exec_prefix(i), sys.executable, "-c", LISTEN, net.ip(i), str(PORT)]
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
            listeners.append(p)
        yield net
    finally:
        for p in listeners:
            p.kill()
            p.wait()
        net.close()


def reaches(net: Netns, src: int | None, dst: int) -> bool:
    """Whether node ``src`` (None: the host) can open a TCP connection to node ``dst``."""
    prefix = net.exec_prefix(src) if src else []
    cmd = [*prefix, sys.executable, "-c", CONNECT, net.ip(dst), str(PORT)]
    return subprocess.run(cmd, check=False).returncode == 0


def links(net: Netns) -> set[tuple[int, int]]:
    return {(a, b) for a in (1, 2, 3) for b in (1, 2, 3) if a != b and reaches(net, a, b)}


def test_partitions_cut_exactly_the_links_asked(net: Netns) -> None:
    everything = {(a, b) for a in (1, 2, 3) for b in (1, 2, 3) if a != b}
    assert links(net) == everything
    net.partition([(1, 2), (1, 3)])  # node 1 alone
    assert links(net) == {(2, 3), (3, 2)}
    assert all(reaches(net, None, i) for i in (1, 2, 3))  # clients are never cut off
    net.partition([(1, 2)])  # a bridge through 3
    assert links(net) == everything - {(1, 2), (2, 1)}
    net.heal()
    assert links(net) == everything


def test_close_and_sweep_leave_nothing_behind() -> None:
    net = Netns(2).create()
    names = [net.name(1), net.name(2)]
    net.close()
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert not any(n in listed for n in names)
    assert subprocess.run(["ip", "link", "show", net.bridge], capture_output=True).returncode != 0

    # What a run killed with SIGKILL leaves: namespaces (here with a process still in one),
    # a bridge, a forwarding rule.
    script = (
        "import os, subprocess, sys\n"
        "from tests.cluster.netns import Netns\n"
        "net = Netns(2).create()\n"
        "subprocess.Popen([*net.exec_prefix(1), 'sleep', '600'],\n"
        "                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(net.tag, flush=True)\n"
        "os._exit(0)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout  # fmt: skip
    stale = Netns(2, tag=out.strip())
    assert stale.name(1) in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                           text=True).stdout  # fmt: skip
    netns.sweep_stale()
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert stale.name(1) not in listed and stale.name(2) not in listed
    assert subprocess.run(["ip", "link", "show", stale.bridge], capture_output=True).returncode
    rules = subprocess.run(["iptables", "-S", "FORWARD"], capture_output=True, text=True).stdout
    assert stale.bridge not in rules
