"""tests/cluster/netns.py, the network the partition and link nemeses act on: links between
nodes are cut, delayed, made lossy or reordering exactly as asked (measured with UDP probes
between the namespaces), the host (where clients run) always reaches every node unharmed, a
heal undoes it all, and nothing is left behind."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cluster import netns
from tests.cluster.harness import ROOT
from tests.cluster.netns import Netns

pytestmark = pytest.mark.skipif(not netns.available(), reason="needs root, ip and nft")

PORT = 7999
PROBE_PORT = 7998  # tests.cluster.netprobe's UDP server on each node
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
            probe = [*net.exec_prefix(i), sys.executable, "-m", "tests.cluster.netprobe",
                     "serve", net.ip(i), str(PROBE_PORT)]  # fmt: skip
            for c in (cmd, probe):
                p = subprocess.Popen(c, stdout=subprocess.PIPE, text=True, cwd=ROOT)
                listeners.append(p)
                assert p.stdout is not None and p.stdout.readline().strip() == "ready"
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


def probe(net: Netns, src: int | None, dst: int, what: str, count: int) -> Any:
    """tests.cluster.netprobe ``rtt`` or ``burst`` from node ``src`` (None: the host)."""
    prefix = net.exec_prefix(src) if src else []
    cmd = [*prefix, sys.executable, "-m", "tests.cluster.netprobe", what, net.ip(dst),
           str(PROBE_PORT), str(count)]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=60, check=True)
    return json.loads(out.stdout)


def median_rtt(net: Netns, src: int | None, dst: int, count: int = 8) -> float:
    rtts = probe(net, src, dst, "rtt", count)
    assert None not in rtts, rtts  # no loss configured: every probe comes back
    return float(statistics.median(rtts))


def delay_lines_running(net: Netns) -> list[int]:
    """Pids of netdelay processes in the network's namespaces."""
    found = []
    for i in range(1, net.n + 1):
        pids = subprocess.run(["ip", "netns", "pids", net.name(i)], capture_output=True,
                              text=True).stdout.split()  # fmt: skip
        for pid in pids:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"tests.cluster.netdelay" in cmdline:
                found.append(int(pid))
    return found


def queue_rules(net: Netns, i: int) -> str:
    out = subprocess.run([*net.exec_prefix(i), "iptables", "-S", "INPUT"], capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    return "\n".join(line for line in out.splitlines() if "NFQUEUE" in line)


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


needs_delay = pytest.mark.skipif(
    netns.degrade_available() is not None, reason=str(netns.degrade_available())
)


@needs_delay
def test_delay_adds_the_configured_time_on_degraded_links_only(net: Netns) -> None:
    before = median_rtt(net, 1, 2)
    assert before < 20, before
    net.degrade([(1, 2)], delay_ms=60, jitter_ms=5)
    # Each way is delayed 55-65 ms: a round trip takes 110-130 ms, plus the path itself and
    # the delay lines' scheduling (late on a busy machine, never early).
    rtts = probe(net, 1, 2, "rtt", 8)
    assert None not in rtts and min(rtts) >= 108, rtts
    assert 110 <= statistics.median(rtts) <= 170, rtts
    assert median_rtt(net, 2, 1) >= 110  # both ways
    assert median_rtt(net, 1, 3) < 20  # other links are not delayed
    assert median_rtt(net, None, 2) < 20  # nor are clients on the host
    ordered = probe(net, 1, 2, "burst", 300)
    assert ordered == {"received": 300, "reordered": 0}, ordered  # jitter, but no reordering
    assert queue_rules(net, 2) and delay_lines_running(net)
    stats = net.heal()
    assert stats["delayed"] >= 300 + 8 and stats["dropped"] == 0, stats
    assert median_rtt(net, 1, 2) < 20
    assert not delay_lines_running(net) and not queue_rules(net, 1) and not queue_rules(net, 2)


@needs_delay
def test_loss_drops_about_the_configured_share_of_packets_on_degraded_links_only(
    net: Netns,
) -> None:
    net.degrade([(1, 2)], loss_pct=30)
    sent = 2000
    lossy = probe(net, 1, 2, "burst", sent)
    # Binomial: 1400 expected, standard deviation 20.5; 4.5 of them either side.
    assert 1310 <= lossy["received"] <= 1490, lossy
    assert probe(net, 1, 3, "burst", 500)["received"] == 500
    assert probe(net, None, 2, "burst", 500)["received"] == 500  # clients lose nothing
    stats = net.heal()
    # The loss counter saw the burst's drops (and any lost question about it).
    assert stats["dropped"] >= sent - lossy["received"], (stats, lossy)
    assert probe(net, 1, 2, "burst", 500) == {"received": 500, "reordered": 0}


@needs_delay
def test_reordering_delays_each_packet_on_its_own_and_heals(net: Netns) -> None:
    net.degrade([(1, 2)], delay_ms=10, jitter_ms=10, reorder=True)
    burst = probe(net, 2, 1, "burst", 500)  # 0.5 ms apart, each delayed 0-20 ms
    assert burst["received"] == 500 and burst["reordered"] >= 100, burst
    assert probe(net, 1, 3, "burst", 500) == {"received": 500, "reordered": 0}
    stats = net.heal()
    assert stats["reordered"] >= 100, stats
    assert probe(net, 2, 1, "burst", 500) == {"received": 500, "reordered": 0}
    assert not delay_lines_running(net)


@needs_delay
def test_a_partition_and_a_degradation_coexist_and_heal_together(net: Netns) -> None:
    net.degrade([(2, 3)], delay_ms=40, loss_pct=10)
    net.partition([(1, 3)])
    assert not reaches(net, 1, 3) and median_rtt(net, 1, 2) < 20
    back = [r for r in probe(net, 2, 3, "rtt", 4) if r is not None]  # lossy: some may not
    assert back and min(back) >= 80, back
    rules = subprocess.run([*net.exec_prefix(3), "nft", "list", "ruleset"], capture_output=True,
                           text=True, check=True).stdout  # fmt: skip
    assert "numgen random" in rules and f"ip saddr {net.ip(1)} drop" in rules, rules
    net.heal()
    assert links(net) == {(a, b) for a in (1, 2, 3) for b in (1, 2, 3) if a != b}
    assert median_rtt(net, 2, 3) < 20
    assert not delay_lines_running(net)


@needs_delay
def test_delay_lines_end_with_their_network_or_their_parent() -> None:
    net = Netns(2).create()
    net.degrade([(1, 2)], delay_ms=20)
    lines = list(net._delayers.values())
    assert lines and all(p.poll() is None for p in lines)
    net.close()  # without a heal first
    assert all(p.poll() is not None for p in lines)

    # A run killed with SIGKILL: its delay line sees its stdin close and stops by itself.
    script = (
        "import os\n"
        "from tests.cluster.netns import Netns\n"
        "net = Netns(2).create()\n"
        "net.degrade([(1, 2)], delay_ms=20)\n"
        "print(net.tag, *(p.pid for p in net._delayers.values()), flush=True)\n"
        "os._exit(0)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.split()  # fmt: skip
    pids = [int(p) for p in out[1:]]
    assert pids
    netns.sweep_stale()
    for pid in pids:
        assert not alive(pid), pid


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its reaper does not)."""
    try:
        os.kill(pid, 0)
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
